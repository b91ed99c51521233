import { InputError } from '../errors';
import { AMI_PARAMETER, liveAmiIn, parseParametersFile } from '../parameters';
import { parseMetadataBlock, REVERTING_UPDATE_TYPES, type UpdatedAmi } from './commit-metadata';
import type { GitRepository } from './git';

/** The replace template's AMI parameter (the parameters module owns it and the slots shape's live AMI). */
export { AMI_PARAMETER };

/** One commit on the main line that changed the AMI of a parameters file. */
export interface AmiChange {
  commit: string;
  /** Committer date, ISO 8601: when the change reached the branch. */
  date: string;
  author: string;
  subject: string;
  /** The AMI the file names after this commit. */
  amiId: string;
  /** The update this commit records in its metadata block, if it is one of ours. */
  update?: UpdatedAmi;
}

/**
 * How far back to look. Each commit costs a few hundred bytes of `git log` and one blob read;
 * 500 changes is years of weekly patching, and a failback target older than that is not one
 * anybody should pick by default.
 */
const MAX_COMMITS = 500;

const FIELD = '\x1f';
const RECORD = '\x1e';

/**
 * The AMI history of one parameters file, newest first: one entry per first-parent commit whose
 * AMI differs from the one before it (commits that only touched other keys are left out).
 *
 * `--first-parent` follows what the branch itself went through (a merge commit counts as the
 * change it brought), which is the order the environment saw the AMIs. Contents are read with
 * the parameters module, so a commit whose file was broken is skipped, not guessed at.
 *
 * The metadata of a change is its own commit's block, or, for a PR merged with a merge commit
 * (whose message is GitHub's "Merge pull request #…"), the block of a commit it merged: so every
 * reader of `update` (the failback target, the retirement, the soak, the wave gate, the switch's
 * proof) reads a merge-commit merge as it reads a squash or rebase merge.
 */
export async function readAmiHistory(git: GitRepository, file: string, revision = 'HEAD'): Promise<AmiChange[]> {
  const { stdout } = await git.run([
    'log',
    '--first-parent',
    `--max-count=${MAX_COMMITS}`,
    `--format=%H${FIELD}%P${FIELD}%cI${FIELD}%an${FIELD}%B${RECORD}`,
    revision,
    '--',
    file,
  ]);
  const commits = stdout
    .split(RECORD)
    .map((record) => record.replace(/^\n/, ''))
    .filter((record) => record.includes(FIELD))
    .map((record) => {
      const [commit, parents, date, author, message] = record.split(FIELD);
      return { commit, merge: parents.trim().includes(' '), date, author, message };
    });
  const contents = await git.readFileAtEach(
    commits.map((c) => c.commit),
    file,
  );

  // Oldest first, so each entry can be compared with the one before it.
  const changes: AmiChange[] = [];
  let previous: string | undefined;
  for (const c of [...commits].reverse()) {
    const amiId = amiIn(contents.get(c.commit), file);
    if (amiId === undefined || amiId === previous) continue;
    previous = amiId;
    const update = parseMetadataBlock(c.message)?.find((u) => u['parameters-file'] === file || u['ami-id'] === amiId) ?? (c.merge ? await mergedUpdate(git, c.commit, file, amiId) : undefined);
    changes.push({ commit: c.commit, date: c.date, author: c.author, subject: c.message.split('\n')[0], amiId, update });
  }
  return changes.reverse();
}

/**
 * The update a merge commit brought: the newest commit it merged (`^1..^2`, the PR's own commits)
 * whose block records this file and the AMI the merge left in it, else the newest that records the
 * file at all (a switch merged onto a file that moved names another AMI than the file does, and
 * its deploy must see that to refuse it). One `git log` per merge that changed the AMI.
 */
async function mergedUpdate(git: GitRepository, commit: string, file: string, amiId: string): Promise<UpdatedAmi | undefined> {
  const { stdout } = await git.run(['log', `--format=%B${RECORD}`, `${commit}^1..${commit}^2`]);
  const updates = stdout.split(RECORD).flatMap((message) => parseMetadataBlock(message.trim())?.filter((u) => u['parameters-file'] === file) ?? []);
  return updates.find((u) => u['ami-id'] === amiId) ?? updates[0];
}

function amiIn(text: string | undefined, file: string): string | undefined {
  if (text === undefined) return undefined;
  try {
    return liveAmiIn(parseParametersFile(text, file).parameters);
  } catch {
    return undefined;
  }
}

export interface FailbackTarget {
  amiId: string;
  /** The change that first put this AMI in place: when, by whom, why. */
  change: AmiChange;
  /** AMIs passed over because a failback moved away from them. */
  skipped: string[];
  /** AMIs passed over because they are revoked. */
  revoked: string[];
}

/**
 * The default failback target: the most recent AMI before `currentAmiId` in the history, passing
 * over any AMI that a failback, auto-failback or rollback record moved away from. Without that
 * rule, a second failback in a row would return to the AMI the first one fled (A→B→C, fail back
 * to B, fail back again: C is the "previous" line in git, but A is what the operator means).
 * Revoked AMIs are passed over too, and said so in `revoked`.
 */
export function chooseFailbackTarget(history: readonly AmiChange[], currentAmiId: string, file: string, revokedAmis: ReadonlySet<string> = new Set()): FailbackTarget {
  const abandoned = new Set(
    history
      .filter((c) => c.update && REVERTING_UPDATE_TYPES.has(c.update['update-type']))
      .map((c) => c.update?.['previous-ami-id'])
      .filter((ami): ami is string => ami !== undefined),
  );
  const skipped: string[] = [];
  const revoked: string[] = [];
  for (const change of history) {
    if (change.amiId === currentAmiId) continue;
    if (revokedAmis.has(change.amiId)) {
      if (!revoked.includes(change.amiId)) revoked.push(change.amiId);
      continue;
    }
    if (abandoned.has(change.amiId)) {
      if (!skipped.includes(change.amiId)) skipped.push(change.amiId);
      continue;
    }
    return { amiId: change.amiId, change, skipped, revoked };
  }
  const passed = [
    ...(skipped.length ? [`passed over ${skipped.join(', ')}: failbacks moved away from them`] : []),
    ...(revoked.length ? [`passed over ${revoked.join(', ')}: revoked`] : []),
  ].map((p) => ` (${p})`).join('');
  throw new InputError(
    `No failback target for ${file}: its git history has no earlier AMI than ${currentAmiId}${passed}. Give target-ami explicitly (and check out with fetch-depth: 0: a shallow clone has no history).`,
    { file },
  );
}
