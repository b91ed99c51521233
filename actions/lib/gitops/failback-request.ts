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
