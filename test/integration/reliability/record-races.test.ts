/**
 * Fault catalogue, integration suite, the git side (rows in test/unit/reliability/catalogue.ts):
 * record commits through the REAL gitops bundle (runBundledAction), against a real bare "origin"
 * whose pre-receive hook takes a moment, as GitHub's hooks do. Several records at once then meet
 * the refusals a slow remote gives (`[remote rejected] … (failed to update ref)`, `cannot lock
 * ref`, `fetch first`), and a failback decided on an older file meets a newer one. No AWS: the
 * record step of a failback runs before its deploy touches the stack, so what git records is what
 * the deploy that follows will run.
 */
import { readFileSync } from 'node:fs';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { replaceDevParameters, replaceWiringObject } from '../../support/replace-environment';
import { runBundledAction, type ActionRun } from '../../../local/run-action';
import { createGitFixture, type GitFixture } from '../../unit/lib/gitops/git-fixture';
import { casesOf, FAULTS } from '../../unit/reliability/catalogue';
import { REPO_ROOT } from '../../unit/reliability/support/aws-world';
import { expectGitSaysWhatRuns } from '../../unit/reliability/support/invariant';
import { workflowStepInputs } from '../../unit/reliability/support/workflow-step-inputs';
import { createGitopsRepo, DEV_FILE, NEWER_AMI, NEW_AMI, OLD_AMI, type GitopsRepo } from '../../unit/reliability/support/repo';

/** The rows this file implements (faults.test.ts runs the other integration rows). */
export const GIT_RACE_ROWS = ['F27', 'F28', 'F63'];

jest.setTimeout(180_000);

const ENVIRONMENTS = ['dev', 'prod', 'qa', 'staging', 'perf'];
const amiFor = (n: number) => `ami-0${n.toString(16).padStart(16, '0')}`;

/**
 * The repository's wiring with five environments (dev's entry as a replace environment copied
 * under each name), one parameters file each on `base`.
 */
function seedFiveEnvironments(seed: GitFixture, base: string): void {
  const wiring = replaceWiringObject() as unknown as {
    promotionOrder: string[];
    waves?: unknown;
    environments: Record<string, { parametersFile: string; stacks: Record<string, string> }>;
  };
  const template = wiring.environments.dev;
  const dev = replaceDevParameters();
  const files: Record<string, string> = {
    'parameters/environments.schema.json': readFileSync(join(REPO_ROOT, 'parameters/environments.schema.json'), 'utf8'),
    'templates/app.yaml': readFileSync(join(REPO_ROOT, 'templates/app.yaml'), 'utf8'),
  };
  // The repository's wiring gives its order as waves; this test lists its five environments as a plain order.
  delete wiring.waves;
  wiring.promotionOrder = ENVIRONMENTS;
  wiring.environments = {};
  for (const name of ENVIRONMENTS) {
    wiring.environments[name] = {
      ...template,
      parametersFile: `parameters/${name}.json`,
      stacks: Object.fromEntries(Object.entries(template.stacks).map(([k, v]) => [k, v.replace('-dev-', `-${name}-`)])),
    };
    files[`parameters/${name}.json`] = dev.replace(/("AmazonMachineImage": )"ami-[0-9a-f]+"/, `$1"${base}"`);
  }
  files['parameters/environments.json'] = `${JSON.stringify(wiring, null, 2)}\n`;
  seed.commit('Five environments', files);
}

/** A pre-receive hook that takes `seconds` for every push, as a remote running checks does. */
function slowHook(origin: GitFixture, seconds: number): void {
  const hook = join(origin.dir, 'hooks', 'pre-receive');
  writeFileSync(hook, `#!/bin/sh\ncat >/dev/null\nsleep ${seconds}\nexit 0\n`);
  chmodSync(hook, 0o755);
}

const amiOnMain = (origin: GitFixture, env: string) => /"AmazonMachineImage": "(ami-[0-9a-f]+)"/.exec(origin.git('show', `main:parameters/${env}.json`))?.[1];
const errorOf = (run: ActionRun) => run.annotations.find((a) => a.level === 'error')?.message ?? '';

/** The record step of a Failback run's deploy job, on the bundle, in its own workspace. */
function recordFailback(workspace: GitFixture, environment: string, target: string, baseCommit: string): Promise<ActionRun> {
  return runBundledAction(
    'gitops',
    { command: 'record-failback', environment, 'target-ami': target, reason: `race test: ${environment} back to ${target}`, 'requested-by': 'oncall', 'base-commit': baseCommit },
    gitEnv(workspace),
    { timeoutMs: 150_000 },
  );
}

