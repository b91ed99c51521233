import { VirtualClock } from '../../../actions/lib/clock';
import { PollTimeoutError } from '../../../actions/lib/errors';
import { poll } from '../../../actions/lib/poll';

/** A scripted resource: its status becomes `terminal` at `doneAtMs` after the start. */
function scriptedStatus(clock: VirtualClock, doneAtMs: number) {
  const start = clock.now();
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    check: async () => {
      calls += 1;
      return clock.now() - start >= doneAtMs ? 'COMPLETE' : 'IN_PROGRESS';
    },
  };
}

const throttle = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });

describe('poll', () => {
  it('returns at once when the first observation is terminal', async () => {
    const clock = new VirtualClock();
    const result = await poll({ description: 'x', check: async () => 'COMPLETE', isDone: (s) => s === 'COMPLETE', clock, timeoutMs: 60_000 });
    expect(result).toEqual({ observation: 'COMPLETE', calls: 1, elapsedMs: 0 });
    expect(clock.sleeps).toEqual([]);
  });

  it('starts fast then settles at one call per 5 s', async () => {
    const clock = new VirtualClock();
    const resource = scriptedStatus(clock, 30_000);
    await poll({ description: 'x', check: resource.check, isDone: (s) => s === 'COMPLETE', clock, timeoutMs: 600_000 });
    expect(clock.sleeps.slice(0, 5)).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(Math.max(...clock.sleeps)).toBe(5_000);
  });

  it.each([7_000, 61_000, 15 * 60_000 + 1])('notices a terminal state reached at %i ms within 5 s', async (doneAt) => {
    const clock = new VirtualClock();
    const resource = scriptedStatus(clock, doneAt);
    const result = await poll({ description: 'x', check: resource.check, isDone: (s) => s === 'COMPLETE', clock, timeoutMs: 3_600_000 });
    expect(result.elapsedMs - doneAt).toBeLessThanOrEqual(5_000);
    expect(resource.calls).toBeLessThanOrEqual(Math.ceil(doneAt / 5_000) + 4);
  });

  it('reports only transitions to onChange', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    const statuses = ['A', 'A', 'B', 'B', 'B', 'DONE'];
    await poll({
      description: 'x',
      check: async () => statuses.shift()!,
      isDone: (s) => s === 'DONE',
      clock,
      timeoutMs: 60_000,
      onChange: (s) => seen.push(s),
    });
    expect(seen).toEqual(['A', 'B', 'DONE']);
  });

  it('honours the deadline with one last check and carries the last observation', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const error = await poll({ description: 'stack app-dev to finish', check: async () => 'UPDATE_IN_PROGRESS', isDone: () => false, clock, timeoutMs: 20_000 }).catch((e) => e);
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect(error.lastObservation).toBe('UPDATE_IN_PROGRESS');
    expect(error.message).toMatch(/stack app-dev to finish.*UPDATE_IN_PROGRESS/);
    expect(clock.now() - start).toBe(20_000);
  });

  it('backs off on throttling, then returns to the steady rate', async () => {
    const clock = new VirtualClock();
    const answers: Array<() => string> = [() => 'IN_PROGRESS', throwIt, throwIt, throwIt, () => 'IN_PROGRESS', () => 'IN_PROGRESS', () => 'DONE'];
    function throwIt(): string {
      throw throttle();
    }
    const transient: number[] = [];
    await poll({
      description: 'x',
      check: async () => answers.shift()!(),
      isDone: (s) => s === 'DONE',
      clock,
      timeoutMs: 600_000,
      onTransientError: (_e, delay) => transient.push(delay),
    });
    expect(transient).toEqual([10_000, 20_000, 30_000]);
    expect(clock.sleeps).toEqual([1_000, 10_000, 20_000, 30_000, 5_000, 5_000]);
  });

  it('throws a non-transient error at once', async () => {
    const clock = new VirtualClock();
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await expect(
      poll({ description: 'x', check: async () => { throw denied; }, isDone: () => true, clock, timeoutMs: 60_000 }),
    ).rejects.toBe(denied);
    expect(clock.sleeps).toEqual([]);
  });

  it('names the last transient error when it times out without an observation', async () => {
    const clock = new VirtualClock();
    const error = await poll({ description: 'image', check: async () => { throw throttle(); }, isDone: () => true, clock, timeoutMs: 60_000 }).catch((e) => e);
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect(error.message).toMatch(/no successful observation; last error: Rate exceeded/);
  });
});
