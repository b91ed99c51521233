/**
 * The GitHub API stand-in (local/github-standin/) answers the pull-request calls the gitops
 * action makes as GitHub does: through the action's own GitHub code over the real Octokit, in
 * the shapes of GitHub's REST description (the required keys of `pull-request-simple` and
 * `pull-request` in @octokit/openapi-types, which is generated from it), with GitHub's errors; a
 * PR's state follows the scratch repository; and the bundled gitops action reaches it through
 * GITHUB_API_URL alone.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { getOctokit } from '@actions/github';

import { createGitHubApi } from '../../actions/lib/gitops/github-api';
import { REPO_ROOT } from '../../local/env';
import { startGitHubStandin, type GitHubStandin } from '../../local/github-standin/server';
import { createScratchRepo, type ScratchRepo } from '../../local/cycle/scratch-repo';
import { LOCAL_GITHUB_REPOSITORY, LOCAL_GITHUB_SERVER_URL, runBundledAction } from '../../local/run-action';
import { git } from '../support/git-command';

const [OWNER, REPO] = LOCAL_GITHUB_REPOSITORY.split('/');
const ref = { owner: OWNER, repo: REPO };
const TOKEN = 'standin-test-token';

/** The keys GitHub's REST description requires of a schema (`name:` lines without `?` one level in). */
function requiredKeys(schema: string): string[] {
  const types = readFileSync(join(REPO_ROOT, 'node_modules/@octokit/openapi-types/types.d.ts'), 'utf8');
  const start = types.indexOf(`\n    "${schema}": {\n`);
  if (start < 0) throw new Error(`no schema ${schema} in @octokit/openapi-types`);
  const body = types.slice(start, types.indexOf('\n    };\n', start));
  return [...body.matchAll(/^ {6}([a-z_]+):/gm)].map((m) => m[1]);
}

let root: string;
let scratch: ScratchRepo;
let standin: GitHubStandin;
const logged: string[] = [];
let octokit: ReturnType<typeof getOctokit>;

