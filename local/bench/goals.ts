/**
 * The goals the strategy table holds its numbers to (issue 12), and how a number is said against
 * its goal; shared by the strategy table and its staging-ahead rows.
 */
import { formatClock } from './report';

/** The goals the two strategies are held to, in seconds. */
export const GOALS = Object.freeze({
  /** slots: merge → the new AMI serves all traffic, with the canary step at its shipped default. */
  mergeToAllTraffic: 240,
  /** slots: failback.yml inside the bake window, its first step → the old AMI serves all traffic. */
  failbackInWindow: 60,
  /** replace: verification failed → the old AMI serves all traffic again. */
  automaticFailback: 180,
});

/** "2:15 (goal ≤ 1:00: MISSED by 1:15)" or "0:50 (goal ≤ 1:00: met)". */
export function againstGoal(seconds: number, goal: number): string {
  const verdict = seconds <= goal ? 'met' : `MISSED by ${formatClock(seconds - goal)}`;
  return `${formatClock(seconds)} (goal ≤ ${formatClock(goal)}: ${verdict})`;
}
