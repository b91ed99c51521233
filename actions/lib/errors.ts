/**
 * The project's three error kinds (STYLE.md "Errors"). Anything else that reaches an action's
 * top level is a bug and is reported as one.
 *
 * Messages follow one shape: `<what failed> for <resource>: <why>. <what to do>.`
 */

/** Where in a file a bad input sits, so the runner can annotate it. */
export interface InputLocation {
  file: string;
  line?: number;
  column?: number;
}

/** One line-level finding inside an input error, annotated on its own line of the file. */
export interface InputAnnotation {
  message: string;
  location: InputLocation;
}

/** The caller gave us something we cannot use. Nothing in AWS was changed. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    message: string,
    readonly location?: InputLocation,
    /** Every finding with its own line, when there are several; the runner annotates each. */
    readonly annotations: readonly InputAnnotation[] = [],
  ) {
    super(message);
  }
}

/** An AWS operation ended in a state we report as failure (a rolled-back stack, a FAILED image). */
export class AwsOperationError extends Error {
  override readonly name = 'AwsOperationError';
  constructor(
    message: string,
    /** The resource the operation was about: a stack name, an image ARN, a target group ARN. */
    readonly resource: string,
    /** The AWS status or error that ended it, for the summary table. */
    readonly status?: string,
  ) {
    super(message);
  }
}

/** A wait ran out of time. Carries the last thing it saw, so the log says where it stopped. */
export class PollTimeoutError<T = unknown> extends Error {
  override readonly name = 'PollTimeoutError';
  constructor(
    message: string,
    readonly lastObservation: T | undefined,
    readonly elapsedMs: number,
  ) {
    super(message);
  }
}

/** A message for anything thrown, including non-Errors (which are still failures). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
