import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { RevokedAmiError } from '../../../../actions/lib/parameters';
import { commitDevHistory, createGitFixture, parametersJson } from './git-fixture';
import { gitopsTestContext, runCommand } from './gitops-context';

const ec2 = mockClient(EC2Client);
const cfn = mockClient(CloudFormationClient);
const AMI = (n: number) => `ami-${String(n).padStart(17, '0')}`;
const IMAGE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.0/9';
const revokedJson = (...revocations: object[]) => `${JSON.stringify({ $schema: './revoked.schema.json', revocations }, null, 2)}\n`;
const REVOKE_2 = { amiId: AMI(2), reason: 'CVE-2026-1234: openssl RCE', revokedBy: 'sec-lead', revokedAt: '2026-05-30T09:00:00Z' };
const REVOKE_IMAGE = { imageArn: IMAGE_ARN, reason: 'built from a poisoned mirror', revokedBy: 'sec-lead', revokedAt: '2026-05-30T09:30:00Z' };

/** dev went AMI 1 → 2 → 3; then AMI 2 and the image build IMAGE_ARN were revoked. */
function setup() {
  const seed = createGitFixture();
  commitDevHistory(seed, AMI);
  seed.commit('Revoke ami-2: CVE-2026-1234', { 'parameters/revoked.json': revokedJson(REVOKE_2, REVOKE_IMAGE) });
  const revokingCommit = seed.git('rev-parse', 'HEAD').trim();
  const origin = createGitFixture({ bare: true, cloneFrom: seed.dir });
  const work = createGitFixture({ cloneFrom: origin.dir });
  const github = {
    openPullRequest: jest.fn(async () => ({ number: 7, url: 'https://github.com/acme/fleet/pull/7', created: true })),
    listComments: jest.fn(),
    createComment: jest.fn(),
    updateComment: jest.fn(),
  };
  const { ctx, logger } = gitopsTestContext(work.dir, github);
  return { origin, work, ctx, logger, github, revokingCommit, remove: () => [seed, origin, work].forEach((f) => f.remove()) };
}

const run = runCommand;

let env: ReturnType<typeof setup>;
beforeEach(() => {
  ec2.reset();
  cfn.reset();
  // The app stack (its ARN names the account the failback pre-flight's owner check calls self) and AMIs of that account.
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'patch-dev-app', StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/patch-dev-app/1', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0) }] });
  ec2.on(DescribeImagesCommand).callsFake(({ ImageIds }: { ImageIds: string[] }) => ({ Images: [{ ImageId: ImageIds[0], OwnerId: '123456789012', State: 'available', DeregistrationProtection: 'enabled' }] }));
  env = setup();
});
afterEach(() => env.remove());

const devFile = () => readFileSync(join(env.work.dir, 'parameters/dev.json'), 'utf8');

describe('revocation on every path that puts an AMI into git', () => {
  it('resolve-failback: the default target passes over a revoked AMI and says so', async () => {
    const { outputs, summary } = await run('resolve-failback', { environment: 'dev', reason: 'p99 doubled' }, env.ctx);
    expect(outputs['target-ami-id']).toBe(AMI(1));
    expect(outputs['target-source']).toContain(`passed over revoked ${AMI(2)}`);
    expect(summary).toContain(`; passed over revoked \`${AMI(2)}\` |`);
    expect(env.logger.entries).toContainEqual(expect.objectContaining({ level: 'warning', message: `Passed over ${AMI(2)}: revoked in parameters/revoked.json (CVE-2026-1234: openssl RCE).` }));
  });

  it('resolve-failback: a revoked AMI asked for explicitly is refused with the reason and the revoking commit', async () => {
    const refusal = run('resolve-failback', { environment: 'dev', 'target-ami': AMI(2), reason: 'go back' }, env.ctx);
    await expect(refusal).rejects.toBeInstanceOf(RevokedAmiError);
    await expect(refusal).rejects.toThrow(
      new RegExp(
        `^Failback of dev refused for ${AMI(2)}: it is revoked by @sec-lead at 2026-05-30T09:00:00Z \\(parameters/revoked\\.json line 4\\): CVE-2026-1234: openssl RCE; ` +
          `revoked in commit ${env.revokingCommit.slice(0, 12)} "Revoke ami-2: CVE-2026-1234" \\(`,
      ),
    );
  });

  it('record-failback: checks again in the deploy job, and pushes nothing', async () => {
    const before = env.origin.git('rev-parse', 'main').trim();
    await expect(run('record-failback', { environment: 'dev', 'target-ami': AMI(2), reason: 'go back', 'requested-by': 'octocat' }, env.ctx)).rejects.toBeInstanceOf(RevokedAmiError);
    expect(env.origin.git('rev-parse', 'main').trim()).toBe(before);
  });

  it('prepare-failback: the automatic failback does not return to a revoked previous AMI', async () => {
    const { outputs } = await run('prepare-failback', { environment: 'dev', 'previous-ami-id': AMI(2) }, env.ctx);
    expect(outputs).toEqual({ 'ami-id': AMI(1), source: `the AMI before HEAD in git history (passed over revoked ${AMI(2)})` });
    expect(devFile()).toBe(parametersJson(AMI(1)));
  });

  it('check-image: refuses an AMI whose image build is revoked (matched through its Ec2ImageBuilderArn tag)', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: AMI(5), OwnerId: '123456789012', State: 'available', Tags: [{ Key: 'Ec2ImageBuilderArn', Value: IMAGE_ARN }] }] });
    await expect(run('check-image', { environment: 'dev', 'ami-id': AMI(5) }, env.ctx)).rejects.toThrow(
      new RegExp(`^Failback of dev refused for ${AMI(5)}: it is revoked \\(its image ${IMAGE_ARN}\\) by @sec-lead`),
    );
  });

  it.each([
    ['by its ID', { 'ami-id': AMI(2) }],
    ['by its image build', { 'ami-id': AMI(6), 'image-arn': IMAGE_ARN }],
  ])('set-ami and compose-patch-pr: refuse an AMI revoked %s, and leave the file alone', async (_how, inputs) => {
    await expect(run('set-ami', inputs, env.ctx)).rejects.toThrow(/^Patch PR for dev refused for ami-/);
    expect(devFile()).toBe(parametersJson(AMI(3)));
    await expect(run('compose-patch-pr', { 'previous-ami-id': AMI(3), ...inputs }, env.ctx)).rejects.toBeInstanceOf(RevokedAmiError);
  });

  it('set-ami: an AMI nobody revoked goes through', async () => {
    expect((await run('set-ami', { 'ami-id': AMI(4), 'image-arn': IMAGE_ARN.replace(/9$/, '10') }, env.ctx)).outputs.changed).toBe(true);
  });
});

