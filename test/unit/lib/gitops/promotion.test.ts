/**
 * Promotion: propose-promotion decides from git (what each environment names, since when, its
 * failback records) and AWS (the stack, the rollback alarms' history, the image's tag) whether the
 * wave before proved an AMI; check-wave-gate refuses a later-wave deploy of an AMI no earlier wave
 * ran. Real git repositories, mocked AWS, a virtual clock.
 */
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CopyImageCommand,
  CreateTagsCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotAttributeCommand,
  EC2Client,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { GetImageCommand, ImagebuilderClient, ListImagePackagesCommand, ListImageScanFindingsCommand } from '@aws-sdk/client-imagebuilder';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { VirtualClock } from '../../../../actions/lib/clock';
import { InputError } from '../../../../actions/lib/errors';
import { composeCommitMessage, parseMetadataBlock, type UpdateType } from '../../../../actions/lib/gitops/commit-metadata';
import { RevokedAmiError } from '../../../../actions/lib/parameters';
import { createGitFixture, isolatedGitEnv, parametersJson, wiringEntry, type GitFixture } from './git-fixture';
import { awsClockOn } from '../../support/aws-time';
import { gitopsTestContext, runCommand } from './gitops-context';
import { leadOf } from '../../../support/summary-lead';
import { describeCatalogueRows } from '../../reliability/support/catalogue-suite';

const cfn = mockClient(CloudFormationClient);
const cw = mockClient(CloudWatchClient);
const ec2 = mockClient(EC2Client);
const ib = mockClient(ImagebuilderClient);
const kms = mockClient(KMSClient);

const AMI = (n: number) => `ami-${String(n).padStart(17, '0')}`;
const IMAGE = (n: number) => `arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.${n}/1`;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 5, 1);
const iso = (ms: number) => new Date(ms).toISOString();

function environment(name: string, soakMinutes?: number) {
  return { ...wiringEntry(name), ...(soakMinutes === undefined ? {} : { soakMinutes }) };
}

/** dev (soak 1440 min) → prod, as waves. */
const WIRING = JSON.stringify({ waves: [{ name: 'dev', environments: ['dev'] }, { name: 'prod', environments: ['prod'] }], environments: { dev: environment('dev', 1440), prod: environment('prod') } }, null, 2);

/** A commit at a chosen committer date (the soak starts at the commit that put the AMI in place). */
function commitAt(f: GitFixture, atMs: number, message: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) f.write(path, text);
  const env = { ...isolatedGitEnv(), GIT_COMMITTER_DATE: iso(atMs), GIT_AUTHOR_DATE: iso(atMs) };
  execFileSync('git', ['add', '--all'], { cwd: f.dir, env });
  execFileSync('git', ['commit', '--quiet', '-F', '-'], { cwd: f.dir, env, input: message });
  return f.git('rev-parse', 'HEAD').trim();
}

function bump(env: string, from: number, to: number, type: UpdateType, subject = `Bump ${env} AMI from ${AMI(from)} to ${AMI(to)}`): string {
  return composeCommitMessage({
    subject,
    updates: [{ environment: env, 'parameters-file': `parameters/${env}.json`, parameter: 'AmazonMachineImage', 'previous-ami-id': AMI(from), 'ami-id': AMI(to), 'update-type': type, 'image-arn': IMAGE(to) }],
  });
}

function stack(name: string, ami: string, updatedMs: number, status = 'UPDATE_COMPLETE'): Stack {
  return {
    StackName: name,
    StackId: `arn:aws:cloudformation:us-east-1:123456789012:stack/${name}/1`,
    StackStatus: status as Stack['StackStatus'],
    CreationTime: new Date(T0 - 100 * HOUR),
    LastUpdatedTime: new Date(updatedMs),
    Parameters: [{ ParameterKey: 'AmazonMachineImage', ParameterValue: ami }],
    Outputs: [
      { OutputKey: 'Http5xxAlarmArn', OutputValue: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}-alb-5xx-rate` },
      { OutputKey: 'UnhealthyHostsAlarmArn', OutputValue: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}-unhealthy-hosts` },
    ],
  };
}

interface Setup {
  work: GitFixture;
  ctx: ReturnType<typeof gitopsTestContext>['ctx'];
  logger: ReturnType<typeof gitopsTestContext>['logger'];
  clock: VirtualClock;
  seedAt(atMs: number, message: string, files: Record<string, string>): void;
  remove(): void;
}

/** dev and prod on AMI 1 (ten days ago), then dev patched to AMI 2 two days before T0. */
function setup(): Setup {
  const seed = createGitFixture();
  commitAt(seed, T0 - 240 * HOUR, 'Initial layout', {
    'parameters/environments.json': WIRING,
    'parameters/dev.json': parametersJson(AMI(1)),
    'parameters/prod.json': parametersJson(AMI(1)),
    'templates/app.yaml': 'Resources: {}\n',
  });
  commitAt(seed, T0 - 48 * HOUR, bump('dev', 1, 2, 'patch'), { 'parameters/dev.json': parametersJson(AMI(2)) });
  const origin = createGitFixture({ bare: true, cloneFrom: seed.dir });
  const work = createGitFixture({ cloneFrom: origin.dir });
  const { ctx, logger } = gitopsTestContext(work.dir);
  const clock = new VirtualClock(T0);
  ctx.clock = clock;
  return {
    work,
    ctx,
    logger,
    clock,
    seedAt: (atMs, message, files) => {
      commitAt(work, atMs, message, files);
      work.git('push', '--quiet', 'origin', 'main');
    },
    remove: () => [seed, origin, work].forEach((f) => f.remove()),
  };
}

/**
 * A commit lands on origin's main from another clone (a failback, a merge) while this checkout
 * stays on the commit it was made from, as a re-run's checkout of the run's commit does.
 */
function landOnMainFromElsewhere(message: string, files: Record<string, string>): string {
  const head = env.work.git('rev-parse', 'HEAD').trim();
  env.work.git('checkout', '--quiet', '-B', 'elsewhere');
  const commit = commitAt(env.work, T0, message, files);
  env.work.git('push', '--quiet', 'origin', 'elsewhere:main');
  env.work.git('checkout', '--quiet', '--detach', head);
  return commit;
}

/**
 * A PR landed with a merge commit: its commit on a branch at `commitMs`, merged into main at
 * `mergeMs` (GitHub's "Merge pull request" message, no metadata block of its own), pushed.
 */
function mergeAt(commitMs: number, mergeMs: number, message: string, files: Record<string, string>): string {
  env.work.git('checkout', '--quiet', '-b', 'pr');
  commitAt(env.work, commitMs, message, files);
  env.work.git('checkout', '--quiet', 'main');
  const dated = { ...isolatedGitEnv(), GIT_COMMITTER_DATE: iso(mergeMs), GIT_AUTHOR_DATE: iso(mergeMs) };
  execFileSync('git', ['merge', '--quiet', '--no-ff', '-m', 'Merge pull request #9 from acme/pr', 'pr'], { cwd: env.work.dir, env: dated });
  env.work.git('branch', '--quiet', '-D', 'pr');
  env.work.git('push', '--quiet', 'origin', 'main');
  return env.work.git('rev-parse', 'HEAD').trim();
}

let env: Setup;
beforeEach(() => {
  [cfn, cw, ec2, ib, kms].forEach((m) => m.reset());
  cfn.on(DescribeStacksCommand, { StackName: 'patch-dev-app' }).resolves({ Stacks: [stack('patch-dev-app', AMI(2), T0 - 47 * HOUR)] });
  cfn.on(DescribeStacksCommand, { StackName: 'patch-prod-app' }).resolves({ Stacks: [stack('patch-prod-app', AMI(1), T0 - 200 * HOUR)] });
  cw.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[] }) => ({ MetricAlarms: input.AlarmNames.map((AlarmName) => ({ AlarmName, StateValue: 'OK' })) }));
  cw.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  ec2.on(DescribeImagesCommand).callsFake((input: { ImageIds: string[] }) => ({
    Images: input.ImageIds.map((id) => ({ ImageId: id, OwnerId: '123456789012', State: 'available', Tags: [{ Key: 'Ec2ImageBuilderArn', Value: IMAGE(Number(id.slice(4))) }] })),
  }));
  ib.on(GetImageCommand).resolves({ image: { arn: IMAGE(2), state: { status: 'AVAILABLE' }, imageScanningConfiguration: { imageScanningEnabled: true } } });
  ib.on(ListImageScanFindingsCommand).resolves({ findings: [] });
  ib.on(ListImagePackagesCommand).callsFake((input: { imageBuildVersionArn: string }) => ({
    imagePackageList: [{ packageName: 'openssl', packageVersion: input.imageBuildVersionArn === IMAGE(2) ? '3.2.2' : '3.2.1' }],
  }));
  env = setup();
});
afterEach(() => env.remove());

