/**
 * The steps the workflows run, run here with the real bundled actions (runBundledAction) against
 * moto and the Image Builder stand-in, in the scratch clone. Each returns what the next step
 * needs and throws a CycleCheckError when the step did not do what the workflow relies on.
 */
import type { AwsClients } from '../../actions/lib/aws/clients';
import type { EnvironmentConfig } from '../../actions/lib/parameters';
import type { StandinControl } from '../imagebuilder-standin/client';
import { runBundledAction, type ActionRun } from '../run-action';
import type { ScratchRepo } from './scratch-repo';
import { CycleCheckError, type PhaseContext } from './timeline';

export interface CycleContext {
  /** The environment that points every SDK call at moto and the stand-in. */
  awsEnv: Record<string, string | undefined>;
  clients: AwsClients;
  standin: StandinControl;
  repo: ScratchRepo;
  environment: EnvironmentConfig;
  pipelineArn: string;
}

/** The job's token is never used for anything but a local push; the API URL does not resolve. */
const LOCAL_TOKEN = 'local-cycle-token-not-a-github-token';

/**
 * Runs a bundled action in the scratch checkout. Unless `expectFailure`, a non-zero exit is a
 * failed check carrying the action's error annotations (what a workflow run would show in red).
 */
export async function runStep(
  ctx: CycleContext,
  name: string,
  inputs: Record<string, string>,
  options: { expectFailure?: boolean } = {},
): Promise<ActionRun> {
  const run = await runBundledAction(name, inputs, { ...ctx.awsEnv, GITHUB_WORKSPACE: ctx.repo.checkout.dir, GITHUB_TOKEN: LOCAL_TOKEN }, { timeoutMs: 5 * 60_000 });
  if (run.exitCode !== 0 && !options.expectFailure) {
    throw new CycleCheckError(`${describe(name, inputs)} failed (exit ${run.exitCode})`, failureLines(run));
  }
  if (run.exitCode === 0 && options.expectFailure) {
    throw new CycleCheckError(`${describe(name, inputs)} succeeded, but this scenario needs it to fail`);
  }
  return run;
}

function describe(name: string, inputs: Record<string, string>): string {
  return inputs.command ? `${name} ${inputs.command}` : inputs.mode ? `${name} (mode ${inputs.mode})` : name;
}

/** The error annotations of a run, or the end of its stderr when it printed none. */
export function failureLines(run: ActionRun): string[] {
  const errors = run.annotations.filter((a) => a.level === 'error').map((a) => `error: ${a.message}`);
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

/** build-ami: bake a patched AMI from the pipeline, diffed against the AMI running now. */
export async function buildAmi(ctx: CycleContext, phase: PhaseContext, previousAmi: string): Promise<{ ami: string; imageArn: string; run: ActionRun }> {
  const run = await runStep(ctx, 'build-ami', {
    'pipeline-arn': ctx.pipelineArn,
    'previous-ami-id': previousAmi,
    region: ctx.environment.region,
    'fail-on-severity': 'CRITICAL',
    'timeout-minutes': '5',
  });
  const ami = expectOutput(run, 'ami-id', /^ami-[0-9a-f]+$/, 'build-ami');
  const imageArn = expectOutput(run, 'image-arn', /^arn:aws:imagebuilder:/, 'build-ami');
  phase.note(`${imageArn} → ${ami}`);
  phase.note(headline(run.outputs['package-diff-markdown'] ?? '') || 'no package diff');
  const findings = JSON.parse(run.outputs['findings-json'] || '{}') as { total?: number; counts?: Record<string, number> };
  if (findings.counts) phase.note(`open findings (stand-in fixtures): ${Object.entries(findings.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return { ami, imageArn, run };
}

/** update-app-stack in preview or deploy mode, with the environment's parameters file and template. */
export async function updateAppStack(ctx: CycleContext, mode: 'preview' | 'deploy', options: { expectFailure?: boolean } = {}): Promise<ActionRun> {
  return runStep(
    ctx,
    'update-app-stack',
    {
      'stack-name': ctx.environment.stacks.app,
      'parameters-file': ctx.environment.parametersFile,
      template: ctx.environment.appTemplate,
      region: ctx.environment.region,
      mode,
      'timeout-minutes': '5',
      // moto has no alarms to watch and ignores rollback triggers: waiting out a bake window proves nothing here.
      'rollback-monitoring-minutes': '0',
    },
    options,
  );
}

/** verify-alb with watch-seconds 0: moto has no HTTP data plane behind its load balancers. */
export async function verifyAlb(ctx: CycleContext, phase: PhaseContext, expectedAmi: string): Promise<ActionRun> {
  const run = await runStep(ctx, 'verify-alb', {
    'stack-name': ctx.environment.stacks.app,
    'expected-ami-id': expectedAmi,
    path: ctx.environment.verify.path,
    'watch-seconds': '0',
    'max-error-rate': String(ctx.environment.verify.maxErrorRate),
    'timeout-minutes': '2',
    region: ctx.environment.region,
  });
  expectOutput(run, 'healthy', 'true', 'verify-alb');
  phase.note(`healthy: ${run.outputs['healthy-targets']}/${run.outputs['total-targets']} targets on ${expectedAmi} (control plane only: watch-seconds 0, no HTTP behind moto's ALB, and moto reports targets healthy without checking them)`);
  return run;
}

/** The gitops action: the repository-side steps of the workflows. */
export async function gitops(ctx: CycleContext, command: string, inputs: Record<string, string>): Promise<ActionRun> {
  return runStep(ctx, 'gitops', { command, environment: ctx.environment.name, ...inputs });
}
