/**
 * The local data plane against moto's state: the app stack deployed from the real template, its
 * instances served by php -S with the template's real pages, and the load balancer STAND-IN
 * routing, weighting, health-checking, draining and failing open as moto's ELBv2 configuration
 * says. verify-alb (the bundle, as a runner runs it) samples HTTP through it and reads target
 * health through the data plane's ELBv2 front.
 *
 * The data plane runs at time scale 1/10 here (health-check interval 10 s → 1 s); every wait is
 * for a state, never a fixed sleep.
 */
import { SetDesiredCapacityCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';

import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { GetImageCommand, StartImagePipelineExecutionCommand } from '@aws-sdk/client-imagebuilder';

import { systemClock } from '../../actions/lib/clock';
import { poll } from '../../actions/lib/poll';
import { startDataPlane, type DataPlane, ELBV2_ENDPOINT_VARIABLE } from '../../local/data-plane';
import { LOCAL_CREDENTIALS, LOCAL_PIPELINE_ARN, LOCAL_REGION } from '../../local/env';
import { runBundledAction } from '../../local/run-action';
import { type AppFoundation, deployAppFoundation, localClients, localEndpoints, localEnv, standin, useLocalAws } from './harness';

useLocalAws();

const TIME_SCALE = 10;
let foundation: AppFoundation;
let dataPlane: DataPlane;
let front: ElasticLoadBalancingV2Client;
let listener: string;
let targetGroupArn: string;
let instanceIds: string[];

async function until<T>(description: string, check: () => Promise<T>, isDone: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const { observation } = await poll({ description, check, isDone, clock: systemClock, timeoutMs, schedule: { firstDelayMs: 100, steadyMs: 200 } });
  return observation;
}

async function frontHealth(arn: string): Promise<TargetHealthDescription[]> {
  return (await front.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions ?? [];
}

const stateOf = (health: TargetHealthDescription[]) => Object.fromEntries(health.map((d) => [d.Target?.Id, d.TargetHealth?.State]));

async function getDetails(url: string, headers: Record<string, string> = {}): Promise<{ status: number; amiId?: string; instanceId?: string; body: string }> {
  const response = await fetch(`${url}/details.json`, { headers, redirect: 'manual' });
  const body = await response.text();
  try {
    const parsed = JSON.parse(body) as { amiId?: string; instanceId?: string };
    return { status: response.status, amiId: parsed.amiId, instanceId: parsed.instanceId, body };
  } catch {
    return { status: response.status, body };
  }
}

beforeAll(async () => {
  foundation = await deployAppFoundation();
  dataPlane = await startDataPlane({ motoEndpoint: localEndpoints().moto, imageBuilderEndpoint: localEndpoints().imageBuilder, timeScale: TIME_SCALE, syncMs: 200 });
  front = new ElasticLoadBalancingV2Client({ region: LOCAL_REGION, endpoint: dataPlane.elbv2Endpoint, credentials: { ...LOCAL_CREDENTIALS } });
  targetGroupArn = foundation.app.outputs.TargetGroupArn;
  const dnsName = foundation.app.outputs.LoadBalancerDnsName;
  listener = await until('the listener of the app stack', async () => dataPlane.listenerUrl(dnsName) ?? '', (url) => url !== '');
  const healthy = await until('both targets healthy', () => frontHealth(targetGroupArn), (h) => h.length === 2 && h.every((d) => d.TargetHealth?.State === 'healthy'));
  instanceIds = healthy.map((d) => d.Target!.Id!).sort();
});

afterAll(async () => {
  front?.destroy();
  await dataPlane?.stop();
});

describe("the app stack's load balancer, served", () => {
  it("answers on the listener with the template's real details page, round robin over both instances", async () => {
    const answers = await Promise.all([0, 1, 2, 3].map(async () => getDetails(listener)));
    // Sequential would be the same; in parallel each still gets its own turn.
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.amiId))).toEqual(new Set([foundation.ami]));
    const perInstance = answers.reduce<Record<string, number>>((n, a) => ({ ...n, [a.instanceId!]: (n[a.instanceId!] ?? 0) + 1 }), {});
    expect(perInstance).toEqual({ [instanceIds[0]]: 2, [instanceIds[1]]: 2 });
  });

  it("verify-alb (the bundle) samples HTTP through it and passes, reading target health through the data plane's ELBv2 front", async () => {
    const run = await runBundledAction(
      'verify-alb',
      { 'stack-name': foundation.app.name, 'expected-ami-id': foundation.ami, url: listener, 'watch-seconds': '4', 'timeout-minutes': '1' },
      { ...localEnv(), [ELBV2_ENDPOINT_VARIABLE]: dataPlane.elbv2Endpoint },
    );
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ healthy: 'true', 'healthy-targets': '2', 'served-ami-ids': JSON.stringify([foundation.ami]), 'error-rate': '0' });
    const samples = run.stdout.match(/^\S+Z {2}200 +\d+ ms {2}ami-\S+ {2}(i-[0-9a-f]+)$/gm) ?? [];
    expect(samples).toHaveLength(4);
    expect(new Set(samples.map((line) => line.split('  ').pop()))).toEqual(new Set(instanceIds));
  });

  it('each instance answers its own instance ID and AMI through its IMDSv2 stand-in', () => {
    for (const id of instanceIds) {
      const instance = dataPlane.fleet.instance(id)!;
      expect(instance.spec).toMatchObject({ instanceId: id, amiId: foundation.ami, instanceType: 't3.micro' });
      expect(instance.imds.calls.some((c) => c.method === 'PUT' && c.path === '/latest/api/token')).toBe(true);
    }
  });
});

