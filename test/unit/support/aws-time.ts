import { AwsClock } from '../../../actions/lib/aws/aws-clock';
import type { Clock } from '../../../actions/lib/clock';

/**
 * AWS's clock for unit tests, whose mocked clients never run the Date-header middleware: as if
 * one answer had arrived, dated `awsAheadMs` after the runner's (virtual) clock. 0: the clocks
 * agree; 2 days: a runner two days slow.
 */
export function awsClockOn(clock: Pick<Clock, 'now'>, awsAheadMs = 0): AwsClock {
  const awsClock = new AwsClock(clock);
  awsClock.observe(new Date(clock.now() + awsAheadMs).toUTCString());
  return awsClock;
}
