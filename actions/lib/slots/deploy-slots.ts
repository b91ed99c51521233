/**
 * The slots deploy (strategy `slots`, templates/app-slots.yaml): from what the stack runs to what
 * the parameters file at HEAD says, in steps, each one a CloudFormation update of the same stack:
 *
 *   stage   the slot HEAD makes live gets its AMI and capacity, at weight 0 (users stay put)
 *   prove   that slot is verified on its own target group through the slot header: health, the AMI
 *           of each instance, HTTP samples; no user request reaches it yet
 *   canary  it gets the canary share of user traffic for canarySeconds, while both slots are
 *           sampled through their headers and compared (error rate, median latency)
 *   switch  the stack gets exactly HEAD's parameters: all traffic to the new slot, the old one as
 *           HEAD says (warm at weight 0 through the bake window; retired by a later commit)
 *
 * A failure after the stage step flips traffic back to the slot that was live (weights only: the
 * staged slot keeps its AMI and capacity for a look), proves it, and throws with the root cause, so
 * the job records in git what the stack runs. A failing update is rolled back by CloudFormation to
 * the step before. A requested failback skips the canary: once the slot is proven it is a weight
 * change. Inside the bake window the old slot is still warm (it served users minutes ago and the
 * ALB has health-checked it all along), so the failback flips first after one look at its targets
 * (all healthy, on its AMI, at capacity) and the job's verify step proves it after the flip: the
 * way back is one weight change, not a watch and then a weight change. A warm slot that fails that
 * look is proven in full before any weight moves.
 *
 * Staging ahead (the wiring's slots.stageAhead; docs/parameters.md, "Staging ahead") splits a patch
 * in two deploys. A stage-only change (LiveSlot unchanged, the idle slot given an AMI and capacity
 * at weight 0) is staged and proven here like the first two steps above, and the result carries
 * the proof for the switch PR the job proposes; a failed prove puts the idle slot back to what the
 * stack ran before, so git records it. The switch PR's deploy then finds the slot already running
 * its AMI at capacity: with the stage's proof (stagedProof, read from git by the job) no older than
 * STAGED_PROOF_MAX_AGE_MS it takes one look at the targets instead of a watch, then canary and
 * switch as above; a failed look, an older proof or none is a full prove.
 *
 * Each step's update watches the alarms of the slot that takes users in it (rollbackAlarmsOf).
 */
import type { Logger } from '../logger';
import { AwsOperationError, errorMessage } from '../errors';
import { LIVE_SLOT_PARAMETER, otherSlot, readSlotPlan, slotParameters, TOTAL_WEIGHT, type SlotName, type SlotPlan, type SlotsSettings } from '../parameters';

export type SlotStepName = 'stage' | 'check' | 'prove' | 'canary' | 'switch' | 'update' | 'unstage' | 'flip-back' | 'prove-flip-back';

/** What a slot verification saw: verify-alb's verdict and, for the canary comparison, its HTTP numbers. */
export interface SlotVerdict {
  healthy: boolean;
  failures: string[];
  samples: number;
  errorRate: number;
  /** Median latency of the successful samples, ms (undefined without any). */
  medianLatencyMs?: number;
  /** The canary step only: the slot's alarms (templates/app-slots.yaml) in ALARM at the end of the watch. */
  alarms?: SlotAlarm[];
  /** The instances the verification saw in the slot's group, and the AMI EC2 says each runs (a stage's proof shows them). */
  instances?: { instanceId: string; amiId?: string }[];
}

/** One of a slot's alarms in ALARM: which kind (the same kinds on both slots), its name and CloudWatch's reason. */
export interface SlotAlarm {
  kind: string;
  name: string;
  reason?: string;
}

export interface SlotVerification {
  step: SlotStepName;
  slot: SlotName;
  amiId: string;
  /** How long to sample HTTP after the targets are healthy. */
  seconds: number;
}

