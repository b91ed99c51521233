import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Clock } from '../clock';
import { InputError } from '../errors';
import type { Logger } from '../logger';
import { checkRepositoryFile, liveAmiIn, parseParametersFile, setLiveAmiInFile } from '../parameters';
import { classifyPushRefusal, GitError, type GitRepository } from './git';

/** Who the record commits are from. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** The identity GitHub shows with the Actions logo (the user ID in the address is GitHub's, fixed). */
export const ACTIONS_BOT: GitIdentity = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' };

/** The one GitHub API call recording needs; an adapter over Octokit in an action, a fake in tests. */
export interface PullRequestApi {
  /** Opens a PR from `head` into `base`, or returns the one already open for `head`. */
  openPullRequest(request: { head: string; base: string; title: string; body: string }): Promise<{ number: number; url: string; created: boolean }>;
}

export interface RecordAmiRequest {
  /** Repository-relative parameters file. */
  file: string;
  /** The AMI users are on once recorded (in the slots shape: the live slot's). */
  amiId: string;
  /**
   * The file's new text from its text at the branch's tip (the parameters module's rewrites).
   * Default: `amiId` made live (setLiveAmiInFile); the record of a settled stack copies the
   * stack's state instead (setStackStateInFile).
   */
  rewrite?: (text: string) => string;
  /** The full commit message (subject, body, metadata block). */
  message: string;
  /** The branch git history must match: the default branch. */
  branch: string;
  /** Where the commit goes when `branch` refuses direct pushes; one fixed name per environment and purpose. */
  pullRequestBranch: string;
  /** A PR is an acceptable outcome (after the fact records); false when the caller must have it on `branch`. */
  allowPullRequest: boolean;
  /**
   * The commit the run decided from (default HEAD): the record is refused if the file changed on
   * `branch` since then. A failback passes the commit its request was validated against.
   */
  baseCommit?: string;
}

export interface RecordDeps {
  git: GitRepository;
  logger: Logger;
  /** Waits between push attempts. */
  clock: Clock;
  /** For the retry jitter (default Math.random). */
  random?: () => number;
  /** Environment that authenticates fetch and push (see tokenAuthEnv). */
  auth: Record<string, string>;
  identity: GitIdentity;
  github?: PullRequestApi;
}

/** The commit that moved a parameters file after a run's base, and the AMI it left there. */
export interface FileMove {
  commit: string;
  subject: string;
  /** The AMI the file names at the branch's tip (undefined when it names none or cannot be read). */
  amiId?: string;
}

export type RecordOutcome =
  | { outcome: 'unchanged'; commit?: string }
  | { outcome: 'pushed'; commit: string }
  | { outcome: 'pull-request'; commit: string; pullRequestUrl: string; pullRequestNumber: number }
  | { outcome: 'superseded'; reason: string; by: FileMove };

/**
 * Every record push that loses a race is tried again, up to this many attempts in all. Deploys of
 * one environment are serialised, but records of different environments, failbacks and merges
 * can land together; each round one of the racers wins, so ten attempts let ten records race.
 */
export const PUSH_ATTEMPTS = 10;
/** Wait before attempt n+1: up to 500 ms × 2^(n-1), capped at 8 s, with jitter (see retryDelayMs). */
const RETRY_BASE_MS = 500;
const RETRY_CAP_MS = 8_000;

/**
 * Jittered exponential backoff: racers that lost together must not come back together. Half the
 * delay is fixed (so a retry never comes at once) and half is random ("equal jitter").
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Records the AMI of one parameters file on `branch`, so git says what runs, as a compare-and-swap
 * against what the run was based on: the file as it is at `baseCommit` (default: HEAD, the commit
 * the job checked out).
 *
 * Each attempt reads the branch's tip; if the file there already names the AMI, there is nothing
 * to record (`unchanged`). If the file at the tip differs from the base, someone decided something
 * newer for this environment since the run started (a merge, another record, a failback): the
 * record is dropped as `superseded`, naming that commit and its AMI, and never written over it.
 * Otherwise one commit that changes only the AMI line is built on the tip (with git's plumbing,
 * outside the working tree) and pushed. A refusal is classified once (classifyPushRefusal): a lost
 * race or a transient failure is retried after a jittered backoff, from a fresh fetch, up to
 * PUSH_ATTEMPTS; a protected branch turns the commit into a pull request (when allowed).
 *
 * The working copy is never left half-way: on success it moves to the recorded commit; otherwise
 * it stays at the commit the job checked out. Either way the parameters file equals HEAD's (an
 * earlier step's edit, e.g. prepare-failback's, is superseded by the record).
 */
