/**
 * The workflows' contract: triggers, permissions, concurrency, environments, pinning, no untrusted
 * input in shell, and the order of the steps of every job. actionlint and zizmor
 * (`make lint-workflows`) check syntax and known pitfalls; this file checks that the workflows do
 * what docs/workflows.md promises, and that every gitops step passes only inputs its command reads.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

import { COMMANDS, inputNames, isCommandName } from '../../actions/lib/gitops/commands';
import { readSlotPlan, type SlotName } from '../../actions/lib/parameters';
import { isStageOnly } from '../../actions/lib/slots/deploy-slots';

const ROOT = join(__dirname, '../..');
const WORKFLOWS = join(ROOT, '.github/workflows');

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string | number | boolean>;
  env?: Record<string, string>;
}

interface Job {
  name?: string;
  'runs-on'?: string;
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  environment?: string | { name: string; deployment?: boolean };
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  'timeout-minutes'?: number;
  strategy?: { 'max-parallel'?: number | string; 'fail-fast'?: boolean; matrix?: Record<string, unknown> };
  uses?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
  secrets?: Record<string, string> | 'inherit';
  outputs?: Record<string, string>;
  steps?: Step[];
}

interface Workflow {
  name: string;
  'run-name'?: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  jobs: Record<string, Job>;
}

const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();
const text = (file: string) => readFileSync(join(WORKFLOWS, file), 'utf8');
const load = (file: string) => parse(text(file)) as Workflow;
const workflows = Object.fromEntries(files.map((f) => [f, load(f)])) as Record<string, Workflow>;
const allJobs = files.flatMap((file) => Object.entries(workflows[file].jobs).map(([id, job]) => ({ file, id, job })));
const allSteps = allJobs.flatMap(({ file, id, job }) => (job.steps ?? []).map((step) => ({ file, job: id, step })));

/** A step as a short label: `gitops:<command>`, the local action's name, or the third-party action's. */
function label(step: Step): string {
  if (step.run) return `run:${step.run.trim().split('\n')[0]}`;
  const uses = step.uses ?? '';
  if (uses === './actions/gitops') return `gitops:${String(step.with?.command)}`;
  if (uses.startsWith('./actions/')) return uses.slice('./actions/'.length);
  return uses.replace(/@.*$/, '').split('/').pop() ?? uses;
}
const stepsOf = (file: string, job: string) => (workflows[file].jobs[job].steps ?? []).map(label);
const step = (file: string, job: string, id: string) => (workflows[file].jobs[job].steps ?? []).find((s) => s.id === id)!;

/** The local actions' declared inputs, from their action.yml. */
function actionInputs(name: string): string[] {
  const action = parse(readFileSync(join(ROOT, 'actions', name, 'action.yml'), 'utf8')) as { inputs?: Record<string, unknown> };
  return Object.keys(action.inputs ?? {});
}

const ROLE_ACTION = 'aws-actions/configure-aws-credentials';
const assumesRole = (job: Job) => (job.steps ?? []).some((s) => s.uses?.startsWith(`${ROLE_ACTION}@`));
/** The reusable workflows: the deploy of one environment, the checks of one environment, the promotion of one wave. */
const REUSABLE = ['./.github/workflows/deploy-environment.yml', './.github/workflows/check-environment.yml', './.github/workflows/promote-wave.yml'];
const callsReusable = (job: Job) => REUSABLE.includes(job.uses ?? '');

