/**
 * Staging ahead (the wiring's slots.stageAhead; docs/parameters.md, "Staging ahead"): a patch as
 * two PRs, on the slots model's clock (strategies.ts), so the bench says what the person's
 * decision is followed by and what waiting for it costs:
 *
 *   stage PR merge → proven   = workflow + stage (the idle slot's group replaced and signalled)
 *                               + prove (its targets, then the watch) + propose the switch PR
 *   switch PR merge → all     = workflow + check-switch (git) + one look at the staged slot's
 *                               targets + canary weights + canary + switch: the slow part (launch,
 *                               boot, signals, the prove watch) happened before the decision
 *   …when the look fails or the proof is stale (over STAGED_PROOF_MAX_AGE_MS, or the file moved):
 *                               the prove step instead of the look (the targets are healthy
 *                               already, so its watch)
 *   cost                      = the staged slot's instances, idle at weight 0 from the stage's
 *                               signal to the switch: capacity × the review time
 */
import type { CutoverSettings } from './cutover';
import { modelCutover } from './cutover';
import { proveEnds, weightUpdate, type SlotsStrategySettings, type StrategyAssumptions } from './strategies';

/** The steps staging ahead adds to the deploy job, assumed like the workflow's others. */
export interface StageAheadAssumptions {
  /** gitops check-switch at the switch's deploy: git only (the switch commit, its base, two file reads). */
  checkSwitchSeconds: number;
  /** gitops propose-switch after the stage's prove: a commit, a push and one GitHub API call. */
  proposeSeconds: number;
}

export const DEFAULT_STAGE_AHEAD_ASSUMPTIONS: Readonly<StageAheadAssumptions> = Object.freeze({ checkSwitchSeconds: 2, proposeSeconds: 5 });

export interface StageAheadTimeline {
  /** Stage PR merge → the idle slot staged and proven, no user on it. */
  stageMergeToProven: number;
  /** …→ the switch PR open with that proof. */
  stageMergeToSwitchPr: number;
  /** Switch PR merge → the new AMI serves all traffic (one look at the staged slot). */
  switchMergeToAllTraffic: number;
  /** The same when the look fails or the proof is stale: a full prove watch first. */
  switchMergeToAllTrafficReproved: number;
  /** Stage PR merge → the staged slot's instances running (they cost from here until the switch). */
  stageMergeToFleetUp: number;
}

export function modelStageAhead(settings: CutoverSettings, slots: SlotsStrategySettings, a: StrategyAssumptions, s: StageAheadAssumptions = DEFAULT_STAGE_AHEAD_ASSUMPTIONS): StageAheadTimeline {
  const fleet = modelCutover(settings, { ...a, monitoringMinutes: 0 });
  const staged = fleet.signalled + a.cfnCleanupSeconds + a.pollLagSeconds;
  const proven = proveEnds(staged, fleet.greenHealthy, slots.watchSeconds, a);
  const toAll = (start: number) => {
    const canary = slots.canaryWeight > 0 ? weightUpdate(start, a) : undefined;
    return weightUpdate(canary ? canary.noticed + slots.canarySeconds : start, a).applied;
  };
  const switchStart = a.mergeToDeploySeconds + s.checkSwitchSeconds;
  return {
    stageMergeToProven: a.mergeToDeploySeconds + proven,
    stageMergeToSwitchPr: a.mergeToDeploySeconds + proven + s.proposeSeconds,
    switchMergeToAllTraffic: switchStart + toAll(a.targetLookSeconds),
    // The staged slot's targets are healthy already: the prove step is its watch (after the look that failed).
    switchMergeToAllTrafficReproved: switchStart + toAll(a.targetLookSeconds + slots.watchSeconds),
    stageMergeToFleetUp: a.mergeToDeploySeconds + fleet.registered,
  };
}
