/**
 * update-app-stack's direct weight update (actions/lib/cloudformation/direct-update.ts) on moto,
 * with the real templates/app-slots.yaml over the SDK: a weight-only step is one UpdateStack with
 * UsePreviousTemplate (no change set on the stack), the listener forwards with the new weights,
 * neither slot's group is touched, and the stack keeps its template; a step that changes an AMI
 * still goes through a change set. Needs the launcher's patch #27 (UsePreviousValue of a
 * parameter the stack took from its Default; test/integration/moto-patches.test.ts).
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeStackResourceCommand, GetTemplateCommand, ListChangeSetsCommand } from '@aws-sdk/client-cloudformation';
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { systemClock } from '../../actions/lib/clock';
import { updateAppStack, type UpdateAppStackInputs } from '../../actions/lib/cloudformation/update-app-stack';
import { RecordingLogger } from '../../actions/lib/logger';
import { WEIGHT_PARAMETERS } from '../../actions/lib/slots/slots-update';
import { REPO_ROOT } from '../../local/env';
import { deployStack, localBaseAmi, localClients, useLocalAws } from './harness';

useLocalAws();

const STACK = 'weights-dev-app';
const TEMPLATE = 'templates/app-slots.yaml';
const shipped = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/slots/dev.json'), 'utf8')) as { Parameters: Record<string, string>; Tags: Record<string, string> };
const scratch = mkdtempSync(join(tmpdir(), 'weight-update-'));

let warm: Record<string, string>;
let outputs: Record<string, string>;

async function group(slot: 'Blue' | 'Green') {
  const { cloudFormation, autoScaling } = localClients();
  const name = (await cloudFormation.send(new DescribeStackResourceCommand({ StackName: STACK, LogicalResourceId: `${slot}AutoScalingGroup` }))).StackResourceDetail?.PhysicalResourceId;
  const found = (await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name!] }))).AutoScalingGroups?.[0];
  return { name, instances: (found?.Instances ?? []).map((i) => i.InstanceId).sort() };
}

async function weights(): Promise<Record<string, number | undefined>> {
  const { cloudFormation, elbv2 } = localClients();
  const arn = (await cloudFormation.send(new DescribeStackResourceCommand({ StackName: STACK, LogicalResourceId: 'AppLoadBalancer' }))).StackResourceDetail!.PhysicalResourceId!;
  const [listener] = (await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: arn }))).Listeners ?? [];
  const groups = listener?.DefaultActions?.[0]?.ForwardConfig?.TargetGroups ?? [];
  return Object.fromEntries(groups.map((g) => [g.TargetGroupArn === outputs.BlueTargetGroupArn ? 'blue' : 'green', g.Weight]));
}

/** One slots step as slots-update.ts runs it: a parameters file for the step, the weight parameters allowed direct. */
async function step(name: string, parameters: Record<string, string>) {
  const parametersFile = join(scratch, `${name}.json`);
  // The shipped file without AccessLogsBucket: a parameter the stack takes from its Default (patch #27).
  writeFileSync(parametersFile, `${JSON.stringify({ Parameters: parameters, Tags: shipped.Tags }, null, 2)}\n`);
  const clients = localClients();
  const inputs: UpdateAppStackInputs = {
    stackName: STACK,
    region: 'us-east-1',
    parametersFile,
    templateFile: join(REPO_ROOT, TEMPLATE),
    mode: 'deploy',
    timeoutMinutes: 2,
    rollbackMonitoringMinutes: 0,
    rollbackAlarmOutputs: ['BlueHttp5xxAlarmArn', 'BlueUnhealthyHostsAlarmArn'],
    run: { id: 'weights', attempt: '1' },
    weightParameters: WEIGHT_PARAMETERS,
  };
  return updateAppStack(inputs, { clients: { cloudFormation: clients.cloudFormation, ec2: clients.ec2, awsClock: clients.awsClock }, logger: new RecordingLogger(), clock: systemClock });
}

beforeAll(async () => {
  const ami = await localBaseAmi();
  await deployStack('patch-dev-network', 'templates/network.yaml', {});
  const rest = Object.fromEntries(Object.entries(shipped.Parameters).filter(([key]) => key !== 'AccessLogsBucket'));
  // Green live, blue warm at weight 0: inside the bake window.
  warm = { ...rest, LiveSlot: 'green', BlueAmazonMachineImage: ami, BlueCapacity: '1', BlueWeight: '0', GreenAmazonMachineImage: ami, GreenCapacity: '1', GreenWeight: '100' };
  ({ outputs } = await deployStack(STACK, TEMPLATE, warm, shipped.Tags));
});

it('a failback flip is one UpdateStack on the deployed template: the listener moves, neither group is touched', async () => {
  const before = { blue: await group('Blue'), green: await group('Green') };
  const template = (await localClients().cloudFormation.send(new GetTemplateCommand({ StackName: STACK }))).TemplateBody;
  expect(await weights()).toEqual({ blue: 0, green: 100 });

  const report = await step('flip', { ...warm, LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' });

  expect(report).toMatchObject({ outcome: 'updated', stackStatus: 'UPDATE_COMPLETE', requestToken: expect.stringMatching(/^weights-weights-1-/) });
  expect(report.changeSetId).toBeUndefined();
  expect(report.parameterChanges.map((c) => c.key)).toEqual(['LiveSlot', 'BlueWeight', 'GreenWeight']);
  expect((await localClients().cloudFormation.send(new ListChangeSetsCommand({ StackName: STACK }))).Summaries ?? []).toEqual([]);
  expect(await weights()).toEqual({ blue: 100, green: 0 });
  expect({ blue: await group('Blue'), green: await group('Green') }).toEqual(before);
  expect((await localClients().cloudFormation.send(new GetTemplateCommand({ StackName: STACK }))).TemplateBody).toBe(template);
});

it('a step that changes a slot\'s capacity (the stage step\'s kind) goes through a change set', async () => {
  const report = await step('stage', { ...warm, LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0', GreenAmazonMachineImage: await localBaseAmi(), GreenCapacity: '2' });
  expect(report.changeSetId).toMatch(/changeSet/);
  expect(report.requestToken).toBeUndefined();
});