export async function recordAmiChange(request: RecordAmiRequest, deps: RecordDeps): Promise<RecordOutcome> {
  const { git, logger } = deps;
  const { file, amiId, branch } = request;
  const env = { ...deps.auth, ...identityEnv(deps.identity) };

  // The same file policy as every read: a link here would be committed as a path (git stores the
  // link) or written through into the file it points at, so it is refused before anything changes.
  checkRepositoryFile(join(git.dir, file), { whatFailed: `Cannot record ${amiId}`, root: git.dir });
  const base = await resolveBase(git, request);
  const baseBlob = await blobAt(git, base, file);
  if (baseBlob === undefined) {
    throw new InputError(`Cannot record ${amiId} for ${file}: the file is not in commit ${base.slice(0, 12)} (the commit this run is based on). Check parametersFile in parameters/environments.json.`, { file });
  }
  const original = await git.resolveCommit('HEAD');
  try {
    for (let attempt = 1; ; attempt += 1) {
      let tip = original;
      let commit: string | undefined;
      try {
        if (attempt > 1) tip = await fetchTip(git, branch, env);
        const text = (await git.readFileAt(tip, file)) ?? '';
        const updated = text && (request.rewrite ?? ((t: string) => setLiveAmiInFile(t, amiId, file)))(text);
        if (text && updated === text) {
          logger.info(`${file} already names ${amiId} at ${tip === original ? 'HEAD' : `${branch} (${tip.slice(0, 12)})`}: nothing to record.`);
          if (tip !== original) await moveWorkspace(git, tip, file, logger);
          return { outcome: 'unchanged', ...(tip === original ? {} : { commit: tip }) };
        }
        if ((await blobAt(git, tip, file)) !== baseBlob) return await superseded(request, base, tip, deps);
        commit = await commitOnTop(git, tip, file, updated, request.message, env);
        if (attempt === 1) logger.info(`Committed ${commit.slice(0, 12)}: ${request.message.split('\n')[0]}`);
        await git.run(['push', 'origin', `${commit}:refs/heads/${branch}`], { env });
        logger.info(`Pushed ${commit.slice(0, 12)} to ${branch}${attempt > 1 ? ` (attempt ${attempt} of ${PUSH_ATTEMPTS})` : ''}.`);
        await moveWorkspace(git, commit, file, logger);
        return { outcome: 'pushed', commit };
      } catch (error) {
        const refusal = classifyPushRefusal(error);
        if (refusal === 'protected' && commit) return await openRecordPullRequest(request, commit, deps, env, error as GitError);
        if (!(error instanceof GitError)) throw error;
        const why = gitReason(error);
        if (refusal === 'refused' || refusal === 'protected') {
          throw new GitError(
            `Cannot record ${amiId} for ${file}: git refused and a retry cannot help (${why}). Nothing was pushed to ${branch}; fix what git says, then re-run the job.`,
            error.exitCode,
            error.stderr,
          );
        }
        if (attempt >= PUSH_ATTEMPTS) {
          throw new GitError(
            `Cannot record ${amiId} for ${file}: ${branch} kept refusing the push after ${PUSH_ATTEMPTS} attempts (${refusal}: ${why}). Nothing was pushed to ${branch}; re-run the job.`,
            error.exitCode,
            error.stderr,
          );
        }
        const delay = retryDelayMs(attempt, deps.random);
        logger.info(
          `${refusal === 'lost-race' ? `${branch} moved while recording` : 'The push failed on the way'} (${why}); fetching ${branch} and trying again in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${PUSH_ATTEMPTS}).`,
        );
        await deps.clock.sleep(delay);
      }
    }
  } finally {
    // Whatever happened, the file in the working tree says what HEAD says.
    await git.run(['checkout', '--quiet', 'HEAD', '--', file], { okExitCodes: [1] });
  }
}

