/**
 * What the load balancer stand-in routes by, read from moto's ELBv2 API (always moto itself,
 * never the data plane's own ELBv2 front): load balancers, their HTTP listeners and rules, target
 * groups with their health-check settings and deregistration delay, and the registered targets.
 * moto's word on target *health* is ignored here: the stand-in checks health itself.
 */
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
  type ElasticLoadBalancingV2Client,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';

export interface HealthCheckSettings {
  enabled: boolean;
  path: string;
  /** 'traffic-port' or a port number. */
  port: string;
  protocol: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** HttpCode, e.g. "200" or "200-299". */
  matcher: string;
}

export interface TargetGroupState {
  arn: string;
  name: string;
  port: number;
  targetType: string;
  healthCheck: HealthCheckSettings;
  deregistrationDelaySeconds: number;
  /**
   * Load balancers whose listener rules forward to it; none means AWS health-checks nothing
   * (Target.NotInUse). Computed from the rules, because moto's TargetGroup.LoadBalancerArns is
   * filled only by CreateListener/CreateRule and goes stale after ModifyListener/ModifyRule.
   */
  loadBalancerArns: string[];
  targets: { id: string; port: number }[];
}

export interface ListenerState {
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: string;
  rules: Rule[];
}

export interface LoadBalancerState {
  arn: string;
  name: string;
  dnsName: string;
  type: string;
  listeners: ListenerState[];
}

export interface Elbv2State {
  loadBalancers: LoadBalancerState[];
  targetGroups: Map<string, TargetGroupState>;
}

/** ALB defaults for what a target group may leave unset (CreateTargetGroup's documented defaults). */
const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300;

export async function readElbv2State(elbv2: ElasticLoadBalancingV2Client): Promise<Elbv2State> {
  const loadBalancers: LoadBalancerState[] = [];
  for await (const page of paginateDescribeLoadBalancers({ client: elbv2 }, {})) {
    for (const lb of page.LoadBalancers ?? []) {
      if (lb.Type && lb.Type !== 'application') continue;
      const { Listeners = [] } = await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
      const listeners = await Promise.all(
        Listeners.map(async (l): Promise<ListenerState> => {
          const { Rules = [] } = await elbv2.send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn }));
          return { arn: l.ListenerArn ?? '', loadBalancerArn: lb.LoadBalancerArn ?? '', port: l.Port ?? 80, protocol: l.Protocol ?? 'HTTP', rules: Rules };
        }),
      );
      loadBalancers.push({ arn: lb.LoadBalancerArn ?? '', name: lb.LoadBalancerName ?? '', dnsName: lb.DNSName ?? '', type: lb.Type ?? 'application', listeners });
    }
  }

  const usedBy = new Map<string, Set<string>>();
  for (const lb of loadBalancers) {
    for (const rule of lb.listeners.flatMap((l) => l.rules)) {
      for (const action of (rule.Actions ?? []).filter((a) => a.Type === 'forward')) {
        const arns = [action.TargetGroupArn, ...(action.ForwardConfig?.TargetGroups ?? []).map((g) => g.TargetGroupArn)];
        for (const arn of arns) if (arn) usedBy.set(arn, (usedBy.get(arn) ?? new Set()).add(lb.arn));
      }
    }
  }

  const targetGroups = new Map<string, TargetGroupState>();
  for await (const page of paginateDescribeTargetGroups({ client: elbv2 }, {})) {
    for (const tg of page.TargetGroups ?? []) {
      const arn = tg.TargetGroupArn ?? '';
      const [health, attributes] = await Promise.all([
        elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
        elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn })),
      ]);
      const delay = attributes.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
      targetGroups.set(arn, {
        arn,
        name: tg.TargetGroupName ?? '',
        port: tg.Port ?? 80,
        targetType: tg.TargetType ?? 'instance',
        healthCheck: {
          enabled: tg.HealthCheckEnabled ?? true,
          path: tg.HealthCheckPath ?? '/',
          port: tg.HealthCheckPort ?? 'traffic-port',
          protocol: tg.HealthCheckProtocol ?? 'HTTP',
          intervalSeconds: tg.HealthCheckIntervalSeconds ?? 30,
          timeoutSeconds: tg.HealthCheckTimeoutSeconds ?? 5,
          healthyThreshold: tg.HealthyThresholdCount ?? 5,
          unhealthyThreshold: tg.UnhealthyThresholdCount ?? 2,
          matcher: tg.Matcher?.HttpCode ?? '200',
        },
        deregistrationDelaySeconds: delay === undefined ? DEFAULT_DEREGISTRATION_DELAY_SECONDS : Number(delay),
        loadBalancerArns: [...(usedBy.get(arn) ?? [])],
        targets: (health.TargetHealthDescriptions ?? []).map((d) => ({ id: d.Target?.Id ?? '', port: d.Target?.Port ?? tg.Port ?? 80 })),
      });
    }
  }
  return { loadBalancers, targetGroups };
}

/** Several regions' states as one: ARNs name their region, so nothing collides. */
export function mergeElbv2States(states: readonly Elbv2State[]): Elbv2State {
  return { loadBalancers: states.flatMap((s) => s.loadBalancers), targetGroups: new Map(states.flatMap((s) => [...s.targetGroups])) };
}