describe('an environment that runs a revoked AMI gets the drift treatment', () => {
  const REVOKE_3 = { amiId: AMI(3), reason: 'kernel panic under load', revokedBy: 'oncall', revokedAt: '2026-05-31T22:00:00Z' };
  const revokeHead = () => {
    env.work.write('parameters/revoked.json', revokedJson(REVOKE_2, REVOKE_IMAGE, REVOKE_3));
    env.work.git('commit', '--quiet', '-am', 'Revoke ami-3: kernel panic');
  };

  it('replace-revoked: opens the PR that replaces it with the newest earlier AMI not revoked, and fails as the alert', async () => {
    revokeHead();
    const head = env.work.git('rev-parse', 'HEAD').trim();
    const result = await run('replace-revoked', { environment: 'dev' }, env.ctx);

    const { notification, ...outputs } = result.outputs;
    expect(outputs).toEqual({ revoked: true, 'ami-id': AMI(3), 'replacement-ami-id': AMI(1), 'pull-request-url': 'https://github.com/acme/fleet/pull/7' });
    // What the checks' notify step sends: the verdict, the revoked AMI and its replacement, the PR.
    expect(JSON.parse(String(notification))).toEqual({
      event: 'revoked',
      ok: false,
      environment: 'dev',
      verdict: result.failure,
      amis: [
        { label: 'Revoked (HEAD)', amiId: AMI(3) },
        { label: 'Replacement', amiId: AMI(1) },
      ],
      links: [{ label: 'Replacement pull request', url: 'https://github.com/acme/fleet/pull/7' }],
    });
    expect(result.failure).toMatch(new RegExp(`^dev runs ${AMI(3)}, which is revoked by @oncall .*: kernel panic under load; revoked in commit ${head.slice(0, 12)} "Revoke ami-3: kernel panic".*Pull request https://github.com/acme/fleet/pull/7 replaces it with ${AMI(1)}`));
    expect(env.github.openPullRequest).toHaveBeenCalledWith(expect.objectContaining({ head: 'gitops/replace-revoked-dev', base: 'main', title: `Replace revoked ${AMI(3)} in dev with ${AMI(1)}` }));
    // The Revocation cell: the file as a code span, the reason and the commit's subject as typed.
    expect(result.summary).toMatch(new RegExp(`\\| Revocation \\| revoked by @oncall at \\S+ \\(\`parameters/revoked\\.json\` line \\d+\\): kernel panic under load; revoked in commit ${head.slice(0, 12)} "Revoke ami-3: kernel panic" \\(\\S+\\) \\|`));
    // The PR branch has the one-line change on top of HEAD; the checkout itself is untouched.
    expect(env.origin.git('show', 'gitops/replace-revoked-dev:parameters/dev.json')).toBe(parametersJson(AMI(1)));
    expect(env.origin.git('rev-parse', 'gitops/replace-revoked-dev~1').trim()).toBe(head);
    expect(env.work.git('rev-parse', 'HEAD').trim()).toBe(head);
    expect(env.work.git('status', '--porcelain').trim()).toBe('');
    expect(devFile()).toBe(parametersJson(AMI(3)));
  });

  it('replace-revoked: nothing to do when the AMI is not revoked', async () => {
    expect(await run('replace-revoked', { environment: 'dev' }, env.ctx)).toEqual({ outputs: { revoked: false, 'ami-id': AMI(3) } });
    expect(env.github.openPullRequest).not.toHaveBeenCalled();
  });

  it('check-drift: a stack running a revoked AMI fails the check, whatever git says', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'patch-dev-app', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0), Parameters: [{ ParameterKey: 'AmazonMachineImage', ParameterValue: AMI(2) }] }],
    });
    const result = await run('check-drift', { environment: 'dev' }, env.ctx);
    expect(result.failure).toMatch(new RegExp(`^dev runs a revoked AMI: stack patch-dev-app runs ${AMI(2)}, which is revoked by @sec-lead`));
    // The summary's lead says the same with the IDs and the file as code spans, the reason as typed.
    expect(result.summary?.split('\n\n')[1]).toBe(
      `**dev runs a revoked AMI: stack \`patch-dev-app\` runs \`${AMI(2)}\`, which is revoked by @sec-lead at 2026-05-30T09:00:00Z (\`parameters/revoked.json\` line 4): CVE-2026-1234: openssl RCE. ` +
        'Merge the replace-revoked pull request of this run (or run the Failback workflow, or patch forward) to take it out of service.**',
    );
  });
});
