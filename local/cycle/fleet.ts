/**
 * What the cycle checks in moto after a deploy: the stack runs the AMI, and the Auto Scaling
 * group the stack owns now (found through DescribeStackResource, because moto's stack outputs
 * go stale after a replacement) has its instances on that AMI. On a slots stack that is the live
 * slot's group, and the stack's AMI is the live slot's.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeStackResourceCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';

import type { AwsClients } from '../../actions/lib/aws/clients';
import { LIVE_SLOT_PARAMETER, liveAmiIn, liveAmiParameter, SLOT_NAMES, slotPrefix, type SlotName } from '../../actions/lib/parameters';
import { CycleCheckError } from './timeline';

export interface FleetState {
  /** The parameter that names the AMI users are on (AmazonMachineImage or <Slot>AmazonMachineImage). */
  amiParameter: string;
  stackAmi: string;
  autoScalingGroup: string;
  instanceIds: string[];
  instanceAmis: string[];
}

type FleetClients = Pick<AwsClients, 'cloudFormation' | 'autoScaling' | 'ec2' | 'elbv2'>;

async function stackParameters(clients: FleetClients, stackName: string): Promise<Record<string, string>> {
  const { Stacks = [] } = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  return Object.fromEntries((Stacks[0]?.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
}

/** The logical IDs of the stack's groups and target groups: the replace template's one, or each slot's. */
function groupIds(parameters: Readonly<Record<string, string>>, slot?: SlotName): { group: string; targetGroup: string } {
  const chosen = slot ?? (parameters[LIVE_SLOT_PARAMETER] as SlotName | undefined);
  return chosen ? { group: `${slotPrefix(chosen)}AutoScalingGroup`, targetGroup: `${slotPrefix(chosen)}TargetGroup` } : { group: 'AppAutoScalingGroup', targetGroup: 'AppTargetGroup' };
}

async function physicalId(clients: FleetClients, stackName: string, logicalId: string): Promise<string> {
  const { StackResourceDetail } = await clients.cloudFormation.send(new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: logicalId }));
  return StackResourceDetail?.PhysicalResourceId ?? '';
}

/** The fleet of the stack's current group (the live slot's on a slots stack, or `slot`'s). */
export async function readFleet(clients: FleetClients, stackName: string, slot?: SlotName): Promise<FleetState> {
  const parameters = await stackParameters(clients, stackName);
  const autoScalingGroup = await physicalId(clients, stackName, groupIds(parameters, slot).group);
  const { AutoScalingGroups = [] } = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [autoScalingGroup] }));
  const instanceIds = (AutoScalingGroups[0]?.Instances ?? []).map((i) => i.InstanceId as string);
  const reservations = instanceIds.length
    ? ((await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: instanceIds }))).Reservations ?? [])
    : [];
  return {
    amiParameter: liveAmiParameter(parameters),
    stackAmi: liveAmiIn(parameters) ?? '',
    autoScalingGroup,
    instanceIds,
    instanceAmis: reservations.flatMap((r) => r.Instances ?? []).map((i) => i.ImageId as string),
  };
}

/** Throws unless the stack parameter and every instance of its current ASG name `ami`. */
export async function expectFleetOn(clients: FleetClients, stackName: string, ami: string): Promise<string> {
  const fleet = await readFleet(clients, stackName);
  const wrong = fleet.instanceAmis.filter((id) => id !== ami);
  if (fleet.stackAmi !== ami || fleet.instanceAmis.length === 0 || wrong.length > 0) {
    throw new CycleCheckError(
      `${stackName} is not on ${ami}: the stack's ${fleet.amiParameter} is ${fleet.stackAmi || 'unset'}, ASG ${fleet.autoScalingGroup || '(none)'} has ${fleet.instanceAmis.length} instance(s) on ${[...new Set(fleet.instanceAmis)].join(', ') || 'nothing'}`,
    );
  }
  return `stack parameter ${fleet.amiParameter} and all ${fleet.instanceAmis.length} instances of ${fleet.autoScalingGroup} run ${ami}`;
}

/** The target group users reach at rest: the replace template's, or the live slot's. */
export async function liveTargetGroupArn(clients: FleetClients, stackName: string): Promise<string> {
  return physicalId(clients, stackName, groupIds(await stackParameters(clients, stackName)).targetGroup);
}

/**
 * moto divergence, made up for (docs/moto.md #6): when moto replaces the ASG it
 * terminates the old instances but leaves them registered in the target group, reported healthy.
 * On AWS the Auto Scaling group deregisters the instances it terminates. This does what AWS would
 * have done, so verify-alb judges the fleet AWS would show; verify-alb itself is untouched, and
 * (rightly) fails without it. On a slots stack, for both slots' target groups. Returns the
 * instances deregistered.
 */
export async function deregisterTerminatedTargets(clients: FleetClients, stackName: string): Promise<string[]> {
  const parameters = await stackParameters(clients, stackName);
  const slots: (SlotName | undefined)[] = parameters[LIVE_SLOT_PARAMETER] ? [...SLOT_NAMES] : [undefined];
  const gone: string[] = [];
  for (const slot of slots) {
    const { targetGroup } = groupIds(parameters, slot);
    const targetGroupArn = await physicalId(clients, stackName, targetGroup);
    if (!targetGroupArn) throw new CycleCheckError(`${stackName} has no ${targetGroup} resource`);
    const { TargetHealthDescriptions = [] } = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    // A draining target is already on its way out (the data plane lists them during the deregistration delay).
    const ids = TargetHealthDescriptions.filter((t) => t.TargetHealth?.State !== 'draining').map((t) => t.Target?.Id as string).filter(Boolean);
    if (ids.length === 0) continue;
    const { Reservations = [] } = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    const terminated = Reservations.flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name === 'terminated').map((i) => i.InstanceId as string);
    if (terminated.length) await clients.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: terminated.map((Id) => ({ Id })) }));
    gone.push(...terminated);
  }
  return gone;
}
