import { type CloudFormationClient, DescribeStackResourcesCommand, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';

import { isStackNotFoundError } from '../aws/errors';
import type { Deps } from '../deps';
import { AwsOperationError, InputError, PollTimeoutError } from '../errors';
import { poll } from '../poll';

type CfnDeps = Deps<{ cloudFormation: CloudFormationClient }>;

/** What the action needs to know about a stack at one moment. */
export interface StackSnapshot {
  stackName: string;
  stackId: string;
  status: string;
  statusReason?: string;
  /** Current parameter values (NoEcho ones read as "****"). */
  parameters: Record<string, string>;
  outputs: Record<string, string>;
  tags: Record<string, string>;
}

/** Turns the SDK's Stack into a snapshot with plain maps. */
export function toStackSnapshot(stack: Stack): StackSnapshot {
  const pairs = <T>(items: T[] | undefined, key: (t: T) => string | undefined, value: (t: T) => string | undefined) =>
    Object.fromEntries((items ?? []).flatMap((item) => (key(item) === undefined ? [] : [[key(item), value(item) ?? '']])));
  return {
    stackName: stack.StackName ?? '',
    stackId: stack.StackId ?? '',
    status: stack.StackStatus ?? 'UNKNOWN',
    statusReason: stack.StackStatusReason,
    parameters: pairs(stack.Parameters, (p) => p.ParameterKey, (p) => p.ParameterValue),
    outputs: pairs(stack.Outputs, (o) => o.OutputKey, (o) => o.OutputValue),
    tags: pairs(stack.Tags, (t) => t.Key, (t) => t.Value),
  };
}

/**
 * DescribeStacks for one stack; `undefined` when no stack of that name exists (or it was deleted).
 * `signal` (a poll's deadline) aborts the call and the SDK's retries inside it.
 */
export async function describeStack(stackName: string, deps: CfnDeps, signal?: AbortSignal): Promise<StackSnapshot | undefined> {
  try {
    const response = await deps.clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }), { abortSignal: signal });
    const stack = response.Stacks?.[0];
    return stack ? toStackSnapshot(stack) : undefined;
  } catch (error) {
    if (isStackNotFoundError(error)) return undefined;
    throw error;
  }
}

/**
 * How this action treats each stack status before an update:
 * - `ready`: an update may start.
 * - `busy`: another operation is running and will end by itself; wait for it (up to the timeout).
 * - `continue-rollback`: UPDATE_ROLLBACK_FAILED; only a human can decide which resources to skip.
 * - `not-updatable`: the stack never finished being created (or is being deleted); updating it is
 *   impossible, it must be deleted and created again.
 */
export type StackReadiness = 'ready' | 'busy' | 'continue-rollback' | 'not-updatable';

const READY = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);
// REVIEW_IN_PROGRESS ends in "_IN_PROGRESS" but never ends by itself: it is a stack that exists only
// because a CREATE change set was made and never executed. Waiting for it would burn the timeout.
// ROLLBACK_IN_PROGRESS and DELETE_IN_PROGRESS do end, but only in states that cannot be updated.
const NOT_UPDATABLE = new Set([
  'REVIEW_IN_PROGRESS',
  'CREATE_FAILED',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'DELETE_COMPLETE',
]);

export function classifyStackStatus(status: string): StackReadiness {
  if (READY.has(status)) return 'ready';
  if (NOT_UPDATABLE.has(status)) return 'not-updatable';
  if (status.endsWith('_IN_PROGRESS')) return 'busy';
  // UPDATE_ROLLBACK_FAILED, IMPORT_ROLLBACK_FAILED, and anything AWS adds later: a human decides.
  return 'continue-rollback';
}

/** Where the caller's files are, so refusals can print a command that works. */
export interface StackRefusalContext {
  parametersFile: string;
  templateFile?: string;
}

/**
 * The command that creates the stack from this repository's files (shown when it does not exist).
 * The service role is passed at creation because CloudFormation then uses it for every update,
 * which is what lets the GitHub deploy role hold no EC2/IAM permissions (docs/templates.md).
 */
export function createStackCommand(stackName: string, context: StackRefusalContext): string {
  const template = context.templateFile ?? 'templates/app.yaml';
  return (
    `aws cloudformation deploy --stack-name ${stackName} --template-file ${template} ` +
    `--parameter-overrides file://${context.parametersFile} --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM ` +
    `--role-arn <CloudFormationRoleArn output of the github-oidc stack>`
  );
}

export interface FailedResource {
  logicalId: string;
  reason?: string;
}

/** Resources left in UPDATE_FAILED by a rollback: the candidates for `--resources-to-skip`. */
export async function listFailedResources(stackName: string, deps: CfnDeps): Promise<FailedResource[]> {
  const response = await deps.clients.cloudFormation.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  return (response.StackResources ?? [])
    .filter((r) => r.ResourceStatus === 'UPDATE_FAILED' && r.LogicalResourceId)
    .map((r) => ({ logicalId: r.LogicalResourceId ?? '', reason: r.ResourceStatusReason }));
}

