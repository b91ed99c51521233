/**
 * The rule that keeps "a later wave only runs what an earlier wave verified" true on the deploy
 * path, from git alone: an AMI may go into an environment of a later wave only if an environment
 * of an earlier wave ran it (its parameters file's history names it) and never moved away from it
 * with a failback, automatic failback or rollback record (a failed verification always leaves
 * one). Records of what runs (failbacks) pass, and a bake for the environment itself (the patch
 * workflow dispatched for it) passes with a warning: the image skipped promotion.
 */
import { InputError } from '../errors';
import { readAmiHistory, type AmiChange } from '../gitops/ami-history';
import { REVERTING_UPDATE_TYPES } from '../gitops/commit-metadata';
import type { GitRepository } from '../gitops/git';
import { waveIndexOf, type EnvironmentsConfig } from '../parameters';

export type GateVerdict =
  | { allowed: true; why: string; warning?: string }
  | { allowed: false; why: string };

/** The earlier-wave environments that ran `amiId` and never fled it, newest change first. */
export async function findEarlierWaveRuns(wiring: EnvironmentsConfig, environment: string, amiId: string, git: GitRepository): Promise<{ environment: string; change: AmiChange }[]> {
  const wave = waveIndexOf(wiring, environment);
  const runs: { environment: string; change: AmiChange }[] = [];
  for (const earlier of wiring.waves.slice(0, Math.max(0, wave)).flatMap((w) => w.environments)) {
    const history = await readAmiHistory(git, wiring.environments[earlier].parametersFile);
    const ran = history.find((c) => c.amiId === amiId);
    const fled = history.some((c) => c.update && REVERTING_UPDATE_TYPES.has(c.update['update-type']) && c.update['previous-ami-id'] === amiId);
    if (ran && !fled) runs.push({ environment: earlier, change: ran });
  }
  return runs;
}

/**
 * May `amiId` (what the environment's parameters file names at HEAD, `change` the commit that put
 * it there) be deployed to `environment`? Git answers first; `readStackAmi` (what the stack runs
 * now) is asked only when git alone would refuse: an AMI already in service is not being put
 * there by this deploy (a template-only change), so it passes.
 */
export async function judgeDeployOfAmi(
  input: {
    wiring: EnvironmentsConfig;
    environment: string;
    amiId: string;
    change?: AmiChange;
    readStackAmi: () => Promise<string | undefined>;
    /** The AMI `amiId` was copied from, by its SourceAmiId tag (an environment in another region runs a copy). */
    readCopySource?: () => Promise<string | undefined>;
  },
  git: GitRepository,
): Promise<GateVerdict> {
  const { wiring, environment, amiId } = input;
  const wave = waveIndexOf(wiring, environment);
  if (wave <= 0) return { allowed: true, why: `${environment} is in the first wave, which the patch PR bakes for` };
  const file = wiring.environments[environment].parametersFile;
  // The record of the change that put amiId in place (readAmiHistory reads a merge commit's from the
  // commit it merged); one that names another AMI (a hand edit after it in the same PR) vouches for nothing.
  const update = input.change?.update?.['ami-id'] === amiId ? input.change.update : undefined;
  if (update && REVERTING_UPDATE_TYPES.has(update['update-type'])) return { allowed: true, why: `${amiId} is a ${update['update-type']} record: an AMI ${environment} ran before` };
  const runs = await findEarlierWaveRuns(wiring, environment, amiId, git);
  if (runs.length > 0) {
    const where = runs.map((r) => `${r.environment} (since ${r.change.commit.slice(0, 12)}, ${r.change.date})`).join(', ');
    return { allowed: true, why: `${amiId} ran in the earlier wave without a failback: ${where}` };
  }
  const source = await input.readCopySource?.();
  if (source) {
    const sourceRuns = await findEarlierWaveRuns(wiring, environment, source, git);
    if (sourceRuns.length > 0) {
      const where = sourceRuns.map((r) => `${r.environment} (since ${r.change.commit.slice(0, 12)}, ${r.change.date})`).join(', ');
      return { allowed: true, why: `${amiId} is the copy of ${source} (its SourceAmiId tag), which ran in the earlier wave without a failback: ${where}` };
    }
  }
  if (update?.['update-type'] === 'patch' && update.environment === environment) {
    return {
      allowed: true,
      why: `${amiId} was baked for ${environment} directly`,
      warning: `${amiId} was baked for ${environment} directly and skipped promotion: no earlier wave (${earlierEnvironments(wiring, wave).join(', ')}) ran it.`,
    };
  }
  if ((await input.readStackAmi()) === amiId) return { allowed: true, why: `the stack already runs ${amiId}; this deploy does not put a new AMI into service` };
  return {
    allowed: false,
    why:
      `no environment of an earlier wave (${earlierEnvironments(wiring, wave).join(', ')}) ran ${amiId} without a failback, ` +
      `and ${input.change ? `commit ${input.change.commit.slice(0, 12)} ("${input.change.subject}")` : 'no commit'} that put it in ${file} is neither a promotion of a verified AMI nor a bake for ${environment}`,
  };
}

/** Throws the refusal; what the deploy job's gate step calls. */
export function assertDeployAllowed(verdict: GateVerdict, environment: string, amiId: string, file: string): void {
  if (verdict.allowed) return;
  throw new InputError(
    `Deploy of ${environment} refused for ${amiId}: ${verdict.why}. Let the promotion PR bring it (Promote workflow), put back the AMI ${environment} ran before, or bake for ${environment} directly (Patch PR with environment ${environment}, which says in its PR that the image skipped promotion).`,
    { file },
  );
}

function earlierEnvironments(wiring: EnvironmentsConfig, wave: number): string[] {
  return wiring.waves.slice(0, wave).flatMap((w) => w.environments);
}
