import { VirtualClock } from '../../../actions/lib/clock';
import { PollTimeoutError } from '../../../actions/lib/errors';
import { DEFAULT_POLL_SCHEDULE, poll } from '../../../actions/lib/poll';

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

  it('backs off on throttling up to its cap, then returns to the steady rate', async () => {
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
      // A higher cap than the default, to see the doubling.
      schedule: { throttleCapMs: 30_000 },
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
  describe('contract (issue #7)', () => {
    /** A resource that turns `COMPLETE` at `doneAtMs` and refuses calls during `throttled`. */
    function scripted(clock: VirtualClock, doneAtMs: number, throttled?: { fromMs: number; toMs: number }) {
      const start = clock.now();
      const calls: Array<{ at: number; throttled: boolean }> = [];
      return {
        calls,
        check: async () => {
          const at = clock.now() - start;
          const refused = throttled !== undefined && at >= throttled.fromMs && at < throttled.toMs;
          calls.push({ at, throttled: refused });
          if (refused) throw throttle();
          return at >= doneAtMs ? 'COMPLETE' : 'IN_PROGRESS';
        },
      };
    }

    it.each([1_000, 3_000, 12_345, 600_000])('returns on the first check that sees the terminal state (reached at %i ms), with no check after it', async (doneAt) => {
      const clock = new VirtualClock();
      const resource = scripted(clock, doneAt);
      const result = await poll({ description: 'x', check: resource.check, isDone: (s) => s === 'COMPLETE', clock, timeoutMs: 3_600_000 });
      const times = resource.calls.map((c) => c.at);
      expect(times[times.length - 1]).toBe(result.elapsedMs);
      expect(times[times.length - 1]).toBeGreaterThanOrEqual(doneAt);
      expect(times[times.length - 2] ?? -1).toBeLessThan(doneAt);
      expect(result.calls).toBe(times.length);
    });

    it.each([
      [60_000, 30_000],
      [100_000, 77_000],
      [150_000, 123_000],
      [150_000, 129_500],
    ])(
      'by default, a %i ms throttling burst costs at most one call per 10 s, and a state reached during it is seen within 5 s + steady of its end',
      async (burstMs, doneDuringMs) => {
        const clock = new VirtualClock();
        const burst = { fromMs: 240_000, toMs: 240_000 + burstMs };
        const resource = scripted(clock, burst.fromMs + doneDuringMs, burst);
        const result = await poll({ description: 'x', check: resource.check, isDone: (s) => s === 'COMPLETE', clock, timeoutMs: 3_600_000 });

        expect(result.elapsedMs - burst.toMs).toBeLessThanOrEqual(5_000 + DEFAULT_POLL_SCHEDULE.steadyMs);
        const refused = resource.calls.filter((c) => c.throttled).length;
        expect(refused).toBeLessThanOrEqual(Math.ceil(burstMs / DEFAULT_POLL_SCHEDULE.throttleCapMs) + 1);
        // A naive 2 s loop would make burstMs / 2 s calls into the burst.
        expect(refused).toBeLessThan(burstMs / 2_000 / 4);
      },
    );

    it('times out during a burst at the deadline exactly, carrying the last observation and the last error', async () => {
      const clock = new VirtualClock();
      const resource = scripted(clock, Number.POSITIVE_INFINITY, { fromMs: 20_000, toMs: Number.POSITIVE_INFINITY });
      const start = clock.now();
      const error = await poll({ description: 'stack app-dev', check: resource.check, isDone: () => false, clock, timeoutMs: 90_000 }).catch((e) => e);
      expect(error).toBeInstanceOf(PollTimeoutError);
      expect(error.lastObservation).toBe('IN_PROGRESS');
      expect(error.message).toMatch(/last seen: "IN_PROGRESS"; last error: Rate exceeded/);
      expect(clock.now() - start).toBe(90_000);
      expect(resource.calls[resource.calls.length - 1].at).toBe(90_000);
    });
  });
});

describe('poll on an endpoint that gives no answer', () => {
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
  const garbled = () =>
    Object.assign(new SyntaxError("Unexpected token '<', \"<html><bod\"... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object."), {
      $metadata: { httpStatusCode: 200 },
    });

  it.each([
    ['refused connections', refused],
    ['malformed (HTML) answers', garbled],
    ['5xx answers', () => Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } })],
  ])('gives up after %s in five polls in a row and throws the last one as it is (not a timeout)', async (_kind, make) => {
    const clock = new VirtualClock();
    let calls = 0;
    const last = make();
    const error = await poll({
      description: 'x',
      check: async () => {
        calls += 1;
        throw calls === DEFAULT_POLL_SCHEDULE.maxFailedPolls ? last : make();
      },
      isDone: () => true,
      clock,
      timeoutMs: 3_600_000,
    }).catch((e: unknown) => e);
    expect(error).toBe(last);
    expect(calls).toBe(DEFAULT_POLL_SCHEDULE.maxFailedPolls);
    expect(clock.now() - Date.UTC(2026, 0, 1)).toBeLessThan(60_000);
  });

  it('counts only failures in a row: an answer in between starts the count again', async () => {
    const clock = new VirtualClock();
    const script = ['fail', 'fail', 'fail', 'fail', 'ok', 'fail', 'fail', 'fail', 'fail', 'DONE'];
    const result = await poll({
      description: 'x',
      check: async () => {
        const next = script.shift();
        if (next === 'fail') throw refused();
        return next ?? 'DONE';
      },
      isDone: (s) => s === 'DONE',
      clock,
      timeoutMs: 3_600_000,
    });
    expect(result.observation).toBe('DONE');
  });

  it('never counts throttling: the service is answering', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const result = await poll({
      description: 'x',
      check: async () => {
        calls += 1;
        if (calls <= 20) throw throttle();
        return 'DONE';
      },
      isDone: (s) => s === 'DONE',
      clock,
      timeoutMs: 3_600_000,
    });
    expect(result.calls).toBe(21);
  });

  it("aborts a call still waiting at the deadline through the check's signal, and ends at the deadline", async () => {
    const clock = new VirtualClock();
    const signals: AbortSignal[] = [];
    const error = await poll({
      description: 'image x',
      check: (signal) =>
        new Promise<string>((_resolve, reject) => {
          signals.push(signal);
          // The call hangs; a minute of (virtual) silence passes while it does.
          signal.addEventListener('abort', () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })));
          clock.advance(60_000);
        }),
      isDone: () => true,
      clock,
      timeoutMs: 30_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect((error as Error).message).toMatch(/^Timed out after 60 s waiting for image x \(no successful observation; last error: no answer before the deadline \(2026-01-01T00:00:30\.000Z\)\)/);
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(true);
  });
});
