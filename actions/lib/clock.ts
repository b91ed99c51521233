/**
 * Time, injected. Logic never calls Date.now() or setTimeout directly, so tests and the benchmark
 * run waits on a virtual clock without sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
  /**
   * A signal that aborts when this clock reaches `atMs` (for an SDK call's `abortSignal`, so a call
   * cannot outlive a wait's deadline). `clear()` releases it once the call is over.
   */
  deadlineSignal(atMs: number): DeadlineSignal;
}

export interface DeadlineSignal {
  signal: AbortSignal;
  clear(): void;
}

/** What an aborted call rejects with: the deadline, named, not a bare "aborted". */
export function deadlineReached(atMs: number): Error {
  return Object.assign(new Error(`no answer before the deadline (${new Date(atMs).toISOString()})`), { name: 'DeadlineReached' });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
  deadlineSignal(atMs) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(deadlineReached(atMs)), Math.max(0, atMs - Date.now()));
    // A pending deadline must not keep the process alive once everything else is done.
    timer.unref?.();
    return { signal: controller.signal, clear: () => clearTimeout(timer) };
  },
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
  private readonly deadlines = new Set<{ atMs: number; controller: AbortController }>();

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
    this.fireDeadlines();
  }

  /** Moves time forward without a sleep, e.g. to model an API call's latency (a call in flight past its deadline is aborted). */
  advance(ms: number): void {
    this.current += Math.max(0, ms);
    this.fireDeadlines();
  }

  deadlineSignal(atMs: number): DeadlineSignal {
    const entry = { atMs, controller: new AbortController() };
    this.deadlines.add(entry);
    this.fireDeadlines();
    return { signal: entry.controller.signal, clear: () => this.deadlines.delete(entry) };
  }

  private fireDeadlines(): void {
    for (const entry of this.deadlines) {
      if (entry.atMs > this.current) continue;
      this.deadlines.delete(entry);
      entry.controller.abort(deadlineReached(entry.atMs));
    }
  }
}
