import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { InputError } from '../../../../actions/lib/errors';
import { GitError, GitRepository } from '../../../../actions/lib/gitops/git';
import { ACTIONS_BOT, recordAmiChange, type PullRequestApi, type RecordAmiRequest } from '../../../../actions/lib/gitops/record-change';
import { RecordingLogger } from '../../../../actions/lib/logger';
import { createGitFixture, isolatedGitEnv, parametersJson, type GitFixture } from './git-fixture';

const FILE = 'parameters/dev.json';
const OLD = 'ami-00000000000000001';
const NEW = 'ami-00000000000000002';

/**
 * A bare "origin" and a clone of it, the way actions/checkout leaves the workspace. A second clone
 * plays a colleague who pushes while the job runs.
 */
function createRemoteAndClone(): { origin: GitFixture; clone: GitFixture; other: GitFixture; remove(): void } {
  const seed = createGitFixture();
  seed.commit('Initial', { [FILE]: parametersJson(OLD), 'parameters/prod.json': parametersJson(OLD), 'README.md': 'x\n' });
  const origin = createGitFixture({ bare: true, cloneFrom: seed.dir });
  const clone = createGitFixture({ cloneFrom: origin.dir });
  const other = createGitFixture({ cloneFrom: origin.dir });
  return { origin, clone, other, remove: () => [seed, origin, clone, other].forEach((f) => f.remove()) };
}

/** What GitHub prints when a rule blocks a direct push, as a pre-receive hook in the bare origin. */
function protectMain(origin: GitFixture): void {
  const hook = join(origin.dir, 'hooks', 'pre-receive');
  writeFileSync(
    hook,
    '#!/bin/sh\nwhile read old new ref; do\n  if [ "$ref" = "refs/heads/main" ]; then\n    echo "error: GH006: Protected branch update failed for refs/heads/main." >&2\n    echo "error: Changes must be made through a pull request." >&2\n    exit 1\n  fi\ndone\n',
  );
  chmodSync(hook, 0o755);
}

function fakeGitHub(): PullRequestApi & { calls: Parameters<PullRequestApi['openPullRequest']>[0][] } {
  const calls: Parameters<PullRequestApi['openPullRequest']>[0][] = [];
  return {
    calls,
    async openPullRequest(request) {
      calls.push(request);
      return { number: 7, url: 'https://github.com/acme/fleet/pull/7', created: true };
    },
  };
}

const request = (overrides: Partial<RecordAmiRequest> = {}): RecordAmiRequest => ({
  file: FILE,
  amiId: NEW,
  message: `Fail back dev to ${NEW}\n\nReason: test\n`,
  branch: 'main',
  pullRequestBranch: 'gitops/record-dev',
  allowPullRequest: true,
  ...overrides,
});

