/**
 * The bundled build-ami (actions/build-ami/dist/index.js) run the way a runner runs it, against
 * the Image Builder STAND-IN (which mints real AMIs in moto) and moto's EC2. What this proves on the
 * real path: the action speaks Image Builder's REST-JSON protocol through the real SDK, outputs the
 * AMI the build distributed, diffs package inventories between two builds, reports a FAILED build
 * with its reason, and never starts a second build for a re-run of the same workflow run.
 * What it cannot prove: real build timings, real Inspector findings, real idempotency-token expiry.
 */
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';

import { LOCAL_ACCOUNT_ID, LOCAL_PIPELINE_ARN } from '../../local/env';
import { runBundledAction } from '../../local/run-action';
import { localClients, standin, useLocalAws } from './harness';

useLocalAws();

beforeAll(async () => {
  await standin.registerPipeline(LOCAL_PIPELINE_ARN);
});
beforeEach(async () => {
  // Two seconds of "build": long enough to pass through the in-progress states, short for CI.
  await standin.configure({ buildSeconds: 2, failNext: undefined });
});

const build = (inputs: Record<string, string> = {}, env: Record<string, string> = {}) =>
  runBundledAction('build-ami', { 'pipeline-arn': LOCAL_PIPELINE_ARN, 'timeout-minutes': '5', ...inputs }, env);

async function buildsStarted(): Promise<number> {
  return (await standin.state()).builds.length;
}

