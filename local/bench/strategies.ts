/**
 * Both deploy strategies, both directions, on one clock: when the new AMI serves all traffic after
 * a merge, how long a failback takes inside the bake window and after it, how long an automatic
 * failback takes once verification failed, and how much of the users' traffic a bad AMI served
 * (share × seconds) before it was gone. Built on the cutover model (cutover.ts) for the parts that
 * are one CloudFormation update of a fleet (signals, health checks, drain), plus what the slots
 * steps add (actions/lib/slots/deploy-slots.ts): weight updates, the prove and canary watches.
 *
 * All times in seconds. Each strategy's timeline starts when update-app-stack starts; the
 * workflow's own steps before it (job starts, the failback commit, credentials) are stated
 * assumptions added on top, so the totals answer "from the merge" and "from the dispatch".
 *
 *   replace (templates/app.yaml, AutoScalingReplacingUpdate), from modelCutover:
 *     new AMI at 100 %      = blueLeaves (green shares the one target group from greenHealthy;
 *                             the rollback-trigger window is waited out whatever the verdict)
 *     failback              = a second replacement: the old AMI at 100 % at its blueLeaves
 *     automatic failback    = green is verified inside the window (update-app-stack pauses at
 *                             signalled + poll lag, waits for its targets, watches); a failed
 *                             verdict cancels the update and blue is alone again once the rollback
 *                             deregistered green (cancelRollbackSeconds). When the verdict cannot
 *                             come inside the window: verify-alb after UPDATE_COMPLETE, then a
 *                             second replacement, as before
 *     bad AMI's exposure    = 50 % × (green healthy → blue alone again) inside the window; without
 *                             it 50 % × (blueLeaves − greenHealthy) + 100 % × (until the
 *                             failback's old AMI is healthy) + 50 % × (the failback's overlap)
 *   slots (templates/app-slots.yaml), each step one stack update:
 *     stage   = signalled + cleanup (the idle slot's empty group goes) + poll lag
 *     prove   = targets healthy (poll lag when they turn healthy during the wait) + watch
 *     weights = directUpdate + listener (users move) + cleanup + poll lag (the job moves on): a
 *               weight-only step is one UpdateStack on the deployed template, no change set
 *               (actions/lib/cloudformation/direct-update.ts)
 *     canary  = weights + canarySeconds; switch = weights (users all on the new slot)
 *     failback inside the window = one look at the warm slot's targets + switch (the job's verify
 *                                 step proves it after the flip: users are back before the watch)
 *     failback after it         = scale the old slot up in place (no signals: CreationPolicy only
 *                                 counts at creation) + prove (waits for its targets) + switch
 *     bad AMI's exposure        = canary share × (canary weights applied → flip-back applied);
 *                                 0 when the prove step fails (no user was sent there)
 *     retirement                = the window's end (switch settled + bakeSeconds) → the first bake
 *                                 poll after it (or the job's verify step after the switch, if later)
 *                                 + change set + deregistration delay + terminate + cleanup + poll
 *                                 lag + record + verify watch
 */
import { CANCEL_MARGIN_MS } from '../../actions/lib/cloudformation/window-verification';
import { modelCutover, type CutoverAssumptions, type CutoverSettings } from './cutover';
import { failbackJobSeconds } from './failback-job';

/** The margin update-app-stack leaves the cancel before the window ends. */
const CANCEL_MARGIN_SECONDS = CANCEL_MARGIN_MS / 1_000;

/** The slots deploy's own settings: the wiring's canary (environments.json `slots`) and verify watch. */
export interface SlotsStrategySettings {
  canaryWeight: number;
  canarySeconds: number;
  bakeSeconds: number;
  /** verify.watchSeconds: the prove step's HTTP watch, and verify-alb's after a replace. */
  watchSeconds: number;
}

