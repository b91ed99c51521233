import { CloudFormationClient, DescribeStackEventsCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

import { findRootCause, formatStackEvent, readStackEventsSince, type StackEventRecord } from '../../../../actions/lib/cloudformation/stack-events';
import { event, makeDeps, newestFirst, STACK } from './fixtures';

const cfn = mockClient(CloudFormationClient);
beforeEach(() => cfn.reset());

const record = (logicalId: string, status: string, reason?: string): StackEventRecord => ({
  id: `${logicalId}-${status}`,
  timestamp: new Date('2026-01-01T10:00:00Z'),
  logicalId,
  resourceType: logicalId === STACK ? 'AWS::CloudFormation::Stack' : 'AWS::AutoScaling::AutoScalingGroup',
  status,
  reason,
  isStack: logicalId === STACK,
});

describe('readStackEventsSince', () => {
  it('returns the events after the marker, oldest first, paging until the marker', async () => {
    const old = event(STACK, 'UPDATE_COMPLETE');
    const a = event(STACK, 'UPDATE_IN_PROGRESS', 'User Initiated');
    const b = event('AppLaunchTemplate', 'UPDATE_IN_PROGRESS', undefined, 'AWS::EC2::LaunchTemplate');
    const c = event('AppLaunchTemplate', 'UPDATE_COMPLETE', undefined, 'AWS::EC2::LaunchTemplate');
    cfn.on(DescribeStackEventsCommand, { NextToken: undefined }).resolves({ StackEvents: [c, b], NextToken: 'p2' });
    cfn.on(DescribeStackEventsCommand, { NextToken: 'p2' }).resolves({ StackEvents: [a, old], NextToken: 'p3' });
    const events = await readStackEventsSince(STACK, old.EventId, makeDeps());
    expect(events.map((e) => e.id)).toEqual([a.EventId, b.EventId, c.EventId]);
    expect(events[0].isStack).toBe(true);
    expect(events[1].isStack).toBe(false);
    expect(cfn).toHaveReceivedCommandTimes(DescribeStackEventsCommand, 2);
  });

  it('returns nothing new in one call when the newest event is the marker', async () => {
    const old = event(STACK, 'UPDATE_COMPLETE');
    cfn.on(DescribeStackEventsCommand).resolves({ ...newestFirst([old]), NextToken: 'more' });
    await expect(readStackEventsSince(STACK, old.EventId, makeDeps())).resolves.toEqual([]);
    expect(cfn).toHaveReceivedCommandTimes(DescribeStackEventsCommand, 1);
  });
});

describe('formatStackEvent', () => {
  it('prints time, resource, status and reason', () => {
    expect(formatStackEvent(record('AppAutoScalingGroup', 'UPDATE_FAILED', 'Received 0 SUCCESS signal(s) out of 2'))).toBe(
      '10:00:00  AppAutoScalingGroup [AWS::AutoScaling::AutoScalingGroup]  UPDATE_FAILED  Received 0 SUCCESS signal(s) out of 2',
    );
    expect(formatStackEvent(record(STACK, 'UPDATE_COMPLETE'))).toBe('10:00:00  patch-dev-app (stack)  UPDATE_COMPLETE');
  });
});

describe('findRootCause', () => {
  it.each([
    [
      'the first failed resource, not the cancelled ones after it',
      [
        record(STACK, 'UPDATE_IN_PROGRESS', 'User Initiated'),
        record('AppLaunchTemplate', 'UPDATE_COMPLETE'),
        record('AppAutoScalingGroup', 'UPDATE_FAILED', 'Received 0 SUCCESS signal(s) out of 2.  Unable to satisfy 100% MinSuccessfulInstancesPercent requirement'),
        record('AppListener', 'UPDATE_FAILED', 'Resource update cancelled'),
        record(STACK, 'UPDATE_ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to update: [AppAutoScalingGroup].'),
        record('AppTargetGroup', 'UPDATE_FAILED', 'Something failed during rollback'),
      ],
      { logicalId: 'AppAutoScalingGroup', status: 'UPDATE_FAILED', reason: expect.stringContaining('Received 0 SUCCESS signal') },
    ],
    [
      'a cancelled resource that comes first is skipped',
      [record('AppListener', 'UPDATE_FAILED', 'Resource update cancelled'), record('AppLaunchTemplate', 'UPDATE_FAILED', 'Invalid AMI')],
      { logicalId: 'AppLaunchTemplate', reason: 'Invalid AMI' },
    ],
    [
      'the stack rollback reason when an alarm (rollback trigger) fired and no resource failed',
      [
        record(STACK, 'UPDATE_IN_PROGRESS', 'User Initiated'),
        record('AppAutoScalingGroup', 'UPDATE_COMPLETE'),
        record(STACK, 'UPDATE_ROLLBACK_IN_PROGRESS', 'Stack rollback triggered by alarm(s): patch-dev-app-http5xx'),
      ],
      { logicalId: STACK, status: 'UPDATE_ROLLBACK_IN_PROGRESS', reason: 'Stack rollback triggered by alarm(s): patch-dev-app-http5xx' },
    ],
  ])('finds %s', (_title, events, expected) => {
    expect(findRootCause(events)).toMatchObject(expected);
  });

  it('finds nothing in a clean update', () => {
    expect(findRootCause([record(STACK, 'UPDATE_IN_PROGRESS', 'User Initiated'), record(STACK, 'UPDATE_COMPLETE')])).toBeUndefined();
  });
});
