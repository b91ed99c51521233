/**
 * The deploy job's git story on the real path: the bundled gitops and update-app-stack actions,
 * run the way a runner does, in a clone of a repository laid out like this one (a bare directory
 * stands in for GitHub), against the real app template in moto.
 *
 * A patch is merged and deployed; its verification "fails" (verify-alb's own behaviour is tested in
 * verify-alb.test.ts; here the deploy job's reaction is), the job fails back, and git is made to
 * say what runs. Then the failback workflow's steps: the default target, the AMI pre-flight.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DeregisterImageCommand, RegisterImageCommand } from '@aws-sdk/client-ec2';

import { parseMetadataBlock } from '../../actions/lib/gitops/commit-metadata';
import { REPO_ROOT } from '../../local/env';
import { runBundledAction } from '../../local/run-action';
import { replaceDevParameters, replaceWiring } from '../support/replace-environment';
import { deployAppFoundation, DEV_AMI_OWNERS, localBaseAmi, localClients, localEnv, useLocalAws } from './harness';
import { git } from '../support/git-command';

useLocalAws();

const STACK = 'patch-dev-app';
const root = mkdtempSync(join(tmpdir(), 'gitops-it-'));
const seed = join(root, 'seed');
const origin = join(root, 'origin.git');
const workspace = join(root, 'workspace');
let base: string;
let patched: string;


/** dev's parameters file as a replace environment (the shipped dev runs slots) with another AMI on its line. */
const devParameters = (ami: string) => replaceDevParameters(ami);

/** A step of the workflow: the bundled action, cwd = the workspace, as on a runner. */
const step = (action: string, inputs: Record<string, string>) =>
  runBundledAction(action, inputs, { ...localEnv(), GITHUB_WORKSPACE: workspace, GITHUB_TOKEN: 'local-token' }, { timeoutMs: 90_000 });

async function stackAmi(): Promise<string | undefined> {
  const { Stacks } = await localClients().cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }));
  return Stacks?.[0]?.Parameters?.find((p) => p.ParameterKey === 'AmazonMachineImage')?.ParameterValue;
}

