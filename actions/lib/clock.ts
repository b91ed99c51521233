/**
 * Time, injected. Logic never calls Date.now() or setTimeout directly, so tests and the benchmark
 * run waits on a virtual clock without sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/**
 * A clock that only moves when someone sleeps on it: `sleep(ms)` advances time by `ms` and
 * resolves at once. Used by unit tests (no real sleeps, no fake-timer tricks) and by the
 * benchmark, which replays scripted AWS timelines against it.
 */
export class VirtualClock implements Clock {
  private current: number;
  /** Every sleep requested, in order: lets tests assert on backoff without timing anything. */
  readonly sleeps: number[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  async sleep(ms: number): Promise<void> {
    const step = Math.max(0, ms);
    this.sleeps.push(step);
    this.current += step;
  }

  /** Moves time forward without a sleep, e.g. to model an API call's latency. */
  advance(ms: number): void {
    this.current += Math.max(0, ms);
  }
}