const prodFile = () => readFileSync(join(env.work.dir, 'parameters/prod.json'), 'utf8');

describe('propose-promotion', () => {
  it('proposes the AMI dev ran verified for its soak, with the evidence in the body', async () => {
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);

    expect(result.outputs).toMatchObject({ promotable: true, 'ami-id': AMI(2), branch: 'ami-promote/prod', paths: 'parameters/prod.json', 'close-stale': false });
    expect(prodFile()).toBe(parametersJson(AMI(2)));
    expect(JSON.parse(String(result.outputs.bumps))).toEqual({ 'parameters/prod.json': AMI(2) });
    const body = String(result.outputs.body);
    expect(leadOf(body)).toEqual({
      heading: 'Promote to wave `prod`',
      lead: `**Merging this PR deploys \`${AMI(2)}\` to wave \`prod\` (\`prod\`: \`${AMI(1)}\` → \`${AMI(2)}\`): every environment of wave \`dev\` ran it verified for its soak, with no failback since and its rollback alarms quiet.**`,
    });
    expect(leadOf(result.summary!).lead).toBe(`**✅ \`${AMI(2)}\` is proven in wave \`dev\`: the pull request on \`ami-promote/prod\` moves \`prod\` from \`${AMI(1)}\` to \`${AMI(2)}\`; merging it deploys them.**`);
    expect(body).toContain('| `dev` (us-east-1) |');
    expect(body).toContain('`patch-dev-app-alb-5xx-rate` OK, `patch-dev-app-unhealthy-hosts` OK; no transition to ALARM from');
    expect(body).toContain('none: no failback, automatic failback or rollback record');
    expect(body).toContain(`| \`prod\` | \`parameters/prod.json\` | \`${AMI(1)}\` | \`${AMI(2)}\` |`);
    expect(body).toContain(`**Image:** \`${IMAGE(2)}\``);
    expect(body).toContain('openssl');
    const [update] = parseMetadataBlock(String(result.outputs['commit-message'])) ?? [];
    expect(update).toMatchObject({ environment: 'prod', 'ami-id': AMI(2), 'previous-ami-id': AMI(1), 'update-type': 'promotion', 'promoted-from': 'dev', 'image-arn': IMAGE(2) });
    // The soak is read from CloudWatch over exactly the soak window: from the later of the commit and the stack update, to now.
    expect(cw.commandCalls(DescribeAlarmHistoryCommand)[0].args[0].input).toMatchObject({ AlarmName: 'patch-dev-app-alb-5xx-rate', HistoryItemType: 'StateUpdate', StartDate: new Date(T0 - 47 * HOUR), EndDate: new Date(T0) });
  });

  it('waits while the soak is not over, and changes nothing', async () => {
    env.ctx.clock = new VirtualClock(T0 - 46 * HOUR);
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs).toMatchObject({ promotable: false, 'ami-id': AMI(2), 'close-stale': false });
    expect(result.outputs.blockers).toBe(`dev: soak not over: 1380 of 1440 minutes left (it ends at ${iso(T0 - 47 * HOUR + 1440 * 60_000)})`);
    expect(prodFile()).toBe(parametersJson(AMI(1)));
    expect(ec2.calls()).toHaveLength(0);
    expect(leadOf(result.summary!).lead).toBe(`**\`${AMI(2)}\` is not promoted to wave \`prod\`: ${result.outputs.blockers}. No file was changed.**`);
    // One blocker is said once in the lead, not again as a list of one.
    expect(result.summary).not.toContain('\n- dev: soak not over');
  });

  describeCatalogueRows("the soak judged on AWS's clock (catalogue rows)", 'promotion.test.ts#soak', {
    async F66() {
      const soakEnd = T0 - 47 * HOUR + 1440 * 60_000;
      // By the runner's clock 2 minutes are left; by AWS's (3 minutes ahead) the soak ended a minute ago.
      env.ctx.clock = new VirtualClock(soakEnd - 2 * 60_000);
      const aws = env.ctx.aws;
      env.ctx.aws = (region) => ({ ...aws(region), awsClock: awsClockOn(env.ctx.clock, 3 * 60_000) });
      const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
      expect(result.outputs).toMatchObject({ promotable: true, 'ami-id': AMI(2) });
    },
    async F67() {
      // The runner says the soak is over; AWS, two hours behind it, says it is not.
      env.ctx.clock = new VirtualClock(T0 - 23 * HOUR + HOUR);
      const aws = env.ctx.aws;
      env.ctx.aws = (region) => ({ ...aws(region), awsClock: awsClockOn(env.ctx.clock, -2 * HOUR) });
      await expect(runCommand('propose-promotion', { wave: 'prod' }, env.ctx)).rejects.toThrow(
        /^Time check failed for the soak of wave dev: the runner's clock said .* the runner is 2 h 0 min ahead of AWS, more than the 5 minutes tolerated\..*Fix the runner's clock \(NTP\)/,
      );
      expect(prodFile()).toBe(parametersJson(AMI(1)));
    },
  });


  it('refuses an AMI whose rollback alarm fired during the soak, even though it is quiet now', async () => {
    cw.on(DescribeAlarmHistoryCommand, { AlarmName: 'patch-dev-app-unhealthy-hosts' }).resolves({
      AlarmHistoryItems: [
        { AlarmName: 'patch-dev-app-unhealthy-hosts', Timestamp: new Date(T0 - 30 * HOUR), HistoryItemType: 'StateUpdate', HistorySummary: 'Alarm updated from OK to ALARM', HistoryData: JSON.stringify({ newState: { stateValue: 'ALARM' } }) },
        { AlarmName: 'patch-dev-app-unhealthy-hosts', Timestamp: new Date(T0 - 29 * HOUR), HistoryItemType: 'StateUpdate', HistorySummary: 'Alarm updated from ALARM to OK', HistoryData: JSON.stringify({ newState: { stateValue: 'OK' } }) },
      ],
    });
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs.promotable).toBe(false);
    expect(result.outputs.blockers).toBe(`dev: rollback alarm patch-dev-app-unhealthy-hosts went to ALARM at ${iso(T0 - 30 * HOUR)}, during the soak (Alarm updated from OK to ALARM)`);
    expect(prodFile()).toBe(parametersJson(AMI(1)));
  });

  it('refuses an AMI the wave failed back from once, even after it was deployed again', async () => {
    env.seedAt(T0 - 46 * HOUR, bump('dev', 2, 1, 'auto-failback', `Fail back dev to ${AMI(1)}: ${AMI(2)} failed verification`), { 'parameters/dev.json': parametersJson(AMI(1)) });
    env.seedAt(T0 - 45 * HOUR, `Put ${AMI(2)} back by hand`, { 'parameters/dev.json': parametersJson(AMI(2)) });
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs.promotable).toBe(false);
    expect(String(result.outputs.blockers)).toMatch(new RegExp(`^dev: auto-failback away from ${AMI(2)} in commit [0-9a-f]{12} .*failed verification.*it failed here once, so it is not promoted`));
  });

  it('refuses an AMI the wave failed back from in a PR merged with a merge commit', async () => {
    mergeAt(T0 - 46 * HOUR, T0 - 46 * HOUR, bump('dev', 2, 1, 'failback', `Fail back dev to ${AMI(1)}: p99 doubled`), { 'parameters/dev.json': parametersJson(AMI(1)) });
    env.seedAt(T0 - 45 * HOUR, `Put ${AMI(2)} back by hand`, { 'parameters/dev.json': parametersJson(AMI(2)) });
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs.promotable).toBe(false);
    expect(String(result.outputs.blockers)).toMatch(new RegExp(`^dev: failback away from ${AMI(2)} in commit [0-9a-f]{12} .*"Merge pull request #9 from acme/pr".*it failed here once, so it is not promoted`));
    expect(prodFile()).toBe(parametersJson(AMI(1)));
  });

  it('starts the soak of a patch merged with a merge commit at the merge, not at the commit it merged', async () => {
    // The patch PR's commit is 40 hours old, its merge 10: the 1440-minute soak has 14 hours to go.
    env.seedAt(T0 - 50 * HOUR, `Hand edit back to ${AMI(1)}`, { 'parameters/dev.json': parametersJson(AMI(1)) });
    mergeAt(T0 - 40 * HOUR, T0 - 10 * HOUR, bump('dev', 1, 3, 'patch'), { 'parameters/dev.json': parametersJson(AMI(3)) });
    cfn.on(DescribeStacksCommand, { StackName: 'patch-dev-app' }).resolves({ Stacks: [stack('patch-dev-app', AMI(3), T0 - 30 * HOUR)] });
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs.promotable).toBe(false);
    expect(String(result.outputs.blockers)).toMatch(/^dev: soak not over: 840 of 1440 minutes left/);
  });

  it('refuses while the stack does not run what git names, or is not settled', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'patch-dev-app' }).resolves({ Stacks: [stack('patch-dev-app', AMI(1), T0 - 47 * HOUR, 'UPDATE_ROLLBACK_COMPLETE')] });
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(String(result.outputs.blockers).split('\n')).toEqual([
      `dev: app stack patch-dev-app runs ${AMI(1)}, not ${AMI(2)}: the deploy has not happened, or the stack drifted`,
      'dev: app stack patch-dev-app is UPDATE_ROLLBACK_COMPLETE, not settled on a successful update',
    ]);
    // The output stays plain; the summary's lead, its list and its table show the AMI IDs as code spans, none bare.
    const first = `dev: app stack patch-dev-app runs \`${AMI(1)}\`, not \`${AMI(2)}\`: the deploy has not happened, or the stack drifted`;
    expect(leadOf(result.summary!).lead).toBe(`**\`${AMI(2)}\` is not promoted to wave \`prod\`: ${first} (and 1 more, below). No file was changed.**`);
    expect(result.summary).toContain(`\n- ${first}\n`);
    expect(result.summary).toContain(`| dev | ⏳ app stack patch-dev-app runs \`${AMI(1)}\`, not \`${AMI(2)}\`: the deploy`);
    expect(result.summary!.replace(/`[^`]*`/g, '')).not.toMatch(/ami-[0-9a-f]{8}/);
  });

  it('refuses when a rollback alarm is missing in CloudWatch: its quiet cannot be shown', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'patch-dev-app-alb-5xx-rate', StateValue: 'OK' }] });
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs.blockers).toBe('dev: rollback alarm patch-dev-app-unhealthy-hosts does not exist in CloudWatch, so its quiet cannot be shown');
  });

  it('lets a newer patch supersede the open promotion PR: closed while the new AMI soaks, replaced once it has', async () => {
    // The open PR (ami-promote/prod) proposes AMI 2.
    env.work.git('checkout', '--quiet', '-b', 'ami-promote/prod');
    commitAt(env.work, T0, bump('prod', 1, 2, 'promotion'), { 'parameters/prod.json': parametersJson(AMI(2)) });
    env.work.git('push', '--quiet', 'origin', 'ami-promote/prod');
    env.work.git('checkout', '--quiet', 'main');
    // Then dev gets AMI 3, an hour ago.
    env.seedAt(T0 - HOUR, bump('dev', 2, 3, 'patch'), { 'parameters/dev.json': parametersJson(AMI(3)) });
    cfn.on(DescribeStacksCommand, { StackName: 'patch-dev-app' }).resolves({ Stacks: [stack('patch-dev-app', AMI(3), T0 - HOUR)] });

    const soaking = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(soaking.outputs).toMatchObject({ promotable: false, 'ami-id': AMI(3), 'close-stale': true, 'stale-ami-id': AMI(2) });
    expect(prodFile()).toBe(parametersJson(AMI(1)));

    env.clock.advance(24 * HOUR);
    const soaked = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(soaked.outputs).toMatchObject({ promotable: true, 'ami-id': AMI(3), 'close-stale': false, branch: 'ami-promote/prod' });
    expect(String(soaked.outputs.body)).toContain(`This replaces the earlier proposal of \`${AMI(2)}\``);
    expect(prodFile()).toBe(parametersJson(AMI(3)));
  });

  it('says there is nothing to do when the wave already runs the AMI', async () => {
    env.seedAt(T0 - 10 * HOUR, bump('prod', 1, 2, 'promotion'), { 'parameters/prod.json': parametersJson(AMI(2)) });
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs).toMatchObject({ promotable: false, blockers: `wave prod already runs ${AMI(2)}: nothing to promote` });
  });

  it('refuses to propose a revoked AMI', async () => {
    env.seedAt(T0 - 50 * HOUR, 'Revoke AMI 2', {
      'parameters/revoked.json': JSON.stringify({ revocations: [{ amiId: AMI(2), reason: 'CVE-2026-1234', revokedBy: 'sec-lead', revokedAt: '2026-05-30T00:00:00Z' }] }, null, 2),
    });
    await expect(runCommand('propose-promotion', { wave: 'prod' }, env.ctx)).rejects.toThrow(RevokedAmiError);
    expect(prodFile()).toBe(parametersJson(AMI(1)));
  });

  it("refuses to propose an AMI whose owner the receiving environment's allowlist does not name, writing nothing", async () => {
    ec2.on(DescribeImagesCommand).callsFake((input: { ImageIds: string[] }) => ({
      Images: input.ImageIds.map((id) => ({ ImageId: id, OwnerId: '210987654321', State: 'available', Tags: [{ Key: 'Ec2ImageBuilderArn', Value: IMAGE(Number(id.slice(4))) }] })),
    }));
    const refused = runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    await expect(refused).rejects.toThrow(InputError);
    await expect(refused).rejects.toThrow(
      `Promotion to prod (wave prod) refused: AMI ${AMI(2)} is owned by account 210987654321, which is not on the AMI owner allowlist (self (123456789012); the default: environments.prod.amiOwners is not set in parameters/environments.json).`,
    );
    expect(prodFile()).toBe(parametersJson(AMI(1)));
  });

  it("trusts by default the account that builds the wave before's images (dev's imagePipelineAccount), and only that one", async () => {
    const ownedBy = (owner: string) =>
      ec2.on(DescribeImagesCommand).callsFake((input: { ImageIds: string[] }) => ({
        Images: input.ImageIds.map((id) => ({ ImageId: id, OwnerId: owner, State: 'available', Tags: [{ Key: 'Ec2ImageBuilderArn', Value: IMAGE(Number(id.slice(4))) }] })),
      }));
    const wiring = JSON.parse(WIRING) as { environments: Record<string, Record<string, unknown>> };
    wiring.environments.dev.imagePipelineAccount = '210987654321';
    env.seedAt(T0 - 100 * HOUR, 'dev builds its images in a central account', { 'parameters/environments.json': JSON.stringify(wiring, null, 2) });

    ownedBy('999988887777');
    await expect(runCommand('propose-promotion', { wave: 'prod' }, env.ctx)).rejects.toThrow(
      `Promotion to prod (wave prod) refused: AMI ${AMI(2)} is owned by account 999988887777, which is not on the AMI owner allowlist (self (123456789012), 210987654321; the default (self and the imagePipelineAccount of it and of the earlier waves): environments.prod.amiOwners is not set in parameters/environments.json).`,
    );
    expect(prodFile()).toBe(parametersJson(AMI(1)));

    ownedBy('210987654321');
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs).toMatchObject({ promotable: true, 'ami-id': AMI(2) });
    expect(prodFile()).toBe(parametersJson(AMI(2)));
  });

  it("judges a receiving environment that has no app stack yet with the wave before's account as self", async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'patch-prod-app' }).rejects(Object.assign(new Error('Stack with id patch-prod-app does not exist'), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }));
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs).toMatchObject({ promotable: true, 'ami-id': AMI(2) });
  });

  it('refuses the first wave and an unknown wave before any AWS call', async () => {
    await expect(runCommand('propose-promotion', { wave: 'dev' }, env.ctx)).rejects.toThrow(/^No promotion to wave "dev" in \S*parameters\/environments\.json: it is the first wave, which the patch PR bakes for\. Promote to a later wave \(prod\)\.$/);
    await expect(runCommand('propose-promotion', { wave: 'prd' }, env.ctx)).rejects.toThrow('Unknown wave "prd"');
    expect([...cfn.calls(), ...cw.calls()]).toHaveLength(0);
  });

  it('shortens the soak only when told, and says so in the body', async () => {
    env.ctx.clock = new VirtualClock(T0 - 46 * HOUR);
    const result = await runCommand('propose-promotion', { wave: 'prod', 'soak-minutes': '0' }, env.ctx);
    expect(result.outputs.promotable).toBe(true);
    expect(String(result.outputs.body)).toContain('> The soak was overridden to 0 minutes for this run (the wiring says dev 1440).');
  });
});

