/**
 * Jest global setup of the integration project: starts one moto server and one Image Builder
 * stand-in per jest worker (each worker runs one test file at a time and resets its pair in
 * `useLocalAws()`, so test files never share state). Workers find their pair through
 * LOCAL_AWS_SERVERS: jest forks its workers after global setup, so they inherit process.env.
 */
import { actionNodeFor } from '../../local/action-node';
import { startLocalServers, type LocalServers } from '../../local/servers';

/** moto is ~150 MB resident; more pairs than this on a big machine would only waste memory. */
const MAX_PAIRS = 8;

export const SERVERS_ENV = 'LOCAL_AWS_SERVERS';

export default async function globalSetup(globalConfig: { maxWorkers: number }): Promise<void> {
  // Before any server starts: without the Node the actions run on, every bundle run would fail
  // with the same message (what to install, how), so say it once.
  const node = actionNodeFor('node24');
  const pairs = Math.min(MAX_PAIRS, Math.max(1, globalConfig.maxWorkers));
  const servers: LocalServers[] = await Promise.all(Array.from({ length: pairs }, () => startLocalServers()));
  (globalThis as { __localAwsServers?: LocalServers[] }).__localAwsServers = servers;
  process.env[SERVERS_ENV] = JSON.stringify(servers.map((s) => s.endpoints));
  process.stderr.write(
    `\nIntegration tests run the bundled actions on Node ${node.version} (${node.path}, runs.using: node24) against moto (emulated AWS) and the EC2 Image Builder STAND-IN (no emulator exists):\n` +
      servers.map((s, i) => `  worker ${i + 1}: moto ${s.endpoints.moto}, stand-in ${s.endpoints.imageBuilder} (logs: ${s.moto.logFile}, ${s.standinLog})\n`).join(''),
  );
}
