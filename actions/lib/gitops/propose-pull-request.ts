import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Logger } from '../logger';
import type { GitRepository } from './git';
import { identityEnv, type GitIdentity, type PullRequestApi } from './record-change';

export interface ProposalRequest {
  /** One fixed branch per purpose and environment: a newer proposal replaces the open one. */
  branch: string;
  base: string;
  /** Repository-relative path → full new text. */
  files: Readonly<Record<string, string>>;
  /** The commit message; its first line is the PR title. */
  message: string;
  body: string;
}

export interface ProposalDeps {
  git: GitRepository;
  logger: Logger;
  auth: Record<string, string>;
  identity: GitIdentity;
  github: PullRequestApi;
}

export interface Proposal {
  commit: string;
  number: number;
  url: string;
  created: boolean;
}

/**
 * Proposes a change for a person to merge: one commit on top of HEAD, force-pushed to `branch`,
 * and a PR from it (the open one is updated). The commit is built with git's plumbing in a
 * throwaway index, so neither the working tree nor HEAD of the checkout changes: later steps of
 * the same job still see what the default branch says.
 */
export async function proposePullRequest(request: ProposalRequest, deps: ProposalDeps): Promise<Proposal> {
  const { git } = deps;
  const scratch = await mkdtemp(join(tmpdir(), 'gitops-proposal-'));
  const env = { ...deps.auth, ...identityEnv(deps.identity), GIT_INDEX_FILE: join(scratch, 'index') };
  try {
    await git.run(['read-tree', 'HEAD'], { env });
    for (const [path, text] of Object.entries(request.files)) {
      const blob = (await git.run(['hash-object', '-w', '--stdin'], { input: text })).stdout.trim();
      await git.run(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env });
    }
    const tree = (await git.run(['write-tree'], { env })).stdout.trim();
    const commit = (await git.run(['commit-tree', tree, '-p', 'HEAD', '-F', '-'], { env, input: request.message })).stdout.trim();
    await git.run(['push', '--force', 'origin', `${commit}:refs/heads/${request.branch}`], { env });
    const pr = await deps.github.openPullRequest({ head: request.branch, base: request.base, title: request.message.split('\n')[0], body: request.body });
    deps.logger.info(`Proposed ${commit.slice(0, 12)} on ${request.branch}: ${pr.created ? 'opened' : 'updated'} pull request #${pr.number} (${pr.url}).`);
    return { commit, ...pr };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