/** What a step does, injected so the sequence is tested on a fake stack and runs on AWS through the actions' logic. */
export interface SlotStepRunner {
  /**
   * One CloudFormation update of the stack to exactly `parameters`; resolves when the stack is
   * stable, throws when it failed. `alarmsOf`: the slot whose alarms are the update's rollback
   * triggers (none when undefined; see rollbackAlarmsOf).
   */
  update(step: SlotStepName, parameters: Readonly<Record<string, string>>, alarmsOf: SlotName | undefined): Promise<void>;
  /** Verifies one slot on its own target group, through the slot header. */
  verify(request: SlotVerification): Promise<SlotVerdict>;
  /** One look at a slot's targets, no waiting and no HTTP samples: all healthy, on `amiId`, as many as its group wants. */
  check(request: { slot: SlotName; amiId: string }): Promise<SlotVerdict>;
  /** Now, for the age of a stage's proof (the runner's clock: the proof's time was the runner's too). */
  now(): Date;
}

/**
 * Whose alarms (templates/app-slots.yaml: 5xx rate and unhealthy hosts, per target group) are a
 * step's rollback triggers: the slot that takes users in it. CloudFormation rolls the step's update
 * back when one of them goes to ALARM while it runs (the steps have no monitoring window after
 * them: the job's own watches are the gate, and a window would only delay the next step).
 *   stage           none: the staged slot serves no user and the prove step gates it; the live
 *                   slot's alarms say nothing about a change that does not touch it
 *   canary, switch  the new slot's
 *   update          the live slot's (a retirement or a size change, no switch)
 *   flip-back, and a requested failback's switch: none, because rolling either back would send
 *                   users back to the slot they are being moved away from
 */
export function rollbackAlarmsOf(step: SlotStepName, slots: { next: SlotName; live: SlotName; failback: boolean }): SlotName | undefined {
  switch (step) {
    case 'canary':
      return slots.next;
    case 'switch':
      return slots.failback ? undefined : slots.next;
    case 'update':
      return slots.live;
    // stage and unstage touch only the idle slot (at weight 0): no user's request reaches it.
    default:
      return undefined;
  }
}

export interface SlotsDeployInputs {
  stackName: string;
  /** Where HEAD's parameters came from, for messages. */
  parametersFile: string;
  /** What the stack runs now (DescribeStacks). */
  current: Readonly<Record<string, string>>;
  /** What HEAD says. */
  target: Readonly<Record<string, string>>;
  settings: Omit<SlotsSettings, 'stageAhead'>;
  /** HTTP sampling of the prove step (the wiring's verify.watchSeconds). */
  proveSeconds: number;
  /** The largest error rate the new slot may show (the wiring's verify.maxErrorRate). */
  maxErrorRate: number;
  /**
   * A requested failback (the Failback workflow): the slot HEAD makes live ran as live before, so
   * once proven it takes all traffic at once. Never inferred from the AMIs: after a flipped-back
   * deploy the idle slot holds the new AMI too, and a re-run of that deploy must canary it again.
   */
  failback: boolean;
  /**
   * The proof of the stage deploy that put the new slot's AMI there (a switch PR's metadata, read by
   * the job from git): with it, a switch to a slot that already runs that AMI at capacity takes one
   * look instead of a full prove. Undefined: no such proof (a single-PR patch, a re-run after a
   * flip back): always a full prove.
   */
  stagedProof?: { amiId: string; provenAt: Date };
  /**
   * The AMI git says is staged in the idle slot and not switched to yet (the job reads it from git):
   * a deploy that finds the stack already equal to HEAD proves that slot again and returns the proof,
   * so a re-run of a stage deploy (its switch PR not proposed, or lost) proposes the switch again.
   */
  restage?: string;
}

/** What a stage-only deploy staged and proved: the switch PR's evidence. */
export interface StagedSlot {
  slot: SlotName;
  /** What the slot ran before the stage (the stack's), for "old → new" and a failed stage's restore. */
  previousAmiId: string;
  amiId: string;
  capacity: number;
  liveSlot: SlotName;
  liveAmiId: string;
  provenAt: string;
  samples: number;
  errorRate: number;
  medianLatencyMs?: number;
  instances: { instanceId: string; amiId?: string }[];
}

