/**
 * The AWS quirks, one documented predicate each. Nobody else branches on AWS error names or
 * message text (STYLE.md "Modules").
 */

interface AwsErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

function shape(error: unknown): AwsErrorShape {
  return typeof error === 'object' && error !== null ? (error as AwsErrorShape) : {};
}

const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'CallRateLimitExceededException', // Image Builder (HTTP 429)
  'RequestLimitExceeded', // EC2
  'SlowDown',
  'PriorLimitExceeded',
  'ProvisionedThroughputExceededException',
]);

/**
 * The API refused the call because we (or others in the account) call it too often. CloudFormation
 * returns it as `Throttling` (400); EC2 as `RequestLimitExceeded`; Image Builder as
 * `CallRateLimitExceededException` or `TooManyRequestsException` (both 429). The SDK marks some with `$retryable.throttling`.
 */
export function isThrottlingError(error: unknown): boolean {
  const e = shape(error);
  return (
    THROTTLING_NAMES.has(e.name ?? '') ||
    THROTTLING_NAMES.has(e.code ?? '') ||
    e.$retryable?.throttling === true ||
    e.$metadata?.httpStatusCode === 429
  );
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH']);

/**
 * The answer was not an answer: a body the SDK could not parse (HTML from a proxy or a load
 * balancer, JSON cut short) arrives as a `SyntaxError` whose message says "Deserialization error",
 * whatever the HTTP status; an answer that parsed but lacks what the API always sends is reported
 * by our readers as `MalformedResponse`. Either may be right the next time: treated as transient
 * (waits ride it out, within their bound on failed polls).
 */
export function isMalformedResponseError(error: unknown): boolean {
  const e = shape(error);
  return (e.name === 'SyntaxError' && /Deserialization error/i.test(e.message ?? '')) || e.name === 'MalformedResponse';
}

/**
 * Nothing usable came back from the endpoint: a connection refused, reset or timed out, a name
 * that did not resolve, a 5xx, or a malformed answer. Unlike throttling (the service answering
 * "later"), a run of these means the endpoint may be dead: `poll()` gives up after a few in a row.
 */
export function isNoAnswerError(error: unknown): boolean {
  const e = shape(error);
  if (isThrottlingError(error)) return false;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (NETWORK_CODES.has(e.code ?? '') || NETWORK_CODES.has(e.name ?? '')) return true;
  return isMalformedResponseError(error) || ['TimeoutError', 'RequestTimeout', 'InternalFailure', 'ServiceUnavailableException'].includes(e.name ?? '');
}

/**
 * The call may succeed if simply made again: throttling, or no usable answer (a 5xx, a connection
 * that failed or timed out on the way, a malformed answer). Waits keep polling through these
 * (throttling until their deadline, the others for a few polls in a row); anything else ends the
 * wait at once.
 */
export function isTransientError(error: unknown): boolean {
  return isThrottlingError(error) || isNoAnswerError(error);
}

/**
 * CloudFormation says an update would change nothing. It arrives as a `ValidationError` whose
 * message is "No updates are to be performed." from UpdateStack, and as a FAILED change set whose
 * StatusReason starts "The submitted information didn't contain changes" (or, for some template
 * shapes, "No updates are to be performed"). Both mean success with nothing to do.
 */
export function isNoChangesError(errorOrReason: unknown): boolean {
  const text = typeof errorOrReason === 'string' ? errorOrReason : (shape(errorOrReason).message ?? '');
  return /No updates are to be performed|didn't contain changes/i.test(text);
}

/** DescribeStacks on a name that does not exist: a `ValidationError` "Stack with id X does not exist". */
export function isStackNotFoundError(error: unknown): boolean {
  const e = shape(error);
  return e.name === 'ValidationError' && /does not exist/i.test(e.message ?? '');
}

/**
 * CancelUpdateStack refused because the stack is no longer UPDATE_IN_PROGRESS: the update's
 * rollback-trigger window ended (cleanup under way, or complete) or it is already rolling back.
 */
export function isCancelNotAllowedError(error: unknown): boolean {
  const e = shape(error);
  return e.name === 'ValidationError' && /CancelUpdateStack cannot be called from current stack status/i.test(e.message ?? '');
}

/** Image Builder's and others' "no such resource" (`ResourceNotFoundException`, EC2 `InvalidAMIID.NotFound`). */
export function isNotFoundError(error: unknown): boolean {
  const e = shape(error);
  const name = e.name ?? e.code ?? '';
  return name === 'ResourceNotFoundException' || /\.NotFound$/.test(name) || name === 'NotFoundException';
}

/**
 * The credentials ran out (OIDC sessions last at most the role's MaxSessionDuration) or were never
 * valid. Waits stop at once with a message that says how to resume.
 */
export function isExpiredCredentialsError(error: unknown): boolean {
  const e = shape(error);
  return ['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'InvalidClientTokenId', 'UnrecognizedClientException'].includes(
    e.name ?? e.code ?? '',
  );
}

/**
 * A stack event whose `*_FAILED` status is a consequence, not a cause: when one resource fails,
 * CloudFormation cancels the others in flight and records them as UPDATE_FAILED / CREATE_FAILED
 * with "Resource update cancelled" / "Resource creation cancelled". Root-cause reporting skips them.
 */
export function isCancelledResourceReason(reason: string | undefined): boolean {
  return /^Resource (update|creation) cancelled/i.test(reason ?? '');
}

/**
 * A client token was reused with different parameters (Image Builder, EC2:
 * `IdempotentParameterMismatchException` / `IdempotentParameterMismatch`): the token already
 * started something else, so the call must not be retried with it.
 */
export function isIdempotencyMismatchError(error: unknown): boolean {
  const name = shape(error).name ?? shape(error).code ?? '';
  return name === 'IdempotentParameterMismatchException' || name === 'IdempotentParameterMismatch';
}

/** The caller lacks permission: `AccessDenied(Exception)`, or Image Builder's `ForbiddenException` (403). */
export function isAccessDeniedError(error: unknown): boolean {
  const name = shape(error).name ?? shape(error).code ?? '';
  return name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'ForbiddenException' || name === 'UnauthorizedOperation';
}

/**
 * CloudFormation refused the request as invalid (`ValidationError`, HTTP 400): a parameter value
 * it rejects (an AMI that does not exist for an `AWS::EC2::Image::Id` parameter), a template error,
 * a missing capability. Nothing was created; the message is CloudFormation's explanation.
 */
export function isValidationError(error: unknown): boolean {
  return (shape(error).name ?? shape(error).code) === 'ValidationError';
}
