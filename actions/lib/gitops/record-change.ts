import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { InputError } from '../errors';
import type { Logger } from '../logger';
import { setParameterInFile } from '../parameters';
import { AMI_PARAMETER } from './ami-history';
import { GitError, isNonFastForwardRejection, isProtectedBranchRejection, type GitRepository } from './git';

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
  amiId: string;
  /** The full commit message (subject, body, metadata block). */
  message: string;
  /** The branch git history must match: the default branch. */
  branch: string;
  /** Where the commit goes when `branch` refuses direct pushes; one fixed name per environment and purpose. */
  pullRequestBranch: string;
  /** A PR is an acceptable outcome (after the fact records); false when the caller must have it on `branch`. */
  allowPullRequest: boolean;
}

export interface RecordDeps {
  git: GitRepository;
  logger: Logger;
  /** Environment that authenticates fetch and push (see tokenAuthEnv). */
  auth: Record<string, string>;
  identity: GitIdentity;
  github?: PullRequestApi;
}

export type RecordOutcome =
  | { outcome: 'unchanged' }
  | { outcome: 'pushed'; commit: string }
  | { outcome: 'pull-request'; commit: string; pullRequestUrl: string; pullRequestNumber: number }
  | { outcome: 'superseded'; reason: string };

/**
 * Two pushes racing for the same branch is rare (deploys of one environment are serialised); three
 * attempts ride out a burst of merges to other files without looping for long.
 */
const PUSH_ATTEMPTS = 3;

/**
 * Sets the AMI line of a parameters file as of HEAD, commits that one file, and pushes it to
 * `branch`, so git says what runs. Lost races are rebased and retried. When the branch is protected
 * the commit goes to `pullRequestBranch` and a PR is opened (if allowed; otherwise the error says
 * how to let the token push). When the remote changed the same line meanwhile, a newer deploy of
 * that environment is queued behind this job and will make the stack match git: the record is
 * dropped as `superseded` rather than fought over.
 */
export async function recordAmiChange(request: RecordAmiRequest, deps: RecordDeps): Promise<RecordOutcome> {
  const { git, logger } = deps;
  const { file, amiId } = request;
  const env = { ...deps.auth, ...identityEnv(deps.identity) };

  const text = await git.readFileAt('HEAD', file);
  if (text === undefined) throw new InputError(`Cannot record ${amiId} for ${file}: the file is not in the commit that was checked out. Check parametersFile in parameters/environments.json.`, { file });
  const updated = setParameterInFile(text, AMI_PARAMETER, amiId, file);
  if (updated === text) {
    logger.info(`${file} already names ${amiId} at HEAD: nothing to record.`);
    return { outcome: 'unchanged' };
  }
  const original = await git.resolveCommit('HEAD');
  await writeFile(join(git.dir, file), updated);
  // `commit -- <file>` commits that path only, whatever else the job left in the index.
  await git.run(['commit', '--no-verify', '--file=-', '--', file], { input: request.message, env });
  logger.info(`Committed ${(await git.resolveCommit('HEAD')).slice(0, 12)}: ${request.message.split('\n')[0]}`);
  const result = await pushRecord(request, deps, env).catch(async (error: unknown) => {
    await git.run(['reset', '--quiet', original]);
    throw error;
  });
  // Unless the commit reached the branch, HEAD goes back to what the branch has, so a later step of
  // the same job (and a later record) reads the branch's truth, not a commit that exists only here.
  // ('unchanged' here means a rebase found the branch already records it: HEAD is the branch then.)
  if (result.outcome === 'pull-request' || result.outcome === 'superseded') await git.run(['reset', '--quiet', original]);
  return result;
}

async function pushRecord(request: RecordAmiRequest, deps: RecordDeps, env: Record<string, string>): Promise<RecordOutcome> {
  const { git, logger } = deps;
  const { file, amiId } = request;
  let commit = await git.resolveCommit('HEAD');
  for (let attempt = 1; ; attempt += 1) {
    try {
      await git.run(['push', 'origin', `HEAD:refs/heads/${request.branch}`], { env });
      logger.info(`Pushed ${commit.slice(0, 12)} to ${request.branch}.`);
      return { outcome: 'pushed', commit };
    } catch (error) {
      if (isProtectedBranchRejection(error)) return openRecordPullRequest(request, commit, deps, env, error as GitError);
      if (!isNonFastForwardRejection(error) || attempt >= PUSH_ATTEMPTS) throw error;
    }
    logger.info(`${request.branch} moved while recording; rebasing onto it (attempt ${attempt + 1} of ${PUSH_ATTEMPTS}).`);
    await git.run(['fetch', '--no-tags', 'origin', `+refs/heads/${request.branch}:refs/remotes/origin/${request.branch}`], { env });
    try {
      await git.run(['rebase', '--autostash', `origin/${request.branch}`], { env });
    } catch (error) {
      await git.run(['rebase', '--abort'], { env, okExitCodes: [128] });
      const reason = `${request.branch} changed ${file} meanwhile (${(error as GitError).message}); the deploy of that newer commit is queued and will make the stack match git`;
      logger.warning(`Record of ${amiId} dropped: ${reason}.`);
      return { outcome: 'superseded', reason };
    }
    if ((await git.resolveCommit('HEAD')) === (await git.resolveCommit(`origin/${request.branch}`))) {
      logger.info(`${request.branch} already records ${amiId} for ${file}.`);
      return { outcome: 'unchanged' };
    }
    commit = await git.resolveCommit('HEAD');
  }
}

async function openRecordPullRequest(request: RecordAmiRequest, commit: string, deps: RecordDeps, env: Record<string, string>, rejection: GitError): Promise<RecordOutcome> {
  const refusal = `GitHub refused a direct push to ${request.branch} (branch protection or a ruleset: ${rejection.stderr.trim().split('\n').find((l) => /GH0\d\d|protected/i.test(l))?.trim() ?? 'protected'})`;
  if (!request.allowPullRequest || !deps.github) {
    throw new GitError(
      `Cannot record ${request.amiId} for ${request.file}: ${refusal}. Let the workflow's token push to ${request.branch} ` +
        `(add the GitHub App or github-actions to the bypass list of the branch rule; docs/workflows.md), then run again. Nothing was pushed to ${request.branch}.`,
      rejection.exitCode,
      rejection.stderr,
    );
  }
  await deps.git.run(['push', '--force', 'origin', `HEAD:refs/heads/${request.pullRequestBranch}`], { env });
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