describe('a promotion into an environment that stages ahead (slots.stageAhead)', () => {
  const SLOTS_TEMPLATE = 'Parameters:\n  LiveSlot:\n    Type: String\nResources: {}\n';
  /** prod in the slots shape: green live on AMI 1, blue retired on AMI 1. */
  const prodSlots = (state: Record<string, string> = {}) =>
    `${JSON.stringify({ Parameters: { NetworkStackName: 'patch-prod-network', LiveSlot: 'green', BlueAmazonMachineImage: AMI(1), BlueCapacity: '0', BlueWeight: '0', GreenAmazonMachineImage: AMI(1), GreenCapacity: '2', GreenWeight: '100', InstanceType: 't3.micro', ...state }, Tags: { Environment: 'prod' } }, null, 2)}\n`;
  const params = (text: string) => (JSON.parse(text) as { Parameters: Record<string, string> }).Parameters;

  beforeEach(() => {
    const wiring = JSON.parse(WIRING) as { environments: Record<string, Record<string, unknown>> };
    wiring.environments.prod = { ...wiring.environments.prod, appTemplate: 'templates/app-slots.yaml', strategy: 'slots', slots: { stageAhead: true } };
    env.seedAt(T0 - 100 * HOUR, 'prod stages ahead', { 'parameters/environments.json': JSON.stringify(wiring, null, 2), 'templates/app-slots.yaml': SLOTS_TEMPLATE, 'parameters/prod.json': prodSlots() });
  });

  it("stages the AMI in prod's idle slot at weight 0, exactly as prod's patch PR would, and says a switch PR follows", async () => {
    const before = prodFile();
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs).toMatchObject({ promotable: true, 'ami-id': AMI(2), paths: 'parameters/prod.json' });
    const promoted = prodFile();
    expect(params(promoted)).toEqual({ ...params(before), BlueAmazonMachineImage: AMI(2), BlueCapacity: '2' });
    const [update] = parseMetadataBlock(String(result.outputs['commit-message'])) ?? [];
    expect(update).toMatchObject({ environment: 'prod', 'update-type': 'promotion', 'previous-ami-id': AMI(1), 'ami-id': AMI(2), parameter: 'BlueAmazonMachineImage, BlueCapacity' });
    const body = String(result.outputs.body);
    expect(leadOf(body).lead).toContain(`(\`prod\`: \`${AMI(1)}\` → \`${AMI(2)}\` (staged))`);
    expect(body).toContain('`prod` stages ahead: the merge puts the AMI in the idle slot at weight 0, as a patch PR there would, with no user traffic; that deploy proves the slot and proposes the switch PR');
    // prod's patch PR (set-ami) from the same file writes the same bytes.
    env.work.git('checkout', '--quiet', '--', 'parameters/prod.json');
    await runCommand('set-ami', { environment: 'prod', 'ami-id': AMI(2) }, env.ctx);
    expect(prodFile()).toBe(promoted);
    // The propose job writes it again from a fresh checkout: the same rewrite.
    env.work.git('checkout', '--quiet', '--', 'parameters/prod.json');
    const applied = await runCommand('apply-promotion', { wave: 'prod', bumps: String(result.outputs.bumps) }, env.ctx);
    expect(applied.outputs).toEqual({ paths: 'parameters/prod.json' });
    expect(prodFile()).toBe(promoted);
  });

  it('once the promotion is merged (staged, its switch not yet), there is nothing to promote and nothing to apply', async () => {
    const decided = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    const base = String(decided.outputs['base-commit']);
    env.work.git('checkout', '--quiet', '--', 'parameters/prod.json');
    landOnMainFromElsewhere(`Promote ${AMI(2)} to wave prod`, { 'parameters/prod.json': prodSlots({ BlueAmazonMachineImage: AMI(2), BlueCapacity: '2' }) });
    const applied = await runCommand('apply-promotion', { wave: 'prod', bumps: String(decided.outputs.bumps), 'base-commit': base }, env.ctx);
    expect(applied).toEqual({ outputs: { paths: '' } });
    env.work.git('checkout', '--quiet', 'main');
    env.work.git('pull', '--quiet', '--ff-only', 'origin', 'main');
    const again = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(again.outputs).toMatchObject({ promotable: false, blockers: `wave prod already runs ${AMI(2)} (staged ahead in prod: merging the switch PR moves users): nothing to promote` });
  });
});

