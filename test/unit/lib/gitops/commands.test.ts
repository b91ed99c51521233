import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { InputError } from '../../../../actions/lib/errors';
import { COMMANDS, inputNames, type GitopsContext } from '../../../../actions/lib/gitops/commands';
import { failbackCommand } from '../../../../actions/lib/gitops/failback-request';
import { parseMetadataBlock } from '../../../../actions/lib/gitops/commit-metadata';
import { commitDevHistory, createGitFixture, parametersJson } from './git-fixture';
import { gitopsTestContext } from './gitops-context';
import { leadOf } from '../../../support/summary-lead';

const cfn = mockClient(CloudFormationClient);
const ec2 = mockClient(EC2Client);
const AMI = (n: number) => `ami-${String(n).padStart(17, '0')}`;


/** A repository laid out like this one, with a bare origin, and a context the way main.ts builds it. */
function setup() {
  const seed = createGitFixture();
  commitDevHistory(seed, AMI);
  const origin = createGitFixture({ bare: true, cloneFrom: seed.dir });
  const work = createGitFixture({ cloneFrom: origin.dir });
  const github = { openPullRequest: jest.fn(), listComments: jest.fn(async () => []), createComment: jest.fn(async () => ({ id: 1, url: 'u' })), updateComment: jest.fn() };
  const { ctx, logger } = gitopsTestContext(work.dir, github);
  return { seed, origin, work, ctx, logger, github, remove: () => [seed, origin, work].forEach((f) => f.remove()) };
}

/** Runs a command the way main.ts does: its schema parses the raw strings first. */
async function run(name: keyof typeof COMMANDS, raw: Record<string, string>, ctx: GitopsContext) {
  const command = COMMANDS[name];
  for (const key of Object.keys(raw)) expect(inputNames(command)).toContain(key);
  return command.run(command.inputs.parse(raw) as never, ctx);
}

let env: ReturnType<typeof setup>;
const originFile = (file: string) => env.origin.git('show', `main:${file}`);
/** The app stack, as DescribeStacks reports it, in `status` and on `ami`. */
const stackOn = (status: string, ami: string) =>
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'patch-dev-app',
        StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/patch-dev-app/1',
        StackStatus: status as never,
        CreationTime: new Date(0),
        Parameters: [{ ParameterKey: 'AmazonMachineImage', ParameterValue: ami }],
      },
    ],
  });
/** Every AMI exists, available, in the stack's account (the failback pre-flight's owner check passes). */
const imagesOfThisAccount = () =>
  ec2.on(DescribeImagesCommand).callsFake(({ ImageIds }: { ImageIds: string[] }) => ({
    Images: [{ ImageId: ImageIds[0], OwnerId: '123456789012', State: 'available', Name: 'n', CreationDate: 'c', DeregistrationProtection: 'enabled' }],
  }));
beforeEach(() => {
  cfn.reset();
  ec2.reset();
  stackOn('UPDATE_COMPLETE', AMI(3));
  imagesOfThisAccount();
});

