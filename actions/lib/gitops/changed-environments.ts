import type { GitRepository } from './git';

/** The part of parameters/environments.json that decides which environments a change touches. */
export interface EnvironmentFiles {
  promotionOrder: readonly string[];
  environments: Readonly<Record<string, { parametersFile: string; appTemplate: string }>>;
}

/** What `git push` reports as `before` when a branch is created: the all-zero object ID. */
const NULL_COMMIT = /^0+$/;

/**
 * The files a push or a pull request changed, from `git diff --name-only before after`.
 * When `before` is absent, all zeros (a new branch) or not in the clone (a force-push dropped it),
 * the diff is taken against `after`'s first parent instead: the change the tip commit made.
 * A root commit with no parent lists every file it holds.
 */
export async function listChangedFiles(git: GitRepository, before: string | undefined, after: string): Promise<string[]> {
  const head = await git.resolveCommit(after);
  let base: string | undefined;
  if (before && !NULL_COMMIT.test(before) && (await git.hasCommit(before))) base = before;
  else if (await git.hasCommit(`${head}^`)) base = `${head}^`;
  const args = base
    ? ['diff', '--name-only', '--no-renames', '-z', base, head, '--']
    : ['ls-tree', '-r', '--name-only', '-z', head];
  const { stdout } = await git.run(args);
  return stdout.split('\0').filter((path) => path !== '');
}

/**
 * The environments a set of changed files deploys, in promotion order: an environment changes when
 * its parameters file or its app template changed. Other templates (network, image pipeline,
 * automation, OIDC) are deployed by hand (docs/workflows.md), so they start no deploy.
 */
export function selectChangedEnvironments(changedFiles: readonly string[], wiring: EnvironmentFiles): string[] {
  const changed = new Set(changedFiles.map(normalise));
  return wiring.promotionOrder.filter((name) => {
    const env = wiring.environments[name];
    return env !== undefined && (changed.has(normalise(env.parametersFile)) || changed.has(normalise(env.appTemplate)));
  });
}

/** `./parameters/dev.json` and `parameters/dev.json` are the same file to git. */
function normalise(path: string): string {
  return path.replace(/^\.\//, '');
}

/**
 * How many of the changed environments deploy at once: a change inside one wave (a promotion PR,
 * a patch of the first wave) deploys as that wave's maxParallel allows; a change that spans waves
 * (a template change) deploys one at a time in promotion order, so a failure in an earlier wave
 * stops the later ones before they start.
 */
export function deployParallelism(waves: readonly { environments: readonly string[]; maxParallel: number }[], changed: readonly string[]): number {
  const touched = waves.filter((w) => w.environments.some((e) => changed.includes(e)));
  return touched.length === 1 ? Math.max(1, Math.min(touched[0].maxParallel, changed.length)) : 1;
}
