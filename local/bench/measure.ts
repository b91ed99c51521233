/**
 * Runs a policy against a scenario many times and reduces the runs to the two numbers the issue
 * asks for: detection lag after the terminal status, and API calls made.
 *
 * A single run says little: a fixed 30 s poll is 0 s or 29 s late depending on phase, and the SDK
 * waiter's delay is random. So every pair runs the same trials: the timeline shifted by a different
 * offset (spread over one 30 s period) and a different jitter seed.
 */
import { VirtualClock } from '../../actions/lib/clock';
import type { WaitPolicy } from './policies';
import { seededRandom } from './random';
import { ScriptedApi } from './scripted-api';
import { isThrottledAt, observableAt, shiftScenario, statusAt, type Scenario } from './scenarios';

export interface Trial {
  offsetMs: number;
  seed: number;
}

/** 20 trials: offsets 0, 1.5 s, … 28.5 s (one full 30 s period), seeds 1…20. */
export const TRIALS: readonly Trial[] = Array.from({ length: 20 }, (_, i) => ({ offsetMs: i * 1_500, seed: i + 1 }));

/** How long any policy may wait beyond the scenario's end before it counts as having given up. */
const SPARE_MS = 60 * 60_000;

export interface TrialResult {
  /** From the first moment the terminal status was observable to the call that saw it; absent if never seen. */
  lagMs?: number;
  calls: number;
  /** Calls made inside throttling windows (each refused). */
  throttledCalls: number;
  /** Why the policy stopped without seeing the terminal status. */
  gaveUp?: string;
  /** When (ms from start) the policy stopped. */
  endedAtMs: number;
}

export async function runTrial(scenario: Scenario, policy: WaitPolicy, trial: Trial): Promise<TrialResult> {
  const shifted = shiftScenario(scenario, trial.offsetMs);
  const clock = new VirtualClock();
  const api = new ScriptedApi(shifted, clock);
  const visibleAt = observableAt(shifted);
  const { error } = await policy.run({ api, clock, random: seededRandom(trial.seed), timeoutMs: visibleAt + SPARE_MS });

  const last = api.callTimes.at(-1);
  const sawTerminal = last !== undefined && !isThrottledAt(shifted, last) && shifted.kind.isTerminal(statusAt(shifted, last));
  return {
    lagMs: sawTerminal ? last - visibleAt : undefined,
    calls: api.callTimes.length,
    throttledCalls: api.throttledCalls,
    gaveUp: sawTerminal ? undefined : (error ?? 'stopped without seeing a terminal status'),
    endedAtMs: api.elapsedMs,
  };
}

export interface PolicyStats {
  policy: WaitPolicy['id'];
  lagMaxMs?: number;
  lagMeanMs?: number;
  callsMin: number;
  callsMax: number;
  throttledCallsMax: number;
  /** How many trials ended without noticing, and the first reason given. */
  gaveUp: number;
  gaveUpReason?: string;
  gaveUpAtMsMin?: number;
  trials: number;
}

export function summarise(policy: WaitPolicy['id'], results: readonly TrialResult[]): PolicyStats {
  const lags = results.flatMap((r) => (r.lagMs === undefined ? [] : [r.lagMs]));
  const failed = results.filter((r) => r.gaveUp !== undefined);
  const calls = results.map((r) => r.calls);
  return {
    policy,
    lagMaxMs: lags.length ? Math.max(...lags) : undefined,
    lagMeanMs: lags.length ? lags.reduce((a, b) => a + b, 0) / lags.length : undefined,
    callsMin: Math.min(...calls),
    callsMax: Math.max(...calls),
    throttledCallsMax: Math.max(...results.map((r) => r.throttledCalls)),
    gaveUp: failed.length,
    gaveUpReason: failed[0]?.gaveUp,
    gaveUpAtMsMin: failed.length ? Math.min(...failed.map((r) => r.endedAtMs)) : undefined,
    trials: results.length,
  };
}

/** Runs every trial of one policy on one scenario, one after another (the waiters share state). */
export async function measure(scenario: Scenario, policy: WaitPolicy, trials: readonly Trial[] = TRIALS): Promise<PolicyStats> {
  const results: TrialResult[] = [];
  for (const trial of trials) results.push(await runTrial(scenario, policy, trial));
  return summarise(policy.id, results);
}
