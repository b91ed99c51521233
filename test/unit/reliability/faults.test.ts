/**
 * Fault catalogue, unit suite (issue 6; rows in ./catalogue.ts, table in docs/reliability.md): the
 * faults no emulator produces (a busy stack, rollbacks, a failed change set, throttling storms and
 * expiring credentials on CloudFormation, two merges racing), produced with aws-sdk-client-mock
 * (AwsWorld) and a real git repository, and run through the deploy job of deploy-environment.yml
 * (support/deploy-job.ts, checked against the workflow below). Each case ends with the invariant:
 * git says what runs, or the run failed loudly saying what differs and how to reconcile.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { EC2Client } from '@aws-sdk/client-ec2';
import { GetImageCommand, type Image, ImagebuilderClient, StartImagePipelineExecutionCommand } from '@aws-sdk/client-imagebuilder';
import { parse } from 'yaml';

import { VirtualClock } from '../../../actions/lib/clock';
import { isMalformedResponseError } from '../../../actions/lib/aws/errors';
import { AwsOperationError, errorMessage } from '../../../actions/lib/errors';
import { parseMetadataBlock } from '../../../actions/lib/gitops/commit-metadata';
import { buildAmi, type BuildAmiInputs } from '../../../actions/lib/image-builder/build-ami';
import { RecordingLogger } from '../../../actions/lib/logger';
import { DEFAULT_POLL_SCHEDULE } from '../../../actions/lib/poll';
import { casesOf, FAULTS, UNIT_FAULTS_ELSEWHERE } from './catalogue';
import { AwsWorld, REPO_ROOT, ROLLBACK_FAILS, ROLLS_BACK } from './support/aws-world';
import { DEPLOY_JOB_STEPS, runDeployJob, type DeployJobOptions, type DeployJobResult } from './support/deploy-job';
import { expectGitSaysWhatRuns } from './support/invariant';
import { awsMocks, resetAwsMocks } from './support/no-mutation';
import { createGitopsRepo, DEV_FILE, devStackParameters, NEW_AMI, NEWER_AMI, OLD_AMI, runGitops, type GitopsRepo } from './support/repo';

const mocks = awsMocks();
const MINUTE = 60_000;

const workflow = (file: string) => parse(readFileSync(join(REPO_ROOT, '.github/workflows', file), 'utf8')) as {
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, { concurrency?: { group: string; 'cancel-in-progress': boolean }; steps: Array<{ id?: string; name?: string; if?: string; uses?: string; with?: Record<string, unknown> }> }>;
};

/** One scenario: a repository right after a merge, the AWS world around the dev stack, one clock. */
interface Scene {
  clock: VirtualClock;
  world: AwsWorld;
  repo: GitopsRepo;
  deploy(options?: DeployJobOptions): Promise<DeployJobResult>;
}

let scene: Scene;
function setup(mergedAmi: string | null = NEW_AMI): Scene {
  const clock = new VirtualClock();
  const world = new AwsWorld(clock, devStackParameters(OLD_AMI)).withImages(OLD_AMI, NEW_AMI, NEWER_AMI).install(mocks);
  const repo = createGitopsRepo(mergedAmi);
  scene = { clock, world, repo, deploy: (options) => runDeployJob({ repo, clock, runningAmi: () => world.runningAmi() }, options) };
  return scene;
}

/** The invariant at the end of a deploy job (or of the last of several). */
function expectInvariant(job: DeployJobResult, expected: 'git says what runs' | 'failed loudly', reconciler?: Parameters<typeof expectGitSaysWhatRuns>[2]) {
  return expectGitSaysWhatRuns({ gitAmi: scene.repo.gitAmi(), runningAmi: scene.world.runningAmi(), failed: !job.ok, said: job.said }, expected, reconciler);
}

/** The last commit on origin/main: subject and its metadata block. */
function lastRecord() {
  const message = scene.repo.origin.git('log', '-1', '--format=%B', 'main');
  return { subject: message.split('\n')[0], updates: parseMetadataBlock(message) };
}

// ---- Image Builder, mocked: a build that takes 40 minutes -----------------------------------------

const PIPELINE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/patch-dev-app';
const IMAGE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.0/7';

function mockBuild(clock: VirtualClock, options: { expireAtMs?: number; amiId?: string; accountId?: string; garbled?: (minute: number) => Error | undefined }) {
  const startedMs = clock.now();
  const state = { expireAtMs: options.expireAtMs };
  mocks.imageBuilder.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN, clientToken: 'gh-42-1' });
  mocks.imageBuilder.on(GetImageCommand).callsFake((): { image: Image } => {
    const garbled = options.garbled?.(Math.floor((clock.now() - startedMs) / MINUTE));
    if (garbled) throw garbled;
    if (state.expireAtMs !== undefined && clock.now() >= state.expireAtMs) {
      throw Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException', $metadata: { httpStatusCode: 403 } });
    }
    const done = clock.now() - startedMs >= 40 * MINUTE;
    return {
      image: {
        arn: IMAGE_ARN,
        state: { status: done ? 'AVAILABLE' : 'BUILDING' },
        dateCreated: new Date(startedMs).toISOString(),
        sourcePipelineArn: PIPELINE_ARN,
        imageScanningConfiguration: { imageScanningEnabled: false },
        outputResources: done ? { amis: [{ region: 'us-east-1', image: options.amiId ?? NEW_AMI, accountId: options.accountId ?? '123456789012' }] } : undefined,
      },
    };
  });
  return { refresh: () => (state.expireAtMs = undefined) };
}

