/**
 * The local data plane: real HTTP behind moto's load balancers. moto holds the control plane
 * (load balancers, listeners, rules, target groups, registrations, instances); this process adds
 * what it lacks:
 * - a serving process per running instance (php -S with the app template's real pages, behind
 *   that instance's IMDSv2 stand-in), started and stopped as moto's instances come and go;
 * - the load balancer STAND-IN: a loopback port per HTTP listener, routing by moto's rules to
 *   moto's registered targets, with real health checks, draining and fail-open;
 * - an ELBv2 API front whose DescribeTargetHealth reports those health checks.
 * It follows moto by polling (one sync every `syncMs`), so what moto changes shows here within a sync,
 * in every region it is given (the cycle runs prod in another region than dev).
 */
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';

import { errorMessage } from '../../actions/lib/errors';
import { LOCAL_CREDENTIALS, LOCAL_DIR, LOCAL_REGION } from '../env';
import { createStandinControl } from '../imagebuilder-standin/client';
import { startElbv2Front, type Elbv2Front } from './elbv2-front';
import { mergeElbv2States, readElbv2State } from './elbv2-state';
import { InstanceFleet } from './fleet';
import { createImageProfiles } from './image-profile';
import { LoadBalancerStandin } from './load-balancer';

export { ELBV2_ENDPOINT_VARIABLE } from './elbv2-front';

export interface DataPlaneOptions {
  motoEndpoint: string;
  /** The Image Builder stand-in: where spoiled AMIs and build inventories come from. Optional. */
  imageBuilderEndpoint?: string;
  /** Target-group durations run this many times faster (see load-balancer.ts). Default 1. */
  timeScale?: number;
  /** How often moto is read. Default 500 ms. */
  syncMs?: number;
  /** Every log line (the data plane's own log file gets them regardless). */
  log?: (line: string) => void;
  /** Default .local/data-plane/<moto port>. */
  workDir?: string;
  /** The regions whose load balancers and instances it serves. Default: local mode's one region. */
  regions?: readonly string[];
}

export interface DataPlane {
  /** The ELBv2 endpoint to give clients (as AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2). */
  elbv2Endpoint: string;
  loadBalancer: LoadBalancerStandin;
  fleet: InstanceFleet;
  timeScale: number;
  /** Where the data plane logs (one line per instance start/stop, listener, health transition). */
  logFile: string;
  /** The loopback URL of a load balancer's listener, by DNS name (or ARN); undefined until the data plane has seen it. */
  listenerUrl(loadBalancer: string, port?: number): string | undefined;
  /** Reads moto now and applies it (the same as a periodic sync). */
  sync(): Promise<void>;
  stop(): Promise<void>;
}

export async function startDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  const timeScale = options.timeScale ?? 1;
  const motoPort = new URL(options.motoEndpoint).port;
  const workDir = options.workDir ?? join(LOCAL_DIR, 'data-plane', motoPort);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const logFile = join(LOCAL_DIR, 'logs', `data-plane-${motoPort}.log`);
  mkdirSync(join(LOCAL_DIR, 'logs'), { recursive: true });
  const logStream = createWriteStream(logFile, { flags: 'w' });
  const log = (line: string) => {
    logStream.write(`${new Date().toISOString()} ${line}\n`);
    options.log?.(`DATA PLANE: ${line}`);
  };
  const config = { region: LOCAL_REGION, endpoint: options.motoEndpoint, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 3 };
  // One pair of clients per region: moto keeps each region's load balancers and instances apart, as AWS does.
  const regions = (options.regions ?? [LOCAL_REGION]).map((region) => ({ region, ec2: new EC2Client({ ...config, region }), elbv2: new ElasticLoadBalancingV2Client({ ...config, region }) }));
  const imageBuilder = options.imageBuilderEndpoint
    ? { client: new ImagebuilderClient({ ...config, endpoint: options.imageBuilderEndpoint }), standin: createStandinControl(options.imageBuilderEndpoint) }
    : undefined;

  const fleet = new InstanceFleet({ regions: regions.map(({ region, ec2 }) => ({ region, ec2 })), profileOf: createImageProfiles({ imageBuilder }), workDir: join(workDir, 'instances'), logDir: join(workDir, 'logs'), log });
  const loadBalancer = new LoadBalancerStandin({ endpointOf: (id, port) => fleet.endpointOf(id, port), instanceState: (id) => fleet.states.get(id) }, { timeScale, log });
  const front: Elbv2Front = await startElbv2Front(options.motoEndpoint, loadBalancer);
  log(
    `STAND-IN load balancer for moto's ELBv2 (moto has no data plane); ELBv2 API front ${front.endpoint}; health checks and deregistration delays at time scale 1/${timeScale}${timeScale === 1 ? ' (real time)' : ''}. What it models: docs/local.md.`,
  );

  let current: Promise<void> | undefined;
  let lastError: string | undefined;
  const syncOnce = async () => {
    try {
      const state = mergeElbv2States(await Promise.all(regions.map(({ elbv2 }) => readElbv2State(elbv2))));
      const registered = new Set([...state.targetGroups.values()].flatMap((g) => g.targets.map((t) => t.id)));
      await fleet.sync(registered);
      await loadBalancer.apply(state);
      lastError = undefined;
    } catch (error) {
      // moto mid-update can answer 500 for a moment; the next sync catches up. Logged once per kind.
      const message = errorMessage(error);
      if (message !== lastError) log(`sync with moto failed (retrying): ${message}`);
      lastError = message;
    }
  };
  // One sync at a time: a periodic one is skipped while another runs; an explicit one waits and runs afresh.
  const sync = () => {
    const next = (current ?? Promise.resolve()).then(syncOnce);
    current = next;
    void next.finally(() => {
      if (current === next) current = undefined;
    });
    return next;
  };

  await sync();
  let stopped = false;
  const timer = setInterval(() => {
    if (!stopped && !current) void sync();
  }, options.syncMs ?? 500);

  return {
    elbv2Endpoint: front.endpoint,
    loadBalancer,
    fleet,
    timeScale,
    logFile,
    listenerUrl: (lb, port = 80) => loadBalancer.listenerUrl(lb, port),
    sync,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current;
      await loadBalancer.stop();
      await front.stop();
      await fleet.stopAll();
      for (const { ec2, elbv2 } of regions) {
        ec2.destroy();
        elbv2.destroy();
      }
      imageBuilder?.client.destroy();
      rmSync(join(workDir, 'instances'), { recursive: true, force: true });
      await new Promise<void>((resolve) => logStream.end(() => resolve()));
    },
  };
}
