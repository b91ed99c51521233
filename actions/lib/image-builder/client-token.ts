import { createHash } from 'node:crypto';

/** Image Builder's ClientToken is 1–36 characters. */
export const CLIENT_TOKEN_MAX_LENGTH = 36;

/** Where a build's idempotency comes from: the workflow run (the default), or a token the caller chose. */
export type ClientTokenSource = { kind: 'explicit'; token: string } | { kind: 'workflow-run'; runId: string; runAttempt: number };

/**
 * The token for one build slot of a workflow run: `gh-<run id>-<slot>-<pipeline hash>`.
 *
 * Why the run id: it is the same in every attempt of a run, so "Re-run jobs" replays
 * StartImagePipelineExecution and gets the build it already started instead of a second one.
 * Why the slot (1 = the run's first build): a build that FAILED must not poison every re-run, so
 * `startOrResumeBuild` moves to slot 2 only when slot 1's build failed, and so on (see there).
 * Why the pipeline hash: one run may build several pipelines (a matrix of environments), and the
 * same token with another pipeline ARN is an IdempotentParameterMismatchException.
 *
 * Run ids are int64, so a very long one is hashed whole to stay within 36 characters.
 */
export function deriveClientToken(runId: string, slot: number, pipelineArn: string): string {
  const pipelineHash = sha256(pipelineArn).slice(0, 8);
  const readable = `gh-${runId}-${slot}-${pipelineHash}`;
  if (readable.length <= CLIENT_TOKEN_MAX_LENGTH) return readable;
  return `gh-${sha256(`${runId}:${slot}:${pipelineArn}`).slice(0, CLIENT_TOKEN_MAX_LENGTH - 3)}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
