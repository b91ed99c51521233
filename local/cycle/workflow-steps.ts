/**
 * The steps the workflows run, run here with the real bundled actions (runBundledAction) against
 * moto and the Image Builder stand-in, in the scratch clone. Each returns what the next step
 * needs and throws a CycleCheckError when the step did not do what the workflow relies on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import type { AwsClients } from '../../actions/lib/aws/clients';
import type { EnvironmentConfig } from '../../actions/lib/parameters';
import type { DataPlane } from '../data-plane';
import type { LoadGenerator } from '../data-plane/load-generator';
import type { GitHubStandin } from '../github-standin/server';
import type { StandinControl } from '../imagebuilder-standin/client';
import { runBundledAction, type ActionRun } from '../run-action';
import type { CycleNotifications } from './notify-phase';
import type { ScratchRepo } from './scratch-repo';
import { CycleCheckError, type PhaseContext } from './timeline';
import type { DeployTraffic, ExcusedWindow } from './traffic';

export interface CycleContext {
  /** The environment that points every SDK call at moto, the stand-in and the data plane's ELBv2 front. */
  awsEnv: Record<string, string | undefined>;
  clients: AwsClients;
  standin: StandinControl;
  repo: ScratchRepo;
  environment: EnvironmentConfig;
  pipelineArn: string;
  /** Real HTTP behind moto's load balancer. */
  dataPlane: DataPlane;
  /** The app's users (started once the stacks are up), and what they saw per deploy. */
  traffic: {
    users?: LoadGenerator;
    listenerUrl?: string;
    startedAt?: number;
    deploys: DeployTraffic[];
    /** Where failed requests are explained (moto's replacement gap, a scenario's broken AMI) rather than a broken promise. */
    excused: ExcusedWindow[];
  };
  /** Every step's job summary (what GitHub shows on the run's page), saved in `dir` in the order the steps ran. */
  summaries: { dir: string; saved: string[] };
  /** Where the Notify step sends: moto's SNS topic and the webhook stand-in (local/cycle/notify-phase.ts). */
  notifications?: CycleNotifications;
  /** The GitHub API stand-in over the scratch repository (local/github-standin/): every step's GITHUB_API_URL. */
  github?: GitHubStandin;
}

/** The job's token: a local push and the GitHub API stand-in, which checks no token. */
export const LOCAL_TOKEN = 'local-cycle-token-not-a-github-token';

/**
 * Runs a bundled action in the scratch checkout. Unless `expectFailure`, a non-zero exit is a
 * failed check carrying the action's error annotations (what a workflow run would show in red).
 */
export async function runStep(
  ctx: CycleContext,
  name: string,
  inputs: Record<string, string>,
  options: { expectFailure?: boolean; summaryLabel?: string } = {},
): Promise<ActionRun> {
  // GITHUB_API_URL is how a runner points Octokit at its GitHub: here, the stand-in (unset: nowhere, runBundledAction's .invalid).
  const github = ctx.github ? { GITHUB_API_URL: ctx.github.apiUrl } : {};
  const run = await runBundledAction(name, inputs, { ...ctx.awsEnv, GITHUB_WORKSPACE: ctx.repo.checkout.dir, GITHUB_TOKEN: LOCAL_TOKEN, ...github }, { timeoutMs: 5 * 60_000 });
  saveSummary(ctx, run, [options.summaryLabel, describe(name, inputs)]);
  if (run.exitCode !== 0 && !options.expectFailure) {
    throw new CycleCheckError(`${describe(name, inputs)} failed (exit ${run.exitCode})`, failureLines(run));
  }
  if (run.exitCode === 0 && options.expectFailure) {
    throw new CycleCheckError(`${describe(name, inputs)} succeeded, but this scenario needs it to fail`);
  }
  return run;
}

/**
 * Keeps the step's job summary under summaries/ as NN-<label>-<step>.md, failed steps included
 * (their summary says what went wrong): a runner shows it on the run's page, the cycle keeps it.
 */
