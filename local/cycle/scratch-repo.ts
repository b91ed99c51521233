/**
 * The cycle's stand-in for GitHub: a bare clone of this repository (`origin.git`, playing the
 * GitHub repository) and a checkout of it (playing the runner's workspace). Pull requests are
 * branches pushed to origin; merging is `git merge --no-ff` on main, pushed. Nothing here touches
 * this repository's own working tree or branches.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { GitRepository } from '../../actions/lib/gitops/git';
import { REPO_ROOT } from '../env';

export interface Identity {
  name: string;
  email: string;
}

/** Who makes the cycle's commits: the bot for patch PRs and records, a person for merges. */
export const BOT: Identity = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' };
export const OPERATOR: Identity = { name: 'Local Operator', email: 'operator@localhost' };

const identityEnv = (who: Identity): Record<string, string> => ({
  GIT_AUTHOR_NAME: who.name,
  GIT_AUTHOR_EMAIL: who.email,
  GIT_COMMITTER_NAME: who.name,
  GIT_COMMITTER_EMAIL: who.email,
});

export interface ScratchRepo {
  /** The runner's checkout (GITHUB_WORKSPACE of every action run). */
  checkout: GitRepository;
  /** The bare repository playing GitHub. */
  originDir: string;
  /** Where pull request bodies are written. */
  dir: string;
}

/**
 * Clones the committed HEAD of this repository into `dir` (deleted first) as origin.git with a
 * `main` branch, and checks it out. Uncommitted changes of this working tree are not in it.
 */
export async function createScratchRepo(dir: string): Promise<ScratchRepo> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const originDir = join(dir, 'origin.git');
  const host = new GitRepository(REPO_ROOT);
  await host.run(['clone', '--quiet', '--bare', '--single-branch', REPO_ROOT, originDir]);
  const origin = new GitRepository(originDir);
  // Whatever branch this repository is on, the scratch "GitHub" has it as main.
  await origin.run(['update-ref', 'refs/heads/main', 'HEAD']);
  await origin.run(['symbolic-ref', 'HEAD', 'refs/heads/main']);
  const checkoutDir = join(dir, 'checkout');
  await host.run(['clone', '--quiet', '--branch', 'main', originDir, checkoutDir]);
  return { checkout: new GitRepository(checkoutDir), originDir, dir };
}

/** Commits `files` (repository-relative) as `who` and pushes the current branch to origin. */
export async function commitAndPush(repo: ScratchRepo, files: string[], message: string, who: Identity): Promise<string> {
  const git = repo.checkout;
  await git.run(['commit', '--quiet', '--no-verify', '--file=-', '--', ...files], { input: message, env: identityEnv(who) });
  await git.run(['push', '--quiet', 'origin', 'HEAD']);
  return (await git.resolveCommit('HEAD')).slice(0, 12);
}

/** Opens a "pull request": a branch with one commit, pushed, and its body in a file. */
export async function openPullRequest(
  repo: ScratchRepo,
  pr: { branch: string; files: string[]; commitMessage: string; title: string; body: string },
): Promise<{ commit: string; bodyFile: string }> {
  await repo.checkout.run(['checkout', '--quiet', '-B', pr.branch]);
  const commit = await commitAndPush(repo, pr.files, pr.commitMessage, BOT);
  const bodyFile = join(repo.dir, `pull-request-${pr.branch.replace(/[^A-Za-z0-9._-]/g, '-')}.md`);
  writeFileSync(bodyFile, `# ${pr.title}\n\n${pr.body}\n`);
  return { commit, bodyFile: relative(process.cwd(), bodyFile) };
}

/** Merges a pull request branch into main with a merge commit (as GitHub's merge button does) and pushes main. */
export async function mergePullRequest(repo: ScratchRepo, branch: string, title: string): Promise<string> {
  const git = repo.checkout;
  await git.run(['checkout', '--quiet', 'main']);
  await git.run(['merge', '--quiet', '--no-ff', '--no-edit', '-m', `Merge pull request from ${branch}\n\n${title}`, branch], { env: identityEnv(OPERATOR) });
  await git.run(['push', '--quiet', 'origin', 'main']);
  return (await git.resolveCommit('HEAD')).slice(0, 12);
}

/** The checkout's HEAD and whether its working tree is clean (for "nothing changed"). */
export async function repoState(repo: ScratchRepo): Promise<{ head: string; branch: string; dirty: string }> {
  const git = repo.checkout;
  return {
    head: await git.resolveCommit('HEAD'),
    branch: (await git.run(['rev-parse', '--abbrev-ref', 'HEAD'])).stdout.trim(),
    dirty: (await git.run(['status', '--porcelain'])).stdout.trim(),
  };
}
