import type { AwsClients } from '../aws/clients';
import type { Deps } from '../deps';
import { PollTimeoutError } from '../errors';
import { poll } from '../poll';
import { describeTimeoutMinutes, explainNoAnswer, NoAnswerBeforeDeadlineError, withStepDeadline } from '../step-deadline';
import { evaluateFleet, type FleetEvaluation } from './evaluate-fleet';
import { observeFleet } from './fleet';
import type { VerifyAlbInputs } from './inputs';
import { resolveVerifyTarget, type VerifyTarget } from './resolve-target';
import { detailsUrl, type FetchLike, formatSampleLine, type Sample, sampleFor, type SampleSummary, summariseSamples } from './sampler';

export interface VerifyAlbDeps extends Deps<Pick<AwsClients, 'cloudFormation' | 'autoScaling' | 'elbv2' | 'ec2'>> {
  /** Node's global fetch in the action; a fake in unit tests. */
  fetch: FetchLike;
}

/** Everything verify-alb found, for outputs and the summary. */
export interface VerifyAlbReport {
  /** True only when the control-plane checks and the HTTP watch both passed. */
  healthy: boolean;
  /** One sentence per reason it is not healthy; empty when healthy. */
  failures: string[];
  expectedAmiId: string;
  target: VerifyTarget;
  fleet: FleetEvaluation;
  /** How long the wait for healthy targets took. */
  waitedMs: number;
  http: {
    /** The URL sampled; undefined when the watch did not run. */
    url?: string;
    /** Why no samples were taken, when none were. */
    skipped?: string;
    watchSeconds: number;
    maxErrorRate: number;
    samples: Sample[];
    summary: SampleSummary;
    /** With `previousGroup`: samples answered by that group's instances, set aside (not in `samples`). */
    previousGroupSamples?: number;
  };
}

/**
 * Verifying a replacing update inside its rollback-trigger window (update-app-stack, strategy
 * replace): the stack is UPDATE_IN_PROGRESS and `previousGroup`, the group being replaced, still
 * shares the target group. Its targets are listed but not judged, and the samples it answers are
 * set aside: the verdict is about the new group alone. A sample no instance can be named for (an
 * error) still counts against the new group.
 */
export interface CutoverOptions {
  previousGroup?: string;
}

/**
 * Verifies the fleet behind the ALB (DESIGN.md §5), in two phases:
 * 1. control plane: waits (one `poll()`, transitions logged) until every registered target is
 *    healthy, is a running instance of the stack's current ASG on `expectedAmiId`, and their count
 *    reaches the desired capacity — or fails at the deadline naming each target and why;
 * 2. data plane: samples `<url><path>` once a second for `watchSeconds`, recording status, latency
 *    and the AMI each details.json reports.
 * An ALB fails open (with every target unhealthy it routes to all of them), so an HTTP 200 alone
 * proves nothing: phase 2 runs only when phase 1 passed, and only both together pass.
 *
 * Returns the report whether or not the fleet is healthy; the caller decides how to fail.
 */
export async function verifyAlb(inputs: VerifyAlbInputs, stepDeps: VerifyAlbDeps, cutover: CutoverOptions = {}): Promise<VerifyAlbReport> {
  // timeout-minutes bounds the control-plane phase, not only its wait: the stack's DescribeStacks
  // before it and every call of the wait end by it (step-deadline.ts), whatever an endpoint does.
  const deadline = { atMs: stepDeps.clock.now() + inputs.timeoutMinutes * 60_000, describe: describeTimeoutMinutes(inputs.timeoutMinutes) };
  const deps = { ...stepDeps, clients: withStepDeadline(stepDeps.clients, deadline, stepDeps.clock) };
  try {
    return await verifyFleet(inputs, deps, cutover, deadline.atMs);
  } catch (error) {
    if (!(error instanceof NoAnswerBeforeDeadlineError)) throw error;
    const subject = inputs.stackName ? `stack ${inputs.stackName}` : `target group ${inputs.targetGroupArn}`;
    throw explainNoAnswer(error, `Verifying ${subject} stopped`, inputs.stackName ?? inputs.targetGroupArn ?? '', 'verify-alb only reads, so nothing was changed: re-run it once AWS answers.');
  }
}

