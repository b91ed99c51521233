import { DescribeAutoScalingGroupsCommand, paginateDescribeAutoScalingGroups } from '@aws-sdk/client-auto-scaling';
import { DescribeStackResourceCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

import type { AwsClients } from '../aws/clients';
import { isStackNotFoundError } from '../aws/errors';
import type { Deps } from '../deps';
import { AwsOperationError } from '../errors';
// The slots module alone: the parameters index would bundle the wiring's schema validator into verify-alb.
import { LIVE_SLOT_PARAMETER, SLOT_NAMES, slotPrefix, type SlotName } from '../parameters/slots';
import type { VerifyAlbInputs } from './inputs';

/** The app stack's contract (templates/app.yaml): the outputs and logical ID verify-alb reads. */
export const APP_STACK = {
  targetGroupOutput: 'TargetGroupArn',
  urlOutput: 'LoadBalancerUrl',
  autoScalingGroupLogicalId: 'AppAutoScalingGroup',
} as const;

/**
 * The slots template's (templates/app-slots.yaml) names for one slot: verify-alb in stack mode
 * verifies the slot the stack's LiveSlot parameter names (its parameters, unlike moto's outputs,
 * never go stale: docs/moto.md #5).
 */
export function slotStackNames(slot: SlotName): { targetGroupOutput: string; autoScalingGroupLogicalId: string } {
  return { targetGroupOutput: `${slotPrefix(slot)}TargetGroupArn`, autoScalingGroupLogicalId: `${slotPrefix(slot)}AutoScalingGroup` };
}

/** What is being verified, found once from the inputs and the stack. */
export interface VerifyTarget {
  targetGroupArn: string;
  /** Base URL of the load balancer; undefined only when the HTTP watch is off. */
  url?: string;
  stackName?: string;
  /** The stack's status when verification started, e.g. UPDATE_COMPLETE (stack mode only). */
  stackStatus?: string;
  /**
   * Where the current Auto Scaling group comes from. Read again on every observation, because on
   * AWS the stack's ASG changes mid-cutover and verification may start before it settles.
   */
  autoScalingGroup: { kind: 'stack-resource'; stackName: string; /** Default AppAutoScalingGroup; a slots stack's live slot's group. */ logicalId?: string } | { kind: 'attached-to-target-group' };
  /** The live slot verified (slots stacks only). */
  slot?: SlotName;
}

type VerifyClients = Pick<AwsClients, 'cloudFormation' | 'autoScaling'>;

/**
 * Finds the target group, URL and ASG source. With a stack: its outputs TargetGroupArn and
 * LoadBalancerUrl, unless the inputs override them. Without one: the target group from the
 * input, and the ASG is whichever group is attached to that target group.
 */
export async function resolveVerifyTarget(inputs: VerifyAlbInputs, deps: Deps<VerifyClients>, options: { /** Verifying inside a replacing update's window, on purpose. */ midUpdate?: boolean } = {}): Promise<VerifyTarget> {
  if (inputs.stackName === undefined) {
    // The schema guarantees target-group-arn when stack-name is absent.
    return { targetGroupArn: inputs.targetGroupArn!, url: inputs.url, autoScalingGroup: { kind: 'attached-to-target-group' } };
  }
  const stackName = inputs.stackName;
  const stack = await describeStack(stackName, deps);
  const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const present = Object.keys(outputs).join(', ') || 'none';
  const liveSlot = stack.Parameters?.find((p) => p.ParameterKey === LIVE_SLOT_PARAMETER)?.ParameterValue;
  if (liveSlot !== undefined && !(SLOT_NAMES as readonly string[]).includes(liveSlot)) {
    throw new AwsOperationError(`Live slot of stack ${stackName}: its ${LIVE_SLOT_PARAMETER} parameter is "${liveSlot}", not one of ${SLOT_NAMES.join(', ')}. Deploy a valid parameters file to it.`, stackName);
  }
  const slot = liveSlot as SlotName | undefined;
  const names = slot ? slotStackNames(slot) : APP_STACK;

  const targetGroupArn = inputs.targetGroupArn ?? outputs[names.targetGroupOutput];
  if (!targetGroupArn) {
    throw new AwsOperationError(
      `Target group for stack ${stackName}: the stack has no output ${names.targetGroupOutput} (outputs: ${present}). Deploy ${slot ? 'templates/app-slots.yaml' : 'templates/app.yaml'} to this stack or pass target-group-arn.`,
      stackName,
    );
  }
  const url = inputs.url ?? (outputs[APP_STACK.urlOutput] || undefined);
  if (url === undefined && inputs.watchSeconds > 0) {
    throw new AwsOperationError(
      `URL for stack ${stackName}: the stack has no output ${APP_STACK.urlOutput} (outputs: ${present}). Pass url, or set watch-seconds to 0 to skip the HTTP watch.`,
      stackName,
    );
  }
  deps.logger.info(`Stack ${stackName} is ${stack.StackStatus}; ${slot ? `live slot ${slot}, ` : ''}target group ${targetGroupArn}${url ? `, URL ${url}` : ''}.`);
  if (stack.StackStatus?.endsWith('_IN_PROGRESS') && !options.midUpdate) {
    deps.logger.warning(`Stack ${stackName} is ${stack.StackStatus}: verifying mid-update sees the cutover itself; targets may change while this runs.`);
  }
  return {
    targetGroupArn,
    url,
    stackName,
    stackStatus: stack.StackStatus,
    autoScalingGroup: { kind: 'stack-resource', stackName, ...(slot ? { logicalId: names.autoScalingGroupLogicalId } : {}) },
    ...(slot ? { slot } : {}),
  };
}

async function describeStack(stackName: string, deps: Deps<VerifyClients>) {
  try {
    const { Stacks } = await deps.clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    if (Stacks?.[0]) return Stacks[0];
  } catch (error) {
    if (!isStackNotFoundError(error)) throw error;
  }
  throw new AwsOperationError(
    `Stack ${stackName} was not found: DescribeStacks knows no such stack in this account and region. Check stack-name and region (parameters/environments.json names the stacks).`,
    stackName,
  );
}

/** The current ASG: its name and desired capacity, and the instances it owns right now. */
export interface CurrentAutoScalingGroup {
  name: string;
  desiredCapacity: number;
  instanceIds: string[];
}

/**
 * Reads the ASG that verification holds the targets to. With a stack: DescribeStackResource on
 * `AppAutoScalingGroup` — truthful on AWS and in moto, whereas moto's DescribeStacks outputs
 * still name the deleted group after a replacing update (docs/moto.md #5). Without a stack:
 * the one ASG attached to the target group; two mean a cutover is under way, which only the
 * stack can settle.
 */
export async function describeCurrentAutoScalingGroup(target: VerifyTarget, deps: Deps<VerifyClients>, abortSignal?: AbortSignal): Promise<CurrentAutoScalingGroup> {
  const { autoScaling } = deps.clients;
  const options = { abortSignal };
  if (target.autoScalingGroup.kind === 'stack-resource') {
    const { stackName, logicalId = APP_STACK.autoScalingGroupLogicalId } = target.autoScalingGroup;
    const { StackResourceDetail } = await deps.clients.cloudFormation.send(
      new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: logicalId }),
      options,
    );
    const name = StackResourceDetail?.PhysicalResourceId;
    if (!name) {
      throw new AwsOperationError(
        `Auto Scaling group for stack ${stackName}: resource ${logicalId} has no physical ID (status ${StackResourceDetail?.ResourceStatus ?? 'unknown'}). Wait for the stack to finish, then run verify-alb again.`,
        stackName,
      );
    }
    const { AutoScalingGroups } = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }), options);
    const group = AutoScalingGroups?.[0];
    if (!group) {
      throw new AwsOperationError(
        `Auto Scaling group ${name} of stack ${stackName} does not exist. The stack may be mid-update or drifted; check its resources in the console.`,
        name,
      );
    }
    return toCurrent(group);
  }

  const attached = [];
  for await (const page of paginateDescribeAutoScalingGroups({ client: autoScaling }, {}, options)) {
    attached.push(...(page.AutoScalingGroups ?? []).filter((g) => g.TargetGroupARNs?.includes(target.targetGroupArn)));
  }
  if (attached.length !== 1) {
    const names = attached.map((g) => g.AutoScalingGroupName).join(', ');
    throw new AwsOperationError(
      `Auto Scaling group for target group ${target.targetGroupArn}: ${attached.length === 0 ? 'no group is attached to it' : `${attached.length} groups are attached (${names}), so which one is current is ambiguous`}. Pass stack-name so the stack says which group is current.`,
      target.targetGroupArn,
    );
  }
  return toCurrent(attached[0]);
}

function toCurrent(group: { AutoScalingGroupName?: string; DesiredCapacity?: number; Instances?: { InstanceId?: string }[] }): CurrentAutoScalingGroup {
  return {
    name: group.AutoScalingGroupName ?? '',
    desiredCapacity: group.DesiredCapacity ?? 0,
    instanceIds: (group.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : [])),
  };
}
