/**
 * The end of the bake window on the real path: the bundled gitops and update-app-stack actions,
 * run the way a runner runs deploy-environment.yml's bake steps, in a clone of a repository laid
 * out like this one (a bare directory stands in for GitHub), against templates/app-slots.yaml in
 * moto, whose alarms and alarm history come from the launcher's CloudWatch patch (docs/moto.md
 * #18: an alarm fires here only by SetAlarmState). The window is shortened to 40 s in this test's
 * wiring (slots.bakeSeconds; the shipped default is 300 s) and measured on AWS's clock (moto's
 * Date header and stack events).
 *
 * Green is live after a deploy, blue warm: check-retirement first leaves the open window to a later
 * run, then waits for its end; update-app-stack scales blue to zero (one stack update); record-
 * retirement commits BlueCapacity "0" and nothing else; a stale re-run changes nothing. Then blue is
 * warmed again by a commit, an alarm fires inside the new window, and the retirement is refused
 * with failed-in-window, which is what makes the deploy job flip back.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeStackResourceCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { RegisterImageCommand } from '@aws-sdk/client-ec2';

import { parseMetadataBlock } from '../../actions/lib/gitops/commit-metadata';
import { FAULTS, INTEGRATION_ROWS_ELSEWHERE } from '../unit/reliability/catalogue';
import { REPO_ROOT } from '../../local/env';
import { runBundledAction } from '../../local/run-action';
import { deployStack, deregisterTerminatedTargetsMeanwhile, DEV_AMI_OWNERS, localBaseAmi, localClients, localEndpoints, localEnv, useLocalAws } from './harness';
import { startDataPlane } from '../../local/data-plane';
import { git } from '../support/git-command';
import { seedSwitchedSlotsRepository } from '../support/switched-slots-repository';

useLocalAws();
jest.setTimeout(300_000);

const F112 = FAULTS.find((f) => f.id === 'F112')!;

const STACK = 'patch-dev-app';
const FILE = 'parameters/dev.json';
const BAKE_SECONDS = 40;
const root = mkdtempSync(join(tmpdir(), 'retire-slots-it-'));
const seed = join(root, 'seed');
const origin = join(root, 'origin.git');
const workspace = join(root, 'workspace');
const shipped = JSON.parse(readFileSync(join(REPO_ROOT, FILE), 'utf8')) as { Parameters: Record<string, string>; Tags: Record<string, string> };
let base: string;
let patched: string;
let afterSwitch: Record<string, string>;


/** A parameters file one key per line, as the repository keeps them. */
const fileText = (parameters: Record<string, string>) => `${JSON.stringify({ Parameters: parameters, Tags: shipped.Tags }, null, 2)}\n`;

/** A step of the job: the bundled action, cwd = the workspace, as on a runner. */
const step = (action: string, inputs: Record<string, string>) => runBundledAction(action, inputs, { ...localEnv(), GITHUB_WORKSPACE: workspace, GITHUB_TOKEN: 'local-token' }, { timeoutMs: 200_000 });
const updateStack = () => step('update-app-stack', { 'stack-name': STACK, 'parameters-file': FILE, template: 'templates/app-slots.yaml', 'ami-owners': DEV_AMI_OWNERS });
const errorOf = (run: { annotations: { level: string; message: string }[]; stdout: string }) => run.annotations.filter((a) => a.level === 'error').pop()?.message ?? run.stdout.slice(-2000);

async function stackParameters(): Promise<Record<string, string>> {
  const stack = (await localClients().cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0];
  return Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey!, p.ParameterValue!]));
}

async function blueInstances(): Promise<number> {
  const { cloudFormation, autoScaling } = localClients();
  const { StackResourceDetail } = await cloudFormation.send(new DescribeStackResourceCommand({ StackName: STACK, LogicalResourceId: 'BlueAutoScalingGroup' }));
  const { AutoScalingGroups = [] } = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [StackResourceDetail!.PhysicalResourceId!] }));
  return AutoScalingGroups[0]?.Instances?.length ?? 0;
}

