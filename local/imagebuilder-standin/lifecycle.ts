/**
 * The states of a stand-in build over time. Image Builder moves an image through
 * PENDING → CREATING → BUILDING → TESTING → DISTRIBUTING → AVAILABLE (or FAILED / CANCELLED).
 * The stand-in computes the state from the time elapsed since the start (no timers), so a build
 * is wherever its clock says whenever anyone asks, and tests can drive it with a virtual clock.
 */

export const IN_PROGRESS_STATUSES = ['PENDING', 'CREATING', 'BUILDING', 'TESTING', 'DISTRIBUTING'] as const;
export type InProgressStatus = (typeof IN_PROGRESS_STATUSES)[number];
export type ImageStatus = InProgressStatus | 'AVAILABLE' | 'FAILED' | 'CANCELLED';

/**
 * Each phase's share of the build time. On AWS building (updates, components) and testing take
 * most of a 20-40 minute build; pending and instance launch take little.
 */
const PHASE_WEIGHTS: Record<InProgressStatus, number> = { PENDING: 1, CREATING: 1, BUILDING: 4, TESTING: 2, DISTRIBUTING: 2 };
const TOTAL_WEIGHT = Object.values(PHASE_WEIGHTS).reduce((a, b) => a + b, 0);

/** How a build will end, decided when it starts (from the stand-in's configuration). */
export type BuildPlan =
  | { outcome: 'AVAILABLE' }
  | { outcome: 'FAILED' | 'CANCELLED'; reason: string; atStatus: InProgressStatus }
  | { outcome: 'STALLED'; atStatus: InProgressStatus };

export interface ScheduledState {
  status: ImageStatus;
  reason?: string;
}

/** When phase `status` ends, in ms after the start, for a build that takes `buildMs` in total. */
export function phaseEndMs(status: InProgressStatus, buildMs: number): number {
  let weight = 0;
  for (const phase of IN_PROGRESS_STATUSES) {
    weight += PHASE_WEIGHTS[phase];
    if (phase === status) break;
  }
  return (buildMs * weight) / TOTAL_WEIGHT;
}

/**
 * Where a build stands `elapsedMs` after it started, by its plan. A failing build fails at the
 * end of the phase it fails in (it was BUILDING for a while, then FAILED); a stalled build stays
 * in its phase forever (for timeout tests). AVAILABLE here means "due": the store still has to
 * mint the AMI before it reports AVAILABLE.
 */
export function scheduledState(plan: BuildPlan, elapsedMs: number, buildMs: number): ScheduledState {
  if (plan.outcome === 'FAILED' || plan.outcome === 'CANCELLED') {
    if (elapsedMs >= phaseEndMs(plan.atStatus, buildMs)) return { status: plan.outcome, reason: plan.reason };
  }
  for (const phase of IN_PROGRESS_STATUSES) {
    if (plan.outcome !== 'AVAILABLE' && phase === plan.atStatus) return { status: phase };
    if (elapsedMs < phaseEndMs(phase, buildMs)) return { status: phase };
  }
  return { status: 'AVAILABLE' };
}

export function isTerminal(status: ImageStatus): boolean {
  return status === 'AVAILABLE' || status === 'FAILED' || status === 'CANCELLED';
}
