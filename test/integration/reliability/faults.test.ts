/**
 * Fault catalogue, integration suite (issue 6; rows in test/unit/reliability/catalogue.ts, table in
 * docs/reliability.md): the faults the Image Builder STAND-IN and moto can produce, run through the
 * REAL bundled actions (runBundledAction) the way the workflows run them, in a scratch clone of this
 * repository's GitOps files with a bare "origin". Each ends with the invariant: git says what runs,
 * or the run failed loudly saying what differs and how to reconcile.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';

import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { RegisterImageCommand } from '@aws-sdk/client-ec2';

import { VirtualClock } from '../../../actions/lib/clock';
import { errorMessage, PollTimeoutError } from '../../../actions/lib/errors';
import { buildAmi } from '../../../actions/lib/image-builder/build-ami';
import { RecordingLogger } from '../../../actions/lib/logger';
import { deregisterTerminatedTargets, readFleet } from '../../../local/cycle/fleet';
import { LOCAL_PIPELINE_ARN } from '../../../local/env';
import { runBundledAction, type ActionRun } from '../../../local/run-action';
import { diffSnapshots, snapshotStack } from '../../../local/stacks';
import { casesOf, FAULTS, INTEGRATION_ROWS_ELSEWHERE } from '../../unit/reliability/catalogue';
import { GIT_RACE_ROWS } from './record-races.test';
import { expectGitSaysWhatRuns } from '../../unit/reliability/support/invariant';
import { createGitopsRepo, DEV_FILE, type GitopsRepo } from '../../unit/reliability/support/repo';
import { silentServer } from '../../unit/reliability/support/silent-server';
import { deployAppFoundation, DEV_AMI_OWNERS, localBaseAmi, localClients, localEnv, standin, useLocalAws } from '../harness';

useLocalAws();

const STACK = 'patch-dev-app';
let base: string;
let repo: GitopsRepo;

async function stackAmi(): Promise<string> {
  const { Stacks } = await localClients().cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }));
  return Stacks?.[0]?.Parameters?.find((p) => p.ParameterKey === 'AmazonMachineImage')?.ParameterValue ?? 'none';
}

/** A step of a workflow: the bundled action, in the scratch workspace, against moto and the stand-in. */
const step = (action: string, inputs: Record<string, string>, env: Record<string, string | undefined> = {}) =>
  runBundledAction(action, inputs, { ...localEnv(), GITHUB_WORKSPACE: repo.workspace.dir, GITHUB_TOKEN: 'local-token', ...env }, { timeoutMs: 120_000 });

/** What a failed run said: its error annotations and its job summary. */
const said = (...runs: ActionRun[]) => runs.flatMap((r) => [...r.annotations.filter((a) => a.level === 'error').map((a) => a.message), r.summary]);

/**
 * The patch job of patch-pr.yml from the build on: build-ami, then (only if it succeeded, as the
 * workflow's default `if: success()` has it) gitops set-ami, whose `changed` opens the PR.
 */
async function patchJob(inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  const build = await step('build-ami', { 'pipeline-arn': LOCAL_PIPELINE_ARN, 'previous-ami-id': base, 'timeout-minutes': '5', ...inputs }, env);
  const bump = build.exitCode === 0 ? await step('gitops', { command: 'set-ami', environment: 'dev', 'ami-id': build.outputs['ami-id'] }) : undefined;
  return { build, prOpened: bump?.outputs.changed === 'true' };
}

/** The invariant on moto's stack and the scratch repository's origin/main. */
async function invariant(failed: boolean, texts: string[], expected: 'git says what runs' | 'failed loudly') {
  return expectGitSaysWhatRuns({ gitAmi: repo.gitAmi(), runningAmi: await stackAmi(), failed, said: texts }, expected);
}

