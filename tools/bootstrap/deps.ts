import type { Clock } from '../../actions/lib/clock';
import type { Logger } from '../../actions/lib/logger';

/**
 * `deps` of the setup tools: the shape of actions/lib/deps.ts, with any clients (the tools also
 * use IAM, STS, EventBridge and Secrets Manager, which the actions never do).
 */
export interface Deps<C> {
  clients: C;
  logger: Logger;
  clock: Clock;
}