export interface SlotsDeployResult {
  outcome: 'switched' | 'staged' | 'updated' | 'no-changes';
  steps: { step: SlotStepName; detail: string }[];
  /** outcome staged: the proof, for the switch PR. */
  staged?: StagedSlot;
}

/**
 * How old a stage's proof may be for the switch to skip the prove watch: a day. The look at the
 * targets still runs (health, AMI per instance, capacity), and the ALB health-checks the slot all
 * along; what a day can make stale is what the prove's HTTP samples saw beyond health (the
 * backends, configuration and data the app depends on, an instance's disk or memory after a day
 * idle). A day covers a review in working hours; an older proof costs a prove watch
 * (verify.watchSeconds), not the decision.
 */
export const STAGED_PROOF_MAX_AGE_MS = 24 * 3600 * 1000;

/** A slots deploy that failed on a settled stack: what the stack has now (for git to record), and the steps taken. */
abstract class SlotsDeployFailure extends AwsOperationError {
  constructor(
    message: string,
    stackName: string,
    status: string,
    /** The parameters the stack has now, which git must record. */
    readonly stackParameters: Readonly<Record<string, string>>,
    readonly steps: SlotsDeployResult['steps'],
  ) {
    super(message, stackName, status);
  }
}

/** A stage-only deploy whose prove failed: the idle slot went back to what it ran, or stays staged when that update failed too. */
export class SlotsStageFailedError extends SlotsDeployFailure {
  constructor(
    message: string,
    stackName: string,
    stackParameters: Readonly<Record<string, string>>,
    steps: SlotsDeployResult['steps'],
    readonly staged: { slot: SlotName; previousAmiId: string; amiId: string; restored: boolean },
  ) {
    super(message, stackName, 'STAGE_FAILED', stackParameters, steps);
  }
}

/** A failed slots deploy after which traffic went back to the old slot (proven there). */
export class SlotsFlippedBackError extends SlotsDeployFailure {
  constructor(
    message: string,
    stackName: string,
    stackParameters: Readonly<Record<string, string>>,
    steps: SlotsDeployResult['steps'],
    /** Where the new slot failed, and which slot users are on again: the deploy report says both. */
    readonly flipBack: FlipBack,
  ) {
    super(message, stackName, 'FLIPPED_BACK', stackParameters, steps);
  }
}

/** A slots deploy that failed and flipped back: the step the new slot failed at, and the slot that is live again. */
export interface FlipBack {
  failedStep: 'prove' | 'canary' | 'switch';
  liveSlot: SlotName;
}

/** The canary's slack: the new slot may be this much slower (median) than the live one before it counts as worse. */
const LATENCY_FACTOR = 2;
const LATENCY_SLACK_MS = 50;
/**
 * A median of a handful of samples is noise (one slow answer from a busy host moves it), so the
 * latency comparison needs this many samples on each side; fewer is said in the step's detail.
 * At one sample a second that is a canary of at least 10 s (the default is 120 s).
 */
export const MIN_LATENCY_SAMPLES = 10;

