/**
 * Promotion on the real path: the bundled gitops action, run as a runner runs it, in a clone of a
 * repository laid out like this one (a bare directory plays GitHub), against the dev stacks of the
 * real templates in moto, whose rollback alarms and their history come from CloudWatch (moto, with
 * the labelled patch local/moto-patches/cloudwatch_alarms.py). Each test moves dev on as the
 * workflows would (a bump commit, update-app-stack) and asks propose-promotion or check-wave-gate.
 *
 * Runs the promotion rows of the reliability catalogue (PROMOTION_ROWS), in order: they share dev's
 * history, as a real repository would.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CloudFormationClient, DescribeStacksCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotAttributeCommand,
  EC2Client,
  RegisterImageCommand,
} from '@aws-sdk/client-ec2';
import { GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

import { REPO_ROOT } from '../../local/env';
import { runBundledAction } from '../../local/run-action';
import { deployStack as deployStackWith } from '../../local/stacks';
import { replaceDevParameters, replaceWiring } from '../support/replace-environment';
import { BAD_INPUTS, FAULTS, INTEGRATION_ROWS_ELSEWHERE } from '../unit/reliability/catalogue';
import { deployAppFoundation, deployStack, localBaseAmi, localClients, localEnv, useLocalAws, type AppFoundation } from './harness';

useLocalAws();
jest.setTimeout(120_000);

/** The catalogue rows this file runs, in order (test/integration/reliability/*.test.ts leave them to it). */
const PROMOTION_ROWS = INTEGRATION_ROWS_ELSEWHERE['promotion.test.ts'];

const root = mkdtempSync(join(tmpdir(), 'promotion-it-'));
const seed = join(root, 'seed');
const origin = join(root, 'origin.git');
const workspace = join(root, 'workspace');
const DEV = 'parameters/dev.json';
const PROD = 'parameters/prod.json';

const git = (...args: string[]) =>
  execFileSync('git', args, {
    cwd: workspace,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'dev', GIT_COMMITTER_EMAIL: 'dev@example.com' },
  }).trim();

/** This repository's parameters file for `env` with another AMI on its line; dev as a replace environment (the shipped dev runs slots). */
const withAmi = (file: string, ami: string) =>
  file === DEV ? replaceDevParameters(ami) : readFileSync(join(REPO_ROOT, file), 'utf8').replace(/("AmazonMachineImage": )"ami-[0-9a-f]+"/, `$1"${ami}"`);

const step = (action: string, inputs: Record<string, string>) =>
  runBundledAction(action, inputs, { ...localEnv(), GITHUB_WORKSPACE: workspace, GITHUB_TOKEN: 'local-token' }, { timeoutMs: 90_000 });
const propose = (inputs: Record<string, string> = {}) => step('gitops', { command: 'propose-promotion', wave: 'prod', ...inputs });

async function newAmi(name: string): Promise<string> {
  const { ImageId } = await localClients().ec2.send(new RegisterImageCommand({ Name: `${name}-${Date.now()}`, RootDeviceName: '/dev/xvda', Architecture: 'x86_64', VirtualizationType: 'hvm' }));
  return ImageId!;
}

/** What the patch PR's merge and the deploy job do to dev: commit the bump on main, update the stack. */
async function patchDev(ami: string, subject: string): Promise<void> {
  writeFileSync(join(workspace, DEV), withAmi(DEV, ami));
  // dev's file only: a test's uncommitted wiring change must not ride along.
  git('commit', '--quiet', '-m', subject, '--', DEV);
  git('push', '--quiet', 'origin', 'main');
  const run = await step('update-app-stack', { 'stack-name': 'patch-dev-app', 'parameters-file': DEV, template: 'templates/app.yaml', 'rollback-monitoring-minutes': '0' });
  expect(run.exitCode).toBe(0);
}

const workingTreeChanges = () => git('status', '--porcelain');

async function stackExists(name: string): Promise<boolean> {
  try {
    await localClients().cloudFormation.send(new DescribeStacksCommand({ StackName: name }));
    return true;
  } catch {
    return false;
  }
}