async function buildsStarted(): Promise<number> {
  return (await standin.state()).builds.length;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  base = await localBaseAmi();
  await deployAppFoundation({ ami: base });
  await standin.registerPipeline(LOCAL_PIPELINE_ARN);
});
beforeEach(async () => {
  // Two seconds of build: through the in-progress states, short for CI. Each case sets its own fault.
  await standin.configure({ buildSeconds: 2, failNext: undefined, stallNext: undefined, throttle: undefined, garble: undefined, phantomAmiNext: undefined });
  repo = createGitopsRepo(null, base);
});
afterEach(() => repo.remove());

const IMPLEMENTED = new Set<string>();
/** A test for one catalogue row, named after it. */
function fault(id: string, body: () => Promise<void>, kind: 'it' | 'failing' = 'it', timeoutMs?: number) {
  const row = FAULTS.find((c) => c.id === id);
  if (!row) throw new Error(`No fault ${id} in the catalogue`);
  IMPLEMENTED.add(id);
  (kind === 'failing' ? it.failing : it)(`${row.id} ${row.name}${kind === 'failing' ? ` — KNOWN GAP (${row.invariant.replace(/^known gap: /, '')})` : ''}`, body, timeoutMs);
}

describe('faults (integration): the stand-in and moto, through the bundled actions', () => {
  fault('F01', async () => {
    await standin.configure({ failNext: { status: 'FAILED', reason: 'Component update-linux failed: dnf exited with code 1' } });
    const { build, prOpened } = await patchJob();

    expect(build.exitCode).toBe(1);
    const error = build.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toMatch(/^Image build FAILED for arn:aws:imagebuilder:us-east-1:123456789012:image\/patch-dev-app\/1\.0\.0\/\d+: Component update-linux failed: dnf exited with code 1\. Look at: /);
    expect(error).toContain('re-run the workflow: a re-run starts one new build when the earlier one failed');
    expect(build.outputs['image-arn']).toMatch(/:image\/patch-dev-app\//);
    expect(prOpened).toBe(false);
    await invariant(true, said(build), 'git says what runs');
  });

  fault('F02', async () => {
    await standin.configure({ failNext: { status: 'CANCELLED', reason: 'Cancelled by user ops-oncall', atStatus: 'TESTING' } });
    const { build, prOpened } = await patchJob();

    expect(build.exitCode).toBe(1);
    expect(build.annotations.find((a) => a.level === 'error')?.message).toMatch(/^Image build CANCELLED for \S+: Cancelled by user ops-oncall\./);
    expect(build.summary).toContain('| State | CANCELLED |');
    expect(prOpened).toBe(false);
    await invariant(true, said(build), 'git says what runs');
  });

  fault('F03', async () => {
    // The stand-in never finishes this build. The wait is build-ami's own logic through the real SDK
    // client, on the virtual clock: a real bundle would need timeout-minutes of real time.
    await standin.configure({ buildSeconds: 0, stallNext: true });
    const clients = localClients();
    const clock = new VirtualClock();
    const error = await buildAmi(
      { source: { kind: 'pipeline', pipelineArn: LOCAL_PIPELINE_ARN, token: { kind: 'explicit', token: `stall-${Date.now()}` } }, region: 'us-east-1', timeoutMinutes: 5, failOnSeverity: 'none' },
      { clients: { imageBuilder: clients.imageBuilder, ec2: clients.ec2 }, logger: new RecordingLogger(), clock },
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PollTimeoutError);
    expect(errorMessage(error)).toMatch(
      /^Image build not finished for (arn:aws:imagebuilder:\S+) after 5 min \(last state: BUILDING\)\. The build goes on in Image Builder: resume in a later job with `image-arn: \1`, or raise timeout-minutes\.$/,
    );
    // Polled at the steady 5 s, not hammering: about one GetImage per 5 s of the 5 minutes.
    expect(clock.sleeps.length).toBeLessThanOrEqual(5 * 12 + 3);
    await invariant(true, [errorMessage(error)], 'git says what runs');
  });

  fault('F04', async () => {
    const runId = String(Date.now());
    const before = await buildsStarted();
    // Five 429s: every attempt the SDK makes (maxAttempts 5) for the start of this run.
    await standin.configure({ throttle: { count: 5, operations: ['StartImagePipelineExecution'] } });
    const first = await patchJob({}, { GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '1' });

    expect(first.build.exitCode).toBe(1);
    expect(first.build.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /^Starting a build failed for \S+: StartImagePipelineExecution stayed throttled after the SDK's retries \(.*\)\. Re-run the job: the client token makes a re-run return the same build, never a second one\.$/,
    );
    expect(await buildsStarted()).toBe(before);

    const rerun = await patchJob({}, { GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '2' });
    expect(rerun.build.exitCode).toBe(0);
    expect(await buildsStarted()).toBe(before + 1);
    expect(rerun.prOpened).toBe(true);
    await invariant(false, said(rerun.build), 'git says what runs');
  });

  fault('F05', async () => {
    const before = await buildsStarted();
    const unknown = LOCAL_PIPELINE_ARN.replace('patch-dev-app', 'patch-dev-app-renamed');
    const { build } = await patchJob({ 'pipeline-arn': unknown });

    expect(build.exitCode).toBe(1);
    expect(build.annotations.find((a) => a.level === 'error')?.message).toMatch(
      new RegExp(`^Starting a build failed for ${unknown}: the pipeline does not exist \\(.*\\)\\. Check pipeline-arn \\(the image-pipeline stack's ImagePipelineArn output\\) and its region\\.$`),
    );
    expect(await buildsStarted()).toBe(before);
    await invariant(true, said(build), 'git says what runs');
  });

  fault('F06', async () => {
    // Six 429s on GetImage: one more than the SDK's five attempts, so poll() itself rides one out.
    await standin.configure({ throttle: { count: 6, operations: ['GetImage'] } });
    const { build, prOpened } = await patchJob();

    expect(build.exitCode).toBe(0);
    expect(build.outputs['ami-id']).toMatch(/^ami-[0-9a-f]+$/);
    expect((await standin.state()).config.throttle?.count ?? 0).toBe(0);
    expect(prOpened).toBe(true);
    await invariant(false, said(build), 'git says what runs');
  });

  fault('F07', async () => {
    const runId = String(Date.now());
    const first = await patchJob({}, { GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '1' });
    expect(first.build.exitCode).toBe(0);
    const before = await buildsStarted();

    // A later step failed (say, the PR); "Re-run failed jobs" runs attempt 2 of the same run.
    const rerun = await patchJob({}, { GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '2' });

    expect(rerun.build.exitCode).toBe(0);
    expect(rerun.build.outputs['image-arn']).toBe(first.build.outputs['image-arn']);
    expect(rerun.build.outputs['ami-id']).toBe(first.build.outputs['ami-id']);
    expect(rerun.build.stdout).toContain('reusing the build started in an earlier attempt');
    expect(await buildsStarted()).toBe(before);
    await invariant(false, said(rerun.build), 'git says what runs');
  });

  fault('F19', async () => {
    const port = await closedPort();
    const before = await buildsStarted();
    const { build } = await patchJob({}, { AWS_ENDPOINT_URL_IMAGEBUILDER: `http://127.0.0.1:${port}` });

    expect(build.exitCode).toBe(1);
    expect(build.annotations.find((a) => a.level === 'error')?.message).toMatch(
      new RegExp(`^Starting a build failed for \\S+: Image Builder could not be reached or failed \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)\\. Re-run the job: the client token makes a re-run return the same build, never a second one\\.$`),
    );
    expect(await buildsStarted()).toBe(before);
    await invariant(true, said(build), 'git says what runs');
  });

  fault('F195', async () => {
    // The first two GetImage answers of the wait are a proxy's HTML page and a body cut short.
    await standin.configure({ garble: { answers: ['html', 'truncated-json'] } });
    const { build, prOpened } = await patchJob();

    expect(build.exitCode).toBe(0);
    expect((await standin.state()).config.garble?.answers).toEqual([]);
    expect(build.outputs['ami-id']).toMatch(/^ami-[0-9a-f]+$/);
    expect(prOpened).toBe(true);
    await invariant(false, said(build), 'git says what runs');
  });

  fault('F196', async () => {
    // Every GetImage answer is the HTML page (more than the wait's bound of five failed polls).
    await standin.configure({ garble: { answers: Array.from({ length: 8 }, () => 'html' as const) } });
    const { build, prOpened } = await patchJob();

    expect(build.exitCode).toBe(1);
    const errors = build.annotations.filter((a) => a.level === 'error').map((a) => a.message);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^AWS \(or whatever answers at its endpoint\) sent an answer that is not a valid AWS answer, again after the retries: Unexpected token '<', "<html><bod"\.\.\. is not valid JSON\n\s*Deserialization error: .*\. Check AWS_ENDPOINT_URL\* and any proxy between the runner and AWS; anything already started in AWS carries on\. Re-run the job once AWS answers properly\.$/s,
    );
    expect(errors[0]).not.toMatch(/Unexpected error/);
    // Given up after the bound (five polls in a row), not at the 5-minute deadline: three answers were left.
    expect((await standin.state()).config.garble?.answers).toHaveLength(3);
    expect(build.outputs['image-arn']).toMatch(/:image\/patch-dev-app\//);
    expect(build.outputs['ami-id']).toBe('');
    expect(prOpened).toBe(false);
    await invariant(true, said(build), 'git says what runs');
  });

  fault('F197', async () => {
    await standin.configure({ phantomAmiNext: true });
    const { build, prOpened } = await patchJob();

    expect(build.exitCode).toBe(1);
    const phantom = (await standin.state()).builds.at(-1)?.ami?.imageId ?? 'none';
    expect(build.annotations.find((a) => a.level === 'error')?.message).toBe(
      `The AMI of ${build.outputs['image-arn']} is not usable: Image Builder reports the image AVAILABLE with ${phantom} in us-east-1, but EC2 there has no such AMI ` +
        '(deregistered since, or never created). Do not deploy it; start a new build with pipeline-arn.',
    );
    expect(build.outputs['ami-id']).toBe('');
    expect(prOpened).toBe(false);
    await invariant(true, said(build), 'git says what runs');
  });

  fault('F198', async () => {
    // timeout-minutes 1, the least build-ami takes. The bound below is no performance goal: it is
    // how long the test lets the step run before it kills it (exit 124), twice the deadline plus
    // the bundle's start, far below the 5 attempts × 60 s of silence the SDK alone would sit out.
    const silent = await silentServer();
    const before = await buildsStarted();
    try {
      const build = await runBundledAction(
        'build-ami',
        { 'pipeline-arn': LOCAL_PIPELINE_ARN, 'previous-ami-id': base, 'timeout-minutes': '1' },
        { ...localEnv(), GITHUB_WORKSPACE: repo.workspace.dir, AWS_ENDPOINT_URL_IMAGEBUILDER: silent.url },
        { timeoutMs: 150_000 },
      );

      expect(build.exitCode).toBe(1);
      expect(build.annotations.find((a) => a.level === 'error')?.message).toMatch(
        /^Starting a build failed for \S+: Image Builder StartImagePipelineExecution got no answer within timeout-minutes \(1 min\) \(no answer before the deadline \(.*\)\); the endpoint accepts connections but says nothing \(AWS_ENDPOINT_URL\*, a proxy, the network\)\. Re-run the job once Image Builder answers: the client token makes a re-run return the build this call may have started, never a second one\.$/,
      );
      expect(silent.connections()).toBeGreaterThanOrEqual(1);
      expect(build.outputs['ami-id']).toBe('');
      expect(await buildsStarted()).toBe(before);
      await invariant(true, said(build), 'git says what runs');
    } finally {
      await silent.close();
    }
  }, 'it', 180_000);
});

describe('faults (integration): deploying on moto with the bundled actions', () => {
  let patched: string;
  let web: { server: Server; url: string; serve: { status: number; amiId: string } };

  beforeAll(async () => {
    const registered = await localClients().ec2.send(new RegisterImageCommand({ Name: `patched-${Date.now()}`, RootDeviceName: '/dev/xvda', Architecture: 'x86_64', VirtualizationType: 'hvm' }));
    patched = registered.ImageId!;
    // The fleet's web app behind the load balancer (moto has no data plane): answers details.json as
    // told, as the instances of the stack's current ASG in turn (verify-alb counts no other answer).
    const serve = { status: 200, amiId: base };
    let answered = 0;
    const server = createHttpServer((_req, res) => {
      if (serve.status !== 200) return void res.writeHead(serve.status).end('Bad Gateway');
      void readFleet(localClients(), STACK).then(({ instanceIds }) => {
        const instanceId = instanceIds[answered++ % instanceIds.length];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ amiId: serve.amiId, instanceId, packageCount: 412 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    web = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, serve };
  });
  afterAll(async () => {
    await new Promise((resolve) => web.server.close(resolve));
  });
  beforeEach(() => {
    repo.remove();
    repo = createGitopsRepo(patched, base);
  });

  const verify = (ami: string) => step('verify-alb', { 'stack-name': STACK, 'expected-ami-id': ami, url: web.url, path: '/details.json', 'watch-seconds': '3', 'timeout-minutes': '1' });
  const update = () => step('update-app-stack', { 'stack-name': STACK, 'parameters-file': DEV_FILE, template: 'templates/app.yaml', 'rollback-monitoring-minutes': '0', 'ami-owners': DEV_AMI_OWNERS });

  /** The deploy job's Report step after resolve, update and the record step (`sync`); without `sync` the record step is given as failed. */
  const deployReport = (resolved: ActionRun, update: ActionRun, sync?: ActionRun) =>
    step('gitops', {
      command: 'deploy-report',
      environment: 'dev',
      'requested-ami-id': resolved.outputs['ami-id'],
      'previous-ami-id': resolved.outputs['previous-ami-id'],
      'prepare-outcome': 'success',
      'update-outcome': update.exitCode === 0 ? 'success' : 'failure',
      'stack-status': update.outputs['stack-status'] ?? '',
      ...(sync
        ? { 'sync-outcome': sync.exitCode === 0 ? 'success' : 'failure', 'sync-result': sync.outputs.outcome ?? '', 'sync-commit': sync.outputs.commit ?? '', 'live-ami-id': sync.outputs['live-ami-id'] ?? '' }
        : { 'sync-outcome': 'failure' }),
    });

  /**
   * The deploy job's steps (deploy-environment.yml: resolve, update, record, report) with one
   * endpoint a socket that accepts and never answers, for every step as a job-wide setting would
   * be. Each step is killed at 150 s (exit 124): the update takes timeout-minutes 1, its least, and
   * 150 s is twice that plus the bundle's start, far below the 5 attempts × 60 s of silence the SDK
   * alone would sit out. `record: false` gives the record step as failed without running it (its
   * wait for a silent CloudFormation lasts its own 30 minutes; F21 does the same).
   */
  async function deployAgainstSilent(endpoint: string, record: boolean) {
    const silent = await silentServer();
    const env = { ...localEnv(), GITHUB_WORKSPACE: repo.workspace.dir, GITHUB_TOKEN: 'local-token', [endpoint]: silent.url };
    try {
      const before = await snapshotStack(localClients().cloudFormation, STACK);
      const resolved = await step('gitops', { command: 'resolve-environment', environment: 'dev' });
      const run = await runBundledAction(
        'update-app-stack',
        { 'stack-name': STACK, 'parameters-file': DEV_FILE, template: 'templates/app.yaml', 'ami-owners': DEV_AMI_OWNERS, 'rollback-monitoring-minutes': '0', 'timeout-minutes': '1' },
        env,
        { timeoutMs: 150_000 },
      );
      const changed = diffSnapshots(before, await snapshotStack(localClients().cloudFormation, STACK));
      const sync = record ? await runBundledAction('gitops', { command: 'sync-from-stack', environment: 'dev', 'requested-ami-id': resolved.outputs['ami-id'] }, env, { timeoutMs: 150_000 }) : undefined;
      const report = await deployReport(resolved, run, sync);
      return { run, changed, sync, report, connections: silent.connections() };
    } finally {
      await silent.close();
    }
  }

  /** The update step's message for a call its deadline cut off before anything was changed. */
  const cutOffBeforeAnyChange = (call: string) =>
    new RegExp(
      `^Update of stack patch-dev-app did not start: ${call} got no answer within timeout-minutes \\(1 min\\) \\(no answer before the deadline \\(.*\\)\\); ` +
        'the endpoint accepts connections but says nothing \\(AWS_ENDPOINT_URL\\*, a proxy, the network\\)\\. Nothing was changed in AWS by this run\\. Re-run the job once AWS answers\\.$',
    );

  fault('F201', async () => {
    // The first call is the stack's DescribeStacks, before any wait.
    const { run, changed, report, connections } = await deployAgainstSilent('AWS_ENDPOINT_URL_CLOUDFORMATION', false);

    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(cutOffBeforeAnyChange('CloudFormation DescribeStacks'));
    expect(connections).toBeGreaterThanOrEqual(1);
    expect(run.outputs['stack-status'] ?? '').toBe('');
    expect(changed).toEqual([]);
    await invariant(true, said(run, report), 'failed loudly');
  }, 'it', 240_000);

  fault('F202', async () => {
    // CloudFormation answers; EC2, asked whether the new AMI exists and may be deployed, does not.
    // The record step needs CloudFormation only: it records that dev still runs the old AMI.
    const { run, changed, sync, report, connections } = await deployAgainstSilent('AWS_ENDPOINT_URL_EC2', true);

    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(cutOffBeforeAnyChange('EC2 DescribeImages'));
    expect(connections).toBeGreaterThanOrEqual(1);
    expect(run.outputs['previous-ami-id']).toBe(base);
    expect(changed).toEqual([]);
    expect(sync?.outputs).toMatchObject({ outcome: 'pushed', 'live-ami-id': base });
    await invariant(true, said(run, report), 'git says what runs');
  }, 'it', 240_000);

  describe('F21: the CloudFormation endpoint refuses connections during a deploy', () => {
    let resolved: ActionRun;
    let run: ActionRun;
    let report: ActionRun;
    let changed: string[];
    beforeAll(async () => {
      // Runs before the beforeEach that makes each test's repository: this one needs its own.
      repo = createGitopsRepo(patched, base);
      const port = await closedPort();
      const before = await snapshotStack(localClients().cloudFormation, STACK);
      // The deploy job's steps on the bundles (deploy-environment.yml): resolve, update, report.
      resolved = await step('gitops', { command: 'resolve-environment', environment: 'dev' });
      run = await step('update-app-stack', { 'stack-name': STACK, 'parameters-file': DEV_FILE, template: 'templates/app.yaml', 'ami-owners': DEV_AMI_OWNERS }, { AWS_ENDPOINT_URL_CLOUDFORMATION: `http://127.0.0.1:${port}` });
      changed = diffSnapshots(before, await snapshotStack(localClients().cloudFormation, STACK));
      // The record step cannot reach CloudFormation either and fails after its 30-minute wait (run
      // through the whole job, that wait included, in test/unit/reliability/faults.test.ts).
      report = await deployReport(resolved, run);
    });

    it('F21 on the update-app-stack bundle: exit 1, nothing changed in AWS, re-run; stack unchanged', () => {
      expect(run.exitCode).toBe(1);
      expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
        /^Update of stack patch-dev-app did not start: AWS could not be reached or kept failing after the SDK's retries \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)\. Nothing was changed in AWS by this run\. Re-run the job once AWS answers\.$/,
      );
      expect(run.summary).toContain('### What went wrong');
      expect(run.outputs['stack-status'] ?? '').toBe('');
      expect(changed).toEqual([]);
    });

    // git says `patched` (merged), the stack runs `base`: the report names both, base by git history.
    fault('F21', async () => {
      expect(resolved.outputs).toMatchObject({ 'ami-id': patched, 'previous-ami-id': base });
      expect(report.exitCode).toBe(1);
      const verdict = await invariant(true, said(run, report), 'failed loudly');
      expect(verdict.holds === 'failed loudly' && verdict.statement).toContain(`by git history dev still runs ${base} (the AMI before HEAD's; this could not be confirmed with AWS)`);
    });
  });

  fault('F15', async () => {
    // The deploy job of deploy-environment.yml, step by step, on the bundles.
    const resolved = await step('gitops', { command: 'resolve-environment', environment: 'dev' });
    expect(resolved.outputs['ami-id']).toBe(patched);
    const updated = await update();
    expect(updated.exitCode).toBe(0);
    expect(await stackAmi()).toBe(patched);
    // moto leaves the replaced group's terminated instances registered; AWS deregisters them itself.
    await deregisterTerminatedTargets(localClients(), STACK);

    // Green is up and healthy to the load balancer, but the app on it answers 502.
    web.serve.status = 502;
    const verified = await verify(patched);
    expect(verified.exitCode).toBe(1);
    expect(verified.annotations.find((a) => a.level === 'error')?.message).toMatch(/HTTP error rate 100(\.0)? ?% \(\d+ of \d+ samples\) exceeds max-error-rate 0/);

    const prepared = await step('gitops', { command: 'prepare-failback', environment: 'dev', 'previous-ami-id': updated.outputs['previous-ami-id'] });
    expect(prepared.outputs['ami-id']).toBe(base);
    const failedBack = await update();
    expect(failedBack.exitCode).toBe(0);
    await deregisterTerminatedTargets(localClients(), STACK);
    web.serve.status = 200;
    web.serve.amiId = base;
    const reverified = await verify(base);
    expect(reverified.exitCode).toBe(0);

    const sync = await step('gitops', { command: 'sync-from-stack', environment: 'dev', 'requested-ami-id': patched, 'failed-back': 'true' });
    expect(sync.outputs).toMatchObject({ outcome: 'pushed', 'live-ami-id': base });
    const report = await step('gitops', {
      command: 'deploy-report',
      environment: 'dev',
      'requested-ami-id': patched,
      'prepare-outcome': 'success',
      'update-outcome': 'success',
      'verify-outcome': 'failure',
      'failback-update-outcome': 'success',
      'failback-verify-outcome': 'success',
      'sync-outcome': 'success',
      'failback-ami-id': base,
      'sync-result': 'pushed',
      'sync-commit': sync.outputs.commit,
      'live-ami-id': base,
    });
    expect(report.exitCode).toBe(1);
    await invariant(true, said(verified, report), 'git says what runs');
  });
});

describe('faults (integration): verification that could be fooled, on the verify-alb bundle', () => {
  /** A details.json server on 127.0.0.1 answering every request with `answer()`. */
  async function detailsServer(answer: () => { status: number; body: string }): Promise<{ url: string; close: () => Promise<void> }> {
    const server = createHttpServer((_req, res) => {
      const { status, body } = answer();
      res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'text/html' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }
  const verifyOn = (ami: string, url: string, maxErrorRate: string) =>
    step('verify-alb', { 'stack-name': STACK, 'expected-ami-id': ami, url, path: '/details.json', 'watch-seconds': '3', 'max-error-rate': maxErrorRate, 'timeout-minutes': '1' });

  beforeEach(async () => {
    // moto leaves replaced instances registered; AWS deregisters them itself.
    await deregisterTerminatedTargets(localClients(), STACK);
  });

  fault('F54', async () => {
    const ami = await stackAmi();
    // The expected AMI, from an instance the stack's current ASG does not own.
    const stray = await detailsServer(() => ({ status: 200, body: JSON.stringify({ amiId: ami, instanceId: 'i-0a1b2c3d4e5f60718', packageCount: 412 }) }));
    try {
      const run = await verifyOn(ami, stray.url, '1');
      expect(run.exitCode).toBe(1);
      expect(run.outputs.healthy).toBe('false');
      const { autoScalingGroup } = await readFleet(localClients(), STACK);
      expect(run.annotations.find((a) => a.level === 'error')?.message).toContain(
        `answered as i-0a1b2c3d4e5f60718 on ${ami}, which is not an instance of the current ASG ${autoScalingGroup}: a response from outside the fleet proves nothing`,
      );
      await invariant(true, said(run), 'git says what runs');
    } finally {
      await stray.close();
    }
  });

  fault('F55', async () => {
    const ami = await stackAmi();
    const failing = await detailsServer(() => ({ status: 503, body: '<html>503 Service Unavailable</html>' }));
    try {
      const run = await verifyOn(ami, failing.url, '1');
      expect(run.exitCode).toBe(1);
      expect(run.outputs).toMatchObject({ healthy: 'false', 'error-rate': '1' });
      expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
        new RegExp(`None of the 3 HTTP samples was a good answer from the fleet on ${ami}, so nothing was verified, whatever max-error-rate \\(100 %\\) allows; first: HTTP 503`),
      );
      await invariant(true, said(run), 'git says what runs');
    } finally {
      await failing.close();
    }
  });

  fault('F200', async () => {
    // verify-alb reads the stack (DescribeStacks) before its health wait: CloudFormation is a
    // socket that accepts and never answers. Killed at 150 s as in F198.
    const silent = await silentServer();
    try {
      const run = await runBundledAction(
        'verify-alb',
        { 'stack-name': STACK, 'expected-ami-id': await stackAmi(), path: '/details.json', 'watch-seconds': '3', 'timeout-minutes': '1' },
        { ...localEnv(), GITHUB_WORKSPACE: repo.workspace.dir, AWS_ENDPOINT_URL_CLOUDFORMATION: silent.url },
        { timeoutMs: 150_000 },
      );

      expect(run.exitCode).toBe(1);
      expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
        /^Verifying stack patch-dev-app stopped: CloudFormation DescribeStacks got no answer within timeout-minutes \(1 min\) \(no answer before the deadline \(.*\)\); the endpoint accepts connections but says nothing \(AWS_ENDPOINT_URL\*, a proxy, the network\)\. verify-alb only reads, so nothing was changed: re-run it once AWS answers\.$/,
      );
      expect(silent.connections()).toBeGreaterThanOrEqual(1);
      expect(run.outputs.healthy ?? '').not.toBe('true');
      await invariant(true, said(run), 'git says what runs');
    } finally {
      await silent.close();
    }
  }, 'it', 180_000);
});

describe('the integration fault suite', () => {
  it('implements every integration row of the catalogue, and only those', () => {
    // The git-only rows (record races) are in record-races.test.ts.
    expect([...IMPLEMENTED].sort()).toEqual(casesOf(FAULTS, 'integration').filter((c) => !GIT_RACE_ROWS.includes(c.id) && !Object.values(INTEGRATION_ROWS_ELSEWHERE).flat().includes(c.id)).map((c) => c.id).sort());
  });
});
