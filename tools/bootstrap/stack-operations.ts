/**
 * Creating, updating and deleting one stack with the user's credentials, followed to its end with
 * the project's one poll loop, its events logged as they arrive, and a failure that names the
 * stack, the failing resource and the fix. Updates go through change sets (change-set.ts), as the
 * actions do.
 */
import { CreateStackCommand, DeleteStackCommand, type CloudFormationClient, type Tag } from '@aws-sdk/client-cloudformation';

import { isValidationError } from '../../actions/lib/aws/errors';
import { executeChangeSetAndWait, isStackOperationRunning } from '../../actions/lib/cloudformation/execute-change-set';
import { findRootCause, formatStackEvent, readNewestStackEventId, readStackEventsSince, type StackEventRecord } from '../../actions/lib/cloudformation/stack-events';
import { describeStack, type StackSnapshot } from '../../actions/lib/cloudformation/stack-state';
import type { TemplateSource } from '../../actions/lib/cloudformation/template-source';
import type { Deps } from './deps';
import { AwsOperationError, errorMessage } from '../../actions/lib/errors';
import { poll } from '../../actions/lib/poll';

export type CfnDeps = Deps<{ cloudFormation: CloudFormationClient }>;

/** Stacks take minutes (the app's CreationPolicy waits up to SignalTimeout, 10 min by default). */
export const STACK_OPERATION_TIMEOUT_MS = 45 * 60_000;

/** The resume hint every failure ends with. */
export type RerunHint = string;

/** Follows a stack's current operation until it is no longer *_IN_PROGRESS; logs each new event. */
export async function followStackOperation(
  stackName: string,
  marker: string | undefined,
  description: string,
  deps: CfnDeps,
): Promise<{ stack: StackSnapshot | undefined; events: StackEventRecord[] }> {
  const events: StackEventRecord[] = [];
  let last = marker;
  const { observation } = await poll<StackSnapshot | undefined>({
    description: `stack ${stackName} to ${description}`,
    check: async () => {
      const stack = await describeStack(stackName, deps);
      const fresh = stack ? await readStackEventsSince(stack.stackId || stackName, last, deps) : [];
      if (fresh.length > 0) {
        last = fresh[fresh.length - 1].id;
        events.push(...fresh);
        for (const event of fresh) deps.logger.info(`  ${formatStackEvent(event)}`);
      }
      return stack;
    },
    isDone: (stack) => stack === undefined || !isStackOperationRunning(stack.status),
    clock: deps.clock,
    timeoutMs: STACK_OPERATION_TIMEOUT_MS,
    progressKey: (stack) => stack?.status ?? 'MISSING',
    describe: (stack) => stack?.status ?? 'no such stack',
  });
  return { stack: observation, events };
}

/** The failure of a stack operation, with the first failing resource and what to do. */
export function stackFailure(input: { stackName: string; template: string; status: string; statusReason?: string; events: StackEventRecord[]; rerun: RerunHint }): AwsOperationError {
  const cause = findRootCause(input.events);
  const why = cause
    ? `${cause.logicalId} (${cause.resourceType}) ${cause.status}: ${cause.reason}`
    : `${input.status}${input.statusReason ? ` (${input.statusReason})` : ''}`;
  return new AwsOperationError(
    `Stack ${input.stackName} (${input.template}) ended ${input.status}: ${why}. ` +
      `Fix the cause${cause ? ` of ${cause.logicalId}` : ''} (the template, its parameters, a quota or a permission), then ${input.rerun}: ` +
      'stacks already complete are kept and the run continues from this one.',
    input.stackName,
    input.status,
  );
}

export interface CreateStackRequest {
  stackName: string;
  template: string;
  /** Inline, or uploaded to S3 (template-source.ts). */
  source: TemplateSource;
  parameters: Record<string, string>;
  tags: Tag[];
  /** The service role CloudFormation uses for this stack from now on (the app stack). */
  roleArn?: string;
}