/** The workflows' steps around update-app-stack, and the AWS durations the slots steps add. */
export interface WorkflowAssumptions {
  /** Merge → update-app-stack starts: deploy.yml's plan job and the deploy job on hosted runners (checkout, Node, credentials). */
  mergeToDeploySeconds: number;
  /**
   * failback.yml's first step → update-app-stack starts: the steps of its one job before the
   * update (failback-job.ts: validate, credentials, the target check, the record commit, resolve,
   * the wave gate), after the environment's approval.
   */
  dispatchToDeploySeconds: number;
  /** verify-alb's failed verdict → the failback update-app-stack starts (prepare-failback; same job, credentials held). */
  verdictToFailbackSeconds: number;
  /**
   * A weight-only step's update-app-stack → CloudFormation updating the listener: its reads
   * (DescribeStacks, GetTemplate to compare the template, DescribeStackEvents for the marker) and
   * one UpdateStack with UsePreviousTemplate, which starts at once: no change set to compute.
   */
  directUpdateSeconds: number;
  /** The weight update under way → the listener forwards with the new weights (CloudFormation's ModifyListener). */
  listenerSeconds: number;
  /** One look at a warm slot's targets before a failback flips to it: four read calls (DescribeTargetHealth, the slot's group, DescribeInstances). */
  targetLookSeconds: number;
  /**
   * Replace: CancelUpdateStack inside the window → blue alone in the target group (the rollback
   * restores the launch template, then deletes green's group, whose targets deregister first).
   */
  cancelRollbackSeconds: number;
  /** How often check-retirement re-reads the stack and alarms while the job waits for the bake window's end (gitops' BAKE_POLL_MS). */
  bakePollSeconds: number;
  /** record-retirement: read the settled stack, commit, push (one git round trip). */
  recordSeconds: number;
}

export const DEFAULT_WORKFLOW_ASSUMPTIONS: Readonly<WorkflowAssumptions> = Object.freeze({
  mergeToDeploySeconds: 60,
  dispatchToDeploySeconds: failbackJobSeconds(),
  verdictToFailbackSeconds: 10,
  directUpdateSeconds: 3,
  listenerSeconds: 10,
  targetLookSeconds: 2,
  cancelRollbackSeconds: 30,
  bakePollSeconds: 15,
  recordSeconds: 5,
});

/** The longest bake window the deploy job waits for itself (deploy-environment.yml's wait-seconds); a longer one ends in a Retire old slots run. */
export const JOB_BAKE_WAIT_SECONDS = 900;

export type StrategyAssumptions = CutoverAssumptions & WorkflowAssumptions;

/** What both columns of the strategy table report. */
export interface StrategyTimeline {
  /** update-app-stack's start → the new AMI serves all user traffic. */
  newAmiAllTraffic: number;
  /** update-app-stack's start → the deploy job knows it is done (its last poll). */
  deployJobDone: number;
  /** Failback.yml inside the bake window: update-app-stack's start → the old AMI serves all traffic. */
  failbackInWindow: number;
  /** The same after the bake window (the old fleet is gone or retired). */
  failbackAfterWindow: number;
  /** Verification failed (verify-alb's verdict, or the slots canary's) → the old AMI serves all traffic. */
  automaticFailback: number;
  /** How much traffic the bad AMI served when verification failed: share × seconds, in seconds of all traffic. */
  badAmiTrafficSeconds: number;
  /** …and for how long it served any traffic. */
  badAmiServedSeconds: number;
  /** Whether a failback inside the bake window needs no new instances (a weight flip). */
  warmFailback: boolean;
  /**
   * slots: the bake window's end → the old slot at capacity 0 and gone, recorded in git, the live
   * slot verified again (the deploy job's last steps). Undefined for replace: it keeps no old fleet.
   */
  retirement?: number;
  /** slots: update-app-stack's start → the deploy job's end, after the bake window and the retirement (a window the job waits for). */
  jobDoneAfterRetirement?: number;
}

/** A weight-only stack update (one UpdateStack) started at `at`: when users move, and when the job has noticed the stack done. */
export function weightUpdate(at: number, a: StrategyAssumptions): { applied: number; noticed: number } {
  const applied = at + a.directUpdateSeconds + a.listenerSeconds;
  return { applied, noticed: applied + a.cfnCleanupSeconds + a.pollLagSeconds };
}

/** verify-alb's fleet wait started at `start` for targets healthy at `healthyAt`, then its watch. */
export function proveEnds(start: number, healthyAt: number, watchSeconds: number, a: StrategyAssumptions): number {
  const fleetOk = healthyAt <= start ? start : healthyAt + a.pollLagSeconds;
  return fleetOk + watchSeconds;
}