beforeAll(async () => {
  base = await localBaseAmi();
  patched = (await localClients().ec2.send(new RegisterImageCommand({ Name: `retire-${Date.now()}`, RootDeviceName: '/dev/xvda', Architecture: 'x86_64', VirtualizationType: 'hvm' }))).ImageId!;
  // What a deploy of the patch into green leaves: green live, blue warm on the AMI before it.
  afterSwitch = { ...shipped.Parameters, LiveSlot: 'green', BlueAmazonMachineImage: base, BlueCapacity: '2', BlueWeight: '0', GreenAmazonMachineImage: patched, GreenCapacity: '2', GreenWeight: '100' };

  // The repository: the real wiring (dev's window shortened), templates and parameters.
  const wiring = JSON.parse(readFileSync(join(REPO_ROOT, 'parameters/environments.json'), 'utf8')) as { environments: Record<string, Record<string, unknown>> };
  wiring.environments.dev.slots = { bakeSeconds: BAKE_SECONDS };
  seedSwitchedSlotsRepository({
    root,
    seed,
    file: FILE,
    wiringText: `${JSON.stringify(wiring, null, 2)}\n`,
    startText: fileText({ ...shipped.Parameters, BlueAmazonMachineImage: base, GreenAmazonMachineImage: base }),
    afterSwitchText: fileText(afterSwitch),
    switchMessage: `Bump dev AMI from ${base} to ${patched}`,
  });
  git(root, 'clone', '--quiet', '--bare', seed, origin);
  git(root, 'clone', '--quiet', origin, workspace);

  // The stack as the deploy left it; its CREATE_COMPLETE event is the switch the window starts at.
  await deployStack('patch-dev-network', 'templates/network.yaml', {});
  await deployStack(STACK, 'templates/app-slots.yaml', afterSwitch, shipped.Tags);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The first truthy answer of `read`, within 30 s. */
async function until(read: () => Promise<string>): Promise<string> {
  for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 200))) {
    const value = await read();
    if (value) return value;
  }
  throw new Error('the slots listener did not appear in the local data plane within 30 s');
}