export async function deploySlots(inputs: SlotsDeployInputs, runner: SlotStepRunner, logger: Logger): Promise<SlotsDeployResult> {
  const from = readSlotPlan(inputs.current);
  const to = readSlotPlan(inputs.target);
  const steps: SlotsDeployResult['steps'] = [];
  const same = Object.keys(inputs.target).every((k) => inputs.target[k] === inputs.current[k]);
  if (same && inputs.restage !== undefined && to.slots[otherSlot(to.live)].amiId === inputs.restage && isStaged(to)) return stageOnly(inputs, from, to, runner, logger);
  if (same) return { outcome: 'no-changes', steps };

  if (from.live === to.live && isStageOnly(from, to)) return stageOnly(inputs, from, to, runner, logger);
  if (from.live === to.live) {
    // No switch (a retirement, a size change): one update; the live slot keeps its traffic.
    await runner.update('update', inputs.target, rollbackAlarmsOf('update', { next: to.live, live: to.live, failback: inputs.failback }));
    steps.push({ step: 'update', detail: `${inputs.stackName} = ${inputs.parametersFile}; ${to.live} stays live` });
    return { outcome: 'updated', steps };
  }

  const next = to.live;
  const old = from.live;
  const nextKeys = slotParameters(next);
  const newAmi = to.slots[next].amiId;
  const { failback } = inputs;
  const alarmsOf = (step: SlotStepName) => rollbackAlarmsOf(step, { next, live: old, failback });

  // stage: CloudFormation rolls a failed update back itself, so nothing to flip yet.
  const staged = { ...inputs.current, [nextKeys.ami]: newAmi, [nextKeys.capacity]: inputs.target[nextKeys.capacity] };
  const stagedChanges = staged[nextKeys.ami] !== inputs.current[nextKeys.ami] || staged[nextKeys.capacity] !== inputs.current[nextKeys.capacity];
  if (stagedChanges) {
    await runner.update('stage', staged, alarmsOf('stage'));
    steps.push({ step: 'stage', detail: `${next}: ${newAmi} × ${staged[nextKeys.capacity]} at weight 0; users stay on ${old}` });
  }
  let stackNow: Record<string, string> = staged;
  let at: FlipBack['failedStep'] = 'prove';

  try {
    // A requested failback to a slot that already runs its AMI at capacity (the old slot, still
    // warm), or a switch to a slot a stage deploy proved lately: one look instead of a watch.
    const proof = !failback && !stagedChanges ? freshProof(inputs.stagedProof, newAmi, runner.now()) : undefined;
    const warm = (failback || proof?.fresh) && !stagedChanges ? await runner.check({ slot: next, amiId: newAmi }) : undefined;
    if (proof && !proof.fresh) logger.info(`${next}'s stage proof is ${proof.age} old, more than ${hours(STAGED_PROOF_MAX_AGE_MS)}: proving it again before any weight moves.`);
    if (warm?.healthy && failback) {
      steps.push({ step: 'check', detail: `${next} is warm: every target healthy on ${newAmi}, so traffic flips first and the job's verify step proves ${next} after the flip` });
    } else if (warm?.healthy) {
      steps.push({ step: 'check', detail: `${next} was staged and proven ${proof!.age} ago, and at one look every target is healthy on ${newAmi}: no second prove watch` });
    } else {
      if (warm) logger.info(`${next} ${failback ? 'is warm' : 'was staged'} but not ready at one look (${warm.failures.join('; ')}): proving it before any weight moves.`);
      const proven = await runner.verify({ step: 'prove', slot: next, amiId: newAmi, seconds: inputs.proveSeconds });
      if (!proven.healthy) throw new Error(`${next} did not pass on its own target group: ${proven.failures.join('; ')}`);
      steps.push({ step: 'prove', detail: `${next} proven through the slot header: ${proven.samples} samples, ${percent(proven.errorRate)} errors` });
    }

    if (!failback && inputs.settings.canaryWeight > 0) {
      at = 'canary';
      const canary = { ...staged, ...weights(next, inputs.settings.canaryWeight) };
      await runner.update('canary', canary, alarmsOf('canary'));
      stackNow = canary;
      const [fresh, live] = await Promise.all([
        runner.verify({ step: 'canary', slot: next, amiId: newAmi, seconds: inputs.settings.canarySeconds }),
        runner.verify({ step: 'canary', slot: old, amiId: from.slots[old].amiId, seconds: inputs.settings.canarySeconds }),
      ]);
      const worse = compareCanary(fresh, live, inputs.maxErrorRate);
      if (worse) throw new Error(`the canary (${inputs.settings.canaryWeight} % of traffic for ${inputs.settings.canarySeconds} s) did worse than ${old}: ${worse}`);
      steps.push({
        step: 'canary',
        detail:
          `${next} at ${inputs.settings.canaryWeight} % for ${inputs.settings.canarySeconds} s: ${percent(fresh.errorRate)} errors, median ${ms(fresh.medianLatencyMs)} (${old}: ${percent(live.errorRate)}, ${ms(live.medianLatencyMs)})` +
          (latencyComparable(fresh, live) ? '' : `; latency not compared (fewer than ${MIN_LATENCY_SAMPLES} samples a side)`) +
          (fresh.alarms ? `; ${next}'s alarms in ALARM: ${fresh.alarms.map((x) => x.name).join(', ') || 'none'}` : ''),
      });
    } else if (failback) {
      steps.push({ step: 'canary', detail: `skipped: a failback to ${newAmi}, which users ran before, is a weight change` });
    }

    at = 'switch';
    await runner.update('switch', inputs.target, alarmsOf('switch'));
    stackNow = { ...inputs.target };
    steps.push({ step: 'switch', detail: `all traffic to ${next} (${newAmi}); ${old} at capacity ${inputs.target[slotParameters(old).capacity]}, weight 0` });
    return { outcome: 'switched', steps };
  } catch (error) {
    const cause = errorMessage(error);
    logger.error(`Slots deploy of ${inputs.stackName} failed before the switch completed: ${cause}. Flipping traffic back to ${old}.`);
    const back = { ...stackNow, [LIVE_SLOT_PARAMETER]: old, ...weights(old, TOTAL_WEIGHT) };
    try {
      await runner.update('flip-back', back, alarmsOf('flip-back'));
    } catch (flipError) {
      throw new AwsOperationError(
        `Slots deploy of ${inputs.stackName} failed (${cause}), and the flip back to ${old} failed too (${errorMessage(flipError)}). ` +
          `Users may be on ${next}: check the stack's listener weights and run the Failback workflow for ${old}.`,
        inputs.stackName,
        'FLIP_BACK_FAILED',
      );
    }
    steps.push({ step: 'flip-back', detail: `all traffic to ${old} again; ${next} kept as staged (${newAmi}) at weight 0` });
    const proven = await runner.verify({ step: 'prove-flip-back', slot: old, amiId: from.slots[old].amiId, seconds: inputs.proveSeconds });
    const provenText = proven.healthy ? `${old} proven again (${proven.samples} samples)` : `${old} did NOT pass its verification either: ${proven.failures.join('; ')}`;
    steps.push({ step: 'prove-flip-back', detail: provenText });
    throw new SlotsFlippedBackError(
      `Slots deploy of ${inputs.stackName} failed: ${cause}. Traffic is back on ${old} (${from.slots[old].amiId}); ${provenText}. ` +
        `The stack now says LiveSlot=${old}; record it in git (the deploy job's "Record what runs" step does) so ${inputs.parametersFile} says what runs.`,
      inputs.stackName,
      back,
      steps,
      { failedStep: at, liveSlot: old },
    );
  }
}