describe('gitops commands that only read (one shared repository, mocked AWS)', () => {
  beforeAll(() => (env = setup()));
  afterAll(() => env.remove());
  it('changed-environments: the environments a push touched, as a JSON matrix', async () => {
    const before = env.work.git('rev-parse', 'HEAD~1').trim();
    const result = await run('changed-environments', { before }, env.ctx);
    expect(result.outputs).toEqual({ environments: '["dev"]', any: true, 'max-parallel': 1 });
  });

  it('changed-environments: refuses a before that is not a SHA (no ref injection)', () => {
    expect(() => COMMANDS['changed-environments'].inputs.parse({ before: '--upload-pack=evil' })).toThrow();
  });

  it('resolve-environment: the first environment in promotion order, with its current AMI and HEAD', async () => {
    const { outputs } = await run('resolve-environment', {}, env.ctx);
    expect(outputs).toMatchObject({
      environment: 'dev',
      region: 'us-east-1',
      'app-stack': 'patch-dev-app',
      'parameters-file': 'parameters/dev.json',
      'ami-id': AMI(3),
      // The AMI before HEAD's in git history: what ran before, if the last deploy went through.
      'previous-ami-id': AMI(2),
      'head-sha': env.work.git('rev-parse', 'HEAD').trim(),
      'patch-branch': 'ami-patch/dev',
      'variable-suffix': 'DEV',
      'watch-seconds': 60,
      // No central build account in this wiring: build-ami's self stays the image ARN's account.
      'image-pipeline-account': '',
    });
  });

  it("resolve-environment: prints the wiring's imagePipelineAccount for build-ami", async () => {
    const file = join(env.work.dir, 'parameters/environments.json');
    const wiring = JSON.parse(readFileSync(file, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
    wiring.environments.dev.imagePipelineAccount = '111122223333';
    delete wiring.environments.dev.amiOwners;
    // The repository is shared by this describe's tests: the wiring is put back afterwards.
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, JSON.stringify(wiring, null, 2));
    try {
      const { outputs } = await run('resolve-environment', { environment: 'dev' }, env.ctx);
      expect(outputs).toMatchObject({ 'ami-owners': 'self,111122223333', 'image-pipeline-account': '111122223333' });
    } finally {
      writeFileSync(file, before);
    }
  });

  it('resolve-environment: an unknown environment is an input error naming the known ones', async () => {
    await expect(run('resolve-environment', { environment: 'qa' }, env.ctx)).rejects.toThrow(/Unknown environment "qa".*dev, prod/);
  });

  it('resolve-pipeline: the pipeline ARN from the image-pipeline stack, or the image ARN to wait on', async () => {
    const arn = 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/patch-dev-app';
    cfn.on(DescribeStacksCommand, { StackName: 'patch-dev-image-pipeline' }).resolves({
      Stacks: [{ StackName: 'patch-dev-image-pipeline', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(0), Outputs: [{ OutputKey: 'ImagePipelineArn', OutputValue: arn }] }],
    });
    expect((await run('resolve-pipeline', { environment: 'dev' }, env.ctx)).outputs).toEqual({ 'pipeline-arn': arn, 'image-arn': '' });
    const image = 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.4/2';
    expect((await run('resolve-pipeline', { 'image-arn': image }, env.ctx)).outputs).toEqual({ 'pipeline-arn': '', 'image-arn': image });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
  });

  it('compose-patch-pr: title, body and a commit message whose block names this run', async () => {
    const { outputs } = await run('compose-patch-pr', { 'previous-ami-id': AMI(3), 'ami-id': AMI(4) }, env.ctx);
    expect(outputs.title).toBe(`Bump dev AMI from ${AMI(3)} to ${AMI(4)}`);
    expect(parseMetadataBlock(String(outputs['commit-message']))?.[0]).toMatchObject({ 'run-url': 'https://github.com/acme/fleet/actions/runs/42', 'update-type': 'patch' });
  });

  it('resolve-failback: the AMI before the current one from git history, with a summary', async () => {
    const result = await run('resolve-failback', { environment: 'dev', reason: 'p99 doubled', 'requested-by': 'octocat' }, env.ctx);
    expect(result.outputs).toMatchObject({ environment: 'dev', 'current-ami-id': AMI(3), 'target-ami-id': AMI(2), 'target-source': expect.stringMatching(/^git history: [0-9a-f]{12} "Bump dev to 2"/) });
    expect(leadOf(result.summary!)).toEqual({
      heading: '⏪ Failback requested: `dev`',
      lead:
        `**@octocat asked to fail \`dev\` back from \`${AMI(3)}\` to \`${AMI(2)}\` (reason: p99 doubled). Nothing is deployed yet:** ` +
        "the target image is checked next, then the failback is recorded in git and deployed, in this job (`dev`'s deploy job, after its approval).",
    });
    expect(result.summary).toContain('| Reason | p99 doubled |');
  });

  it('resolve-failback: a reason cannot break the summary table or inject HTML', async () => {
    const result = await run('resolve-failback', { environment: 'dev', reason: '<img src=x> | 5xx' }, env.ctx);
    expect(result.summary).toContain('| Reason | &lt;img src=x&gt; \\| 5xx |');
    // In the lead sentence too: shown as typed, neither HTML nor Markdown that could end the bold.
    expect(leadOf(result.summary!).lead).toContain('(reason: &lt;img src=x&gt; \\| 5xx)');
    const bold = await run('resolve-failback', { environment: 'dev', reason: '**x** [a](b)' }, env.ctx);
    expect(leadOf(bold.summary!).lead).toContain('(reason: \\*\\*x\\*\\* \\[a\\](b))');
  });

  it('resolve-failback: the Reason and Chosen from cells show outside text as typed, with AMI IDs in code spans; the output stays plain', async () => {
    const result = await run('resolve-failback', { environment: 'dev', reason: '**x** [a](b) & `c`' }, env.ctx);
    expect(result.summary).toContain('| Reason | \\*\\*x\\*\\* \\[a\\](b) &amp; \\`c\\` |');
    // The commit subject is outside text too ("Bump dev to 2" in this repository); our text's AMI IDs are code spans.
    expect(result.summary).toMatch(/\| Chosen from \| git history: [0-9a-f]{12} "Bump dev to 2" \(/);
    expect(String(result.outputs['target-source'])).not.toContain('`');
  });

  it('resolve-failback: refuses the AMI that already runs', async () => {
    await expect(run('resolve-failback', { environment: 'dev', 'target-ami': AMI(3), reason: 'x' }, env.ctx)).rejects.toThrow(/already names ami-00000000000000003/);
  });

  it('check-image: the pre-flight in the environment’s region', async () => {
    expect((await run('check-image', { environment: 'dev', 'ami-id': AMI(2) }, env.ctx)).outputs).toEqual({ 'image-name': 'n', 'creation-date': 'c' });
  });

  it('check-image: refuses an AMI of an account the wiring does not list, naming the owner, the allowlist and where to change it', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: AMI(2), OwnerId: '099720109477', State: 'available' }] });
    const refused = run('check-image', { environment: 'dev', 'ami-id': AMI(2) }, env.ctx);
    await expect(refused).rejects.toThrow(InputError);
    await expect(refused).rejects.toThrow(
      `Failback target ${AMI(2)} is not usable in us-east-1: AMI ${AMI(2)} is owned by account 099720109477, which is not on the AMI owner allowlist (self (123456789012); the default: environments.dev.amiOwners is not set in parameters/environments.json). ` +
        'Use an AMI your own pipeline built, or, if you trust every AMI account 099720109477 publishes, add "099720109477" to environments.dev.amiOwners in parameters/environments.json (as ["self", "<account>"]). Nothing was changed.',
    );
  });

  it('sync-from-stack: nothing to record when the stack runs what HEAD says', async () => {
    stackOn('UPDATE_COMPLETE', AMI(3));
    expect((await run('sync-from-stack', { environment: 'dev', 'requested-ami-id': AMI(3) }, env.ctx)).outputs.outcome).toBe('unchanged');
  });

  it('deploy-report: a failed deploy is a failure with the headline, a good one is not', async () => {
    const bad = await run('deploy-report', { environment: 'dev', 'requested-ami-id': AMI(3), 'prepare-outcome': 'success', 'update-outcome': 'failure' }, env.ctx);
    expect(bad.failure).toBe(bad.outputs.headline);
    expect(bad.outputs.ok).toBe(false);
    const good = await run('deploy-report', { environment: 'dev', 'requested-ami-id': AMI(3), 'prepare-outcome': 'success', 'update-outcome': 'success', 'verify-outcome': 'success' }, env.ctx);
    expect(good.failure).toBeUndefined();
    expect(good.summary).toMatch(/^## ✅ Deploy dev/);
  });

  it('upsert-preview-comment: one comment with the environment’s section', async () => {
    await run('upsert-preview-comment', { environment: 'prod', 'pull-request': '3', 'changes-markdown': '| Modify | AppAutoScalingGroup |' }, env.ctx);
    expect(env.github.createComment).toHaveBeenCalledWith(3, expect.stringContaining('### `prod`\n\n| Modify | AppAutoScalingGroup |'));
  });
});

