import { AMI_PARAMETER } from './ami-history';
import { amiMovesIn, CHECK_BEFORE_MERGING, LISTING_INCOMPLETE, type AmiMove } from '../cloudformation/change-set-markdown';

/** The GitHub calls a sticky comment needs; an adapter over Octokit in an action, a fake in tests. */
export interface IssueCommentApi {
  /** Every comment with its author's login (`github-actions[bot]` for the workflow's own token). */
  listComments(issueNumber: number): Promise<{ id: number; body: string; author: string }[]>;
  createComment(issueNumber: number, body: string): Promise<{ id: number; url: string }>;
  updateComment(commentId: number, body: string): Promise<{ id: number; url: string }>;
}

/** Finds our comment among the PR's comments; never shown to readers. */
export const PREVIEW_MARKER = '<!-- ami-patch-gitops:change-set-preview -->';

/** GitHub refuses comments over 65,536 characters; each section gets a share of that. */
const MAX_COMMENT_CHARS = 65_000;

const sectionStart = (env: string) => `<!-- preview:${env}:start -->`;
const sectionEnd = (env: string) => `<!-- preview:${env}:end -->`;

/**
 * The comment body with `environment`'s section replaced (or added), other environments' sections
 * kept, and sections in `order` (promotion order). One comment per PR, one section per
 * environment: readers see every preview in one place, and re-runs edit it instead of piling up.
 */
export function mergePreviewSection(existing: string | undefined, environment: string, markdown: string, order: readonly string[]): string {
  const sections = new Map<string, string>();
  for (const match of (existing ?? '').matchAll(/<!-- preview:([\w.-]+):start -->\n([\s\S]*?)\n<!-- preview:\1:end -->/g)) {
    sections.set(match[1], match[2]);
  }
  sections.set(environment, markdown.trim());
  const names = [...sections.keys()].sort((a, b) => rank(order, a) - rank(order, b) || a.localeCompare(b));
  const budget = Math.floor((MAX_COMMENT_CHARS - 200) / names.length) - 100;
  const parts = names.map((name) => `${sectionStart(name)}\n${clip(sections.get(name) ?? '', budget)}\n${sectionEnd(name)}`);
  return [PREVIEW_MARKER, '## CloudFormation change-set preview', previewLead(names, sections), ...parts].join('\n\n');
}

/**
 * The comment's answer, above the sections: which environments merging moves from which AMI to
 * which (or otherwise changes), and whether any needs a look first (a removal or replacement
 * beyond the blue/green cutover, or a listing that cannot say), from each section's own verdict.
 * Nothing is deployed by a preview, and it says so.
 */
export function previewLead(names: readonly string[], sections: ReadonlyMap<string, string>): string {
  const unchanged = names.filter((n) => /^(No changes|update-app-stack reported no changes)|: nothing happens\./m.test(sections.get(n) ?? ''));
  const changed = names.filter((n) => !unchanged.includes(n));
  const same = unchanged.length ? ` (${envs(unchanged)} already ${unchanged.length === 1 ? 'matches' : 'match'} it)` : '';
  if (!changed.length) return `**Merging this pull request changes nothing in ${envs(names)}: each stack already matches its parameters file.** Nothing was deployed by this preview.`;
  const check = names.filter((n) => sections.get(n)?.includes(CHECK_BEFORE_MERGING));
  const unknown = names.filter((n) => !check.includes(n) && sections.get(n)?.includes(LISTING_INCOMPLETE));
  const verdict = check.length
    ? `⚠️ check ${envs(check)} before merging: it removes or replaces more than the Auto Scaling group's blue/green cutover (below)`
    : unknown.length
      ? `the resource listing of ${envs(unknown)} is incomplete, so it cannot say what is replaced (below)`
      : 'nothing is removed or replaced beyond the blue/green cutover';
  return `**Merging this pull request ${whatChanges(changed, sections)}${same}; ${verdict}.** Nothing has changed yet: each preview's change set is created and deleted without being executed.`;
}

/**
 * "moves `dev`, `prod` from `ami-a` to `ami-b`": environments with the same AMI move together,
 * an AMI parameter other than the plain one named (a slot's), and environments whose preview
 * names no AMI move said to change as previewed.
 */
function whatChanges(changed: readonly string[], sections: ReadonlyMap<string, string>): string {
  const groups = new Map<string, string[]>();
  const others: string[] = [];
  for (const name of changed) {
    const move = amiMovesIn(sections.get(name) ?? '').map(describeMove).join(' and ');
    if (move) groups.set(move, [...(groups.get(move) ?? []), name]);
    else others.push(name);
  }
  const moved = [...groups].map(([move, names]) => `${envs(names)} ${move}`).join(', ');
  const rest = others.length ? `changes ${envs(others)} as previewed below` : '';
  return moved ? `moves ${moved}${rest ? `, and ${rest}` : ''}` : rest;
}

/** Environment names as code spans, in a list. */
function envs(names: readonly string[]): string {
  return names.map((n) => `\`${n}\``).join(', ');
}

function describeMove(move: AmiMove): string {
  const key = move.key === AMI_PARAMETER ? '' : ` (${move.key})`;
  return `from ${move.from ? `\`${move.from}\`` : '(not set)'} to \`${move.to}\`${key}`;
}

/**
 * Creates the PR's preview comment or edits it in place. Callers run one environment at a time
 * (the workflow's matrix has max-parallel: 1): two concurrent read-modify-writes would lose a section.
 *
 * Only a comment `author` wrote is adopted: the marker is plain text anyone can type, and a
 * comment that merely starts with it would otherwise have its sections (fake "no changes"
 * previews included) kept and shown as the workflow's own. GitHub logins of people cannot contain
 * "[bot]", so the workflow's identity (`github-actions[bot]`, or an App's `<slug>[bot]`) cannot be
 * impersonated by a user.
 */
export async function upsertPreviewComment(
  api: IssueCommentApi,
  issueNumber: number,
  environment: string,
  markdown: string,
  order: readonly string[],
  author: string,
): Promise<{ id: number; url: string; created: boolean }> {
  const existing = (await api.listComments(issueNumber)).find((c) => c.author === author && c.body.startsWith(PREVIEW_MARKER));
  const body = mergePreviewSection(existing?.body, environment, markdown, order);
  if (existing) return { ...(await api.updateComment(existing.id, body)), created: false };
  return { ...(await api.createComment(issueNumber, body)), created: true };
}

function rank(order: readonly string[], name: string): number {
  const index = order.indexOf(name);
  return index === -1 ? order.length : index;
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf('\n', max);
  return `${text.slice(0, cut > 0 ? cut : max)}\n\n_…cut to fit GitHub's comment limit; the full preview is in the run's job summary._`;
}
