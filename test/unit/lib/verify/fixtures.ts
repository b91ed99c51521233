import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, DescribeStackResourceCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, type TargetHealthStateEnum } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';

import type { VirtualClock } from '../../../../actions/lib/clock';
import type { FetchLike } from '../../../../actions/lib/verify/sampler';

/**
 * Scripted AWS and HTTP for verify-alb tests: a stack whose current ASG, target group and instances
 * are described in plain objects, served through aws-sdk-client-mock, and a fake fetch on the
 * VirtualClock.
 */

export const STACK = 'patch-dev-app';
export const TG_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/patch-dev-app/0123456789abcdef';
export const URL_BASE = 'http://patch-dev-app-123.us-east-1.elb.amazonaws.com';
export const GREEN_AMI = 'ami-0123456789abcdef0';
export const BLUE_AMI = 'ami-0fedcba9876543210';
export const GREEN_ASG = 'patch-dev-app-AppAutoScalingGroup-GREEN';
export const BLUE_ASG = 'patch-dev-app-AppAutoScalingGroup-BLUE';

export interface FleetTarget {
  id: string;
  health?: TargetHealthStateEnum | string;
  reason?: string;
  description?: string;
}
export interface FleetInstance {
  id: string;
  state?: string;
  imageId?: string;
  asg?: string;
}
export interface FleetState {
  desired?: number;
  /** Instance IDs the current (green) ASG owns. */
  asgInstances?: string[];
  targets: FleetTarget[];
  instances: FleetInstance[];
}

/** Two healthy green instances, both registered: the state a good deploy ends in. */
export function healthyFleet(): FleetState {
  return {
    desired: 2,
    asgInstances: ['i-00000000000000001', 'i-00000000000000002'],
    targets: [{ id: 'i-00000000000000001' }, { id: 'i-00000000000000002' }],
    instances: [
      { id: 'i-00000000000000001', imageId: GREEN_AMI, asg: GREEN_ASG },
      { id: 'i-00000000000000002', imageId: GREEN_AMI, asg: GREEN_ASG },
    ],
  };
}

export const mocks = {
  cfn: mockClient(CloudFormationClient),
  asg: mockClient(AutoScalingClient),
  elb: mockClient(ElasticLoadBalancingV2Client),
  ec2: mockClient(EC2Client),
};

export function resetMocks(): void {
  for (const m of Object.values(mocks)) m.reset();
}

/** The app stack with the contract's outputs. */
export function mockStack(outputs: Record<string, string> = { TargetGroupArn: TG_ARN, LoadBalancerUrl: URL_BASE }, status = 'UPDATE_COMPLETE'): void {
  mocks.cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: STACK,
        StackStatus: status as never,
        CreationTime: new Date(0),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
  mocks.cfn.on(DescribeStackResourceCommand).resolves({
    StackResourceDetail: {
      LogicalResourceId: 'AppAutoScalingGroup',
      PhysicalResourceId: GREEN_ASG,
      ResourceType: 'AWS::AutoScaling::AutoScalingGroup',
      ResourceStatus: 'UPDATE_COMPLETE',
      LastUpdatedTimestamp: new Date(0),
    },
  });
}

/**
 * Serves the fleet: each call to DescribeTargetHealth takes the next state from `states` (the last
 * one repeats), so a test scripts a fleet that settles over several polls. The ASG and EC2 answers
 * follow the state of the latest DescribeTargetHealth.
 */
export function mockFleet(...states: FleetState[]): void {
  let current = states[0];
  let next = 0;
  mocks.elb.on(DescribeTargetHealthCommand).callsFake(() => {
    current = states[Math.min(next, states.length - 1)];
    next += 1;
    return {
      TargetHealthDescriptions: current.targets.map((t) => ({
        Target: { Id: t.id, Port: 80 },
        TargetHealth: { State: (t.health ?? 'healthy') as TargetHealthStateEnum, Reason: t.reason as never, Description: t.description },
      })),
    };
  });
  mocks.asg.on(DescribeAutoScalingGroupsCommand).callsFake(() => ({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: GREEN_ASG,
        DesiredCapacity: current.desired ?? 2,
        MinSize: 1,
        MaxSize: 4,
        TargetGroupARNs: [TG_ARN],
        Instances: (current.asgInstances ?? []).map((InstanceId) => ({ InstanceId, LifecycleState: 'InService', HealthStatus: 'Healthy', ProtectedFromScaleIn: false, AvailabilityZone: 'us-east-1a' })),
        AvailabilityZones: ['us-east-1a'],
        DefaultCooldown: 300,
        HealthCheckType: 'ELB',
        CreatedTime: new Date(0),
      },
    ],
  }));
  mocks.ec2.on(DescribeInstancesCommand).callsFake((input: { Filters?: { Name?: string; Values?: string[] }[] }) => {
    const wanted = new Set(input.Filters?.find((f) => f.Name === 'instance-id')?.Values ?? []);
    return {
      Reservations: [
        {
          Instances: current.instances
            .filter((i) => wanted.has(i.id))
            .map((i) => ({
              InstanceId: i.id,
              ImageId: i.imageId ?? GREEN_AMI,
              State: { Name: (i.state ?? 'running') as never },
              Tags: i.asg ? [{ Key: 'aws:autoscaling:groupName', Value: i.asg }] : [],
            })),
        },
      ],
    };
  });
}

export interface FakeResponse {
  status?: number;
  body?: string;
  /** Time the response takes, on the virtual clock. */
  latencyMs?: number;
  /** Throw this instead of answering (a refused connection, a timeout). */
  throws?: Error;
}

/** A details.json body as the app serves it. */
export function detailsBody(amiId = GREEN_AMI, instanceId = 'i-00000000000000001'): string {
  return JSON.stringify({ amiId, instanceId, packageCount: 412 });
}

/**
 * A fetch whose n-th call (0-based) answers `script(n)`, advancing the virtual clock by its latency.
 * Records the URLs and init it was called with.
 */
export function fakeFetch(clock: VirtualClock, script: (n: number) => FakeResponse = () => ({ body: detailsBody() })) {
  const calls: { url: string; init: Parameters<FetchLike>[1] }[] = [];
  const fetch: FetchLike = async (url, init) => {
    const answer = script(calls.length);
    calls.push({ url, init });
    clock.advance(answer.latencyMs ?? 12);
    if (answer.throws) throw answer.throws;
    return { status: answer.status ?? 200, text: async () => answer.body ?? '' };
  };
  return { fetch, calls };
}

/** What undici throws when nothing listens: TypeError("fetch failed") with the errno in `cause`. */
export function connectionRefused(): Error {
  return Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
}