describe('gitops commands that write (a fresh repository each, mocked AWS)', () => {
  beforeEach(() => (env = setup()));
  afterEach(() => env.remove());

  it('set-ami: rewrites one line in the working tree, and says "unchanged" for the same AMI', async () => {
    expect((await run('set-ami', { 'ami-id': AMI(4) }, env.ctx)).outputs).toEqual({ changed: true, 'previous-ami-id': AMI(3), 'ami-id': AMI(4), 'parameters-file': 'parameters/dev.json' });
    expect(readFileSync(join(env.work.dir, 'parameters/dev.json'), 'utf8')).toBe(parametersJson(AMI(4)));
    expect(env.work.git('diff', '--numstat').trim()).toBe('1\t1\tparameters/dev.json');
    expect((await run('set-ami', { 'ami-id': AMI(4) }, env.ctx)).outputs.changed).toBe(false);
  });

  it('record-failback: commits the reason and requester, pushes to main; the next failback goes further back', async () => {
    const result = await run('record-failback', { environment: 'dev', 'target-ami': AMI(2), reason: 'p99 doubled', 'requested-by': 'octocat' }, env.ctx);
    expect(result.outputs).toMatchObject({ outcome: 'pushed', commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(result.failure).toBeUndefined();
    expect(originFile('parameters/dev.json')).toBe(parametersJson(AMI(2)));
    const message = env.origin.git('log', '-1', '--format=%B', 'main');
    expect(message).toMatch(/^Fail back dev to ami-00000000000000002\n\nReason: p99 doubled\n\nReplaces ami-00000000000000003\. Requested by @octocat in https:\/\/github.com\/acme\/fleet\/actions\/runs\/42\./);
    expect(parseMetadataBlock(message)?.[0]).toMatchObject({ 'update-type': 'failback', 'previous-ami-id': AMI(3), reason: 'p99 doubled', 'requested-by': 'octocat' });

    const next = await run('resolve-failback', { environment: 'dev', reason: 'still bad' }, env.ctx);
    expect(next.outputs['target-ami-id']).toBe(AMI(1));
  });

  it('record-failback: re-validates its inputs (the reusable workflow can be called by anything)', async () => {
    await expect(run('record-failback', { environment: 'dev', 'target-ami': AMI(2), reason: 'a\nb' }, env.ctx)).rejects.toThrow(InputError);
    expect(originFile('parameters/dev.json')).toBe(parametersJson(AMI(3)));
  });

  it('prepare-failback + sync-from-stack: the working tree points at the previous AMI; git records what the stack runs', async () => {
    const prepared = await run('prepare-failback', { environment: 'dev', 'previous-ami-id': AMI(2) }, env.ctx);
    expect(prepared.outputs).toEqual({ 'ami-id': AMI(2), source: 'the AMI the stack ran before this deploy' });
    expect(readFileSync(join(env.work.dir, 'parameters/dev.json'), 'utf8')).toBe(parametersJson(AMI(2)));
    expect(env.origin.git('log', '--oneline', 'main').trim().split('\n')).toHaveLength(3);

    stackOn('UPDATE_COMPLETE', AMI(2));
    const synced = await run('sync-from-stack', { environment: 'dev', 'requested-ami-id': AMI(3), 'failed-back': 'true' }, env.ctx);
    expect(synced.outputs).toMatchObject({ outcome: 'pushed', 'live-ami-id': AMI(2), 'stack-status': 'UPDATE_COMPLETE' });
    const message = env.origin.git('log', '-1', '--format=%B', 'main');
    expect(message.split('\n')[0]).toBe(`Fail back dev to ${AMI(2)}: ${AMI(3)} failed verification`);
    expect(parseMetadataBlock(message)?.[0]).toMatchObject({ 'update-type': 'auto-failback', 'previous-ami-id': AMI(3), 'ami-id': AMI(2) });
  });

  it('prepare-failback: refuses a target of an account the wiring does not list, leaving the working tree as it is', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: AMI(2), OwnerId: '099720109477', State: 'available' }] });
    await expect(run('prepare-failback', { environment: 'dev', 'previous-ami-id': AMI(2) }, env.ctx)).rejects.toThrow(/is owned by account 099720109477, which is not on the AMI owner allowlist/);
    expect(readFileSync(join(env.work.dir, 'parameters/dev.json'), 'utf8')).toBe(parametersJson(AMI(3)));
  });

  it('prepare-failback: without update-app-stack’s previous AMI, uses git history', async () => {
    expect((await run('prepare-failback', { environment: 'dev' }, env.ctx)).outputs).toMatchObject({ 'ami-id': AMI(2), source: 'the AMI before HEAD in git history' });
  });

  it('sync-from-stack: an update refused before it started is recorded as such', async () => {
    stackOn('UPDATE_COMPLETE', AMI(2));
    await run('sync-from-stack', { environment: 'dev', 'requested-ami-id': AMI(3) }, env.ctx);
    const message = env.origin.git('log', '-1', '--format=%B', 'main');
    expect(message.split('\n')[0]).toBe(`Record that dev still runs ${AMI(2)}`);
    expect(message).toContain(`The update to ${AMI(3)} did not happen (stack patch-dev-app is UPDATE_COMPLETE)`);
  });

  it('sync-from-stack: a CloudFormation rollback is recorded as rollback-sync', async () => {
    stackOn('UPDATE_ROLLBACK_COMPLETE', AMI(2));
    await run('sync-from-stack', { environment: 'dev', 'requested-ami-id': AMI(3) }, env.ctx);
    const message = env.origin.git('log', '-1', '--format=%B', 'main');
    expect(message.split('\n')[0]).toBe(`Record rollback of dev to ${AMI(2)}`);
    expect(message).toContain(`CloudFormation rolled back the update to ${AMI(3)} (stack patch-dev-app is UPDATE_ROLLBACK_COMPLETE)`);
    expect(parseMetadataBlock(message)?.[0]['update-type']).toBe('rollback-sync');
  });
});