/** prod's account in the cross-account case, and the copy role there (moto: AssumeRole of any ARN switches to its account). */
const PROD_ACCOUNT = '222222222222';
const COPY_ROLE = `arn:aws:iam::${PROD_ACCOUNT}:role/patch-prod-ami-copy`;
const FIRST_IMAGE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.1/1';

async function assumedCredentials(roleArn: string) {
  const { Credentials: c } = await new STSClient({ region: 'us-east-1' }).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'promotion-it' }));
  return { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! };
}

const credentialsEnv = (c: { accessKeyId: string; secretAccessKey: string; sessionToken: string }) => ({ AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_SESSION_TOKEN: c.sessionToken });

/**
 * An AMI whose root snapshot is encrypted, as Image Builder makes one from a recipe with a key:
 * a volume under `keyArn` (none: the account's aws/ebs key), its snapshot, an AMI registered from
 * it (docs/moto.md #24: moto keeps the snapshot and reports its key), tagged as Image Builder tags.
 */
async function newEncryptedAmi(name: string, keyArn?: string): Promise<string> {
  const { ec2 } = localClients();
  const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 8, Encrypted: true, ...(keyArn ? { KmsKeyId: keyArn } : {}) }));
  const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId }));
  const { ImageId } = await ec2.send(new RegisterImageCommand({ Name: `${name}-${Date.now()}`, RootDeviceName: '/dev/xvda', Architecture: 'x86_64', VirtualizationType: 'hvm', BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId } }] }));
  await ec2.send(new CreateTagsCommand({ Resources: [ImageId!], Tags: [{ Key: 'Ec2ImageBuilderArn', Value: FIRST_IMAGE_ARN.replace('/1.0.1/', `/${name}/`) }] }));
  return ImageId!;
}

interface CrossAccountKeys {
  copyRole: string;
  copyKey: string;
  sourceKey: string;
}

let keys: CrossAccountKeys | undefined;

/**
 * The keys of a promotion into account 222222222222, made by the real templates in the order the
 * docs give: prod's github-oidc stack there (PromotionSourceRoleArn: AmiCopyRole and AmiCopyKey),
 * the source's image-pipeline stack with that copy role in PromotionCopyRoleArns (AmiKey, whose
 * policy names it), then prod's stack again with the source key (PromotionSourceKeyArn).
 */
async function crossAccountKeys(foundation: AppFoundation): Promise<CrossAccountKeys> {
  if (keys) return keys;
  const prodAccount = await assumedCredentials(COPY_ROLE);
  const prodCfn = new CloudFormationClient({ region: 'us-east-1', credentials: prodAccount });
  const prodOidc = {
    GitHubRepository: 'example-org/ami-patch-gitops',
    DeployEnvironment: 'prod',
    CreateOidcProvider: 'false',
    AppStackName: 'patch-prod-app',
    ImagePipelineArn: `arn:aws:imagebuilder:us-east-1:${PROD_ACCOUNT}:image-pipeline/patch-prod-app`,
    PromotionSourceRoleArn: 'arn:aws:iam::123456789012:role/patch-dev-github-oidc-AmiPromotionRole',
  };
  const template = join(REPO_ROOT, 'templates/github-oidc.yaml');
  const { outputs: prod } = await deployStackWith(prodCfn, { name: 'patch-prod-github-oidc', templatePath: template, parameters: prodOidc });
  const { outputs: pipeline } = await deployStack('patch-dev-image-pipeline-keyed', 'templates/image-pipeline.yaml', { NetworkStackName: foundation.network.name, PromotionCopyRoleArns: prod.AmiCopyRoleArn });
  const parameters = Object.entries({ ...prodOidc, PromotionSourceKeyArn: pipeline.AmiKeyArn }).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
  await prodCfn.send(new UpdateStackCommand({ StackName: 'patch-prod-github-oidc', TemplateBody: readFileSync(template, 'utf8'), Parameters: parameters, Capabilities: ['CAPABILITY_IAM'] }));
  keys = { copyRole: prod.AmiCopyRoleArn, copyKey: prod.AmiCopyKeyArn, sourceKey: pipeline.AmiKeyArn };
  return keys;
}

