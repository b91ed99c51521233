/**
 * The GitHub stand-in's pull requests (server.ts): what a person or a workflow said about a PR
 * (number, title, body, head and base branch, closed by a PATCH) is kept in memory; what git knows
 * is read from the scratch repository on every request, as GitHub reads its own: the head's
 * commit, whether the head was merged into the base (GitHub marks a PR merged when its head
 * commit reaches the base, by the merge button or by a push of the merge), the merge commit and
 * the diff's size. Nothing here writes to git.
 */
import type { GitRepository } from '../../actions/lib/gitops/git';

export interface StoredPullRequest {
  number: number;
  title: string;
  body: string | null;
  /** Branch names in the repository (no `owner:` prefix: the stand-in has one repository, no forks). */
  head: string;
  base: string;
  maintainerCanModify: boolean;
  draft: boolean;
  createdAt: string;
  updatedAt: string;
  /** Set by a PATCH with state "closed" (and cleared by "open"); a merge closes it through git instead. */
  closedAt: string | null;
}

/** What git says of a pull request at the moment of the request. */
export interface PullRequestGitState {
  /** The head branch's commit, or the last one seen when the branch is gone. */
  headSha: string;
  baseSha: string;
  merged: boolean;
  /** The commit on the base that brought the head in (a merge commit, or the head itself after a fast-forward). */
  mergeCommitSha: string | null;
  /** When that commit was made (its committer date), for merged_at and closed_at. */
  mergedAt: string | null;
  commits: number;
  additions: number;
  deletions: number;
  changedFiles: number;
}

export class PullRequestStore {
  private readonly pulls: StoredPullRequest[] = [];
  /** The head commit each PR last had, so a merged PR whose branch was deleted still names it. */
  private readonly lastHeadSha = new Map<number, string>();

  constructor(private readonly git: GitRepository) {}

  all(): readonly StoredPullRequest[] {
    return this.pulls;
  }

  find(number: number): StoredPullRequest | undefined {
    return this.pulls.find((p) => p.number === number);
  }

  add(pull: Omit<StoredPullRequest, 'number'>): StoredPullRequest {
    // One sequence per repository, as GitHub numbers issues and PRs (the stand-in has no issues).
    const stored = { ...pull, number: this.pulls.length + 1 };
    this.pulls.push(stored);
    return stored;
  }

  /** The commit a branch names in the repository, or undefined when there is no such branch. */
  async branchSha(branch: string): Promise<string | undefined> {
    const { stdout, exitCode } = await this.git.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `refs/heads/${branch}^{commit}`], { okExitCodes: [1] });
    return exitCode === 0 ? stdout.trim() : undefined;
  }

  async gitState(pull: StoredPullRequest): Promise<PullRequestGitState> {
    const headSha = (await this.branchSha(pull.head)) ?? this.lastHeadSha.get(pull.number) ?? '';
    if (headSha) this.lastHeadSha.set(pull.number, headSha);
    const baseSha = (await this.branchSha(pull.base)) ?? '';
    const merged = Boolean(headSha && baseSha) && (await this.git.run(['merge-base', '--is-ancestor', headSha, baseSha], { okExitCodes: [1] })).exitCode === 0;
    const mergeCommitSha = merged ? await this.mergeCommitOf(headSha, baseSha) : null;
    const mergedAt = mergeCommitSha ? new Date((await this.git.run(['show', '-s', '--format=%cI', mergeCommitSha])).stdout.trim()).toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
    // An open PR's size is the head against where it forked from the base (GitHub's three-dot diff);
    // a merged one keeps the size it had, measured against the merge commit's first parent.
    const base = merged && mergeCommitSha && mergeCommitSha !== headSha ? `${mergeCommitSha}^1` : baseSha;
    const size = headSha && base ? await this.diffSize(base, headSha) : { commits: 0, additions: 0, deletions: 0, changedFiles: 0 };
    return { headSha, baseSha, merged, mergeCommitSha, mergedAt, ...size };
  }

  /** The head itself when the base fast-forwarded to it, else the first commit on the base's first-parent line that contains it. */
  private async mergeCommitOf(headSha: string, baseSha: string): Promise<string> {
    const firstParents = (await this.git.run(['rev-list', '--first-parent', baseSha])).stdout.trim().split('\n');
    if (firstParents.includes(headSha)) return headSha;
    const line = (await this.git.run(['rev-list', '--first-parent', '--reverse', '--ancestry-path', `${headSha}..${baseSha}`])).stdout.trim().split('\n').filter(Boolean);
    return line[0] ?? headSha;
  }

  private async diffSize(base: string, head: string): Promise<Pick<PullRequestGitState, 'commits' | 'additions' | 'deletions' | 'changedFiles'>> {
    const commits = Number((await this.git.run(['rev-list', '--count', `${base}..${head}`])).stdout.trim());
    const numstat = (await this.git.run(['diff', '--numstat', `${base}...${head}`])).stdout.trim().split('\n').filter(Boolean);
    const counts = numstat.map((line) => line.split('\t').slice(0, 2).map((n) => (n === '-' ? 0 : Number(n))));
    return {
      commits,
      additions: counts.reduce((sum, [added]) => sum + added, 0),
      deletions: counts.reduce((sum, [, deleted]) => sum + deleted, 0),
      changedFiles: numstat.length,
    };
  }
}