describe('build-ami (bundled) against the Image Builder stand-in and moto', () => {
  it('outputs an AMI that exists in EC2, and the next build diffs its packages against it', async () => {
    const first = await build();
    expect(first.exitCode).toBe(0);
    const ami = first.outputs['ami-id'];
    expect(ami).toMatch(/^ami-[0-9a-f]+$/);
    expect(first.outputs['image-arn']).toMatch(/^arn:aws:imagebuilder:us-east-1:123456789012:image\/patch-dev-app\/1\.0\.0\/\d+$/);
    expect(first.outputs['package-diff-markdown']).toBe('');

    const { Images = [] } = await localClients().ec2.send(new DescribeImagesCommand({ ImageIds: [ami] }));
    expect(Images).toHaveLength(1);
    expect(Images[0].Tags).toEqual(expect.arrayContaining([{ Key: 'Ec2ImageBuilderArn', Value: first.outputs['image-arn'] }]));

    const findings = JSON.parse(first.outputs['findings-json']);
    expect(findings).toMatchObject({ scanned: true });
    expect(findings.total).toBe(Object.values(findings.counts as Record<string, number>).reduce((a, b) => a + b, 0));
    // The heading names no AMI (its large type wraps an ID at the hyphen); the lead under it does.
    expect(first.summary).toMatch(new RegExp(`^## build-ami: the AMI is AVAILABLE\n\nBuilt \`${ami}\` in us-east-1`));
    // Transitions only: the wait logs each state once.
    expect(first.stdout.match(/Image build .*BUILDING/g)?.length ?? 0).toBeLessThanOrEqual(2);

    const second = await build({ 'previous-ami-id': ami });
    expect(second.exitCode).toBe(0);
    expect(second.outputs['ami-id']).not.toBe(ami);
    const diff = second.outputs['package-diff-markdown'];
    expect(diff).toMatch(new RegExp(`^\\*\\*Packages: [1-9]\\d* changed, 1 added, 0 removed\\*\\* \\(\`${ami}\` → \`${second.outputs['ami-id']}\`; `));
    expect(diff).toContain('| Package | Change | Old version | New version |');
    expect(second.summary).toContain('### Package changes');

    // The CVE delta finds the previous image the same way: fixture CVEs are fixed and introduced per build.
    const delta = JSON.parse(second.outputs['findings-json']).delta;
    expect(delta).toEqual({ previousAmiId: ami, fixed: expect.any(Number), introduced: expect.any(Number), stillOpen: expect.any(Number) });
    expect(second.outputs['findings-delta-markdown']).toMatch(new RegExp(`^\\*\\*CVE delta \`${ami}\` → \`${second.outputs['ami-id']}\`: fixes \\d`));
    expect(second.summary).toContain('### CVE delta');
  });

  it('fails a FAILED build with Image Builder reason, and still hands on image-arn', async () => {
    await standin.configure({ failNext: { status: 'FAILED', reason: 'UpdateOS: dnf exited with code 1' } });

    const run = await build();

    expect(run.exitCode).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error');
    expect(error?.message).toMatch(/^Image build FAILED for arn:aws:imagebuilder:.*: UpdateOS: dnf exited with code 1\. Look at: /);
    expect(run.outputs['image-arn']).toMatch(/:image\/patch-dev-app\//);
    // Every output is set on every path; what the failed build could not know is empty.
    expect(run.outputs['ami-id']).toBe('');
    expect(run.summary).toContain('## build-ami failed');
    expect(run.summary).toContain('| State | FAILED |');
  });

  it('a re-run of the same workflow run waits on the same build; after a failed build it starts exactly one more', async () => {
    const runId = String(Date.now());
    const before = await buildsStarted();
    await standin.configure({ failNext: { status: 'FAILED', reason: 'flaky mirror' } });

    const attempt1 = await build({}, { GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '1' });
    const attempt1Again = await build({}, { GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '1' });
    const attempt2 = await build({}, { GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '2' });
    const attempt3 = await build({}, { GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '3' });

    expect([attempt1.exitCode, attempt1Again.exitCode, attempt2.exitCode, attempt3.exitCode]).toEqual([1, 1, 0, 0]);
    expect(attempt1Again.outputs['image-arn']).toBe(attempt1.outputs['image-arn']);
    expect(attempt2.outputs['image-arn']).not.toBe(attempt1.outputs['image-arn']);
    expect(attempt3.outputs['image-arn']).toBe(attempt2.outputs['image-arn']);
    expect(attempt3.outputs['ami-id']).toBe(attempt2.outputs['ami-id']);
    expect((await buildsStarted()) - before).toBe(2);
  });

  it('resumes on image-arn in a later job without starting a build', async () => {
    const started = await build();
    const before = await buildsStarted();

    const resumed = await runBundledAction('build-ami', { 'image-arn': started.outputs['image-arn'] });

    expect(resumed.exitCode).toBe(0);
    expect(resumed.outputs['ami-id']).toBe(started.outputs['ami-id']);
    expect(await buildsStarted()).toBe(before);
  });

  it('rides out Image Builder throttling on the start and the wait', async () => {
    await standin.configure({ throttle: { count: 3 } });

    const run = await build();

    expect(run.exitCode).toBe(0);
    expect(run.outputs['ami-id']).toMatch(/^ami-/);
  });

  it('rejects bad input with exit 1 before any AWS call', async () => {
    const before = await buildsStarted();

    const run = await runBundledAction('build-ami', { 'pipeline-arn': LOCAL_PIPELINE_ARN, 'timeout-minutes': '0' });

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('input "timeout-minutes" = "0": must be at least 1');
    expect(await buildsStarted()).toBe(before);
  });
});

/**
 * A central image pipeline account (the wiring's imagePipelineAccount, F70 with mocks): the
 * pipeline runs in 111111111111 and its distribution configuration puts the AMI into the
 * environment's account, moto's 123456789012, where the action's credentials read it. The
 * stand-in reports that account in outputResources, as Image Builder does.
 */
describe('build-ami (bundled) with a central image pipeline account', () => {
  const CENTRAL = '111111111111';
  const CENTRAL_PIPELINE_ARN = `arn:aws:imagebuilder:us-east-1:${CENTRAL}:image-pipeline/patch-dev-central`;
  const buildCentral = (inputs: Record<string, string>) => runBundledAction('build-ami', { 'pipeline-arn': CENTRAL_PIPELINE_ARN, 'timeout-minutes': '5', ...inputs });

  beforeAll(async () => {
    await standin.registerPipeline(CENTRAL_PIPELINE_ARN, { distributionAccount: LOCAL_ACCOUNT_ID });
  });

  it("hands on the AMI Image Builder distributed into the environment's account: with image-pipeline-account, self is that account", async () => {
    const run = await buildCentral({ 'ami-owners': `self,${CENTRAL}`, 'image-pipeline-account': CENTRAL });

    expect(run.exitCode).toBe(0);
    const ami = run.outputs['ami-id'];
    expect(run.outputs['image-arn']).toMatch(new RegExp(`^arn:aws:imagebuilder:us-east-1:${CENTRAL}:image/patch-dev-central/1\\.0\\.0/\\d+$`));
    const { Images = [] } = await localClients().ec2.send(new DescribeImagesCommand({ ImageIds: [ami] }));
    expect(Images[0]?.OwnerId).toBe(LOCAL_ACCOUNT_ID);
    expect(run.stdout).toContain(`self is ${LOCAL_ACCOUNT_ID}, the account Image Builder distributed ${ami} to: the image pipeline runs in the central account ${CENTRAL} (imagePipelineAccount)`);
  });

  it("without image-pipeline-account, self is the image ARN's account: the environment's copy is refused and the step fails, so no patch PR proposes it", async () => {
    const run = await buildCentral({ 'ami-owners': 'self' });

    expect(run.exitCode).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error');
    expect(error?.message).toMatch(new RegExp(`is not proposed: AMI ami-[0-9a-f]+ in us-east-1 is owned by account ${LOCAL_ACCOUNT_ID}, which is not on the AMI owner allowlist \\(self \\(${CENTRAL}\\)`));
    // The step still hands on the build, for a resume once the wiring is fixed.
    expect(run.outputs['image-arn']).toMatch(new RegExp(`:${CENTRAL}:image/patch-dev-central/`));
    expect(run.outputs['ami-id']).toBe('');
  });

  it("with an image-pipeline-account the image was not built in, self is unknown: only the accounts ami-owners names by ID count", async () => {
    const run = await buildCentral({ 'ami-owners': 'self,222222222222', 'image-pipeline-account': '222222222222' });

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(`self is not known here: arn:aws:imagebuilder:us-east-1:${CENTRAL}:image/patch-dev-central/`);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(new RegExp(`owned by account ${LOCAL_ACCOUNT_ID}, which is not on the AMI owner allowlist`));
  });
});