describe('the bake window with the bundled actions (moto, a local git remote)', () => {
  it('implements its rows of the fault catalogue', () => {
    expect(INTEGRATION_ROWS_ELSEWHERE['retire-slots.test.ts']).toEqual([F112.id]);
  });

  it('leaves a window still open to a later run: no change, the end on AWS\'s clock', async () => {
    const run = await step('gitops', { command: 'check-retirement', environment: 'dev' });
    expect({ exit: run.exitCode, error: run.exitCode ? errorOf(run) : '' }).toEqual({ exit: 0, error: '' });
    expect(run.outputs).toMatchObject({ verdict: 'wait', retire: 'false', slot: 'blue', 'retired-ami-id': base });
    expect(run.outputs['ends-at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(git(workspace, 'status', '--porcelain')).toBe('');
  });

  it('waits for the end of the window, then scales blue to zero in one stack update, and git records BlueCapacity "0" only', async () => {
    const bake = await step('gitops', { command: 'check-retirement', environment: 'dev', 'wait-seconds': String(BAKE_SECONDS + 30) });
    expect({ exit: bake.exitCode, error: bake.exitCode ? errorOf(bake) : '' }).toEqual({ exit: 0, error: '' });
    expect(bake.outputs).toMatchObject({ verdict: 'retire', retire: 'true', record: 'true', slot: 'blue' });
    expect(bake.stdout).toMatch(/ended at .* with every alarm quiet and no failback/);

    const retire = await updateStack();
    expect({ exit: retire.exitCode, error: retire.exitCode ? errorOf(retire) : '' }).toEqual({ exit: 0, error: '' });
    expect(retire.outputs['changes-markdown']).toMatch(/\*\*update\*\*: patch-dev-app = parameters\/dev\.json; green stays live/);
    expect(await stackParameters()).toMatchObject({ ...afterSwitch, BlueCapacity: '0' });
    expect(await blueInstances()).toBe(0);

    const headText = git(origin, 'show', `main:${FILE}`);
    const record = await step('gitops', { command: 'record-retirement', environment: 'dev' });
    expect({ exit: record.exitCode, error: record.exitCode ? errorOf(record) : '' }).toEqual({ exit: 0, error: '' });
    expect(record.outputs).toMatchObject({ outcome: 'pushed', slot: 'blue', 'retired-ami-id': base });
    expect(git(origin, 'show', `main:${FILE}`)).toBe(headText.replace('"BlueCapacity": "2"', '"BlueCapacity": "0"'));
    const message = git(origin, 'log', '-1', '--format=%B', 'main');
    expect(message.split('\n')[0]).toBe(`Retire blue in dev: the bake window of ${patched} ended quiet`);
    expect(parseMetadataBlock(message)).toEqual([expect.objectContaining({ 'update-type': 'retire-slot', parameter: 'BlueCapacity', 'ami-id': patched, 'retired-ami-id': base })]);
    // Git and the stack agree.
    expect(JSON.parse(git(origin, 'show', `main:${FILE}`)).Parameters).toEqual(await stackParameters());
  });

  it('a stale re-run: nothing left to retire, nothing recorded twice', async () => {
    const check = await step('gitops', { command: 'check-retirement', environment: 'dev' });
    expect(check.outputs).toMatchObject({ verdict: 'none', retire: 'false', record: 'false' });
    const record = await step('gitops', { command: 'record-retirement', environment: 'dev' });
    expect(record.outputs).toMatchObject({ outcome: 'unchanged' });
    expect(git(origin, 'log', '-1', '--format=%s', 'main')).toMatch(/^Retire blue in dev/);
  });

  // Row F112 of the fault catalogue (test/unit/reliability/catalogue.ts): an alarm inside a new
  // window (blue warmed again by a commit) refuses the retirement with failed-in-window.
  it(`${F112.id} ${F112.name}`, async () => {
    git(workspace, 'pull', '--quiet', '--ff-only');
    writeFileSync(join(workspace, FILE), fileText(afterSwitch));
    git(workspace, 'commit', '--quiet', '-am', 'Warm blue again');
    git(workspace, 'push', '--quiet', 'origin', 'HEAD:main');
    // Warming a retired slot stages it and proves it through the slot header before the window
    // starts again, so this step needs HTTP behind the listener (the local data plane), and the
    // retired instances moto keeps registered must go (docs/moto.md #6).
    const { outputs } = await localClients().cloudFormation.send(new DescribeStacksCommand({ StackName: STACK })).then((r) => ({ outputs: Object.fromEntries((r.Stacks![0].Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!])) }));
    const dataPlane = await startDataPlane({ motoEndpoint: localEndpoints().moto, imageBuilderEndpoint: localEndpoints().imageBuilder, timeScale: 10, syncMs: 200 });
    const stopFixUp = deregisterTerminatedTargetsMeanwhile(STACK);
    const warm = await (async () => {
      const url = await until(async () => dataPlane.listenerUrl(outputs.LoadBalancerDnsName) ?? '');
      return runBundledAction(
        'update-app-stack',
        { 'stack-name': STACK, 'parameters-file': FILE, template: 'templates/app-slots.yaml', 'ami-owners': DEV_AMI_OWNERS, 'verify-url': url, 'verify-seconds': '2' },
        { ...localEnv(), GITHUB_WORKSPACE: workspace, GITHUB_TOKEN: 'local-token', AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: dataPlane.elbv2Endpoint },
        { timeoutMs: 200_000 },
      );
    })().finally(async () => {
      await stopFixUp();
      await dataPlane.stop();
    });
    expect({ exit: warm.exitCode, error: warm.exitCode ? errorOf(warm) : '' }).toEqual({ exit: 0, error: '' });

    const { cloudWatch } = localClients();
    await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: `${STACK}-green-5xx-rate`, StateValue: 'ALARM', StateReason: 'retire-slots.test: green answers 5xx' }));
    await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: `${STACK}-green-5xx-rate`, StateValue: 'OK', StateReason: 'retire-slots.test: recovered' }));
    const before = await stackParameters();
    const check = await step('gitops', { command: 'check-retirement', environment: 'dev', 'wait-seconds': String(BAKE_SECONDS + 30) });
    expect(check.exitCode).toBe(1);
    expect(check.outputs).toMatchObject({ verdict: 'refuse', retire: 'false', 'failed-in-window': 'true' });
    expect(errorOf(check)).toMatch(/Bake window of dev NOT ended: a failure inside the bake window: alarm patch-dev-app-green-5xx-rate went to ALARM at .*blue is kept warm/);
    expect(await stackParameters()).toEqual(before);
    expect(git(workspace, 'status', '--porcelain')).toBe('');
  });
});
