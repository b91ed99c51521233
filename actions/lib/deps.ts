import type { AwsClients } from './aws/clients';
import type { Clock } from './clock';
import type { Logger } from './logger';

/**
 * What logic functions receive besides their inputs (DESIGN.md §2): `(inputs, deps)`. They never
 * touch @actions/core or process.env, so the same function runs in an action, a test and local/.
 * Each function narrows `clients` to the ones it uses with `Pick`.
 */
export interface Deps<C extends Partial<AwsClients> = AwsClients> {
  clients: C;
  logger: Logger;
  clock: Clock;
}