const buildInputs = (): BuildAmiInputs => ({ source: { kind: 'pipeline', pipelineArn: PIPELINE_ARN, token: { kind: 'workflow-run', runId: '42', runAttempt: 1 } }, region: 'us-east-1', timeoutMinutes: 90, failOnSeverity: 'none' });
const buildDeps = () => ({ clients: { imageBuilder: new ImagebuilderClient({ region: 'us-east-1' }), ec2: new EC2Client({ region: 'us-east-1' }) }, logger: new RecordingLogger(), clock: scene.clock });
const deserializationError = (message: string) =>
  Object.assign(new SyntaxError(`${message}\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.`), { $metadata: { httpStatusCode: 200 } });

const IMPLEMENTATIONS: Record<string, () => Promise<void>> = {
  async F08() {
    setup(null);
    // Two runs of Patch PR for the same environment (a re-run, or next week's while this week's is open).
    const first = await runGitops('compose-patch-pr', { environment: 'dev', 'previous-ami-id': OLD_AMI, 'ami-id': NEW_AMI }, scene.repo.context(scene.clock));
    const rerun = await runGitops('compose-patch-pr', { environment: 'dev', 'previous-ami-id': OLD_AMI, 'ami-id': NEWER_AMI }, { ...scene.repo.context(scene.clock), runUrl: 'https://github.com/acme/fleet/actions/runs/43' });
    expect(first.outputs.branch).toBe('ami-patch/dev');
    expect(rerun.outputs.branch).toBe(first.outputs.branch);

    const wf = workflow('patch-pr.yml');
    const steps = wf.jobs.patch.steps;
    // The patch job composes the PR; the propose job (where the App key lives) opens it.
    const cpr = wf.jobs.propose.steps.find((s) => s.id === 'cpr')!;
    // create-pull-request updates the open PR of its branch instead of opening another.
    expect(cpr.uses).toMatch(/^peter-evans\/create-pull-request@[0-9a-f]{40}$/);
    expect(cpr.with?.branch).toBe('${{ needs.patch.outputs.branch }}');
    expect((wf.jobs.patch as { outputs?: Record<string, string> }).outputs?.branch).toBe('${{ steps.pr.outputs.branch }}');
    expect(steps.find((s) => s.id === 'pr')?.with?.command).toBe('compose-patch-pr');
    // One patch run at a time, never cancelled halfway; the build's client token comes from the run id.
    expect(wf.concurrency).toEqual({ group: 'patch-pr', 'cancel-in-progress': false });
    expect(Object.keys(steps.find((s) => s.id === 'build')?.with ?? {})).not.toContain('client-token');

    expectGitSaysWhatRuns({ gitAmi: scene.repo.gitAmi(), runningAmi: scene.world.runningAmi(), failed: false, said: [] }, 'git says what runs');
  },

  async F09() {
    setup();
    scene.world.failNextChangeSet = 'Export patch-dev-app-TargetGroupArn cannot be updated as it is in use by patch-dev-dashboard';
    const job = await scene.deploy();

    expect(job.outcomes).toMatchObject({ update: 'failure', verify: 'skipped', sync: 'success' });
    expect(job.failures.update).toContain(
      'Change set for stack patch-dev-app failed: FAILED (Export patch-dev-app-TargetGroupArn cannot be updated as it is in use by patch-dev-dashboard). Fix the template or parameters file it names and re-run; the stack was not changed.',
    );
    expect(scene.world.executedAmis).toEqual([]);
    expect(scene.world.pendingChangeSets()).toEqual([]);
    expect(job.ok).toBe(false);
    expect(job.headline).toContain(`dev runs ${OLD_AMI}`);
    expectInvariant(job, 'git says what runs');
    expect(lastRecord().updates?.[0]).toMatchObject({ 'previous-ami-id': NEW_AMI, 'ami-id': OLD_AMI });
  },

  async F10() {
    setup();
    scene.world.busy('UPDATE_IN_PROGRESS', 4 * MINUTE);
    const job = await scene.deploy();

    expect(job.outcomes).toMatchObject({ update: 'success', verify: 'success', sync: 'skipped' });
    expect(scene.world.executedAmis).toEqual([NEW_AMI]);
    expect(job.ok).toBe(true);
    expectInvariant(job, 'git says what runs');
  },

  async F11() {
    setup();
    // Someone else's update (a manual one, say) runs for 75 minutes: longer than update-app-stack's 60.
    scene.world.busy('UPDATE_IN_PROGRESS', 75 * MINUTE);
    const job = await scene.deploy();

    expect(job.outcomes).toMatchObject({ update: 'failure', sync: 'success' });
    expect(job.failures.update).toMatch(/^Update refused for stack patch-dev-app: it stayed busy \(UPDATE_IN_PROGRESS\) for 60 min, .*Nothing was changed\.$/);
    expect(scene.world.executedAmis).toEqual([]);
    // The record step waited for the stack to settle before reading what it runs.
    expect(job.outputs.sync).toMatchObject({ outcome: 'pushed', 'live-ami-id': OLD_AMI, 'stack-status': 'UPDATE_COMPLETE' });
    expectInvariant(job, 'git says what runs');
  },

  async F12() {
    setup();
    scene.world.scripts.push(ROLLS_BACK);
    const job = await scene.deploy();

    expect(job.outcomes).toMatchObject({ update: 'failure', sync: 'success' });
    expect(job.failures.update).toMatch(
      /^Update of stack patch-dev-app failed: AppAutoScalingGroup UPDATE_FAILED \(Received 0 SUCCESS signal\(s\) out of 2\. {2}Unable to satisfy 100% MinSuccessfulInstancesPercent requirement\)\. CloudFormation rolled the stack back/,
    );
    expect(job.failures.update).toContain(`It runs ${OLD_AMI} while ${join(scene.repo.workspace.dir, DEV_FILE)} says ${NEW_AMI}.`);
    expect(job.headline).toMatch(new RegExp(`^CloudFormation rolled back the update of dev to ${NEW_AMI}; dev runs ${OLD_AMI}\\. Git records it`));
    expect(lastRecord().updates?.[0]).toMatchObject({ 'update-type': 'rollback-sync', 'ami-id': OLD_AMI });
    expectInvariant(job, 'git says what runs');
  },

  async F13() {
    setup();
    scene.world.scripts.push(ROLLBACK_FAILS);
    const job = await scene.deploy();

    expect(job.outcomes).toMatchObject({ update: 'failure', sync: 'failure' });
    expect(job.failures.update).toContain('and the rollback failed too (UPDATE_ROLLBACK_FAILED)');
    expect(job.failures.update).toContain('--resources-to-skip AppTargetGroup');
    // Nobody can name what runs in UPDATE_ROLLBACK_FAILED from the API: git is left alone, and says so.
    expect(job.failures.sync).toMatch(/^Git not updated for stack patch-dev-app: it is UPDATE_ROLLBACK_FAILED/);
    expect(scene.repo.gitAmi()).toBe(NEW_AMI);
    const verdict = expectInvariant(job, 'failed loudly', 'continue-update-rollback');
    expect(verdict.holds === 'failed loudly' && verdict.statement).toContain('aws cloudformation continue-update-rollback --stack-name patch-dev-app');
  },

  async F14() {
    setup();
    // NEW_AMI deploys fine but the fleet on it fails verification (verify-alb's checks: tested on their own).
    const job = await scene.deploy({ healthy: (expected, running) => expected === running && expected !== NEW_AMI });

    expect(job.outcomes).toMatchObject({ update: 'success', verify: 'failure', 'prepare-failback': 'success', 'failback-update': 'success', 'failback-verify': 'success', sync: 'success' });
    expect(job.outputs['prepare-failback']).toMatchObject({ 'ami-id': OLD_AMI, source: 'the AMI the stack ran before this deploy' });
    expect(scene.world.executedAmis).toEqual([NEW_AMI, OLD_AMI]);
    expect(lastRecord()).toEqual({
      subject: `Fail back dev to ${OLD_AMI}: ${NEW_AMI} failed verification`,
      updates: [expect.objectContaining({ 'update-type': 'auto-failback', 'previous-ami-id': NEW_AMI, 'ami-id': OLD_AMI })],
    });
    expect(job.ok).toBe(false);
    expect(job.headline).toMatch(new RegExp(`^${NEW_AMI} failed verification in dev; failed back to ${OLD_AMI}, which verified healthy\\. Git records it`));
    expectInvariant(job, 'git says what runs');
  },

  async F16() {
    setup();
    // Throttling from the moment the update starts: 20 DescribeStacks and 20 DescribeStackEvents.
    scene.world.afterExecute = () => scene.world.throttle(20, 'DescribeStacks', 'DescribeStackEvents');
    const job = await scene.deploy();

    expect(job.outcomes).toMatchObject({ update: 'success', verify: 'success' });
    expect(Math.max(...scene.clock.sleeps)).toBeLessThanOrEqual(DEFAULT_POLL_SCHEDULE.throttleCapMs);
    expect(scene.clock.sleeps.filter((ms) => ms === DEFAULT_POLL_SCHEDULE.throttleCapMs).length).toBeGreaterThanOrEqual(10);
    expect(scene.world.executedAmis).toEqual([NEW_AMI]);
    expectInvariant(job, 'git says what runs');
  },

  async F17() {
    setup(null);
    const build = mockBuild(scene.clock, { expireAtMs: scene.clock.now() + 20 * MINUTE });
    const inputs: BuildAmiInputs = { source: { kind: 'pipeline', pipelineArn: PIPELINE_ARN, token: { kind: 'workflow-run', runId: '42', runAttempt: 1 } }, region: 'us-east-1', timeoutMinutes: 90, failOnSeverity: 'none' };
    const deps = { clients: { imageBuilder: new ImagebuilderClient({ region: 'us-east-1' }), ec2: new EC2Client({ region: 'us-east-1' }) }, logger: new RecordingLogger(), clock: scene.clock };
    let handedOn: string | undefined;
    const error = await buildAmi({ ...inputs, onImageArn: (arn) => (handedOn = arn) }, deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsOperationError);
    expect(errorMessage(error)).toMatch(new RegExp(`^Waiting stopped for image build ${IMAGE_ARN} after 20 min: the AWS credentials expired`));
    expect(errorMessage(error)).toContain(`resume in a later job with \`image-arn: ${IMAGE_ARN}\` and fresh credentials`);
    expect(handedOn).toBe(IMAGE_ARN);

    // A later job, fresh credentials, the build finished meanwhile: the resume starts nothing.
    scene.clock.advance(30 * MINUTE);
    build.refresh();
    const resumed = await buildAmi({ ...inputs, source: { kind: 'image', imageArn: IMAGE_ARN } }, deps);
    expect(resumed.amiId).toBe(NEW_AMI);
    expect(mocks.imageBuilder.commandCalls(StartImagePipelineExecutionCommand)).toHaveLength(1);
    expectGitSaysWhatRuns({ gitAmi: scene.repo.gitAmi(), runningAmi: scene.world.runningAmi(), failed: true, said: [errorMessage(error)] }, 'git says what runs');
  },

  async F18() {
    setup();
    // The OIDC session ends 2 minutes into the update; CloudFormation carries on regardless.
    scene.world.afterExecute = () => (scene.world.credentialsExpireAtMs = scene.clock.now() + 2 * MINUTE);
    const first = await scene.deploy();

    expect(first.outcomes).toMatchObject({ update: 'failure', sync: 'failure' });
    expect(first.failures.update).toMatch(/^Following the update of stack patch-dev-app stopped: the AWS credentials expired \(.*\); last status UPDATE_IN_PROGRESS\./);
    expect(first.failures.update).toContain('CloudFormation carries on without this run. Re-run the job');
    // The stack was not read: the verdict claims no disagreement, it says what is not known and what to run.
    expect(first.headline).toContain(`Git could NOT be updated (see the "Record what runs" step) and what dev runs was not read, so whether it still is ${NEW_AMI}, as git says, is not known: once AWS answers, this one command re-runs the job, whose record step reads the stack and records what runs: gh run rerun 42 --failed`);

    // "Re-run failed jobs" later, with a fresh session: the update has long finished.
    scene.clock.advance(10 * MINUTE);
    scene.world.refreshCredentials();
    scene.world.afterExecute = undefined;
    const rerun = await scene.deploy({ run: { id: '42', attempt: '2' } });

    expect(rerun.outcomes).toMatchObject({ update: 'success', verify: 'success', sync: 'skipped' });
    expect(rerun.outputs.update).toMatchObject({ changed: 'false', 'ami-id': NEW_AMI });
    expect(scene.world.executedAmis).toEqual([NEW_AMI]);
    expectInvariant(rerun, 'git says what runs');
  },

  async F22() {
    setup();
    // Merge 2 lands before the deploy of merge 1 starts (waiting for approval, or queued).
    scene.repo.merge(`Bump dev AMI from ${NEW_AMI} to ${NEWER_AMI}`, NEWER_AMI);
    const first = await scene.deploy();
    const second = await scene.deploy({ run: { id: '43', attempt: '1' } });

    expect(scene.world.executedAmis).toEqual([NEWER_AMI]);
    expect(first.outputs.resolve?.['ami-id']).toBe(NEWER_AMI);
    expect(second.outputs.update).toMatchObject({ changed: 'false' });
    expect(first.ok && second.ok).toBe(true);

    // What makes this safe on GitHub: the job checks out the default branch (not the pushed sha),
    // and one concurrency group per environment queues the second run behind the first.
    const job = workflow('deploy-environment.yml').jobs.deploy;
    expect(job.concurrency).toEqual({ group: 'deploy-${{ inputs.environment }}', 'cancel-in-progress': false });
    expect(job.steps.find((s) => s.uses?.startsWith('actions/checkout@'))?.with?.ref).toBe('${{ github.event.repository.default_branch }}');
    expectInvariant(second, 'git says what runs');
  },

  async F23() {
    setup();
    // Merge 2 lands while the deploy of merge 1 is updating the stack; that update then rolls back.
    scene.world.scripts.push(ROLLS_BACK);
    scene.world.afterExecute = () => {
      scene.world.afterExecute = undefined;
      scene.repo.merge(`Bump dev AMI from ${NEW_AMI} to ${NEWER_AMI}`, NEWER_AMI);
    };
    const first = await scene.deploy();

    expect(first.outcomes).toMatchObject({ update: 'failure', sync: 'success' });
    // Recording OLD on top of the newer commit would undo a merge nobody has deployed yet.
    const merge2 = scene.repo.origin.git('rev-parse', 'main').trim();
    expect(first.outputs.sync).toMatchObject({ outcome: 'superseded', 'superseded-by': merge2, 'superseded-by-ami-id': NEWER_AMI });
    expect(first.headline).toContain(`a newer commit ${merge2.slice(0, 12)} (https://github.com/acme/fleet/commit/${merge2}), which names ${NEWER_AMI}, changed this environment's file`);
    expect(first.summaries.at(-1)).toContain(`a newer commit [${merge2.slice(0, 12)}](https://github.com/acme/fleet/commit/${merge2}), which names`);
    // Both AMIs, and nothing claimed about a deploy this run cannot see: the one command if none comes.
    expect(first.headline).toContain(`Git names ${NEWER_AMI} while dev runs ${OLD_AMI}. This run does not deploy the newer commit and cannot see whether another run will`);
    expect(first.headline).toContain(`If none is queued or running, this one command deploys what git names: gh run rerun $(gh run list --workflow deploy.yml --commit ${merge2} --limit 1`);
    expect(first.headline).not.toContain('is queued and will');
    expect(scene.repo.workspace.git('status', '--porcelain').trim()).toBe('');

    const second = await scene.deploy({ run: { id: '43', attempt: '1' } });
    expect(scene.world.executedAmis).toEqual([NEW_AMI, NEWER_AMI]);
    expect(second.ok).toBe(true);
    expectInvariant(second, 'git says what runs');
  },

  async F24() {
    setup();
    scene.world.scripts.push(ROLLS_BACK);
    // While origin runs its hook on the record push, a prod bump lands (a second record or a merge).
    scene.repo.landDuringNextPush('Bump prod AMI', { 'parameters/prod.json': readFileSync(join(REPO_ROOT, 'parameters/prod.json'), 'utf8').replace(/"ami-[0-9a-f]+"/, `"${NEWER_AMI}"`) });
    const job = await scene.deploy();

    expect(job.outcomes).toMatchObject({ update: 'failure', sync: 'success' });
    expect(job.outputs.sync).toMatchObject({ outcome: 'pushed', 'live-ami-id': OLD_AMI });
    expect(scene.repo.origin.git('log', '--format=%s', '-2', 'main').trim().split('\n')).toEqual([`Record rollback of dev to ${OLD_AMI}`, 'Bump prod AMI']);
    expect(scene.repo.gitAmi('parameters/prod.json')).toBe(NEWER_AMI);
    expect(scene.repo.workspace.git('status', '--porcelain').trim()).toBe('');
    expectInvariant(job, 'git says what runs');
  },

  async F25() {
    setup();
    const first = await scene.deploy();
    expect(first.ok).toBe(true);
    // A Failback run is dispatched on main as it is now (github.sha) and fails back to OLD.
    const base = scene.repo.origin.git('rev-parse', 'main').trim();
    const failback = { ami: OLD_AMI, reason: 'checkout errors on NEW', requestedBy: 'oncall', baseCommit: base };
    const failedBack = await scene.deploy({ failback, run: { id: '50', attempt: '1' } });
    expect(failedBack.ok).toBe(true);
    // Later a newer AMI is merged and deployed.
    const merged = scene.repo.merge(`Bump dev AMI from ${OLD_AMI} to ${NEWER_AMI}`, NEWER_AMI);
    expect((await scene.deploy({ run: { id: '51', attempt: '1' } })).ok).toBe(true);
    const before = scene.repo.origin.git('rev-parse', 'main').trim();

    // Someone re-runs the old Failback run: same inputs, same github.sha.
    const rerun = await scene.deploy({ failback, run: { id: '50', attempt: '2' } });

    expect(rerun.outcomes).toMatchObject({ record: 'failure', resolve: 'skipped', update: 'skipped' });
    expect(rerun.failures.record).toBe(
      `Failback of dev to ${OLD_AMI} NOT recorded or deployed: main changed ${DEV_FILE} after ${base.slice(0, 12)}, the commit this run is based on: ` +
        `${merged.slice(0, 12)} ("Bump dev AMI from ${OLD_AMI} to ${NEWER_AMI}") names ${NEWER_AMI}, and recording ${OLD_AMI} over it would undo that newer decision. ` +
        `Nothing was changed by this run, in AWS or git: you asked for ${OLD_AMI}; main names ${NEWER_AMI} since ${merged.slice(0, 12)}, and the deploy of ${merged.slice(0, 12)} (not this run) is what puts ${NEWER_AMI} on dev. ` +
        `If ${OLD_AMI} is still wanted over ${NEWER_AMI}, this one command reconciles them: gh workflow run failback.yml --ref main -f environment=dev -f target-ami=${OLD_AMI} -f reason='checkout errors on NEW'`,
    );
    expect(rerun.outputs.record).toMatchObject({ outcome: 'superseded', 'superseded-by': merged, 'superseded-by-ami-id': NEWER_AMI });
    // The report says it too: both AMIs and the command, not only "see the record step".
    expect(rerun.headline).toContain(`you asked for ${OLD_AMI}; main names ${NEWER_AMI} since ${merged.slice(0, 12)}`);
    expect(rerun.headline).toMatch(/this one command reconciles them: gh workflow run failback\.yml --ref main -f environment=dev -f target-ami=\S+ -f reason='checkout errors on NEW'$/);
    expect(scene.repo.origin.git('rev-parse', 'main').trim()).toBe(before);
    expect(scene.world.executedAmis).toEqual([NEW_AMI, OLD_AMI, NEWER_AMI]);
    expect(scene.repo.workspace.git('status', '--porcelain').trim()).toBe('');
    expectInvariant(rerun, 'git says what runs');
  },

  async F160() {
    setup();
    expect((await scene.deploy()).ok).toBe(true);
    scene.repo.protectMain();
    const failedBack = await scene.deploy({ failback: { ami: OLD_AMI, reason: 'checkout errors on NEW', requestedBy: 'oncall' }, run: { id: '60', attempt: '1' } });

    expect(failedBack.outcomes).toMatchObject({ record: 'failure', resolve: 'skipped', update: 'skipped' });
    expect(failedBack.outputs.record).toMatchObject({ outcome: 'pull-request', 'pull-request-url': 'https://github.com/acme/fleet/pull/7', 'replaced-ami-id': NEW_AMI });
    expect(failedBack.headline).toBe(
      `Failback of dev to ${OLD_AMI} NOT deployed: the default branch only accepts pull requests, so the failback is https://github.com/acme/fleet/pull/7. ` +
        `Merge it and Deploy on merge deploys it. Nothing changed in AWS: dev still runs ${NEW_AMI}.`,
    );
    const report = failedBack.summaries.at(-1) ?? '';
    expect(report.split('\n')[0]).toBe('## ❌ Failback dev');
    expect(report).toContain(`**Failback of dev to \`${OLD_AMI}\` NOT deployed: `);
    expect(report).toContain(`| From | \`${NEW_AMI}\` |`);
    expect(report).toContain('| Reason | checkout errors on NEW |');
    expect(report).toContain('| Failback record | https://github.com/acme/fleet/pull/7 (the default branch only accepts pull requests): not deployed until it is merged |');
    expect(report).not.toMatch(/unknown|see above/);
    expect(scene.world.executedAmis).toEqual([NEW_AMI]);
    expectInvariant(failedBack, 'git says what runs');
  },

  async F144() {
    setup();
    expect((await scene.deploy()).ok).toBe(true);
    // A failback to OLD is asked for; OLD deploys, and its fleet fails verification.
    const job = await scene.deploy({ failback: { ami: OLD_AMI, reason: 'checkout errors on NEW', requestedBy: 'oncall' }, healthy: (expected, running) => expected === running && expected !== OLD_AMI, run: { id: '70', attempt: '1' } });

    expect(job.outcomes).toMatchObject({ record: 'success', update: 'success', verify: 'failure' });
    expect(scene.world.executedAmis).toEqual([NEW_AMI, OLD_AMI]);
    expect(job.ok).toBe(false);
    expect(job.headline).toBe(
      `The failback of dev from ${NEW_AMI} to ${OLD_AMI} deployed, and git records ${OLD_AMI}, but the fleet failed verification on it: dev runs ${OLD_AMI}, unhealthy. ` +
        `No automatic failback from a failback: investigate now. If ${NEW_AMI}, which ran before the failback, is the better of the two, this one command puts it back and records it: ` +
        `gh workflow run failback.yml --ref main -f environment=dev -f target-ami=${NEW_AMI} -f reason='${OLD_AMI} failed verification after the failback'`,
    );
    expectInvariant(job, 'git says what runs');
  },

  async F145() {
    setup();
    // NEW fails verification, the automatic failback to OLD deploys, and OLD fails it too.
    const job = await scene.deploy({ healthy: () => false });

    expect(job.outcomes).toMatchObject({ update: 'success', verify: 'failure', 'failback-update': 'success', 'failback-verify': 'failure', sync: 'success' });
    expect(scene.world.executedAmis).toEqual([NEW_AMI, OLD_AMI]);
    expect(job.ok).toBe(false);
    expect(job.headline).toMatch(
      new RegExp(
        `^${NEW_AMI} failed verification in dev; failed back to ${OLD_AMI}, but it failed verification too: the fleet is unhealthy on ${OLD_AMI}, investigate now\\. Git records it: [0-9a-f]{12} .*on the default branch\\. ` +
          `Once you know which AMI is good here, this one command deploys it and records it, with AMI_ID that AMI: gh workflow run failback\\.yml --ref main -f environment=dev -f target-ami=AMI_ID -f reason='<why, one line>'$`,
      ),
    );
    expectInvariant(job, 'git says what runs');
  },

  async F173() {
    setup();
    expect((await scene.deploy()).ok).toBe(true);
    // The failback's target was deprecated after it last ran: the one failback job checks it after
    // the approval, with its deploy role, before it records anything or touches the stack.
    scene.world.images.set(OLD_AMI, { ...scene.world.images.get(OLD_AMI)!, DeprecationTime: '2026-01-01T00:00:00.000Z' });
    const job = await scene.deploy({ failback: { ami: '', reason: 'p99 doubled', requestedBy: 'oncall' }, run: { id: '61', attempt: '1' } });

    expect(job.outcomes).toMatchObject({ request: 'success', 'failback-credentials': 'success', 'check-target': 'failure', record: 'skipped', resolve: 'skipped', update: 'skipped', sync: 'skipped' });
    // The default target came from git history, and the check names it and the way out.
    expect(job.outputs.request).toMatchObject({ 'target-ami-id': OLD_AMI, 'current-ami-id': NEW_AMI });
    expect(job.failures['check-target']).toMatch(new RegExp(`${OLD_AMI}.*deprecated at 2026-01-01T00:00:00\\.000Z.*aws ec2 disable-image-deprecation --image-id ${OLD_AMI}`));
    expect(scene.repo.gitAmi()).toBe(NEW_AMI);
    expect(scene.world.executedAmis).toEqual([NEW_AMI]);
    expectInvariant(job, 'git says what runs');
  },

  async F26() {
    setup();
    scene.world.scripts.push(ROLLS_BACK);
    scene.repo.declinePushes('error: pushes to main need a signed commit');
    const job = await scene.deploy();

    expect(job.outcomes).toMatchObject({ update: 'failure', sync: 'failure' });
    expect(job.failures.sync).toMatch(
      new RegExp(`^Cannot record ${OLD_AMI} for ${DEV_FILE}: git refused and a retry cannot help \\(remote: error: pushes to main need a signed commit ! \\[remote rejected\\] [0-9a-f]+ -> main \\(pre-receive hook declined\\)\\)\\. Nothing was pushed to main`),
    );
    expect(job.outputs.sync).toMatchObject({ outcome: 'failed', 'live-ami-id': OLD_AMI, 'stack-status': 'UPDATE_ROLLBACK_COMPLETE' });
    expect(job.headline).toBe(
      `CloudFormation rolled back the update of dev to ${NEW_AMI}; dev runs ${OLD_AMI}. Git could NOT record it (see the "Record what runs" step), so git says ${NEW_AMI} while dev runs ${OLD_AMI}: ` +
        `this one command records ${OLD_AMI} in git (the stack already runs it, so it changes nothing in AWS): ` +
        `gh workflow run failback.yml --ref main -f environment=dev -f target-ami=${OLD_AMI} -f reason='record what dev runs after the failed deploy of ${NEW_AMI}'`,
    );
    expect(scene.repo.workspace.git('status', '--porcelain').trim()).toBe('');
    expectInvariant(job, 'failed loudly');
    // The verdict on its own is such a statement: the stack was read, both AMIs, the reconcile.
    expectInvariant({ ...job, said: [job.headline] }, 'failed loudly', 'Failback workflow');
  },

  async F29() {
    setup();
    // The update is sent; from then on CloudFormation refuses every connection. It carries on
    // regardless (AWS does not need us to watch) and ends on NEW_AMI.
    scene.world.afterExecute = () => {
      scene.world.afterExecute = undefined;
      scene.world.unreachable = true;
    };
    const job = await scene.deploy();

    expect(job.outcomes).toMatchObject({ update: 'failure', verify: 'skipped', sync: 'failure' });
    expect(job.failures.update).toMatch(
      /^Update of stack patch-dev-app stopped: AWS could not be reached or kept failing after the SDK's retries \(connect ECONNREFUSED [\d.:]+\) after the change set was sent for execution\. The update may have started; its outcome is unknown/,
    );
    expect(job.failures.update).not.toMatch(/timeout-minutes/);
    expect(job.failures.sync).toMatch(/^Git not updated for stack patch-dev-app: CloudFormation stopped answering \(5 polls in a row failed/);
    expect(job.outputs.update).toMatchObject({ 'stack-status': 'unknown', 'previous-ami-id': OLD_AMI });
    expect(job.headline).toBe(
      `The update of dev to ${NEW_AMI} was sent to CloudFormation, then AWS stopped answering (see the update step), so its outcome is unknown: ` +
        `dev runs ${NEW_AMI} if the update completed, or still ${OLD_AMI} if it rolled back. Git says ${NEW_AMI}: once AWS answers, this one command ` +
        `waits for the update to end, then finds no changes if ${NEW_AMI} runs, or deploys it again and records what runs: gh run rerun 42 --failed`,
    );
    // Given up within minutes of the endpoint dying, not at the 60-minute deadline.
    expect(scene.clock.now() - Date.UTC(2026, 0, 1)).toBeLessThan(10 * MINUTE);
    // Both were on NEW_AMI: git is right, and the report did not say otherwise.
    expect(scene.world.executedAmis).toEqual([NEW_AMI]);
    expectInvariant(job, 'git says what runs');

    // AWS answers again: the re-run finds the update done and changes nothing.
    scene.world.unreachable = false;
    const rerun = await scene.deploy({ run: { id: '42', attempt: '2' } });
    expect(rerun.ok).toBe(true);
    expect(rerun.outputs.update).toMatchObject({ changed: 'false' });
    expectInvariant(rerun, 'git says what runs');
  },

  async F31() {
    setup(null);
    // What a proxy's error page or a body cut short look like to the SDK.
    const html = () => deserializationError("Unexpected token '<', \"<html><bod\"... is not valid JSON");
    const cut = () => deserializationError('Unexpected end of JSON input');
    // Minutes 10 and 11: three bad answers in a row (polls every 5 s, then backing off).
    let bad = 0;
    mockBuild(scene.clock, { garbled: (minute) => (minute === 10 && bad < 3 ? (bad++ % 2 ? cut() : html()) : undefined) });
    const result = await buildAmi(buildInputs(), buildDeps());
    expect(bad).toBe(3);
    expect(result.amiId).toBe(NEW_AMI);

    // The endpoint answers nothing but HTML from minute 10 on: the wait gives up within a minute,
    // with the deserialization error itself, which the action reports as a bad answer.
    resetAwsMocks();
    scene.world.install(mocks);
    mockBuild(scene.clock, { garbled: (minute) => (minute >= 10 ? html() : undefined) });
    const started = scene.clock.now();
    const error = await buildAmi(buildInputs(), buildDeps()).catch((e: unknown) => e);
    expect(isMalformedResponseError(error)).toBe(true);
    expect(errorMessage(error)).toMatch(/^Unexpected token '<'/);
    expect(scene.clock.now() - started).toBeLessThan(12 * MINUTE);
    expectGitSaysWhatRuns({ gitAmi: scene.repo.gitAmi(), runningAmi: scene.world.runningAmi(), failed: true, said: [errorMessage(error)] }, 'git says what runs');
  },

  async F32() {
    setup(null);
    // Image Builder says AVAILABLE and names an AMI EC2 has never heard of.
    const phantom = 'ami-0dddddddddddddd44';
    mockBuild(scene.clock, { amiId: phantom });
    const error = await buildAmi(buildInputs(), buildDeps()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsOperationError);
    expect(errorMessage(error)).toBe(
      `The AMI of ${IMAGE_ARN} is not usable: Image Builder reports the image AVAILABLE with ${phantom} in us-east-1, but EC2 there has no such AMI ` +
        '(deregistered since, or never created). Do not deploy it; start a new build with pipeline-arn.',
    );
    expectGitSaysWhatRuns({ gitAmi: scene.repo.gitAmi(), runningAmi: scene.world.runningAmi(), failed: true, said: [errorMessage(error)] }, 'git says what runs');
  },

  async F199() {
    setup(null);
    // The build ends AVAILABLE at minute 40 of a 45-minute timeout-minutes; then EC2 accepts the
    // DescribeImages of the output AMI and never answers (an hour of virtual time passes unless
    // the call is aborted): only the step's deadline, handed to the call, can end it.
    mockBuild(scene.clock, {});
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const silentEc2 = {
      send(command: unknown, options?: { abortSignal?: AbortSignal }) {
        const signal = options?.abortSignal;
        return new Promise((resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason));
          void (async () => {
            for (let waited = 0; waited < 60 * MINUTE && !signal?.aborted; waited += 1000) await scene.clock.sleep(1000);
            if (!signal?.aborted) resolve(await (ec2.send as (c: unknown) => Promise<unknown>)(command));
          })();
        });
      },
    };
    const started = scene.clock.now();
    const deps = buildDeps();
    const error = await buildAmi({ ...buildInputs(), timeoutMinutes: 45 }, { ...deps, clients: { ...deps.clients, ec2: silentEc2 as unknown as EC2Client } }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error).toMatchObject({ status: 'NO_ANSWER', resource: IMAGE_ARN });
    // Ended at the step's deadline, not an hour later.
    expect(scene.clock.now() - started).toBeLessThanOrEqual(45 * MINUTE + 1000);
    expect(errorMessage(error)).toMatch(
      new RegExp(
        `^Reading the build's results failed for ${IMAGE_ARN.replace(/[/.]/g, '\\$&')}: AWS \\(EC2 or Image Builder\\) got no answer within timeout-minutes \\(45 min\\) or 30 s after the image became AVAILABLE \\(no answer before the deadline \\(.*\\)\\); ` +
          `the endpoint accepts connections but says nothing \\(AWS_ENDPOINT_URL\\*, a proxy, the network\\)\\. The image is AVAILABLE: re-run with \`image-arn: ${IMAGE_ARN.replace(/[/.]/g, '\\$&')}\` once AWS answers; it returns at once\\.$`,
      ),
    );
    expectGitSaysWhatRuns({ gitAmi: scene.repo.gitAmi(), runningAmi: scene.world.runningAmi(), failed: true, said: [errorMessage(error)] }, 'git says what runs');
  },

  async F59() {
    setup(null);
    // The distribution configuration copies the AMI to another account only: the one AMI in the
    // region is that account's, and the patch PR would propose an AMI this account does not own.
    const copy = 'ami-0eeeeeeeeeeeeee55';
    scene.world.images.set(copy, { ImageId: copy, OwnerId: '210987654321', State: 'available' });
    mockBuild(scene.clock, { amiId: copy, accountId: '210987654321' });
    const error = await buildAmi({ ...buildInputs(), amiOwners: ['self', '137112412989'] }, buildDeps()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error).toMatchObject({ status: 'AMI_OWNER_NOT_ALLOWED' });
    expect(errorMessage(error)).toBe(
      `The AMI of ${IMAGE_ARN} is not proposed: AMI ${copy} in us-east-1 is owned by account 210987654321, which is not on the AMI owner allowlist (self (123456789012), 137112412989; the ami-owners input). ` +
        `Use an AMI your own pipeline built, or, if you trust every AMI account 210987654321 publishes, add "210987654321" to the environment's amiOwners in parameters/environments.json (the workflows pass it as the ami-owners input). No pull request is opened for it.`,
    );
    // The step failed, so set-ami never ran: no PR, git and the stack untouched.
    expectGitSaysWhatRuns({ gitAmi: scene.repo.gitAmi(), runningAmi: scene.world.runningAmi(), failed: true, said: [errorMessage(error)] }, 'git says what runs');
  },
};

