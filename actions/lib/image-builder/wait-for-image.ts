import type { Image, ImagebuilderClient } from '@aws-sdk/client-imagebuilder';

import { isExpiredCredentialsError, isNotFoundError, isTransientError } from '../aws/errors';
import type { Deps } from '../deps';
import { AwsOperationError, errorMessage, PollTimeoutError } from '../errors';
import { poll } from '../poll';
import { describeBuildLogs } from './build-failure';
import { getImage, IMAGE_SUCCESS_STATUS, isTerminalImageStatus } from './image';
import { RESULT_READS_GRACE_MS } from '../step-deadline';

/** One GetImage answer, reduced to what the wait decides on; the full image rides along. */
export interface ImageObservation {
  status: string;
  reason?: string;
  image: Image;
}

export interface WaitForImageInputs {
  imageArn: string;
  timeoutMs: number;
  /**
   * True when this run started (or replayed) the build moments ago: a not-found from GetImage is
   * then ridden out for `NOT_FOUND_GRACE_MS`, because a new resource can take a moment to be
   * readable. For an `image-arn` given by a user, not-found fails at once with a fix.
   */
  justStarted: boolean;
  /** What to tell the user to do after a FAILED or CANCELLED build (differs for a started and a resumed build). */
  retryHint: string;
}

export interface WaitForImageResult {
  image: Image;
  waitedMs: number;
}

/** How long a just-started image may be "not found" before we believe it (eventual consistency). */
export const NOT_FOUND_GRACE_MS = 30_000;

/**
 * Waits with the project's `poll()` until the image is AVAILABLE, logging status transitions only.
 * FAILED, CANCELLED, DEPRECATED, DISABLED, DELETED → AwsOperationError with Image Builder's reason
 * and where the logs are. Timeout → PollTimeoutError with the last state and how to resume. Expired
 * credentials → AwsOperationError saying how to resume with `image-arn`. Throttling and 5xx are
 * ridden out by `poll()`.
 */
export async function waitForImage(
  inputs: WaitForImageInputs,
  deps: Deps<{ imageBuilder: ImagebuilderClient }>,
): Promise<WaitForImageResult> {
  const { imageArn } = inputs;
  const { clock, logger } = deps;
  const started = clock.now();
  const isTransient = (error: unknown) =>
    isTransientError(error) || (inputs.justStarted && isNotFoundError(error) && clock.now() - started < NOT_FOUND_GRACE_MS);

  let result;
  try {
    result = await poll<ImageObservation>({
      description: `image build ${imageArn} to become ${IMAGE_SUCCESS_STATUS}`,
      check: async (signal) => {
        const image = await getImage(deps.clients.imageBuilder, imageArn, signal);
        return { status: image.state?.status ?? 'UNKNOWN', reason: image.state?.reason, image };
      },
      isDone: (o) => isTerminalImageStatus(o.status),
      clock,
      timeoutMs: inputs.timeoutMs,
      isTransient,
      progressKey: (o) => o.status,
      describe: describeObservation,
      onChange: (o, previous) =>
        logger.info(previous ? `Image build ${previous.status} → ${describeObservation(o)}` : `Image build is ${describeObservation(o)}: ${imageArn}`),
      onTransientError: (error, nextDelayMs) =>
        logger.debug(`GetImage ${imageArn}: ${errorMessage(error)}; next try in ${Math.round(nextDelayMs / 1000)} s`),
    });
  } catch (error) {
    throw explainWaitError(error, imageArn, clock.now() - started);
  }

  const { observation } = result;
  if (observation.status !== IMAGE_SUCCESS_STATUS) {
    // The wait is over: the log lookup gets its own short bound, as build-ami's result reads do.
    const lookup = clock.deadlineSignal(clock.now() + RESULT_READS_GRACE_MS);
    const places = await describeBuildLogs(observation.image, deps.clients.imageBuilder, logger, lookup.signal).finally(() => lookup.clear());
    const why = observation.reason ?? 'Image Builder gave no reason';
    const next = observation.status === 'FAILED' || observation.status === 'CANCELLED' ? inputs.retryHint : 'Its AMI must not be deployed; start a new build with pipeline-arn.';
    throw new AwsOperationError(
      `Image build ${observation.status} for ${imageArn}: ${why}. Look at: ${places.join('; ')}. ${next}`,
      imageArn,
      observation.status,
    );
  }
  return { image: observation.image, waitedMs: result.elapsedMs };
}

function describeObservation(o: ImageObservation): string {
  return o.reason ? `${o.status} (${o.reason})` : o.status;
}

/** Turns what can end a wait early into a message that says how to carry on. */
function explainWaitError(error: unknown, imageArn: string, elapsedMs: number): unknown {
  const minutes = Math.round(elapsedMs / 60_000);
  const resume = `The build goes on in Image Builder: resume in a later job with \`image-arn: ${imageArn}\``;
  if (error instanceof PollTimeoutError) {
    const last = (error.lastObservation as ImageObservation | undefined)?.status ?? 'no answer from GetImage';
    return new PollTimeoutError(
      `Image build not finished for ${imageArn} after ${minutes} min (last state: ${last}). ${resume}, or raise timeout-minutes.`,
      error.lastObservation,
      error.elapsedMs,
    );
  }
  if (isExpiredCredentialsError(error)) {
    return new AwsOperationError(
      `Waiting stopped for image build ${imageArn} after ${minutes} min: the AWS credentials expired (${errorMessage(error)}). ${resume} and fresh credentials, or raise the role's session duration (role-duration-seconds) above timeout-minutes.`,
      imageArn,
      'CREDENTIALS_EXPIRED',
    );
  }
  if (isNotFoundError(error)) {
    return new AwsOperationError(
      `Image build not found for ${imageArn}: GetImage says it does not exist (${errorMessage(error)}). Check the ARN (copy the image-arn output of the job that started the build) and that the region is the image's.`,
      imageArn,
      'NOT_FOUND',
    );
  }
  return error;
}
