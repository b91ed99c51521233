import { type CloudFormationClient, ExecuteChangeSetCommand } from '@aws-sdk/client-cloudformation';

import type { Deps } from '../deps';
import { AwsOperationError, errorMessage } from '../errors';
import { poll } from '../poll';
import { formatStackEvent, readNewestStackEventId, readStackEventsSince, type StackEventRecord } from './stack-events';
import { describeStack, type StackSnapshot } from './stack-state';

type CfnDeps = Deps<{ cloudFormation: CloudFormationClient }>;

export interface ExecuteChangeSetInput {
  stackName: string;
  changeSetId: string;
  /** Makes the SDK's own retry of ExecuteChangeSet idempotent, and tags the events it causes. */
  clientRequestToken: string;
  timeoutMs: number;
  /**
   * Asked on each poll while the stack is still changing; true stops following it (the operation
   * carries on) with `paused` set. The replace strategy's window verification pauses once green's
   * group is in service.
   */
  pauseWhen?: PauseWhen;
}

export type PauseWhen = (stack: StackSnapshot, signal: AbortSignal) => Promise<boolean>;

export interface FollowInput {
  stackName: string;
  /** The newest event already seen: only later ones belong to this operation. */
  marker: string | undefined;
  timeoutMs: number;
  pauseWhen?: PauseWhen;
}

export interface StackOperationObservation {
  stack: StackSnapshot | undefined;
}

export interface ExecutionResult {
  /** The stack after the operation ended (or at the deadline, if it did not). */
  stack: StackSnapshot;
  /** Every event of this operation seen so far, oldest first. */
  events: StackEventRecord[];
  /** True when `pauseWhen` stopped the following before the operation ended. */
  paused: boolean;
  /** The newest event seen, to follow on from. */
  marker: string | undefined;
}

/** The stack is still changing: UPDATE_IN_PROGRESS, UPDATE_ROLLBACK_IN_PROGRESS, cleanups. */
export function isStackOperationRunning(status: string): boolean {
  return status.endsWith('_IN_PROGRESS');
}

/**
 * Executes the change set and follows the update to its end in ONE poll loop: each poll is one
 * DescribeStacks (the status, the truth) then one DescribeStackEvents (what happened since the
 * last poll, logged as it arrives). Reading the status first means the events read after it
 * include everything that led to it. The poll schedule (1 s, 2 s, 4 s, then every 5 s) notices
 * the end within 5 s and keeps a long update at one call pair per 5 s.
 *
 * Returns at any terminal status; the caller judges success. At the deadline it throws
 * PollTimeoutError with the last status; `onEvents` has by then received every event seen.
 */
export async function executeChangeSetAndWait(
  input: ExecuteChangeSetInput,
  deps: CfnDeps,
  onEvents: (events: StackEventRecord[]) => void = () => {},
): Promise<ExecutionResult> {
  const { stackName } = input;
  // The marker separates this operation's events from the stack's history.
  const marker = await readNewestStackEventId(stackName, deps);
  await deps.clients.cloudFormation.send(
    new ExecuteChangeSetCommand({ ChangeSetName: input.changeSetId, StackName: stackName, ClientRequestToken: input.clientRequestToken }),
  );
  deps.logger.info(`Executing change set on ${stackName}; following its events.`);
  return followStackOperation({ stackName, marker, timeoutMs: input.timeoutMs, pauseWhen: input.pauseWhen }, deps, onEvents);
}

/**
 * Follows a stack operation already under way (an executed change set, a cancelled update) to its
 * end, or until `pauseWhen` says stop: the poll loop described above.
 */
export async function followStackOperation(input: FollowInput, deps: CfnDeps, onEvents: (events: StackEventRecord[]) => void = () => {}): Promise<ExecutionResult> {
  const { stackName, pauseWhen } = input;
  let marker = input.marker;
  const events: StackEventRecord[] = [];
  const { observation } = await poll<StackOperationObservation & { paused: boolean }>({
    description: `stack ${stackName} to finish updating`,
    check: async (signal) => {
      const stack = await describeStack(stackName, deps, signal);
      const fresh = await readStackEventsSince(stackName, marker, deps, signal);
      if (fresh.length > 0) {
        marker = fresh[fresh.length - 1].id;
        events.push(...fresh);
        for (const event of fresh) deps.logger.info(formatStackEvent(event));
        onEvents(fresh);
      }
      const paused = stack !== undefined && isStackOperationRunning(stack.status) && pauseWhen !== undefined && (await pauseWhen(stack, signal));
      return { stack, paused };
    },
    isDone: ({ stack, paused }) => paused || stack === undefined || !isStackOperationRunning(stack.status),
    clock: deps.clock,
    timeoutMs: input.timeoutMs,
    progressKey: ({ stack }) => stack?.status ?? 'MISSING',
    describe: ({ stack }) => stack?.status ?? 'stack not found',
    onTransientError: (error, delay) => deps.logger.info(`Reading stack ${stackName} failed transiently (${errorMessage(error)}); retrying in ${Math.round(delay / 1000)} s.`),
  });

  if (!observation.stack) {
    // Only a concurrent delete-stack gets here.
    throw new AwsOperationError(
      `Update of stack ${stackName} failed: the stack disappeared while it was being updated. Someone deleted it; recreate it and re-run.`,
      stackName,
      'DELETE_COMPLETE',
    );
  }
  return { stack: observation.stack, events, paused: observation.paused, marker };
}