describe('health checks are real HTTP with the target group settings', () => {
  afterAll(async () => {
    await localClients().elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: targetGroupArn, HealthCheckPath: '/health.php', Matcher: { HttpCode: '200' } }));
    await until('healthy again', () => frontHealth(targetGroupArn), (h) => h.every((d) => d.TargetHealth?.State === 'healthy'));
  });

  it('a path that answers 404 makes every target unhealthy after UnhealthyThresholdCount checks, while moto still says healthy', async () => {
    await localClients().elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: targetGroupArn, HealthCheckPath: '/missing.php' }));
    const health = await until('every target unhealthy', () => frontHealth(targetGroupArn), (h) => h.every((d) => d.TargetHealth?.State === 'unhealthy'));

    expect(health.map((d) => d.TargetHealth)).toEqual([0, 1].map(() => ({ State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: 'Health checks failed with these codes: [404]' })));
    for (const id of instanceIds) expect(dataPlane.loadBalancer.healthRecord(targetGroupArn, id, 80)).toMatchObject({ state: 'unhealthy', failures: 2 });
    const moto = (await localClients().elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))).TargetHealthDescriptions ?? [];
    expect(stateOf(moto)).toEqual({ [instanceIds[0]]: 'healthy', [instanceIds[1]]: 'healthy' });
  });

  it('fails open: with every target unhealthy the load balancer still routes to all of them', async () => {
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await getDetails(listener));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.instanceId))).toEqual(new Set(instanceIds));
  });

  it('verify-alb refuses the fail-open fleet although every HTTP answer is a 200 from the right AMI', async () => {
    const run = await runBundledAction(
      'verify-alb',
      { 'stack-name': foundation.app.name, 'expected-ami-id': foundation.ami, url: listener, 'watch-seconds': '3', 'timeout-minutes': '1' },
      { ...localEnv(), [ELBV2_ENDPOINT_VARIABLE]: dataPlane.elbv2Endpoint },
    );
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ healthy: 'false', 'healthy-targets': '0', 'served-ami-ids': '[]' });
    const error = run.annotations.find((a) => a.level === 'error')?.message ?? '';
    for (const id of instanceIds) expect(error).toContain(`Target ${id}: unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [404])`);
    expect(run.summary).toContain('skipped: the targets did not pass');
  }, 150_000);

  it('the matcher decides: 200-404 accepts the 404, and unhealthy targets need HealthyThresholdCount passes to return', async () => {
    await localClients().elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: targetGroupArn, Matcher: { HttpCode: '200-404' } }));
    await until('healthy again', () => frontHealth(targetGroupArn), (h) => h.every((d) => d.TargetHealth?.State === 'healthy'));
    for (const id of instanceIds) expect(dataPlane.loadBalancer.healthRecord(targetGroupArn, id, 80)).toMatchObject({ state: 'healthy', successes: 2 });
  });
});

