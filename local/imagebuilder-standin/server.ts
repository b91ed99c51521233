/**
 * The EC2 Image Builder stand-in: no emulator implements Image Builder (docs/moto.md),
 * so local mode brings this small HTTP server that speaks Image Builder's REST-JSON protocol
 * to the real SDK (through AWS_ENDPOINT_URL_IMAGEBUILDER) and mints real AMIs in moto. It builds
 * nothing: no instance boots, no component runs, nothing is patched. It says so wherever it speaks.
 */
import { createServer } from 'node:http';

import { systemClock, type Clock } from '../../actions/lib/clock';
import { createMotoClients, resolveLocalBaseAmi } from '../env';
import { createAmiMinter } from './ami-minter';
import { CONTROL_PREFIX, handleControl } from './control';
import { createRoutes } from './operations';
import { dispatch } from './protocol';
import { StandinStore, type StandinConfig } from './store';

export interface StandinOptions {
  /** moto, where AMIs are minted and the default parent image is looked up. */
  motoEndpoint: string;
  /** Default: a free port. */
  port?: number;
  /** Default build time when nobody configures one. */
  buildSeconds?: number;
  clock?: Clock;
  log?: (line: string) => void;
}

export interface StandinServer {
  /** http://127.0.0.1:<port>: the value for AWS_ENDPOINT_URL_IMAGEBUILDER. */
  endpoint: string;
  port: number;
  store: StandinStore;
  stop(): Promise<void>;
}

/** A few seconds: long enough to watch the states go by, short enough for a one-minute cycle. */
export const DEFAULT_BUILD_SECONDS = 4;

export async function startImageBuilderStandin(options: StandinOptions): Promise<StandinServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { ec2, ssm } = createMotoClients(options.motoEndpoint);
  // moto's copy of the public AL2023 parameter never changes, so one lookup serves every registration.
  let baseAmi: Promise<string> | undefined;
  const defaults: StandinConfig = { buildSeconds: options.buildSeconds ?? DEFAULT_BUILD_SECONDS };
  const store = new StandinStore(defaults, {
    clock: options.clock ?? systemClock,
    mintAmi: createAmiMinter(ec2),
    resolveDefaultParentImage: () => (baseAmi ??= resolveLocalBaseAmi(ssm).catch((error) => {
      baseAmi = undefined;
      throw error;
    })),
    log,
  });
  const routes = createRoutes(store, log);
  const hooks = { log, beforeOperation: (operation: string) => store.consumeThrottle(operation), garbledAnswer: (operation: string) => store.consumeGarble(operation) };

  const server = createServer((request, response) => {
    const handled = request.url?.startsWith(CONTROL_PREFIX)
      ? handleControl(store, log, request, response)
      : dispatch(routes, hooks, request, response);
    handled.catch((error) => {
      log(`STAND-IN: could not answer ${request.method} ${request.url}: ${error}`);
      response.destroy();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    // Loopback only: the stand-in has no authentication and must not be reachable from elsewhere.
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const endpoint = `http://127.0.0.1:${port}`;
  log(
    `STAND-IN: EC2 Image Builder (no emulator exists) listening on ${endpoint}. Builds are simulated: ` +
      `no instance boots, no component runs, nothing is patched; each build mints an AMI in moto (${options.motoEndpoint}).`,
  );

  return {
    endpoint,
    port,
    store,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      ec2.destroy();
      ssm.destroy();
    },
  };
}