beforeAll(async () => {
  base = await localBaseAmi();
  await deployAppFoundation({ ami: base });
  const registered = await localClients().ec2.send(
    new RegisterImageCommand({ Name: `patched-${Date.now()}`, RootDeviceName: '/dev/xvda', Architecture: 'x86_64', VirtualizationType: 'hvm' }),
  );
  patched = registered.ImageId!;

  // The repository: the real wiring, parameters and app template; dev on the base AMI, then the
  // merged patch PR. "origin" is a bare clone, the workspace a clone of it (actions/checkout).
  mkdirSync(join(seed, 'parameters'), { recursive: true });
  mkdirSync(join(seed, 'templates'));
  for (const file of ['parameters/environments.schema.json', 'parameters/prod.json', 'templates/app.yaml']) {
    cpSync(join(REPO_ROOT, file), join(seed, file));
  }
  writeFileSync(join(seed, 'parameters/environments.json'), replaceWiring());
  writeFileSync(join(seed, 'parameters/dev.json'), devParameters(base));
  git(root, 'init', '--quiet', '--initial-branch=main', seed);
  git(seed, 'add', '--all');
  git(seed, 'commit', '--quiet', '-m', 'Start dev on the base AMI');
  writeFileSync(join(seed, 'parameters/dev.json'), devParameters(patched));
  git(seed, 'commit', '--quiet', '-am', `Bump dev AMI from ${base} to ${patched}`);
  git(root, 'clone', '--quiet', '--bare', seed, origin);
  git(root, 'clone', '--quiet', origin, workspace);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('deploy job with the bundled actions (moto, a local git remote)', () => {
  let requested: string;

  it('resolves what HEAD says', async () => {
    const run = await step('gitops', { command: 'resolve-environment', environment: 'dev' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ 'app-stack': STACK, 'parameters-file': 'parameters/dev.json', 'ami-id': patched, 'variable-suffix': 'DEV' });
    requested = run.outputs['ami-id'];
  });

  it('deploys the patched AMI', async () => {
    const run = await step('update-app-stack', { 'stack-name': STACK, 'parameters-file': 'parameters/dev.json', template: 'templates/app.yaml', 'rollback-monitoring-minutes': '0', 'ami-owners': DEV_AMI_OWNERS });
    expect(run.exitCode).toBe(0);
    expect(await stackAmi()).toBe(patched);
  });

  it('after a failed verification, fails back to the AMI the stack ran before, and git records it', async () => {
    const prepare = await step('gitops', { command: 'prepare-failback', environment: 'dev', 'previous-ami-id': base });
    expect(prepare.exitCode).toBe(0);
    expect(prepare.outputs['ami-id']).toBe(base);

    const failback = await step('update-app-stack', { 'stack-name': STACK, 'parameters-file': 'parameters/dev.json', template: 'templates/app.yaml', 'rollback-monitoring-minutes': '0', 'ami-owners': DEV_AMI_OWNERS });
    expect(failback.exitCode).toBe(0);
    expect(await stackAmi()).toBe(base);

    const sync = await step('gitops', { command: 'sync-from-stack', environment: 'dev', 'requested-ami-id': requested, 'failed-back': 'true' });
    expect(sync.exitCode).toBe(0);
    expect(sync.outputs).toMatchObject({ outcome: 'pushed', 'live-ami-id': base });
    expect(git(origin, 'show', 'main:parameters/dev.json')).toBe(devParameters(base).trim());
    const message = git(origin, 'log', '-1', '--format=%B', 'main');
    expect(message.split('\n')[0]).toBe(`Fail back dev to ${base}: ${patched} failed verification`);
    expect(parseMetadataBlock(message)).toEqual([
      expect.objectContaining({ environment: 'dev', 'update-type': 'auto-failback', 'previous-ami-id': patched, 'ami-id': base }),
    ]);
    expect(git(origin, 'log', '-1', '--format=%an', 'main')).toBe('github-actions[bot]');
  });

  it('reports the failback loudly: exit 1, one verdict in the job summary', async () => {
    const run = await step('gitops', {
      command: 'deploy-report',
      environment: 'dev',
      'requested-ami-id': requested,
      'prepare-outcome': 'success',
      'update-outcome': 'success',
      'verify-outcome': 'failure',
      'failback-update-outcome': 'success',
      'failback-verify-outcome': 'success',
      'sync-outcome': 'success',
      'failback-ami-id': base,
      'sync-result': 'pushed',
      'sync-commit': git(origin, 'rev-parse', 'main'),
      'live-ami-id': base,
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringContaining(`${patched} failed verification in dev; failed back to ${base}`) }));
    expect(run.summary).toContain('## ❌ Deploy dev');
    // What the notify step sends: the same verdict, the AMI that failed and the one that runs.
    expect(JSON.parse(run.outputs.notification)).toMatchObject({
      event: 'auto-failback',
      ok: false,
      environment: 'dev',
      verdict: expect.stringContaining(`${patched} failed verification in dev; failed back to ${base}`),
      amis: [{ label: 'To', amiId: patched }, { label: 'Runs now', amiId: base }],
    });
  });
});

describe('failback workflow steps with the bundled action', () => {
  it('finds no default target once the only other AMI is one a failback fled', async () => {
    git(workspace, 'pull', '--quiet', '--ff-only');
    const run = await step('gitops', { command: 'resolve-failback', environment: 'dev', reason: 'still slow' });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(`No failback target for parameters/dev.json: its git history has no earlier AMI than ${base} (passed over ${patched}`);
  });

  it('refuses bad inputs before reading anything, with every problem in one message', async () => {
    const run = await step('gitops', { command: 'resolve-failback', environment: 'qa', 'target-ami': 'ami-1; rm -rf /', reason: '' });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/Failback request rejected for "qa": Unknown environment "qa".*target-ami "ami-1; rm -rf \/" is not an AMI ID.*reason is empty/);
  });

  it('passes the pre-flight for an available AMI and fails it for a deregistered one', async () => {
    expect((await step('gitops', { command: 'check-image', environment: 'dev', 'ami-id': patched })).exitCode).toBe(0);
    await localClients().ec2.send(new DeregisterImageCommand({ ImageId: patched }));
    const run = await step('gitops', { command: 'check-image', environment: 'dev', 'ami-id': patched });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(`Failback target ${patched} is not usable in us-east-1: no such AMI`);
  });
});