/** A branch on the stand-in's repository with one commit that changes `file`. */
function pushBranch(branch: string, file = 'README.md', text = `change on ${branch}\n`): string {
  const dir = scratch.checkout.dir;
  git(dir, 'checkout', '--quiet', '-B', branch, 'origin/main');
  writeFileSync(join(dir, file), text);
  git(dir, 'add', '--', file);
  git(dir, 'commit', '--quiet', '-m', `Change ${file} on ${branch}`);
  git(dir, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`);
  return git(dir, 'rev-parse', 'HEAD');
}

const raw = (method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `token ${TOKEN}` }) =>
  fetch(`${standin.apiUrl}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'github-standin-'));
  scratch = await createScratchRepo(join(root, 'cycle'));
  standin = await startGitHubStandin({ repositoryDir: scratch.originDir, repository: LOCAL_GITHUB_REPOSITORY, serverUrl: LOCAL_GITHUB_SERVER_URL, log: (line) => logged.push(line) });
  octokit = getOctokit(TOKEN, { baseUrl: standin.apiUrl });
});
afterAll(async () => {
  await standin?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('GitHub API stand-in', () => {
  it("answers the gitops action's openPullRequest as GitHub does: created once, then the open PR of the branch updated", async () => {
    const sha = pushBranch('ami-switch/dev');
    const api = createGitHubApi(octokit, ref);
    const opened = await api.openPullRequest({ head: 'ami-switch/dev', base: 'main', title: 'Switch dev AMI from ami-1 to ami-2', body: 'the proof' });
    expect(opened).toEqual({ number: 1, url: `${LOCAL_GITHUB_SERVER_URL}/${LOCAL_GITHUB_REPOSITORY}/pull/1`, created: true });
    const again = await api.openPullRequest({ head: 'ami-switch/dev', base: 'main', title: 'Switch dev AMI from ami-1 to ami-3', body: 'a newer proof' });
    expect(again).toEqual({ ...opened, created: false });

    const { data } = await octokit.rest.pulls.list({ ...ref, state: 'open', head: `${OWNER}:ami-switch/dev`, base: 'main' });
    expect(data.map((p) => [p.number, p.title, p.body, p.head.ref, p.head.sha, p.base.ref, p.state])).toEqual([[1, 'Switch dev AMI from ami-1 to ami-3', 'a newer proof', 'ami-switch/dev', sha, 'main', 'open']]);
    expect(logged.filter((l) => /#1 /.test(l)).map((l) => l.replace(/ \(.*/, ''))).toEqual(['STAND-IN: GitHub API: opened #1 "Switch dev AMI from ami-1 to ami-2"', 'STAND-IN: GitHub API: updated #1 "Switch dev AMI from ami-1 to ami-3"']);
  });

  it("answers in the shapes of GitHub's REST description: every required key of pull-request-simple (list) and pull-request (create, update)", async () => {
    const sha = pushBranch('shapes');
    const created = await raw('POST', `/repos/${LOCAL_GITHUB_REPOSITORY}/pulls`, { head: `${OWNER}:shapes`, base: 'main', title: 'Shapes', body: null });
    expect(created.status).toBe(201);
    const pull = (await created.json()) as Record<string, unknown> & { head: Record<string, unknown>; user: Record<string, unknown>; number: number; url: string };
    expect(created.headers.get('location')).toBe(pull.url);
    expect(requiredKeys('pull-request').filter((k) => !(k in pull))).toEqual([]);
    expect(requiredKeys('simple-user').filter((k) => !(k in pull.user))).toEqual([]);
    expect(pull).toMatchObject({ state: 'open', merged: false, mergeable: null, draft: false, commits: 1, changed_files: 1, additions: 1, maintainer_can_modify: true, body: null });
    expect(pull.head).toMatchObject({ label: `${OWNER}:shapes`, ref: 'shapes', sha });

    const listed = await raw('GET', `/repos/${LOCAL_GITHUB_REPOSITORY}/pulls?state=all`);
    expect(listed.status).toBe(200);
    const rows = (await listed.json()) as Record<string, unknown>[];
    for (const row of rows) expect(requiredKeys('pull-request-simple').filter((k) => !(k in row))).toEqual([]);
    // GitHub lists the newest first by default.
    expect(rows.map((r) => r.number)).toEqual([pull.number, 1]);

    const patched = await raw('PATCH', `/repos/${LOCAL_GITHUB_REPOSITORY}/pulls/${pull.number}`, { body: 'now with a body' });
    expect(patched.status).toBe(200);
    const updated = (await patched.json()) as object;
    expect(requiredKeys('pull-request').filter((k) => !(k in updated))).toEqual([]);

    // Pages as GitHub pages them: per_page, and a Link header to the next and last page.
    const page = await raw('GET', `/repos/${LOCAL_GITHUB_REPOSITORY}/pulls?state=all&per_page=1`);
    expect(((await page.json()) as unknown[]).length).toBe(1);
    expect(page.headers.get('link')).toMatch(/<http:\/\/127\.0\.0\.1:\d+\/repos\/local\/ami-patch-gitops\/pulls\?state=all&per_page=1&page=2>; rel="next", <[^>]+page=2>; rel="last"/);
  });

  it("refuses what GitHub refuses, with GitHub's status and body (Octokit sees a RequestError of that status)", async () => {
    const path = `/repos/${LOCAL_GITHUB_REPOSITORY}/pulls`;
    const body = async (response: Response) => ({ http: response.status, ...((await response.json()) as object) });
    expect(await body(await raw('GET', path, undefined, {}))).toMatchObject({ http: 401, message: 'Requires authentication' });
    // The open PR of ami-switch/dev exists (first test): a second one for the branch is GitHub's custom validation error.
    expect(await body(await raw('POST', path, { head: 'ami-switch/dev', base: 'main', title: 'Again' }))).toEqual({
      http: 422,
      message: 'Validation Failed',
      errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${OWNER}:ami-switch/dev.` }],
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
      status: '422',
    });
    expect(await body(await raw('POST', path, { head: 'no-such-branch', base: 'main', title: 'Nothing' }))).toMatchObject({ http: 422, errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] });
    expect(await body(await raw('POST', path, { head: 'ami-switch/dev', base: 'no-such-base', title: 'Nothing' }))).toMatchObject({ http: 422, errors: [{ resource: 'PullRequest', field: 'base', code: 'invalid' }] });
    git(scratch.checkout.dir, 'push', '--quiet', 'origin', 'origin/main:refs/heads/even-with-main');
    expect(await body(await raw('POST', path, { head: 'even-with-main', base: 'main', title: 'Nothing new' }))).toMatchObject({ http: 422, errors: [{ resource: 'PullRequest', code: 'custom', message: 'No commits between main and even-with-main' }] });
    expect(await body(await raw('POST', path, '{not json'))).toMatchObject({ http: 400, message: 'Problems parsing JSON' });
    expect(await body(await raw('PATCH', `${path}/99`, { title: 'x' }))).toMatchObject({ http: 404, message: 'Not Found' });
    // Only the pull-request endpoints the gitops action uses are served; the rest is GitHub's 404, and logged as the stand-in's.
    expect(await body(await raw('GET', `/repos/${LOCAL_GITHUB_REPOSITORY}/issues`))).toMatchObject({ http: 404 });
    expect(logged.some((l) => l.startsWith('STAND-IN: GitHub API: GET /repos/local/ami-patch-gitops/issues → 404 Not Found (the stand-in serves only'))).toBe(true);
    await expect(octokit.rest.pulls.create({ ...ref, head: 'no-such-branch', base: 'main', title: 'x' })).rejects.toMatchObject({ status: 422, message: expect.stringMatching(/^Validation Failed/) });
  });

  it('reads state from git: a PR whose head is merged into the base is closed and merged with that merge commit; a PATCH closes one unmerged', async () => {
    const head = pushBranch('merge-me', 'MERGED.md', 'merged text\n');
    const { data: opened } = await octokit.rest.pulls.create({ ...ref, head: 'merge-me', base: 'main', title: 'Merge me' });
    const dir = scratch.checkout.dir;
    git(dir, 'checkout', '--quiet', '-B', 'main', 'origin/main');
    git(dir, 'merge', '--quiet', '--no-ff', '--no-edit', 'merge-me');
    git(dir, 'push', '--quiet', 'origin', 'main');
    const merge = git(dir, 'rev-parse', 'HEAD');

    const open = await octokit.rest.pulls.list({ ...ref, state: 'open', head: `${OWNER}:merge-me` });
    expect(open.data).toEqual([]);
    const { data: closed } = await octokit.rest.pulls.list({ ...ref, state: 'closed', head: `${OWNER}:merge-me` });
    expect(closed.map((p) => ({ number: p.number, state: p.state, merge: p.merge_commit_sha, head: p.head.sha, merged: p.merged_at !== null && p.merged_at === p.closed_at }))).toEqual([{ number: opened.number, state: 'closed', merge, head, merged: true }]);

    const { data: shut } = await octokit.rest.pulls.update({ ...ref, pull_number: 2, state: 'closed' });
    expect({ state: shut.state, merged: shut.merged, merged_at: shut.merged_at, closed: shut.closed_at !== null }).toEqual({ state: 'closed', merged: false, merged_at: null, closed: true });
    // A head filter without the owner is ignored, as on GitHub: every PR of the state matches.
    expect((await octokit.rest.pulls.list({ ...ref, state: 'all', head: 'merge-me' })).data.length).toBe(standin.store.all().length);
    expect(logged.every((l) => l.startsWith('STAND-IN: GitHub API'))).toBe(true);
  });

  it('is what the bundled gitops action reaches through GITHUB_API_URL: propose-switch opens the switch PR with the proof, and a newer stage updates it', async () => {
    const dir = scratch.checkout.dir;
    git(dir, 'checkout', '--quiet', '-B', 'main', 'origin/main');
    // A stage PR merged: dev stages ami-…2 in green at weight 0, users on blue (the shipped file's AMI), staging ahead on.
    const file = join(dir, 'parameters/dev.json');
    const live = (JSON.parse(readFileSync(file, 'utf8')) as { Parameters: Record<string, string> }).Parameters.BlueAmazonMachineImage;
    const staged = 'ami-0123456789abcdef2';
    writeFileSync(file, readFileSync(file, 'utf8').replace(/("GreenAmazonMachineImage": )"[^"]+"/, `$1"${staged}"`).replace('"GreenCapacity": "0"', '"GreenCapacity": "2"'));
    const wiringFile = join(dir, 'parameters/environments.json');
    const wiring = JSON.parse(readFileSync(wiringFile, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
    wiring.environments.dev.slots = { stageAhead: true };
    writeFileSync(wiringFile, `${JSON.stringify(wiring, null, 2)}\n`);
    git(dir, 'commit', '--quiet', '-am', `Stage dev AMI ${staged} in green (users stay on ${live})`);
    git(dir, 'push', '--quiet', 'origin', 'main');
    const evidence = { slot: 'green', previousAmiId: live, amiId: staged, capacity: 2, liveSlot: 'blue', liveAmiId: live, provenAt: new Date().toISOString(), samples: 42, errorRate: 0, medianLatencyMs: 3, instances: [{ instanceId: 'i-0aa', amiId: staged }] };
    const propose = () =>
      runBundledAction('gitops', { command: 'propose-switch', environment: 'dev', 'stage-evidence': JSON.stringify(evidence) }, { GITHUB_WORKSPACE: dir, GITHUB_TOKEN: TOKEN, GITHUB_API_URL: standin.apiUrl }, { timeoutMs: 60_000 });

    const first = await propose();
    expect({ exit: first.exitCode, errors: first.annotations.filter((a) => a.level === 'error').map((a) => a.message) }).toEqual({ exit: 0, errors: [] });
    const number = Number(first.outputs['pull-request-number']);
    expect(first.outputs).toMatchObject({ branch: 'ami-switch/dev', 'pull-request-url': `${LOCAL_GITHUB_SERVER_URL}/${LOCAL_GITHUB_REPOSITORY}/pull/${number}` });
    // The first test's PR on ami-switch/dev is still open: the action found it and updated it, as it would on GitHub.
    expect(number).toBe(1);
    const pr = standin.store.find(number);
    expect(pr?.title).toBe(`Switch dev AMI from ${live} to ${staged}`);
    expect(pr?.body).toMatch(/\| HTTP samples \| 42, 0\.0 % errors, median 3 ms \|/);
    const state = await standin.store.gitState(pr!);
    expect(state.headSha).toBe(git(scratch.originDir, 'rev-parse', 'refs/heads/ami-switch/dev'));
    expect(JSON.parse(git(scratch.originDir, 'show', `refs/heads/ami-switch/dev:parameters/dev.json`)).Parameters).toMatchObject({ LiveSlot: 'green', GreenWeight: '100', BlueWeight: '0' });

    const again = await propose();
    expect(again.exitCode).toBe(0);
    expect(again.outputs['pull-request-number']).toBe(String(number));
    expect(again.stdout).toMatch(new RegExp(`updated pull request #${number} \\(${LOCAL_GITHUB_SERVER_URL.replace(/\./g, '\\.')}/`));
  });
});