async function verifyFleet(inputs: VerifyAlbInputs, deps: VerifyAlbDeps, cutover: CutoverOptions, deadlineAt: number): Promise<VerifyAlbReport> {
  const target = await resolveVerifyTarget(inputs, deps, { midUpdate: cutover.previousGroup !== undefined });
  const started = deps.clock.now();
  const fleet = await deps.logger.group('Target health', () => waitForHealthyFleet(target, inputs, deps, cutover.previousGroup, Math.max(0, deadlineAt - started)));
  const waitedMs = deps.clock.now() - started;
  const failures = fleet.status === 'pass' ? [] : fleetFailures(fleet, inputs, waitedMs);

  const http: VerifyAlbReport['http'] = { watchSeconds: inputs.watchSeconds, maxErrorRate: inputs.maxErrorRate, samples: [], summary: summariseSamples([]), previousGroupSamples: 0 };
  if (inputs.watchSeconds === 0) {
    http.skipped = 'watch-seconds is 0: control-plane checks only';
  } else if (failures.length > 0) {
    http.skipped = 'the targets did not pass, so HTTP samples would prove nothing';
  } else {
    // resolveVerifyTarget guarantees a URL whenever watch-seconds is above 0.
    http.url = detailsUrl(target.url!, inputs.path);
    const url = http.url;
    const taken = await deps.logger.group(`HTTP watch: ${url} for ${inputs.watchSeconds} s`, () =>
      sampleFor(url, inputs.watchSeconds, deps, (sample) => deps.logger.info(formatSampleLine(sample))),
    );
    const fromPrevious = (s: Sample) => s.error === undefined && s.instanceId !== undefined && fleet.previousInstances?.has(s.instanceId) === true;
    http.previousGroupSamples = taken.filter(fromPrevious).length;
    if (http.previousGroupSamples > 0) {
      deps.logger.info(`${http.previousGroupSamples} of ${taken.length} samples were answered by ${cutover.previousGroup}, the group being replaced; set aside.`);
    }
    http.samples = taken.filter((s) => !fromPrevious(s)).map((sample) => judgeSample(sample, fleet));
    http.summary = summariseSamples(http.samples);
    failures.push(...httpFailures(http.samples, http.summary, inputs));
  }
  return { healthy: failures.length === 0, failures, expectedAmiId: inputs.expectedAmiId, target, fleet, waitedMs, http };
}

async function waitForHealthyFleet(target: VerifyTarget, inputs: VerifyAlbInputs, deps: VerifyAlbDeps, previousGroup: string | undefined, timeoutMs: number): Promise<FleetEvaluation> {
  try {
    const { observation } = await poll({
      description: `the targets of ${target.targetGroupArn} to be healthy on ${inputs.expectedAmiId}`,
      check: async (signal) => evaluateFleet(await observeFleet(target, deps, signal), inputs.expectedAmiId, previousGroup),
      isDone: (evaluation) => evaluation.status !== 'wait',
      clock: deps.clock,
      timeoutMs,
      progressKey: progressKey,
      onChange: (evaluation) => deps.logger.info(describeProgress(evaluation)),
      describe: (evaluation) => evaluation.problems.join('; '),
      onTransientError: (error, delay) => deps.logger.info(`AWS answered with a transient error (${String(error)}); asking again in ${delay / 1000} s.`),
    });
    return observation;
  } catch (error) {
    // A timeout after at least one observation is a verdict, not a crash: report what was seen.
    if (error instanceof PollTimeoutError && error.lastObservation !== undefined) return error.lastObservation as FleetEvaluation;
    throw error;
  }
}

/** What counts as a transition: any target's health, instance state or AMI, or the ASG's size. */
function progressKey(e: FleetEvaluation): string {
  const rows = e.rows.map((r) => `${r.id}=${r.health}/${r.instanceState}/${r.imageId}`).join(',');
  return `${e.autoScalingGroupName}:${e.desiredCapacity}|${rows}|${e.problems.length}`;
}

