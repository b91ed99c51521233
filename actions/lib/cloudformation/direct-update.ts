/**
 * A weight-only update sent straight to UpdateStack, without a change set: the slots steps that
 * move only traffic (the canary weights, the switch, a flip back, a failback inside the bake
 * window). A change set is worth its create-wait-execute round trip where someone reads the
 * preview (a new AMI, any template change); a weight change of the template the stack already runs
 * has nothing to preview but the parameter diff, which update-app-stack logs either way. What the
 * change set path gives that matters is kept:
 *   - the template: UsePreviousTemplate, and only when the deployed template is the one in the
 *     repository (isSameTemplate), so this path can never change a template;
 *   - the rollback triggers: UpdateStack takes the same RollbackConfiguration;
 *   - idempotent retries: a ClientRequestToken, re-sent unchanged when UpdateStack's answer is
 *     lost, so CloudFormation runs the update once (sendUpdateStack);
 *   - the stack policy: CloudFormation applies it to UpdateStack as to an executed change set
 *     (no StackPolicyDuringUpdate is ever sent, so it cannot be loosened here);
 *   - the same event following and outcome judging (followStackOperation, then update-app-stack's
 *     deploy), and a last check that the stack holds the values asked for.
 */
import { type CloudFormationClient, type Parameter, type RollbackConfiguration, type Tag, UpdateStackCommand } from '@aws-sdk/client-cloudformation';

import { parseCfnTemplate } from '../cfn-yaml';
import type { Deps } from '../deps';
import { isNoChangesError, isTransientError, isValidationError } from '../aws/errors';
import { AwsOperationError, errorMessage } from '../errors';
import { followStackOperation, type ExecutionResult } from './execute-change-set';
import { readNewestStackEventId, type StackEventRecord } from './stack-events';

type CfnDeps = Deps<{ cloudFormation: CloudFormationClient }>;

/**
 * True when the template the stack runs is the repository's, compared as CloudFormation reads
 * them (parsed: comments, layout and JSON re-serialisation do not count).
 */
export function isSameTemplate(deployed: string, local: string, localFile: string): boolean {
  try {
    return JSON.stringify(parseCfnTemplate(deployed, 'the deployed template')) === JSON.stringify(parseCfnTemplate(local, localFile));
  } catch {
    // A deployed body this parser cannot read is not known to be the same.
    return false;
  }
}

/**
 * The parameter keys that change, when every one of them is allowed to change without a change
 * set (the slots template's weights and LiveSlot); undefined when any other key changes or none does.
 */
export function weightOnlyChanges(changedKeys: readonly string[], weightKeys: readonly string[] | undefined): string[] | undefined {
  if (!weightKeys || changedKeys.length === 0) return undefined;
  return changedKeys.every((key) => weightKeys.includes(key)) ? [...changedKeys] : undefined;
}

/**
 * A request token for one UpdateStack: letters, digits and hyphens, starting with a letter, ≤ 128
 * (CloudFormation's pattern). Run, attempt and the millisecond make each step's token its own (two
 * steps never share one), while a re-send of the same step keeps it.
 */
export function directUpdateToken(run: { id?: string; attempt?: string }, nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:.]/g, '');
  const safe = (s: string) => s.replace(/[^A-Za-z0-9-]/g, '-');
  return ['weights', safe(run.id ?? 'local'), safe(run.attempt ?? '1'), stamp].join('-').slice(0, 128);
}

export interface DirectUpdateInput {
  stackName: string;
  parameters: Parameter[];
  tags?: Tag[];
  rollbackConfiguration?: RollbackConfiguration;
  clientRequestToken: string;
  timeoutMs: number;
}

/** How often UpdateStack is re-sent, with the same token, when no answer came back. */
const SEND_ATTEMPTS = 4;
const SEND_BACKOFF_MS = 1_000;

export type DirectUpdateStart = { kind: 'started' } | { kind: 'no-changes'; reason: string };

/**
 * Sends UpdateStack, re-sending it with the same ClientRequestToken while no answer comes back
 * (a 5xx, throttling, a connection lost on the way): CloudFormation recognises the token and does
 * not start a second update. On a re-send, an answer that the stack is already being updated
 * (ours, received the first time) or that nothing changes (ours already finished) means the
 * first send got through: the caller follows the stack and checks its values.
 */
export async function sendUpdateStack(input: DirectUpdateInput, deps: CfnDeps): Promise<DirectUpdateStart> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await deps.clients.cloudFormation.send(
        new UpdateStackCommand({
          StackName: input.stackName,
          UsePreviousTemplate: true,
          Parameters: input.parameters,
          Tags: input.tags,
          // The same capabilities as the change set path: the app template names its IAM roles.
          Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
          RollbackConfiguration: input.rollbackConfiguration,
          ClientRequestToken: input.clientRequestToken,
        }),
      );
      return { kind: 'started' };
    } catch (error) {
      const resent = attempt > 1;
      if (isTokenAlreadyUsed(error) || (resent && (isUpdateInProgressError(error) || isNoChangesError(error)))) {
        deps.logger.info(`UpdateStack of ${input.stackName}: CloudFormation already has request ${input.clientRequestToken} (${errorMessage(error)}); following it.`);
        return { kind: 'started' };
      }
      if (isNoChangesError(error)) return { kind: 'no-changes', reason: errorMessage(error) };
      if (isTransientError(error) && attempt < SEND_ATTEMPTS) {
        const delay = SEND_BACKOFF_MS * 2 ** (attempt - 1);
        deps.logger.info(`UpdateStack of ${input.stackName} got no answer (${errorMessage(error)}); sending it again with the same request token in ${delay / 1000} s.`);
        await deps.clock.sleep(delay);
        continue;
      }
      if (isValidationError(error)) {
        throw new AwsOperationError(
          `Weight update of stack ${input.stackName} refused: ${errorMessage(error).replace(/\.$/, '')}. The stack was not changed; fix what it names and re-run.`,
          input.stackName,
          'ValidationError',
        );
      }
      throw error;
    }
  }
}

/** Sends the update and follows it to its end, as an executed change set is followed. */
export async function updateStackAndWait(
  input: DirectUpdateInput,
  deps: CfnDeps,
  onEvents: (events: StackEventRecord[]) => void = () => {},
): Promise<{ kind: 'no-changes'; reason: string } | { kind: 'followed'; execution: ExecutionResult }> {
  const marker = await readNewestStackEventId(input.stackName, deps);
  const started = await sendUpdateStack(input, deps);
  if (started.kind === 'no-changes') return started;
  deps.logger.info(`Updating ${input.stackName} (UpdateStack, the deployed template, request ${input.clientRequestToken}); following its events.`);
  return { kind: 'followed', execution: await followStackOperation({ stackName: input.stackName, marker, timeoutMs: input.timeoutMs }, deps, onEvents) };
}

/** The keys of `wanted` whose value the stack does not hold: empty when it holds them all. */
export function valuesNotHeld(wanted: Readonly<Record<string, string>>, stack: Readonly<Record<string, string>>): string[] {
  return Object.keys(wanted).filter((key) => stack[key] !== wanted[key]);
}

function isTokenAlreadyUsed(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'TokenAlreadyExistsException';
}

/** "Stack:… is in UPDATE_IN_PROGRESS state and can not be updated." */
function isUpdateInProgressError(error: unknown): boolean {
  return isValidationError(error) && /_IN_PROGRESS state and can ?not be updated/i.test(errorMessage(error));
}
