import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';

import { inputAmiPolicy } from '../ami-policy';
import { isExpiredCredentialsError } from '../aws/errors';
import type { Deps } from '../deps';
import { AwsOperationError, errorMessage } from '../errors';
import type { ClientTokenSource } from './client-token';
import { compareFindingsWithPreviousAmi, type FindingDeltaReport } from './finding-delta';
import { countScanFindings, type FindingsResult, type SeverityThreshold } from './findings';
import { imageAgeMs } from './image';
import { parseImageBuilderArn } from './arns';
import { assertOutputAmiAllowed, assertOutputAmiExists, selectOutputAmi } from './output-ami';
import { comparePackagesWithPreviousAmi, type PackageDiffReport } from './package-diff';
import { findImageBuilderImageOfAmi } from './previous-image';
import { startOrResumeBuild, type StartedBuild } from './start-build';
import { noAnswerBeforeDeadline, RESULT_READS_GRACE_MS } from '../step-deadline';
import { waitForImage } from './wait-for-image';

/** Start a pipeline (idempotently), or wait on a build some earlier job started. */
export type BuildSource = { kind: 'pipeline'; pipelineArn: string; token: ClientTokenSource } | { kind: 'image'; imageArn: string };

export interface BuildAmiInputs {
  source: BuildSource;
  /** Where the AMI is wanted: picks it from the image's distributed AMIs. */
  region: string;
  timeoutMinutes: number;
  previousAmiId?: string;
  failOnSeverity: SeverityThreshold;
  /** Who may own the output AMI (ami-policy.ts): account IDs and `self`, the environment's account (see {@link selfAccountOf}). Absent: `self`. */
  amiOwners?: readonly string[];
  /** The wiring's imagePipelineAccount: the environment's images are built in this (central) account, not in its own. */
  imagePipelineAccount?: string;
  /** Told the image ARN as soon as it is known, so a wait that then fails still hands it on for a resume. */
  onImageArn?: (imageArn: string) => void;
}

export interface BuildAmiResult {
  pipelineArn?: string;
  imageArn: string;
  amiId: string;
  region: string;
  status: string;
  clientToken?: string;
  /** From the image's creation to now; undefined when Image Builder gave no creation date. */
  buildDurationMs?: number;
  waitedMs: number;
  packageDiff?: PackageDiffReport;
  findings: FindingsResult;
  /** Fixed / introduced / still-open findings against the previous AMI (when one is given). */
  findingDelta?: FindingDeltaReport;
  failOnSeverity: SeverityThreshold;
}

/**
 * build-ami's logic: start or resume → wait until AVAILABLE → the AMI for the region → scan
 * findings → package diff and CVE delta (when a previous AMI is given; its image is looked up once). The severity gate is NOT applied here: main.ts
 * applies it after setting outputs (see `severityGateError`).
 */