/**
 * CreateStack and follow it. OnFailure=ROLLBACK (the default) leaves a failed stack in
 * ROLLBACK_COMPLETE, which the next run deletes and creates again (plan.ts: "recreate").
 * moto creates synchronously and reports a failing resource as an error of the call itself,
 * which is reported the same way.
 */
export async function createStackAndWait(request: CreateStackRequest, rerun: RerunHint, deps: CfnDeps): Promise<StackSnapshot> {
  try {
    await deps.clients.cloudFormation.send(
      new CreateStackCommand({
        StackName: request.stackName,
        ...(request.source.templateUrl !== undefined ? { TemplateURL: request.source.templateUrl } : { TemplateBody: request.source.templateBody }),
        Parameters: Object.entries(request.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
        Tags: request.tags,
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
        RoleARN: request.roleArn || undefined,
      }),
    );
  } catch (error) {
    // CloudFormation refuses a bad template or parameter here (ValidationError); moto also reports a
    // failing resource here (e.g. InvalidAMIID.NotFound). Either way: nothing usable was created.
    throw new AwsOperationError(
      `Stack ${request.stackName} (${request.template}) could not be created: ${errorMessage(error).replace(/\.$/, '')}. ` +
        `Fix the template or the parameter it names, then ${rerun}: stacks already complete are kept.`,
      request.stackName,
      isValidationError(error) ? 'ValidationError' : error instanceof Error ? error.name : 'Error',
    );
  }
  deps.logger.info(`Creating ${request.stackName} from ${request.template}…`);
  const { stack, events } = await followStackOperation(request.stackName, undefined, 'be created', deps);
  if (stack?.status !== 'CREATE_COMPLETE') {
    throw stackFailure({ stackName: request.stackName, template: request.template, status: stack?.status ?? 'DELETED', statusReason: stack?.statusReason, events, rerun });
  }
  return stack;
}

/** Executes a change set made by the plan and follows the update; failure names the root cause. */
export async function executeAndWait(
  request: { stackName: string; template: string; changeSetId: string; clientRequestToken: string },
  rerun: RerunHint,
  deps: CfnDeps,
): Promise<StackSnapshot> {
  const { stack, events } = await executeChangeSetAndWait(
    { stackName: request.stackName, changeSetId: request.changeSetId, clientRequestToken: request.clientRequestToken, timeoutMs: STACK_OPERATION_TIMEOUT_MS },
    deps,
  );
  if (stack.status !== 'UPDATE_COMPLETE') {
    throw stackFailure({ stackName: request.stackName, template: request.template, status: stack.status, statusReason: stack.statusReason, events, rerun });
  }
  return stack;
}

/**
 * DeleteStack and wait until it is gone. DELETE_FAILED (a resource CloudFormation could not
 * delete, e.g. a non-empty bucket without Retain) names that resource.
 */
export async function deleteStackAndWait(request: { stackName: string; template: string }, rerun: RerunHint, deps: CfnDeps): Promise<void> {
  const before = await describeStack(request.stackName, deps);
  if (!before) return;
  const marker = await readNewestStackEventId(before.stackId, deps);
  try {
    await deps.clients.cloudFormation.send(new DeleteStackCommand({ StackName: before.stackId }));
  } catch (error) {
    // moto deletes synchronously and reports a resource it cannot delete as an error of the call.
    throw new AwsOperationError(
      `Deleting stack ${request.stackName} (${request.template}) failed: ${errorMessage(error).replace(/\.$/, '')}. ` +
        `Remove what still depends on it (the error names it), then ${rerun}: stacks already deleted stay deleted.`,
      request.stackName,
      error instanceof Error ? error.name : 'Error',
    );
  }
  deps.logger.info(`Deleting ${request.stackName}…`);
  const { stack, events } = await followStackOperation(before.stackId, marker, 'be deleted', deps);
  if (stack && stack.status !== 'DELETE_COMPLETE') {
    throw stackFailure({ stackName: request.stackName, template: request.template, status: stack.status, statusReason: stack.statusReason, events, rerun });
  }
}
