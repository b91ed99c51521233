/**
 * templates/app-slots.yaml on moto (with the launcher's labelled ForwardConfig patch, docs/moto.md
 * #12) and through the local data plane: two slots behind one weighted listener, a header rule per
 * slot, and each deploy step a stack update that touches only what it should. The last test sends
 * real HTTP: the header reaches the idle slot alone, and the weights split user traffic.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeStackResourceCommand, DescribeStacksCommand, UpdateStackCommand, type Parameter } from '@aws-sdk/client-cloudformation';
import { CreateImageCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeListenersCommand, DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { systemClock } from '../../actions/lib/clock';
import { poll } from '../../actions/lib/poll';
import { startDataPlane, type DataPlane } from '../../local/data-plane';
import { REPO_ROOT } from '../../local/env';
import { deployStack, localBaseAmi, localClients, localEndpoints, useLocalAws } from './harness';

useLocalAws();

const STACK = 'patch-dev-app';
const TEMPLATE = 'templates/app-slots.yaml';
const fixture = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/slots/dev.json'), 'utf8')) as { Parameters: Record<string, string> };

let parameters: Record<string, string>;
let outputs: Record<string, string>;
let newAmi: string;

async function updateSlots(changes: Record<string, string>): Promise<void> {
  parameters = { ...parameters, ...changes };
  const Parameters: Parameter[] = Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
  const { cloudFormation } = localClients();
  await cloudFormation.send(new UpdateStackCommand({ StackName: STACK, TemplateBody: readFileSync(join(REPO_ROOT, TEMPLATE), 'utf8'), Parameters, Capabilities: ['CAPABILITY_IAM'] }));
  const status = (await cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks?.[0]?.StackStatus;
  expect(status).toBe('UPDATE_COMPLETE');
}

async function slotGroup(slot: 'Blue' | 'Green') {
  const { cloudFormation, autoScaling } = localClients();
  const name = (await cloudFormation.send(new DescribeStackResourceCommand({ StackName: STACK, LogicalResourceId: `${slot}AutoScalingGroup` }))).StackResourceDetail?.PhysicalResourceId;
  const group = (await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name!] }))).AutoScalingGroups?.[0];
  return { name, desired: group?.DesiredCapacity, instances: (group?.Instances ?? []).map((i) => i.InstanceId).sort(), tags: Object.fromEntries((group?.Tags ?? []).map((t) => [t.Key, t.Value])) };
}

async function listenerWeights(): Promise<Record<string, number | undefined>> {
  const { elbv2 } = localClients();
  const [listener] = (await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: await loadBalancerArn() }))).Listeners ?? [];
  const groups = listener?.DefaultActions?.[0]?.ForwardConfig?.TargetGroups ?? [];
  return Object.fromEntries(groups.map((g) => [g.TargetGroupArn === outputs.BlueTargetGroupArn ? 'blue' : g.TargetGroupArn === outputs.GreenTargetGroupArn ? 'green' : g.TargetGroupArn, g.Weight]));
}

async function loadBalancerArn(): Promise<string> {
  const { cloudFormation } = localClients();
  return (await cloudFormation.send(new DescribeStackResourceCommand({ StackName: STACK, LogicalResourceId: 'AppLoadBalancer' }))).StackResourceDetail!.PhysicalResourceId!;
}

beforeAll(async () => {
  const baseAmi = await localBaseAmi();
  const { ec2 } = localClients();
  const { Instances = [] } = await ec2.send(new RunInstancesCommand({ ImageId: baseAmi, MinCount: 1, MaxCount: 1 }));
  newAmi = (await ec2.send(new CreateImageCommand({ InstanceId: Instances[0].InstanceId, Name: `slots-new-${Date.now()}` }))).ImageId!;
  await deployStack('patch-dev-network', 'templates/network.yaml', {});
  parameters = { ...fixture.Parameters, BlueAmazonMachineImage: baseAmi, GreenAmazonMachineImage: baseAmi };
  ({ outputs } = await deployStack(STACK, TEMPLATE, parameters));
});

describe('templates/app-slots.yaml on moto', () => {
  it('creates two slots behind one weighted forward: blue live at 100 with its instances, green empty at 0', async () => {
    expect(await listenerWeights()).toEqual({ blue: 100, green: 0 });
    expect(await slotGroup('Blue')).toMatchObject({ desired: 2, instances: expect.arrayContaining([expect.stringMatching(/^i-/)]) });
    expect((await slotGroup('Blue')).instances).toHaveLength(2);
    expect(await slotGroup('Green')).toMatchObject({ desired: 0, instances: [] });
    expect(outputs).toMatchObject({ LiveSlot: 'blue', SlotHeaderName: 'X-Patch-Slot' });
  });

  it('has one header rule per slot that forwards to that slot alone', async () => {
    const { elbv2 } = localClients();
    const [listener] = (await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: await loadBalancerArn() }))).Listeners ?? [];
    const rules = ((await elbv2.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules ?? []).filter((r) => !r.IsDefault);
    const routes = rules.map((r) => ({
      header: r.Conditions?.[0]?.HttpHeaderConfig?.HttpHeaderName,
      value: r.Conditions?.[0]?.HttpHeaderConfig?.Values?.[0],
      to: r.Actions?.[0]?.TargetGroupArn,
    }));
    expect(routes).toEqual(
      expect.arrayContaining([
        { header: 'X-Patch-Slot', value: 'blue', to: outputs.BlueTargetGroupArn },
        { header: 'X-Patch-Slot', value: 'green', to: outputs.GreenTargetGroupArn },
      ]),
    );
    expect(routes).toHaveLength(2);
  });

  it('stage: the idle slot gets the new AMI and capacity at weight 0; blue keeps its group and its instances', async () => {
    const blueBefore = await slotGroup('Blue');
    await updateSlots({ GreenAmazonMachineImage: newAmi, GreenCapacity: '2' });
    const green = await slotGroup('Green');
    expect(green.desired).toBe(2);
    expect(green.instances).toHaveLength(2);
    expect(green.tags.AmiId).toBe(newAmi);
    expect(await slotGroup('Blue')).toEqual(blueBefore);
    expect(await listenerWeights()).toEqual({ blue: 100, green: 0 });
  });

  it('canary: a weight change is a stack update of the listener only', async () => {
    const [blueBefore, greenBefore] = [await slotGroup('Blue'), await slotGroup('Green')];
    await updateSlots({ BlueWeight: '90', GreenWeight: '10' });
    expect(await listenerWeights()).toEqual({ blue: 90, green: 10 });
    expect([await slotGroup('Blue'), await slotGroup('Green')]).toEqual([blueBefore, greenBefore]);
  });

  describe('through the local data plane', () => {
    let dataPlane: DataPlane;
    let url: string;
    const until = async <T>(description: string, check: () => Promise<T>, isDone: (value: T) => boolean) =>
      (await poll({ description, check, isDone, clock: systemClock, timeoutMs: 30_000, schedule: { firstDelayMs: 100, steadyMs: 200 } })).observation;
    const amiOf = async (headers: Record<string, string> = {}) => {
      const response = await fetch(`${url}/details.json`, { headers });
      return response.ok ? ((await response.json()) as { amiId: string }).amiId : `HTTP ${response.status}`;
    };

    beforeAll(async () => {
      dataPlane = await startDataPlane({ motoEndpoint: localEndpoints().moto, imageBuilderEndpoint: localEndpoints().imageBuilder, timeScale: 10, syncMs: 200 });
      url = await until('the slots listener', async () => dataPlane.listenerUrl(outputs.LoadBalancerDnsName) ?? '', (u) => u !== '');
      // Both slots healthy on the data plane's own checks: each header reaches its slot's AMI.
      await until('green answers through its header', () => amiOf({ 'x-patch-slot': 'green' }), (ami) => ami === newAmi);
      await until('blue answers through its header', () => amiOf({ 'x-patch-slot': 'blue' }), (ami) => ami === parameters.BlueAmazonMachineImage);
    });
    afterAll(() => dataPlane?.stop());

    it('the header reaches the idle slot only, and the weights split the rest 90:10', async () => {
      const viaHeader = new Set<string>();
      for (let i = 0; i < 6; i += 1) viaHeader.add(await amiOf({ 'x-patch-slot': 'green' }));
      expect([...viaHeader]).toEqual([newAmi]);

      const served: string[] = [];
      for (let i = 0; i < 20; i += 1) served.push(await amiOf());
      expect(served.filter((ami) => ami === newAmi)).toHaveLength(2);
      expect(served.filter((ami) => ami === parameters.BlueAmazonMachineImage)).toHaveLength(18);
    });

    it('all traffic, then a flip back to blue: one listener update each, seen on the next request', async () => {
      await updateSlots({ LiveSlot: 'green', BlueWeight: '0', GreenWeight: '100' });
      await dataPlane.sync();
      const after: string[] = [];
      for (let i = 0; i < 6; i += 1) after.push(await amiOf());
      expect(new Set(after)).toEqual(new Set([newAmi]));

      await updateSlots({ LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' });
      await dataPlane.sync();
      const back: string[] = [];
      for (let i = 0; i < 6; i += 1) back.push(await amiOf());
      expect(new Set(back)).toEqual(new Set([parameters.BlueAmazonMachineImage]));
    });

    it('retire: capacity 0 empties the idle slot; blue keeps its group and instances, users stay on blue', async () => {
      const blue = await slotGroup('Blue');
      await updateSlots({ GreenCapacity: '0' });
      // moto replaces the group on any change of its properties (AWS scales it in place): docs/moto.md #12.
      expect(await slotGroup('Green')).toMatchObject({ desired: 0, instances: [] });
      expect(await slotGroup('Blue')).toEqual(blue);
      expect(await amiOf()).toBe(parameters.BlueAmazonMachineImage);
    });
  });
});
