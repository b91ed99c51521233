/**
 * The end of a slots deploy's bake window: whether the old slot (warm at weight 0 since the switch)
 * may now be scaled to zero. The pure decision over the facts of readRetirementFacts, so every rule
 * is tested without git or AWS (docs/templates.md, "The bake window"):
 *
 * - git says the idle slot still has capacity (else there is nothing to retire), the stack runs
 *   exactly what git says (else the stack moved since: a deploy nobody recorded, or drift), and
 *   the live slot got live by a deploy forward, not by a failback (after a failback the idle slot
 *   holds the AMI users fled, kept for a look until a person retires it by a commit);
 * - the stack's alarms (both slots', the rollback triggers and the canary's evidence) never went
 *   to ALARM since the switch, none is in ALARM now, and each exists (its quiet can be shown);
 * - the window, bakeSeconds from the switch (the stack's last settled update, on AWS's clock),
 *   has passed on AWS's clock.
 *
 * One more case completes a retirement that half happened: the stack already has the idle slot at
 * capacity 0 while git still says otherwise (a run whose record failed after its update): only
 * the record is left.
 */
import { REVERTING_UPDATE_TYPES } from '../gitops/commit-metadata';
import type { AmiChange } from '../gitops/ami-history';
import { isSlotsParameters, LIVE_SLOT_PARAMETER, liveAmiIn, liveAmiOf, otherSlot, readSlotPlan, SLOT_NAMES, slotParameters, type SlotName } from '../parameters';
import type { AlarmFacts } from '../promotion/soak-evidence';

/** Stack states in which the stack is settled on what it was last asked to run. */
const SETTLED_STATUSES: ReadonlySet<string> = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE']);

/** What the decision reads: git's HEAD and history, the stack, its alarms since the switch. */
export interface RetirementFacts {
  environment: string;
  parametersFile: string;
  stackName: string;
  /** The wiring's slots.bakeSeconds. */
  bakeSeconds: number;
  /** The parameters file at HEAD. */
  head: Readonly<Record<string, string>>;
  /** The newest commit that changed the AMI users are on (how the live slot got live). */
  lastChange?: AmiChange;
  /** The newest commit that changed the file at all: the one whose Deploy run deploys HEAD's state. */
  fileCommit?: string;
  /** The AMI users were on before that change (git history; undefined without one). */
  leftAmiId?: string;
  stack: RetirementStack;
  /** The stack's alarms from settledAtMs to now. */
  alarms: AlarmFacts;
}

export interface RetirementStack {
  exists: boolean;
  status?: string;
  parameters: Readonly<Record<string, string>>;
  /** When the stack's last update (the switch) completed, by AWS's clock (ms). */
  settledAtMs?: number;
  /** The alarms the stack's outputs name (both slots'). */
  alarmNames: string[];
}

/** What to do with the old slot now. */
export type RetirementVerdict =
  /** Nothing to retire: not a slots file, or git already has the idle slot at capacity 0. */
  | { action: 'none'; reason: string }
  /** The live slot got live by a failback: the idle slot keeps the AMI users fled, for a person to look at; `liveAmiId` is the one they are on. */
  | { action: 'kept'; slot: SlotName; amiId: string; liveAmiId: string; reason: string }
  /**
   * The stack moved since git's HEAD (a deploy or flip nobody recorded): nothing is retired, and git
   * does not say what runs. `gitLiveAmiId` is the AMI HEAD makes live, `stackLiveAmiId` the one the
   * stack's live slot runs (undefined when the stack is not in the slots shape).
   */
  | { action: 'moved'; slot: SlotName; amiId: string; gitLiveAmiId: string; stackLiveAmiId?: string; fileCommit?: string; reason: string }
  /** The window is still open and nothing failed so far. */
  | { action: 'wait'; slot: SlotName; amiId: string; endsAtMs: number; reason: string }
  /** Scale the idle slot to zero (a CloudFormation update), then record it in git. */
  | { action: 'retire'; slot: SlotName; amiId: string; endsAtMs: number; reason: string }
  /** The stack already has the idle slot at zero; git does not say so yet. */
  | { action: 'record'; slot: SlotName; amiId: string; reason: string }
  /** Something failed: no retirement, and the run fails with the reasons. `alarm`: an alarm fired inside the window. */
  | { action: 'refuse'; slot?: SlotName; amiId?: string; reasons: string[]; alarm: boolean };

/** The keys of a slots file that say what runs where (what the stack must equal). */
const SLOT_STATE_KEYS = [LIVE_SLOT_PARAMETER, ...SLOT_NAMES.flatMap((s) => Object.values(slotParameters(s)))];

