/**
 * The slots deploy through the real bundled update-app-stack, as a runner runs it, against moto
 * (with the launcher's ForwardConfig patch) and the local data plane, while a load generator plays
 * the users: a patch goes stage → prove (through the slot header) → canary → switch with the
 * canary share visible in the users' counts; a spoiled AMI fails its own verification before any
 * user reaches it, traffic stays on the live slot, and the step fails naming the cause and what
 * the stack runs. Staging ahead: a stage-only change stages and proves the idle slot with no user
 * on it, the switch with a fresh proof takes one look instead of a prove watch, and a staged slot
 * that fails its prove goes back to what it ran. Users see no failed request but those the shared
 * machine's load times out.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeStackResourceCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';

import { systemClock } from '../../actions/lib/clock';
import { poll } from '../../actions/lib/poll';
import { startDataPlane, type DataPlane } from '../../local/data-plane';
import { LoadGenerator } from '../../local/data-plane/load-generator';
import { LOCAL_PIPELINE_ARN, REPO_ROOT } from '../../local/env';
import { runBundledAction } from '../../local/run-action';
import { buildLocalAmi, deployStack, localBaseAmi, localClients, localEndpoints, localEnv, standin, useLocalAws } from './harness';

useLocalAws();

const STACK = 'patch-dev-app';
const shipped = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/slots/dev.json'), 'utf8')) as { Parameters: Record<string, string>; Tags: Record<string, string> };
/**
 * With the ALB's access logs on (AccessLogsBucket set): every step below is a stack update of a
 * template whose load balancer has conditional attributes. moto records no LoadBalancerAttributes
 * from a template (docs/moto.md #23), so the bucket is not created here and no log is written;
 * what this checks is that the steps' updates go through with the option set. The cycle deploys it
 * off (''); a file without the line at all needs the launcher's elbv2_load_balancer_update patch.
 */
const fixture = { ...shipped, Parameters: { ...shipped.Parameters, AccessLogsBucket: 'patch-dev-access-logs' } };
const scratch = mkdtempSync(join(tmpdir(), 'slots-deploy-'));
console.log(`slots-deploy: step logs in ${scratch}`);

/**
 * The only failures tolerated: a user's request the load generator cut off after its timeout. On
 * this shared two-core machine the php processes behind the data plane can stall under load; the
 * load balancer's own 502/503 (an empty or dying target group) and an instance's own error are
 * never tolerated. (Before the launcher's cloudformation_previous_values patch, moto rebuilt both
 * slot groups on every weight step and users met 502/503: docs/moto.md #12.)
 */
const MACHINE_LOAD = /^timed out after \d+ ms$/;

let dataPlane: DataPlane;
let url: string;
let baseAmi: string;
let outputs: Record<string, string>;

const until = async <T>(description: string, check: () => Promise<T>, isDone: (value: T) => boolean) =>
  (await poll({ description, check, isDone, clock: systemClock, timeoutMs: 30_000, schedule: { firstDelayMs: 100, steadyMs: 200 } })).observation;

const buildAmi = (options: { spoil?: boolean } = {}) => buildLocalAmi(LOCAL_PIPELINE_ARN, options);

/** The instances of one slot's Auto Scaling group now, found through the stack (outputs can go stale in moto). */
async function slotInstances(slot: 'Blue' | 'Green'): Promise<string[]> {
  const { cloudFormation, autoScaling } = localClients();
  const { StackResourceDetail } = await cloudFormation.send(new DescribeStackResourceCommand({ StackName: STACK, LogicalResourceId: `${slot}AutoScalingGroup` }));
  const { AutoScalingGroups = [] } = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [StackResourceDetail!.PhysicalResourceId!] }));
  return (AutoScalingGroups[0]?.Instances ?? []).map((i) => i.InstanceId!).sort();
}

async function stackParameters(): Promise<Record<string, string>> {
  const stack = (await localClients().cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0];
  return Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey!, p.ParameterValue!]));
}