/**
 * A stage-only change: the live slot stays live with all its traffic, and the idle slot is given an
 * AMI at capacity (a new AMI, or capacity it did not have) at weight 0.
 */
export function isStageOnly(from: SlotPlan, to: SlotPlan): boolean {
  const idle = otherSlot(to.live);
  const before = from.slots[idle];
  const after = to.slots[idle];
  return from.live === to.live && after.capacity > 0 && after.weight === 0 && from.slots[from.live].weight === TOTAL_WEIGHT && (after.amiId !== before.amiId || !(before.capacity > 0));
}

/** The idle slot is warm at weight 0 on another AMI than the live slot's (with `restage`: the AMI git says is staged). */
function isStaged(plan: SlotPlan): boolean {
  const idle = plan.slots[otherSlot(plan.live)];
  return idle.capacity > 0 && idle.weight === 0 && idle.amiId !== plan.slots[plan.live].amiId;
}

/**
 * stage the idle slot (its AMI and capacity only, at weight 0), prove it through the slot header,
 * then, when HEAD changes more than the idle slot, one update to exactly HEAD. A failed prove puts
 * the idle slot back as the stack had it (unstage), and the error says what the stack runs.
 */
async function stageOnly(inputs: SlotsDeployInputs, from: SlotPlan, to: SlotPlan, runner: SlotStepRunner, logger: Logger): Promise<SlotsDeployResult> {
  const slot = otherSlot(to.live);
  const keys = slotParameters(slot);
  const steps: SlotsDeployResult['steps'] = [];
  const previousAmiId = from.slots[slot].amiId;
  const amiId = to.slots[slot].amiId;
  const live = `${to.live} (${to.slots[to.live].amiId})`;
  const staged = { ...inputs.current, [keys.ami]: amiId, [keys.capacity]: inputs.target[keys.capacity], [keys.weight]: '0' };
  // A re-run finds the slot staged already: only the prove again (and nothing to put back on a failure).
  const stages = Object.keys(staged).some((k) => staged[k] !== inputs.current[k]);
  if (stages) {
    await runner.update('stage', staged, rollbackAlarmsOf('stage', { next: slot, live: to.live, failback: false }));
    steps.push({ step: 'stage', detail: `${slot}: ${previousAmiId} → ${amiId} × ${to.slots[slot].capacity} at weight 0; users stay on ${live}` });
  } else {
    steps.push({ step: 'stage', detail: `${slot} runs ${amiId} × ${to.slots[slot].capacity} at weight 0 already (a re-run): proving it again for the switch PR` });
  }

  const proven = await runner.verify({ step: 'prove', slot, amiId, seconds: inputs.proveSeconds }).catch((error: unknown) => ({ ...FAILED_VERDICT, failures: [errorMessage(error)] }));
  if (!proven.healthy) {
    const cause = `${slot} did not pass on its own target group: ${proven.failures.join('; ')}`;
    logger.error(`Staging ${amiId} in ${slot} of ${inputs.stackName} failed: ${cause}. Putting ${slot} back to ${previousAmiId}.`);
    let restored = stages;
    let stackNow: Readonly<Record<string, string>> = stages ? inputs.current : staged;
    try {
      if (stages) {
        await runner.update('unstage', inputs.current, rollbackAlarmsOf('unstage', { next: slot, live: to.live, failback: false }));
        steps.push({ step: 'unstage', detail: `${slot} back to ${previousAmiId} × ${from.slots[slot].capacity}, as before the stage` });
      }
    } catch (error) {
      // CloudFormation rolled the unstage back: the slot stays staged, at weight 0, and git says so.
      restored = false;
      stackNow = staged;
      steps.push({ step: 'unstage', detail: `failed (${errorMessage(error)}): ${slot} stays staged on ${amiId} at weight 0, no user traffic` });
    }
    const now = restored
      ? `${slot} is back on ${previousAmiId} (what the stack ran before)`
      : `${slot} still runs ${amiId} at weight 0 (${stages ? 'putting it back failed' : 'it was staged before this run, which only proved it again'})`;
    throw new SlotsStageFailedError(
      `Staging ${amiId} in ${slot} of ${inputs.stackName} failed: ${cause}. No user request reached it: users stayed on ${live} throughout; ${now}. ` +
        `The deploy job's "Record what runs" step records that in ${inputs.parametersFile}, so git says what runs; no switch PR is proposed.`,
      inputs.stackName,
      stackNow,
      steps,
      { slot, previousAmiId, amiId, restored },
    );
  }
  steps.push({ step: 'prove', detail: `${slot} proven through the slot header: ${proven.samples} samples, ${percent(proven.errorRate)} errors; no user traffic` });
  const rest = Object.keys(inputs.target).some((k) => inputs.target[k] !== staged[k]);
  if (rest) {
    await runner.update('update', inputs.target, rollbackAlarmsOf('update', { next: to.live, live: to.live, failback: false }));
    steps.push({ step: 'update', detail: `${inputs.stackName} = ${inputs.parametersFile}; ${to.live} stays live` });
  }
  return {
    outcome: 'staged',
    steps,
    staged: {
      slot,
      previousAmiId,
      amiId,
      capacity: to.slots[slot].capacity,
      liveSlot: to.live,
      liveAmiId: to.slots[to.live].amiId,
      provenAt: runner.now().toISOString(),
      samples: proven.samples,
      errorRate: proven.errorRate,
      medianLatencyMs: proven.medianLatencyMs,
      instances: proven.instances ?? [],
    },
  };
}