describe('instances follow moto', () => {
  let asgName: string;
  beforeAll(async () => {
    const { StackResourceDetail } = await localClients().cloudFormation.send(new DescribeStackResourceCommand({ StackName: foundation.app.name, LogicalResourceId: 'AppAutoScalingGroup' }));
    asgName = StackResourceDetail!.PhysicalResourceId!;
  });

  it('an instance moto launches starts serving and becomes healthy; one moto terminates stops serving', async () => {
    await localClients().autoScaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: asgName, MaxSize: 4 }));
    await localClients().autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: asgName, DesiredCapacity: 3 }));
    const three = await until('a third healthy target', () => frontHealth(targetGroupArn), (h) => h.filter((d) => d.TargetHealth?.State === 'healthy').length === 3);
    const added = three.map((d) => d.Target!.Id!).find((id) => !instanceIds.includes(id))!;
    expect(dataPlane.fleet.instance(added)?.spec.amiId).toBe(foundation.ami);

    await localClients().autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: asgName, DesiredCapacity: 2 }));
    // moto leaves the terminated instance registered (docs/moto.md #6); the stand-in reports what AWS would: not in a usable state.
    const after = await until('one target no longer running', () => frontHealth(targetGroupArn), (h) => h.some((d) => d.TargetHealth?.State === 'unused'));
    const gone = after.find((d) => d.TargetHealth?.State === 'unused')!;
    expect(gone.TargetHealth).toEqual({ State: 'unused', Reason: 'Target.InvalidState', Description: 'Target is in the terminated state' });
    expect(dataPlane.fleet.instance(gone.Target!.Id!)).toBeUndefined();
    await localClients().elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: gone.Target!.Id! }] }));
    instanceIds = after.filter((d) => d.TargetHealth?.State === 'healthy').map((d) => d.Target!.Id!).sort();
  });
});

describe('a second load balancer made through the API: weights, rules, draining', () => {
  let blue: string;
  let green: string;
  let lbUrl: string;
  let listenerArn: string;

  beforeAll(async () => {
    const elbv2 = localClients().elbv2;
    const vpcId = foundation.network.outputs.VpcId;
    const subnets = foundation.network.outputs.PublicSubnets.split(',');
    const group = async (name: string, instance: string) => {
      const arn = (await elbv2.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpcId, HealthCheckPath: '/health.php', HealthCheckIntervalSeconds: 5, HealthyThresholdCount: 2 }))).TargetGroups![0].TargetGroupArn!;
      await elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '40' }] }));
      await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: instance, Port: 80 }] }));
      return arn;
    };
    blue = await group('slot-blue', instanceIds[0]);
    green = await group('slot-green', instanceIds[1]);
    const lb = (await elbv2.send(new CreateLoadBalancerCommand({ Name: 'slots', Subnets: subnets.slice(0, 2), Type: 'application' }))).LoadBalancers![0];
    listenerArn = (
      await elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb.LoadBalancerArn,
          Protocol: 'HTTP',
          Port: 80,
          DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 3 }, { TargetGroupArn: green, Weight: 1 }] } }],
        }),
      )
    ).Listeners![0].ListenerArn!;
    await elbv2.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 10, Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Slot', Values: ['green'] } }], Actions: [{ Type: 'forward', TargetGroupArn: green }] }));
    await elbv2.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 20, Conditions: [{ Field: 'path-pattern', Values: ['/old/*'] }], Actions: [{ Type: 'redirect', RedirectConfig: { Path: '/details.php', StatusCode: 'HTTP_302' } }] }));
    lbUrl = await until('the new listener', async () => dataPlane.listenerUrl(lb.DNSName!) ?? '', (url) => url !== '');
    await until('both slots healthy', async () => [...(await frontHealth(blue)), ...(await frontHealth(green))], (h) => h.length === 2 && h.every((d) => d.TargetHealth?.State === 'healthy'));
  });

  it('splits a weighted forward 3:1 between the two target groups', async () => {
    const answers = [];
    for (let i = 0; i < 20; i += 1) answers.push(await getDetails(lbUrl));
    expect(answers.filter((a) => a.instanceId === instanceIds[0])).toHaveLength(15);
    expect(answers.filter((a) => a.instanceId === instanceIds[1])).toHaveLength(5);
  });

  it('a header-matched rule reaches one slot only; a path rule redirects', async () => {
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await getDetails(lbUrl, { 'x-slot': 'green' }));
    expect(new Set(answers.map((a) => a.instanceId))).toEqual(new Set([instanceIds[1]]));
    const redirect = await fetch(`${lbUrl}/old/page`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    // #{port} is the listener's port (80, the default, so dropped), not the loopback port it is mapped to.
    expect(redirect.headers.get('location')).toBe('http://127.0.0.1/details.php');
  });

  it('a weight change through ModifyListener moves all traffic', async () => {
    await localClients().elbv2.send(new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 0 }, { TargetGroupArn: green, Weight: 1 }] } }] }));
    await dataPlane.sync();
    const answers = [];
    for (let i = 0; i < 6; i += 1) answers.push(await getDetails(lbUrl));
    expect(new Set(answers.map((a) => a.instanceId))).toEqual(new Set([instanceIds[1]]));
  });

  it('a deregistered target drains: it finishes the request in flight, gets no new one, and leaves after the delay', async () => {
    const elbv2 = localClients().elbv2;
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: green, Targets: [{ Id: instanceIds[0], Port: 80 }] }));
    await until('both targets of green healthy', () => frontHealth(green), (h) => h.length === 2 && h.every((d) => d.TargetHealth?.State === 'healthy'));
    const slow = dataPlane.fleet.instance(instanceIds[0])!;
    // Five IMDS answers at 300 ms each: a details request to this instance takes about 1.5 s.
    slow.imds.delayMs = 300;
    try {
      const inFlight: Promise<{ status: number; instanceId?: string }>[] = [];
      // Round robin: of two requests, one goes to the slow instance.
      inFlight.push(getDetails(lbUrl), getDetails(lbUrl));
      await until('a request in flight at the slow instance', async () => slow.imds.calls.length, (n) => n > 0, 5_000);
      await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: green, Targets: [{ Id: instanceIds[0], Port: 80 }] }));
      await dataPlane.sync();

      expect(stateOf(await frontHealth(green))).toEqual({ [instanceIds[0]]: 'draining', [instanceIds[1]]: 'healthy' });
      const during = [];
      for (let i = 0; i < 3; i += 1) during.push(await getDetails(lbUrl));
      expect(new Set(during.map((a) => a.instanceId))).toEqual(new Set([instanceIds[1]]));
      const finished = await Promise.all(inFlight);
      expect(finished.map((a) => a.status)).toEqual([200, 200]);
      expect(new Set(finished.map((a) => a.instanceId))).toEqual(new Set(instanceIds));

      // 40 s at 1/10: gone from DescribeTargetHealth after about 4 s.
      await until('the drained target gone', () => frontHealth(green), (h) => h.length === 1, 15_000);
    } finally {
      slow.imds.delayMs = 0;
    }
  });
});

