/**
 * What the cycle checks in moto after a deploy: the stack runs the AMI, and the Auto Scaling
 * group the stack owns now (found through DescribeStackResource, because moto's stack outputs
 * go stale after a replacement) has its instances on that AMI.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeStackResourceCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';

import type { AwsClients } from '../../actions/lib/aws/clients';
import { CycleCheckError } from './timeline';

export interface FleetState {
  stackAmi: string;
  autoScalingGroup: string;
  instanceIds: string[];
  instanceAmis: string[];
}

type FleetClients = Pick<AwsClients, 'cloudFormation' | 'autoScaling' | 'ec2' | 'elbv2'>;

export async function readFleet(clients: FleetClients, stackName: string): Promise<FleetState> {
  const { StackResourceDetail } = await clients.cloudFormation.send(new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: 'AppAutoScalingGroup' }));
  const autoScalingGroup = StackResourceDetail?.PhysicalResourceId ?? '';
  const { AutoScalingGroups = [] } = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [autoScalingGroup] }));
  const instanceIds = (AutoScalingGroups[0]?.Instances ?? []).map((i) => i.InstanceId as string);
  const reservations = instanceIds.length
    ? ((await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: instanceIds }))).Reservations ?? [])
    : [];
  const { Stacks = [] } = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  return {
    stackAmi: Stacks[0]?.Parameters?.find((p) => p.ParameterKey === 'AmazonMachineImage')?.ParameterValue ?? '',
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
      `${stackName} is not on ${ami}: the stack's AmazonMachineImage is ${fleet.stackAmi || 'unset'}, ASG ${fleet.autoScalingGroup || '(none)'} has ${fleet.instanceAmis.length} instance(s) on ${[...new Set(fleet.instanceAmis)].join(', ') || 'nothing'}`,
    );
  }
  return `stack parameter and all ${fleet.instanceAmis.length} instances of ${fleet.autoScalingGroup} run ${ami}`;
}

/**
 * moto divergence, made up for (docs/moto.md #6): when moto replaces the ASG it
 * terminates the old instances but leaves them registered in the target group, reported healthy.
 * On AWS the Auto Scaling group deregisters the instances it terminates. This does what AWS would
 * have done, so verify-alb judges the fleet AWS would show; verify-alb itself is untouched, and
 * (rightly) fails without it. Returns the instances deregistered.
 */
export async function deregisterTerminatedTargets(clients: FleetClients, stackName: string): Promise<string[]> {
  const { StackResourceDetail } = await clients.cloudFormation.send(new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: 'AppTargetGroup' }));
  const targetGroupArn = StackResourceDetail?.PhysicalResourceId;
  if (!targetGroupArn) throw new CycleCheckError(`${stackName} has no AppTargetGroup resource`);
  const { TargetHealthDescriptions = [] } = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  // A draining target is already on its way out (the data plane lists them during the deregistration delay).
  const ids = TargetHealthDescriptions.filter((t) => t.TargetHealth?.State !== 'draining').map((t) => t.Target?.Id as string).filter(Boolean);
  if (ids.length === 0) return [];
  const { Reservations = [] } = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  const terminated = Reservations.flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name === 'terminated').map((i) => i.InstanceId as string);
  if (terminated.length) {
    await clients.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: terminated.map((Id) => ({ Id })) }));
  }
  return terminated;
}
