/**
 * The deploy job of .github/workflows/deploy-environment.yml, step by step, with the product's own
 * logic in every step (the gitops commands, updateAppStack and its summary) against the AwsWorld
 * mocks and a real git repository. Only two things are scripted: the verification's verdict
 * (verify-alb's own checks have their own tests; here what matters is how the job reacts) and
 * the role assumption. The step list and every `if:` are checked against the workflow file
 * (`DEPLOY_JOB_STEPS`), so this simulation cannot silently drift from what GitHub runs.
 */
import { join } from 'node:path';

import type { VirtualClock } from '../../../../actions/lib/clock';
import { createUpdateReport, updateAppStack, type UpdateAppStackInputs } from '../../../../actions/lib/cloudformation/update-app-stack';
import type { GreenRequest, GreenVerdict, GreenVerifier } from '../../../../actions/lib/cloudformation/window-verification';
import { renderUpdateSummary, updateAppStackOutputs } from '../../../../actions/lib/cloudformation/update-summary';
import { errorMessage } from '../../../../actions/lib/errors';
import { RecordingLogger } from '../../../../actions/lib/logger';
import { DEFAULT_MONITORING_MINUTES, DEFAULT_TIMEOUT_MINUTES } from '../../../../actions/update-app-stack/src/inputs';
import { statementsOf } from './invariant';
import { runGitops, type GitopsRepo } from './repo';

/** The job's steps as deploy-environment.yml declares them: name, id and `if:` (undefined = success()). */
export const DEPLOY_JOB_STEPS: ReadonlyArray<{ name: string; id?: string; if?: string }> = [
  { name: 'Mint a GitHub App token', id: 'app-token', if: "vars.PATCH_APP_ID != ''" },
  { name: "Check out the default branch's HEAD" },
  { name: 'Validate the failback request and choose the target', id: 'request', if: 'inputs.failback' },
  { name: 'Assume the deploy role for the failback', id: 'failback-credentials', if: 'inputs.failback' },
  { name: 'Check the failback target AMI', id: 'check-target', if: 'inputs.failback' },
  { name: 'Record the requested failback', id: 'record', if: 'inputs.failback' },
  { name: 'Resolve what HEAD says', id: 'resolve' },
  { name: 'Assume the deploy role', id: 'credentials', if: '${{ !inputs.failback }}' },
  { name: 'Check the wave gate', id: 'gate' },
  // Not simulated: strategy slots only (staging ahead); test/unit/lib/gitops/stage-commands.test.ts runs them.
  { name: 'Check the switch', id: 'check-switch', if: "steps.resolve.outputs.strategy == 'slots' && !inputs.failback" },
  { name: 'Update the app stack', id: 'update' },
  { name: 'Verify the fleet through the load balancer', id: 'verify' },
  { name: 'Propose the switch', id: 'propose-switch', if: "steps.update.outputs.stage-evidence != ''" },
  // Not simulated: strategy slots only (this job deploys the replace fixture), so skipped here;
  // test/unit/lib/gitops/retire-commands.test.ts and test/integration/retire-slots.test.ts run them.
  { name: "Bake, then decide the old slot's retirement", id: 'bake', if: "steps.resolve.outputs.strategy == 'slots' && !inputs.failback" },
  { name: 'Retire the old slot', id: 'retire', if: "steps.bake.outputs.retire == 'true'" },
  { name: 'Record the retirement', id: 'record-retirement', if: "steps.bake.outputs.record == 'true' && steps.retire.outcome != 'failure'" },
  { name: 'Verify the live slot after the retirement', id: 'retire-verify', if: "${{ !cancelled() && steps.retire.outcome == 'success' }}" },
  {
    name: 'Choose the AMI to fail back to',
    id: 'prepare-failback',
    if: "failure() && (steps.verify.outcome == 'failure' || steps.bake.outputs.failed-in-window == 'true') && !inputs.failback",
  },
  { name: 'Fail back the app stack', id: 'failback-update', if: "failure() && steps.prepare-failback.outcome == 'success'" },
  { name: 'Verify the failback', id: 'failback-verify', if: "failure() && steps.failback-update.outcome == 'success'" },
  // Its last clause (a stage held back by an open bake window) is true here: these jobs deploy strategy replace, without check-switch.
  { name: 'Record what runs', id: 'sync', if: "failure() && (steps.credentials.outcome == 'success' || steps.record.outcome == 'success') && steps.check-switch.outputs.stage-wait == ''" },
  { name: 'Report', id: 'report', if: 'always()' },
  // Not simulated: the wiring here names no channel, so it would send nothing; the notify command
  // has its own tests (notify-command.test.ts, integration/notify.test.ts).
  { name: 'Notify', if: 'always()' },
];

type Outcome = 'success' | 'failure' | 'skipped';
type StepId = 'request' | 'failback-credentials' | 'check-target' | 'record' | 'resolve' | 'credentials' | 'gate' | 'update' | 'verify' | 'prepare-failback' | 'failback-update' | 'failback-verify' | 'sync' | 'report';

