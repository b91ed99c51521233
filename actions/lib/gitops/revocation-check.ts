import { assertNotRevoked, findRevocation, loadRevocations, REVOCATIONS_FILE, type AmiIdentity, type Revocation, type RevocationList } from '../parameters';
import { AS_TEXT, type Quoting } from '../markdown';
import type { GitRepository } from './git';

/** The commit that put a revocation into the list: the evidence a refused failback names. */
export interface RevocationCommit {
  commit: string;
  subject: string;
  date: string;
}

const FIELD = '\x1f';

/** The checkout's revocation list; messages name `parameters/revoked.json`, not a runner path. */
export async function loadWorkspaceRevocations(workspace: string): Promise<RevocationList> {
  return loadRevocations(REVOCATIONS_FILE, { rootDir: workspace });
}

/**
 * The commit that revoked an entry, from git: the newest commit that changed how often the entry's
 * AMI ID or image ARN occurs in the list (`git log -S`). While the entry is in the list, that is
 * the commit that added it (or re-added it after a removal). Undefined in a shallow clone that
 * does not reach it, or when the entry is not committed yet.
 */
export async function findRevocationCommit(git: GitRepository, revocation: Revocation): Promise<RevocationCommit | undefined> {
  const key = (revocation.amiId ?? revocation.imageArn) as string;
  const { stdout } = await git.run(['log', '-n', '1', `-S${key}`, `--format=%H${FIELD}%cI${FIELD}%s`, 'HEAD', '--', REVOCATIONS_FILE]);
  const [commit, date, subject] = stdout.trim().split(FIELD);
  return commit ? { commit, date, subject } : undefined;
}

/** "revoked in commit 1a2b3c4d5e6f "Revoke ami-… (CVE-…)" (2026-11-30T14:05:00Z)"; a summary passes how it shows the subject. */
export function describeRevocationCommit(commit: RevocationCommit | undefined, q: Quoting = AS_TEXT): string {
  return commit ? `revoked in commit ${commit.commit.slice(0, 12)} "${q.typed(commit.subject)}" (${commit.date})` : 'the revoking commit is not in this clone (check out with fetch-depth: 0)';
}

/**
 * Refuses a revoked AMI with the reason, who, when and the commit that revoked it. This is what
 * set-ami, the patch PR and failback call before they put an AMI into git, and what the
 * promotion path is meant to call before it proposes an AMI to a later wave.
 */
export async function assertAmiNotRevoked(repo: { workspace: string; git: GitRepository }, ami: AmiIdentity, action: string): Promise<void> {
  const list = await loadWorkspaceRevocations(repo.workspace);
  const revocation = findRevocation(list, ami);
  if (!revocation) return;
  assertNotRevoked(list, ami, action, describeRevocationCommit(await findRevocationCommit(repo.git, revocation)));
}
