import {
  type Change,
  type CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetOutput,
  type Parameter,
  type RollbackConfiguration,
  type Tag,
} from '@aws-sdk/client-cloudformation';

import { isNoChangesError, isValidationError } from '../aws/errors';
import type { Deps } from '../deps';
import { AwsOperationError, errorMessage } from '../errors';
import { poll } from '../poll';

type CfnDeps = Deps<{ cloudFormation: CloudFormationClient }>;

export interface ChangeSetRequest {
  stackName: string;
  changeSetName: string;
  description: string;
  /** The template to deploy, inline or uploaded (template-source.ts); neither keeps the deployed one (UsePreviousTemplate). */
  templateBody?: string;
  templateUrl?: string;
  parameters: Parameter[];
  /** Undefined leaves the stack's tags as they are. */
  tags?: Tag[];
  rollbackConfiguration?: RollbackConfiguration;
}

/**
 * Change set names must start with a letter and hold only letters, digits and hyphens (max 128).
 * The run id and attempt make a re-run's change set distinct from the first try's (a FAILED or
 * leftover one never blocks the next), and the timestamp separates local runs with no run id.
 */
export function changeSetName(runId: string | undefined, runAttempt: string | undefined, nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const safe = (s: string) => s.replace(/[^A-Za-z0-9-]/g, '-');
  return ['patch', safe(runId ?? 'local'), safe(runAttempt ?? '1'), stamp].join('-').slice(0, 128);
}

/** TemplateURL for an uploaded template, TemplateBody for an inline one, else the deployed one. */
function templateOf(request: ChangeSetRequest): { TemplateURL: string } | { TemplateBody: string } | { UsePreviousTemplate: true } {
  if (request.templateUrl !== undefined) return { TemplateURL: request.templateUrl };
  if (request.templateBody !== undefined) return { TemplateBody: request.templateBody };
  return { UsePreviousTemplate: true };
}

export type CreateChangeSetResult = { kind: 'created'; changeSetId: string } | { kind: 'no-changes'; reason: string };

/**
 * CreateChangeSet for an update of an existing stack. `ChangeSetType: 'UPDATE'` is always sent:
 * AWS defaults to it, but moto defaults to CREATE and silently makes a second stack of the same
 * name (docs/moto.md #7). Some endpoints answer "No updates are to be performed"
 * on the call itself rather than with a FAILED change set; both mean "nothing to do".
 */
export async function createChangeSet(request: ChangeSetRequest, deps: CfnDeps): Promise<CreateChangeSetResult> {
  try {
    const response = await deps.clients.cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: request.stackName,
        ChangeSetName: request.changeSetName,
        ChangeSetType: 'UPDATE',
        Description: request.description.slice(0, 1024),
        ...templateOf(request),
        Parameters: request.parameters,
        Tags: request.tags,
        // The app template creates IAM roles with fixed names, which needs NAMED_IAM; nothing else.
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
        RollbackConfiguration: request.rollbackConfiguration,
      }),
    );
    if (!response.Id) throw new AwsOperationError(`CreateChangeSet for ${request.stackName} returned no change set id.`, request.stackName);
    return { kind: 'created', changeSetId: response.Id };
  } catch (error) {
    if (isNoChangesError(error)) return { kind: 'no-changes', reason: errorMessage(error) };
    if (isValidationError(error)) {
      throw new AwsOperationError(
        `Change set for stack ${request.stackName} could not be created: ${errorMessage(error).replace(/\.$/, '')}. ` +
          `Fix the template or parameters file it names and re-run; the stack was not changed.`,
        request.stackName,
        'ValidationError',
      );
    }
    throw error;
  }
}

export type ChangeSetOutcome =
  | { kind: 'ready'; changes: Change[]; executionStatus: string }
  | { kind: 'no-changes'; reason: string };

const CHANGE_SET_PENDING = new Set(['CREATE_PENDING', 'CREATE_IN_PROGRESS']);

/** Every page of a change set's Changes (DescribeChangeSet pages them). */
async function readAllChanges(first: DescribeChangeSetOutput, changeSetId: string, deps: CfnDeps): Promise<Change[]> {
  const changes = [...(first.Changes ?? [])];
  let token = first.NextToken;
  while (token) {
    const page = await deps.clients.cloudFormation.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetId, NextToken: token }));
    changes.push(...(page.Changes ?? []));
    token = page.NextToken;
  }
  return changes;
}

/**
 * Waits until the change set is computed. CREATE_COMPLETE returns its changes; FAILED because
 * nothing would change is "no changes"; FAILED for any other reason (a bad parameter value, a
 * missing capability, an export in use) is an AwsOperationError carrying CloudFormation's reason.
 */
export async function waitForChangeSet(
  input: { stackName: string; changeSetId: string; timeoutMs: number },
  deps: CfnDeps,
): Promise<ChangeSetOutcome> {
  const { observation } = await poll<DescribeChangeSetOutput>({
    description: `change set for stack ${input.stackName} to be created`,
    check: (signal) => deps.clients.cloudFormation.send(new DescribeChangeSetCommand({ ChangeSetName: input.changeSetId }), { abortSignal: signal }),
    isDone: (cs) => !CHANGE_SET_PENDING.has(cs.Status ?? ''),
    clock: deps.clock,
    timeoutMs: input.timeoutMs,
    progressKey: (cs) => cs.Status ?? '',
    describe: (cs) => `${cs.Status ?? 'unknown'}${cs.StatusReason ? ` (${cs.StatusReason})` : ''}`,
    onChange: (cs) => deps.logger.debug(`Change set ${input.changeSetId}: ${cs.Status ?? 'unknown'}`),
    onTransientError: (error, delay) => deps.logger.debug(`DescribeChangeSet failed transiently (${errorMessage(error)}); next try in ${delay} ms`),
  });

  if (observation.Status === 'CREATE_COMPLETE') {
    return {
      kind: 'ready',
      changes: await readAllChanges(observation, input.changeSetId, deps),
      executionStatus: observation.ExecutionStatus ?? 'UNAVAILABLE',
    };
  }
  const reason = observation.StatusReason ?? 'no reason given';
  if (observation.Status === 'FAILED' && isNoChangesError(reason)) return { kind: 'no-changes', reason };
  throw new AwsOperationError(
    `Change set for stack ${input.stackName} failed: ${observation.Status ?? 'unknown status'} (${reason}). ` +
      `Fix the template or parameters file it names and re-run; the stack was not changed.`,
    input.stackName,
    observation.Status,
  );
}

/**
 * Deletes a change set that will not be executed (preview, no changes, failed), so the stack's
 * change set list holds only what someone might still act on. Best effort: a failure here is
 * logged, not raised, because the outcome of the run does not depend on it.
 */
export async function deleteChangeSet(input: { stackName: string; changeSetId: string }, deps: CfnDeps): Promise<boolean> {
  try {
    await deps.clients.cloudFormation.send(new DeleteChangeSetCommand({ ChangeSetName: input.changeSetId, StackName: input.stackName }));
    deps.logger.debug(`Deleted change set ${input.changeSetId}`);
    return true;
  } catch (error) {
    deps.logger.warning(`Could not delete change set ${input.changeSetId} of stack ${input.stackName}: ${errorMessage(error)}. Delete it in the console; it changes nothing by itself.`);
    return false;
  }
}