describe('apply-promotion (the job that opens the PR, without the promotion role)', () => {
  it('writes the bumps the decide job wrote into a fresh checkout, byte for byte', async () => {
    const decided = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    const written = prodFile();
    env.work.git('checkout', '--quiet', '--', 'parameters/prod.json');
    expect(prodFile()).toBe(parametersJson(AMI(1)));

    const awsCalls = () => [cfn, cw, ec2, ib].reduce((n, m) => n + m.calls().length, 0);
    const before = awsCalls();
    const applied = await runCommand('apply-promotion', { wave: 'prod', bumps: String(decided.outputs.bumps) }, env.ctx);
    expect(applied.outputs).toEqual({ paths: decided.outputs.paths });
    expect(prodFile()).toBe(written);
    expect(awsCalls()).toBe(before);
  });

  it('leaves out a file that already names its bump on main (the promotion was merged): nothing to propose, no failure', async () => {
    const decided = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    const base = String(decided.outputs['base-commit']);
    landOnMainFromElsewhere(`Promote ${AMI(2)} to wave prod`, { 'parameters/prod.json': parametersJson(AMI(2)) });
    const applied = await runCommand('apply-promotion', { wave: 'prod', bumps: String(decided.outputs.bumps), 'base-commit': base }, env.ctx);
    expect(applied).toEqual({ outputs: { paths: '' } });
    expect(prodFile()).toBe(parametersJson(AMI(1)));
    expect(env.logger.text()).toMatch(new RegExp(`parameters/prod\\.json \\(prod\\) already names ${AMI(2)} on main since [0-9a-f]{12} \\("Promote ${AMI(2)} to wave prod"\\): nothing to propose for it\\.`));
  });

  it("refuses a file that is not a parameters file of the wave's environments, and bad JSON, writing nothing", async () => {
    const devFile = () => readFileSync(join(env.work.dir, 'parameters/dev.json'), 'utf8');
    const before = devFile();
    await expect(runCommand('apply-promotion', { wave: 'prod', bumps: JSON.stringify({ 'parameters/prod.json': AMI(3), 'parameters/dev.json': AMI(3) }) }, env.ctx)).rejects.toThrow(
      /^apply-promotion for wave prod was given parameters\/dev\.json, not a parameters file of the wave's environments \(parameters\/prod\.json\)\. Pass propose-promotion's bumps output for the same wave\.$/,
    );
    await expect(runCommand('apply-promotion', { wave: 'prod', bumps: '{"parameters/prod.json": "ami-1"}' }, env.ctx)).rejects.toThrow(/must be an AMI ID/);
    await expect(runCommand('apply-promotion', { wave: 'prod', bumps: 'parameters/prod.json' }, env.ctx)).rejects.toThrow(/must be JSON/);
    await expect(runCommand('apply-promotion', { wave: 'dev', bumps: JSON.stringify({ 'parameters/dev.json': AMI(3) }) }, env.ctx)).rejects.toThrow('No promotion to wave "dev"');
    expect(devFile()).toBe(before);
    expect(prodFile()).toBe(parametersJson(AMI(1)));
  });
});

