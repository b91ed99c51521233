/**
 * Staging ahead, at the switch PR's deploy: whether the stage's proof still stands for what HEAD
 * makes live. The switch PR was proposed from one commit (its metadata's `base-commit`) and says
 * which AMI it makes live (`ami-id`) and when the slot was proven (`proven-at`); by the time it is
 * merged the default branch may have moved. The compare-and-swap of record-change.ts, applied to
 * a merge: the environment's file as the switch found it (`base-commit`) against the file the
 * merge landed on (the switch commit's first parent).
 *
 * - HEAD's newest AMI change is not a switch: nothing to judge (`none`); the deploy proves in full.
 * - The file moved since the base, or the base is unknown: the proof is of another state (`stale`);
 *   the deploy proves in full, as a single-PR patch does.
 * - HEAD makes another AMI live than the switch PR named (someone staged another AMI and git merged
 *   both): `refuse`, before any AWS call; the person merged the switch to one AMI, not that one.
 * - Otherwise `proof`: the deploy may take one look instead of a prove watch (deploySlots decides,
 *   with the proof's age).
 */
import { parseParametersFile } from '../parameters';
import { readAmiHistory } from './ami-history';
import type { GitRepository } from './git';

export type SwitchJudgement =
  | { kind: 'none'; reason: string }
  | { kind: 'proof'; proof: { amiId: string; provenAt: string }; reason: string }
  | { kind: 'stale'; reason: string }
  | { kind: 'refuse'; switchAmiId: string; headAmiId: string; commit: string; reason: string };

export async function judgeSwitch(git: GitRepository, file: string): Promise<SwitchJudgement> {
  const [last] = await readAmiHistory(git, file);
  // A switch PR merged with a merge commit: readAmiHistory reads its metadata from the commit it merged.
  const update = last?.update;
  if (!last || update?.['update-type'] !== 'switch') return { kind: 'none', reason: `the newest AMI change of ${file} is not a switch PR's` };
  const at = last.commit.slice(0, 12);
  if (update['ami-id'] !== last.amiId) {
    return {
      kind: 'refuse',
      switchAmiId: update['ami-id'],
      headAmiId: last.amiId,
      commit: last.commit,
      reason:
        `the switch PR (${at}, "${last.subject}") makes ${update['ami-id']} live, but ${file} at HEAD makes ${last.amiId} live: the file changed on the default branch after the switch was proposed, ` +
        `and git merged both. The switch was approved for ${update['ami-id']}, not ${last.amiId}`,
    };
  }
  const base = update['base-commit'];
  const provenAt = update['proven-at'];
  if (!base || !provenAt) return { kind: 'stale', reason: `the switch PR (${at}) names no base-commit or proven-at: nothing to compare the proof with` };
  const [before, proposed] = await Promise.all([git.readFileAt(`${last.commit}^1`, file), git.readFileAt(base, file).catch(() => undefined)]);
  const moved = slotStateMoved(proposed, before, file);
  if (moved) return { kind: 'stale', reason: `${file} changed on the default branch between the switch's proposal (${base.slice(0, 12)}) and its merge (${at}): ${moved}; the proof is of another state` };
  return { kind: 'proof', proof: { amiId: last.amiId, provenAt }, reason: `the switch PR (${at}) lands on the state it was proposed from (${base.slice(0, 12)}); proven at ${provenAt}` };
}

/**
 * What moved between two texts of the file, or undefined: any parameter (an instance type changes the
 * staged slot as much as its AMI does); a missing or broken text counts as moved.
 */
function slotStateMoved(proposed: string | undefined, landed: string | undefined, file: string): string | undefined {
  if (proposed === undefined || landed === undefined) return `the file is not readable at ${proposed === undefined ? 'the base' : "the merge's parent"}`;
  try {
    const a = parseParametersFile(proposed, file).parameters;
    const b = parseParametersFile(landed, file).parameters;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]);
    return keys.length ? keys.map((k) => `${k} "${a[k] ?? ''}" → "${b[k] ?? ''}"`).join(', ') : undefined;
  } catch {
    return 'the file does not parse at one of them';
  }
}
