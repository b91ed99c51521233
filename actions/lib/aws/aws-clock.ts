/**
 * AWS's time, as its answers tell it. Every HTTP response carries a `Date` header (HTTP/1.1
 * requires one of an origin server; AWS's endpoints send it, and so does moto). Time-based rules
 * (an AMI's deprecation time, today) are judged on this time, not the runner's: a runner two days
 * slow would otherwise deploy an AMI AWS deprecated yesterday. AWS itself is not fooled by a
 * skewed runner (SigV4 refuses a request more than 15 minutes off, and the SDK then corrects its
 * signing clock and retries), so every call succeeds and only our own rules would be wrong.
 *
 * When the two clocks disagree by more than MAX_CLOCK_SKEW_MS a rule fails closed instead of
 * judging: a runner that far off is misconfigured, and every log line and record it writes carries
 * the wrong time. One AwsClock per createAwsClients call, fed by a middleware on each client.
 */
import type { Clock } from '../clock';
import { AwsOperationError } from '../errors';

/**
 * Five minutes: NTP keeps a runner within a second; AWS's Date header has a resolution of one
 * second; five minutes is what Kerberos and many TLS checks tolerate, and a third of SigV4's 15.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** What a time-based rule reads: AWS's time now, or a failure that says why it cannot be known. */
export interface AwsTime {
  /**
   * Milliseconds since the epoch by AWS's clock: the last Date header AWS sent, moved on by the
   * runner's clock since. Throws (AwsOperationError, CLOCK_SKEW) when the runner's clock and AWS's
   * disagree by more than MAX_CLOCK_SKEW_MS, and (NO_AWS_TIME) before any answer was seen.
   * `rule` names what needs the time, for the message.
   */
  now(rule: string): number;
}

/** The resource an AwsOperationError about the clock is about. */
const CLOCK_RESOURCE = "the runner's clock";

export class AwsClock implements AwsTime {
  private last?: { awsMs: number; runnerMs: number };

  /** `runner`: the runner's clock (the system clock in an action, a virtual one in tests). */
  constructor(private readonly runner: Pick<Clock, 'now'>) {}

  /** Records one response's Date header (an RFC 7231 date: `Tue, 01 Dec 2026 14:46:45 GMT`); ignores a missing or unreadable one. */
  observe(dateHeader: string | undefined): void {
    const awsMs = dateHeader ? Date.parse(dateHeader) : Number.NaN;
    if (Number.isNaN(awsMs)) return;
    this.last = { awsMs, runnerMs: this.runner.now() };
  }

  now(rule: string): number {
    if (!this.last) {
      throw new AwsOperationError(
        `Time check failed for ${rule}: no answer from AWS carried a Date header yet, so AWS's time is unknown and the rule is not judged on the runner's clock alone. ` +
          'This is a bug if it happens after an AWS call; report it.',
        CLOCK_RESOURCE,
        'NO_AWS_TIME',
      );
    }
    const skewMs = this.last.runnerMs - this.last.awsMs;
    if (Math.abs(skewMs) > MAX_CLOCK_SKEW_MS) {
      throw new AwsOperationError(
        `Time check failed for ${rule}: the runner's clock said ${iso(this.last.runnerMs)} when AWS's answer was dated ${iso(this.last.awsMs)}; ` +
          `the runner is ${describeDuration(Math.abs(skewMs))} ${skewMs < 0 ? 'behind' : 'ahead of'} AWS, more than the ${MAX_CLOCK_SKEW_MS / 60_000} minutes tolerated. ` +
          'A rule judged on that clock could deploy what AWS already retired, so nothing was judged and nothing was changed. Fix the runner\'s clock (NTP), then run again.',
        CLOCK_RESOURCE,
        'CLOCK_SKEW',
      );
    }
    return this.runner.now() - skewMs;
  }

  /**
   * The middleware that feeds this clock, added to every client of createAwsClients with
   * AWS_CLOCK_MIDDLEWARE: in the deserialize step at low priority, next to the HTTP handler, it
   * sees each raw response (an error answer and every retry included) before the SDK parses it.
   */
  readonly middleware =
    <A, R extends { response: unknown }>(next: (args: A) => Promise<R>) =>
    async (args: A): Promise<R> => {
      const result = await next(args);
      const headers = (result.response as { headers?: Record<string, string | undefined> } | undefined)?.headers;
      this.observe(headers?.date ?? headers?.Date);
      return result;
    };
}

/** Where AwsClock's middleware goes in each client's stack (see AwsClock.middleware). */
export const AWS_CLOCK_MIDDLEWARE = { step: 'deserialize', priority: 'low', name: 'awsClockMiddleware' } as const;

/** Whole seconds, as a Date header has them: the runner's time with milliseconds beside AWS's without would look like more precision than the comparison has. */
function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `2 days 0 h 3 min`, `7 min 30 s`: the skew in words a person can check. */
export function describeDuration(ms: number): string {
  if (ms < 3_600_000) {
    const s = Math.round(ms / 1000);
    return `${Math.floor(s / 60)} min ${s % 60} s`;
  }
  // A Date header has whole seconds: past an hour, the nearest minute is what the skew is.
  const minutes = Math.round(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${days} day${days === 1 ? '' : 's'} ${hours} h ${minutes % 60} min`;
  return `${hours} h ${minutes % 60} min`;
}
