/**
 * A stage merged while the old slot is still warm in its bake window, on the real path: the bundled
 * gitops action's check-switch, run the way a runner runs deploy-environment.yml's "Check the
 * switch" step, in a clone of a repository laid out like this one, against templates/app-slots.yaml
 * in moto, the window measured on AWS's clock (moto's Date header and the stack's events).
 *
 * Green is live after a deploy, blue warm on the AMI users left; dev's window is an hour
 * (slots.bakeSeconds 3600) and staging ahead is on. The stage PR of a third AMI is merged: the step
 * refuses it (exit 1) before any AWS change, git untouched. With the window over (bakeSeconds 0
 * in the wiring, one commit that leaves dev's file alone) the same step lets the stage through.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { RegisterImageCommand } from '@aws-sdk/client-ec2';

import { FAULTS, INTEGRATION_ROWS_ELSEWHERE } from '../unit/reliability/catalogue';
import { REPO_ROOT } from '../../local/env';
import { runBundledAction } from '../../local/run-action';
import { deployStack, localBaseAmi, localClients, localEnv, useLocalAws } from './harness';
import { git } from '../support/git-command';
import { seedSwitchedSlotsRepository } from '../support/switched-slots-repository';

useLocalAws();
jest.setTimeout(300_000);

const F208 = FAULTS.find((f) => f.id === 'F208')!;
const STACK = 'patch-dev-app';
const FILE = 'parameters/dev.json';
const STAGED = 'ami-0c0ffee00000000c3';
const root = mkdtempSync(join(tmpdir(), 'stage-window-it-'));
const seed = join(root, 'seed');
const origin = join(root, 'origin.git');
const workspace = join(root, 'workspace');
const shipped = JSON.parse(readFileSync(join(REPO_ROOT, FILE), 'utf8')) as { Parameters: Record<string, string>; Tags: Record<string, string> };
const wiring = JSON.parse(readFileSync(join(REPO_ROOT, 'parameters/environments.json'), 'utf8')) as { environments: Record<string, Record<string, unknown>> };
let base: string;
let patched: string;
let afterSwitch: Record<string, string>;

const fileText = (parameters: Record<string, string>) => `${JSON.stringify({ Parameters: parameters, Tags: shipped.Tags }, null, 2)}\n`;
const wiringText = (bakeSeconds: number) => `${JSON.stringify({ ...wiring, environments: { ...wiring.environments, dev: { ...wiring.environments.dev, slots: { stageAhead: true, bakeSeconds } } } }, null, 2)}\n`;
const checkSwitch = () =>
  runBundledAction('gitops', { command: 'check-switch', environment: 'dev', 'run-id': '4242' }, { ...localEnv(), GITHUB_WORKSPACE: workspace, GITHUB_TOKEN: 'local-token' }, { timeoutMs: 120_000 });
const errorOf = (run: { annotations: { level: string; message: string }[]; stdout: string }) => run.annotations.filter((a) => a.level === 'error').pop()?.message ?? '';

async function stackState(): Promise<{ status?: string; parameters: Record<string, string> }> {
  const stack = (await localClients().cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0];
  return { status: stack.StackStatus, parameters: Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey!, p.ParameterValue!])) };
}

beforeAll(async () => {
  base = await localBaseAmi();
  patched = (await localClients().ec2.send(new RegisterImageCommand({ Name: `stage-window-${Date.now()}`, RootDeviceName: '/dev/xvda', Architecture: 'x86_64', VirtualizationType: 'hvm' }))).ImageId!;
  // What the deploy of the patch into green left: green live, blue warm on the AMI before it.
  afterSwitch = { ...shipped.Parameters, LiveSlot: 'green', BlueAmazonMachineImage: base, BlueCapacity: '2', BlueWeight: '0', GreenAmazonMachineImage: patched, GreenCapacity: '2', GreenWeight: '100' };
  seedSwitchedSlotsRepository({
    root,
    seed,
    file: FILE,
    wiringText: wiringText(3600),
    startText: fileText({ ...shipped.Parameters, BlueAmazonMachineImage: base, GreenAmazonMachineImage: base }),
    afterSwitchText: fileText(afterSwitch),
    switchMessage: `Bump dev AMI from ${base} to ${patched}`,
  });
  // The stage PR, merged: blue gets the new AMI at weight 0 (its capacity is there already).
  writeFileSync(join(seed, FILE), fileText({ ...afterSwitch, BlueAmazonMachineImage: STAGED }));
  git(seed, 'commit', '--quiet', '-am', `Stage dev AMI ${STAGED} in blue (users stay on ${patched})`);
  git(root, 'clone', '--quiet', '--bare', seed, origin);
  git(root, 'clone', '--quiet', origin, workspace);
  // The stack as that deploy left it; its CREATE_COMPLETE event is the switch the window starts at.
  await deployStack('patch-dev-network', 'templates/network.yaml', {});
  await deployStack(STACK, 'templates/app-slots.yaml', afterSwitch, shipped.Tags);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a stage while the old slot is the way back (the gitops bundle, moto, a local git remote)', () => {
  it('implements its row of the fault catalogue', () => {
    expect(INTEGRATION_ROWS_ELSEWHERE['stage-window.test.ts']).toEqual([F208.id]);
  });

  it(`${F208.id} ${F208.name}`, async () => {
    const before = await stackState();
    const head = git(workspace, 'rev-parse', 'HEAD').trim();
    const run = await checkSwitch();
    expect(run.exitCode).toBe(1);
    expect(errorOf(run)).toMatch(
      new RegExp(
        `^Stage of ${STAGED} in blue of dev not done yet: blue is the way back of ${patched}'s bake window: warm on ${base}, one weight flip from the users, until (\\S+) \\(AWS's clock\\); staging now would replace it\\. ` +
          `Nothing changed in AWS, and git keeps the stage: .* After \\1, this one command stages ${STAGED} in place of ${base}, proves it at weight 0 and proposes its switch PR: gh run rerun 4242 --failed$`,
      ),
    );
    const wait = JSON.parse(run.outputs['stage-wait'] ?? '{}') as { endsAt: string };
    expect(wait).toMatchObject({ slot: 'blue', stagedAmiId: STAGED, warmAmiId: base, liveAmiId: patched });
    // An hour after the stack's own CREATE_COMPLETE, within the minute this test has run.
    expect(Date.parse(wait.endsAt) - Date.now()).toBeGreaterThan(58 * 60_000);
    expect(Date.parse(wait.endsAt) - Date.now()).toBeLessThanOrEqual(3_600_000);
    // Nothing changed in AWS, nothing in git.
    expect(await stackState()).toEqual(before);
    expect(git(workspace, 'rev-parse', 'HEAD').trim()).toBe(head);
    expect(git(workspace, 'status', '--porcelain')).toBe('');

    // The window over (bakeSeconds 0): the same step lets the stage through and names the staged AMI for update-app-stack.
    writeFileSync(join(workspace, 'parameters/environments.json'), wiringText(0));
    git(workspace, 'commit', '--quiet', '-am', "dev's bake window: 0 s");
    const later = await checkSwitch();
    expect({ exit: later.exitCode, error: errorOf(later) }).toEqual({ exit: 0, error: '' });
    expect(later.outputs).toMatchObject({ judgement: 'none', 'staged-ami-id': STAGED, 'stage-wait': '' });
    expect(later.stdout).toMatch(new RegExp(`staging ${STAGED} does not wait: the bake window of ${patched} ended at`));
  });
});
