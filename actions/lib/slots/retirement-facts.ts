/**
 * The facts the end of a bake window is decided on (slots/retirement.ts), read-only:
 *
 * - git: the parameters file at HEAD (never the working tree, which an earlier step may have
 *   rewritten) and the newest commit that changed the AMI users are on, with its metadata;
 * - AWS: the stack's status and parameters, when its last update completed (the newest
 *   CREATE_COMPLETE/UPDATE_COMPLETE event of the stack itself: CloudFormation's timestamp, so the
 *   window is measured on AWS's clock, not the runner's), and the alarms its outputs name, with
 *   their state and every transition into ALARM since then (the promotion soak's reader).
 */
import { DescribeStackEventsCommand, DescribeStacksCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';

import type { AwsTime } from '../aws/aws-clock';
import { isStackNotFoundError } from '../aws/errors';
import { alarmOutputsOf } from '../cloudformation/rollback-triggers';
import type { Deps } from '../deps';
import { readAmiHistory } from '../gitops/ami-history';
import type { GitRepository } from '../gitops/git';
import { parseParametersFile, type EnvironmentConfig } from '../parameters';
import { alarmNameOf, readAlarmFacts } from '../promotion/soak-evidence';
import type { RetirementFacts, RetirementStack } from './retirement';

export interface RetirementDeps extends Deps<{ cloudFormation: CloudFormationClient; cloudWatch: CloudWatchClient; awsClock: AwsTime }> {
  git: GitRepository;
}

/** The stack's own events that end an operation it is settled on. */
const SETTLING_EVENTS: ReadonlySet<string> = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE']);

/**
 * Reads git first (no AWS call when HEAD has no such file), then the stack, then its alarms since
 * the switch. `abortSignal` (the bake wait's deadline, poll.ts) goes to every AWS call, so the
 * deadline ends a call that hangs, and the SDK's own retries of it, instead of waiting them out.
 */
export async function readRetirementFacts(environment: EnvironmentConfig, deps: RetirementDeps, abortSignal?: AbortSignal): Promise<RetirementFacts> {
  const file = environment.parametersFile;
  const text = await deps.git.readFileAt('HEAD', file);
  if (text === undefined) throw new Error(`${file} is not in HEAD: check parametersFile for ${environment.name} in the wiring file.`);
  const head = parseParametersFile(text, file).parameters;
  const history = await readAmiHistory(deps.git, file);
  const [lastChange] = history;
  const leftAmiId = history.find((c) => c.amiId !== lastChange?.amiId)?.amiId;
  const fileCommit = (await deps.git.run(['log', '-1', '--format=%H', 'HEAD', '--', file])).stdout.trim() || undefined;
  const stack = await readRetirementStack(environment.stacks.app, deps.clients.cloudFormation, abortSignal);
  // "Now" for the alarm history is AWS's time too: the window is read from the switch to AWS's now.
  const awsNow = { now: () => deps.clients.awsClock.now(`the bake window of ${environment.name}`) };
  const alarms = await readAlarmFacts(stack.alarmNames, stack.settledAtMs, { clients: { cloudWatch: deps.clients.cloudWatch }, clock: awsNow }, abortSignal);
  return { environment: environment.name, parametersFile: file, stackName: environment.stacks.app, bakeSeconds: environment.slots.bakeSeconds, head, lastChange, leftAmiId, fileCommit, stack, alarms };
}

async function readRetirementStack(stackName: string, cloudFormation: CloudFormationClient, abortSignal: AbortSignal | undefined): Promise<RetirementStack> {
  let stack: Stack | undefined;
  try {
    stack = (await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }), { abortSignal })).Stacks?.[0];
  } catch (error) {
    if (!isStackNotFoundError(error)) throw error;
  }
  if (!stack) return { exists: false, parameters: {}, alarmNames: [] };
  const outputs = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  return {
    exists: true,
    status: stack.StackStatus,
    parameters: Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? ''])),
    settledAtMs: await readSettledAt(stackName, cloudFormation, abortSignal),
    alarmNames: alarmOutputsOf(outputs).flatMap((key) => {
      const arn = outputs.get(key);
      return arn ? [alarmNameOf(arn)] : [];
    }),
  };
}

/**
 * When the stack's last operation completed: its newest settling event (events come newest first,
 * and a settled stack's newest event is the one that settled it). Not LastUpdatedTime: that is
 * when the update started, so a window measured from it would end early.
 */
async function readSettledAt(stackName: string, cloudFormation: CloudFormationClient, abortSignal: AbortSignal | undefined): Promise<number | undefined> {
  const { StackEvents = [] } = await cloudFormation.send(new DescribeStackEventsCommand({ StackName: stackName }), { abortSignal });
  const settled = StackEvents.find((e) => e.LogicalResourceId === stackName && e.ResourceType === 'AWS::CloudFormation::Stack' && SETTLING_EVENTS.has(e.ResourceStatus ?? ''));
  return settled?.Timestamp?.getTime();
}
