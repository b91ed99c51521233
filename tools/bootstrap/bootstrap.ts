/**
 * bootstrap for one environment: plan, show, confirm, apply, then the GitHub side. `(inputs, deps)`
 * like the actions' logic, so the CLI is a thin shell and the tests drive the same function.
 */
import { describeStack, type StackSnapshot } from '../../actions/lib/cloudformation/stack-state';
import type { EnvironmentsConfig } from '../../actions/lib/parameters';
import { applyPlan, type ApplyDeps, type ApplyResult } from './apply';
import { applyGithubSettings, checkGithubSettings, type GhRunner, type GithubCheck } from './github-cli';
import { githubSettings, renderGithubInstructions, type GithubSettings } from './github-settings';
import { oidcSubjectClaimsOf } from './oidc-subjects';
import { discardPlan, planBootstrap, planChangesSomething, type BootstrapPlan, type BootstrapRequest } from './plan';
import { renderPlan } from './render-plan';

export interface BootstrapInputs extends BootstrapRequest {
  wiring: EnvironmentsConfig;
  /** --yes: no question asked. */
  yes: boolean;
  /** --github: set the GitHub side with gh (else print it). */
  github: boolean;
  reviewers: string[];
  defaultBranch: string;
  app?: { id: string; keyFile: string };
}

export interface BootstrapDeps extends ApplyDeps {
  /** Asks the user; resolves true for yes. */
  confirm: (question: string) => Promise<boolean>;
  gh: GhRunner;
}

export type BootstrapOutcome =
  | { kind: 'declined'; plan: BootstrapPlan }
  | { kind: 'no-changes'; plan: BootstrapPlan; settings: GithubSettings; githubChecks: GithubCheck[] }
  | { kind: 'applied'; plan: BootstrapPlan; result: ApplyResult; settings: GithubSettings; githubChecks: GithubCheck[] };

export async function bootstrapEnvironment(inputs: BootstrapInputs, deps: BootstrapDeps): Promise<BootstrapOutcome> {
  const plan = await deps.logger.group(`Plan for ${inputs.environment.name}`, () => planBootstrap(inputs, deps));
  for (const line of renderPlan(plan)) deps.logger.info(line);

  let result: ApplyResult | undefined;
  if (!planChangesSomething(plan)) {
    deps.logger.notice(`${inputs.environment.name}: no changes. Every stack is deployed as the repository says.`);
  } else {
    if (!inputs.yes && !(await deps.confirm(`Apply this plan to account ${plan.account.account} (${plan.region})?`))) {
      await discardPlan(plan, deps);
      deps.logger.notice('Nothing was changed (the plan\'s change sets were deleted).');
      return { kind: 'declined', plan };
    }
    result = await deps.logger.group(`Deploying ${inputs.environment.name}`, () => applyPlan(plan, deps));
    for (const { stackName, outcome } of result.outcomes) deps.logger.info(`  ${stackName}: ${outcome}`);
  }

  const oidcStack = await readOidcStack(plan, deps);
  const outputs = result?.outputs.githubOidc ?? oidcStack?.outputs ?? {};
  const settings = githubSettings({
    repository: inputs.repository,
    wiring: inputs.wiring,
    environment: inputs.environment.name,
    roles: outputs,
    reviewers: inputs.reviewers,
    defaultBranch: inputs.defaultBranch,
    app: inputs.app,
    oidcSubjectClaims: oidcSubjectClaimsOf(oidcStack),
  });
  let githubChecks: GithubCheck[] = [];
  if (inputs.github) {
    await deps.logger.group('GitHub', async () => {
      await applyGithubSettings(settings, deps.gh, deps.logger);
      githubChecks = await checkGithubSettings(settings, deps.gh);
      for (const check of githubChecks) deps.logger.info(`  ${check.ok ? '✔' : '✘'} ${check.name}: ${check.detail}${check.fix ? `. Fix: ${check.fix}` : ''}`);
    });
  } else {
    for (const line of renderGithubInstructions(settings)) deps.logger.info(line);
  }
  deps.logger.info(`Next: npm run doctor -- --env ${inputs.environment.name}${inputs.github ? ' --github' : ''}`);
  return result ? { kind: 'applied', plan, result, settings, githubChecks } : { kind: 'no-changes', plan, settings, githubChecks };
}

async function readOidcStack(plan: BootstrapPlan, deps: BootstrapDeps): Promise<StackSnapshot | undefined> {
  const oidc = plan.stacks.find((s) => s.spec.role === 'githubOidc');
  return oidc ? describeStack(oidc.spec.name, deps) : undefined;
}
