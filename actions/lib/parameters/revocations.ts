/**
 * `parameters/revoked.json`: the AMIs and Image Builder images that must never be put into service
 * again. This is the one module that reads it, validated by `parameters/revoked.schema.json`
 * (bundled, like the wiring's schema, so a loosened copy in a checkout cannot weaken it). Every
 * path that could put an AMI into service asks `findRevocation` or `assertNotRevoked`: set-ami and
 * the patch PR, update-app-stack in both modes, failback target selection, the drift check, the
 * lifecycle job; and the promotion path, when it exists, is meant to call `assertNotRevoked` too.
 */
import schema from '../../../parameters/revoked.schema.json';
import { InputError } from '../errors';
import { AS_TEXT, type Quoting } from '../markdown';
import { quote, throwIfProblems } from './file-problems';
import { checkSchemaFile, loadSchemaFile, type CheckedSchemaFile, type SchemaFileRules } from './schema-file';

/** Where the revocation list lives, relative to the repository root. */
export const REVOCATIONS_FILE = 'parameters/revoked.json';

const LIST_INVALID = 'Revocation list invalid';

/** One revoked AMI or image build: exactly one of `amiId` and `imageArn` is set. */
export interface Revocation {
  amiId?: string;
  imageArn?: string;
  reason: string;
  /** GitHub login. */
  revokedBy: string;
  /** ISO 8601 UTC. */
  revokedAt: string;
  /** Where the entry is in the file, for messages. */
  line: number;
}

export interface RevocationList {
  file: string;
  /** False when the repository has no list: then nothing is revoked. */
  present: boolean;
  revocations: readonly Revocation[];
}

/** An AMI as the paths know it: its ID, and the image build behind it when they know that too. */
export interface AmiIdentity {
  amiId: string;
  /** The AMI's `Ec2ImageBuilderArn` tag, or build-ami's `image-arn`. */
  imageArn?: string;
}

const RULES: SchemaFileRules = {
  whatFailed: LIST_INVALID,
  what: 'Revocation list',
  schema,
  // A list grows with every revocation; still a file of short strings.
  maxBytes: 256 * 1024,
  missingFix: 'Create it (see docs/parameters.md)',
  emptyFix: 'Write {"revocations": []} (see docs/parameters.md)',
};

/**
 * Loads and validates the list. A repository without the file has revoked nothing (the list is
 * added with the first revocation); a file that exists but is broken is refused, with every
 * problem at its line, because a list that cannot be read must not let a revoked AMI through.
 */
export async function loadRevocations(file: string = REVOCATIONS_FILE, options: { rootDir?: string } = {}): Promise<RevocationList> {
  // Messages name the repository-relative path; the file is read under rootDir (the checkout).
  // Absent means nothing revoked; anything else there (a link, a FIFO) is refused by the file policy.
  const location = options.rootDir ? { file, root: options.rootDir } : { file, root: process.cwd(), readFrom: file };
  const checked = await loadSchemaFile(location, RULES, { optional: true });
  return checked ? revocationsOf(checked, file) : { file, present: false, revocations: [] };
}

/** Validates the list's text; see {@link loadRevocations}. */
export function parseRevocations(text: string, file: string): RevocationList {
  return revocationsOf(checkSchemaFile(text, file, RULES), file);
}

/** The schema-valid list's entries, each with its line, and the rules a schema cannot say. */
function revocationsOf({ source, problems }: CheckedSchemaFile, file: string): RevocationList {
  const raw = (source.value as { revocations: Omit<Revocation, 'line'>[] }).revocations;
  const revocations = raw.map((r, index) => ({ ...r, line: source.lineOf(['revocations', index]) }));

  const seen = new Map<string, number>();
  for (const r of revocations) {
    if ((r.amiId === undefined) === (r.imageArn === undefined)) {
      problems.push({ line: r.line, message: `the entry names ${r.amiId ? 'both an amiId and an imageArn' : 'neither an amiId nor an imageArn'}. Set exactly one: an entry revokes one AMI, or every AMI of one image build.` });
      continue;
    }
    const key = (r.amiId ?? r.imageArn) as string;
    const first = seen.get(key);
    if (first !== undefined) problems.push({ line: r.line, message: `${quote(key)} is revoked twice (first on line ${first}). Keep one entry.` });
    else seen.set(key, r.line);
  }
  throwIfProblems(LIST_INVALID, file, problems);
  return { file, present: true, revocations };
}

/** The entry that revokes this AMI (by its ID, or by the image build that made it), if any. */
export function findRevocation(list: RevocationList, ami: AmiIdentity): Revocation | undefined {
  return list.revocations.find((r) => (r.amiId !== undefined && r.amiId === ami.amiId) || (r.imageArn !== undefined && r.imageArn === ami.imageArn));
}

/** The AMIs (not images) the list names: what a path without EC2 access can match on. */
export function revokedAmiIds(list: RevocationList): ReadonlySet<string> {
  return new Set(list.revocations.map((r) => r.amiId).filter((id): id is string => id !== undefined));
}

/**
 * "revoked by @octocat at 2026-11-30T14:05:00Z (parameters/revoked.json line 4): CVE-2026-1234 in
 * openssl", plain by default; a summary passes how it shows the ARN, the file and the reason.
 */
export function describeRevocation(revocation: Revocation, list: Pick<RevocationList, 'file'>, q: Quoting = AS_TEXT): string {
  const what = revocation.imageArn ? ` (its image ${q.id(revocation.imageArn)})` : '';
  return `revoked${what} by @${revocation.revokedBy} at ${revocation.revokedAt} (${q.id(list.file)} line ${revocation.line}): ${q.typed(revocation.reason)}`;
}

/** A refusal because an AMI is revoked: an InputError (the request names a bad AMI; nothing changed). */
export class RevokedAmiError extends InputError {
  constructor(
    message: string,
    readonly amiId: string,
    readonly revocation: Revocation,
  ) {
    super(message);
  }
}

/**
 * Throws a RevokedAmiError when the AMI is revoked. `action` names what was refused ("Deploy of
 * patch-dev-app", "Failback of dev"); `evidence` adds what the caller knows, e.g. the commit that
 * revoked it. The promotion path calls this before it proposes an AMI to a later wave.
 */
export function assertNotRevoked(list: RevocationList, ami: AmiIdentity, action: string, evidence?: string): void {
  const revocation = findRevocation(list, ami);
  if (!revocation) return;
  throw new RevokedAmiError(
    `${action} refused for ${ami.amiId}: it is ${describeRevocation(revocation, list)}${evidence ? `; ${evidence}` : ''}. Pick an AMI that is not revoked; if the revocation was a mistake, remove its entry from ${list.file} in a reviewed pull request.`,
    ami.amiId,
    revocation,
  );
}