describe('an AMI the Image Builder stand-in was told to spoil', () => {
  it('passes the health check but fails the details page on HTTP, through the load balancer', async () => {
    const clients = localClients();
    await standin.registerPipeline(LOCAL_PIPELINE_ARN);
    await standin.configure({ buildSeconds: 0, spoilNext: true });
    const { imageBuildVersionArn } = await clients.imageBuilder.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: LOCAL_PIPELINE_ARN }));
    const image = await until('the spoiled build', async () => (await clients.imageBuilder.send(new GetImageCommand({ imageBuildVersionArn }))).image, (i) => i?.state?.status === 'AVAILABLE');
    const spoiledAmi = image!.outputResources!.amis![0].image!;
    const subnet = foundation.network.outputs.PrivateSubnets.split(',')[0];
    const instance = (await clients.ec2.send(new RunInstancesCommand({ ImageId: spoiledAmi, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: subnet }))).Instances![0].InstanceId!;
    const vpcId = foundation.network.outputs.VpcId;
    const group = (await clients.elbv2.send(new CreateTargetGroupCommand({ Name: 'spoiled', Protocol: 'HTTP', Port: 80, VpcId: vpcId, HealthCheckPath: '/health.php' }))).TargetGroups![0].TargetGroupArn!;
    await clients.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: group, Targets: [{ Id: instance }] }));
    const lb = (await clients.elbv2.send(new CreateLoadBalancerCommand({ Name: 'spoiled', Subnets: foundation.network.outputs.PublicSubnets.split(',').slice(0, 2) }))).LoadBalancers![0];
    await clients.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: group }] }));
    const url = await until('its listener', async () => dataPlane.listenerUrl(lb.DNSName!) ?? '', (u) => u !== '');

    await until('the spoiled instance healthy', () => frontHealth(group), (h) => h[0]?.TargetHealth?.State === 'healthy');
    expect(dataPlane.fleet.instance(instance)?.spec).toMatchObject({ amiId: spoiledAmi, spoiled: true });
    const answer = await getDetails(url);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({ error: 'rpm -qa listed no packages' });
  });
});
