import { VirtualClock } from '../../../actions/lib/clock';
import { DEFAULT_POLL_SCHEDULE } from '../../../actions/lib/poll';
import { measure, runTrial, TRIALS, type TrialResult } from '../../../local/bench/measure';
import { CLI_WAITER, NAIVE_LOOP, PROJECT_POLLER, SDK_WAITER, type WaitPolicy } from '../../../local/bench/policies';
import { seededRandom } from '../../../local/bench/random';
import { ScriptedApi } from '../../../local/bench/scripted-api';
import { observableAt, SCENARIOS, shiftScenario, terminalAt, type Scenario } from '../../../local/bench/scenarios';

/** Every trial of a policy on a scenario, with the shifted timeline it ran against. */
async function trials(scenario: Scenario, policy: WaitPolicy): Promise<Array<TrialResult & { visibleAt: number; shifted: Scenario }>> {
  const out = [];
  for (const trial of TRIALS) {
    const shifted = shiftScenario(scenario, trial.offsetMs);
    out.push({ ...(await runTrial(scenario, policy, trial)), visibleAt: observableAt(shifted), shifted });
  }
  return out;
}

const byId = (id: string) => {
  const found = SCENARIOS.find((s) => s.id === id);
  if (!found) throw new Error(`no scenario ${id}`);
  return found;
};
const unthrottled = SCENARIOS.filter((s) => s.throttles.length === 0);
const hiddenByThrottling = SCENARIOS.filter((s) => observableAt(s) > terminalAt(s));

describe('the project poller, poll()', () => {
  it.each(SCENARIOS.filter((s) => !hiddenByThrottling.includes(s)).map((s) => [s.id, s] as const))(
    '%s: notices within 5 s and makes at most ceil(duration / 5 s) + 4 calls, on every trial',
    async (_id, scenario) => {
      for (const r of await trials(scenario, PROJECT_POLLER)) {
        expect(r.gaveUp).toBeUndefined();
        expect(r.lagMs).toBeLessThanOrEqual(5_000);
        expect(r.calls).toBeLessThanOrEqual(Math.ceil(r.visibleAt / 5_000) + 4);
      }
    },
  );

  it('makes fewer calls than a naive 2 s loop on every trial of every scenario, and under half on long waits', async () => {
    for (const scenario of SCENARIOS) {
      const naive = await trials(scenario, NAIVE_LOOP);
      for (const [i, r] of (await trials(scenario, PROJECT_POLLER)).entries()) {
        expect(r.calls).toBeLessThan(naive[i].calls);
        if (r.visibleAt >= 60_000) expect(r.calls).toBeLessThan(naive[i].calls / 2);
      }
    }
  });

  it('notices first: its worst lag beats the worst of the SDK waiter and of the CLI wait on every scenario', async () => {
    for (const scenario of unthrottled) {
      const mine = await measure(scenario, PROJECT_POLLER);
      const sdk = await measure(scenario, SDK_WAITER);
      const cli = await measure(scenario, CLI_WAITER);
      expect(mine.lagMaxMs).toBeLessThan(cli.lagMaxMs!);
      expect(mine.lagMaxMs).toBeLessThan(sdk.lagMaxMs!);
    }
  });
});