describe('workflow files', () => {
  it('are the twelve the docs describe', () => {
    expect(files).toEqual(['ami-lifecycle.yml', 'check-environment.yml', 'deploy-environment.yml', 'deploy.yml', 'drift.yml', 'e2e-aws.yml', 'failback.yml', 'patch-pr.yml', 'pr-checks.yml', 'promote-wave.yml', 'promote.yml', 'retire-slots.yml']);
  });

  it.each(files)('%s: top-level permissions are empty; jobs raise only what they need', (file) => {
    expect(workflows[file].permissions).toEqual({});
    for (const job of Object.values(workflows[file].jobs)) {
      expect(job.permissions).toBeDefined();
      for (const [scope, level] of Object.entries(job.permissions ?? {})) {
        expect(['contents', 'pull-requests', 'id-token', 'issues']).toContain(scope);
        expect(['read', 'write']).toContain(level);
      }
    }
  });

  it('id-token: write only on jobs that assume an AWS role (directly or through a reusable workflow), and always there', () => {
    for (const { file, id, job } of allJobs) {
      const needsToken = assumesRole(job) || callsReusable(job);
      expect({ file, id, idToken: job.permissions?.['id-token'] === 'write' }).toEqual({ file, id, idToken: needsToken });
    }
  });

  it('contents: write only where a commit is pushed (the patch PR, the deploy records, the failback commit)', () => {
    const writers = allJobs.filter(({ job }) => job.permissions?.contents === 'write').map(({ file, id }) => `${file}#${id}`);
    expect(writers.sort()).toEqual(['ami-lifecycle.yml#plan', 'check-environment.yml#revoked', 'deploy-environment.yml#deploy', 'deploy.yml#deploy', 'drift.yml#check', 'failback.yml#deploy', 'patch-pr.yml#propose', 'promote-wave.yml#propose', 'promote.yml#promote', 'retire-slots.yml#retire']);
  });

  it('issues: write only where an alert is an issue (patch debt)', () => {
    const writers = allJobs.filter(({ job }) => job.permissions?.issues === 'write').map(({ file, id }) => `${file}#${id}`);
    expect(writers).toEqual(['check-environment.yml#patch-debt', 'drift.yml#check']);
  });

  it('never trigger on pull_request_target', () => {
    for (const file of files) expect(Object.keys(workflows[file].on)).not.toContain('pull_request_target');
  });

  it('every job with steps has timeout-minutes; jobs calling a reusable workflow inherit its jobs\' timeouts', () => {
    for (const { file, id, job } of allJobs) {
      if (job.uses) {
        expect({ file, id, reusable: REUSABLE.includes(job.uses) }).toEqual({ file, id, reusable: true });
        continue;
      }
      expect({ file, id, timeout: typeof job['timeout-minutes'] }).toEqual({ file, id, timeout: 'number' });
    }
  });

  it('pin every third-party action to a full commit SHA with a version comment, the same SHA everywhere', () => {
    const pins = new Map<string, string>();
    for (const file of files) {
      for (const line of text(file).split('\n').filter((l) => /^\s*(-\s+)?uses:\s/.test(l))) {
        const ref = line.replace(/^\s*(-\s+)?uses:\s*/, '');
        if (ref.startsWith('./')) continue;
        expect({ file, line: line.trim(), pinned: /^[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/.test(ref) }).toEqual({ file, line: line.trim(), pinned: true });
        const [action, sha] = ref.split(' ')[0].split('@');
        expect({ action, sha }).toEqual({ action, sha: pins.get(action) ?? sha });
        pins.set(action, sha);
      }
    }
    expect([...pins.keys()].sort()).toEqual([
      'actions/checkout',
      'actions/create-github-app-token',
      'actions/setup-node',
      'aws-actions/configure-aws-credentials',
      'peter-evans/create-pull-request',
    ]);
  });

  it('never put an expression in a shell line (inputs and event data go through action inputs)', () => {
    const runs = allSteps.filter(({ step: s }) => s.run !== undefined);
    expect(runs.length).toBeGreaterThan(0);
    for (const { file, job, step: s } of runs) expect({ file, job, run: s.run, expression: s.run!.includes('${{') }).toEqual({ file, job, run: s.run, expression: false });
  });

  it('check out once per job without persisting the token (pushes authenticate per command)', () => {
    // The e2e teardown only calls the AWS CLI: it reads nothing from the repository. The preview
    // job checks out twice: the base branch (the code it runs) and the pull request (its files).
    const repositoryFree = ['e2e-aws.yml#teardown'];
    const twice = ['pr-checks.yml#preview'];
    const checkouts = allSteps.filter(({ step: s }) => s.uses?.startsWith('actions/checkout@'));
    const jobsWithSteps = allJobs.filter(({ job }) => job.steps).map(({ file, id }) => `${file}#${id}`);
    expect(checkouts.map(({ file, job }) => `${file}#${job}`)).toEqual(jobsWithSteps.filter((j) => !repositoryFree.includes(j)).flatMap((j) => (twice.includes(j) ? [j, j] : [j])));
    for (const { file, job, step: s } of checkouts) expect({ file, job, persist: s.with?.['persist-credentials'] }).toEqual({ file, job, persist: false });
  });

  it('assume roles only through OIDC (no access keys anywhere)', () => {
    for (const { file, job, step: s } of allSteps.filter(({ step: x }) => x.uses?.startsWith(`${ROLE_ACTION}@`))) {
      expect({ file, job, keys: Object.keys(s.with ?? {}).filter((k) => /access-key|secret/.test(k)) }).toEqual({ file, job, keys: [] });
      expect(String(s.with?.['role-to-assume'])).toMatch(/^\$\{\{ vars(\.AWS_DEPLOY_ROLE_ARN|\.AWS_E2E_ROLE_ARN|\.AWS_LIFECYCLE_ROLE_ARN|\.AWS_PROMOTION_ROLE_ARN|\[format\('AWS_(BUILD|PREVIEW)_ROLE_ARN_\{0\}', steps\.[\w-]+\.outputs\.variable-suffix\)\]) \}\}$/);
    }
  });

  it('pass every gitops step only inputs its command reads (plus the common ones)', () => {
    const common = ['command', 'github-token', 'environments-file', 'default-branch', 'committer-name', 'committer-email'];
    const gitopsSteps = allSteps.filter(({ step: s }) => s.uses === './actions/gitops');
    expect(gitopsSteps.length).toBeGreaterThan(10);
    for (const { file, job, step: s } of gitopsSteps) {
      const command = String(s.with?.command);
      expect({ file, job, command, known: isCommandName(command) }).toEqual({ file, job, command, known: true });
      if (!isCommandName(command)) continue;
      const allowed = [...common, ...inputNames(COMMANDS[command])];
      const extra = Object.keys(s.with ?? {}).filter((k) => !allowed.includes(k));
      expect({ file, job, command, extra }).toEqual({ file, job, command, extra: [] });
    }
  });

  it('pass the local actions only inputs their action.yml declares', () => {
    for (const { file, job, step: s } of allSteps.filter(({ step: x }) => x.uses?.startsWith('./actions/'))) {
      const declared = actionInputs(s.uses!.slice('./actions/'.length));
      expect({ file, job, extra: Object.keys(s.with ?? {}).filter((k) => !declared.includes(k)) }).toEqual({ file, job, extra: [] });
    }
  });

  it('run a GitHub environment only in the deploy job, the checks\' notify job, the e2e jobs and the patch and promotion PR jobs, where the deploy and e2e roles, the webhook and the App key live', () => {
    const withEnvironment = allJobs.filter(({ job }) => job.environment !== undefined).map(({ file, id }) => `${file}#${id}`);
    expect(withEnvironment).toEqual(['check-environment.yml#notify', 'deploy-environment.yml#deploy', 'e2e-aws.yml#e2e', 'e2e-aws.yml#slots', 'e2e-aws.yml#teardown', 'patch-pr.yml#propose', 'promote-wave.yml#propose']);
  });

  it('read secrets only in jobs that run in a GitHub environment, and pass none between workflows', () => {
    // A repository secret is readable by a workflow on any branch; an environment secret only by
    // jobs the environment admits (the default branch, docs/workflows.md). The App's key can mint
    // a token that pushes to main, so it lives in environments only.
    for (const { file, id, job } of allJobs) {
      const refs = JSON.stringify(job).match(/secrets\.[\w-]+/g) ?? [];
      expect({ file, id, secrets: refs, inEnvironment: job.environment !== undefined || refs.length === 0 }).toEqual({ file, id, secrets: refs, inEnvironment: true });
      expect({ file, id, passesSecrets: (job as { secrets?: unknown }).secrets }).toEqual({ file, id, passesSecrets: undefined });
    }
    for (const file of files) expect({ file, declared: (workflows[file].on as { workflow_call?: { secrets?: unknown } })?.workflow_call?.secrets }).toEqual({ file, declared: undefined });
  });

  it('zizmor (auditor persona) finds no secret outside an environment', () => {
    const zizmor = join(ROOT, '.venv/bin/zizmor');
    const out = spawnSync(zizmor, ['--offline', '--persona', 'auditor', '--format', 'json', '.github/workflows'], { cwd: ROOT, encoding: 'utf8' });
    const findings = JSON.parse(out.stdout) as { ident: string }[];
    expect(findings.filter((f) => f.ident === 'secrets-outside-env')).toEqual([]);
  });
});

describe('patch-pr.yml', () => {
  const wf = workflows['patch-pr.yml'];

  it('runs weekly off the hour, on demand with an environment choice, and on an AWS event', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['repository_dispatch', 'schedule', 'workflow_dispatch']);
    const [{ cron }] = wf.on.schedule as { cron: string }[];
    const [minute, , dayOfMonth, , dayOfWeek] = cron.split(' ');
    expect(Number(minute)).toBeGreaterThan(0);
    expect([dayOfMonth, /^[0-6]$/.test(dayOfWeek)]).toEqual(['*', true]);
    expect((wf.on.workflow_dispatch as { inputs: Record<string, { type: string }> }).inputs.environment.type).toBe('environment');
    expect(wf.on.repository_dispatch).toEqual({ types: ['ami-patch'] });
  });

  it('builds, rewrites one line, previews and composes the PR; a second job, in the patch-pr environment, opens it', () => {
    expect(stepsOf('patch-pr.yml', 'patch')).toEqual([
      'checkout',
      'gitops:resolve-environment',
      'configure-aws-credentials',
      'gitops:resolve-pipeline',
      'build-ami',
      'gitops:set-ami',
      'configure-aws-credentials',
      'update-app-stack',
      'gitops:compose-patch-pr',
    ]);
    expect(stepsOf('patch-pr.yml', 'propose')).toEqual(['checkout', 'gitops:set-ami', 'create-github-app-token', 'create-pull-request']);
    expect(wf.jobs.propose).toMatchObject({ needs: 'patch', environment: 'patch-pr', if: "needs.patch.outputs.changed == 'true'" });
    // The job that holds an AWS token holds no App key, and the reverse.
    expect(wf.jobs.patch.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(wf.jobs.propose.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
  });

  it('gives build-ami the current AMI, and previews with the read-only role', () => {
    expect(step('patch-pr.yml', 'patch', 'build').with?.['previous-ami-id']).toBe('${{ steps.env.outputs.ami-id }}');
    expect(step('patch-pr.yml', 'patch', 'preview').with?.mode).toBe('preview');
    expect(step('patch-pr.yml', 'patch', 'preview-credentials').with?.['role-to-assume']).toContain('AWS_PREVIEW_ROLE_ARN_');
  });

  it('opens no PR when nothing changed, and updates the one open PR per environment', () => {
    expect(step('patch-pr.yml', 'patch', 'pr').if).toContain("steps.bump.outputs.changed == 'true'");
    expect(wf.jobs.patch.outputs).toMatchObject({ changed: '${{ steps.bump.outputs.changed }}', branch: '${{ steps.pr.outputs.branch }}', 'ami-id': '${{ steps.build.outputs.ami-id }}' });
    expect(step('patch-pr.yml', 'propose', 'bump').with).toEqual({ command: 'set-ami', environment: '${{ needs.patch.outputs.environment }}', 'ami-id': '${{ needs.patch.outputs.ami-id }}' });
    const cpr = step('patch-pr.yml', 'propose', 'cpr').with!;
    expect(cpr.branch).toBe('${{ needs.patch.outputs.branch }}');
    expect(cpr['add-paths']).toBe('${{ needs.patch.outputs.parameters-file }}');
    expect(cpr['commit-message']).toBe('${{ needs.patch.outputs.commit-message }}');
  });

  it('uses the GitHub App token when configured (its PRs start workflows), else GITHUB_TOKEN', () => {
    expect(step('patch-pr.yml', 'propose', 'app-token').if).toBe("vars.PATCH_APP_ID != ''");
    expect(step('patch-pr.yml', 'propose', 'app-token').with).toMatchObject({ 'permission-contents': 'write', 'permission-pull-requests': 'write', 'private-key': '${{ secrets.PATCH_APP_PRIVATE_KEY }}' });
    expect(step('patch-pr.yml', 'propose', 'cpr').with?.token).toBe('${{ steps.app-token.outputs.token || github.token }}');
  });

  it('runs one at a time, only from the default branch', () => {
    expect(wf.concurrency).toEqual({ group: 'patch-pr', 'cancel-in-progress': false });
    expect(wf.jobs.patch.if).toBe("github.event_name != 'workflow_dispatch' || github.ref_name == github.event.repository.default_branch");
  });
});

describe('deploy.yml', () => {
  const wf = workflows['deploy.yml'];

  it('runs on pushes to main that touch parameters or templates', () => {
    expect(wf.on).toEqual({ push: { branches: ['main'], paths: ['parameters/**', 'templates/**'] } });
  });

  it('computes the environments with the gitops action, from the push’s before and after', () => {
    expect(stepsOf('deploy.yml', 'plan')).toEqual(['checkout', 'gitops:changed-environments']);
    expect(step('deploy.yml', 'plan', 'changed').with).toMatchObject({ before: '${{ github.event.before }}', after: '${{ github.sha }}' });
    expect(wf.jobs.plan.steps![0].with?.['fetch-depth']).toBe(0);
  });

  it('deploys each changed environment through the reusable deploy, in promotion order, in parallel only inside one wave', () => {
    const deploy = wf.jobs.deploy;
    expect(deploy.needs).toBe('plan');
    expect(deploy.if).toBe("needs.plan.outputs.any == 'true'");
    expect(deploy.strategy).toEqual({ 'max-parallel': '${{ fromJSON(needs.plan.outputs.max-parallel) }}', 'fail-fast': true, matrix: { environment: '${{ fromJSON(needs.plan.outputs.environments) }}' } });
    expect(deploy.with).toEqual({ environment: '${{ matrix.environment }}' });
    // No secrets passed: the App's key is a secret of each deploy environment.
    expect(deploy.secrets).toBeUndefined();
  });
});

describe('deploy-environment.yml', () => {
  const wf = workflows['deploy-environment.yml'];
  const job = wf.jobs.deploy;

  it('is only ever called by other workflows', () => {
    expect(Object.keys(wf.on)).toEqual(['workflow_call']);
    const inputs = (wf.on.workflow_call as { inputs: Record<string, { required?: boolean; type: string }> }).inputs;
    expect(Object.keys(inputs)).toEqual(['environment', 'failback', 'failback-target-ami', 'failback-reason', 'requested-by']);
    expect(inputs.environment).toMatchObject({ type: 'string', required: true });
    expect(inputs.failback).toMatchObject({ type: 'boolean', default: false });
  });

  it('runs in the GitHub environment, one deploy per environment, never cancelling a running one', () => {
    expect(job.environment).toBe('${{ inputs.environment }}');
    expect(job.concurrency).toEqual({ group: 'deploy-${{ inputs.environment }}', 'cancel-in-progress': false });
  });

  it("passes this run's ID to every gitops step whose verdict can ask for a re-run, through with: (never a shell line), so it names the exact gh run rerun", () => {
    const commands = (job.steps ?? []).filter((s) => s.uses === './actions/gitops' && s.with?.['run-id'] !== undefined).map((s) => String(s.with?.command));
    expect(commands).toEqual(['check-switch', 'propose-switch', 'deploy-report']);
    for (const s of (job.steps ?? []).filter((x) => x.with?.['run-id'] !== undefined)) expect(s.with?.['run-id']).toBe('${{ github.run_id }}');
    // The commands that read it are exactly those (a new one that reads run-id must be passed it too).
    const readers = Object.entries(COMMANDS).filter(([, c]) => inputNames(c).includes('run-id')).map(([name]) => name).sort();
    expect(readers).toEqual([...commands].sort());
    expect(actionInputs('gitops')).toContain('run-id');
  });

  it('deploys what the default branch says when the job starts, with full history', () => {
    const checkout = job.steps!.find((s) => s.uses?.startsWith('actions/checkout@'))!;
    expect(checkout.with).toEqual({ ref: '${{ github.event.repository.default_branch }}', 'fetch-depth': 0, 'persist-credentials': false });
  });

  it('validates, checks and records a requested failback, resolves HEAD, assumes the role, updates, verifies, fails back, records what runs, reports, notifies', () => {
    expect(stepsOf('deploy-environment.yml', 'deploy')).toEqual([
      'create-github-app-token',
      'checkout',
      'gitops:resolve-failback',
      'configure-aws-credentials',
      'gitops:check-image',
      'gitops:record-failback',
      'gitops:resolve-environment',
      'configure-aws-credentials',
      'gitops:check-wave-gate',
      'gitops:check-switch',
      'update-app-stack',
      'verify-alb',
      'gitops:propose-switch',
      'gitops:check-retirement',
      'update-app-stack',
      'gitops:record-retirement',
      'verify-alb',
      'gitops:prepare-failback',
      'update-app-stack',
      'verify-alb',
      'gitops:sync-from-stack',
      'gitops:deploy-report',
      'gitops:notify',
    ]);
  });

  it('a requested failback: the request validated first (git only), then the target checked with the deploy role, then recorded, all before the stack is touched', () => {
    const ids = job.steps!.map((s) => s.id);
    expect(ids.indexOf('request')).toBeLessThan(ids.indexOf('failback-credentials'));
    expect(ids.indexOf('failback-credentials')).toBeLessThan(ids.indexOf('check-target'));
    expect(ids.indexOf('check-target')).toBeLessThan(ids.indexOf('record'));
    expect(ids.indexOf('record')).toBeLessThan(ids.indexOf('update'));
    for (const id of ['request', 'failback-credentials', 'check-target', 'record']) expect({ id, if: step('deploy-environment.yml', 'deploy', id).if }).toEqual({ id, if: 'inputs.failback' });
    // Inputs reach the gitops action as inputs, never a shell line; the raw target is validated there.
    expect(step('deploy-environment.yml', 'deploy', 'request').with).toEqual({
      command: 'resolve-failback',
      environment: '${{ inputs.environment }}',
      'target-ami': '${{ inputs.failback-target-ami }}',
      reason: '${{ inputs.failback-reason }}',
      'requested-by': '${{ inputs.requested-by }}',
    });
    expect(step('deploy-environment.yml', 'deploy', 'check-target').with).toEqual({ command: 'check-image', environment: '${{ steps.request.outputs.environment }}', 'ami-id': '${{ steps.request.outputs.target-ami-id }}' });
    expect(step('deploy-environment.yml', 'deploy', 'record').with).toMatchObject({ command: 'record-failback', 'target-ami': '${{ steps.request.outputs.target-ami-id }}', 'base-commit': '${{ github.sha }}' });
    // One role session per job: the failback's, or the deploy's.
    expect(step('deploy-environment.yml', 'deploy', 'failback-credentials').with).toMatchObject({ 'role-to-assume': '${{ vars.AWS_DEPLOY_ROLE_ARN }}', 'aws-region': '${{ steps.request.outputs.region }}', 'role-duration-seconds': 7200 });
    expect(step('deploy-environment.yml', 'deploy', 'credentials').if).toBe('${{ !inputs.failback }}');
    expect(step('deploy-environment.yml', 'deploy', 'update').if).toBeUndefined();
    expect(step('deploy-environment.yml', 'deploy', 'update').with?.failback).toBe('${{ inputs.failback }}');
  });

  it('verifies the AMI HEAD names, and fails back only after a failed verification of a normal deploy', () => {
    expect(step('deploy-environment.yml', 'deploy', 'verify').with?.['expected-ami-id']).toBe('${{ steps.resolve.outputs.ami-id }}');
    expect(step('deploy-environment.yml', 'deploy', 'prepare-failback').if).toBe(
      "failure() && (steps.verify.outcome == 'failure' || steps.bake.outputs.failed-in-window == 'true') && !inputs.failback",
    );
    expect(step('deploy-environment.yml', 'deploy', 'failback-update').if).toBe("failure() && steps.prepare-failback.outcome == 'success'");
    expect(step('deploy-environment.yml', 'deploy', 'failback-verify').with?.['expected-ami-id']).toBe('${{ steps.prepare-failback.outputs.ami-id }}');
  });

  it('makes git match what runs whenever something failed after the credentials, and always reports (then notifies)', () => {
    // A failback's session comes before its record, so its stack can have changed only once the record succeeded.
    // A stage held back by an open bake window (check-switch's stage-wait) changed nothing and keeps git's stage: nothing to record.
    expect(step('deploy-environment.yml', 'deploy', 'sync').if).toBe("failure() && (steps.credentials.outcome == 'success' || steps.record.outcome == 'success') && steps.check-switch.outputs.stage-wait == ''");
    const report = job.steps!.at(-2)!;
    expect(report.if).toBe('always()');
    expect(report.with?.command).toBe('deploy-report');
    // When AWS cannot be reached, git history is the only source for what still runs.
    expect(report.with?.['previous-ami-id']).toBe('${{ steps.resolve.outputs.previous-ami-id }}');
  });

  it('tells the report about a requested failback: target, reason, requester and its record commit or PR', () => {
    const report = job.steps!.find((s) => s.with?.command === 'deploy-report')!;
    expect(report.with).toMatchObject({
      'failback-target-ami-id': '${{ steps.request.outputs.target-ami-id }}',
      'failback-reason': '${{ inputs.failback-reason }}',
      'failback-requested-by': '${{ inputs.requested-by }}',
      'record-outcome': '${{ steps.record.outcome }}',
      'record-result': '${{ steps.record.outputs.outcome }}',
      'record-commit': '${{ steps.record.outputs.commit }}',
      'record-pull-request-url': '${{ steps.record.outputs.pull-request-url }}',
      'record-replaced-ami-id': '${{ steps.record.outputs.replaced-ami-id }}',
      'record-superseded-by': '${{ steps.record.outputs.superseded-by }}',
      'record-superseded-by-ami-id': '${{ steps.record.outputs.superseded-by-ami-id }}',
      'default-branch': '${{ github.event.repository.default_branch }}',
    });
  });

  it('strategy slots: bakes after the verification (a window up to 15 min waited here), then scales the old slot to zero and records it; an alarm in the window fails back', () => {
    const bake = step('deploy-environment.yml', 'deploy', 'bake');
    expect(bake.if).toBe("steps.resolve.outputs.strategy == 'slots' && !inputs.failback");
    expect(bake.with).toEqual({ command: 'check-retirement', environment: '${{ inputs.environment }}', 'wait-seconds': '900' });
    // The job's timeout holds the wait on top of an update, its verification and a failback.
    expect(job['timeout-minutes']).toBeGreaterThanOrEqual(60 + 15 + 60);
    const retire = step('deploy-environment.yml', 'deploy', 'retire');
    expect(retire.if).toBe("steps.bake.outputs.retire == 'true'");
    // The same update as the deploy's, from check-retirement's rewrite of the working tree.
    expect(retire.with).toMatchObject({ mode: 'deploy', 'stack-name': '${{ steps.resolve.outputs.app-stack }}', 'parameters-file': '${{ steps.resolve.outputs.parameters-file }}', template: '${{ steps.resolve.outputs.app-template }}' });
    expect(retire.with?.failback).toBeUndefined();
    const record = step('deploy-environment.yml', 'deploy', 'record-retirement');
    expect(record.if).toBe("steps.bake.outputs.record == 'true' && steps.retire.outcome != 'failure'");
    expect(record.with).toMatchObject({ command: 'record-retirement', 'default-branch': '${{ github.event.repository.default_branch }}', 'github-token': '${{ steps.app-token.outputs.token || github.token }}' });
    // The report reads an alarm in the window as the new AMI's failed verification.
    const report = job.steps!.find((s) => s.with?.command === 'deploy-report')!;
    expect(report.with?.['verify-outcome']).toBe("${{ steps.bake.outputs.failed-in-window == 'true' && 'failure' || steps.verify.outcome }}");
  });

  it('deploys with the environment’s deploy role for up to two hours', () => {
    expect(step('deploy-environment.yml', 'deploy', 'credentials').with).toMatchObject({ 'role-to-assume': '${{ vars.AWS_DEPLOY_ROLE_ARN }}', 'role-duration-seconds': 7200 });
  });
});

describe('retire-slots.yml', () => {
  const wf = workflows['retire-slots.yml'];

  it('runs every 15 minutes off the hour and on dispatch (one environment, or all)', () => {
    expect(wf.on).toEqual({
      schedule: [{ cron: '7,22,37,52 * * * *' }],
      workflow_dispatch: { inputs: { environment: { description: expect.any(String), type: 'string', default: '' } } },
    });
  });

  it('plans from git alone: contents read, no role, no environment, full history', () => {
    const plan = wf.jobs.plan;
    expect(plan.permissions).toEqual({ contents: 'read' });
    expect(plan.environment).toBeUndefined();
    expect(stepsOf('retire-slots.yml', 'plan')).toEqual(['checkout', 'gitops:list-retirements']);
    expect(plan.steps![0].with).toEqual({ 'fetch-depth': 0, 'persist-credentials': false });
    expect(step('retire-slots.yml', 'plan', 'due').with).toEqual({ command: 'list-retirements', environment: '${{ inputs.environment }}' });
  });

  it('ends each due window through the deploy job itself (its environment, its concurrency group, its record steps), never cancelling the others', () => {
    const retire = wf.jobs.retire;
    expect(retire.needs).toBe('plan');
    expect(retire.if).toBe("needs.plan.outputs.any == 'true'");
    expect(retire.uses).toBe('./.github/workflows/deploy-environment.yml');
    expect(retire.strategy).toEqual({ 'fail-fast': false, matrix: { environment: '${{ fromJSON(needs.plan.outputs.environments) }}' } });
    expect(retire.with).toEqual({ environment: '${{ matrix.environment }}' });
    expect(retire.permissions).toEqual({ contents: 'write', 'pull-requests': 'write', 'id-token': 'write' });
    expect(retire.secrets).toBeUndefined();
  });
});

describe('failback.yml', () => {
  const wf = workflows['failback.yml'];

  it('is started by hand with an environment, an optional target and a reason', () => {
    expect(Object.keys(wf.on)).toEqual(['workflow_dispatch']);
    const inputs = (wf.on.workflow_dispatch as { inputs: Record<string, { type: string; required: boolean }> }).inputs;
    expect(inputs).toMatchObject({
      environment: { type: 'environment', required: true },
      'target-ami': { type: 'string', required: false },
      reason: { type: 'string', required: true },
    });
  });

  it('is one job, the environment\'s deploy job: it validates the request, checks the target and records it there, after the approval, before the stack is touched', () => {
    expect(Object.keys(wf.jobs)).toEqual(['deploy']);
    const deploy = wf.jobs.deploy;
    expect(deploy.uses).toBe('./.github/workflows/deploy-environment.yml');
    expect(deploy.needs).toBeUndefined();
    // Only from the default branch, whose files the request is validated against and recorded to.
    expect(deploy.if).toBe('github.ref_name == github.event.repository.default_branch');
    expect(deploy.permissions).toEqual({ contents: 'write', 'pull-requests': 'write', 'id-token': 'write' });
    expect(deploy.with).toEqual({
      environment: '${{ inputs.environment }}',
      failback: true,
      'failback-target-ami': '${{ inputs.target-ami }}',
      'failback-reason': '${{ inputs.reason }}',
      'requested-by': '${{ github.actor }}',
    });
    expect(deploy.secrets).toBeUndefined();
  });

  it('names the request in the run list, where reviewers see it while the job waits for approval', () => {
    expect(wf['run-name']).toBe("Failback of ${{ inputs.environment }} to ${{ inputs.target-ami || 'the AMI before the current one' }}: ${{ inputs.reason }}");
  });

  it('reads git history for the default target: the deploy job checks out with full history', () => {
    expect(workflows['deploy-environment.yml'].jobs.deploy.steps!.find((s) => s.uses?.startsWith('actions/checkout@'))!.with?.['fetch-depth']).toBe(0);
  });
});

describe('pr-checks.yml', () => {
  const wf = workflows['pr-checks.yml'];

  it('runs on pull requests to main, superseding the previous push’s run', () => {
    expect(wf.on).toEqual({ pull_request: { branches: ['main'] } });
    expect(wf.concurrency).toEqual({ group: 'pr-checks-${{ github.event.pull_request.number }}', 'cancel-in-progress': true });
  });

  it('runs every check CI runs, each as its own step', () => {
    expect(stepsOf('pr-checks.yml', 'checks')).toEqual([
      'checkout',
      'setup-node',
      'run:make setup',
      'run:make typecheck',
      'run:make lint',
      'run:make check-dist',
      'run:make lint-templates',
      'run:make lint-workflows',
      'run:make render-tools',
      'run:npx jest --ci',
    ]);
  });

  it('previews the touched environments into one comment, one job at a time, skipping forks and missing roles', () => {
    expect(wf.jobs.changes.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(stepsOf('pr-checks.yml', 'changes')).toEqual(['checkout', 'gitops:changed-environments']);
    expect(wf.jobs.preview.strategy?.['max-parallel']).toBe(1);
    expect(stepsOf('pr-checks.yml', 'preview')).toEqual([
      'checkout',
      'checkout',
      'gitops:resolve-environment',
      'configure-aws-credentials',
      'update-app-stack',
      'gitops:upsert-preview-comment',
    ]);
    expect(step('pr-checks.yml', 'preview', 'credentials').if).toMatch(/^vars\[format\('AWS_PREVIEW_ROLE_ARN_\{0\}', steps\.env\.outputs\.variable-suffix\)\] != ''$/);
    expect(step('pr-checks.yml', 'preview', 'preview').with?.mode).toBe('preview');
  });

  it("runs the base branch's actions in the job that holds an OIDC token; the pull request only provides files", () => {
    const [base, pr] = wf.jobs.preview.steps!.filter((s) => s.uses?.startsWith('actions/checkout@'));
    // The first checkout is the workspace, where `uses: ./actions/...` resolves: the base commit.
    expect(base.with).toEqual({ ref: '${{ github.event.pull_request.base.sha }}', 'persist-credentials': false });
    expect(pr.with).toEqual({ path: 'pull-request', 'persist-credentials': false });
    const preview = step('pr-checks.yml', 'preview', 'preview').with!;
    expect([preview['parameters-file'], preview.template]).toEqual(['pull-request/${{ steps.env.outputs.parameters-file }}', 'pull-request/${{ steps.env.outputs.app-template }}']);
    // No step of the job reads code from the pull request's checkout.
    for (const s of wf.jobs.preview.steps!) expect({ step: s.name, uses: s.uses?.includes('pull-request') ?? false }).toEqual({ step: s.name, uses: false });
  });
});

describe('drift.yml', () => {
  const wf = workflows['drift.yml'];

  it('runs daily off the hour and on demand', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    const [{ cron }] = wf.on.schedule as { cron: string }[];
    expect(Number(cron.split(' ')[0])).toBeGreaterThan(0);
  });

  it('lists the environments, then checks each one in check-environment.yml, from the default branch only', () => {
    expect(stepsOf('drift.yml', 'plan')).toEqual(['checkout', 'gitops:list-environments']);
    expect(wf.jobs.plan.permissions).toEqual({ contents: 'read' });
    expect(wf.jobs.check.strategy).toMatchObject({ 'fail-fast': false, matrix: { environment: '${{ fromJSON(needs.plan.outputs.environments) }}' } });
    expect(wf.jobs.check.uses).toBe('./.github/workflows/check-environment.yml');
    expect(wf.jobs.check.with).toEqual({ environment: '${{ matrix.environment }}' });
    expect(wf.jobs.check.if).toBe("github.event_name != 'workflow_dispatch' || github.ref_name == github.event.repository.default_branch");
    // The caller grants the union of what the called jobs raise, and nothing they do not.
    const raised = Object.values(workflows['check-environment.yml'].jobs).flatMap((j) => Object.entries(j.permissions ?? {}).filter(([, level]) => level === 'write').map(([scope]) => scope));
    expect(Object.keys(wf.jobs.check.permissions ?? {}).sort()).toEqual([...new Set(raised)].sort());
  });
});

describe('check-environment.yml', () => {
  const wf = workflows['check-environment.yml'];

  it('is called per environment, never run on its own', () => {
    expect(Object.keys(wf.on)).toEqual(['workflow_call']);
  });

  it('checks drift with the read-only role, skipping an environment without it, and changes nothing', () => {
    expect(stepsOf('check-environment.yml', 'drift')).toEqual(['checkout', 'gitops:resolve-environment', 'configure-aws-credentials', 'gitops:check-drift']);
    expect(step('check-environment.yml', 'drift', 'credentials').with?.['role-to-assume']).toContain('AWS_PREVIEW_ROLE_ARN_');
    expect(wf.jobs.drift.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
  });

  it('opens the PR that replaces a revoked AMI with git only (no AWS role)', () => {
    expect(stepsOf('check-environment.yml', 'revoked')).toEqual(['checkout', 'gitops:replace-revoked']);
    expect(wf.jobs.revoked.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    expect(wf.jobs.revoked.steps?.[0].with).toEqual({ 'fetch-depth': 0, 'persist-credentials': false });
  });

  it('checks patch debt with the build role, whose reads it needs, and alerts with an issue', () => {
    expect(stepsOf('check-environment.yml', 'patch-debt')).toEqual(['checkout', 'gitops:resolve-environment', 'configure-aws-credentials', 'gitops:check-patch-debt']);
    expect(wf.jobs['patch-debt'].permissions).toEqual({ contents: 'read', issues: 'write', 'id-token': 'write' });
    expect(step('check-environment.yml', 'patch-debt', 'credentials').with?.['role-to-assume']).toContain('AWS_BUILD_ROLE_ARN_');
  });

  it('hands each check\'s notification to the notify job through its own outputs', () => {
    expect(wf.jobs.drift.outputs?.notification).toBe('${{ steps.drift.outputs.notification }}');
    expect(wf.jobs.revoked.outputs?.notification).toBe('${{ steps.revoked.outputs.notification }}');
    expect(wf.jobs['patch-debt'].outputs?.notification).toBe('${{ steps.debt.outputs.notification }}');
    expect(wf.jobs.drift.outputs).toMatchObject({ notify: '${{ steps.env.outputs.notify }}', 'notify-sns': '${{ steps.env.outputs.notify-sns }}' });
  });

  it('notifies only when the wiring names a channel and a check found something or failed, in the environment without a deployment record', () => {
    const notify = wf.jobs.notify;
    expect(notify.needs).toEqual(['drift', 'revoked', 'patch-debt']);
    expect(notify.if?.replace(/\s+/g, ' ')).toBe(
      "always() && needs.drift.outputs.notify == 'true' && (contains(needs.*.result, 'failure') || needs.drift.outputs.notification != '' || needs.revoked.outputs.notification != '' || needs.patch-debt.outputs.notification != '')",
    );
    expect(notify.environment).toEqual({ name: '${{ inputs.environment }}', deployment: false });
    expect(notify.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(stepsOf('check-environment.yml', 'notify')).toEqual(['checkout', 'configure-aws-credentials', 'gitops:notify']);
    // The deploy role (it trusts jobs of the environment) only when there is a topic to publish to.
    expect(step('check-environment.yml', 'notify', 'credentials').if).toBe("needs.drift.outputs.notify-sns == 'true'");
    expect(step('check-environment.yml', 'notify', 'credentials').with?.['role-to-assume']).toBe('${{ vars.AWS_DEPLOY_ROLE_ARN }}');
    expect(notify.steps?.at(-1)?.with?.needs).toBe('${{ toJSON(needs) }}');
  });
});

describe('promote.yml', () => {
  const wf = workflows['promote.yml'];

  it('runs hourly off the hour and on demand for one wave, from the default branch only', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    const [{ cron }] = wf.on.schedule as { cron: string }[];
    expect(Number(cron.split(' ')[0])).toBeGreaterThan(0);
    expect(wf.jobs.plan.if).toBe("github.event_name == 'schedule' || github.ref_name == github.event.repository.default_branch");
    expect(wf.concurrency).toEqual({ group: 'promote', 'cancel-in-progress': false });
  });

  it('lists the waves without a role, then calls promote-wave.yml once per wave, in order', () => {
    expect(stepsOf('promote.yml', 'plan')).toEqual(['checkout', 'gitops:list-promotion-waves']);
    expect(wf.jobs.plan.permissions).toEqual({ contents: 'read' });
    expect(wf.jobs.promote).toMatchObject({ needs: 'plan', uses: './.github/workflows/promote-wave.yml', with: { wave: '${{ matrix.wave }}' } });
    expect(wf.jobs.promote.strategy).toEqual({ 'max-parallel': 1, 'fail-fast': false, matrix: { wave: '${{ fromJSON(needs.plan.outputs.waves) }}' } });
    // The caller's permissions are the ceiling of the called jobs': the union of decide's and propose's.
    const called = workflows['promote-wave.yml'].jobs;
    expect(wf.jobs.promote.permissions).toEqual({ ...called.decide.permissions, ...called.propose.permissions });
  });
});

describe('promote-wave.yml', () => {
  const wf = workflows['promote-wave.yml'];
  const decide = wf.jobs.decide;
  const propose = wf.jobs.propose;

  it('is called with one wave only', () => {
    expect(wf.on).toEqual({ workflow_call: { inputs: { wave: expect.objectContaining({ type: 'string', required: true }) } } });
  });

  it('decides with the read-only promotion role in no GitHub environment, so the role keeps its branch subject', () => {
    expect(stepsOf('promote-wave.yml', 'decide')).toEqual(['checkout', 'gitops:resolve-environment', 'configure-aws-credentials', 'gitops:propose-promotion']);
    expect(decide.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(decide.environment).toBeUndefined();
    expect(decide.steps?.[0].with).toEqual({ 'fetch-depth': 0, 'persist-credentials': false });
    const role = (decide.steps ?? []).find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(role?.with?.['role-to-assume']).toBe('${{ vars.AWS_PROMOTION_ROLE_ARN }}');
    expect(step('promote-wave.yml', 'decide', 'promote').with).toEqual({ command: 'propose-promotion', wave: '${{ inputs.wave }}' });
    for (const output of ['promotable', 'close-stale', 'ami-id', 'stale-ami-id', 'bumps', 'base-commit', 'branch', 'title', 'body', 'commit-message']) {
      expect(decide.outputs?.[output]).toBe(`\${{ steps.promote.outputs.${output} }}`);
    }
  });

  it('opens, updates or closes the PR in the patch-pr environment with the App token (else GITHUB_TOKEN), holding no AWS role', () => {
    expect(stepsOf('promote-wave.yml', 'propose')).toEqual([
      'checkout',
      'gitops:apply-promotion',
      'create-github-app-token',
      'create-pull-request',
      'run:gh pr close "$BRANCH" --delete-branch --comment "Superseded: the wave before now runs $NEWER_AMI, a newer patch than $STALE_AMI. Its promotion PR opens here once it has soaked."',
    ]);
    expect(propose).toMatchObject({ needs: 'decide', environment: 'patch-pr', if: "needs.decide.outputs.promotable == 'true' || needs.decide.outputs.close-stale == 'true'" });
    expect(propose.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    expect(assumesRole(propose)).toBe(false);
    expect(step('promote-wave.yml', 'propose', 'bumps')).toMatchObject({
      if: "needs.decide.outputs.promotable == 'true'",
      // The compare-and-swap against the commit the decide job decided from.
      with: { command: 'apply-promotion', wave: '${{ inputs.wave }}', bumps: '${{ needs.decide.outputs.bumps }}', 'base-commit': '${{ needs.decide.outputs.base-commit }}' },
    });
    expect(step('promote-wave.yml', 'propose', 'app-token').if).toBe("vars.PATCH_APP_ID != ''");
    expect(step('promote-wave.yml', 'propose', 'app-token').with).toMatchObject({ 'permission-contents': 'write', 'permission-pull-requests': 'write', 'private-key': '${{ secrets.PATCH_APP_PRIVATE_KEY }}' });
    const cpr = step('promote-wave.yml', 'propose', 'cpr');
    expect(cpr.if).toBe("needs.decide.outputs.promotable == 'true'");
    expect(cpr.with).toMatchObject({
      token: '${{ steps.app-token.outputs.token || github.token }}',
      branch: '${{ needs.decide.outputs.branch }}',
      body: '${{ needs.decide.outputs.body }}',
      'add-paths': '${{ steps.bumps.outputs.paths }}',
      labels: 'ami-promotion',
    });
    const close = (propose.steps ?? []).at(-1)!;
    expect(close.if).toBe("needs.decide.outputs.close-stale == 'true'");
    expect(close.env?.GH_TOKEN).toBe('${{ steps.app-token.outputs.token || github.token }}');
  });
});

describe('ami-lifecycle.yml', () => {
  const wf = workflows['ami-lifecycle.yml'];

  it('plans weekly off the hour and on demand, and retires only on a push of the merged proposal', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['push', 'schedule', 'workflow_dispatch']);
    expect(wf.on.push).toEqual({ branches: ['main'], paths: ['parameters/ami-retirement.json'] });
    const [{ cron }] = wf.on.schedule as { cron: string }[];
    expect(Number(cron.split(' ')[0])).toBeGreaterThan(0);
    expect(wf.jobs.plan.if).not.toContain('push');
    expect(wf.jobs.retire.if).toBe("github.event_name == 'push'");
  });

  it('plans with the lifecycle role, deleting nothing, and proposes through a PR', () => {
    expect(stepsOf('ami-lifecycle.yml', 'plan')).toEqual(['checkout', 'gitops:resolve-environment', 'configure-aws-credentials', 'gitops:plan-ami-lifecycle', 'create-pull-request']);
    expect(wf.jobs.plan.permissions).toEqual({ contents: 'write', 'pull-requests': 'write', 'id-token': 'write' });
    const plan = (wf.jobs.plan.steps ?? []).find((s) => s.with?.command === 'plan-ami-lifecycle');
    expect(plan?.with).toEqual({ command: 'plan-ami-lifecycle' });
    const pr = (wf.jobs.plan.steps ?? []).find((s) => s.uses?.startsWith('peter-evans/create-pull-request@'));
    expect(pr?.with?.['add-paths']).toBe('parameters/ami-retirement.json');
  });

  it('passes the delete flag in exactly one place: the retire job after a merge', () => {
    const deletes = allJobs.flatMap(({ file, id, job }) => (job.steps ?? []).filter((s) => s.with?.delete !== undefined).map((s) => `${file}#${id}:${String(s.with?.delete)}`));
    expect(deletes).toEqual(['ami-lifecycle.yml#retire:true']);
    expect(stepsOf('ami-lifecycle.yml', 'retire')).toEqual(['checkout', 'gitops:resolve-environment', 'configure-aws-credentials', 'gitops:retire-amis']);
    expect(wf.jobs.retire.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    for (const job of [wf.jobs.plan, wf.jobs.retire]) {
      const role = (job.steps ?? []).find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
      expect(role?.with?.['role-to-assume']).toBe('${{ vars.AWS_LIFECYCLE_ROLE_ARN }}');
      expect(job.steps?.[0].with).toEqual({ 'fetch-depth': 0, 'persist-credentials': false });
    }
  });
});

describe('e2e-aws.yml', () => {
  const wf = workflows['e2e-aws.yml'];
  const e2e = wf.jobs.e2e;
  const slots = wf.jobs.slots;
  const teardown = wf.jobs.teardown;
  /** A shell step as the AWS CLI calls it makes (`run:aws cloudformation deploy + …`); other steps as `label`. */
  const cliLabel = (s: Step) => {
    if (!s.run) return label(s);
    const calls = [...s.run.matchAll(/\baws ([a-z0-9-]+) ([a-z0-9-]+)/g)].map((m) => `aws ${m[1]} ${m[2]}`);
    return `run:${calls.join(' + ') || 'shell'}`;
  };
  const e2eStep = (id: string) => step('e2e-aws.yml', 'e2e', id);
  const teardownStep = (id: string) => step('e2e-aws.yml', 'teardown', id);
  const slotsStep = (id: string) => step('e2e-aws.yml', 'slots', id);

  it('is started by hand only (never by CI, a push or a pull request), with a region, keep-stacks and an AMI to reuse', () => {
    expect(Object.keys(wf.on)).toEqual(['workflow_dispatch']);
    expect((wf.on.workflow_dispatch as { inputs: Record<string, unknown> }).inputs).toMatchObject({
      region: { type: 'string', default: 'us-east-1' },
      'keep-stacks': { type: 'boolean', default: false },
      'reuse-ami-id': { type: 'string', default: '' },
    });
  });

  it('runs one at a time and never cancels a run in progress (a cancelled runner stops no AWS work)', () => {
    expect(wf.concurrency).toEqual({ group: 'e2e-aws', 'cancel-in-progress': false });
  });

  it('names its throwaway stacks after the run, apart from every environment’s', () => {
    const env = (parse(text('e2e-aws.yml')) as { env: Record<string, string> }).env;
    expect(env).toEqual({
      NETWORK_STACK: 'e2e-${{ github.run_id }}-network',
      PIPELINE_STACK: 'e2e-${{ github.run_id }}-image-pipeline',
      APP_STACK: 'e2e-${{ github.run_id }}-app',
      SLOTS_STACK: 'e2e-${{ github.run_id }}-slots',
    });
  });

  it('runs every job in the e2e environment with the e2e role, id-token only, the build job long enough for two builds', () => {
    for (const job of [e2e, slots, teardown]) {
      expect(job.environment).toBe('e2e');
      const credentials = job.steps!.find((s) => s.uses?.startsWith(`${ROLE_ACTION}@`))!;
      expect(credentials.with).toMatchObject({ 'role-to-assume': '${{ vars.AWS_E2E_ROLE_ARN }}', 'aws-region': '${{ inputs.region }}' });
    }
    expect(e2e.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(slots.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(Number(slotsStep('credentials').with?.['role-duration-seconds'])).toBeGreaterThanOrEqual(slots['timeout-minutes']! * 60);
    expect(teardown.permissions).toEqual({ 'id-token': 'write' });
    // Two builds of up to 120 min each, under GitHub's 360-minute cap; the session outlives the job.
    expect(e2e['timeout-minutes']).toBeGreaterThanOrEqual(300);
    expect(e2e['timeout-minutes']).toBeLessThanOrEqual(360);
    expect(Number(e2eStep('credentials').with?.['role-duration-seconds'])).toBeGreaterThanOrEqual(e2e['timeout-minutes']! * 60);
  });

  it('deploys network → image pipeline → app on the stock AMI, builds twice, updates, verifies, fails back, verifies', () => {
    expect(e2e.steps!.map(cliLabel)).toEqual([
      'checkout',
      'configure-aws-credentials',
      'run:aws ssm get-parameter',
      'run:aws cloudformation deploy',
      'run:aws cloudformation deploy',
      'run:aws cloudformation describe-stacks',
      'gitops:write-parameters',
      'run:aws cloudformation deploy',
      'verify-alb',
      'build-ami',
      'build-ami',
      'run:shell',
      'gitops:write-parameters',
      'update-app-stack',
      'verify-alb',
      'update-app-stack',
      'verify-alb',
    ]);
    expect(e2eStep('network').run).toContain('templates/network.yaml');
    expect(e2eStep('image-pipeline').run).toContain('templates/image-pipeline.yaml');
    expect(e2eStep('app').run).toContain('templates/app.yaml');
    expect(e2eStep('app').env).toEqual({ PARAMETERS_FILE: '${{ steps.stock-parameters.outputs.parameters-file }}' });
  });

  it('starts from the stock AL2023 AMI of the SSM public parameter, on scratch parameters files outside the checkout', () => {
    expect(e2eStep('stock').env).toEqual({ PARAMETER: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' });
    for (const id of ['stock-parameters', 'baked-parameters']) {
      // prod: the shipped environment on strategy replace, whose file fits templates/app.yaml (dev runs slots).
      expect(e2eStep(id).with).toMatchObject({ environment: 'prod', 'network-stack-name': '${{ env.NETWORK_STACK }}' });
      expect(String(e2eStep(id).with?.['output-file'])).toMatch(/^\$\{\{ runner\.temp \}\}\//);
    }
    expect(e2eStep('stock-parameters').with?.['ami-id']).toBe('${{ steps.stock.outputs.ami-id }}');
    expect(e2eStep('baked-parameters').with?.['ami-id']).toBe('${{ steps.build.outputs.ami-id || inputs.reuse-ami-id }}');
  });

  it('builds for real, the second build diffed against the first (two real inventories), and fails without that diff', () => {
    expect(e2eStep('build').with).toMatchObject({ 'pipeline-arn': '${{ steps.pipeline.outputs.pipeline-arn }}', 'previous-ami-id': '${{ steps.stock.outputs.ami-id }}' });
    expect(e2eStep('rebuild').with).toMatchObject({ 'pipeline-arn': '${{ steps.pipeline.outputs.pipeline-arn }}', 'previous-ami-id': '${{ steps.build.outputs.ami-id }}' });
    // Its own idempotency token: the default (from the run id) would return the first build; per
    // attempt, since an explicit token is replayed as is (a re-run would get a failed build back).
    expect(e2eStep('rebuild').with?.['client-token']).toBe('e2e-${{ github.run_id }}-${{ github.run_attempt }}-rebuild');
    expect(e2eStep('require-diff').if).toContain("startsWith(steps.rebuild.outputs.package-diff-markdown, '**Packages:** no diff')");
    for (const id of ['image-pipeline', 'pipeline', 'build', 'rebuild']) expect(e2eStep(id).if).toBe("inputs.reuse-ami-id == ''");
  });

  it('updates to the baked AMI and back to the stock one, verifying each over real HTTP for two minutes', () => {
    expect(e2eStep('update').with).toMatchObject({ mode: 'deploy', 'stack-name': '${{ env.APP_STACK }}', 'parameters-file': '${{ steps.baked-parameters.outputs.parameters-file }}' });
    // As deploy-environment.yml's automatic failback runs it: a failback, not held to a window verification.
    expect(e2eStep('failback').with).toMatchObject({ mode: 'deploy', 'stack-name': '${{ env.APP_STACK }}', 'parameters-file': '${{ steps.stock-parameters.outputs.parameters-file }}', failback: 'true' });
    expect(step('deploy-environment.yml', 'deploy', 'failback-update').with?.failback).toBe('true');
    expect(e2eStep('verify').with).toMatchObject({ 'expected-ami-id': '${{ steps.baked-parameters.outputs.ami-id }}', 'watch-seconds': '120', 'max-error-rate': '0' });
    expect(e2eStep('failback-verify').with).toMatchObject({ 'expected-ami-id': '${{ steps.stock.outputs.ami-id }}', 'watch-seconds': '120', 'max-error-rate': '0' });
    for (const id of ['verify-stock', 'verify', 'failback-verify']) expect(e2eStep(id).with).toMatchObject({ 'stack-name': '${{ env.APP_STACK }}', path: '/details.json' });
  });

  it('deploys the slots strategy after the replace run: blue on the stock AMI, the baked AMI through stage → prove → canary → switch, then a failback inside the window', () => {
    expect(slots.needs).toBe('e2e');
    expect(slots.steps!.map(cliLabel)).toEqual([
      'checkout',
      'configure-aws-credentials',
      'run:shell',
      'run:aws cloudformation deploy',
      'run:aws cloudformation describe-stacks + aws autoscaling describe-auto-scaling-groups',
      'verify-alb',
      'update-app-stack',
      'verify-alb',
      'run:shell',
      'update-app-stack',
      'run:shell',
      'verify-alb',
      'run:aws autoscaling describe-auto-scaling-groups',
      'update-app-stack',
      'run:aws cloudformation describe-stacks + aws cloudwatch describe-alarms',
      'update-app-stack',
      'verify-alb',
      'run:aws autoscaling describe-auto-scaling-groups',
      // Staging ahead (its own test below).
      'update-app-stack',
      'run:aws autoscaling describe-auto-scaling-groups',
      'verify-alb',
      'update-app-stack',
      'verify-alb',
      'run:aws autoscaling describe-auto-scaling-groups',
    ]);
    expect(slots.env).toEqual({
      STOCK_AMI: '${{ needs.e2e.outputs.stock-ami-id }}',
      BAKED_AMI: '${{ needs.e2e.outputs.ami-id || inputs.reuse-ami-id }}',
      STAGE_AMI: '${{ needs.e2e.outputs.rebuild-ami-id || needs.e2e.outputs.stock-ami-id }}',
    });
    expect(slotsStep('slots-stack').run).toContain('--template-file templates/app-slots.yaml');
    // The three states: blue live on the stock AMI; green live on the baked one with blue warm; blue live again, green kept.
    const writes = [...slotsStep('slots-parameters').run!.matchAll(/^ *write (.+)$/gm)].map((m) => m[1]);
    expect(writes).toEqual([
      'blue "$STOCK_AMI" 2 100 "$STOCK_AMI" 0 0 stock',
      'green "$STOCK_AMI" 2 0 "$BAKED_AMI" 2 100 baked',
      'blue "$STOCK_AMI" 2 100 "$BAKED_AMI" 2 0 failback',
      // The bake window's end: blue retired, nothing else changed.
      'green "$STOCK_AMI" 0 0 "$BAKED_AMI" 2 100 retired',
      // Staging ahead: the stage PR's file, then the switch PR's.
      'green "$STAGE_AMI" 2 0 "$BAKED_AMI" 2 100 staged',
      'blue "$STAGE_AMI" 2 100 "$BAKED_AMI" 2 0 switched',
    ]);
    expect(slotsStep('slots-deploy').with).toMatchObject({
      mode: 'deploy',
      'stack-name': '${{ env.SLOTS_STACK }}',
      template: 'templates/app-slots.yaml',
      'parameters-file': '${{ steps.slots-parameters.outputs.baked }}',
      'canary-weight': '10',
      'canary-seconds': '120',
    });
    expect(slotsStep('slots-failback').with).toMatchObject({ template: 'templates/app-slots.yaml', 'parameters-file': '${{ steps.slots-parameters.outputs.failback }}', failback: 'true' });
    // Each slot verified on its own target group, on its own AMI.
    expect(slotsStep('slots-verify-stock').with).toMatchObject({ 'target-group-arn': '${{ steps.slots-outputs.outputs.blue-target-group }}', 'expected-ami-id': '${{ env.STOCK_AMI }}' });
    expect(slotsStep('slots-verify').with).toMatchObject({ 'target-group-arn': '${{ steps.slots-outputs.outputs.green-target-group }}', 'expected-ami-id': '${{ env.BAKED_AMI }}' });
    expect(slotsStep('slots-failback-verify').with).toMatchObject({ 'target-group-arn': '${{ steps.slots-outputs.outputs.blue-target-group }}', 'expected-ami-id': '${{ env.STOCK_AMI }}' });
    // Blue kept warm: the same instances before the deploy and after the failback, or the job fails.
    expect(slotsStep('slots-warm').run).toMatch(/diff -u "\$RUNNER_TEMP\/blue-instances-before\.txt" "\$RUNNER_TEMP\/blue-instances-after\.txt"/);
    expect(slotsStep('slots-warm').run).toContain('exit 1');
    // The flip is timed apart from the verification's watch: the update step's end is users on blue.
    const ids = slots.steps!.map((s) => s.id);
    expect(ids.slice(ids.indexOf('failback-clock'), ids.indexOf('slots-failback-verify') + 1)).toEqual(['failback-clock', 'slots-failback', 'failback-flipped', 'slots-failback-verify']);
  });

  it('then forward again, the bake window waited out with the live slot\'s alarms quiet, the old slot retired and the live slot verified again', () => {
    expect(slotsStep('slots-forward').with).toMatchObject({ template: 'templates/app-slots.yaml', 'parameters-file': '${{ steps.slots-parameters.outputs.baked }}' });
    expect(slotsStep('slots-forward').with?.failback).toBeUndefined();
    expect(slotsStep('slots-bake').run).toMatch(/describe-alarms --alarm-names "\$\{alarms\[@\]\}" --state-value ALARM/);
    expect(slotsStep('slots-bake').run).toContain('GreenHttp5xxAlarmArn GreenUnhealthyHostsAlarmArn');
    expect(slotsStep('slots-retire').with).toMatchObject({ template: 'templates/app-slots.yaml', 'parameters-file': '${{ steps.slots-parameters.outputs.retired }}' });
    expect(slotsStep('slots-retire-verify').with).toMatchObject({ 'target-group-arn': '${{ steps.slots-outputs.outputs.green-target-group }}', 'expected-ami-id': '${{ env.BAKED_AMI }}' });
    expect(slotsStep('slots-retired').run).toContain("length(AutoScalingGroups[0].Instances)");
    expect(slots['timeout-minutes']).toBeLessThanOrEqual(150);
    expect(Number(slotsStep('credentials').with?.['role-duration-seconds'])).toBeGreaterThanOrEqual(slots['timeout-minutes']! * 60);
  });

  it('then stages ahead from where the bake window left the stack: the next AMI staged in blue at weight 0 and proven, users still on green, the switch with the stage\'s proof, blue verified', () => {
    // The steps after the retirement's check, in order, each wired to the one before.
    const ids = slots.steps!.map((s) => s.id);
    expect(ids.slice(ids.indexOf('slots-retired'))).toEqual(['slots-retired', 'stage', 'stage-proof', 'stage-verify-live', 'switch', 'switch-verify', 'switch-check']);
    // Both files are what the parameters module reads as a stage of blue after the retirement and as its switch (docs/parameters.md).
    const plan = (live: SlotName, blue: [string, string, string], green: [string, string, string]) =>
      readSlotPlan({ LiveSlot: live, BlueAmazonMachineImage: blue[0], BlueCapacity: blue[1], BlueWeight: blue[2], GreenAmazonMachineImage: green[0], GreenCapacity: green[1], GreenWeight: green[2] });
    const [stock, baked, next] = ['ami-0000000000000000a', 'ami-0000000000000000b', 'ami-0000000000000000c'];
    const retired = plan('green', [stock, '0', '0'], [baked, '2', '100']);
    expect(isStageOnly(retired, plan('green', [next, '2', '0'], [baked, '2', '100']))).toBe(true);
    // Without builds STAGE_AMI is the stock AMI blue held before its retirement: still a stage (capacity 0 → 2).
    expect(isStageOnly(retired, plan('green', [stock, '2', '0'], [baked, '2', '100']))).toBe(true);
    expect(plan('blue', [next, '2', '100'], [baked, '2', '0'])).toMatchObject({ live: 'blue', slots: { blue: { amiId: next, capacity: 2, weight: 100 }, green: { amiId: baked, capacity: 2, weight: 0 } } });

    const slotsInputs = { mode: 'deploy', 'stack-name': '${{ env.SLOTS_STACK }}', template: 'templates/app-slots.yaml', region: '${{ inputs.region }}', 'verify-path': '/details.json', 'canary-weight': '10', 'canary-seconds': '120' };
    expect(slotsStep('stage').with).toMatchObject({ ...slotsInputs, 'parameters-file': '${{ steps.slots-parameters.outputs.staged }}', 'staged-ami-id': '${{ env.STAGE_AMI }}' });
    expect(slotsStep('stage').with?.['staged-proof']).toBeUndefined();
    // The proof goes from the stage's evidence, checked, to the switch's staged-proof, as check-switch hands it over in the deploy job.
    expect(slotsStep('stage-proof').env).toEqual({ STAGE_EVIDENCE: '${{ steps.stage.outputs.stage-evidence }}', BLUE_GROUP: '${{ steps.slots-outputs.outputs.blue-group }}' });
    expect(slotsStep('stage-proof').run).toContain(`echo "staged-proof=$(jq -c '{amiId, provenAt}' <<< "$STAGE_EVIDENCE")" >> "$GITHUB_OUTPUT"`);
    expect(slotsStep('stage-proof').run).toMatch(/\.slot == "blue" and \.amiId == \$ami and \.liveSlot == "green" and \.samples > 0 and \.errorRate == 0/);
    expect(slotsStep('stage-proof').run).toMatch(/all\(\.instances\[\]; \.amiId == \$ami\)/);
    expect(slotsStep('stage-proof').run).toContain('exit 1');
    expect(slotsStep('switch').with).toMatchObject({ ...slotsInputs, 'parameters-file': '${{ steps.slots-parameters.outputs.switched }}', 'staged-proof': '${{ steps.stage-proof.outputs.staged-proof }}' });
    expect(slotsStep('switch').with?.failback).toBeUndefined();
    expect(step('deploy-environment.yml', 'deploy', 'update').with).toMatchObject({ 'staged-proof': '${{ steps.check-switch.outputs.staged-proof }}', 'staged-ami-id': '${{ steps.check-switch.outputs.staged-ami-id }}' });
    // Users (the listener's default action) on green after the stage; blue serving after the switch.
    expect(slotsStep('stage-verify-live').with).toMatchObject({ 'target-group-arn': '${{ steps.slots-outputs.outputs.green-target-group }}', url: '${{ steps.slots-outputs.outputs.url }}', 'expected-ami-id': '${{ env.BAKED_AMI }}', 'max-error-rate': '0' });
    expect(slotsStep('switch-verify').with).toMatchObject({ 'target-group-arn': '${{ steps.slots-outputs.outputs.blue-target-group }}', url: '${{ steps.slots-outputs.outputs.url }}', 'expected-ami-id': '${{ env.STAGE_AMI }}', 'max-error-rate': '0' });
    // The switch used the proof (update-app-stack's check step, no prove) and kept the staged instances.
    expect(slotsStep('switch-check').env).toEqual({ CHANGES: '${{ steps.switch.outputs.changes-markdown }}', BLUE_GROUP: '${{ steps.slots-outputs.outputs.blue-group }}' });
    expect(slotsStep('switch-check').run).toMatch(/diff -u "\$RUNNER_TEMP\/staged-instances-before\.txt" "\$RUNNER_TEMP\/staged-instances-after\.txt"/);
    expect(slotsStep('switch-check').run).toContain("grep -q '^- \\*\\*check\\*\\*: blue was staged and proven'");
  });

  it('tears down in its own job whatever happened, unless asked to keep the stacks, every step even after a failed one', () => {
    expect(teardown.needs).toEqual(['e2e', 'slots']);
    expect(teardown.if).toBe('always() && !inputs.keep-stacks');
    expect(teardown.steps!.map(cliLabel)).toEqual([
      'configure-aws-credentials',
      'run:aws cloudformation delete-stack + aws cloudformation wait',
      'run:aws cloudformation delete-stack + aws cloudformation wait',
      'run:aws ec2 deregister-image',
      'run:aws ec2 deregister-image',
      'run:aws imagebuilder delete-image',
      'run:aws imagebuilder delete-image',
      'run:aws cloudformation describe-stacks + aws cloudformation delete-stack + aws cloudformation wait',
      'run:aws cloudformation delete-stack + aws cloudformation wait',
    ]);
    for (const s of teardown.steps!.slice(1)) expect(s.if).toMatch(/^always\(\) && steps\.credentials\.outcome == 'success'/);
    expect([teardownStep('delete-slots').run, teardownStep('delete-app').run, teardownStep('delete-image-pipeline').run, teardownStep('delete-network').run].map((r) => r!.match(/\$(\w+_STACK)/)![1])).toEqual([
      'SLOTS_STACK',
      'APP_STACK',
      'PIPELINE_STACK',
      'NETWORK_STACK',
    ]);
  });

  it('deletes only the AMIs and images this run built (never a reused AMI), with their snapshots', () => {
    expect(e2e.outputs).toEqual({
      'stock-ami-id': '${{ steps.stock.outputs.ami-id }}',
      'ami-id': '${{ steps.build.outputs.ami-id }}',
      'image-arn': '${{ steps.build.outputs.image-arn }}',
      'rebuild-ami-id': '${{ steps.rebuild.outputs.ami-id }}',
      'rebuild-image-arn': '${{ steps.rebuild.outputs.image-arn }}',
    });
    expect(teardownStep('deregister-ami').env).toEqual({ AMI_ID: '${{ needs.e2e.outputs.ami-id }}' });
    expect(teardownStep('deregister-rebuild-ami').env).toEqual({ AMI_ID: '${{ needs.e2e.outputs.rebuild-ami-id }}' });
    expect(teardownStep('delete-image').env).toEqual({ IMAGE_ARN: '${{ needs.e2e.outputs.image-arn }}' });
    expect(teardownStep('delete-rebuild-image').env).toEqual({ IMAGE_ARN: '${{ needs.e2e.outputs.rebuild-image-arn }}' });
    for (const id of ['deregister-ami', 'deregister-rebuild-ami']) expect(teardownStep(id).run).toContain('--delete-associated-snapshots');
    for (const s of teardown.steps!) expect(JSON.stringify(s)).not.toContain('reuse-ami-id');
  });
});

describe('notifications', () => {
  /** The jobs whose outcome is a deploy verdict or a check's finding people are told about. */
  const notifying = [
    ['deploy-environment.yml', 'deploy'],
    ['check-environment.yml', 'notify'],
  ] as const;

  it.each(notifying)('%s#%s ends with the notify step, under if: always(), unable to fail the job', (file, id) => {
    const steps = workflows[file].jobs[id].steps ?? [];
    const last = steps[steps.length - 1] as Step & { 'continue-on-error'?: boolean };
    expect(label(last)).toBe('gitops:notify');
    expect(last.if).toBe('always()');
    expect(last['continue-on-error']).toBe(true);
    // The URL only from the environment secret; the verdict only from the report's output.
    expect(last.with?.['webhook-url']).toBe('${{ secrets.NOTIFY_WEBHOOK_URL }}');
    expect(workflows[file].jobs[id].environment).toBeDefined();
  });

  it('the deploy job sends the report step\'s notification and its own status', () => {
    const notify = (workflows['deploy-environment.yml'].jobs.deploy.steps ?? []).find((s) => s.with?.command === 'notify')!;
    const report = (workflows['deploy-environment.yml'].jobs.deploy.steps ?? []).find((s) => s.with?.command === 'deploy-report')!;
    expect(report.id).toBe('report');
    expect(notify.with).toMatchObject({ notification: '${{ steps.report.outputs.notification }}', 'job-status': '${{ job.status }}', environment: '${{ inputs.environment }}' });
  });

  it('no other step reads the webhook secret, and none runs the notify command outside a GitHub environment', () => {
    for (const { file, job, step: s } of allSteps) {
      const readsHook = JSON.stringify(s).includes('NOTIFY_WEBHOOK_URL');
      expect({ file, job, readsHook, notify: s.with?.command === 'notify' }).toEqual({ file, job, readsHook, notify: readsHook });
    }
    for (const { file, id, job } of allJobs.filter(({ job: j }) => (j.steps ?? []).some((s) => s.with?.command === 'notify'))) expect({ file, id, environment: job.environment !== undefined }).toEqual({ file, id, environment: true });
  });
});
