import { isNoAnswerError, isTransientError } from './aws/errors';
import type { Clock } from './clock';
import { errorMessage, PollTimeoutError } from './errors';

/**
 * How often to ask. The defaults answer the two constraints of issue #7: a terminal state is
 * noticed within `steadyMs` (5 s) of happening, and a long wait costs at most one call per
 * `steadyMs` per resource. Early polls are quicker (1 s, 2 s, 4 s) because many waits (change set
 * creation, a no-op update) end within seconds. Throttling doubles the delay up to
 * `throttleCapMs`; the next good answer returns to `steadyMs`.
 *
 * The throttle cap is 10 s, twice the steady interval, because a throttled wait cannot see the end
 * of a burst before its next call: the cap is also its worst lag after the burst. 10 s halves this
 * poller's rate while the API is busy and keeps that lag near the 5 s goal; a 30 s cap measured up
 * to 29 s late (`npm run bench`, "done inside … throttling"). Each call is already retried and
 * rate-limited by the SDK client underneath (retry mode `adaptive`, aws/clients.ts). Terraform's
 * StateChangeConf caps its waits at 10 s as well.
 *
 * For comparison: `aws cloudformation wait` polls every 30 s; the SDK v3 CloudFormation waiters
 * back off from 30 s to 120 s, so they can notice completion two minutes late (`npm run bench`).
 */
export interface PollSchedule {
  firstDelayMs: number;
  growthFactor: number;
  steadyMs: number;
  throttleCapMs: number;
  /**
   * Consecutive polls that got no usable answer (isNoAnswerError: refused, reset or timed-out
   * connections, 5xx, malformed answers) after which the endpoint is taken for dead and the last
   * error is thrown as it is. Each poll is already several SDK attempts; throttling never counts
   * (the service is answering).
   */
  maxFailedPolls: number;
  /** A call made at or after the deadline (the last check) is given this long before it is aborted. */
  lastCallGraceMs: number;
}

/**
 * Five failed polls in a row is about 45 s of backoff on top of the SDK's own retries (five
 * attempts each): long enough to ride out a blip or a load balancer failing over, short enough
 * that a dead endpoint ends a 60-minute wait within a minute instead of at its deadline.
 */
export const DEFAULT_POLL_SCHEDULE: Readonly<PollSchedule> = Object.freeze({
  firstDelayMs: 1_000,
  growthFactor: 2,
  steadyMs: 5_000,
  throttleCapMs: 10_000,
  maxFailedPolls: 5,
  lastCallGraceMs: 5_000,
});

export interface PollOptions<T> {
  /** What is being waited on, for the timeout message: "stack app-dev to finish updating". */
  description: string;
  /**
   * One observation: usually one API call (which can serve several needs, e.g. status + events).
   * Pass `signal` to every SDK call (`send(command, { abortSignal: signal })`): it aborts at the
   * deadline, so neither a silent endpoint nor the SDK's own retries can hold the wait past it.
   */
  check: (signal: AbortSignal) => Promise<T>;
  /** True when the observation is terminal, whether success or failure; the caller judges which. */
  isDone: (observation: T) => boolean;
  clock: Clock;
  timeoutMs: number;
  schedule?: Partial<PollSchedule>;
  /**
   * Called with each observation whose `progressKey` differs from the previous one, so callers log
   * transitions only, not every poll.
   */
  onChange?: (observation: T, previous: T | undefined) => void;
  /** What counts as "the same" for `onChange`; defaults to JSON equality. */
  progressKey?: (observation: T) => string;
  /** Summarises the last observation in the timeout message; defaults to JSON. */
  describe?: (observation: T) => string;
  /** Told about each transient error (throttling, 5xx, connection) that the poll rode out. */
  onTransientError?: (error: unknown, nextDelayMs: number) => void;
  /** Which errors to ride out; anything else is thrown at once. Defaults to `isTransientError`. */
  isTransient?: (error: unknown) => boolean;
}

export interface PollResult<T> {
  observation: T;
  /** Number of `check` calls made, including those that failed transiently. */
  calls: number;
  elapsedMs: number;
}

/**
 * The one wait loop of the project (STYLE.md). Checks at once, then on the schedule, until
 * `isDone`, a non-transient error, `maxFailedPolls` polls in a row without an answer (the last
 * error is thrown: a dead endpoint surfaces as what it is), or the deadline. Every check's calls
 * are aborted at the deadline. At the deadline it makes one last check (given `lastCallGraceMs`),
 * then throws `PollTimeoutError` carrying the last observation.
 */
export async function poll<T>(options: PollOptions<T>): Promise<PollResult<T>> {
  const schedule: PollSchedule = { ...DEFAULT_POLL_SCHEDULE, ...options.schedule };
  const isTransient = options.isTransient ?? isTransientError;
  const key = options.progressKey ?? ((o: T) => JSON.stringify(o));
  const { clock } = options;
  const started = clock.now();
  const deadline = started + options.timeoutMs;

  let calls = 0;
  let last: T | undefined;
  let lastError: unknown;
  let delay = schedule.firstDelayMs;
  let throttled = false;
  let failedInARow = 0;

  for (;;) {
    calls += 1;
    const deadlineSignal = clock.deadlineSignal(Math.max(deadline, clock.now() + schedule.lastCallGraceMs));
    try {
      const observation = await options.check(deadlineSignal.signal);
      lastError = undefined;
      failedInARow = 0;
      if (last === undefined || key(observation) !== key(last)) options.onChange?.(observation, last);
      last = observation;
      if (options.isDone(observation)) {
        return { observation, calls, elapsedMs: clock.now() - started };
      }
      if (throttled) {
        // Recover to the steady rate, not to the fast early rate: the API just told us it is busy.
        delay = schedule.steadyMs;
        throttled = false;
      }
    } catch (error) {
      if (deadlineSignal.signal.aborted) {
        // The call was still waiting for an answer at the deadline: that is the wait's end.
        lastError = deadlineSignal.signal.reason;
        break;
      }
      if (!isTransient(error)) throw error;
      failedInARow = isNoAnswerError(error) ? failedInARow + 1 : 0;
      if (failedInARow >= schedule.maxFailedPolls) throw error;
      lastError = error;
      throttled = true;
      delay = Math.min(schedule.throttleCapMs, Math.max(delay, schedule.steadyMs) * schedule.growthFactor);
      options.onTransientError?.(error, delay);
    } finally {
      deadlineSignal.clear();
    }

    const remaining = deadline - clock.now();
    if (remaining <= 0) break;
    await clock.sleep(Math.min(delay, remaining));
    if (!throttled) delay = Math.min(schedule.steadyMs, delay * schedule.growthFactor);
  }

  const elapsedMs = clock.now() - started;
  const seen =
    last === undefined ? 'no successful observation' : `last seen: ${(options.describe ?? ((o: T) => JSON.stringify(o)))(last)}`;
  const failure = lastError === undefined ? '' : `; last error: ${errorMessage(lastError)}`;
  throw new PollTimeoutError(
    `Timed out after ${Math.round(elapsedMs / 1000)} s waiting for ${options.description} (${seen}${failure}). Raise timeout-minutes, or look at the resource in the AWS console.`,
    last,
    elapsedMs,
  );
}
