/**
 * The AWS API of one scenario, on a virtual clock: answers the scenario's one command with the
 * scripted status of the moment, refuses calls inside throttling windows the way the service does,
 * and records when every call was made. Calls take no virtual time (see docs/performance.md,
 * "Limits of the model").
 */
import type { VirtualClock } from '../../actions/lib/clock';
import type { ScriptedClient } from './resources';
import { isThrottledAt, statusAt, type Scenario } from './scenarios';

/** An error shaped like the SDK's service exceptions, which is what the predicates look at. */
export function throttlingError(scenario: Scenario): Error {
  const { name, httpStatusCode } = scenario.kind.throttle;
  return Object.assign(new Error('Rate exceeded'), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode, requestId: 'scripted' },
    $retryable: { throttling: true },
  });
}

export class ScriptedApi implements ScriptedClient {
  /** Milliseconds from the start at which each call was made, throttled or not. */
  readonly callTimes: number[] = [];
  private readonly startMs: number;
  private readonly commandType: new (...args: never[]) => object;

  constructor(
    readonly scenario: Scenario,
    private readonly clock: VirtualClock,
  ) {
    this.startMs = clock.now();
    this.commandType = scenario.kind.command().constructor as new (...args: never[]) => object;
  }

  get elapsedMs(): number {
    return this.clock.now() - this.startMs;
  }

  async send(command: object): Promise<unknown> {
    if (!(command instanceof this.commandType)) {
      throw new Error(`Scenario ${this.scenario.id} serves ${this.scenario.kind.operation} only, not ${command.constructor.name}.`);
    }
    const at = this.elapsedMs;
    this.callTimes.push(at);
    if (isThrottledAt(this.scenario, at)) throw throttlingError(this.scenario);
    return this.scenario.kind.respond(statusAt(this.scenario, at));
  }

  /** Calls made inside the scenario's throttling windows. */
  get throttledCalls(): number {
    return this.callTimes.filter((t) => isThrottledAt(this.scenario, t)).length;
  }
}