describe('throttling bursts', () => {
  it.each(SCENARIOS.filter((s) => s.throttles.length > 0).map((s) => [s.id, s] as const))(
    '%s: poll() backs off (far fewer refused calls than a 2 s loop) and rides the burst out',
    async (_id, scenario) => {
      const mine = await trials(scenario, PROJECT_POLLER);
      const naive = await trials(scenario, NAIVE_LOOP);
      for (const [i, r] of mine.entries()) {
        const burstMs = r.shifted.throttles[0].toMs - r.shifted.throttles[0].fromMs;
        expect(r.gaveUp).toBeUndefined();
        expect(r.throttledCalls).toBeLessThan(naive[i].throttledCalls / 2);
        // At least one call per throttle cap while throttled: it does come back.
        expect(r.throttledCalls).toBeGreaterThanOrEqual(Math.floor(burstMs / DEFAULT_POLL_SCHEDULE.throttleCapMs));
      }
    },
  );

  it.each(hiddenByThrottling.map((s) => [s.id, s] as const))(
    '%s: poll() sees a state reached during the burst within 5 s + its steady interval of the burst ending, on every trial',
    async (_id, scenario) => {
      for (const r of await trials(scenario, PROJECT_POLLER)) {
        expect(r.lagMs).toBeLessThanOrEqual(5_000 + DEFAULT_POLL_SCHEDULE.steadyMs);
      }
    },
  );

  it('the CLI wait gives up on the first throttled answer, as botocore does', async () => {
    for (const r of await trials(byId('throttled-before-done'), CLI_WAITER)) {
      expect(r.gaveUp).toMatch(/An error occurred \(Throttling\)/);
      expect(r.throttledCalls).toBe(1);
      expect(r.endedAtMs).toBeLessThan(r.shifted.throttles[0].fromMs + 30_000);
    }
  });

  it('the SDK waiter rides throttling out (its acceptors retry on any error but ValidationError)', async () => {
    const stats = await measure(byId('throttled-at-done'), SDK_WAITER);
    expect(stats.gaveUp).toBe(0);
    expect(stats.lagMaxMs).toBeLessThanOrEqual(120_000);
  });
});

describe('the SDK v3 waiter policy (the SDK’s own code on a virtual clock)', () => {
  it.each(SCENARIOS.map((s) => [s.id, s] as const))('%s: checks at once, then never faster than minDelay nor slower than maxDelay', async (_id, scenario) => {
    const { minDelaySeconds, maxDelaySeconds } = scenario.kind.sdkWaiter;
    for (const r of await trials(scenario, SDK_WAITER)) {
      expect(r.gaveUp).toBeUndefined();
      expect(r.lagMs).toBeLessThanOrEqual(maxDelaySeconds * 1000);
    }
    // Gaps between consecutive calls, for a few seeds.
    for (const seed of [1, 2, 3]) {
      const clock = new VirtualClock();
      const api = new ScriptedApi(scenario, clock);
      await SDK_WAITER.run({ api, clock, random: seededRandom(seed), timeoutMs: 3_600_000 * 2 });
      expect(api.callTimes[0]).toBe(0);
      const gaps = api.callTimes.slice(1).map((t, i) => t - api.callTimes[i]);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(minDelaySeconds * 1000);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(maxDelaySeconds * 1000);
    }
  });

  it('is deterministic for a seed and varies across seeds', async () => {
    const scenario = byId('stack-update-15m');
    const a = await runTrial(scenario, SDK_WAITER, { offsetMs: 0, seed: 4 });
    expect(await runTrial(scenario, SDK_WAITER, { offsetMs: 0, seed: 4 })).toEqual(a);
    const lags = new Set<number | undefined>();
    for (const seed of [1, 2, 3, 4, 5]) lags.add((await runTrial(scenario, SDK_WAITER, { offsetMs: 0, seed })).lagMs);
    expect(lags.size).toBeGreaterThan(1);
  });
});

describe('the CLI wait (fixed delay)', () => {
  it.each(unthrottled.map((s) => [s.id, s] as const))('%s: notices within its fixed delay (≤ 30 s) on every trial', async (_id, scenario) => {
    for (const r of await trials(scenario, CLI_WAITER)) {
      expect(r.gaveUp).toBeUndefined();
      expect(r.lagMs).toBeLessThanOrEqual(scenario.kind.cliWaiter.delaySeconds * 1000);
      expect(scenario.kind.cliWaiter.delaySeconds).toBeLessThanOrEqual(30);
    }
  });

  it('spreads its lag over the whole delay across trials (the offsets cover one period)', async () => {
    const stats = await measure(byId('stack-update-15m'), CLI_WAITER);
    expect(stats.lagMaxMs).toBeGreaterThan(25_000);
    expect(stats.lagMeanMs).toBeGreaterThan(10_000);
    expect(stats.lagMeanMs).toBeLessThan(20_000);
  });
});