describe('check-wave-gate (deploy)', () => {
  const gate = () => runCommand('check-wave-gate', { environment: 'prod' }, env.ctx);

  it('refuses to deploy to prod an AMI no earlier wave ran', async () => {
    env.seedAt(T0 - HOUR, `Use ${AMI(9)} in prod`, { 'parameters/prod.json': parametersJson(AMI(9)) });
    await expect(gate()).rejects.toThrow(new RegExp(`^Deploy of prod refused for ${AMI(9)}: no environment of an earlier wave \\(dev\\) ran ${AMI(9)} without a failback`));
  });

  it('refuses an AMI the earlier wave failed back from', async () => {
    env.seedAt(T0 - 46 * HOUR, bump('dev', 2, 1, 'auto-failback'), { 'parameters/dev.json': parametersJson(AMI(1)) });
    env.seedAt(T0 - HOUR, bump('prod', 1, 2, 'promotion'), { 'parameters/prod.json': parametersJson(AMI(2)) });
    await expect(gate()).rejects.toThrow(`Deploy of prod refused for ${AMI(2)}`);
  });

  it('refuses an AMI the earlier wave failed back from in a PR merged with a merge commit', async () => {
    mergeAt(T0 - 46 * HOUR, T0 - 46 * HOUR, bump('dev', 2, 1, 'auto-failback'), { 'parameters/dev.json': parametersJson(AMI(1)) });
    env.seedAt(T0 - HOUR, bump('prod', 1, 2, 'promotion'), { 'parameters/prod.json': parametersJson(AMI(2)) });
    await expect(gate()).rejects.toThrow(`Deploy of prod refused for ${AMI(2)}: no environment of an earlier wave (dev) ran ${AMI(2)} without a failback`);
  });

  it('lets through what dev ran, what the stack already runs, and a failback record', async () => {
    env.seedAt(T0 - HOUR, bump('prod', 1, 2, 'promotion'), { 'parameters/prod.json': parametersJson(AMI(2)) });
    await expect(gate()).resolves.toMatchObject({ outputs: { allowed: true, why: expect.stringContaining(`ran in the earlier wave without a failback: dev`) } });

    env.seedAt(T0 - HOUR, `Hand edit to ${AMI(8)}`, { 'parameters/prod.json': parametersJson(AMI(8)) });
    cfn.on(DescribeStacksCommand, { StackName: 'patch-prod-app' }).resolves({ Stacks: [stack('patch-prod-app', AMI(8), T0 - 2 * HOUR)] });
    await expect(gate()).resolves.toMatchObject({ outputs: { why: expect.stringContaining('the stack already runs') } });

    cfn.on(DescribeStacksCommand, { StackName: 'patch-prod-app' }).resolves({ Stacks: [stack('patch-prod-app', AMI(2), T0 - 2 * HOUR)] });
    env.seedAt(T0 - HOUR, bump('prod', 8, 7, 'failback'), { 'parameters/prod.json': parametersJson(AMI(7)) });
    await expect(gate()).resolves.toMatchObject({ outputs: { why: expect.stringContaining('failback record') } });
  });

  it('lets a direct bake for prod through a merged PR, with a warning that it skipped promotion', async () => {
    env.work.git('checkout', '--quiet', '-b', 'ami-patch/prod');
    commitAt(env.work, T0 - 2 * HOUR, bump('prod', 1, 5, 'patch'), { 'parameters/prod.json': parametersJson(AMI(5)) });
    env.work.git('checkout', '--quiet', 'main');
    env.work.git('merge', '--quiet', '--no-ff', '-m', 'Merge pull request #7 from acme/ami-patch/prod', 'ami-patch/prod');
    const result = await gate();
    expect(result.outputs.allowed).toBe(true);
    expect(env.logger.entries).toContainEqual({ level: 'warning', message: `${AMI(5)} was baked for prod directly and skipped promotion: no earlier wave (dev) ran it.`, location: undefined });
  });

  it('passes the first wave without looking', async () => {
    await expect(runCommand('check-wave-gate', { environment: 'dev' }, env.ctx)).resolves.toMatchObject({ outputs: { allowed: true } });
  });
});

describe('compose-patch-pr for a later wave', () => {
  it('warns in the PR that the image skipped promotion', async () => {
    writeFileSync(join(env.work.dir, 'x'), '');
    const result = await runCommand('compose-patch-pr', { environment: 'prod', 'previous-ami-id': AMI(1), 'ami-id': AMI(5) }, env.ctx);
    // Under the lead sentence, which still says what merging does.
    expect(String(result.outputs.body)).toMatch(/^## Patch `prod`\n\n\*\*Merging this PR deploys [^\n]+\n\n> \[!WARNING\]\n> This image was baked for `prod` directly and \*\*skipped promotion\*\*: no environment of an earlier wave \(dev\) ran it\./);
    const dev = await runCommand('compose-patch-pr', { environment: 'dev', 'previous-ami-id': AMI(1), 'ami-id': AMI(5) }, env.ctx);
    expect(String(dev.outputs.body)).not.toContain('skipped promotion');
  });
});

const COPY = 'ami-0c0c0c0c0c0c0c0c0';
const lookup = { Owners: ['self'], Filters: [{ Name: 'tag:SourceAmiId', Values: [AMI(2)] }, { Name: 'tag:SourceRegion', Values: ['us-east-1'] }] };

/** prod moved to us-west-2 before dev's patch: its promotion needs a copy there. */
function moveProdWest(): void {
  const west = { waves: [{ name: 'dev', environments: ['dev'] }, { name: 'prod', environments: ['prod'] }], environments: { dev: environment('dev', 1440), prod: { ...environment('prod'), region: 'us-west-2' } } };
  env.seedAt(T0 - 47.5 * HOUR, 'Move prod to us-west-2', { 'parameters/environments.json': JSON.stringify(west, null, 2) });
  ec2.on(DescribeImagesCommand, lookup).resolves({ Images: [] });
  ec2.on(CopyImageCommand).resolves({ ImageId: COPY });
}

const SNAPSHOT = 'snap-0123456789abcdef0';
const COPY_ROLE = 'arn:aws:iam::222222222222:role/patch-prod-ami-copy';

/** prod moved to account 222222222222 (its copy role in the wiring) before dev's patch: the source shares AMI 2 and its snapshot for the copy. */
function moveProdToOtherAccount(prodWiring: Record<string, string> = {}): void {
  const other = { waves: [{ name: 'dev', environments: ['dev'] }, { name: 'prod', environments: ['prod'] }], environments: { dev: environment('dev', 1440), prod: { ...environment('prod'), copyRoleArn: COPY_ROLE, ...prodWiring } } };
  env.seedAt(T0 - 47.5 * HOUR, 'Move prod to another account', { 'parameters/environments.json': JSON.stringify(other, null, 2) });
  ec2.on(DescribeImagesCommand, { ImageIds: [AMI(2)] }).resolves({
    Images: [{ ImageId: AMI(2), OwnerId: '123456789012', State: 'available', Tags: [{ Key: 'Ec2ImageBuilderArn', Value: IMAGE(2) }], BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: SNAPSHOT } }] }],
  });
  ec2.on(DescribeImagesCommand, lookup).resolves({ Images: [] });
  ec2.on(DescribeImageAttributeCommand).resolves({ LaunchPermissions: [] });
  ec2.on(DescribeSnapshotAttributeCommand).resolves({ CreateVolumePermissions: [] });
  ec2.on(ModifyImageAttributeCommand).resolves({});
  ec2.on(ModifySnapshotAttributeCommand).resolves({});
  ec2.on(CopyImageCommand).resolves({ ImageId: COPY });
}

/** Which account a mocked EC2 or KMS call went to: the test context names the copy role's credentials after its account. */
async function accountOf(call: { thisValue: unknown }): Promise<string> {
  // The source clients have no credentials here (the default chain finds none): only the copy role's resolve.
  const credentials = await (call.thisValue as EC2Client | KMSClient).config.credentials().catch(() => undefined);
  return credentials?.accessKeyId === 'as-222222222222' ? 'prod' : 'source';
}