/**
 * How to get a stack out of UPDATE_ROLLBACK_FAILED. CloudFormation could not put some resources
 * back; only ContinueUpdateRollback gets the stack out, optionally skipping resources a person has
 * fixed by hand. This action never skips resources on its own: a skipped resource is marked rolled
 * back as it is, which is a decision for someone who has looked at it.
 */
export function continueRollbackAdvice(stackName: string, failed: FailedResource[]): string {
  const listed = failed.map((r) => `${r.logicalId}${r.reason ? ` (${r.reason})` : ''}`).join('; ');
  const skip = failed.length > 0 ? failed.map((r) => r.logicalId).join(' ') : '<LogicalId of each UPDATE_FAILED resource>';
  return (
    (failed.length > 0 ? `Resources that failed to roll back: ${listed}. ` : '') +
    `A person must finish the rollback: fix the cause, then run ` +
    `\`aws cloudformation continue-update-rollback --stack-name ${stackName}\`; for a resource that cannot be restored, ` +
    `fix it by hand and add \`--resources-to-skip ${skip}\`. Once the stack is UPDATE_ROLLBACK_COMPLETE, re-run this workflow`
  );
}

/**
 * Refuses to touch a stack that is not `ready` or `busy`, with the fix in the message. Busy stacks
 * are not refused here; `waitForStackReady` waits for them.
 */
async function refuse(snapshot: StackSnapshot, readiness: StackReadiness, context: StackRefusalContext, deps: CfnDeps): Promise<never> {
  const { stackName, status } = snapshot;
  if (readiness === 'continue-rollback') {
    const failed = status === 'UPDATE_ROLLBACK_FAILED' ? await listFailedResources(stackName, deps) : [];
    throw new AwsOperationError(
      `Update refused for stack ${stackName}: it is ${status}${snapshot.statusReason ? ` (${snapshot.statusReason})` : ''}, ` +
        `so a previous update could not be rolled back. ${continueRollbackAdvice(stackName, failed)}. Nothing was changed.`,
      stackName,
      status,
    );
  }
  throw new AwsOperationError(
    `Update refused for stack ${stackName}: it is ${status}${snapshot.statusReason ? ` (${snapshot.statusReason})` : ''}, ` +
      `so it was never created successfully (or is being deleted) and cannot be updated. This action updates an existing stack: ` +
      `look at the stack's events for why creation failed, delete it with \`aws cloudformation delete-stack --stack-name ${stackName}\`, ` +
      `then create it with \`${createStackCommand(stackName, context)}\` (docs/templates.md shows the whole bootstrap). Nothing was changed.`,
    stackName,
    status,
  );
}

export interface WaitForStackReadyInput extends StackRefusalContext {
  stackName: string;
  timeoutMs: number;
}

/**
 * Reads the stack and returns it once an update may start. A busy stack (another deployment, a
 * rollback in progress) is polled until it settles or `timeoutMs` passes; a stack that needs a
 * person, or does not exist, is refused at once with the command that fixes it. Read-only.
 */
export async function waitForStackReady(input: WaitForStackReadyInput, deps: CfnDeps): Promise<StackSnapshot> {
  const { stackName } = input;
  const missing = (): never => {
    throw new InputError(
      `Update refused for stack ${stackName}: no stack of that name exists in this account and region. ` +
        `This action updates an existing stack; check stack-name and region, or create the stack first with ` +
        `\`${createStackCommand(stackName, input)}\` (docs/templates.md shows the whole bootstrap). Nothing was changed.`,
    );
  };

  let snapshot = (await describeStack(stackName, deps)) ?? missing();
  if (classifyStackStatus(snapshot.status) === 'busy') {
    deps.logger.info(`Stack ${stackName} is ${snapshot.status}: another operation is running; waiting for it to finish.`);
    try {
      const result = await poll<StackSnapshot | undefined>({
        description: `stack ${stackName} to finish its current operation`,
        check: (signal) => describeStack(stackName, deps, signal),
        isDone: (s) => s === undefined || classifyStackStatus(s.status) !== 'busy',
        clock: deps.clock,
        timeoutMs: input.timeoutMs,
        progressKey: (s) => s?.status ?? 'MISSING',
        describe: (s) => s?.status ?? 'MISSING',
        onChange: (s, previous) => previous && deps.logger.info(`Stack ${stackName}: ${previous.status} → ${s?.status ?? 'deleted'}`),
        onTransientError: (error, delay) => deps.logger.debug(`DescribeStacks failed transiently (${String(error)}); next try in ${delay} ms`),
      });
      snapshot = result.observation ?? missing();
    } catch (error) {
      if (!(error instanceof PollTimeoutError)) throw error;
      const last = (error.lastObservation as StackSnapshot | undefined)?.status ?? snapshot.status;
      throw new PollTimeoutError(
        `Update refused for stack ${stackName}: it stayed busy (${last}) for ${Math.round(error.elapsedMs / 60_000)} min, ` +
          `so another deployment or rollback is still running. Wait for it to finish (watch the stack's events), then re-run; ` +
          `or raise timeout-minutes. Nothing was changed.`,
        error.lastObservation,
        error.elapsedMs,
      );
    }
  }

  const readiness = classifyStackStatus(snapshot.status);
  if (readiness !== 'ready') await refuse(snapshot, readiness, input, deps);
  return snapshot;
}
