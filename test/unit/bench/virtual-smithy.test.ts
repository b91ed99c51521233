import { createRequire } from 'node:module';

import { DescribeStacksCommand, waitUntilStackUpdateComplete, type CloudFormationClient } from '@aws-sdk/client-cloudformation';

import { VirtualClock } from '../../../actions/lib/clock';
import { seededRandom } from '../../../local/bench/random';
import { loadVirtualSmithy, withVirtualSdkWaiters } from '../../../local/bench/virtual-smithy';

/** The `@smithy/core/client` module object the CloudFormation client calls its waiters through. */
const sdkSmithy = () => createRequire(require.resolve('@aws-sdk/client-cloudformation'))('@smithy/core/client') as { createWaiter: unknown };

/** A stack that completes at `doneAtMs`; records when it was asked. */
function stackClient(clock: VirtualClock, doneAtMs: number) {
  const start = clock.now();
  const asked: number[] = [];
  return {
    asked,
    client: {
      send: async (command: unknown) => {
        if (!(command instanceof DescribeStacksCommand)) throw new Error('unexpected command');
        asked.push(clock.now() - start);
        return { Stacks: [{ StackName: 's', StackStatus: clock.now() - start >= doneAtMs ? 'UPDATE_COMPLETE' : 'UPDATE_IN_PROGRESS' }] };
      },
    } as unknown as CloudFormationClient,
  };
}

describe('the SDK waiter on a virtual clock', () => {
  it('runs the real waitUntilStackUpdateComplete with smithy’s backoff: at once, then 30–120 s, then always 120 s', async () => {
    const clock = new VirtualClock();
    const { client, asked } = stackClient(clock, 20 * 60_000);
    const smithy = loadVirtualSmithy(clock, seededRandom(3));
    const result = await withVirtualSdkWaiters(smithy, () => waitUntilStackUpdateComplete({ client, maxWaitTime: 3600 }, { StackName: 's' }));

    expect(result.state).toBe('SUCCESS');
    const gaps = asked.slice(1).map((t, i) => t - asked[i]);
    expect(asked[0]).toBe(0);
    expect(gaps[0]).toBe(30_000); // attempt 1: random in [30 s, 30 s]
    expect(gaps[1]).toBeGreaterThanOrEqual(30_000);
    expect(gaps[1]).toBeLessThanOrEqual(60_000); // attempt 2: random in [30 s, 60 s]
    expect(gaps[2]).toBeLessThanOrEqual(120_000);
    // From attempt ⌈log2(120/30) + 1⌉ + 1 = 4 on, no jitter: always maxDelay.
    expect(new Set(gaps.slice(3))).toEqual(new Set([120_000]));
    expect(asked[asked.length - 1]).toBeGreaterThanOrEqual(20 * 60_000);
  });

  it('gives the same delays for the same seed, other delays for another seed', async () => {
    const run = async (seed: number) => {
      const clock = new VirtualClock();
      const { client, asked } = stackClient(clock, 10 * 60_000);
      const smithy = loadVirtualSmithy(clock, seededRandom(seed));
      await withVirtualSdkWaiters(smithy, () => waitUntilStackUpdateComplete({ client, maxWaitTime: 3600 }, { StackName: 's' }));
      return asked;
    };
    expect(await run(5)).toEqual(await run(5));
    expect(await run(5)).not.toEqual(await run(6));
  });

  it('leaves the real globals alone and puts the real createWaiter back, even when the waiter throws', async () => {
    const original = sdkSmithy().createWaiter;
    const realNow = Date.now;
    const realRandom = Math.random;
    const clock = new VirtualClock(0);
    const smithy = loadVirtualSmithy(clock, seededRandom(1));
    const failing = {
      send: async () => Promise.reject(Object.assign(new Error('Stack with id s does not exist'), { name: 'ValidationError' })),
    } as unknown as CloudFormationClient;

    await expect(
      withVirtualSdkWaiters(smithy, async () => {
        expect(sdkSmithy().createWaiter).toBe(smithy.createWaiter);
        return waitUntilStackUpdateComplete({ client: failing, maxWaitTime: 60 }, { StackName: 's' });
      }),
    ).rejects.toThrow(/FAILURE/);
    expect(sdkSmithy().createWaiter).toBe(original);
    expect(Date.now).toBe(realNow);
    expect(Math.random).toBe(realRandom);
    expect(Date.now()).toBeGreaterThan(Date.UTC(2020, 0, 1));
  });

  it('times out on the virtual clock as the SDK does, without waiting for real', async () => {
    const clock = new VirtualClock();
    const { client } = stackClient(clock, Number.POSITIVE_INFINITY);
    const smithy = loadVirtualSmithy(clock, seededRandom(2));
    const started = clock.now();
    await expect(withVirtualSdkWaiters(smithy, () => waitUntilStackUpdateComplete({ client, maxWaitTime: 600 }, { StackName: 's' }))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(clock.now() - started).toBeLessThanOrEqual(600_000);
    expect(clock.now() - started).toBeGreaterThan(400_000);
  });
});
