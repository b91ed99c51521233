/**
 * The ways of waiting the benchmark compares. Each runs against a scenario's scripted API on a
 * virtual clock and ends when it has noticed the terminal status, or gives up.
 */
import type { VirtualClock } from '../../actions/lib/clock';
import { errorMessage } from '../../actions/lib/errors';
import { poll } from '../../actions/lib/poll';
import type { ScriptedApi } from './scripted-api';
import { loadVirtualSmithy, withVirtualSdkWaiters } from './virtual-smithy';

export interface WaitContext {
  api: ScriptedApi;
  clock: VirtualClock;
  /** Seeded; only jittered policies use it. */
  random: () => number;
  timeoutMs: number;
}

export interface WaitPolicy {
  id: 'poll' | 'sdk' | 'cli' | 'naive';
  label: string;
  /** Resolves when the wait ends, however it ends; an error it would raise is returned, not thrown. */
  run: (context: WaitContext) => Promise<{ error?: string }>;
}

const statusOnce = async ({ api }: WaitContext) => api.scenario.kind.statusOf(await api.send(api.scenario.kind.command()));

/** A wait that throws when it fails, as a result: the benchmark records the reason, never rethrows. */
async function settle(wait: () => Promise<unknown>): Promise<{ error?: string }> {
  try {
    await wait();
    return {};
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

/** The project's `poll()` (actions/lib/poll.ts), unmodified, with its default schedule. */
export const PROJECT_POLLER: WaitPolicy = {
  id: 'poll',
  label: 'poll()',
  run: (context) =>
    settle(() =>
      poll({
        description: `${context.api.scenario.kind.operation} to reach a terminal status`,
        check: () => statusOnce(context),
        isDone: context.api.scenario.kind.isTerminal,
        clock: context.clock,
        timeoutMs: context.timeoutMs,
      }),
    ),
};

/**
 * The SDK v3 waiter a developer would call for this resource (its real code, acceptors and service
 * defaults; see virtual-smithy.ts), with jitter drawn from the seeded source.
 */
export const SDK_WAITER: WaitPolicy = {
  id: 'sdk',
  label: 'SDK v3 waiter',
  run: ({ api, clock, random, timeoutMs }) => {
    const smithy = loadVirtualSmithy(clock, random);
    return settle(() => withVirtualSdkWaiters(smithy, () => api.scenario.kind.sdkWaiter.run(api, Math.ceil(timeoutMs / 1000), smithy)));
  },
};

/**
 * The AWS CLI's waiter loop, as botocore implements it (botocore 1.35.99 `waiter.py`, `Waiter.wait`,
 * lines 334–392): call, match the acceptors, sleep a fixed `delay`, up to `maxAttempts`. An error
 * that no acceptor names ends the wait with "An error occurred (Throttling)": the CLI rides out
 * throttling only through its client retries (3 attempts within seconds in standard mode, not
 * modeled), so a burst longer than that fails the wait.
 */
export const CLI_WAITER: WaitPolicy = {
  id: 'cli',
  label: 'CLI wait',
  run: async ({ api, clock }) => {
    const waiter = api.scenario.kind.cliWaiter;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const status = api.scenario.kind.statusOf(await api.send(api.scenario.kind.command()));
        if (waiter.success.includes(status) || waiter.failure.includes(status)) return {};
      } catch (error) {
        const code = (error as { name?: string }).name ?? 'Unknown';
        if (!waiter.retryErrors.includes(code)) return { error: `Waiter ${waiter.name} failed: An error occurred (${code}): ${errorMessage(error)}` };
      }
      if (attempt >= waiter.maxAttempts) return { error: `Waiter ${waiter.name} failed: Max attempts exceeded` };
      await clock.sleep(waiter.delaySeconds * 1000);
    }
  },
};

/** A fixed 2 s loop that ignores errors: quick to notice, and the API cost the issue warns about. */
export const NAIVE_LOOP: WaitPolicy = {
  id: 'naive',
  label: '2 s loop',
  run: async (context) => {
    const { api, clock, timeoutMs } = context;
    const start = clock.now();
    for (;;) {
      try {
        if (api.scenario.kind.isTerminal(await statusOnce(context))) return {};
      } catch {
        // Rides out everything, which is exactly what makes it hammer a throttled API.
      }
      if (clock.now() - start >= timeoutMs) return { error: 'timed out' };
      await clock.sleep(2_000);
    }
  },
};

/** The three policies of the comparison table, in column order. */
export const COMPARED_POLICIES: readonly WaitPolicy[] = [PROJECT_POLLER, SDK_WAITER, CLI_WAITER];
