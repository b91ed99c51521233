/**
 * Setting the GitHub side with the user's authenticated `gh` CLI, then reading it back. Secrets are
 * passed on gh's standard input, never as an argument (which `ps` would show) and never logged.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

import { InputError } from '../../actions/lib/errors';
import type { Logger } from '../../actions/lib/logger';
import { subjectTemplateCommand, type GithubSettings } from './github-settings';
import { PINNED_SUBJECT_CLAIMS, PINNED_SUBJECT_TEMPLATE, subjectTemplateFits } from './oidc-subjects';

export interface GhResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs gh with arguments (and optional standard input). */
export type GhRunner = (args: string[], input?: string) => Promise<GhResult>;

/** gh from PATH (tests put a fake one first on PATH). GH_PROMPT_DISABLED: never wait on a prompt. */
export function createGhRunner(env: NodeJS.ProcessEnv = process.env, executable = 'gh'): GhRunner {
  return (args, input) =>
    new Promise((resolveResult, reject) => {
      const child = spawn(executable, args, { env: { ...env, GH_PROMPT_DISABLED: '1', NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'ENOENT' ? new InputError('GitHub CLI not found: --github needs gh (https://cli.github.com) on PATH, logged in with gh auth login. Or leave out --github and set what bootstrap prints by hand.') : error),
      );
      child.once('close', (code) => resolveResult({ code: code ?? 1, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
}

/** One check of what GitHub holds, as doctor and bootstrap print it. */
export interface GithubCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

async function gh(run: GhRunner, args: string[], what: string, input?: string): Promise<string> {
  const result = await run(args, input);
  if (result.code !== 0) {
    throw new InputError(`GitHub CLI failed to ${what}: gh ${args.slice(0, 3).join(' ')} … exited ${result.code}: ${result.stderr.trim().split('\n')[0] || 'no message'}. Check gh auth status (the token needs the repo scope and admin rights on the repository), then re-run.`);
  }
  return result.stdout;
}

/** Fails early, before any change, when gh is not logged in. */
export async function requireGhAuthentication(run: GhRunner): Promise<void> {
  const result = await run(['auth', 'status']);
  if (result.code !== 0) throw new InputError('GitHub CLI not authenticated: run gh auth login (with admin rights on the repository), or leave out --github and set what bootstrap prints by hand. Nothing was changed on GitHub.');
}

/** Creates or updates the environment, its branch policy, the variables and the App's secret. */
export async function applyGithubSettings(settings: GithubSettings, run: GhRunner, logger: Logger): Promise<void> {
  await requireGhAuthentication(run);
  const { repository, environment } = settings;
  const reviewerIds = [];
  for (const login of environment.reviewers) {
    reviewerIds.push({ type: 'User', id: Number((await gh(run, ['api', `users/${login}`, '--jq', '.id'], `look up reviewer ${login}`)).trim()) });
  }
  const body = {
    ...(environment.needsReviewers && reviewerIds.length ? { reviewers: reviewerIds, prevent_self_review: true } : {}),
    deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
  };
  await gh(run, ['api', '--method', 'PUT', `repos/${repository}/environments/${environment.name}`, '--input', '-'], `create environment ${environment.name}`, JSON.stringify(body));
  const policies = await gh(run, ['api', `repos/${repository}/environments/${environment.name}/deployment-branch-policies`, '--jq', '.branch_policies[].name'], 'read the deployment branch policies');
  if (!policies.split('\n').includes(environment.deploymentBranch)) {
    await gh(
      run,
      ['api', '--method', 'POST', `repos/${repository}/environments/${environment.name}/deployment-branch-policies`, '-f', `name=${environment.deploymentBranch}`, '-f', 'type=branch'],
      `allow ${environment.deploymentBranch} to deploy to ${environment.name}`,
    );
  }
  logger.info(`GitHub environment ${environment.name}: deployment branch ${environment.deploymentBranch}${body.reviewers ? `, reviewers ${environment.reviewers.join(', ')}` : ''}.`);
  if (settings.oidcSubjectClaims === PINNED_SUBJECT_CLAIMS) {
    // Repository-wide: every workflow's subject gains job_workflow_ref, which the roles' trust requires.
    await gh(run, ['api', '--method', 'PUT', `repos/${repository}/actions/oidc/customization/sub`, '--input', '-'], 'set the OIDC subject template', JSON.stringify(PINNED_SUBJECT_TEMPLATE));
    logger.info(`GitHub OIDC subject template of ${repository}: ${PINNED_SUBJECT_CLAIMS}.`);
  }
  for (const variable of settings.variables) {
    await gh(run, ['variable', 'set', variable.name, '--repo', repository, ...(variable.environment ? ['--env', variable.environment] : []), '--body', variable.value], `set variable ${variable.name}`);
    logger.info(`GitHub variable ${variable.name}${variable.environment ? ` (environment ${variable.environment})` : ''} = ${variable.value}`);
  }
  if (settings.app) {
    const key = await readFile(settings.app.keyFile, 'utf8');
    await gh(run, ['secret', 'set', 'PATCH_APP_PRIVATE_KEY', '--repo', repository], 'set secret PATCH_APP_PRIVATE_KEY', key);
    logger.info('GitHub secret PATCH_APP_PRIVATE_KEY set (value not shown).');
  }
}

/** Reads back what GitHub holds and compares it with what it should be. */
export async function checkGithubSettings(settings: GithubSettings, run: GhRunner): Promise<GithubCheck[]> {
  const { repository, environment } = settings;
  const checks: GithubCheck[] = [];
  const environmentJson = await run(['api', `repos/${repository}/environments/${environment.name}`]);
  if (environmentJson.code !== 0) {
    checks.push({ name: `GitHub environment ${environment.name}`, ok: false, detail: 'does not exist', fix: `create it (bootstrap --github, or Settings → Environments → New environment "${environment.name}")` });
  } else {
    const rules = (JSON.parse(environmentJson.stdout) as { protection_rules?: { type: string }[] }).protection_rules ?? [];
    const reviewed = rules.some((r) => r.type === 'required_reviewers');
    checks.push(
      environment.needsReviewers && !reviewed
        ? { name: `GitHub environment ${environment.name}`, ok: false, detail: 'has no required reviewers, so a merge deploys it unreviewed', fix: `add required reviewers (bootstrap --github --reviewers <login>, or Settings → Environments → ${environment.name})` }
        : { name: `GitHub environment ${environment.name}`, ok: true, detail: reviewed ? 'exists, with required reviewers' : 'exists' },
    );
  }
  checks.push(await checkSubjectTemplate(settings, run));
  for (const variable of settings.variables) {
    const scope = variable.environment ? ['--env', variable.environment] : [];
    const read = await run(['variable', 'get', variable.name, '--repo', repository, ...scope]);
    const actual = read.code === 0 ? read.stdout.trim() : undefined;
    const where = variable.environment ? `environment ${variable.environment}` : 'repository';
    const fix = `gh variable set ${variable.name} --repo ${repository} ${scope.join(' ')} --body '${variable.value}'`.replace(/ {2,}/g, ' ');
    if (actual === variable.value) checks.push({ name: `GitHub variable ${variable.name} (${where})`, ok: true, detail: 'matches the stack output' });
    else checks.push({ name: `GitHub variable ${variable.name} (${where})`, ok: false, detail: actual === undefined ? 'is not set' : `is ${actual}, the stack says ${variable.value}`, fix });
  }
  if (settings.app) {
    const secrets = await run(['secret', 'list', '--repo', repository, '--json', 'name', '--jq', '.[].name']);
    const present = secrets.code === 0 && secrets.stdout.split('\n').includes('PATCH_APP_PRIVATE_KEY');
    checks.push(present ? { name: 'GitHub secret PATCH_APP_PRIVATE_KEY', ok: true, detail: 'is set (values cannot be read back)' } : { name: 'GitHub secret PATCH_APP_PRIVATE_KEY', ok: false, detail: 'is not set', fix: `gh secret set PATCH_APP_PRIVATE_KEY --repo ${repository} < <key file>` });
  }
  return checks;
}

/** The repository's OIDC subject template must write the subjects the roles trust, or every role refuses its jobs. */
async function checkSubjectTemplate(settings: GithubSettings, run: GhRunner): Promise<GithubCheck> {
  const name = 'GitHub OIDC subject template';
  const read = await run(['api', `repos/${settings.repository}/actions/oidc/customization/sub`]);
  if (read.code !== 0) return { name, ok: false, detail: `cannot be read: ${read.stderr.trim().split('\n')[0] || `gh exited ${read.code}`}`, fix: 'gh auth status (admin rights on the repository), then run doctor again' };
  const actual = JSON.parse(read.stdout) as { use_default?: boolean; include_claim_keys?: string[] };
  const shown = actual.use_default ? "GitHub's default (repo, context)" : (actual.include_claim_keys ?? []).join(', ');
  if (subjectTemplateFits(actual, settings.oidcSubjectClaims)) return { name, ok: true, detail: `${shown}, as the roles' trust expects` };
  const fix =
    settings.oidcSubjectClaims === PINNED_SUBJECT_CLAIMS
      ? subjectTemplateCommand(settings.repository)
      : `gh api --method PUT repos/${settings.repository}/actions/oidc/customization/sub -F use_default=true, or redeploy the github-oidc stack with OidcSubjectClaims matching the template`;
  return { name, ok: false, detail: `is ${shown}, but the github-oidc stack trusts subjects made of ${settings.oidcSubjectClaims}: every role refuses the workflows' tokens`, fix };
}