/** The pipeline's customer managed key (source), prod's copy key, and the source account's aws/ebs key. */
const SOURCE_KEY = 'arn:aws:kms:us-east-1:123456789012:key/0f0f0f0f-0000-4000-8000-000000000001';
const PROD_KEY = 'arn:aws:kms:us-east-1:222222222222:key/0f0f0f0f-0000-4000-8000-000000000002';
const EBS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/0f0f0f0f-0000-4000-8000-000000000003';

/** AMI 2's snapshot encrypted with `key`; KMS describes the three keys as AWS does. */
function encryptAmi2With(key: string): void {
  ec2.on(DescribeImagesCommand, { ImageIds: [AMI(2)] }).resolves({
    Images: [{ ImageId: AMI(2), OwnerId: '123456789012', State: 'available', Tags: [{ Key: 'Ec2ImageBuilderArn', Value: IMAGE(2) }], BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: SNAPSHOT, Encrypted: true, KmsKeyId: key } }] }],
  });
  kms.on(DescribeKeyCommand, { KeyId: SOURCE_KEY }).resolves({ KeyMetadata: { KeyId: SOURCE_KEY.split('/')[1], Arn: SOURCE_KEY, KeyManager: 'CUSTOMER', KeyState: 'Enabled' } });
  kms.on(DescribeKeyCommand, { KeyId: EBS_KEY }).resolves({ KeyMetadata: { KeyId: EBS_KEY.split('/')[1], Arn: EBS_KEY, KeyManager: 'AWS', KeyState: 'Enabled' } });
  kms.on(DescribeKeyCommand, { KeyId: PROD_KEY }).resolves({ KeyMetadata: { KeyId: PROD_KEY.split('/')[1], Arn: PROD_KEY, KeyManager: 'CUSTOMER', KeyState: 'Enabled' } });
}

async function kmsCallsIn(): Promise<string[]> {
  return Promise.all(kms.commandCalls(DescribeKeyCommand).map(async (c) => `${await accountOf(c)} ${c.args[0].input.KeyId}`));
}

/** Nothing shared, copied, tagged or written. */
function expectNothingDone(): void {
  expect([ec2.commandCalls(ModifyImageAttributeCommand), ec2.commandCalls(ModifySnapshotAttributeCommand), ec2.commandCalls(CopyImageCommand), ec2.commandCalls(CreateTagsCommand)].map((c) => c.length)).toEqual([0, 0, 0, 0]);
  expect(prodFile()).toBe(parametersJson(AMI(1)));
  expect(env.work.git('status', '--porcelain').trim()).toBe('');
}
async function callsIn(command: Parameters<typeof ec2.commandCalls>[0]): Promise<string[]> {
  return Promise.all(ec2.commandCalls(command).map(async (c) => `${await accountOf(c)} ${JSON.stringify(c.args[0].input)}`));
}

describe('prod in another region: a copy of the proven AMI', () => {
  beforeEach(() => moveProdWest());

  it('copies it into prod’s region, tags the copy with its source and image, and bumps prod to the copy', async () => {
    ec2.on(DescribeImagesCommand, { ImageIds: [COPY] }).resolves({ Images: [{ ImageId: COPY, State: 'available' }] });
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);

    expect(result.outputs).toMatchObject({ promotable: true, 'ami-id': AMI(2), paths: 'parameters/prod.json' });
    expect(ec2.commandCalls(CopyImageCommand)[0].args[0].input).toMatchObject({ SourceImageId: AMI(2), SourceRegion: 'us-east-1' });
    expect(ec2.commandCalls(CreateTagsCommand)[0].args[0].input).toEqual({
      Resources: [COPY],
      Tags: [
        { Key: 'SourceAmiId', Value: AMI(2) },
        { Key: 'SourceRegion', Value: 'us-east-1' },
        { Key: 'Ec2ImageBuilderArn', Value: IMAGE(2) },
      ],
    });
    expect(prodFile()).toBe(parametersJson(COPY));
    expect(JSON.parse(String(result.outputs.bumps))).toEqual({ 'parameters/prod.json': COPY });
    const [update] = parseMetadataBlock(String(result.outputs['commit-message'])) ?? [];
    expect(update).toMatchObject({ environment: 'prod', 'ami-id': COPY, 'source-ami-id': AMI(2), 'image-arn': IMAGE(2), 'update-type': 'promotion' });
    expect(String(result.outputs.body)).toContain(`| \`prod\` | \`parameters/prod.json\` | \`${AMI(1)}\` | \`${COPY}\`: a new copy of \`${AMI(2)}\` in us-west-2, tagged SourceAmiId |`);
    // The lead says the environment gets a copy, not the AMI it names first.
    expect(String(result.outputs.body)).toContain(`(\`prod\`: \`${AMI(1)}\` → \`${COPY}\` (its copy in us-west-2))`);
  });

  it('reuses the copy an earlier run made, and copies nothing', async () => {
    ec2.on(DescribeImagesCommand, lookup).resolves({ Images: [{ ImageId: COPY, State: 'available' }] });
    ec2.on(DescribeImagesCommand, { ImageIds: [COPY] }).resolves({ Images: [{ ImageId: COPY, State: 'available' }] });
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs.promotable).toBe(true);
    expect(ec2.commandCalls(CopyImageCommand)).toHaveLength(0);
    expect(prodFile()).toBe(parametersJson(COPY));
  });

  it('reads an open PR that names the copy as proposing its source, so it is neither stale nor replaced', async () => {
    env.work.git('checkout', '--quiet', '-b', 'ami-promote/prod');
    commitAt(env.work, T0, bump('prod', 1, 2, 'promotion'), { 'parameters/prod.json': parametersJson(COPY) });
    env.work.git('push', '--quiet', 'origin', 'ami-promote/prod');
    env.work.git('checkout', '--quiet', 'main');
    ec2.on(DescribeImagesCommand, lookup).resolves({ Images: [{ ImageId: COPY, State: 'available' }] });
    ec2.on(DescribeImagesCommand, { ImageIds: [COPY] }).resolves({ Images: [{ ImageId: COPY, State: 'available', Tags: [{ Key: 'SourceAmiId', Value: AMI(2) }] }] });
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs).toMatchObject({ promotable: true, 'close-stale': false });
    expect(String(result.outputs.body)).not.toContain('This replaces the earlier proposal');
  });

  it('lets prod deploy a copy whose SourceAmiId tag names what dev ran, and refuses one whose tag names anything else', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'patch-prod-app' }).resolves({ Stacks: [stack('patch-prod-app', AMI(1), T0 - 200 * HOUR)] });
    env.seedAt(T0 - HOUR, bump('prod', 1, 2, 'promotion'), { 'parameters/prod.json': parametersJson(COPY) });
    ec2.on(DescribeImagesCommand, { ImageIds: [COPY] }).resolves({ Images: [{ ImageId: COPY, State: 'available', Tags: [{ Key: 'SourceAmiId', Value: AMI(2) }] }] });
    await expect(runCommand('check-wave-gate', { environment: 'prod' }, env.ctx)).resolves.toMatchObject({
      outputs: { allowed: true, why: expect.stringMatching(new RegExp(`^${COPY} is the copy of ${AMI(2)} \\(its SourceAmiId tag\\), which ran in the earlier wave without a failback: dev`)) },
    });
    ec2.on(DescribeImagesCommand, { ImageIds: [COPY] }).resolves({ Images: [{ ImageId: COPY, State: 'available', Tags: [{ Key: 'SourceAmiId', Value: AMI(9) }] }] });
    await expect(runCommand('check-wave-gate', { environment: 'prod' }, env.ctx)).rejects.toThrow(`Deploy of prod refused for ${COPY}`);
  });
});