describe('recordAmiChange (real git: a bare origin and clones)', () => {
  let repos: ReturnType<typeof createRemoteAndClone>;
  let logger: RecordingLogger;
  const deps = (github?: PullRequestApi) => ({
    git: new GitRepository(repos.clone.dir, isolatedGitEnv()),
    logger,
    auth: {},
    identity: ACTIONS_BOT,
    github,
  });
  const originFile = (ref = 'main') => execFileSync('git', ['show', `${ref}:${FILE}`], { cwd: repos.origin.dir, encoding: 'utf8' });
  const originLog = (ref = 'main') => execFileSync('git', ['log', '--format=%an <%ae>|%s', ref], { cwd: repos.origin.dir, encoding: 'utf8' }).trim().split('\n');

  beforeEach(() => {
    repos = createRemoteAndClone();
    logger = new RecordingLogger();
  });
  afterEach(() => repos.remove());

  it('commits the one-line change as the bot and pushes it to main', async () => {
    const result = await recordAmiChange(request(), deps());
    expect(result).toEqual({ outcome: 'pushed', commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(originFile()).toBe(parametersJson(NEW));
    expect(originLog()[0]).toBe(`${ACTIONS_BOT.name} <${ACTIONS_BOT.email}>|Fail back dev to ${NEW}`);
    const diff = execFileSync('git', ['diff', '--numstat', 'main~1', 'main'], { cwd: repos.origin.dir, encoding: 'utf8' });
    expect(diff.trim()).toBe(`1\t1\t${FILE}`);
  });

  it('commits only the parameters file, whatever else the job changed in the working tree', async () => {
    writeFileSync(join(repos.clone.dir, 'README.md'), 'scribbled by an earlier step\n');
    await recordAmiChange(request(), deps());
    expect(execFileSync('git', ['show', '--name-only', '--format=', 'main'], { cwd: repos.origin.dir, encoding: 'utf8' }).trim()).toBe(FILE);
  });

  it('records from HEAD, not from a working tree an earlier step rewrote', async () => {
    writeFileSync(join(repos.clone.dir, FILE), parametersJson('ami-00000000000000009'));
    await recordAmiChange(request(), deps());
    expect(originFile()).toBe(parametersJson(NEW));
  });

  it('does nothing when HEAD already names the AMI', async () => {
    expect(await recordAmiChange(request({ amiId: OLD }), deps())).toEqual({ outcome: 'unchanged' });
    expect(originLog()).toHaveLength(1);
  });

  it('rebases onto a commit pushed meanwhile to another file, then pushes', async () => {
    repos.other.commit('Bump prod', { 'parameters/prod.json': parametersJson('ami-00000000000000005') });
    repos.other.git('push', '--quiet', 'origin', 'main');
    const result = await recordAmiChange(request(), deps());
    expect(result.outcome).toBe('pushed');
    expect(originLog().map((l) => l.split('|')[1])).toEqual([`Fail back dev to ${NEW}`, 'Bump prod', 'Initial']);
    expect(logger.text()).toMatch(/main moved while recording; rebasing/);
  });

  it('gives way when main changed the same line meanwhile (a newer deploy is queued)', async () => {
    repos.other.commit('Bump dev', { [FILE]: parametersJson('ami-00000000000000007') });
    repos.other.git('push', '--quiet', 'origin', 'main');
    const result = await recordAmiChange(request(), deps());
    expect(result).toMatchObject({ outcome: 'superseded', reason: expect.stringMatching(/main changed parameters\/dev.json meanwhile/) });
    expect(originFile()).toBe(parametersJson('ami-00000000000000007'));
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: repos.clone.dir, encoding: 'utf8' })).not.toMatch(/^(UU|AA)/m);
  });

  it('opens a pull request from a fixed branch when main is protected', async () => {
    protectMain(repos.origin);
    const github = fakeGitHub();
    const result = await recordAmiChange(request(), deps(github));
    expect(result).toEqual({ outcome: 'pull-request', commit: expect.any(String), pullRequestUrl: 'https://github.com/acme/fleet/pull/7', pullRequestNumber: 7 });
    expect(originFile('gitops/record-dev')).toBe(parametersJson(NEW));
    expect(originFile()).toBe(parametersJson(OLD));
    expect(repos.clone.git('rev-parse', 'HEAD')).toBe(repos.origin.git('rev-parse', 'main'));
    expect(github.calls).toEqual([
      { head: 'gitops/record-dev', base: 'main', title: `Fail back dev to ${NEW}`, body: expect.stringMatching(/GH006: Protected branch update failed[\s\S]*Merge it so git says what runs[\s\S]*Reason: test/) },
    ]);
  });

  it('refuses, naming the fix, when main is protected and the caller needs the commit on main', async () => {
    protectMain(repos.origin);
    const github = fakeGitHub();
    const attempt = recordAmiChange(request({ allowPullRequest: false }), deps(github));
    await expect(attempt).rejects.toThrow(GitError);
    await expect(recordAmiChange(request({ allowPullRequest: false }), deps(github))).rejects.toThrow(/bypass list[\s\S]*Nothing was pushed to main/);
    expect(github.calls).toEqual([]);
  });

  it('fails with git’s words when the remote is unreachable', async () => {
    repos.clone.git('remote', 'set-url', 'origin', '/nonexistent/repo.git');
    await expect(recordAmiChange(request(), deps())).rejects.toThrow(/git push failed/);
  });

  it('refuses a file that is not in HEAD', async () => {
    await expect(recordAmiChange(request({ file: 'parameters/staging.json' }), deps())).rejects.toThrow(InputError);
  });

  it('leaves the working tree file equal to the recorded commit', async () => {
    await recordAmiChange(request(), deps());
    expect(readFileSync(join(repos.clone.dir, FILE), 'utf8')).toBe(parametersJson(NEW));
  });
});
