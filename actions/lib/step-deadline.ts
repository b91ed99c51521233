import type { Clock } from './clock';
import { AwsOperationError, errorMessage } from './errors';

/**
 * A step's deadline (its timeout-minutes) for the calls outside its waits: one-shot reads, the
 * start of a build, a change set's creation. Its signal aborts each call, the SDK's own retries
 * included: without it, an endpoint that accepts and never answers holds one call for 5 attempts
 * × 60 s of silence (aws/clients.ts), past any timeout-minutes. The waits keep the same deadline
 * through poll().
 */
export interface StepDeadline {
  signal: AbortSignal;
  /** For the message: "within timeout-minutes (1 min)". */
  describe: string;
}

/**
 * A call that starts at or after the deadline (the reads after a wait that ended just in time, a
 * cleanup after a timeout) gets at least this long. They are calls of well under a second on AWS.
 */
export const RESULT_READS_GRACE_MS = 30_000;

/** What a call cut off by the deadline fails as: which service did not answer, and what to do. */
export function noAnswerBeforeDeadline(what: string, resource: string, call: string, deadline: StepDeadline, next: string): AwsOperationError {
  return new AwsOperationError(`${what}: ${noAnswer(call, deadline)}. ${next}`, resource, 'NO_ANSWER');
}

function noAnswer(call: string, deadline: StepDeadline): string {
  return `${call} got no answer ${deadline.describe} (${errorMessage(deadline.signal.reason)}); the endpoint accepts connections but says nothing (AWS_ENDPOINT_URL*, a proxy, the network)`;
}

/** "within timeout-minutes (1 min)". */
export function describeTimeoutMinutes(minutes: number): string {
  return `within timeout-minutes (${Number(minutes.toFixed(2))} min)`;
}

/**
 * A call that {@link withStepDeadline} cut off: the step's deadline passed with no answer. The
 * action says what that means for what it was doing (explainNoAnswer).
 */
export class NoAnswerBeforeDeadlineError extends Error {
  override readonly name = 'NoAnswerBeforeDeadline';
  constructor(
    /** "CloudFormation DescribeStacks". */
    readonly call: string,
    readonly deadline: StepDeadline,
  ) {
    super(noAnswer(call, deadline));
  }
}

/** The action's message for a call its deadline cut off: what failed, which call, and `next` (how to resume). */
export function explainNoAnswer(error: NoAnswerBeforeDeadlineError, what: string, resource: string, next: string): AwsOperationError {
  return noAnswerBeforeDeadline(what, resource, error.call, error.deadline, next);
}

interface SdkClient {
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  config: object;
}

function isSdkClient(value: unknown): value is SdkClient {
  return typeof value === 'object' && value !== null && typeof (value as SdkClient).send === 'function' && typeof (value as SdkClient).config === 'object';
}

/**
 * The step's clients, every call of which ends by the step's deadline (`atMs`), or
 * {@link RESULT_READS_GRACE_MS} after it starts when it starts later. One mechanism for every call
 * of the step, paginators and helpers included, so that no call a later change adds can forget its
 * signal. A call's own signal (a wait's, from poll()) still applies and wins: a wait that reaches
 * its deadline reports its timeout as before. A call the step's deadline cuts off rejects with
 * {@link NoAnswerBeforeDeadlineError} naming the call. Other members (awsClock, …) pass through.
 */
export function withStepDeadline<T extends object>(clients: T, deadline: { atMs: number; describe: string }, clock: Clock): T {
  const bound: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(clients)) bound[key] = isSdkClient(value) ? boundClient(value, deadline, clock) : value;
  return bound as T;
}

function boundClient<C extends SdkClient>(client: C, deadline: { atMs: number; describe: string }, clock: Clock): C {
  // Inherits from the client, so `instanceof`, `config` and `destroy()` are the client's own.
  const bound = Object.create(client) as C;
  bound.send = async (command: object, options?: { abortSignal?: AbortSignal }) => {
    const own = options?.abortSignal;
    const step = clock.deadlineSignal(Math.max(deadline.atMs, clock.now() + RESULT_READS_GRACE_MS));
    const signal = own ? AbortSignal.any([own, step.signal]) : step.signal;
    try {
      return await client.send(command, { ...options, abortSignal: signal });
    } catch (error) {
      if (step.signal.aborted && !own?.aborted) throw new NoAnswerBeforeDeadlineError(callName(client, command), { signal: step.signal, describe: deadline.describe });
      throw error;
    } finally {
      step.clear();
    }
  };
  return bound;
}

/** "CloudFormation DescribeStacks": the client's service and the command's operation. */
function callName(client: SdkClient, command: object): string {
  const service = (client.config as { serviceId?: string }).serviceId ?? 'AWS';
  return `${service} ${command.constructor.name.replace(/Command$/, '')}`;
}
