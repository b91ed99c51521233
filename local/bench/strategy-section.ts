/**
 * The bench's strategy table: replace and slots side by side, both directions, each number next
 * to its goal, a missed goal said as such, and what the slots total is made of.
 */
import { modelCutover, type CutoverSettings } from './cutover';
import { FAILBACK_JOB_STEPS, UPDATE_STEP_START } from './failback-job';
import { formatClock, type Section } from './report';
import { againstGoal, GOALS } from './goals';
import { stageAheadNote, stageAheadRows } from './stage-ahead-section';

export { againstGoal, GOALS };
import { JOB_BAKE_WAIT_SECONDS, modelReplace, modelSlots, weightUpdate, type SlotsStrategySettings, type StrategyAssumptions, type StrategyTimeline } from './strategies';

export interface StrategyInput {
  replace: { file: string; settings: CutoverSettings };
  slots: { file: string; settings: CutoverSettings };
  /** Where the slots and verify settings came from (an environment of the wiring file); `capacity`: its live slot's instances (its parameters file). */
  wiring: { file: string; environment: string; settings: SlotsStrategySettings; capacity: number };
  assumptions: StrategyAssumptions;
}

/** "checkout 4 s, …": the failback job's steps before the update, as modeled. */
const failbackStepsText = () => [...FAILBACK_JOB_STEPS, { ...UPDATE_STEP_START, name: "Update the app stack's start" }].map((s) => `${s.name.replace(/^./, (c) => c.toLowerCase())} ${s.seconds} s`).join(', ');

const exposure = (t: StrategyTimeline, share?: number) =>
  t.badAmiServedSeconds === 0
    ? 'none'
    : `${t.badAmiTrafficSeconds.toFixed(1)} s of all traffic (${share === undefined ? '50–100 %' : `${share} %`} for ${formatClock(t.badAmiServedSeconds)})`;

/** The slots retirement's cell: from the window's end, and the deploy job's end from the merge. */
function retirementCell(slots: StrategyTimeline, w: SlotsStrategySettings, a: StrategyAssumptions): string {
  if (slots.retirement === undefined || slots.jobDoneAfterRetirement === undefined) return 'not modeled';
  if (w.bakeSeconds > JOB_BAKE_WAIT_SECONDS) return `in a Retire old slots run (every 15 min), up to 15:00 after the end: the ${formatClock(w.bakeSeconds)} window is longer than the deploy job waits`;
  return `${formatClock(slots.retirement)}; the deploy job ends ${formatClock(a.mergeToDeploySeconds + slots.jobDoneAfterRetirement)} after the merge, the old slot warm through the ${formatClock(w.bakeSeconds)} window`;
}