const FAILED_VERDICT: SlotVerdict = { healthy: false, failures: [], samples: 0, errorRate: 0 };

/** The stage's proof for `amiId`, and whether it is young enough to skip the prove watch; undefined without one for that AMI. */
function freshProof(proof: SlotsDeployInputs['stagedProof'], amiId: string, now: Date): { fresh: boolean; age: string } | undefined {
  if (!proof || proof.amiId !== amiId) return undefined;
  const ageMs = now.getTime() - proof.provenAt.getTime();
  // A proof from the future is a clock or a metadata problem: not trusted.
  return { fresh: ageMs >= 0 && ageMs <= STAGED_PROOF_MAX_AGE_MS, age: ageMs < 0 ? 'in the future (not trusted)' : hours(ageMs) };
}

const hours = (ms: number) => (ms < 3600_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3600_000).toFixed(1)} h`);

/** The weights that give `slot` `share` percent and the other slot the rest. */
export function weights(slot: SlotName, share: number): Record<string, string> {
  return { [slotParameters(slot).weight]: String(share), [slotParameters(otherSlot(slot)).weight]: String(TOTAL_WEIGHT - share) };
}

/**
 * Why the canary slot did worse than the live one, or undefined: none of its alarms may be in ALARM
 * unless the live slot's alarm of the same kind is too (then it is the app or its backend, not the
 * AMI); it must pass its own verification, keep its error rate within max(maxErrorRate, the live
 * slot's), and (with MIN_LATENCY_SAMPLES on each side) its median latency within
 * LATENCY_FACTOR × live + LATENCY_SLACK_MS. The alarms are the only evidence of what the canary's
 * users met (the samples go through the slot header, as the prove step's do).
 */
export function compareCanary(fresh: SlotVerdict, live: SlotVerdict, maxErrorRate: number): string | undefined {
  const liveKinds = new Set((live.alarms ?? []).map((a) => a.kind));
  const alarming = (fresh.alarms ?? []).filter((a) => !liveKinds.has(a.kind));
  if (alarming.length > 0) {
    return `${alarming.map((a) => `alarm ${a.name} is in ALARM${a.reason ? ` (${a.reason})` : ''}`).join('; ')}, and the live slot's is not`;
  }
  if (fresh.errorRate > Math.max(maxErrorRate, live.errorRate)) {
    return `error rate ${percent(fresh.errorRate)} against ${percent(live.errorRate)} on the live slot (allowed: ${percent(Math.max(maxErrorRate, live.errorRate))})`;
  }
  if (!fresh.healthy) return fresh.failures.join('; ');
  if (!latencyComparable(fresh, live)) return undefined;
  if (fresh.medianLatencyMs! > LATENCY_FACTOR * live.medianLatencyMs! + LATENCY_SLACK_MS) {
    return `median latency ${ms(fresh.medianLatencyMs)} against ${ms(live.medianLatencyMs)} on the live slot (allowed: ${ms(LATENCY_FACTOR * live.medianLatencyMs! + LATENCY_SLACK_MS)})`;
  }
  return undefined;
}

function latencyComparable(fresh: SlotVerdict, live: SlotVerdict): boolean {
  return fresh.medianLatencyMs !== undefined && live.medianLatencyMs !== undefined && Math.min(fresh.samples, live.samples) >= MIN_LATENCY_SAMPLES;
}

const percent = (rate: number) => `${(rate * 100).toFixed(1)} %`;
const ms = (value: number | undefined) => (value === undefined ? 'n/a' : `${Math.round(value)} ms`);