export interface DeployJobOptions {
  environment?: string;
  /** Set for a deploy started by the Failback workflow (its target-ami input: empty = the previous AMI in git history). */
  failback?: { ami: string; reason: string; requestedBy: string; /** github.sha of the Failback run (default: HEAD at the job's checkout). */ baseCommit?: string };
  /** The verification's verdict for an AMI. Default: healthy when the stack runs the AMI expected. */
  healthy?: (expectedAmi: string, runningAmi: string) => boolean;
  /** Run id/attempt of this job (a re-run has the same id and attempt + 1). */
  run?: { id: string; attempt: string };
  /**
   * The update step's verification of green inside the rollback-trigger window (strategy replace).
   * Default: `healthy` for the AMI the stack runs then, after the 60 s watch on the clock.
   */
  greenVerify?: (request: GreenRequest) => Promise<GreenVerdict>;
}

/** The wiring's verify.watchSeconds for dev, which the update step's window verification also watches. */
const WATCH_SECONDS = 60;

export interface DeployJobResult {
  ok: boolean;
  outcomes: Record<StepId, Outcome>;
  outputs: Partial<Record<StepId, Record<string, string | number | boolean | undefined>>>;
  /** Each failed step's message. */
  failures: Partial<Record<StepId, string>>;
  /** The job summary: every step's summary, in order. */
  summaries: string[];
  headline: string;
  /** Everything the job said, statement by statement (for the invariant). */
  said: string[];
}

export interface DeployJobWorld {
  repo: GitopsRepo;
  clock: VirtualClock;
  runningAmi(): string;
}