export function strategySection(input: StrategyInput): Section {
  const a = input.assumptions;
  const w = input.wiring.settings;
  const replace = modelReplace(input.replace.settings, w.watchSeconds, a);
  const slots = modelSlots(input.slots.settings, w, a);
  const totals = {
    merge: [a.mergeToDeploySeconds + replace.newAmiAllTraffic, a.mergeToDeploySeconds + slots.newAmiAllTraffic],
    done: [a.mergeToDeploySeconds + replace.deployJobDone, a.mergeToDeploySeconds + slots.deployJobDone],
    inWindow: [a.dispatchToDeploySeconds + replace.failbackInWindow, a.dispatchToDeploySeconds + slots.failbackInWindow],
    afterWindow: [a.dispatchToDeploySeconds + replace.failbackAfterWindow, a.dispatchToDeploySeconds + slots.failbackAfterWindow],
  };

  // What the slots merge total is made of, and what a failback inside the window costs without its watch.
  const fleet = modelCutover(input.slots.settings, { ...a, monitoringMinutes: 0 });
  const staged = fleet.signalled + a.cfnCleanupSeconds + a.pollLagSeconds;
  const weights = weightUpdate(0, a);
  const window = formatClock(a.monitoringMinutes * 60);
  const noCanary = a.mergeToDeploySeconds + modelSlots(input.slots.settings, { ...w, canaryWeight: 0 }, a).newAmiAllTraffic;
  const launchAndBoot = a.launchSeconds + a.bootSeconds;

  return {
    title: 'Strategies: merge to all traffic, failback, and what a bad AMI costs users',
    intro: [
      `Modeled from ${input.replace.file} (replace) and ${input.slots.file} (slots, one slot's settings), the rollback-trigger window of update-app-stack (${window}), and ${input.wiring.environment}'s wiring in ${input.wiring.file}: verify watch ${w.watchSeconds} s, canary ${w.canaryWeight} % for ${w.canarySeconds} s, bake window ${formatClock(w.bakeSeconds)}. Times are m:ss.`,
    ],
    table: {
      headers: ['Measure', `replace (${input.replace.file})`, `slots (${input.slots.file})`],
      align: ['left', 'left', 'left'],
      rows: [
        ['Merge → the new AMI serves all traffic', formatClock(totals.merge[0]), againstGoal(totals.merge[1], GOALS.mergeToAllTraffic)],
        ['Merge → the deploy job is done', formatClock(totals.done[0]), formatClock(totals.done[1])],
        ['Failback inside the bake window: dispatch → old AMI serves all traffic', `${formatClock(totals.inWindow[0])} (no warm fleet: a second replacement)`, `${againstGoal(totals.inWindow[1], GOALS.failbackInWindow)}; flip first, prove after`],
        ['Failback after the bake window', formatClock(totals.afterWindow[0]), `${formatClock(totals.afterWindow[1])} (the old slot scaled up, proven, then switched)`],
        ['Verification failed → old AMI serves all traffic (automatic failback)', againstGoal(replace.automaticFailback, GOALS.automaticFailback), `${formatClock(slots.automaticFailback)} (flip back after the canary)`],
        ['A bad AMI that verification catches: traffic it served', exposure(replace, replace.automaticFailback === a.cancelRollbackSeconds ? 50 : undefined), `${exposure(slots, w.canaryWeight)}; none if the prove step catches it`],
        ["Retirement: the bake window's end → the old slot at zero, recorded, the live slot verified again", 'no old fleet kept: blue is deleted at the cutover', retirementCell(slots, w, a)],
        ...stageAheadRows(input.slots.settings, w, a, input.wiring.capacity),
      ],
    },
    notes: [
      `Workflow assumptions (not in the templates): merge → update-app-stack ${a.mergeToDeploySeconds} s (deploy.yml's plan and deploy jobs on hosted runners); failback dispatch → update-app-stack ${a.dispatchToDeploySeconds} s (failback.yml is one job, the environment's deploy job: ${failbackStepsText()}; from its first step, after the approval: no reviewer wait counted); verify-alb's verdict → the failback update ${a.verdictToFailbackSeconds} s; replace's CancelUpdateStack → blue alone in the target group ${a.cancelRollbackSeconds} s (the rollback deregisters green); a weight-only step (canary weights, switch, flip back) is one UpdateStack on the deployed template, no change set: update-app-stack → CloudFormation updating the listener ${a.directUpdateSeconds} s (three reads and the call), the listener forwarding with the new weights ${a.listenerSeconds} s later; a capacity or AMI change (the stage step, a retirement, scaling the old slot up) stays a change set (${a.changeSetSeconds} s); one look at a warm slot's targets ${a.targetLookSeconds} s. The cutover model's assumptions (the table above) hold for both; the slots steps run without a rollback-trigger window (their updates watch the slot's alarms while they run).`,
      `slots, merge → all traffic: ${formatClock(a.mergeToDeploySeconds)} workflow + ${formatClock(staged)} stage (the idle slot's group replaced and signalled; no wait before cfn-signal) + ${formatClock(w.watchSeconds)} prove watch + ${formatClock(weights.noticed - 0)} canary weights + ${formatClock(w.canarySeconds)} canary + ${formatClock(weights.applied)} switch. Why the goal is missed: EC2 launch and boot alone are ${formatClock(launchAndBoot)} (assumed, the same in both strategies), so the workflow and the stage step take ${formatClock(a.mergeToDeploySeconds + staged)} of the ${formatClock(GOALS.mergeToAllTraffic)} before anything is verified; without any canary it would still be ${againstGoal(noCanary, GOALS.mergeToAllTraffic)}. The canary stays ${formatClock(w.canarySeconds)}: its evidence about users is the new slot's alarms (1-minute periods, the 5xx alarm needs 2 breaching of 3), which cannot fire in less; its HTTP samples alone say no more than the prove step's.`,
      `slots, failback inside the window: ${formatClock(a.dispatchToDeploySeconds)} workflow + ${formatClock(a.targetLookSeconds)} one look at the warm slot's targets + ${formatClock(weights.applied)} weight change (UpdateStack ${a.directUpdateSeconds} s, listener ${a.listenerSeconds} s); the job's verify step then proves the slot with users on it. The flip itself takes ${formatClock(a.targetLookSeconds + weights.applied)}; the workflow's part is one job's steps, no second job start (the request is validated and its target checked in the deploy job, before the record and the stack).`,
      replaceFailbackNote(replace, w.watchSeconds, a, window),
      `slots, retirement: the job's verify step after the switch (${formatClock(w.watchSeconds)} watch), then check-retirement waits for the window's end (the switch's UPDATE_COMPLETE + ${formatClock(w.bakeSeconds)}), re-reading the stack and alarms every ${a.bakePollSeconds} s, so the retirement starts up to ${a.bakePollSeconds} s after the end; one capacity update of the old slot (change set ${a.changeSetSeconds} s, its targets drained for the deregistration delay, terminated in ${a.terminateSeconds} s, counted as if CloudFormation waited for them), the record commit (${a.recordSeconds} s assumed) and a ${formatClock(w.watchSeconds)} verify watch of the live slot. A window over ${formatClock(JOB_BAKE_WAIT_SECONDS)} is not waited for: a Retire old slots run (every 15 min) ends it.`,
      stageAheadNote(input.slots.settings, w, a),
      `Not counted: a GitHub environment's reviewers (a failback waits for them), runner queueing beyond the assumptions, and a bad AMI that never signals (CloudFormation rolls it back; no user is sent to it in either strategy).`,
    ],
  };
}