export function judgeRetirement(facts: RetirementFacts, nowMs: number): RetirementVerdict {
  if (!isSlotsParameters(facts.head)) return { action: 'none', reason: `${facts.parametersFile} is not in the slots shape: strategy replace keeps no old slot` };
  const plan = readSlotPlan(facts.head);
  const slot = otherSlot(plan.live);
  const idle = plan.slots[slot];
  const keys = slotParameters(slot);
  if (!(idle.capacity > 0)) return { action: 'none', reason: `${facts.parametersFile} has ${keys.capacity} = "0": ${slot} is retired already` };
  const staged = stagedIdleAmi(facts.head, facts.leftAmiId);
  if (staged) return { action: 'none', reason: `${slot} holds ${staged}, staged for a switch (not the AMI users left): staging ahead keeps it warm until its switch PR is merged, or a commit retires it` };

  const { stack } = facts;
  if (!stack.exists) return { action: 'refuse', slot, amiId: idle.amiId, alarm: false, reasons: [`app stack ${facts.stackName} does not exist`] };
  if (!SETTLED_STATUSES.has(stack.status ?? '')) {
    return { action: 'refuse', slot, amiId: idle.amiId, alarm: false, reasons: [`app stack ${facts.stackName} is ${stack.status}, not settled on a completed update: the next deploy records what it runs`] };
  }
  const moved = SLOT_STATE_KEYS.filter((k) => stack.parameters[k] !== facts.head[k]);
  if (moved.length === 1 && moved[0] === keys.capacity && stack.parameters[keys.capacity] === '0') {
    return { action: 'record', slot, amiId: idle.amiId, reason: `the stack has ${keys.capacity} = "0" already, ${facts.parametersFile} says "${facts.head[keys.capacity]}": the retirement's record is missing` };
  }
  if (moved.length > 0) {
    const what = moved.map((k) => `${k} "${stack.parameters[k] ?? ''}" (git: "${facts.head[k] ?? ''}")`).join(', ');
    return {
      action: 'moved',
      slot,
      amiId: idle.amiId,
      gitLiveAmiId: liveAmiOf(plan),
      stackLiveAmiId: liveAmiIn(stack.parameters),
      fileCommit: facts.fileCommit,
      reason: `the stack moved since ${facts.parametersFile} at HEAD: ${facts.stackName} has ${what}, so git does not say what runs`,
    };
  }

  const update = facts.lastChange?.update;
  if (update && REVERTING_UPDATE_TYPES.has(update['update-type'])) {
    return {
      action: 'kept',
      slot,
      amiId: idle.amiId,
      liveAmiId: liveAmiOf(plan),
      reason:
        `${plan.live} went live on ${liveAmiOf(plan)} by a ${update['update-type']} (commit ${facts.lastChange!.commit.slice(0, 12)}, "${facts.lastChange!.subject}"), so ${slot} keeps ${idle.amiId}, the AMI users left, for a look; ` +
        `git and the stack agree. No retirement after a failure: patch forward, or when done looking retire ${slot} by a commit that sets ${keys.capacity} to "0"`,
    };
  }

  const reasons: string[] = [];
  if (stack.alarmNames.length === 0) reasons.push(`app stack ${facts.stackName} names no alarms in its outputs, so a quiet bake window cannot be shown`);
  for (const name of facts.alarms.missing) reasons.push(`alarm ${name} does not exist in CloudWatch, so its quiet cannot be shown`);
  const firing = facts.alarms.states.filter((a) => a.state === 'ALARM').map((a) => `alarm ${a.alarmName} is in ALARM now`);
  const fired = facts.alarms.firings.map((f) => `alarm ${f.alarmName} went to ALARM at ${f.at}, inside the bake window (${f.summary})`);
  if (stack.settledAtMs === undefined) reasons.push(`app stack ${facts.stackName} has no completed update to start the bake window from`);
  if (reasons.length + firing.length + fired.length > 0) {
    return { action: 'refuse', slot, amiId: idle.amiId, alarm: firing.length + fired.length > 0, reasons: [...firing, ...fired, ...reasons] };
  }

  const endsAtMs = stack.settledAtMs! + facts.bakeSeconds * 1000;
  const window = `the bake window (${facts.bakeSeconds} s from the switch at ${iso(stack.settledAtMs!)})`;
  if (nowMs < endsAtMs) {
    return { action: 'wait', slot, amiId: idle.amiId, endsAtMs, reason: `${window} ends at ${iso(endsAtMs)}, in ${Math.ceil((endsAtMs - nowMs) / 1000)} s; ${slot} stays warm on ${idle.amiId} until then` };
  }
  return { action: 'retire', slot, amiId: idle.amiId, endsAtMs, reason: `${window} ended at ${iso(endsAtMs)} with every alarm quiet and no failback` };
}

/**
 * The AMI the idle slot holds staged (docs/parameters.md, "Staging ahead"), or undefined: a warm
 * idle slot whose AMI is neither the one users are on nor the one they left is a new AMI waiting
 * for its switch, not an old slot to retire. Without history (`leftAmiId` undefined: a shallow
 * clone, or a file written by hand) nothing can be told apart, and the rules stay as they were.
 */
export function stagedIdleAmi(head: Readonly<Record<string, string>>, leftAmiId: string | undefined): string | undefined {
  if (!isSlotsParameters(head)) return undefined;
  const plan = readSlotPlan(head);
  const idle = plan.slots[otherSlot(plan.live)];
  if (!(idle.capacity > 0) || !idle.amiId) return undefined;
  return leftAmiId !== undefined && idle.amiId !== plan.slots[plan.live].amiId && idle.amiId !== leftAmiId ? idle.amiId : undefined;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