/** HEAD's parameters file, written like a commit would leave it. */
function headFile(name: string, parameters: Record<string, string>): string {
  const file = join(scratch, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ Parameters: parameters, Tags: fixture.Tags }, null, 2)}\n`);
  return file;
}

/**
 * moto fix-up (docs/moto.md #6, #12): moto replaces a slot's group on changes AWS applies in place,
 * and leaves the old group's terminated instances registered, which verify-alb rightly refuses. On
 * AWS the Auto Scaling group deregisters them itself; here a loop does it for the duration of a run.
 */
function deregisterTerminatedTargets(targetGroups: string[]): () => Promise<void> {
  const { elbv2, ec2 } = localClients();
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const TargetGroupArn of targetGroups) {
        const targets = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn }))).TargetHealthDescriptions ?? [];
        const ids = targets.map((t) => t.Target!.Id!);
        if (ids.length === 0) continue;
        const reservations = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations ?? [];
        const gone = reservations.flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name !== 'running').map((i) => ({ Id: i.InstanceId! }));
        if (gone.length > 0) await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn, Targets: gone }));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

async function deploy(file: string, extra: Record<string, string> = {}) {
  const users = new LoadGenerator({ url, ratePerSecond: 20, maxSeconds: 120 });
  const stopFixUp = deregisterTerminatedTargets([outputs.BlueTargetGroupArn, outputs.GreenTargetGroupArn]);
  users.start();
  const from = Date.now();
  const run = await runBundledAction(
    'update-app-stack',
    { 'stack-name': STACK, 'parameters-file': file, template: 'templates/app-slots.yaml', 'verify-url': url, 'verify-seconds': '2', 'canary-weight': '25', 'canary-seconds': '4', ...extra },
    { ...localEnv(), AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: dataPlane.elbv2Endpoint },
    { timeoutMs: 180_000 },
  );
  await users.stop();
  await stopFixUp();
  writeFileSync(join(scratch, `${file.split('/').pop()}.log`), run.stdout);
  return { run, traffic: users.window(from, Date.now()) };
}

/** verify-alb (bundle) in stack mode, as the deploy job's verify step runs it after update-app-stack: it must find the live slot itself. */
async function verifyLiveSlot(expectedAmi: string) {
  return runBundledAction(
    'verify-alb',
    { 'stack-name': STACK, 'expected-ami-id': expectedAmi, url, path: '/details.json', 'watch-seconds': '2', 'timeout-minutes': '1' },
    { ...localEnv(), AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: dataPlane.elbv2Endpoint },
    { timeoutMs: 120_000 },
  );
}

beforeAll(async () => {
  await standin.registerPipeline(LOCAL_PIPELINE_ARN);
  baseAmi = await localBaseAmi();
  await deployStack('patch-dev-network', 'templates/network.yaml', {});
  ({ outputs } = await deployStack(STACK, 'templates/app-slots.yaml', { ...fixture.Parameters, BlueAmazonMachineImage: baseAmi, GreenAmazonMachineImage: baseAmi }, fixture.Tags));
  dataPlane = await startDataPlane({ motoEndpoint: localEndpoints().moto, imageBuilderEndpoint: localEndpoints().imageBuilder, timeScale: 10, syncMs: 200 });
  url = await until('the slots listener', async () => dataPlane.listenerUrl(outputs.LoadBalancerDnsName) ?? '', (u) => u !== '');
  await until('blue serving', async () => (await fetch(`${url}/details.json`)).status, (status) => status === 200);
});
afterAll(() => dataPlane?.stop());

describe('update-app-stack (bundle) with templates/app-slots.yaml', () => {
  let patchAmi: string;

  it('deploys a patch in steps: green proven through its header, a canary share users saw, then all traffic', async () => {
    patchAmi = await buildAmi();
    const head = { ...fixture.Parameters, BlueAmazonMachineImage: baseAmi, LiveSlot: 'green', GreenAmazonMachineImage: patchAmi, GreenCapacity: '2', GreenWeight: '100', BlueWeight: '0' };
    const blueBefore = await slotInstances('Blue');
    const { run, traffic } = await deploy(headFile('patch', head));

    expect({ exit: run.exitCode, stderr: run.exitCode ? run.stdout.slice(-3000) : '' }).toEqual({ exit: 0, stderr: '' });
    expect(run.outputs).toMatchObject({ changed: 'true', 'previous-ami-id': baseAmi, 'ami-id': patchAmi });
    expect(run.outputs['changes-markdown']).toMatch(/\*\*stage\*\*.*\n.*\*\*prove\*\*.*through the slot header.*\n.*\*\*canary\*\*: green at 25 %.*; green's alarms in ALARM: none\n.*\*\*switch\*\*/);
    // Each step's update watches the alarms of the slot that takes users in it: none while green is staged.
    const triggers = run.stdout.split('\n').filter((line) => line.includes('Rollback triggers of this step'));
    const greens = `green's alarms (${outputs.GreenHttp5xxAlarmArn}, ${outputs.GreenUnhealthyHostsAlarmArn})`;
    expect(triggers.map((line) => (line.includes(greens) ? 'green' : /: none/.test(line) ? 'none' : line))).toEqual(['none', 'green', 'green']);
    // The canary read green's alarms from CloudWatch (moto, patched: docs/moto.md #18).
    expect(run.stdout).toMatch(/green's alarms: patch-dev-app-green-5xx-rate (OK|INSUFFICIENT_DATA), patch-dev-app-green-unhealthy-hosts (OK|INSUFFICIENT_DATA)/);
    expect(await stackParameters()).toMatchObject(head);
    // Blue stayed warm: the canary and switch steps changed weights only, so its group and instances
    // are the ones it had before the deploy (fails without the launcher's previous-values patch).
    expect(await slotInstances('Blue')).toEqual(blueBefore);
    // What users saw: the new AMI answered them (the canary share, then all), and no request failed
    // but those the machine's load timed out (see MACHINE_LOAD).
    expect(Object.keys(traffic.failures).filter((kind) => !MACHINE_LOAD.test(kind))).toEqual([]);
    const served = Object.fromEntries(traffic.byAmi.map((a) => [a.amiId, a.requests]));
    expect(served[baseAmi]).toBeGreaterThan(0);
    expect(served[patchAmi]).toBeGreaterThan(0);

    // The job's verify step: stack mode finds green (LiveSlot), its target group and its group.
    const verified = await verifyLiveSlot(patchAmi);
    expect({ exit: verified.exitCode, out: verified.exitCode ? verified.stdout.slice(-2000) : '' }).toEqual({ exit: 0, out: '' });
    expect(verified.outputs).toMatchObject({ healthy: 'true', 'healthy-targets': '2', 'served-ami-ids': JSON.stringify([patchAmi]) });
    expect(verified.stdout).toContain(`live slot green, target group ${outputs.GreenTargetGroupArn}`);
  }, 300_000);

  it('a spoiled AMI fails on its own target group: traffic stays on green, the step fails naming the cause and what runs', async () => {
    const badAmi = await buildAmi({ spoil: true });
    const before = await stackParameters();
    const head = { ...before, LiveSlot: 'blue', BlueAmazonMachineImage: badAmi, BlueCapacity: '2', BlueWeight: '100', GreenWeight: '0' };
    const { run, traffic } = await deploy(headFile('bad', head));

    expect(run.exitCode).toBe(1);
    const error = run.annotations.filter((a) => a.level === 'error').pop()?.message ?? run.stdout;
    expect(error).toMatch(/blue did not pass on its own target group: .*HTTP error rate 100 %/);
    expect(error).toMatch(new RegExp(`Traffic is back on green \\(${patchAmi}\\); green proven again`));
    expect(run.outputs).toMatchObject({ 'previous-ami-id': patchAmi, 'ami-id': patchAmi });
    expect(await stackParameters()).toMatchObject({ LiveSlot: 'green', GreenWeight: '100', BlueWeight: '0', BlueAmazonMachineImage: badAmi });
    // No user ever reached the spoiled AMI: its weight never left 0.
    expect(traffic.byAmi.map((a) => a.amiId)).toEqual([patchAmi]);
    expect(Object.keys(traffic.failures).filter((kind) => !MACHINE_LOAD.test(kind))).toEqual([]);
    // After the flip back, stack mode verifies green again, not the spoiled blue.
    expect((await verifyLiveSlot(patchAmi)).outputs).toMatchObject({ healthy: 'true', 'served-ami-ids': JSON.stringify([patchAmi]) });
  }, 300_000);

  it("a canary whose users trip the new slot's 5xx alarm flips back, though the header samples pass", async () => {
    const fixAmi = await buildAmi();
    const before = await stackParameters();
    const head = { ...before, LiveSlot: 'blue', BlueAmazonMachineImage: fixAmi, BlueCapacity: '2', BlueWeight: '100', GreenWeight: '0' };
    // STAND-IN for CloudWatch's evaluation of the canary's users' 5xx responses (moto evaluates no
    // ALB metrics): blue's 5xx alarm is held in ALARM while the deploy runs.
    const { cloudWatch } = localClients();
    let alarming = true;
    const hold = (async () => {
      while (alarming) {
        await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: `${STACK}-blue-5xx-rate`, StateValue: 'ALARM', StateReason: 'stand-in: 2 of 3 minutes above 5 % 5xx' }));
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    const { run, traffic } = await deploy(headFile('alarming', head)).finally(async () => {
      alarming = false;
      await hold;
      await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: `${STACK}-blue-5xx-rate`, StateValue: 'OK', StateReason: 'the test is over' }));
    });

    expect(run.exitCode).toBe(1);
    const error = run.annotations.filter((a) => a.level === 'error').pop()?.message ?? run.stdout;
    expect(error).toMatch(/the canary \(25 % of traffic for 4 s\) did worse than green: alarm patch-dev-app-blue-5xx-rate is in ALARM \(stand-in: 2 of 3 minutes above 5 % 5xx\), and the live slot's is not/);
    expect(error).toMatch(new RegExp(`Traffic is back on green \\(${patchAmi}\\); green proven again`));
    expect(run.outputs).toMatchObject({ 'failed-step': 'canary', 'flipped-back-to': 'green', 'ami-id': patchAmi });
    expect(await stackParameters()).toMatchObject({ LiveSlot: 'green', GreenWeight: '100', BlueWeight: '0', BlueAmazonMachineImage: fixAmi });
    expect(Object.keys(traffic.failures).filter((kind) => !MACHINE_LOAD.test(kind))).toEqual([]);
  }, 300_000);

  // Staging ahead (docs/parameters.md): the stage PR's deploy, then the switch PR's.
  let stagedAmi: string;

  it('a stage-only change stages the idle slot at weight 0 and proves it through its header; no user reaches it', async () => {
    stagedAmi = await buildAmi();
    const before = await stackParameters();
    // The stage PR: blue gets the new AMI and capacity, LiveSlot and the weights stay.
    const head = { ...before, BlueAmazonMachineImage: stagedAmi, BlueCapacity: '2' };
    const { run, traffic } = await deploy(headFile('stage', head));

    expect({ exit: run.exitCode, stderr: run.exitCode ? run.stdout.slice(-3000) : '' }).toEqual({ exit: 0, stderr: '' });
    expect(run.outputs).toMatchObject({ changed: 'true', 'previous-ami-id': patchAmi, 'ami-id': patchAmi, 'stage-failed': '' });
    expect(run.outputs['changes-markdown']).toMatch(/^- \*\*stage\*\*: blue: .* at weight 0; users stay on green.*\n- \*\*prove\*\*: blue proven through the slot header: \d+ samples, 0\.0 % errors; no user traffic$/);
    const evidence = JSON.parse(run.outputs['stage-evidence']) as { slot: string; amiId: string; liveAmiId: string; samples: number; instances: { instanceId: string; amiId: string }[] };
    expect(evidence).toMatchObject({ slot: 'blue', amiId: stagedAmi, liveSlot: 'green', liveAmiId: patchAmi });
    expect(evidence.samples).toBeGreaterThan(0);
    // The AMI of each instance, as EC2 reports it: the switch PR's body shows them.
    expect(evidence.instances.map((i) => i.amiId)).toEqual([stagedAmi, stagedAmi]);
    expect(evidence.instances.map((i) => i.instanceId).sort()).toEqual(await slotInstances('Blue'));
    // The stage touched only the idle slot: no rollback trigger, and users never left green.
    expect(run.stdout.split('\n').filter((line) => line.includes('Rollback triggers of this step')).map((line) => /: none/.test(line))).toEqual([true]);
    expect(await stackParameters()).toMatchObject(head);
    expect(traffic.byAmi.map((a) => a.amiId)).toEqual([patchAmi]);
    expect(Object.keys(traffic.failures).filter((kind) => !MACHINE_LOAD.test(kind))).toEqual([]);
  }, 300_000);

  it("the switch PR's deploy with a fresh proof: one look at the staged slot, then canary and switch, no relaunch and no prove watch", async () => {
    const before = await stackParameters();
    const blueBefore = await slotInstances('Blue');
    const head = { ...before, LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' };
    const proof = JSON.stringify({ amiId: stagedAmi, provenAt: new Date().toISOString() });
    const { run, traffic } = await deploy(headFile('switch', head), { 'staged-proof': proof });

    expect({ exit: run.exitCode, stderr: run.exitCode ? run.stdout.slice(-3000) : '' }).toEqual({ exit: 0, stderr: '' });
    expect(run.outputs).toMatchObject({ 'previous-ami-id': patchAmi, 'ami-id': stagedAmi, 'stage-evidence': '' });
    expect(run.outputs['changes-markdown']).toMatch(/^- \*\*check\*\*: blue was staged and proven \d+ min ago, and at one look every target is healthy on .*: no second prove watch\n- \*\*canary\*\*: .*\n- \*\*switch\*\*/);
    expect(run.stdout).not.toContain('Slots prove: verify blue');
    expect(await stackParameters()).toMatchObject(head);
    // The staged instances took the users: the canary and the switch moved weights only.
    expect(await slotInstances('Blue')).toEqual(blueBefore);
    expect(Object.fromEntries(traffic.byAmi.map((a) => [a.amiId, a.requests > 0]))).toMatchObject({ [stagedAmi]: true, [patchAmi]: true });
    expect(Object.keys(traffic.failures).filter((kind) => !MACHINE_LOAD.test(kind))).toEqual([]);
  }, 300_000);

  it('a staged slot that fails its prove goes back to what it ran; users stay on the live slot, and the step says both AMIs', async () => {
    const badAmi = await buildAmi({ spoil: true });
    const before = await stackParameters();
    // Green is idle now (warm on the previous AMI): a stage PR puts the spoiled AMI there.
    const head = { ...before, GreenAmazonMachineImage: badAmi, GreenCapacity: '2' };
    const { run, traffic } = await deploy(headFile('stage-bad', head));

    expect(run.exitCode).toBe(1);
    const error = run.annotations.filter((a) => a.level === 'error').pop()?.message ?? run.stdout;
    expect(error).toMatch(new RegExp(`Staging ${badAmi} in green of ${STACK} failed: green did not pass on its own target group: .*users stayed on blue \\(${stagedAmi}\\) throughout; green is back on ${patchAmi}`));
    expect(JSON.parse(run.outputs['stage-failed'])).toEqual({ slot: 'green', previousAmiId: patchAmi, amiId: badAmi, restored: true });
    // git = stack: what the record step will write (the stack as before the stage) is what runs.
    expect(await stackParameters()).toEqual(before);
    expect(traffic.byAmi.map((a) => a.amiId)).toEqual([stagedAmi]);
    expect(Object.keys(traffic.failures).filter((kind) => !MACHINE_LOAD.test(kind))).toEqual([]);
  }, 300_000);
});