describe('prod in another account: a copy made there by its copy role', () => {
  beforeEach(() => moveProdToOtherAccount());

  it('shares the AMI and its snapshot for the copy only, copies and tags it in the other account, and bumps prod to it', async () => {
    ec2.on(DescribeImagesCommand, { ImageIds: [COPY] }).resolves({ Images: [{ ImageId: COPY, State: 'available' }] });
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);

    expect(JSON.parse(String(result.outputs.bumps))).toEqual({ 'parameters/prod.json': COPY });
    expect(await callsIn(ModifyImageAttributeCommand)).toEqual([
      `source {"ImageId":"${AMI(2)}","LaunchPermission":{"Add":[{"UserId":"222222222222"}]}}`,
      `source {"ImageId":"${AMI(2)}","LaunchPermission":{"Remove":[{"UserId":"222222222222"}]}}`,
    ]);
    expect(await callsIn(ModifySnapshotAttributeCommand)).toEqual([
      `source {"SnapshotId":"${SNAPSHOT}","Attribute":"createVolumePermission","OperationType":"add","UserIds":["222222222222"]}`,
      `source {"SnapshotId":"${SNAPSHOT}","Attribute":"createVolumePermission","OperationType":"remove","UserIds":["222222222222"]}`,
    ]);
    expect(await callsIn(CopyImageCommand)).toEqual([expect.stringMatching(new RegExp(`^prod \\{"SourceImageId":"${AMI(2)}","SourceRegion":"us-east-1"`))]);
    // The tags' values come from the source side: the other account cannot read the shared AMI's tags.
    expect(await callsIn(CreateTagsCommand)).toEqual([
      `prod {"Resources":["${COPY}"],"Tags":[{"Key":"SourceAmiId","Value":"${AMI(2)}"},{"Key":"SourceRegion","Value":"us-east-1"},{"Key":"Ec2ImageBuilderArn","Value":"${IMAGE(2)}"}]}`,
    ]);
    expect(String(result.outputs.body)).toContain(`\`${COPY}\`: a new copy of \`${AMI(2)}\` in account 222222222222, us-east-1, tagged SourceAmiId`);
  });

  it('leaves a grant someone else made alone', async () => {
    ec2.on(DescribeImagesCommand, { ImageIds: [COPY] }).resolves({ Images: [{ ImageId: COPY, State: 'available' }] });
    ec2.on(DescribeImageAttributeCommand).resolves({ LaunchPermissions: [{ UserId: '222222222222' }] });
    ec2.on(DescribeSnapshotAttributeCommand).resolves({ CreateVolumePermissions: [{ UserId: '222222222222' }] });
    await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(ec2.commandCalls(ModifyImageAttributeCommand)).toHaveLength(0);
    expect(ec2.commandCalls(ModifySnapshotAttributeCommand)).toHaveLength(0);
  });

  it('refuses an AMI whose snapshot is encrypted with aws/ebs before anything is shared, copied or written', async () => {
    encryptAmi2With(EBS_KEY);
    await expect(runCommand('propose-promotion', { wave: 'prod' }, env.ctx)).rejects.toThrow(
      `${AMI(2)} (us-east-1) cannot be copied into account 222222222222 for prod: its snapshot ${SNAPSHOT} is encrypted with the AWS managed key aws/ebs (${EBS_KEY}), which AWS lets no other account use`,
    );
    expect(await kmsCallsIn()).toEqual([`source ${EBS_KEY}`]);
    expectNothingDone();
  });

  it('refuses an AMI encrypted with a customer managed key when prod has no copy key, before anything is shared', async () => {
    encryptAmi2With(SOURCE_KEY);
    const error = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(String(error)).toContain(`its snapshots are encrypted (${SOURCE_KEY}), and EC2 re-encrypts a copy into another account with a key of that account, but environments.prod has no copyKmsKeyArn. Nothing was shared, copied or written.`);
    expect(String(error)).toMatch(/Set environments\.prod\.copyKmsKeyArn in \S*parameters\/environments\.json to a key of account 222222222222 in us-east-1: the AmiCopyKeyArn output of its github-oidc stack\.$/);
    expectNothingDone();
  });
});

describe('prod in another account, encrypted: the copy re-encrypted with prod’s key', () => {
  beforeEach(() => {
    moveProdToOtherAccount({ copyKmsKeyArn: PROD_KEY });
    encryptAmi2With(SOURCE_KEY);
  });

  it('reads the source key on the source side and prod’s key through the copy role, then copies with Encrypted and KmsKeyId', async () => {
    ec2.on(DescribeImagesCommand, { ImageIds: [COPY] }).resolves({ Images: [{ ImageId: COPY, State: 'available' }] });
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(JSON.parse(String(result.outputs.bumps))).toEqual({ 'parameters/prod.json': COPY });
    expect(await kmsCallsIn()).toEqual([`source ${SOURCE_KEY}`, `prod ${PROD_KEY}`]);
    expect(ec2.commandCalls(CopyImageCommand).map((c) => c.args[0].input)).toEqual([expect.objectContaining({ SourceImageId: AMI(2), Encrypted: true, KmsKeyId: PROD_KEY })]);
    // The snapshot's share goes with the launch permission, and is taken back with it.
    expect(await callsIn(ModifySnapshotAttributeCommand)).toEqual([
      `source {"SnapshotId":"${SNAPSHOT}","Attribute":"createVolumePermission","OperationType":"add","UserIds":["222222222222"]}`,
      `source {"SnapshotId":"${SNAPSHOT}","Attribute":"createVolumePermission","OperationType":"remove","UserIds":["222222222222"]}`,
    ]);
  });

  it.each([
    ['does not exist', () => kms.on(DescribeKeyCommand, { KeyId: PROD_KEY }).rejects(Object.assign(new Error('Key not found'), { name: 'NotFoundException' })), `its copyKmsKeyArn ${PROD_KEY} does not exist in us-east-1 of account 222222222222`],
    ['is disabled', () => kms.on(DescribeKeyCommand, { KeyId: PROD_KEY }).resolves({ KeyMetadata: { KeyId: PROD_KEY.split('/')[1], Arn: PROD_KEY, KeyManager: 'CUSTOMER', KeyState: 'Disabled' } }), `its copyKmsKeyArn ${PROD_KEY} is Disabled, and EC2 encrypts only with an enabled key (or enable it again: aws kms enable-key --region us-east-1 --key-id ${PROD_KEY})`],
  ])('refuses a copy key that %s, before anything is shared', async (_, arrange, message) => {
    arrange();
    await expect(runCommand('propose-promotion', { wave: 'prod' }, env.ctx)).rejects.toThrow(`${AMI(2)} cannot be copied into account 222222222222 for prod: ${message}. Nothing was shared, copied or written.`);
    expectNothingDone();
  });
});