export function modelReplace(settings: CutoverSettings, watchSeconds: number, a: StrategyAssumptions): StrategyTimeline {
  const deploy = modelCutover(settings, a);
  const back = modelCutover(settings, a);
  const common = { newAmiAllTraffic: deploy.blueLeaves, deployJobDone: deploy.noticedByPoll, failbackInWindow: back.blueLeaves, failbackAfterWindow: back.blueLeaves, warmFailback: false };
  // Inside the window (update-app-stack's window-verification.ts): green's group is in service at
  // its signals; the verdict must leave the cancel its margin before the cleanup deletes blue.
  const inWindowVerdict = proveEnds(deploy.signalled + a.pollLagSeconds, deploy.greenHealthy, watchSeconds, a);
  const windowEnds = deploy.signalled + a.monitoringMinutes * 60;
  if (a.monitoringMinutes > 0 && inWindowVerdict + CANCEL_MARGIN_SECONDS <= windowEnds) {
    const blueAlone = inWindowVerdict + a.cancelRollbackSeconds;
    const served = Math.max(0, blueAlone - deploy.greenHealthy);
    return { ...common, automaticFailback: a.cancelRollbackSeconds, badAmiTrafficSeconds: 0.5 * served, badAmiServedSeconds: served };
  }
  const verdict = deploy.noticedByPoll + watchSeconds;
  const failbackStart = verdict + a.verdictToFailbackSeconds;
  // Green shares the one target group with blue from greenHealthy (equal capacity: half the
  // requests), has it alone from blueLeaves, and shares it again once the failback's fleet is healthy.
  const shared = Math.max(0, deploy.blueLeaves - deploy.greenHealthy);
  const alone = Math.max(0, failbackStart + back.greenHealthy - deploy.blueLeaves);
  const sharedAgain = Math.max(0, back.blueLeaves - back.greenHealthy);
  return {
    ...common,
    automaticFailback: a.verdictToFailbackSeconds + back.blueLeaves,
    badAmiTrafficSeconds: 0.5 * shared + alone + 0.5 * sharedAgain,
    badAmiServedSeconds: failbackStart + back.blueLeaves - deploy.greenHealthy,
  };
}

export function modelSlots(settings: CutoverSettings, slots: SlotsStrategySettings, a: StrategyAssumptions): StrategyTimeline {
  const fleet = modelCutover(settings, { ...a, monitoringMinutes: 0 });
  // stage: the idle slot's group is replaced; CloudFormation keeps it once its instances signalled.
  // The slot it replaces was retired (capacity 0): no instances to drain.
  const staged = fleet.signalled + a.cfnCleanupSeconds + a.pollLagSeconds;
  const proven = proveEnds(staged, fleet.greenHealthy, slots.watchSeconds, a);
  const canary = slots.canaryWeight > 0 ? weightUpdate(proven, a) : undefined;
  const canaryEnds = canary ? canary.noticed + slots.canarySeconds : proven;
  const switched = weightUpdate(canaryEnds, a);

  // Inside the window the old slot is warm and healthy: one look at its targets, then one weight change.
  const inWindow = weightUpdate(a.targetLookSeconds, a).applied;
  // After it the old slot is at capacity 0: the capacity update completes without signals, then the
  // prove step waits for its new instances to turn healthy.
  const scaled = a.changeSetSeconds + a.cfnCleanupSeconds + a.pollLagSeconds;
  const afterWindow = weightUpdate(proveEnds(scaled, fleet.greenHealthy, slots.watchSeconds, a), a).applied;

  // A canary that does worse flips back at the end of its watch.
  const flippedBack = weightUpdate(canaryEnds, a).applied;
  const served = canary ? flippedBack - canary.applied : 0;
  const retired = retirementOf(settings, slots, switched, a);
  return {
    newAmiAllTraffic: switched.applied,
    deployJobDone: switched.noticed,
    failbackInWindow: inWindow,
    failbackAfterWindow: afterWindow,
    automaticFailback: flippedBack - canaryEnds,
    badAmiTrafficSeconds: (slots.canaryWeight / 100) * served,
    badAmiServedSeconds: served,
    warmFailback: true,
    retirement: retired.jobDone - retired.windowEnds,
    jobDoneAfterRetirement: retired.jobDone,
  };
}

/**
 * The end of the deploy job on slots: its verify step after the switch, then check-retirement
 * waits for the window's end (the switch's UPDATE_COMPLETE + bakeSeconds), re-reading every
 * bakePollSeconds, so the retirement starts at the first poll after the end; one capacity update
 * of the old slot (its targets drained, its instances terminated, counted as if CloudFormation
 * waited for them), the record, and a verify watch of the live slot.
 */
function retirementOf(settings: CutoverSettings, slots: SlotsStrategySettings, switched: { applied: number; noticed: number }, a: StrategyAssumptions): { windowEnds: number; jobDone: number } {
  const windowEnds = switched.applied + a.cfnCleanupSeconds + slots.bakeSeconds;
  const verified = switched.noticed + slots.watchSeconds;
  const retireStart = windowEnds <= verified ? verified : verified + Math.ceil((windowEnds - verified) / a.bakePollSeconds) * a.bakePollSeconds;
  const scaledIn = retireStart + a.changeSetSeconds + settings.deregistrationDelaySeconds + a.terminateSeconds;
  const recorded = scaledIn + a.cfnCleanupSeconds + a.pollLagSeconds + a.recordSeconds;
  return { windowEnds, jobDone: recorded + slots.watchSeconds };
}
