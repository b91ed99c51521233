import { type ImagebuilderClient, StartImagePipelineExecutionCommand } from '@aws-sdk/client-imagebuilder';

import {
  isAccessDeniedError,
  isExpiredCredentialsError,
  isIdempotencyMismatchError,
  isNotFoundError,
  isThrottlingError,
  isTransientError,
} from '../aws/errors';
import type { Deps } from '../deps';
import { AwsOperationError, errorMessage } from '../errors';
import { type ClientTokenSource, deriveClientToken } from './client-token';
import { getImage, IMAGE_FAILURE_STATUSES } from './image';
import { noAnswerBeforeDeadline, type StepDeadline } from '../step-deadline';

const RERUN_RETURNS_THE_BUILD = 'Re-run the job once Image Builder answers: the client token makes a re-run return the build this call may have started, never a second one.';

export interface StartBuildInputs {
  pipelineArn: string;
  token: ClientTokenSource;
}

export interface StartedBuild {
  imageArn: string;
  clientToken: string;
}

/**
 * Starts the pipeline, or gets back the build this workflow run already started.
 *
 * With an explicit token it is one idempotent StartImagePipelineExecution: the caller owns the
 * token's meaning. With a workflow-run token it walks the run's build slots 1..attempt: each slot's
 * token is replayed (Image Builder returns the build that token started, or starts one if it never
 * ran), and the walk stops at the first build that did not end FAILED/CANCELLED (or was later
 * deprecated, disabled or deleted). So:
 * - a re-run after a downstream failure (PR step, deploy) waits on the same build: no second build;
 * - a re-run after the build itself failed starts exactly one new build, in the next slot;
 * - a new build only ever starts when every earlier build of the run has failed.
 * Cost: at most one StartImagePipelineExecution and one GetImage per previous attempt.
 */
export async function startOrResumeBuild(inputs: StartBuildInputs, deps: Deps<{ imageBuilder: ImagebuilderClient }>, deadline?: StepDeadline): Promise<StartedBuild> {
  const { token } = inputs;
  if (token.kind === 'explicit') {
    return { imageArn: await startExecution(inputs.pipelineArn, token.token, deps, deadline), clientToken: token.token };
  }
  for (let slot = 1; ; slot += 1) {
    const clientToken = deriveClientToken(token.runId, slot, inputs.pipelineArn);
    const imageArn = await startExecution(inputs.pipelineArn, clientToken, deps, deadline);
    if (slot >= token.runAttempt) return { imageArn, clientToken };
    const earlier = await earlierBuildStatus(imageArn, deps, deadline);
    if (!IMAGE_FAILURE_STATUSES.has(earlier)) {
      deps.logger.info(`Run ${token.runId} attempt ${token.runAttempt}: reusing the build started in an earlier attempt (${earlier}): ${imageArn}`);
      return { imageArn, clientToken };
    }
    deps.logger.info(`Run ${token.runId}: an earlier attempt's build ended ${earlier} (${imageArn}); trying build slot ${slot + 1}.`);
  }
}

async function startExecution(pipelineArn: string, clientToken: string, deps: Deps<{ imageBuilder: ImagebuilderClient }>, deadline?: StepDeadline): Promise<string> {
  let response;
  try {
    response = await deps.clients.imageBuilder.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: pipelineArn, clientToken }), { abortSignal: deadline?.signal });
  } catch (error) {
    if (deadline?.signal.aborted) throw noAnswerBeforeDeadline(`Starting a build failed for ${pipelineArn}`, pipelineArn, 'Image Builder StartImagePipelineExecution', deadline, RERUN_RETURNS_THE_BUILD);
    throw explainStartError(error, pipelineArn, clientToken);
  }
  if (!response.imageBuildVersionArn) {
    throw new AwsOperationError(
      `Starting a build failed for ${pipelineArn}: StartImagePipelineExecution returned no image build version ARN. Look at the pipeline in the Image Builder console.`,
      pipelineArn,
    );
  }
  deps.logger.info(`StartImagePipelineExecution (client token ${clientToken}) → ${response.imageBuildVersionArn}`);
  return response.imageBuildVersionArn;
}

/** The status of a build an earlier attempt started; a build that no longer exists counts as DELETED. */
async function earlierBuildStatus(imageArn: string, deps: Deps<{ imageBuilder: ImagebuilderClient }>, deadline?: StepDeadline): Promise<string> {
  try {
    return (await getImage(deps.clients.imageBuilder, imageArn, deadline?.signal)).state?.status ?? 'UNKNOWN';
  } catch (error) {
    if (deadline?.signal.aborted) throw noAnswerBeforeDeadline(`Checking an earlier attempt's build failed for ${imageArn}`, imageArn, 'Image Builder GetImage', deadline, RERUN_RETURNS_THE_BUILD);
    if (isNotFoundError(error)) return 'DELETED';
    throw error;
  }
}

function explainStartError(error: unknown, pipelineArn: string, clientToken: string): AwsOperationError {
  const what = `Starting a build failed for ${pipelineArn}`;
  const cause = errorMessage(error);
  const safeRerun = 'Re-run the job: the client token makes a re-run return the same build, never a second one.';
  if (isThrottlingError(error)) {
    return new AwsOperationError(`${what}: StartImagePipelineExecution stayed throttled after the SDK's retries (${cause}). ${safeRerun}`, pipelineArn, 'THROTTLED');
  }
  if (isTransientError(error)) {
    return new AwsOperationError(`${what}: Image Builder could not be reached or failed (${cause}). ${safeRerun}`, pipelineArn, 'UNAVAILABLE');
  }
  if (isExpiredCredentialsError(error)) {
    return new AwsOperationError(`${what}: the AWS credentials are expired or invalid (${cause}). Refresh them (configure-aws-credentials) and re-run.`, pipelineArn, 'CREDENTIALS_EXPIRED');
  }
  if (isIdempotencyMismatchError(error)) {
    return new AwsOperationError(
      `${what}: client token ${clientToken} was already used for a different request (${cause}). Use a new client-token, or leave it empty to derive one from the workflow run.`,
      pipelineArn,
      'IDEMPOTENCY_MISMATCH',
    );
  }
  if (isNotFoundError(error)) {
    return new AwsOperationError(
      `${what}: the pipeline does not exist (${cause}). Check pipeline-arn (the image-pipeline stack's ImagePipelineArn output) and its region.`,
      pipelineArn,
      'NOT_FOUND',
    );
  }
  if (isAccessDeniedError(error)) {
    return new AwsOperationError(
      `${what}: access denied (${cause}). Allow imagebuilder:StartImagePipelineExecution on this pipeline for the role the workflow assumes.`,
      pipelineArn,
      'ACCESS_DENIED',
    );
  }
  return new AwsOperationError(`${what}: Image Builder refused it (${cause}). Fix the pipeline (is it DISABLED, or being updated?) and re-run.`, pipelineArn, 'REFUSED');
}