/** What replace's automatic failback is made of: the cancel inside the window, or (when the verdict cannot come inside it) a second replacement. */
function replaceFailbackNote(replace: StrategyTimeline, watchSeconds: number, a: StrategyAssumptions, window: string): string {
  if (replace.automaticFailback === a.cancelRollbackSeconds) {
    return `replace, automatic failback: green is verified inside the ${window} rollback-trigger window while blue still serves (its targets, then a ${formatClock(watchSeconds)} watch); a failed verdict cancels the update and blue is alone again ${formatClock(a.cancelRollbackSeconds)} later, with no second replacement. The bad AMI shares the target group with blue (counted at 50 %) from healthy to the cancel's end. A deploy that passes still waits out the whole window before blue leaves.`;
  }
  const why = a.monitoringMinutes === 0 ? 'there is no rollback-trigger window (rollback-monitoring-minutes 0)' : `the verdict cannot come inside the ${window} rollback-trigger window`;
  return `replace, automatic failback: ${why}, so verify-alb fails ${formatClock(watchSeconds)} after UPDATE_COMPLETE, when blue is already gone, and the way back is a second replacement (${formatClock(replace.automaticFailback - a.verdictToFailbackSeconds)} to the old AMI at all traffic). The bad AMI shares the target group with blue until blue leaves (counted at 50 %), then serves alone until the failback's fleet is healthy.`;
}
