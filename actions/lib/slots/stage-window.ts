/**
 * Staging ahead while the previous deploy's bake window is still open (docs/parameters.md,
 * "Staging ahead"). Until the window ends, the idle slot is the way back: warm on the AMI users
 * left, one weight flip from taking them again if the live AMI fails. A stage puts the new AMI in
 * that same slot, so staging now would throw the way back away and turn a failback inside the
 * window into a scale-up. The stage waits instead: check-switch refuses it before any AWS change,
 * saying when the window ends; after that the same deploy (a re-run, or the next one) stages it in
 * place of the old slot, which is what its retirement would have done anyway.
 *
 * A pure decision over readRetirementFacts' facts (git's HEAD and history, the stack, AWS's now).
 */
import { REVERTING_UPDATE_TYPES } from '../gitops/commit-metadata';
import { isSlotsParameters, liveAmiIn, otherSlot, readSlotPlan, type SlotName } from '../parameters';
import type { RetirementFacts } from './retirement';

/** check-switch's stage-wait output (JSON), for the deploy report: the slot, the three AMIs, when the window ends (ISO). */
export interface StageWaitReport {
  slot: string;
  stagedAmiId: string;
  warmAmiId: string;
  liveAmiId: string;
  endsAt: string;
}

export type StageWindowVerdict =
  | { wait: false; reason: string }
  /** `warmAmiId`: the AMI the idle slot keeps warm for the live one (`liveAmiId`); `stagedAmiId`: what HEAD stages there. */
  | { wait: true; slot: SlotName; stagedAmiId: string; warmAmiId: string; liveAmiId: string; endsAtMs: number; reason: string };

export function judgeStageInBakeWindow(facts: Pick<RetirementFacts, 'head' | 'lastChange' | 'leftAmiId' | 'stack' | 'bakeSeconds'>, stagedAmiId: string, nowMs: number): StageWindowVerdict {
  const { stack } = facts;
  if (!stack.exists || !isSlotsParameters(stack.parameters)) return { wait: false, reason: 'the stack has no slots yet' };
  const plan = readSlotPlan(stack.parameters);
  const slot = otherSlot(plan.live);
  const idle = plan.slots[slot];
  const liveAmiId = liveAmiIn(stack.parameters) ?? '';
  if (!(idle.capacity > 0) || idle.amiId === stagedAmiId || idle.amiId === liveAmiId) {
    return { wait: false, reason: `${slot} is not the way back (${idle.capacity > 0 ? `it runs ${idle.amiId}` : 'it is retired'})` };
  }
  // After a failback the idle slot holds the AMI users fled, kept for a look: not a way back to keep.
  const update = facts.lastChange?.update;
  if (update && REVERTING_UPDATE_TYPES.has(update['update-type'])) return { wait: false, reason: `${liveAmiId} went live by a ${update['update-type']}: ${slot} holds the AMI users fled` };
  if (facts.leftAmiId !== idle.amiId) return { wait: false, reason: `${slot} runs ${idle.amiId}, not the AMI users left at the last switch (${facts.leftAmiId ?? 'unknown'})` };
  if (stack.settledAtMs === undefined) return { wait: false, reason: 'the stack has no completed update to start a bake window from' };
  const endsAtMs = stack.settledAtMs + facts.bakeSeconds * 1000;
  if (endsAtMs <= nowMs) return { wait: false, reason: `the bake window of ${liveAmiId} ended at ${new Date(endsAtMs).toISOString()}` };
  return {
    wait: true,
    slot,
    stagedAmiId,
    warmAmiId: idle.amiId,
    liveAmiId,
    endsAtMs,
    reason: `${slot} is the way back of ${liveAmiId}'s bake window: warm on ${idle.amiId}, one weight flip from the users, until ${new Date(endsAtMs).toISOString()} (AWS's clock)`,
  };
}
