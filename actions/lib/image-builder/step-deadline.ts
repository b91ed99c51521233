import { AwsOperationError, errorMessage } from '../errors';

/**
 * build-ami's deadline (timeout-minutes) for the calls outside its wait: the start of the build and
 * the reads of its results. Its signal aborts each call, the SDK's own retries included: without
 * it, an endpoint that accepts and never answers holds one call for 5 attempts × 60 s of silence
 * (aws/clients.ts), past any timeout-minutes. The wait itself keeps the same deadline through poll().
 */
export interface StepDeadline {
  signal: AbortSignal;
  /** For the message: "within timeout-minutes (1 min)". */
  describe: string;
}

/**
 * The reads after the image is AVAILABLE (its AMI in EC2, the previous image, the package
 * inventories, the findings) may start at the deadline itself, when the build ended just in time:
 * they get at least this long. They are a handful of calls of well under a second each on AWS.
 */
export const RESULT_READS_GRACE_MS = 30_000;

/** What a call cut off by the deadline fails as: which service did not answer, and what to do. */
export function noAnswerBeforeDeadline(what: string, resource: string, call: string, deadline: StepDeadline, next: string): AwsOperationError {
  return new AwsOperationError(
    `${what}: ${call} got no answer ${deadline.describe} (${errorMessage(deadline.signal.reason)}); the endpoint accepts connections but says nothing ` +
      `(AWS_ENDPOINT_URL*, a proxy, the network). ${next}`,
    resource,
    'NO_ANSWER',
  );
}