function saveSummary(ctx: CycleContext, run: ActionRun, name: ReadonlyArray<string | undefined>): void {
  if (run.summary.trim() === '') return;
  mkdirSync(ctx.summaries.dir, { recursive: true });
  const slug = name.filter(Boolean).join('-').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-|-$/g, '');
  const file = join(ctx.summaries.dir, `${String(ctx.summaries.saved.length + 1).padStart(2, '0')}-${slug}.md`);
  writeFileSync(file, run.summary);
  ctx.summaries.saved.push(file);
}

function describe(name: string, inputs: Record<string, string>): string {
  return inputs.command ? `${name} ${inputs.command}` : inputs.mode ? `${name} (mode ${inputs.mode})` : name;
}

/** The error annotations of a run, or the end of its stderr when it printed none. */
export function failureLines(run: ActionRun): string[] {
  // With the file and line the runner would annotate (a bad parameters file names both).
  const errors = run.annotations.filter((a) => a.level === 'error').map((a) => `error: ${a.properties.file ? `${a.properties.file}${a.properties.line ? `:${a.properties.line}` : ''}: ` : ''}${a.message}`);
  if (errors.length) return errors;
  return run.stderr.trim().split('\n').filter((l) => !/NodeVersionSupportWarning|versions published|node >=22|upgrade to node|a\.co\/|trace-warnings|^\s*$/.test(l)).slice(-5);
}

export function expectOutput(run: ActionRun, name: string, expected: string | RegExp, step: string): string {
  const value = run.outputs[name] ?? '';
  const ok = typeof expected === 'string' ? value === expected : expected.test(value);
  if (!ok) throw new CycleCheckError(`${step}: output ${name} is "${value}", expected ${typeof expected === 'string' ? `"${expected}"` : expected}`);
  return value;
}

