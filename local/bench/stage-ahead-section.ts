/**
 * The strategy table's rows for staging ahead (stage-ahead.ts): what the stage PR's merge leads
 * to, the switch PR's merge → all traffic against the goal, and what waiting for the switch costs;
 * and the note that says what those numbers are made of.
 */
import type { CutoverSettings } from './cutover';
import { againstGoal, GOALS } from './goals';
import { formatClock } from './report';
import { DEFAULT_STAGE_AHEAD_ASSUMPTIONS, modelStageAhead } from './stage-ahead';
import { weightUpdate, type SlotsStrategySettings, type StrategyAssumptions } from './strategies';


/** A night's wait for review, to put the idle fleet's cost in instance-hours. */
const OVERNIGHT_HOURS = 8;
const NO_IDLE_SLOT = 'no idle slot to stage in';

export function stageAheadRows(settings: CutoverSettings, w: SlotsStrategySettings, a: StrategyAssumptions, capacity: number): string[][] {
  const t = modelStageAhead(settings, w, a);
  return [
    [
      'Stage ahead (slots.stageAhead), stage PR merge → the new AMI staged and proven, no user on it',
      NO_IDLE_SLOT,
      `${formatClock(t.stageMergeToProven)} proven; the switch PR with the proof open at ${formatClock(t.stageMergeToSwitchPr)}`,
    ],
    [
      'Stage ahead, switch PR merge → the new AMI serves all traffic',
      NO_IDLE_SLOT,
      `${againstGoal(t.switchMergeToAllTraffic, GOALS.mergeToAllTraffic)}; ${formatClock(t.switchMergeToAllTrafficReproved)} when the look fails or the proof is over a day old (a prove watch first)`,
    ],
    [
      'Stage ahead, what it costs: a second fleet idle while the switch PR waits',
      NO_IDLE_SLOT,
      `${capacity} instances (the live slot's size) at weight 0 from ${formatClock(t.stageMergeToFleetUp)} after the stage PR's merge to the switch: ${capacity} instance-hours per hour of review (${capacity * OVERNIGHT_HOURS} for a night, ${OVERNIGHT_HOURS} h)`,
    ],
  ];
}

export function stageAheadNote(settings: CutoverSettings, w: SlotsStrategySettings, a: StrategyAssumptions): string {
  const t = modelStageAhead(settings, w, a);
  const s = DEFAULT_STAGE_AHEAD_ASSUMPTIONS;
  const weights = weightUpdate(0, a);
  const over = t.switchMergeToAllTraffic - GOALS.mergeToAllTraffic;
  const verdict =
    over > 0
      ? `The goal is missed by ${formatClock(over)}: what is left after the workflow's own ${formatClock(a.mergeToDeploySeconds)} and the shipped canary (${formatClock(w.canarySeconds)}) is the two weight changes (${formatClock(weights.noticed)} and ${formatClock(weights.applied)}).`
      : `The goal is met with ${formatClock(-over)} to spare.`;
  return (
    `stage ahead: the stage PR's merge → ${formatClock(a.mergeToDeploySeconds)} workflow + the stage step and the ${formatClock(w.watchSeconds)} prove watch as in a single-PR deploy → proven at ${formatClock(t.stageMergeToProven)}, + ${s.proposeSeconds} s to propose the switch PR (a commit, a push, one API call; assumed). ` +
    `The switch PR's merge → ${formatClock(a.mergeToDeploySeconds)} workflow + ${s.checkSwitchSeconds} s check-switch (git only; assumed) + ${formatClock(a.targetLookSeconds)} one look at the staged slot's targets instead of the stage and the prove watch + ${formatClock(weights.noticed)} canary weights + ${formatClock(w.canarySeconds)} canary + ${formatClock(weights.applied)} switch = ${formatClock(t.switchMergeToAllTraffic)}. ${verdict} ` +
    `The look skips the watch only for a proof of the AMI HEAD makes live, less than a day old, on a file that did not move since the switch was proposed; otherwise the staged slot (healthy already) is watched for ${formatClock(w.watchSeconds)} first. ` +
    `What it costs: the staged slot runs at full size, serving nobody, from its launch until the switch; the bake window and the retirement after the switch are those of a single-PR deploy. Not counted: the time the switch PR waits for a person, which is the point of it.`
  );
}
