import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { InputError } from '../../../../actions/lib/errors';
import { classifyPushRefusal, GitError, GitRepository } from '../../../../actions/lib/gitops/git';
import { ACTIONS_BOT, PUSH_ATTEMPTS, recordAmiChange, retryDelayMs, type PullRequestApi, type RecordAmiRequest } from '../../../../actions/lib/gitops/record-change';
import { VirtualClock } from '../../../../actions/lib/clock';
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

const status = (fixture: GitFixture) => fixture.git('status', '--porcelain').trim();

/** A pre-receive hook that declines every push with `message` (as a remote that keeps failing would). */
function refuseEveryPush(origin: GitFixture, message: string): void {
  const hook = join(origin.dir, 'hooks', 'pre-receive');
  writeFileSync(hook, `#!/bin/sh\necho "${message}" >&2\nexit 1\n`);
  chmodSync(hook, 0o755);
}

/**
 * A pre-receive hook that, on the first push it sees, lets another clone's push land first (the
 * way a second record lands on GitHub while its hooks run on ours): git then refuses ours with
 * "! [remote rejected] HEAD -> main (failed to update ref)", not "non-fast-forward".
 */
function landAnotherPushDuringHook(origin: GitFixture, other: GitFixture, file: string, content: string): void {
  other.commit('Bump prod', { [file]: content });
  const marker = join(origin.dir, 'landed-once');
  const hook = join(origin.dir, 'hooks', 'pre-receive');
  writeFileSync(
    hook,
    `#!/bin/sh\ncat >/dev/null\n[ -e '${marker}' ] && exit 0\ntouch '${marker}'\n` +
      `env -i PATH="$PATH" HOME="$HOME" GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C '${other.dir}' push --quiet origin HEAD:main >&2\nexit 0\n`,
  );
  chmodSync(hook, 0o755);
}

describe('classifyPushRefusal', () => {
  const refusal = (stderr: string) => classifyPushRefusal(new GitError('git push failed', 1, stderr));
  it.each([
    [' ! [rejected]        HEAD -> main (fetch first)', 'lost-race'],
    [' ! [rejected]        HEAD -> main (non-fast-forward)', 'lost-race'],
    [' ! [remote rejected] HEAD -> main (failed to update ref)', 'lost-race'],
    [" ! [remote rejected] main -> main (cannot lock ref 'refs/heads/main': is at 1a2b but expected 3c4d)", 'lost-race'],
    [' ! [remote rejected] HEAD -> main (incorrect old value provided)', 'lost-race'],
    [' ! [remote rejected] HEAD -> main (failed to lock)', 'lost-race'],
    [' ! [rejected]        HEAD -> main (stale info)', 'lost-race'],
    ['error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502', 'transient'],
    ['fatal: unable to access \'https://github.com/acme/fleet/\': The requested URL returned error: 500', 'transient'],
    ['fatal: the remote end hung up unexpectedly', 'transient'],
    [' ! [remote rejected] HEAD -> main (Internal Server Error)', 'transient'],
    ['remote: error: GH006: Protected branch update failed for refs/heads/main.\n ! [remote rejected] HEAD -> main (protected branch hook declined)', 'protected'],
    ['remote: error: GH013: Repository rule violations found for refs/heads/main.\n ! [remote rejected] HEAD -> main (push declined due to repository rule violations)', 'protected'],
    [' ! [remote rejected] HEAD -> main (pre-receive hook declined)', 'refused'],
    ["remote: Permission to acme/fleet.git denied to github-actions[bot].\nfatal: unable to access 'https://github.com/acme/fleet/': The requested URL returned error: 403", 'refused'],
    ["fatal: '/nonexistent/repo.git' does not appear to be a git repository", 'refused'],
  ])('%s → %s', (stderr, expected) => {
    expect(refusal(stderr)).toBe(expected);
  });

  it('is "refused" for anything that is not a git error', () => {
    expect(classifyPushRefusal(new Error('boom'))).toBe('refused');
  });
});

describe('retryDelayMs: jittered exponential backoff', () => {
  it('doubles up to 8 s, never less than half of its ceiling', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map((n) => retryDelayMs(n, () => 0))).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000]);
    expect([1, 2, 3, 4, 5, 6, 9].map((n) => retryDelayMs(n, () => 1))).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });
});

