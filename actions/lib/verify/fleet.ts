import { paginateDescribeInstances } from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';

import type { AwsClients } from '../aws/clients';
import type { Deps } from '../deps';
import { type CurrentAutoScalingGroup, describeCurrentAutoScalingGroup, type VerifyTarget } from './resolve-target';

/** One registered target as the load balancer and EC2 each see it. */
export interface TargetObservation {
  /** Instance ID (or IP for ip-type target groups, which verify-alb cannot vouch for). */
  id: string;
  port?: number;
  /** ELBv2 TargetHealth.State: initial, healthy, unhealthy, unused, draining, unavailable. */
  health: string;
  /** ELBv2 TargetHealth.Reason, e.g. Target.FailedHealthChecks, Elb.RegistrationInProgress. */
  reason?: string;
  description?: string;
}

/** What EC2 says about an instance: the truth the target health is cross-checked against. */
export interface InstanceObservation {
  id: string;
  /** pending, running, shutting-down, terminated, stopping, stopped. */
  state: string;
  imageId?: string;
  /** The ASG that launched it (tag aws:autoscaling:groupName), whether or not that ASG still exists. */
  autoScalingGroupName?: string;
}

/** One look at the fleet: target group, the stack's current ASG and the instances behind both. */
export interface FleetObservation {
  targetGroupArn: string;
  targets: TargetObservation[];
  autoScalingGroup: CurrentAutoScalingGroup;
  /** Keyed by instance ID; covers every target and every instance of the current ASG. */
  instances: Record<string, InstanceObservation>;
}

type FleetClients = Pick<AwsClients, 'cloudFormation' | 'autoScaling' | 'elbv2' | 'ec2'>;

/**
 * Observes the fleet with four read-only calls: DescribeTargetHealth, the current ASG
 * (DescribeStackResource + DescribeAutoScalingGroups), DescribeInstances. `abortSignal` (the
 * wait's deadline, from poll()) goes to every call, so a silent endpoint cannot hold the wait past
 * timeout-minutes while the SDK retries inside one call.
 */
export async function observeFleet(target: VerifyTarget, deps: Deps<FleetClients>, abortSignal?: AbortSignal): Promise<FleetObservation> {
  const options = { abortSignal };
  const [health, autoScalingGroup] = await Promise.all([
    deps.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: target.targetGroupArn }), options),
    describeCurrentAutoScalingGroup(target, deps, abortSignal),
  ]);
  const targets = (health.TargetHealthDescriptions ?? []).map(
    (d): TargetObservation => ({
      id: d.Target?.Id ?? '',
      port: d.Target?.Port,
      health: d.TargetHealth?.State ?? 'unknown',
      reason: d.TargetHealth?.Reason,
      description: d.TargetHealth?.Description,
    }),
  );
  const instanceIds = [...new Set([...targets.map((t) => t.id), ...autoScalingGroup.instanceIds])].filter((id) => id.startsWith('i-'));
  const instances = await describeInstances(instanceIds, deps, options);
  return { targetGroupArn: target.targetGroupArn, targets, autoScalingGroup, instances };
}

/**
 * DescribeInstances by filter rather than by InstanceIds: an ID EC2 no longer knows (terminated
 * more than about an hour ago) is then simply absent instead of failing the whole call with
 * InvalidInstanceID.NotFound. Chunks of 200 stay under the filter-values limit.
 */
async function describeInstances(ids: string[], deps: Deps<Pick<AwsClients, 'ec2'>>, options: { abortSignal?: AbortSignal }): Promise<Record<string, InstanceObservation>> {
  const found: Record<string, InstanceObservation> = {};
  for (let start = 0; start < ids.length; start += 200) {
    const filter = { Filters: [{ Name: 'instance-id', Values: ids.slice(start, start + 200) }] };
    for await (const page of paginateDescribeInstances({ client: deps.clients.ec2 }, filter, options)) {
      for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        if (!instance.InstanceId) continue;
        found[instance.InstanceId] = {
          id: instance.InstanceId,
          state: instance.State?.Name ?? 'unknown',
          imageId: instance.ImageId,
          autoScalingGroupName: instance.Tags?.find((t) => t.Key === 'aws:autoscaling:groupName')?.Value,
        };
      }
    }
  }
  return found;
}