/** The wiring in the working tree (not committed: propose-promotion reads the checkout), prod moved to account 222222222222 with `prod`'s keys. */
function wireProdInOtherAccount(prod: Record<string, string>): void {
  const WIRING = 'parameters/environments.json';
  git('checkout', '--quiet', '--', WIRING);
  const wiring = JSON.parse(readFileSync(join(workspace, WIRING), 'utf8')) as { environments: Record<string, Record<string, unknown>> };
  Object.assign(wiring.environments.prod, prod);
  writeFileSync(join(workspace, WIRING), `${JSON.stringify(wiring, null, 2)}\n`);
}

/** The refusal of an encrypted AMI for prod in the other account: exit 1, the message on the wiring file, nothing shared or copied there, no file written. */
async function expectRefusedBeforeAnyShare(ami: string, message: string): Promise<Awaited<ReturnType<typeof propose>>> {
  const run = await propose({ 'soak-minutes': '0' });
  // The run's output when it did not refuse: an exit code alone does not say what let it through.
  expect(run.exitCode === 1 ? '' : `exit ${run.exitCode}\n${run.stdout}`).toBe('');
  expect(run.annotations).toContainEqual(expect.objectContaining({ level: 'error', properties: expect.objectContaining({ file: 'parameters/environments.json' }), message: expect.stringContaining(message) }));
  expect(run.annotations.map((a) => a.message).join('\n')).toContain('Nothing was shared, copied or written.');
  const source = localClients().ec2;
  expect((await source.send(new DescribeImageAttributeCommand({ ImageId: ami, Attribute: 'launchPermission' }))).LaunchPermissions ?? []).toEqual([]);
  const snapshot = (await source.send(new DescribeImagesCommand({ ImageIds: [ami] }))).Images?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId;
  expect((await source.send(new DescribeSnapshotAttributeCommand({ SnapshotId: snapshot, Attribute: 'createVolumePermission' }))).CreateVolumePermissions ?? []).toEqual([]);
  const prodEc2 = new EC2Client({ region: 'us-east-1', credentials: await assumedCredentials(COPY_ROLE) });
  expect((await prodEc2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:SourceAmiId', Values: [ami] }] }))).Images ?? []).toEqual([]);
  expect(readFileSync(join(workspace, PROD), 'utf8')).toBe(withAmi(PROD, base));
  expect(workingTreeChanges()).toBe('M parameters/environments.json');
  git('checkout', '--quiet', '--', 'parameters/environments.json');
  return run;
}

/** The AMI under the pipeline's AmiKey that dev runs from B135 on. */
let keyedAmi: string;

let foundation: AppFoundation;
let base: string;
let first: string;
let second: string;

beforeAll(async () => {
  base = await localBaseAmi();
  foundation = await deployAppFoundation({ ami: base });
  mkdirSync(join(seed, 'parameters'), { recursive: true });
  mkdirSync(join(seed, 'templates'));
  for (const file of ['parameters/environments.schema.json', 'parameters/revoked.json', 'parameters/revoked.schema.json', 'templates/app.yaml']) {
    cpSync(join(REPO_ROOT, file), join(seed, file));
  }
  writeFileSync(join(seed, 'parameters/environments.json'), replaceWiring());
  writeFileSync(join(seed, DEV), withAmi(DEV, base));
  writeFileSync(join(seed, PROD), withAmi(PROD, base));
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', seed]);
  execFileSync('git', ['add', '--all'], { cwd: seed });
  execFileSync('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.com', 'commit', '--quiet', '-m', 'dev and prod on the base AMI'], { cwd: seed });
  execFileSync('git', ['clone', '--quiet', '--bare', seed, origin]);
  execFileSync('git', ['clone', '--quiet', origin, workspace]);
  first = await newAmi('first-patch');
  // Tagged as Image Builder tags its AMIs: the build evidence, and what a copy's Ec2ImageBuilderArn carries.
  await localClients().ec2.send(new CreateTagsCommand({ Resources: [first], Tags: [{ Key: 'Ec2ImageBuilderArn', Value: FIRST_IMAGE_ARN }] }));
  await patchDev(first, `Bump dev AMI from ${base} to ${first}`);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const IMPLEMENTATIONS: Record<string, () => Promise<void>> = {
  /** A newer patch in dev while the promotion PR of an older one is open. */
  async F132() {
    second = await newAmi('second-patch');
    await patchDev(second, `Bump dev AMI from ${first} to ${second}`);
    git('fetch', '--quiet', 'origin');

    const soaking = await propose();
    expect(soaking.exitCode).toBe(0);
    expect(soaking.outputs).toMatchObject({ promotable: 'false', 'ami-id': second, 'close-stale': 'true', 'stale-ami-id': first });
    expect(workingTreeChanges()).toBe('');

    const soaked = await propose({ 'soak-minutes': '0' });
    expect(soaked.outputs).toMatchObject({ promotable: 'true', 'ami-id': second, branch: 'ami-promote/prod' });
    expect(soaked.outputs.body).toContain(`This replaces the earlier proposal of \`${first}\``);
    git('checkout', '--quiet', '--', PROD);
  },

  /** prod.json hand-edited to an AMI dev never ran, merged: the deploy job's gate refuses it before the stack. */
  async B130() {
    const unverified = await newAmi('unverified');
    writeFileSync(join(workspace, PROD), withAmi(PROD, unverified));
    git('commit', '--quiet', '-am', `Put ${unverified} in prod by hand`);
    const refused = await step('gitops', { command: 'check-wave-gate', environment: 'prod' });
    expect(refused.exitCode).toBe(1);
    expect(refused.annotations).toContainEqual(
      expect.objectContaining({ level: 'error', properties: expect.objectContaining({ file: PROD }), message: expect.stringContaining(`Deploy of prod refused for ${unverified}: no environment of an earlier wave (dev) ran ${unverified} without a failback`) }),
    );
    expect(await stackExists('patch-prod-app')).toBe(false);

    // What the promotion PR would merge passes.
    writeFileSync(join(workspace, PROD), withAmi(PROD, second));
    git('commit', '--quiet', '-am', `Promote ${second} to wave prod (prod)`);
    const allowed = await step('gitops', { command: 'check-wave-gate', environment: 'prod' });
    expect(allowed.exitCode).toBe(0);
    expect(allowed.outputs.why).toMatch(new RegExp(`^${second} ran in the earlier wave without a failback: dev`));
    git('reset', '--quiet', '--hard', 'origin/main');
  },

  /** dev's verification of the second patch failed; the job failed back; the same AMI is bumped again later. */
  async F131() {
    const prepare = await step('gitops', { command: 'prepare-failback', environment: 'dev', 'previous-ami-id': first });
    expect(prepare.outputs['ami-id']).toBe(first);
    expect((await step('update-app-stack', { 'stack-name': 'patch-dev-app', 'parameters-file': DEV, template: 'templates/app.yaml', 'rollback-monitoring-minutes': '0' })).exitCode).toBe(0);
    const sync = await step('gitops', { command: 'sync-from-stack', environment: 'dev', 'requested-ami-id': second, 'failed-back': 'true' });
    expect(sync.outputs.outcome).toBe('pushed');
    git('pull', '--quiet', '--ff-only');
    await patchDev(second, `Bump dev AMI from ${first} to ${second} again`);

    const run = await propose({ 'soak-minutes': '0' });
    expect(run.outputs).toMatchObject({ promotable: 'false', 'ami-id': second });
    expect(run.outputs.blockers).toMatch(new RegExp(`dev: auto-failback away from ${second} in commit [0-9a-f]{12} .*it failed here once, so it is not promoted`));
    expect(workingTreeChanges()).toBe('');

    writeFileSync(join(workspace, PROD), withAmi(PROD, second));
    git('commit', '--quiet', '-am', `Put ${second} in prod by hand`);
    const gate = await step('gitops', { command: 'check-wave-gate', environment: 'prod' });
    expect(gate.exitCode).toBe(1);
    expect(gate.stdout).toContain(`Deploy of prod refused for ${second}`);
    git('reset', '--quiet', '--hard', 'origin/main');
  },

  /** dev runs an AMI encrypted with the account's aws/ebs key; prod is in another account. */
  async B134() {
    const ami = await newEncryptedAmi('aws-ebs');
    await patchDev(ami, `Bump dev AMI to ${ami} (aws/ebs)`);
    const { copyRole, copyKey } = await crossAccountKeys(foundation);
    wireProdInOtherAccount({ copyRoleArn: copyRole, copyKmsKeyArn: copyKey });
    const run = await expectRefusedBeforeAnyShare(ami, `${ami} (us-east-1) cannot be copied into account ${PROD_ACCOUNT} for prod: its snapshot snap-`);
    expect(run.stdout).toMatch(/is encrypted with the AWS managed key aws\/ebs \(arn:aws:kms:us-east-1:123456789012:key\/[0-9a-f-]+\), which AWS lets no other account use/);
  },

  /** dev runs an AMI under the pipeline's AmiKey; prod's wiring has a copy role but no copy key. */
  async B135() {
    const { copyRole, sourceKey } = await crossAccountKeys(foundation);
    keyedAmi = await newEncryptedAmi('keyed', sourceKey);
    const ami = keyedAmi;
    await patchDev(ami, `Bump dev AMI to ${ami} (AmiKey)`);
    wireProdInOtherAccount({ copyRoleArn: copyRole });
    await expectRefusedBeforeAnyShare(ami, `its snapshots are encrypted (${sourceKey}), and EC2 re-encrypts a copy into another account with a key of that account, but environments.prod has no copyKmsKeyArn`);
  },

  /** Same AMI; prod's copyKmsKeyArn names a key that account does not have. */
  async B136() {
    const { copyRole } = await crossAccountKeys(foundation);
    const ami = keyedAmi;
    const missing = `arn:aws:kms:us-east-1:${PROD_ACCOUNT}:key/0f0f0f0f-0000-4000-8000-000000000000`;
    wireProdInOtherAccount({ copyRoleArn: copyRole, copyKmsKeyArn: missing });
    await expectRefusedBeforeAnyShare(ami, `${ami} cannot be copied into account ${PROD_ACCOUNT} for prod: its copyKmsKeyArn ${missing} does not exist in us-east-1 of account ${PROD_ACCOUNT}`);
  },

  /** A third patch runs in dev; its 5xx alarm goes to ALARM and back to OK during the soak. */
  async F130() {
    const third = await newAmi('third-patch');
    await patchDev(third, `Bump dev AMI from ${second} to ${third}`);
    const { cloudWatch } = localClients();
    await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: 'patch-dev-app-alb-5xx-rate', StateValue: 'ALARM', StateReason: 'test: 5xx rate above 5 %' }));
    await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: 'patch-dev-app-alb-5xx-rate', StateValue: 'OK', StateReason: 'test: recovered' }));

    const run = await propose({ 'soak-minutes': '0' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ promotable: 'false', 'ami-id': third });
    expect(run.outputs.blockers).toMatch(/dev: rollback alarm patch-dev-app-alb-5xx-rate went to ALARM at \S+, during the soak \(Alarm updated from OK to ALARM\)/);
    expect(run.outputs.blockers).not.toContain('unhealthy-hosts');
    expect(workingTreeChanges()).toBe('');
    // The next row's patch must start a soak after these firings. A soak starts at its commit's
    // date, which git keeps in whole seconds (floored): a commit in this same second would read
    // as made before the firing, and the firing would count against the next AMI (soak-evidence.ts
    // reads firings from the soak's start on: one it cannot place after the commit counts, which
    // fails closed). B134 failed that way when F130's firing and its patch fell in one second.
    await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000) + 50));
  },
};

