/** Stops the servers global-setup.ts started (jest shares globalThis between the two). */
import type { LocalServers } from '../../local/servers';

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as { __localAwsServers?: LocalServers[] };
  await Promise.all((holder.__localAwsServers ?? []).map((s) => s.stop()));
  holder.__localAwsServers = undefined;
}