/** Runs the deploy job once, as GitHub would after the environment's approval. */
export async function runDeployJob(world: DeployJobWorld, options: DeployJobOptions = {}): Promise<DeployJobResult> {
  const environment = options.environment ?? 'dev';
  const logger = new RecordingLogger();
  const ctx = world.repo.context(world.clock, logger);
  const healthy = options.healthy ?? ((expected, running) => expected === running);
  const outcomes = Object.fromEntries(
    (['request', 'failback-credentials', 'check-target', 'record', 'resolve', 'credentials', 'gate', 'update', 'verify', 'prepare-failback', 'failback-update', 'failback-verify', 'sync', 'report'] as StepId[]).map((s) => [s, 'skipped']),
  ) as Record<StepId, Outcome>;
  const outputs: DeployJobResult['outputs'] = {};
  const failures: DeployJobResult['failures'] = {};
  const summaries: string[] = [];
  const failed = () => Object.values(outcomes).includes('failure');

  const step = async (id: StepId, body: () => Promise<{ outputs?: Record<string, string | number | boolean | undefined>; summary?: string; failure?: string }>) => {
    try {
      const result = await body();
      outputs[id] = result.outputs ?? {};
      if (result.summary) summaries.push(result.summary);
      outcomes[id] = result.failure ? 'failure' : 'success';
      if (result.failure) failures[id] = result.failure;
    } catch (error) {
      outcomes[id] = 'failure';
      failures[id] = errorMessage(error);
    }
  };

  const updateStep = (id: 'update' | 'failback-update') =>
    step(id, async () => {
      const resolved = outputs.resolve ?? {};
      const inputs: UpdateAppStackInputs = {
        stackName: String(resolved['app-stack']),
        region: String(resolved.region),
        parametersFile: join(world.repo.workspace.dir, String(resolved['parameters-file'])),
        templateFile: join(world.repo.workspace.dir, String(resolved['app-template'])),
        mode: 'deploy',
        timeoutMinutes: DEFAULT_TIMEOUT_MINUTES,
        rollbackMonitoringMinutes: DEFAULT_MONITORING_MINUTES,
        run: { id: options.run?.id ?? '42', attempt: options.run?.attempt ?? '1', commit: String(resolved['head-sha']) },
      };
      const report = createUpdateReport(inputs, world.clock.now());
      // deploy-environment.yml passes the verify inputs to the update step: green is verified in the window.
      const greenVerifier: GreenVerifier = {
        watchSeconds: WATCH_SECONDS,
        verify:
          options.greenVerify ??
          (async ({ amiId }) => {
            world.clock.advance(WATCH_SECONDS * 1_000);
            return healthy(amiId, world.runningAmi()) ? { healthy: true, failures: [] } : { healthy: false, failures: [`HTTP error rate 100 % (scripted verdict on ${amiId})`] };
          }),
      };
      const deps = { clients: ctx.aws(inputs.region), logger, clock: world.clock, greenVerifier };
      try {
        await updateAppStack(inputs, deps, report);
      } catch (error) {
        // main.ts: outputs and the summary are written on failure too.
        return { outputs: updateAppStackOutputs(report), summary: renderUpdateSummary(report, errorMessage(error)), failure: errorMessage(error) };
      }
      return { outputs: updateAppStackOutputs(report), summary: renderUpdateSummary(report) };
    });

  const verifyStep = (id: 'verify' | 'failback-verify', expected: string) =>
    step(id, async () => {
      const running = world.runningAmi();
      return healthy(expected, running)
        ? { outputs: { healthy: true } }
        : { outputs: { healthy: false }, failure: `Verification of the fleet on ${expected} failed (scripted verdict; the stack runs ${running}).` };
    });

  // actions/checkout with ref: the default branch, when the job starts (not the triggering commit).
  world.repo.checkout();
  if (options.failback) {
    const { ami, reason, requestedBy, baseCommit } = options.failback;
    const base = baseCommit ?? world.repo.workspace.git('rev-parse', 'HEAD').trim();
    await step('request', () => runGitops('resolve-failback', { environment, 'target-ami': ami, reason, 'requested-by': requestedBy }, ctx));
    if (!failed()) outcomes['failback-credentials'] = 'success';
    const target = () => String(outputs.request?.['target-ami-id']);
    if (!failed()) await step('check-target', () => runGitops('check-image', { environment, 'ami-id': target() }, ctx));
    if (!failed()) await step('record', () => runGitops('record-failback', { environment, 'target-ami': target(), reason, 'requested-by': requestedBy, 'base-commit': base }, ctx));
  }
  if (!failed()) await step('resolve', () => runGitops('resolve-environment', { environment }, ctx));
  if (!failed() && !options.failback) outcomes.credentials = 'success';
  if (!failed()) await step('gate', () => runGitops('check-wave-gate', { environment }, ctx));
  if (!failed()) await updateStep('update');
  if (!failed()) await verifyStep('verify', String(outputs.resolve?.['ami-id']));
  if (failed() && outcomes.verify === 'failure' && !options.failback) {
    await step('prepare-failback', () => {
      const previous = outputs.update?.['previous-ami-id'];
      return runGitops('prepare-failback', { environment, ...(previous ? { 'previous-ami-id': String(previous) } : {}) }, ctx);
    });
  }
  if (failed() && outcomes['prepare-failback'] === 'success') await updateStep('failback-update');
  if (failed() && outcomes['failback-update'] === 'success') await verifyStep('failback-verify', String(outputs['prepare-failback']?.['ami-id']));
  if (failed() && (outcomes.credentials === 'success' || outcomes.record === 'success')) {
    await step('sync', () =>
      runGitops('sync-from-stack', { environment, 'requested-ami-id': String(outputs.resolve?.['ami-id']), 'failed-back': String(outcomes['failback-update'] === 'success') }, ctx),
    );
  }

  const text = (v: unknown) => (v === undefined ? '' : String(v));
  const raw: Record<string, string> = {
    environment,
    'requested-ami-id': text(outputs.resolve?.['ami-id']),
    'is-failback': String(Boolean(options.failback)),
    'prepare-outcome': outcomes.gate,
    'update-outcome': outcomes.update,
    'verify-outcome': outcomes.verify,
    'failback-update-outcome': outcomes['failback-update'],
    'failback-verify-outcome': outcomes['failback-verify'],
    'sync-outcome': outcomes.sync,
    changed: text(outputs.update?.changed),
    'stack-status': text(outputs.update?.['stack-status']),
    'failback-ami-id': text(outputs['prepare-failback']?.['ami-id']),
    'sync-result': text(outputs.sync?.outcome),
    'sync-commit': text(outputs.sync?.commit),
    'sync-pull-request-url': text(outputs.sync?.['pull-request-url']),
    'sync-superseded-by': text(outputs.sync?.['superseded-by']),
    'sync-superseded-by-ami-id': text(outputs.sync?.['superseded-by-ami-id']),
    'live-ami-id': text(outputs.sync?.['live-ami-id']),
    'stack-previous-ami-id': text(outputs.update?.['previous-ami-id']),
    'failed-step': text(outputs.update?.['failed-step']),
    'flipped-back-to': text(outputs.update?.['flipped-back-to']),
    'previous-ami-id': text(outputs.resolve?.['previous-ami-id']),
    'failback-target-ami-id': text(outputs.request?.['target-ami-id']),
    'failback-reason': text(options.failback?.reason),
    'failback-requested-by': text(options.failback?.requestedBy),
    'record-outcome': outcomes.record,
    'record-result': text(outputs.record?.outcome),
    'record-commit': text(outputs.record?.commit),
    'record-pull-request-url': text(outputs.record?.['pull-request-url']),
    'record-replaced-ami-id': text(outputs.record?.['replaced-ami-id']),
    'record-superseded-by': text(outputs.record?.['superseded-by']),
    'record-superseded-by-ami-id': text(outputs.record?.['superseded-by-ami-id']),
    // github.run_id, the run runUrl names: a verdict that asks for a re-run names gh run rerun 42 --failed.
    'run-id': '42',
  };
  // The runner passes an unset output as an empty string; the action reads "" as absent.
  const report = await runGitops('deploy-report', Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '')), ctx);
  outcomes.report = report.failure ? 'failure' : 'success';
  if (report.summary) summaries.push(report.summary);
  const headline = String(report.outputs.headline);
  return {
    ok: report.outputs.ok === true,
    outcomes,
    outputs,
    failures,
    summaries,
    headline,
    said: statementsOf([...Object.values(failures), headline, ...summaries]),
  };
}