function gitEnv(workspace: GitFixture): Record<string, string> {
  return { GITHUB_WORKSPACE: workspace.dir, GITHUB_TOKEN: 'local-token', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
}

const IMPLEMENTED = new Set<string>();
function fault(id: string, body: () => Promise<void>) {
  const row = FAULTS.find((c) => c.id === id);
  if (!row) throw new Error(`No fault ${id} in the catalogue`);
  IMPLEMENTED.add(id);
  it(`${row.id} ${row.name}`, body);
}

describe('faults (integration): record commits on the gitops bundle against a slow bare origin', () => {
  let fixtures: GitFixture[] = [];
  let repo: GitopsRepo | undefined;
  afterEach(() => {
    for (const f of fixtures) f.remove();
    fixtures = [];
    repo?.remove();
    repo = undefined;
  });

  fault('F27', async () => {
    const base = amiFor(1);
    const seed = createGitFixture();
    seedFiveEnvironments(seed, base);
    const origin = createGitFixture({ bare: true, cloneFrom: seed.dir });
    fixtures.push(seed, origin);
    slowHook(origin, 0.4);
    const baseCommit = origin.git('rev-parse', 'main').trim();

    // Seven Failback runs' record steps at once: one per environment, and two more for dev with
    // other targets (three people failing dev back at the same moment). Each in its own checkout.
    const requests = [...ENVIRONMENTS.map((env, i) => ({ env, target: amiFor(16 + i) })), { env: 'dev', target: amiFor(32) }, { env: 'dev', target: amiFor(33) }];
    const workspaces = requests.map(() => createGitFixture({ cloneFrom: origin.dir }));
    fixtures.push(...workspaces);
    const runs = await Promise.all(requests.map((r, i) => recordFailback(workspaces[i], r.env, r.target, baseCommit)));

    // Every workspace ends clean, whatever its outcome.
    for (const w of workspaces) expect(w.git('status', '--porcelain').trim()).toBe('');
    // One record per environment on main, in a straight line on top of the base.
    expect(origin.git('rev-list', '--count', `${baseCommit}..main`).trim()).toBe(String(ENVIRONMENTS.length));
    expect(origin.git('rev-list', '--merges', '--count', 'main').trim()).toBe('0');

    for (const env of ENVIRONMENTS.filter((e) => e !== 'dev')) {
      const i = requests.findIndex((r) => r.env === env);
      expect({ env, exit: runs[i].exitCode, outcome: runs[i].outputs.outcome, error: errorOf(runs[i]) }).toEqual({ env, exit: 0, outcome: 'pushed', error: '' });
      expect(amiOnMain(origin, env)).toBe(requests[i].target);
      expectGitSaysWhatRuns({ gitAmi: amiOnMain(origin, env) ?? 'none', runningAmi: requests[i].target, failed: false, said: [] }, 'git says what runs');
    }

    // dev: exactly one record wins; the two others say they were superseded, by that commit and its AMI.
    const dev = requests.map((r, i) => ({ ...r, run: runs[i] })).filter((r) => r.env === 'dev');
    const winners = dev.filter((r) => r.run.outputs.outcome === 'pushed');
    expect(winners).toHaveLength(1);
    const [winner] = winners;
    expect(amiOnMain(origin, 'dev')).toBe(winner.target);
    for (const loser of dev.filter((r) => r !== winner)) {
      expect(loser.run.exitCode).toBe(1);
      expect(loser.run.outputs).toMatchObject({ outcome: 'superseded', 'superseded-by': winner.run.outputs.commit, 'superseded-by-ami-id': winner.target });
      expect(errorOf(loser.run)).toContain(
        `Failback of dev to ${loser.target} NOT recorded or deployed: main changed parameters/dev.json after ${baseCommit.slice(0, 12)}, the commit this run is based on: ` +
          `${winner.run.outputs.commit.slice(0, 12)} ("Fail back dev to ${winner.target}") names ${winner.target}`,
      );
    }
    // The deploy that follows the winner's record runs what git says; the losers deploy nothing.
    expectGitSaysWhatRuns({ gitAmi: amiOnMain(origin, 'dev') ?? 'none', runningAmi: winner.target, failed: true, said: dev.map((r) => errorOf(r.run)) }, 'git says what runs');
    // Some of the seven really lost a race on the way (the point of the slow hook).
    expect(runs.map((r) => r.stdout).join('\n')).toMatch(/main moved while recording \(.*(failed to update ref|fetch first|cannot lock ref)/);
  });

  fault('F28', async () => {
    repo = createGitopsRepo(NEW_AMI, OLD_AMI);
    // The Failback run was dispatched on main as it was then (github.sha); a newer AMI is merged
    // before its deploy job starts, and the job checks out the default branch's HEAD.
    const base = repo.origin.git('rev-parse', 'main').trim();
    const merged = repo.merge(`Bump dev AMI from ${NEW_AMI} to ${NEWER_AMI}`, NEWER_AMI);
    repo.checkout();
    const run = await recordFailback(repo.workspace, 'dev', OLD_AMI, base);

    expect(run.exitCode).toBe(1);
    expect(errorOf(run)).toBe(
      `Failback of dev to ${OLD_AMI} NOT recorded or deployed: main changed ${DEV_FILE} after ${base.slice(0, 12)}, the commit this run is based on: ` +
        `${merged.slice(0, 12)} ("Bump dev AMI from ${NEW_AMI} to ${NEWER_AMI}") names ${NEWER_AMI}, and recording ${OLD_AMI} over it would undo that newer decision. ` +
        `Nothing was changed by this run, in AWS or git: you asked for ${OLD_AMI}; main names ${NEWER_AMI} since ${merged.slice(0, 12)}, and the deploy of ${merged.slice(0, 12)} (not this run) is what puts ${NEWER_AMI} on dev. ` +
        `If ${OLD_AMI} is still wanted over ${NEWER_AMI}, this one command reconciles them: gh workflow run failback.yml --ref main -f environment=dev -f target-ami=${OLD_AMI} -f reason='race test: dev back to ${OLD_AMI}'`,
    );
    expect(repo.origin.git('rev-parse', 'main').trim()).toBe(merged);
    expect(repo.workspace.git('status', '--porcelain').trim()).toBe('');
    // Nothing was deployed by this run: the stack keeps running what the newer merge's deploy puts there, which git names.
    expectGitSaysWhatRuns({ gitAmi: repo.gitAmi(), runningAmi: NEWER_AMI, failed: true, said: [errorOf(run)] }, 'git says what runs');
  });

  fault('F63', async () => {
    repo = createGitopsRepo(NEW_AMI, OLD_AMI);
    const base = repo.origin.git('rev-parse', 'main').trim();
    const merged = repo.merge(`Bump dev AMI from ${NEW_AMI} to ${NEWER_AMI}`, NEWER_AMI);
    repo.checkout();
    const reason = "p99 doubled; it's the patch";
    // The deploy job of a Failback run re-run after the merge: its request step (git only), its
    // record step, then (every later step skipped) its report, with the inputs
    // deploy-environment.yml gives them. The target check between request and record needs AWS
    // and passes here: OLD_AMI is a good image.
    const inputs = { environment: 'dev', failback: 'true', 'failback-target-ami': OLD_AMI, 'failback-reason': reason, 'requested-by': 'oncall' };
    const request = await runBundledAction('gitops', workflowStepInputs('deploy-environment.yml', 'deploy', 'request', { inputs, steps: {}, defaultBranch: 'main' }), gitEnv(repo.workspace));
    expect({ exit: request.exitCode, target: request.outputs['target-ami-id'] }).toEqual({ exit: 0, target: OLD_AMI });
    const requested = { request: { outcome: 'success' as const, outputs: request.outputs } };
    const record = await runBundledAction(
      'gitops',
      workflowStepInputs('deploy-environment.yml', 'deploy', 'record', { inputs, steps: requested, defaultBranch: 'main', sha: base, token: 'local-token' }),
      gitEnv(repo.workspace),
    );
    expect({ exit: record.exitCode, outcome: record.outputs.outcome }).toEqual({ exit: 1, outcome: 'superseded' });
    const reportInputs = workflowStepInputs('deploy-environment.yml', 'deploy', 'report', { inputs, steps: { ...requested, record: { outcome: 'failure', outputs: record.outputs } }, defaultBranch: 'main' });
    const report = await runBundledAction('gitops', reportInputs, gitEnv(repo.workspace));

    const command = `gh workflow run failback.yml --ref main -f environment=dev -f target-ami=${OLD_AMI} -f reason='p99 doubled; it'\\''s the patch'`;
    expect({ exit: report.exitCode, ok: report.outputs.ok }).toEqual({ exit: 1, ok: 'false' });
    expect(report.outputs.headline).toBe(
      `Failback of dev to ${OLD_AMI} NOT recorded or deployed: a newer commit changed dev's parameters file since the request, and recording ${OLD_AMI} over it would undo that newer decision. ` +
        `Nothing was changed by this run, in AWS or git: you asked for ${OLD_AMI}; main names ${NEWER_AMI} since ${merged.slice(0, 12)}, and the deploy of ${merged.slice(0, 12)} (not this run) is what puts ${NEWER_AMI} on dev. ` +
        `If ${OLD_AMI} is still wanted over ${NEWER_AMI}, this one command reconciles them: ${command}`,
    );
    // The summary says the same, and claims nothing about what dev runs: this run never read AWS.
    expect(report.summary).toContain(`names \`${NEWER_AMI}\`, changed the file since the request |`);
    expect(report.summary).toContain('| Runs now | not read: this run stopped before AWS and changed nothing there |');
    expect(report.summary).not.toMatch(/\| Runs now \| `ami-/);
    expect(repo.origin.git('rev-parse', 'main').trim()).toBe(merged);
    expect(repo.workspace.git('status', '--porcelain').trim()).toBe('');
    expectGitSaysWhatRuns({ gitAmi: repo.gitAmi(), runningAmi: NEWER_AMI, failed: true, said: [report.outputs.headline] }, 'git says what runs');
  });

  it('implements its rows of the catalogue', () => {
    expect([...IMPLEMENTED].sort()).toEqual(casesOf(FAULTS, 'integration').filter((c) => GIT_RACE_ROWS.includes(c.id)).map((c) => c.id));
  });
});