describe('promotion with the bundled gitops action (moto, a local git remote)', () => {
  it('refuses while the wiring’s soak is not over, and writes nothing', async () => {
    const run = await propose();
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ promotable: 'false', 'ami-id': first, 'close-stale': 'false' });
    expect(run.outputs.blockers).toMatch(/^dev: soak not over: \d+ of 1440 minutes left/);
    expect(workingTreeChanges()).toBe('');
  });

  it('proposes once the soak is over (shortened here): the bump, and the alarms and their history in the body', async () => {
    const run = await propose({ 'soak-minutes': '0' });
    expect(run.outputs).toMatchObject({ promotable: 'true', 'ami-id': first, branch: 'ami-promote/prod', paths: PROD });
    expect(readFileSync(join(workspace, PROD), 'utf8')).toBe(withAmi(PROD, first));
    expect(run.outputs.body).toContain('`patch-dev-app-alb-5xx-rate` OK, `patch-dev-app-unhealthy-hosts` OK; no transition to ALARM from');
    expect(run.outputs.body).toMatch(/^> The soak was overridden to 0 minutes for this run/m);
    // The open PR: create-pull-request pushes the branch.
    git('checkout', '--quiet', '-b', 'ami-promote/prod');
    git('commit', '--quiet', '-am', run.outputs['commit-message']);
    git('push', '--quiet', 'origin', 'ami-promote/prod');
    git('checkout', '--quiet', 'main');
  });

  it('to prod in another account: shares the AMI for the copy only, the copy role copies and tags it there, and prod’s own account lets it through the gate', async () => {
    const WIRING = 'parameters/environments.json';
    const wiring = JSON.parse(readFileSync(join(workspace, WIRING), 'utf8')) as { environments: Record<string, Record<string, unknown>> };
    wiring.environments.prod.copyRoleArn = COPY_ROLE;
    writeFileSync(join(workspace, WIRING), `${JSON.stringify(wiring, null, 2)}\n`);
    // moto switches account by the credentials: what AssumeRole of the copy role returns is account 222222222222's (docs/moto.md #20).
    const prodAccount = await assumedCredentials(COPY_ROLE);
    expect((await new STSClient({ region: 'us-east-1', credentials: prodAccount }).send(new GetCallerIdentityCommand({}))).Account).toBe(PROD_ACCOUNT);
    const prodEc2 = new EC2Client({ region: 'us-east-1', credentials: prodAccount });
    const sourceEc2 = localClients().ec2;

    const run = await propose({ 'soak-minutes': '0' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ promotable: 'true', 'ami-id': first, paths: PROD });
    const copy = (JSON.parse(run.outputs.bumps) as Record<string, string>)[PROD];
    expect(copy).not.toBe(first);
    expect(readFileSync(join(workspace, PROD), 'utf8')).toBe(withAmi(PROD, copy));
    expect(run.outputs.body).toContain(`\`${copy}\`: a new copy of \`${first}\` in account ${PROD_ACCOUNT}, us-east-1, tagged SourceAmiId`);
    // The copy is prod's account's own, tagged from the source side (the image ARN prod's account could not read).
    const [image] = (await prodEc2.send(new DescribeImagesCommand({ ImageIds: [copy] }))).Images ?? [];
    expect(image).toMatchObject({ OwnerId: PROD_ACCOUNT, State: 'available' });
    expect(Object.fromEntries((image.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual({ SourceAmiId: first, SourceRegion: 'us-east-1', Ec2ImageBuilderArn: FIRST_IMAGE_ARN });
    await expect(sourceEc2.send(new DescribeImagesCommand({ ImageIds: [copy] }))).rejects.toThrow(/InvalidAMIID.NotFound|does not exist/);
    // The share lasted for the copy only: nothing of the source is left shared with prod's account.
    expect((await sourceEc2.send(new DescribeImageAttributeCommand({ ImageId: first, Attribute: 'launchPermission' }))).LaunchPermissions ?? []).toEqual([]);
    for (const mapping of (await sourceEc2.send(new DescribeImagesCommand({ ImageIds: [first] }))).Images?.[0]?.BlockDeviceMappings ?? []) {
      const snapshot = mapping.Ebs!.SnapshotId!;
      expect((await sourceEc2.send(new DescribeSnapshotAttributeCommand({ SnapshotId: snapshot, Attribute: 'createVolumePermission' }))).CreateVolumePermissions ?? []).toEqual([]);
    }
    expect(run.stdout).toContain(`Shared ${first} (us-east-1) with account ${PROD_ACCOUNT} for the copy`);

    // A second run finds the copy by its tags and copies nothing.
    git('checkout', '--quiet', '--', PROD);
    const again = await propose({ 'soak-minutes': '0' });
    expect(JSON.parse(again.outputs.bumps)).toEqual({ [PROD]: copy });
    expect(again.stdout).toContain(`already has ${copy}, the copy of ${first}`);

    // Merged: prod's deploy job, with prod's account's credentials, follows the copy to what dev ran.
    git('commit', '--quiet', '-am', `Promote ${first} to wave prod (prod) as ${copy}`);
    const gate = await runBundledAction('gitops', { command: 'check-wave-gate', environment: 'prod' }, { ...localEnv(), ...credentialsEnv(prodAccount), GITHUB_WORKSPACE: workspace, GITHUB_TOKEN: 'local-token' }, { timeoutMs: 90_000 });
    expect(gate.exitCode).toBe(0);
    expect(gate.outputs.why).toMatch(new RegExp(`^${copy} is the copy of ${first} \\(its SourceAmiId tag\\), which ran in the earlier wave without a failback: dev`));
    git('reset', '--quiet', '--hard', 'origin/main');
  });

  it('to prod in another account, encrypted under the pipeline’s AmiKey: the copy role copies it under prod’s AmiCopyKey, and the share ends with the copy', async () => {
    const { copyRole, copyKey, sourceKey } = await crossAccountKeys(foundation);
    // The real templates' keys: the source key's policy names the copy role (moto keeps the policy, docs/moto.md #26, and evaluates none of it).
    const policy = JSON.parse((await new KMSClient({ region: 'us-east-1' }).send(new GetKeyPolicyCommand({ KeyId: sourceKey, PolicyName: 'default' }))).Policy ?? '{}') as { Statement: { Sid: string; Principal: { AWS: unknown } }[] };
    expect(policy.Statement.filter((st) => st.Sid.startsWith('LaterWavesCopyRoles')).map((st) => [st.Sid, st.Principal.AWS])).toEqual([
      ['LaterWavesCopyRolesCopyWithIt', [copyRole]],
      ['LaterWavesCopyRolesGrantItToEc2Only', [copyRole]],
    ]);
    expect(copyKey).toMatch(/^arn:aws:kms:us-east-1:222222222222:key\//);
    const encrypted = await newEncryptedAmi('encrypted-patch', sourceKey);
    await patchDev(encrypted, `Bump dev AMI to ${encrypted} (AmiKey)`);
    wireProdInOtherAccount({ copyRoleArn: copyRole, copyKmsKeyArn: copyKey });

    const run = await propose({ 'soak-minutes': '0' });
    expect(run.exitCode === 0 ? '' : run.stdout).toBe('');
    expect(run.outputs).toMatchObject({ promotable: 'true', 'ami-id': encrypted, paths: PROD });
    const copy = (JSON.parse(run.outputs.bumps) as Record<string, string>)[PROD];
    const prodEc2 = new EC2Client({ region: 'us-east-1', credentials: await assumedCredentials(copyRole) });
    const [image] = (await prodEc2.send(new DescribeImagesCommand({ ImageIds: [copy] }))).Images ?? [];
    expect(image).toMatchObject({ OwnerId: PROD_ACCOUNT, State: 'available' });
    expect(image.BlockDeviceMappings?.[0]?.Ebs).toMatchObject({ Encrypted: true, KmsKeyId: copyKey });
    // The snapshot's share went with the launch permission, and was taken back with it.
    const source = localClients().ec2;
    expect((await source.send(new DescribeImageAttributeCommand({ ImageId: encrypted, Attribute: 'launchPermission' }))).LaunchPermissions ?? []).toEqual([]);
    const snapshot = (await source.send(new DescribeImagesCommand({ ImageIds: [encrypted] }))).Images?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId;
    expect((await source.send(new DescribeSnapshotAttributeCommand({ SnapshotId: snapshot, Attribute: 'createVolumePermission' }))).CreateVolumePermissions ?? []).toEqual([]);
    expect(run.stdout).toContain(`create-volume permission granted on ${snapshot}`);
    git('reset', '--quiet', '--hard', 'origin/main');
  });

  it('implements its rows of the catalogue', () => {
    expect(Object.keys(IMPLEMENTATIONS).sort()).toEqual([...PROMOTION_ROWS].sort());
    expect(PROMOTION_ROWS.map((id) => [...FAULTS, ...BAD_INPUTS].find((c) => c.id === id)?.suite)).toEqual(PROMOTION_ROWS.map(() => 'integration'));
  });

  it.each(PROMOTION_ROWS.map((id) => [...FAULTS, ...BAD_INPUTS].find((c) => c.id === id)!))('$id $name', async ({ id }) => {
    await IMPLEMENTATIONS[id]();
  });
});