export async function buildAmi(inputs: BuildAmiInputs, deps: Deps<{ imageBuilder: ImagebuilderClient; ec2: EC2Client }>): Promise<BuildAmiResult> {
  const { logger, clock } = deps;
  const { source } = inputs;
  // timeout-minutes bounds the step, not only its wait: the start's calls, the wait and the reads
  // of the results all end by it (step-deadline.ts), whatever an endpoint does.
  const deadlineAt = clock.now() + inputs.timeoutMinutes * 60_000;
  const describeDeadline = `within timeout-minutes (${inputs.timeoutMinutes} min)`;

  let started: StartedBuild | undefined;
  if (source.kind === 'pipeline') {
    const startDeadline = clock.deadlineSignal(deadlineAt);
    const deadline = { signal: startDeadline.signal, describe: describeDeadline };
    started = await logger
      .group('Start the image pipeline', () => startOrResumeBuild({ pipelineArn: source.pipelineArn, token: source.token }, deps, deadline))
      .finally(() => startDeadline.clear());
  }
  const imageArn = started?.imageArn ?? (source as { imageArn: string }).imageArn;
  inputs.onImageArn?.(imageArn);

  const retryHint =
    source.kind === 'pipeline'
      ? source.token.kind === 'workflow-run'
        ? 'Fix the cause, then re-run the workflow: a re-run starts one new build when the earlier one failed.'
        : 'Fix the cause, then start a new build with a new client-token.'
      : 'Fix the cause, then start a new build with pipeline-arn.';
  const { image, waitedMs } = await logger.group(`Wait for image ${imageArn}`, () =>
    waitForImage({ imageArn, timeoutMs: Math.max(0, deadlineAt - clock.now()), justStarted: started !== undefined, retryHint }, deps),
  );

  const reads = clock.deadlineSignal(Math.max(deadlineAt, clock.now() + RESULT_READS_GRACE_MS));
  const signal = reads.signal;
  try {
    const output = selectOutputAmi(image, imageArn, inputs.region);
    const amiId = output.amiId;
    const ami = await assertOutputAmiExists(amiId, imageArn, inputs.region, deps.clients.ec2, signal);
    // What the patch PR will propose: refused here, before any PR, when its owner is not trusted
    // (a distribution configuration can hand on an AMI of another account).
    const self = selfAccountOf(imageArn, output, inputs.imagePipelineAccount);
    if (self.note) logger.info(self.note);
    assertOutputAmiAllowed(ami, imageArn, inputs.region, inputAmiPolicy(inputs.amiOwners, self.account));
    logger.info(`AMI for ${inputs.region}: ${amiId}`);
    const previousAmiId = inputs.previousAmiId;
    const previousImage = previousAmiId ? await findImageBuilderImageOfAmi(previousAmiId, deps.clients.ec2, signal) : undefined;
    const packageDiff =
      previousAmiId && previousImage
        ? await logger.group(`Package diff ${previousAmiId} → ${amiId}`, () => comparePackagesWithPreviousAmi({ previousAmiId, amiId, imageArn, previousImage }, deps, signal))
        : undefined;
    const findings = await logger.group('Scan findings', () => countScanFindings(image, imageArn, deps, signal));
    const findingDelta =
      previousAmiId && previousImage
        ? await logger.group(`CVE delta ${previousAmiId} → ${amiId}`, () => compareFindingsWithPreviousAmi({ previousAmiId, amiId, previousImage, current: findings }, deps, signal))
        : undefined;
    if (inputs.failOnSeverity !== 'none' && !findings.report.scanned && !findings.readError) {
      logger.warning(`fail-on-severity: ${inputs.failOnSeverity} checked nothing: ${findings.report.reason}. Enable image scanning on the pipeline for the gate to work.`);
    }
    return {
      pipelineArn: source.kind === 'pipeline' ? source.pipelineArn : image.sourcePipelineArn,
      imageArn,
      amiId,
      region: inputs.region,
      status: image.state?.status ?? 'AVAILABLE',
      clientToken: started?.clientToken,
      buildDurationMs: imageAgeMs(image, deps.clock.now()),
      waitedMs,
      packageDiff,
      findings,
      findingDelta,
      failOnSeverity: inputs.failOnSeverity,
    };
  } catch (error) {
    if (signal.aborted) {
      throw noAnswerBeforeDeadline(`Reading the build's results failed for ${imageArn}`, imageArn, 'AWS (EC2 or Image Builder)', { signal, describe: `${describeDeadline} or ${RESULT_READS_GRACE_MS / 1000} s after the image became AVAILABLE` },
        `The image is AVAILABLE: re-run with \`image-arn: ${imageArn}\` once AWS answers; it returns at once.`);
    }
    if (!isExpiredCredentialsError(error)) throw error;
    throw new AwsOperationError(
      `Reading the build's results failed for ${imageArn}: the AWS credentials expired (${errorMessage(error)}) after the image became AVAILABLE. Re-run with fresh credentials and \`image-arn: ${imageArn}\`: it returns at once.`,
      imageArn,
      'CREDENTIALS_EXPIRED',
    );
  } finally {
    reads.clear();
  }
}

/**
 * Who `self` is for the owner check. In the wiring `self` is the environment's own account, and a
 * deploy reads it from the app stack; build-ami runs with the build role in the pipeline's account.
 * Without a central pipeline (no imagePipelineAccount) the two are one account: the image ARN's.
 * With one, the environment's account is where the environment's own pipeline distributed the
 * AMI: the account Image Builder reports for it. The AMI's owner must still be on the list (EC2
 * says who owns it), and the deploy checks it again with the app stack's account; an image built
 * outside the account the wiring names leaves `self` unknown, so only listed accounts pass.
 */
export function selfAccountOf(imageArn: string, output: { amiId: string; distributedTo?: string }, imagePipelineAccount: string | undefined): { account?: string; note?: string } {
  const built = parseImageBuilderArn(imageArn).account;
  if (imagePipelineAccount === undefined) return { account: built };
  if (built !== imagePipelineAccount) {
    return { note: `self is not known here: ${imageArn} was built in ${built}, not in ${imagePipelineAccount}, the image pipeline account the wiring names (imagePipelineAccount); only the accounts amiOwners names by ID are trusted for it.` };
  }
  const account = output.distributedTo ?? built;
  return {
    account,
    note: `self is ${account}, the account Image Builder distributed ${output.amiId} to: the image pipeline runs in the central account ${built} (imagePipelineAccount), and the deploy checks the AMI again with the app stack's account.`,
  };
}