describe('recordAmiChange (real git: a bare origin and clones)', () => {
  let repos: ReturnType<typeof createRemoteAndClone>;
  let logger: RecordingLogger;
  let clock: VirtualClock;
  const deps = (github?: PullRequestApi) => ({
    git: new GitRepository(repos.clone.dir, isolatedGitEnv()),
    logger,
    clock,
    auth: {},
    identity: ACTIONS_BOT,
    github,
  });
  const originFile = (ref = 'main') => execFileSync('git', ['show', `${ref}:${FILE}`], { cwd: repos.origin.dir, encoding: 'utf8' });
  const originLog = (ref = 'main') => execFileSync('git', ['log', '--format=%an <%ae>|%s', ref], { cwd: repos.origin.dir, encoding: 'utf8' }).trim().split('\n');

  beforeEach(() => {
    repos = createRemoteAndClone();
    logger = new RecordingLogger();
    clock = new VirtualClock();
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
    expect(logger.text()).toMatch(/main moved while recording \(! \[rejected\] .*\(fetch first\)\); fetching main and trying again in \d\.\d s \(attempt 2 of 10\)/);
    expect(status(repos.clone)).toBe('');
    expect(repos.clone.git('rev-parse', 'HEAD')).toBe(repos.origin.git('rev-parse', 'main'));
  });

  it('gives way when main changed the file meanwhile, naming the commit and its AMI (never reverts a newer decision)', async () => {
    const newer = repos.other.commit('Bump dev', { [FILE]: parametersJson('ami-00000000000000007') });
    repos.other.git('push', '--quiet', 'origin', 'main');
    const base = repos.clone.git('rev-parse', 'HEAD').trim();
    const result = await recordAmiChange(request(), deps());
    expect(result).toEqual({
      outcome: 'superseded',
      by: { commit: newer, subject: 'Bump dev', amiId: 'ami-00000000000000007' },
      reason: `main changed ${FILE} after ${base.slice(0, 12)}, the commit this run is based on: ${newer.slice(0, 12)} ("Bump dev") names ami-00000000000000007, and recording ${NEW} over it would undo that newer decision`,
    });
    expect(originFile()).toBe(parametersJson('ami-00000000000000007'));
    expect(status(repos.clone)).toBe('');
    expect(repos.clone.git('rev-parse', 'HEAD').trim()).toBe(base);
  });

  it('gives way when main changed another key of the file (the file moved: its deploy is queued)', async () => {
    repos.other.commit('Bigger instances', { [FILE]: parametersJson(OLD, { InstanceType: 't3.large' }) });
    repos.other.git('push', '--quiet', 'origin', 'main');
    const result = await recordAmiChange(request(), deps());
    expect(result).toMatchObject({ outcome: 'superseded', by: { subject: 'Bigger instances', amiId: OLD } });
    expect(originFile()).toBe(parametersJson(OLD, { InstanceType: 't3.large' }));
  });

  it('is a compare-and-swap against the base commit: a file that moved between the base and HEAD is not written over', async () => {
    const base = repos.clone.git('rev-parse', 'HEAD').trim();
    const newer = repos.other.commit('Bump dev', { [FILE]: parametersJson('ami-00000000000000007') });
    repos.other.git('push', '--quiet', 'origin', 'main');
    repos.clone.git('pull', '--quiet', '--ff-only');
    const result = await recordAmiChange(request({ baseCommit: base }), deps());
    expect(result).toMatchObject({ outcome: 'superseded', by: { commit: newer, amiId: 'ami-00000000000000007' } });
    expect(originLog()).toHaveLength(2);
    expect(status(repos.clone)).toBe('');
  });

  it('finds nothing to record when main already names the AMI (a same-environment racer recorded the same)', async () => {
    const same = repos.other.commit('Record dev', { [FILE]: parametersJson(NEW) });
    repos.other.git('push', '--quiet', 'origin', 'main');
    expect(await recordAmiChange(request(), deps())).toEqual({ outcome: 'unchanged', commit: same });
    expect(repos.clone.git('rev-parse', 'HEAD').trim()).toBe(same);
    expect(status(repos.clone)).toBe('');
  });

  it('refuses a base commit that is not in the clone', async () => {
    await expect(recordAmiChange(request({ baseCommit: 'f'.repeat(40) }), deps())).rejects.toThrow(/base commit f{40} is not in this clone.*fetch-depth: 0/);
  });

  it('retries "[remote rejected] (failed to update ref)": another push landed while the pre-receive hook ran', async () => {
    landAnotherPushDuringHook(repos.origin, repos.other, 'parameters/prod.json', parametersJson('ami-00000000000000005'));
    const result = await recordAmiChange(request(), deps());
    expect(result.outcome).toBe('pushed');
    expect(logger.text()).toMatch(/main moved while recording \(.*\[remote rejected\] .*\(failed to update ref\)\)/);
    expect(originLog().map((l) => l.split('|')[1])).toEqual([`Fail back dev to ${NEW}`, 'Bump prod', 'Initial']);
    expect(originFile()).toBe(parametersJson(NEW));
    expect(status(repos.clone)).toBe('');
  });

  it('gives up after PUSH_ATTEMPTS lost races, saying so, with nothing pushed and a clean workspace', async () => {
    refuseEveryPush(repos.origin, "error: cannot lock ref 'refs/heads/main': is at 1111111111111111111111111111111111111111 but expected 2222222222222222222222222222222222222222");
    const error = await recordAmiChange(request(), deps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect((error as Error).message).toMatch(new RegExp(`^Cannot record ${NEW} for ${FILE}: main kept refusing the push after ${PUSH_ATTEMPTS} attempts \\(lost-race: .*cannot lock ref`));
    expect(clock.sleeps).toHaveLength(PUSH_ATTEMPTS - 1);
    expect(originLog()).toHaveLength(1);
    expect(status(repos.clone)).toBe('');
  });

  it('does not retry a refusal a retry cannot cure (a hook that declines)', async () => {
    refuseEveryPush(repos.origin, 'error: commits must be signed');
    await expect(recordAmiChange(request(), deps())).rejects.toThrow(/pre-receive hook declined/);
    expect(clock.sleeps).toEqual([]);
    expect(status(repos.clone)).toBe('');
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
    await expect(recordAmiChange(request({ allowPullRequest: false }), deps(github))).rejects.toThrow(/cannot become a pull request[\s\S]*Nothing was pushed to main/);
    expect(github.calls).toEqual([]);
  });

  it('fails with git’s words when the remote is unreachable', async () => {
    repos.clone.git('remote', 'set-url', 'origin', '/nonexistent/repo.git');
    await expect(recordAmiChange(request(), deps())).rejects.toThrow(/^Cannot record ami-00000000000000002 for parameters\/dev.json: git refused and a retry cannot help \(fatal: .* does not appear to be a git repository fatal: Could not read from remote repository\.\)/);
  });

  it('refuses a file that is not in HEAD', async () => {
    await expect(recordAmiChange(request({ file: 'parameters/staging.json' }), deps())).rejects.toThrow(InputError);
  });

  it('leaves the working tree clean when an earlier step edited the file and the record is superseded', async () => {
    writeFileSync(join(repos.clone.dir, FILE), parametersJson('ami-00000000000000009'));
    repos.other.commit('Bump dev', { [FILE]: parametersJson('ami-00000000000000007') });
    repos.other.git('push', '--quiet', 'origin', 'main');
    expect((await recordAmiChange(request(), deps())).outcome).toBe('superseded');
    expect(status(repos.clone)).toBe('');
  });

  it('moves the workspace to the recorded commit even when an earlier step edited the file (prepare-failback)', async () => {
    writeFileSync(join(repos.clone.dir, FILE), parametersJson(NEW));
    expect((await recordAmiChange(request(), deps())).outcome).toBe('pushed');
    expect(repos.clone.git('rev-parse', 'HEAD')).toBe(repos.origin.git('rev-parse', 'main'));
    expect(status(repos.clone)).toBe('');
    expect(logger.text()).not.toMatch(/could not move/);
  });

  it('leaves the working tree file equal to the recorded commit', async () => {
    await recordAmiChange(request(), deps());
    expect(readFileSync(join(repos.clone.dir, FILE), 'utf8')).toBe(parametersJson(NEW));
  });
});
