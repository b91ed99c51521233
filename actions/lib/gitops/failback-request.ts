import { InputError } from '../errors';
import { getEnvironment, isAmiId, type EnvironmentConfig, type EnvironmentsConfig } from '../parameters';
import { findUnsafeTextCharacter, quote } from '../untrusted-text';

/** A failback as a person asked for it in the workflow_dispatch form, before any checking. */
export interface RawFailbackRequest {
  environment?: string;
  targetAmi?: string;
  reason?: string;
  requestedBy?: string;
}

/** A failback request whose every field is known to be safe to act on and to write into git. */
export interface FailbackRequest {
  environment: EnvironmentConfig;
  /** Absent: the default target from git history. */
  targetAmiId?: string;
  reason: string;
  requestedBy?: string;
}

/** Long enough for a sentence and an incident link; short enough to sit in a commit subject's body. */
export const MAX_REASON_CHARS = 200;

/** GitHub logins: alphanumerics and single hyphens, ≤ 39; apps end in `[bot]`. */
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;

/**
 * Checks a failback request before anything reads AWS or writes git: the environment is one the
 * wiring file knows, the target (when given) is shaped like an AMI ID, and the reason is one line
 * of printable text. The reason becomes part of a commit message: a newline could forge a trailer
 * or a metadata line, a control character could hide text in a terminal, so both are refused.
 * All problems are reported together.
 */
export function validateFailbackRequest(raw: RawFailbackRequest, wiring: EnvironmentsConfig): FailbackRequest {
  const problems: string[] = [];
  let environment: EnvironmentConfig | undefined;
  if (!raw.environment) problems.push(`environment is empty; use one of ${wiring.promotionOrder.join(', ')}`);
  else {
    try {
      environment = getEnvironment(wiring, raw.environment);
    } catch (error) {
      problems.push((error as Error).message.replace(/\.$/, ''));
    }
  }

  const target = raw.targetAmi?.trim() || undefined;
  if (target !== undefined && !isAmiId(target)) {
    problems.push(`target-ami ${quote(target, 40)} is not an AMI ID (ami- and 8 or 17 lowercase hex digits, e.g. ami-0123456789abcdef0); leave it empty to use the AMI before the current one`);
  }

  const reason = raw.reason?.trim() ?? '';
  const unsafe = findUnsafeTextCharacter(reason);
  if (reason === '') problems.push('reason is empty; say why in one line (it goes into the commit message)');
  else if (unsafe) {
    problems.push(
      `reason contains a line break, control or invisible formatting character at character ${unsafe.position} (${unsafe.description}); ` +
        'write it on one line of visible text (it goes into a commit message and a pull request, where such a character can forge a trailer or show text in another order)',
    );
  } else if (reason.length > MAX_REASON_CHARS) problems.push(`reason is ${reason.length} characters; keep it to ${MAX_REASON_CHARS} (link an issue for the details)`);

  const requestedBy = raw.requestedBy?.trim() || undefined;
  if (requestedBy !== undefined && !GITHUB_LOGIN.test(requestedBy)) problems.push(`requested-by ${quote(requestedBy, 40)} is not a GitHub login`);

  if (problems.length > 0) {
    const forEnvironment = environment ? environment.name : raw.environment ? quote(raw.environment, 40) : 'an unnamed environment';
    throw new InputError(`Failback request rejected for ${forEnvironment}: ${problems.join('; ')}. Fix the inputs and run the workflow again.`);
  }
  return { environment: environment!, targetAmiId: target, reason, requestedBy };
}

/** A requested failback whose record lost to a newer commit of the environment's parameters file. */
export interface SupersededFailback {
  environment: string;
  /** What the request asked for. */
  targetAmiId: string;
  reason: string;
  /** The default branch, where the newer commit is. */
  branch: string;
  /** The newer commit, and the AMI its file names (absent when the file names none). */
  newerCommit: string;
  newerAmiId?: string;
}

/**
 * What a person acts on after a superseded failback: both AMIs, what changed (nothing), and the one
 * command that records the request over the newer decision. It claims nothing about what the
 * environment runs beyond what is certain: this run stopped before AWS, and what the newer commit
 * names is put there by that commit's own deploy (Deploy on merge, or the Failback run that
 * recorded it), which may still be waiting for this environment's turn.
 */
export function describeSupersededFailback(s: SupersededFailback, show: QuoteStyle = PLAIN): string {
  const short = s.newerCommit.slice(0, 12);
  const newer = s.newerAmiId ? show.id(s.newerAmiId) : `what ${short} names`;
  const target = show.id(s.targetAmiId);
  return (
    `Nothing was changed by this run, in AWS or git: you asked for ${target}; ${s.branch} names ${newer} since ${short}, ` +
    `and the deploy of ${short} (not this run) is what puts ${newer} on ${s.environment}. ` +
    `If ${target} is still wanted over ${newer}, this one command reconciles them: ${show.command(failbackCommand(s.environment, s.targetAmiId, s.reason, s.branch))}`
  );
}

/** How the sentence shows IDs and the command: as they are (logs, annotations) or as Markdown code spans (a summary). */
export interface QuoteStyle {
  id(value: string): string;
  command(value: string): string;
}

const PLAIN: QuoteStyle = { id: (v) => v, command: (v) => v };

/**
 * The Failback workflow dispatched again from the default branch as it is now, with the same
 * target and reason. Single quotes with each ' written as '\'' make the reason one shell word; a
 * reason that is not one line of visible text (validateFailbackRequest would refuse it) is not
 * echoed into a command at all, only a placeholder.
 */
export function failbackCommand(environment: string, target: string, reason: string, branch: string): string {
  const oneLine = reason.trim() !== '' && !findUnsafeTextCharacter(reason) && reason.length <= MAX_REASON_CHARS;
  const quoted = oneLine ? `'${reason.replace(/'/g, `'\\''`)}'` : `'<why, one line>'`;
  return `gh workflow run failback.yml --ref ${branch} -f environment=${environment} -f target-ami=${target} -f reason=${quoted}`;
}

/**
 * The Deploy run of `commit` (a merge's, which deploys the default branch's HEAD) run again: what
 * puts git's state back on an environment whose stack moved without a commit. Without a commit,
 * the latest Deploy run.
 */
export function rerunDeployCommand(commit?: string): string {
  return commit ? `gh run rerun $(gh run list --workflow deploy.yml --commit ${commit} --limit 1 --json databaseId --jq '.[0].databaseId')` : 'gh run rerun $(gh run list --workflow deploy.yml --limit 1 --json databaseId --jq \'.[0].databaseId\')';
}

/** The Patch PR workflow for one environment: bakes a new AMI and opens its patch PR (patching forward). */
export function patchForwardCommand(environment: string, branch: string): string {
  return `gh workflow run patch-pr.yml --ref ${branch} -f environment=${environment}`;
}