describe('faults (unit): mocked AWS, real git, the deploy job step by step', () => {
  const elsewhere = new Set(Object.values(UNIT_FAULTS_ELSEWHERE).flat());
  const cases = casesOf(FAULTS, 'unit').filter((c) => !elsewhere.has(c.id));

  beforeEach(() => resetAwsMocks());
  afterEach(() => scene?.repo.remove());

  it('implements every unit row of the catalogue (except those UNIT_FAULTS_ELSEWHERE names), and only those', () => {
    expect(Object.keys(IMPLEMENTATIONS).sort()).toEqual(cases.map((c) => c.id).sort());
    expect(FAULTS.length).toBeGreaterThanOrEqual(12);
  });

  it('the simulated deploy job has the steps and conditions of deploy-environment.yml', () => {
    const steps = workflow('deploy-environment.yml').jobs.deploy.steps.map((s) => ({ name: s.name, ...(s.id ? { id: s.id } : {}), ...(s.if ? { if: s.if } : {}) }));
    expect(steps).toEqual(DEPLOY_JOB_STEPS.map((s) => ({ name: s.name, ...(s.id ? { id: s.id } : {}), ...(s.if ? { if: s.if } : {}) })));
  });

  it.each(cases)('$id $name', async ({ id }) => {
    await IMPLEMENTATIONS[id]();
  });

  // F21's catalogue row runs on the bundles against a closed port (test/integration/reliability);
  // this is the same fault through the whole job, the record step included, which gives up after five failed polls.
  it('F21 through the whole deploy job: AWS refuses every call, and the report names both AMIs', async () => {
    setup();
    scene.world.unreachable = true;
    const job = await scene.deploy();

    expect(job.outcomes).toMatchObject({ resolve: 'success', update: 'failure', verify: 'skipped', sync: 'failure' });
    expect(job.failures.update).toBe(
      "Update of stack patch-dev-app did not start: AWS could not be reached or kept failing after the SDK's retries (connect ECONNREFUSED 198.51.100.7:443). " +
        'Nothing was changed in AWS by this run. Re-run the job once AWS answers.',
    );
    expect(job.failures.sync).toBe(
      'Git not updated for stack patch-dev-app: CloudFormation stopped answering (5 polls in a row failed; last error: connect ECONNREFUSED 198.51.100.7:443), ' +
        'so what it runs could not be read. Re-run the failed deploy job once AWS answers so git records what runs.',
    );
    expect(job.outputs.resolve?.['previous-ami-id']).toBe(OLD_AMI);
    expect(scene.world.executedAmis).toEqual([]);
    expect(job.headline).toBe(
      `The update of dev to ${NEW_AMI} never reached AWS (see the update step), so ${NEW_AMI} is not deployed; by git history dev still runs ${OLD_AMI} ` +
        `(the AMI before HEAD's; this could not be confirmed with AWS). Git says ${NEW_AMI} until then: once AWS answers, this one command deploys HEAD: gh run rerun 42 --failed ` +
        '(or run the Drift workflow to check what dev runs).',
    );
    expect(job.ok).toBe(false);
    expectInvariant(job, 'failed loudly', 're-run');

    // AWS answers again; the re-run deploys HEAD and git says what runs.
    scene.world.unreachable = false;
    const rerun = await scene.deploy({ run: { id: '42', attempt: '2' } });
    expect(rerun.ok).toBe(true);
    expect(scene.world.executedAmis).toEqual([NEW_AMI]);
    expectInvariant(rerun, 'git says what runs');
  });
});