describeCatalogueRows('the promotion fault rows of the catalogue (unit)', 'promotion.test.ts', {
    async F133() {
      moveProdWest();
      ec2.on(DescribeImagesCommand, { ImageIds: [COPY] }).resolves({ Images: [{ ImageId: COPY, State: 'failed', StateReason: { Code: 'Client.InternalError', Message: 'Snapshot copy failed' } }] });
      await expect(runCommand('propose-promotion', { wave: 'prod' }, env.ctx)).rejects.toThrow(
        `The copy ${COPY} of ${AMI(2)} (us-east-1) in us-west-2 ended failed: Snapshot copy failed. It was deregistered; nothing was proposed. The next Promote run copies again.`,
      );
      expect(ec2.commandCalls(DeregisterImageCommand).map((c) => c.args[0].input)).toEqual([{ ImageId: COPY }]);
      expect(prodFile()).toBe(parametersJson(AMI(1)));
      expect(env.work.git('status', '--porcelain').trim()).toBe('');
    },
    async F134() {
      moveProdToOtherAccount();
      ec2.on(DescribeImagesCommand, { ImageIds: [COPY] }).resolves({ Images: [{ ImageId: COPY, State: 'failed', StateReason: { Code: 'Client.InternalError', Message: 'Snapshot copy failed' } }] });
      await expect(runCommand('propose-promotion', { wave: 'prod' }, env.ctx)).rejects.toThrow(
        `The copy ${COPY} of ${AMI(2)} (us-east-1) in us-east-1 ended failed: Snapshot copy failed. It was deregistered; nothing was proposed. The next Promote run copies again.`,
      );
      expect(await callsIn(DeregisterImageCommand)).toEqual([`prod {"ImageId":"${COPY}"}`]);
      expect((await callsIn(ModifyImageAttributeCommand)).at(-1)).toBe(`source {"ImageId":"${AMI(2)}","LaunchPermission":{"Remove":[{"UserId":"222222222222"}]}}`);
      expect((await callsIn(ModifySnapshotAttributeCommand)).at(-1)).toBe(`source {"SnapshotId":"${SNAPSHOT}","Attribute":"createVolumePermission","OperationType":"remove","UserIds":["222222222222"]}`);
      expect(prodFile()).toBe(parametersJson(AMI(1)));
      expect(env.work.git('status', '--porcelain').trim()).toBe('');
    },
    async F135() {
      // The promotion role's policy names the copy accounts (PromotionCopyAccounts): 222222222222 is missing there.
      moveProdToOtherAccount();
      ec2.on(ModifySnapshotAttributeCommand, { OperationType: 'add' }).rejects(Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation' }));
      await expect(runCommand('propose-promotion', { wave: 'prod' }, env.ctx)).rejects.toThrow(
        `The promotion role may not share ${SNAPSHOT} of ${AMI(2)} (us-east-1) with account 222222222222 (You are not authorized to perform this operation.): that account is not in the PromotionCopyAccounts of the promotion role's github-oidc stack. Add 222222222222 there`,
      );
      // The launch permission granted before the refused share is taken back; nothing was copied.
      expect(await callsIn(ModifyImageAttributeCommand)).toEqual([
        `source {"ImageId":"${AMI(2)}","LaunchPermission":{"Add":[{"UserId":"222222222222"}]}}`,
        `source {"ImageId":"${AMI(2)}","LaunchPermission":{"Remove":[{"UserId":"222222222222"}]}}`,
      ]);
      expect(ec2.commandCalls(CopyImageCommand)).toHaveLength(0);
      expect(prodFile()).toBe(parametersJson(AMI(1)));
      expect(env.work.git('status', '--porcelain').trim()).toBe('');
    },
    async F136() {
      // EC2 checks the source key's policy only while the copy runs: one that does not name the copy role fails the copy.
      moveProdToOtherAccount({ copyKmsKeyArn: PROD_KEY });
      encryptAmi2With(SOURCE_KEY);
      const reason = 'The KMS key used to encrypt the source snapshot is not accessible';
      ec2.on(DescribeImagesCommand, { ImageIds: [COPY] }).resolves({ Images: [{ ImageId: COPY, State: 'failed', StateReason: { Code: 'Client.InvalidKMSKey.InvalidState', Message: reason } }] });
      await expect(runCommand('propose-promotion', { wave: 'prod' }, env.ctx)).rejects.toThrow(
        `The copy ${COPY} of ${AMI(2)} (us-east-1) in us-east-1 ended failed: ${reason}. It was deregistered; nothing was proposed. Its source is encrypted with ${SOURCE_KEY}: if EC2's reason is about KMS, that key's policy must let the copy role use it`,
      );
      expect(await callsIn(DeregisterImageCommand)).toEqual([`prod {"ImageId":"${COPY}"}`]);
      expect((await callsIn(ModifyImageAttributeCommand)).at(-1)).toBe(`source {"ImageId":"${AMI(2)}","LaunchPermission":{"Remove":[{"UserId":"222222222222"}]}}`);
      expect((await callsIn(ModifySnapshotAttributeCommand)).at(-1)).toBe(`source {"SnapshotId":"${SNAPSHOT}","Attribute":"createVolumePermission","OperationType":"remove","UserIds":["222222222222"]}`);
      expect(prodFile()).toBe(parametersJson(AMI(1)));
      expect(env.work.git('status', '--porcelain').trim()).toBe('');
    },
    async F141() {
      // The decide job decided from main's HEAD. Before the job that opens the PR runs again (a
      // re-run of the old run, a queued run), prod's file moves on main: a newer decision.
      const decided = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
      const base = String(decided.outputs['base-commit']);
      expect(base).toBe(env.work.git('rev-parse', 'HEAD').trim());
      env.work.git('checkout', '--quiet', '--', 'parameters/prod.json');
      const newer = landOnMainFromElsewhere(`Fail back prod to ${AMI(3)}`, { 'parameters/prod.json': parametersJson(AMI(3)) });
      const result = await runCommand('apply-promotion', { wave: 'prod', bumps: String(decided.outputs.bumps), 'base-commit': base }, env.ctx);
      expect(result.failure).toBe(
        `Promotion to wave prod NOT proposed: main changed a file of the wave after ${base.slice(0, 12)}, the commit this promotion was decided from: ` +
          `parameters/prod.json (prod): ${newer.slice(0, 12)} ("Fail back prod to ${AMI(3)}") names ${AMI(3)}, and proposing ${AMI(2)} over it would undo that newer decision. ` +
          'Nothing was written, so no pull request is opened or updated. The next Promote run decides again from main as it is now (or now: gh workflow run promote.yml --ref main -f wave=prod).',
      );
      expect(result.outputs).toEqual({ paths: '' });
      // Nothing written: create-pull-request (skipped after the failure) would find no change either.
      expect(prodFile()).toBe(parametersJson(AMI(1)));
      expect(env.work.git('status', '--porcelain').trim()).toBe('');
    },
});

describe('a wave before that spans regions: each copy judged as its source', () => {
  const WEST_COPY = 'ami-0b0b0b0b0b0b0b0b0';
  /** Wave dev is dev (us-east-1, AMI 2) and dev-west (us-west-2, a copy of AMI 2); prod is in `prodRegion`. */
  function spanRegions(prodRegion: string, westCopyOf = AMI(2)): void {
    const wiring = {
      waves: [
        { name: 'dev', environments: ['dev', 'dev-west'] },
        { name: 'prod', environments: ['prod'] },
      ],
      environments: { dev: environment('dev', 1440), 'dev-west': { ...environment('dev-west', 1440), region: 'us-west-2' }, prod: { ...environment('prod'), region: prodRegion } },
    };
    env.seedAt(T0 - 48 * HOUR, 'dev-west runs the copy of AMI 2', { 'parameters/environments.json': JSON.stringify(wiring, null, 2), 'parameters/dev-west.json': parametersJson(WEST_COPY) });
    cfn.on(DescribeStacksCommand, { StackName: 'patch-dev-west-app' }).resolves({ Stacks: [stack('patch-dev-west-app', WEST_COPY, T0 - 47 * HOUR)] });
    ec2.on(DescribeImagesCommand, { ImageIds: [WEST_COPY] }).resolves({
      Images: [{ ImageId: WEST_COPY, OwnerId: '123456789012', State: 'available', Tags: [{ Key: 'SourceAmiId', Value: westCopyOf }, { Key: 'SourceRegion', Value: 'us-east-1' }, { Key: 'Ec2ImageBuilderArn', Value: IMAGE(2) }] }],
    });
    ec2.on(DescribeImagesCommand, lookup).resolves({ Images: [{ ImageId: WEST_COPY, State: 'available' }] });
  }

  it('proposes the image both run to prod in the first region: the AMI itself, nothing copied', async () => {
    spanRegions('us-east-1');
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs).toMatchObject({ promotable: true, 'ami-id': AMI(2) });
    expect(JSON.parse(String(result.outputs.bumps))).toEqual({ 'parameters/prod.json': AMI(2) });
    expect(ec2.commandCalls(CopyImageCommand)).toHaveLength(0);
    expect(String(result.outputs.body)).toContain('| `dev-west` (us-west-2) |');
  });

  it("gives prod in the other region the copy the wave already runs there, and the gate follows it to dev-west's run", async () => {
    spanRegions('us-west-2');
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(JSON.parse(String(result.outputs.bumps))).toEqual({ 'parameters/prod.json': WEST_COPY });
    expect(ec2.commandCalls(CopyImageCommand)).toHaveLength(0);

    env.seedAt(T0 - HOUR, bump('prod', 1, 2, 'promotion'), { 'parameters/prod.json': parametersJson(WEST_COPY) });
    await expect(runCommand('check-wave-gate', { environment: 'prod' }, env.ctx)).resolves.toMatchObject({ outputs: { why: expect.stringContaining(`${WEST_COPY} ran in the earlier wave without a failback: dev-west`) } });
  });

  it('refuses while the other region runs a copy of another image', async () => {
    spanRegions('us-east-1', AMI(9));
    const result = await runCommand('propose-promotion', { wave: 'prod' }, env.ctx);
    expect(result.outputs.promotable).toBe(false);
    expect(result.outputs.blockers).toBe(`dev-west: parameters/dev-west.json names ${WEST_COPY} (a copy of ${AMI(9)}) while dev runs ${AMI(2)}: the wave is not on one AMI yet`);
    expect(prodFile()).toBe(parametersJson(AMI(1)));
  });
});