/** The run's base commit, checked: it must be in this clone (actions/checkout with fetch-depth: 0). */
async function resolveBase(git: GitRepository, request: RecordAmiRequest): Promise<string> {
  const revision = request.baseCommit ?? 'HEAD';
  if (!(await git.hasCommit(revision))) {
    throw new InputError(
      `Cannot record ${request.amiId} for ${request.file}: the base commit ${revision} is not in this clone. Check out the repository with fetch-depth: 0, or pass the commit the run started from.`,
    );
  }
  return git.resolveCommit(revision);
}

/** The blob ID of a file at a commit (undefined when absent): comparing IDs compares contents. */
async function blobAt(git: GitRepository, commit: string, file: string): Promise<string | undefined> {
  const { stdout, exitCode } = await git.run(['rev-parse', '--verify', '--quiet', `${commit}:${file}`], { okExitCodes: [1, 128] });
  return exitCode === 0 ? stdout.trim() : undefined;
}

async function fetchTip(git: GitRepository, branch: string, env: Record<string, string>): Promise<string> {
  await git.run(['fetch', '--quiet', '--no-tags', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`], { env });
  return git.resolveCommit(`refs/remotes/origin/${branch}`);
}

/**
 * A commit on `parent` whose only change is `file` = `content`, built in a temporary index so the
 * working tree and the job's own index are never touched (a half-made record cannot leak into
 * later steps, and no rebase can stop half-way). No hooks run, as with `commit --no-verify`.
 */
async function commitOnTop(git: GitRepository, parent: string, file: string, content: string, message: string, env: Record<string, string>): Promise<string> {
  const blob = (await git.run(['hash-object', '-w', '--stdin', `--path=${file}`], { input: content })).stdout.trim();
  const mode = (await git.run(['ls-tree', parent, '--', file])).stdout.split(/\s/)[0] || '100644';
  const scratch = await mkdtemp(join(tmpdir(), 'gitops-record-'));
  const index = { ...env, GIT_INDEX_FILE: join(scratch, 'index') };
  try {
    await git.run(['read-tree', parent], { env: index });
    await git.run(['update-index', '--cacheinfo', `${mode},${blob},${file}`], { env: index });
    const tree = (await git.run(['write-tree'], { env: index })).stdout.trim();
    return (await git.run(['commit-tree', tree, '-p', parent, '-F', '-'], { input: message, env })).stdout.trim();
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Moves the job's checkout to `commit` (a descendant of what it checked out), so later steps read
 * the branch's truth. `reset --keep` refuses rather than overwrite a file an earlier step edited;
 * the record is on the branch already, so that is a warning, not a failure.
 */
async function moveWorkspace(git: GitRepository, commit: string, file: string, logger: RecordDeps['logger']): Promise<void> {
  try {
    // The record supersedes an earlier step's edit of its file (prepare-failback's): drop it first.
    await git.run(['checkout', '--quiet', 'HEAD', '--', file]);
    await git.run(['reset', '--quiet', '--keep', commit]);
  } catch (error) {
    logger.warning(`The record is on the branch, but the working copy could not move to ${commit.slice(0, 12)} (${gitReason(error as GitError)}); later steps read the commit the job checked out.`);
  }
}

/**
 * The compare-and-swap of everything a run writes into git for an environment (a record, a
 * failback, a promotion's bumps): `branch`, fetched now, must hold `file` as it was at `base`, the
 * commit the run decided from. Undefined when it does; otherwise the newest commit that moved it
 * after `base`, and the AMI the file names at the tip. `auth` authenticates the fetch.
 */
export async function findFileMoveOnBranch(git: GitRepository, request: { file: string; base: string; branch: string }, auth: Record<string, string>): Promise<FileMove | undefined> {
  const tip = await fetchTip(git, request.branch, auth);
  if ((await blobAt(git, tip, request.file)) === (await blobAt(git, request.base, request.file))) return undefined;
  return describeFileMove(git, request.file, request.base, tip);
}

/** The newest commit that changed `file` after `base` on the way to `tip` (or at all, when `base` is not an ancestor), and what it left there. */
async function describeFileMove(git: GitRepository, file: string, base: string, tip: string): Promise<FileMove> {
  const range = (await git.run(['merge-base', '--is-ancestor', base, tip], { okExitCodes: [1] })).exitCode === 0 ? `${base}..${tip}` : tip;
  const [commit = tip, subject = ''] = (await git.run(['log', '-1', '--format=%H%x1f%s', range, '--', file])).stdout.trim().split('\x1f');
  return { commit, subject, amiId: amiAt(await git.readFileAt(tip, file), file) };
}

async function superseded(request: RecordAmiRequest, base: string, tip: string, deps: RecordDeps): Promise<RecordOutcome> {
  const { git, logger } = deps;
  const { file, amiId, branch } = request;
  const by = await describeFileMove(git, file, base, tip);
  const { commit, subject } = by;
  const reason =
    `${branch} changed ${file} after ${base.slice(0, 12)}, the commit this run is based on: ${commit.slice(0, 12)} ("${subject}") ` +
    `${by.amiId ? `names ${by.amiId}` : 'changed it'}, and recording ${amiId} over it would undo that newer decision`;
  logger.warning(`Record of ${amiId} dropped: ${reason}.`);
  return { outcome: 'superseded', reason, by };
}

function amiAt(text: string | undefined, file: string): string | undefined {
  if (text === undefined) return undefined;
  try {
    return liveAmiIn(parseParametersFile(text, file).parameters);
  } catch {
    return undefined;
  }
}

/** git's own words for a refusal (the `!` line and the remote's error), on one line, for a log line or a message. */
function gitReason(error: GitError): string {
  const lines = (error.stderr || error.message)
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter((l) => l && !/^(hint:|To |error: failed to push some refs)/.test(l));
  const telling = lines.filter((l) => /^!|^remote: (error|fatal)|^(error|fatal):/.test(l));
  return (telling.length ? telling : lines).slice(-2).join(' ');
}

async function openRecordPullRequest(request: RecordAmiRequest, commit: string, deps: RecordDeps, env: Record<string, string>, rejection: GitError): Promise<RecordOutcome> {
  const refusal = `GitHub refused a direct push to ${request.branch} (branch protection or a ruleset: ${rejection.stderr.trim().split('\n').find((l) => /GH0\d\d|protected/i.test(l))?.trim() ?? 'protected'})`;
  if (!request.allowPullRequest || !deps.github) {
    throw new GitError(
      `Cannot record ${request.amiId} for ${request.file}: ${refusal}, and this record cannot become a pull request here. ` +
        `Run it where a record may become a pull request (the step needs its github-token; docs/workflows.md), then run again. Nothing was pushed to ${request.branch}.`,
      rejection.exitCode,
      rejection.stderr,
    );
  }
  await deps.git.run(['push', '--force', 'origin', `${commit}:refs/heads/${request.pullRequestBranch}`], { env });
  const [title, ...rest] = request.message.split('\n');
  const pr = await deps.github.openPullRequest({
    head: request.pullRequestBranch,
    base: request.branch,
    title,
    body: `${refusal}, so this record is a pull request. **Merge it so git says what runs.**\n\n${rest.join('\n').trim()}`,
  });
  deps.logger.warning(`${refusal}: recorded ${request.amiId} in ${pr.created ? 'new' : 'existing'} pull request #${pr.number} (${pr.url}). Merge it so git matches what runs.`);
  return { outcome: 'pull-request', commit, pullRequestUrl: pr.url, pullRequestNumber: pr.number };
}

/** The author and committer of a commit the job makes, as git reads them from the environment. */
export function identityEnv(identity: GitIdentity): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  };
}