/** The first line of a markdown blob, without markup: for notes. */
export function headline(markdown: string): string {
  return (markdown.split('\n').find((l) => l.trim() !== '') ?? '').replace(/[*`#]/g, '').trim();
}

/** build-ami's inputs as patch-pr.yml passes them (fail-on-severity: what a team sets in PATCH_FAIL_ON_SEVERITY). */
export function buildInputs(ctx: CycleContext, previousAmi: string, region: string, amiOwners = ''): Record<string, string> {
  return { 'pipeline-arn': ctx.pipelineArn, 'previous-ami-id': previousAmi, region, 'fail-on-severity': 'CRITICAL', 'timeout-minutes': '5', 'ami-owners': amiOwners };
}

/** build-ami: bake a patched AMI from the pipeline, diffed against the AMI the environment runs. */
export async function buildAmi(ctx: CycleContext, phase: PhaseContext, job: JobEnvironment): Promise<{ ami: string; imageArn: string; run: ActionRun }> {
  const run = await runStep(ctx, 'build-ami', buildInputs(ctx, job.amiId, job.region, job.amiOwners));
  const ami = expectOutput(run, 'ami-id', /^ami-[0-9a-f]+$/, 'build-ami');
  const imageArn = expectOutput(run, 'image-arn', /^arn:aws:imagebuilder:/, 'build-ami');
  phase.note(`${imageArn} → ${ami}`);
  phase.note(headline(run.outputs['package-diff-markdown'] ?? '') || 'no package diff');
  const findings = JSON.parse(run.outputs['findings-json'] || '{}') as { counts?: Record<string, number> };
  if (findings.counts) phase.note(`open findings (stand-in fixtures): ${Object.entries(findings.counts).map(([k, v]) => `${k} ${v}`).join(', ')}; fail-on-severity CRITICAL`);
  const delta = headline(run.outputs['findings-delta-markdown'] ?? '');
  if (delta) phase.note(delta);
  return { ami, imageArn, run };
}

/** What a job reads from `gitops resolve-environment`: the wiring and the AMI the parameters file names at HEAD. */
export interface JobEnvironment {
  name: string;
  region: string;
  appStack: string;
  parametersFile: string;
  appTemplate: string;
  amiId: string;
  verifyPath: string;
  maxErrorRate: string;
  watchSeconds: string;
  /** The environment's AMI owner allowlist, for update-app-stack's and build-ami's ami-owners. */
  amiOwners: string;
  /** The wiring's strategy (replace or slots) and, for slots, its canary settings. */
  strategy: string;
  canaryWeight: string;
  canarySeconds: string;
}

/** gitops resolve-environment, as every workflow job starts. */
export async function resolveEnvironment(ctx: CycleContext, phase: PhaseContext): Promise<JobEnvironment> {
  const run = await gitops(ctx, 'resolve-environment', {});
  const job: JobEnvironment = {
    name: expectOutput(run, 'environment', ctx.environment.name, 'resolve-environment'),
    region: expectOutput(run, 'region', /^[a-z]{2}-[a-z]+-\d$/, 'resolve-environment'),
    appStack: expectOutput(run, 'app-stack', /\S/, 'resolve-environment'),
    parametersFile: expectOutput(run, 'parameters-file', /\S/, 'resolve-environment'),
    appTemplate: expectOutput(run, 'app-template', /\S/, 'resolve-environment'),
    amiId: expectOutput(run, 'ami-id', /^ami-[0-9a-f]+$/, 'resolve-environment'),
    verifyPath: run.outputs['verify-path'] ?? '',
    maxErrorRate: run.outputs['max-error-rate'] ?? '0',
    watchSeconds: run.outputs['watch-seconds'] ?? '',
    amiOwners: expectOutput(run, 'ami-owners', /^\S+$/, 'resolve-environment'),
    strategy: run.outputs.strategy ?? 'replace',
    canaryWeight: run.outputs['canary-weight'] ?? '',
    canarySeconds: run.outputs['canary-seconds'] ?? '',
  };
  phase.note(`${job.name}: ${job.appStack} in ${job.region} (strategy ${job.strategy}); ${job.parametersFile} at ${run.outputs['head-sha']?.slice(0, 12)} names ${job.amiId}`);
  return job;
}

/**
 * The slots deploy's canary, locally: the wiring's weight, for a few seconds instead of its
 * canarySeconds (120 s for dev), so the cycle stays short. The users' counts show the share either way.
 */
export const LOCAL_CANARY_SECONDS = 6;

/**
 * The rollback-trigger window of a replace deploy, locally: 1 minute instead of the shipped 5, the
 * shortest CloudFormation has (whole minutes) that holds the window verification (the watch, green's
 * targets and the cancel's margin: window-verification.ts). moto holds it in wall-clock minutes
 * (docs/moto.md #22), so a good replace deploy waits it out for real; a bad one is cancelled inside it.
 * Only the deploy job's dev deploys hold it (`npm run cycle -- --strategy replace`): the promotion's
 * prod deploy runs without one, since a minute's wait there would lengthen `make cycle` and prove
 * nothing the dev deploys do not.
 */
export const LOCAL_REPLACE_WINDOW_MINUTES = 1;

/**
 * update-app-stack in preview or deploy mode, with the job's parameters file and template, and the
 * inputs deploy-environment.yml passes in deploy mode: the verify URL on the data plane and the
 * shortened watch for both strategies (slots: every slot verification; replace: green inside the
 * rollback-trigger window), the shortened canary for slots, and `failback` for a requested failback.
 */
export async function updateAppStack(
  ctx: CycleContext,
  job: JobEnvironment,
  mode: 'preview' | 'deploy',
  /**
   * `replaceWindow`: a replace deploy holds the local rollback-trigger window (the deploy job's; the promotion's deploy does not wait one out).
   * `retirement`: the "Retire the old slot" step passes no verify or canary inputs: it is one update of the old slot's capacity.
   */
  options: { expectFailure?: boolean; failback?: boolean; replaceWindow?: boolean; retirement?: boolean; staged?: StagedInputs } = {},
): Promise<ActionRun> {
  const verify: Record<string, string> =
    mode === 'deploy' && !options.retirement
      ? {
          'verify-url': ctx.traffic.listenerUrl ?? '',
          'verify-path': job.verifyPath,
          'verify-seconds': String(LOCAL_WATCH_SECONDS),
          'max-error-rate': job.maxErrorRate,
          failback: String(Boolean(options.failback)),
        }
      : {};
  const strategy: Record<string, string> =
    mode !== 'deploy' || options.retirement
      ? {}
      : job.strategy === 'slots'
        ? { 'canary-weight': job.canaryWeight, 'canary-seconds': String(LOCAL_CANARY_SECONDS) }
        : // A requested failback verifies nothing inside the window (update-app-stack skips it): no window to wait out.
          { 'rollback-monitoring-minutes': options.replaceWindow && !options.failback ? String(LOCAL_REPLACE_WINDOW_MINUTES) : '0' };
  return runStep(
    ctx,
    'update-app-stack',
    {
      'stack-name': job.appStack,
      'parameters-file': job.parametersFile,
      template: job.appTemplate,
      region: job.region,
      'ami-owners': job.amiOwners,
      mode,
      'timeout-minutes': '5',
      // moto watches no alarms (docs/moto.md #22): a slots step's window would only wait. Replace sets its own below.
      'rollback-monitoring-minutes': '0',
      ...verify,
      ...strategy,
      // Staging ahead: gitops check-switch's outputs, as deploy-environment.yml passes them.
      ...(options.staged ? { 'staged-proof': options.staged.proof, 'staged-ami-id': options.staged.amiId } : {}),
    },
    options,
  );
}

/** gitops check-switch's staged-proof and staged-ami-id (either may be empty). */
export interface StagedInputs {
  proof: string;
  amiId: string;
}

/**
 * How long verify-alb watches HTTP in the cycle, instead of the wiring's watchSeconds (60 s for
 * dev): two or three deploys at 60 s each would take the cycle past its one-minute budget. The
 * load generator watches every deploy whole, so the short watch loses no evidence of the cutover.
 */
export const LOCAL_WATCH_SECONDS = 5;

/**
 * verify-alb as deploy-environment.yml runs it, with the load balancer's URL on the data plane
 * passed as `url:` (the stack output names moto's ALB DNS name, which does not resolve; a user
 * would pass `url:` the same way) and a shortened watch. Its job summary is saved under
 * summaries/ as NN-<label>-verify-alb.md and its sample lines are shown.
 */
export async function verifyAlb(
  ctx: CycleContext,
  phase: PhaseContext,
  job: JobEnvironment,
  expectedAmi: string,
  options: { label: string; expectFailure?: boolean },
): Promise<ActionRun> {
  const url = ctx.traffic.listenerUrl;
  if (!url) throw new CycleCheckError('the data plane serves no listener for the app stack yet');
  const run = await runStep(
    ctx,
    'verify-alb',
    {
      'stack-name': job.appStack,
      'expected-ami-id': expectedAmi,
      url,
      path: job.verifyPath,
      'watch-seconds': String(LOCAL_WATCH_SECONDS),
      'max-error-rate': job.maxErrorRate,
      'timeout-minutes': '2',
      region: job.region,
    },
    { expectFailure: options.expectFailure, summaryLabel: options.label },
  );
  expectOutput(run, 'healthy', options.expectFailure ? 'false' : 'true', 'verify-alb');
  phase.note(`targets: ${run.outputs['healthy-targets']}/${run.outputs['total-targets']} healthy (measured by the LB stand-in's health checks); HTTP error rate ${run.outputs['error-rate']}; served ${run.outputs['served-ami-ids']}`);
  const samples = run.stdout.split('\n').filter((line) => /^\d{4}-\d\d-\d\dT\S+Z {2}\S+ /.test(line));
  phase.note(`HTTP timeline (${url}${job.verifyPath}, watch-seconds ${LOCAL_WATCH_SECONDS}: the wiring says ${job.watchSeconds}, shortened locally so the cycle stays under a minute):`);
  for (const line of samples) phase.note(`  ${line}`);
  phase.note(`job summary (Mermaid timeline included): ${relative(process.cwd(), ctx.summaries.saved[ctx.summaries.saved.length - 1] ?? ctx.summaries.dir)}`);
  return run;
}

/** The gitops action: the repository-side steps of the workflows. */
export async function gitops(ctx: CycleContext, command: string, inputs: Record<string, string>): Promise<ActionRun> {
  return runStep(ctx, 'gitops', { command, environment: ctx.environment.name, ...inputs });
}
