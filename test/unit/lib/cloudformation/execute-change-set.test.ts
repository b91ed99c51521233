import { CloudFormationClient, DescribeStackEventsCommand, DescribeStacksCommand, ExecuteChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

import { executeChangeSetAndWait } from '../../../../actions/lib/cloudformation/execute-change-set';
import { PollTimeoutError } from '../../../../actions/lib/errors';
import { CHANGE_SET_ARN, event, makeDeps, newestFirst, STACK, stack, throttling } from './fixtures';

const cfn = mockClient(CloudFormationClient);
beforeEach(() => cfn.reset());

const input = { stackName: STACK, changeSetId: CHANGE_SET_ARN, clientRequestToken: 'patch-1-1-x', timeoutMs: 30 * 60_000 };

/**
 * A scripted update: the stack's history before, then one batch of events per poll with the
 * status DescribeStacks reports for that poll.
 */
function script(polls: Array<{ status: string; events: ReturnType<typeof event>[] } | 'throttle'>) {
  const history = [event(STACK, 'UPDATE_COMPLETE')];
  cfn.on(DescribeStackEventsCommand).callsFake(() => newestFirst(history));
  let i = 0;
  cfn.on(DescribeStacksCommand).callsFake(() => {
    const step = polls[Math.min(i, polls.length - 1)];
    i += 1;
    if (step === 'throttle') throw throttling();
    history.push(...step.events);
    step.events = [];
    return { Stacks: [stack(step.status)] };
  });
  cfn.on(ExecuteChangeSetCommand).resolves({});
}

describe('executeChangeSetAndWait', () => {
  it('executes with a client request token, streams each event once, and returns at UPDATE_COMPLETE', async () => {
    script([
      { status: 'UPDATE_IN_PROGRESS', events: [event(STACK, 'UPDATE_IN_PROGRESS', 'User Initiated')] },
      { status: 'UPDATE_IN_PROGRESS', events: [event('AppAutoScalingGroup', 'UPDATE_IN_PROGRESS', 'Requested update requires the creation of a new physical resource; hence creating one.')] },
      { status: 'UPDATE_IN_PROGRESS', events: [] },
      { status: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', events: [event('AppAutoScalingGroup', 'UPDATE_COMPLETE'), event(STACK, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS')] },
      { status: 'UPDATE_COMPLETE', events: [event('AppAutoScalingGroup', 'DELETE_COMPLETE'), event(STACK, 'UPDATE_COMPLETE')] },
    ]);
    const deps = makeDeps();
    const seen: string[] = [];
    const result = await executeChangeSetAndWait(input, deps, (events) => seen.push(...events.map((e) => e.status)));

    expect(cfn).toHaveReceivedCommandWith(ExecuteChangeSetCommand, { ChangeSetName: CHANGE_SET_ARN, StackName: STACK, ClientRequestToken: 'patch-1-1-x' });
    expect(result.stack.status).toBe('UPDATE_COMPLETE');
    expect(result.events.map((e) => `${e.logicalId}:${e.status}`)).toEqual([
      `${STACK}:UPDATE_IN_PROGRESS`,
      'AppAutoScalingGroup:UPDATE_IN_PROGRESS',
      'AppAutoScalingGroup:UPDATE_COMPLETE',
      `${STACK}:UPDATE_COMPLETE_CLEANUP_IN_PROGRESS`,
      'AppAutoScalingGroup:DELETE_COMPLETE',
      `${STACK}:UPDATE_COMPLETE`,
    ]);
    expect(seen).toHaveLength(6);
    const logged = deps.logger.entries.filter((e) => e.level === 'info' && / {2}(UPDATE|DELETE)_/.test(e.message));
    expect(logged).toHaveLength(6);
    expect(logged[1].message).toContain('AppAutoScalingGroup [AWS::AutoScaling::AutoScalingGroup]  UPDATE_IN_PROGRESS  Requested update requires');
    // One call pair per poll: DescribeStacks + DescribeStackEvents (plus the marker read before executing).
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 5);
    expect(cfn).toHaveReceivedCommandTimes(DescribeStackEventsCommand, 6);
  });

  it('rides out throttling while polling and still sees every event', async () => {
    script([
      { status: 'UPDATE_IN_PROGRESS', events: [event(STACK, 'UPDATE_IN_PROGRESS', 'User Initiated')] },
      'throttle',
      'throttle',
      'throttle',
      { status: 'UPDATE_COMPLETE', events: [event(STACK, 'UPDATE_COMPLETE')] },
    ]);
    const deps = makeDeps();
    const result = await executeChangeSetAndWait(input, deps);
    expect(result.stack.status).toBe('UPDATE_COMPLETE');
    expect(result.events).toHaveLength(2);
    expect(deps.logger.text()).toContain('failed transiently (Rate exceeded)');
    // While throttled, one call per 10 s (DEFAULT_POLL_SCHEDULE.throttleCapMs).
    expect(deps.clock.sleeps).toEqual([1_000, 10_000, 10_000, 10_000]);
  });

  it('returns a rolled-back stack (the caller judges it) with its events', async () => {
    script([
      { status: 'UPDATE_ROLLBACK_IN_PROGRESS', events: [event('AppAutoScalingGroup', 'UPDATE_FAILED', 'Received 0 SUCCESS signal(s) out of 2.')] },
      { status: 'UPDATE_ROLLBACK_COMPLETE', events: [event(STACK, 'UPDATE_ROLLBACK_COMPLETE')] },
    ]);
    const result = await executeChangeSetAndWait(input, makeDeps());
    expect(result.stack.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.events[0]).toMatchObject({ logicalId: 'AppAutoScalingGroup', status: 'UPDATE_FAILED' });
  });

  it('times out with the last status and at most one call pair per 5 s', async () => {
    script([{ status: 'UPDATE_IN_PROGRESS', events: [event(STACK, 'UPDATE_IN_PROGRESS', 'User Initiated')] }]);
    const deps = makeDeps();
    const error = await executeChangeSetAndWait({ ...input, timeoutMs: 10 * 60_000 }, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect((error as Error).message).toContain('last seen: UPDATE_IN_PROGRESS');
    const polls = cfn.commandCalls(DescribeStacksCommand).length;
    expect(polls).toBeLessThanOrEqual(10 * 60 / 5 + 4);
  });
});