/** "ASG app-asg-1 wants 2; targets: i-a healthy, i-b initial (Elb.RegistrationInProgress)". */
function describeProgress(e: FleetEvaluation): string {
  const targets = e.rows.map((r) => `${r.id} ${r.health}${r.reason ? ` (${r.reason})` : ''}`).join(', ') || 'none registered';
  const verdict = e.status === 'pass' ? 'all checks pass' : `${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}`;
  return `ASG ${e.autoScalingGroupName} wants ${e.desiredCapacity}; targets: ${targets} — ${verdict}.`;
}

function fleetFailures(fleet: FleetEvaluation, inputs: VerifyAlbInputs, waitedMs: number): string[] {
  const lead =
    fleet.status === 'fail'
      ? 'The fleet cannot become healthy on the expected AMI by waiting'
      : `The targets were not all healthy on ${inputs.expectedAmiId} after ${Math.round(waitedMs / 1000)} s (timeout-minutes ${inputs.timeoutMinutes})`;
  return [lead, ...fleet.problems];
}

/**
 * A sample proves something only when it comes from an instance of the stack's current ASG and
 * reports the AMI EC2 says that instance runs. A details.json from anywhere else (a stray server
 * behind the URL, an old instance still registered elsewhere, a page that copies another's
 * answer) says nothing about the fleet: it becomes an error sample, kept with what it reported.
 */
function judgeSample(sample: Sample, fleet: FleetEvaluation): Sample {
  if (sample.error !== undefined || sample.instanceId === undefined) return sample;
  const group = fleet.autoScalingGroupName;
  if (!fleet.currentInstances.has(sample.instanceId)) {
    return { ...sample, error: `answered as ${sample.instanceId} on ${sample.amiId}, which is not an instance of the current ASG ${group}: a response from outside the fleet proves nothing` };
  }
  const runs = fleet.currentInstances.get(sample.instanceId);
  if (runs !== undefined && sample.amiId !== runs) {
    return { ...sample, error: `answered as ${sample.instanceId} on ${sample.amiId}, but EC2 says that instance runs ${runs}: the page does not describe the instance that served it` };
  }
  return sample;
}

function httpFailures(samples: readonly Sample[], summary: SampleSummary, inputs: VerifyAlbInputs): string[] {
  const failures: string[] = [];
  // Whatever max-error-rate allows, a watch in which nothing answered correctly verified nothing.
  const proofs = samples.filter((s) => s.error === undefined && s.amiId === inputs.expectedAmiId).length;
  if (proofs === 0) {
    const first = samples.find((s) => s.error !== undefined);
    failures.push(
      `None of the ${summary.samples} HTTP samples was a good answer from the fleet on ${inputs.expectedAmiId}, so nothing was verified, whatever max-error-rate (${percent(inputs.maxErrorRate)}) allows` +
        (first ? `; first: ${first.error}` : ''),
    );
  }
  if (summary.errorRate > inputs.maxErrorRate) {
    const firstErrors = samples.filter((s) => s.error !== undefined).slice(0, 3);
    const examples = firstErrors.map((s) => `${new Date(s.at).toISOString()} ${s.error}`).join('; ');
    failures.push(
      `HTTP error rate ${percent(summary.errorRate)} (${summary.errors} of ${summary.samples} samples) exceeds max-error-rate ${percent(inputs.maxErrorRate)}; first errors: ${examples}`,
    );
  }
  for (const served of summary.servedAmis.filter((a) => a.amiId !== inputs.expectedAmiId)) {
    const first = samples.find((s) => s.amiId === served.amiId)!;
    failures.push(
      `${served.samples} of ${summary.samples} samples were served by ${served.amiId}, not ${inputs.expectedAmiId} (first at ${new Date(first.at).toISOString()} from ${first.instanceId})`,
    );
  }
  return failures;
}

/** 0.05 → "5 %", 0.0123 → "1.23 %". */
export function percent(rate: number): string {
  return `${Number((rate * 100).toFixed(2))} %`;
}
