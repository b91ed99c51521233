import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';

import { isNoAnswerError } from '../aws/errors';
import { classifyStackStatus, describeStack, type StackSnapshot } from '../cloudformation/stack-state';
import type { Deps } from '../deps';
import { AwsOperationError, errorMessage, PollTimeoutError } from '../errors';
import { DEFAULT_POLL_SCHEDULE, poll } from '../poll';
import { AMI_PARAMETER, liveAmiIn } from '../parameters';

/** The AMI an app stack runs once it has settled, and the status it settled in. */
export interface DeployedAmi {
  stackName: string;
  amiId: string;
  status: string;
  /** Every parameter of the settled stack (in the slots shape: the live slot and each slot's state). */
  parameters: Readonly<Record<string, string>>;
  /** True when the last update was rolled back (the stack runs what it ran before). */
  rolledBack: boolean;
}

/**
 * The AMI the app stack really runs (its `AmazonMachineImage`, or its live slot's AMI) once the stack is in a
 * settled state. A stack still busy (a rollback in progress, an update the workflow stopped
 * waiting for) is polled until it settles, because recording what it runs *now* would record a
 * value about to change. A stack that needs a person (UPDATE_ROLLBACK_FAILED) runs something
 * nobody can name from the API, so nothing is recorded and the error says so.
 *
 * After UPDATE_ROLLBACK_COMPLETE, DescribeStacks reports the parameters the stack was rolled back
 * to, which is what the instances run.
 */
export async function readDeployedAmi(stackName: string, timeoutMs: number, deps: Deps<{ cloudFormation: CloudFormationClient }>): Promise<DeployedAmi> {
  let snapshot: StackSnapshot | undefined;
  let lastError: unknown;
  try {
    const result = await poll<StackSnapshot | undefined>({
      description: `stack ${stackName} to settle before its AMI is recorded in git`,
      check: (signal) => describeStack(stackName, deps, signal),
      isDone: (s) => s === undefined || classifyStackStatus(s.status) !== 'busy',
      clock: deps.clock,
      timeoutMs,
      progressKey: (s) => s?.status ?? 'MISSING',
      describe: (s) => s?.status ?? 'MISSING',
      onChange: (s, previous) => deps.logger.info(`Stack ${stackName}: ${previous ? `${previous.status} → ` : ''}${s?.status ?? 'does not exist'}`),
      onTransientError: (e) => (lastError = e),
    });
    snapshot = result.observation;
  } catch (error) {
    if (isNoAnswerError(error)) {
      // poll() gave up on a dead endpoint: several polls in a row got no answer at all.
      throw new AwsOperationError(
        `Git not updated for stack ${stackName}: CloudFormation stopped answering (${DEFAULT_POLL_SCHEDULE.maxFailedPolls} polls in a row failed; last error: ${errorMessage(error)}), ` +
          'so what it runs could not be read. Re-run the failed deploy job once AWS answers so git records what runs.',
        stackName,
      );
    }
    if (!(error instanceof PollTimeoutError)) throw error;
    if (error.lastObservation === undefined) {
      // Not one answer in the whole wait: CloudFormation could not be reached (the last transient
      // error says how). Nothing is known about the stack, busy or not.
      throw new PollTimeoutError(
        `Git not updated for stack ${stackName}: CloudFormation did not answer for ${Math.round(error.elapsedMs / 60_000)} min, so what it runs could not be read ` +
          `(last error: ${errorMessage(lastError)}). Re-run the failed deploy job once AWS answers so git records what runs.`,
        undefined,
        error.elapsedMs,
      );
    }
    throw new PollTimeoutError(
      `Git not updated for stack ${stackName}: it is still ${(error.lastObservation as StackSnapshot | undefined)?.status ?? 'busy'} after ` +
        `${Math.round(error.elapsedMs / 60_000)} min, so what it will run is not known yet. Watch the stack's events; once it settles, ` +
        're-run the failed deploy job so git records what runs.',
      error.lastObservation,
      error.elapsedMs,
    );
  }
  if (!snapshot) {
    throw new AwsOperationError(`Git not updated for stack ${stackName}: the stack does not exist. Check the stack name in parameters/environments.json.`, stackName);
  }
  const readiness = classifyStackStatus(snapshot.status);
  const amiId = liveAmiIn(snapshot.parameters);
  if (readiness !== 'ready' || !amiId) {
    throw new AwsOperationError(
      `Git not updated for stack ${stackName}: it is ${snapshot.status}${snapshot.statusReason ? ` (${snapshot.statusReason})` : ''}` +
        `${amiId ? '' : ` and has no ${AMI_PARAMETER} parameter`}, so which AMI runs cannot be read from CloudFormation. ` +
        'Finish or repair the stack by hand (see the update-app-stack step for the exact command), then record the AMI with the Failback workflow.',
      stackName,
      snapshot.status,
    );
  }
  return { stackName, amiId, status: snapshot.status, parameters: snapshot.parameters, rolledBack: snapshot.status === 'UPDATE_ROLLBACK_COMPLETE' };
}