describe('drift check commands (shared repository, mocked AWS)', () => {
  beforeAll(() => (env = setup()));
  afterAll(() => env.remove());

  it('list-environments: all of them, in promotion order', async () => {
    expect((await run('list-environments', {}, env.ctx)).outputs).toEqual({ environments: '["dev","prod"]' });
  });

  it('check-drift: none when the stack runs what HEAD names', async () => {
    stackOn('UPDATE_COMPLETE', AMI(3));
    const result = await run('check-drift', { environment: 'dev' }, env.ctx);
    expect(result.outputs).toEqual({ drifted: false, 'live-ami-id': AMI(3), 'git-ami-id': AMI(3) });
    expect(result.failure).toBeUndefined();
    expect(result.summary?.split('\n\n')[1]).toBe(`**Stack \`patch-dev-app\` runs \`${AMI(3)}\`, as \`parameters/dev.json\` says.**`);
  });

  it('check-drift: a stack changed outside git fails the check and says both ways out', async () => {
    stackOn('UPDATE_COMPLETE', AMI(9));
    const result = await run('check-drift', { environment: 'dev' }, env.ctx);
    expect(result.outputs.drifted).toBe(true);
    expect(result.failure).toBe(
      `Drift in dev: stack patch-dev-app runs ${AMI(9)} but parameters/dev.json names ${AMI(3)}, so the stack was changed outside git (console, SSM runbook, or a deploy whose record failed) and the next merge would undo it. ` +
        `To keep what runs, this one command records ${AMI(9)} in git through the Failback workflow (its pre-flight checks the AMI first): ` +
        `gh workflow run failback.yml --ref main -f environment=dev -f target-ami=${AMI(9)} -f reason='record what dev runs after drift from ${AMI(3)}'. ` +
        `To put git's ${AMI(3)} back instead, re-run the last Deploy of dev.`,
    );
    // The summary leads with the verdict (its IDs and the command as code spans), then the two AMIs under a real header.
    expect(result.summary?.split('\n\n')).toEqual([
      '## ⚠️ Drift: `dev`',
      `**Drift in dev: stack \`patch-dev-app\` runs \`${AMI(9)}\` but \`parameters/dev.json\` names \`${AMI(3)}\`, so the stack was changed outside git (console, SSM runbook, or a deploy whose record failed) and the next merge would undo it. ` +
        `To keep what runs, this one command records \`${AMI(9)}\` in git through the Failback workflow (its pre-flight checks the AMI first): ` +
        `\`gh workflow run failback.yml --ref main -f environment=dev -f target-ami=${AMI(9)} -f reason='record what dev runs after drift from ${AMI(3)}'\`. ` +
        `To put git's \`${AMI(3)}\` back instead, re-run the last Deploy of dev.**`,
      `| Source | AMI |\n|---|---|\n| Git: \`parameters/dev.json\` at HEAD | \`${AMI(3)}\` |\n| Stack \`patch-dev-app\` (UPDATE_COMPLETE) | \`${AMI(9)}\` |`,
    ]);
    // The notification: the same verdict and both AMIs. No drift, no notification (above).
    expect(JSON.parse(String(result.outputs.notification))).toEqual({
      event: 'drift',
      ok: false,
      environment: 'dev',
      verdict: result.failure,
      amis: [
        { label: 'Git names', amiId: AMI(3) },
        { label: 'Stack runs', amiId: AMI(9) },
      ],
      links: [],
    });
  });

  it('check-drift: a stack that stays busy is reported as not checked, not as drift', async () => {
    stackOn('UPDATE_IN_PROGRESS', AMI(9));
    const result = await run('check-drift', { environment: 'dev', 'timeout-minutes': '1' }, env.ctx);
    expect(result.outputs.drifted).toBe(false);
    expect(result.failure).toBeUndefined();
    expect(result.summary).toMatch(/not checked/);
  });
});

describe('failbackCommand', () => {
  it("quotes the reason as one shell word, a ' included", () => {
    expect(failbackCommand('dev', 'ami-00000000000000002', "p99 doubled; it's $HOME `x`", 'main')).toBe(
      `gh workflow run failback.yml --ref main -f environment=dev -f target-ami=ami-00000000000000002 -f reason='p99 doubled; it'\\''s $HOME \`x\`'`,
    );
  });
});
