/**
 * moto plus the Image Builder stand-in, started together: what the integration tests' global setup
 * and the local cycle both need. The stand-in's log goes to a file next to moto's.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

import { DescribeImagesCommand } from '@aws-sdk/client-ec2';

import { createMotoClients, LOCAL_DIR, resolveLocalBaseAmi, type LocalEndpoints } from './env';
import { startImageBuilderStandin, type StandinServer } from './imagebuilder-standin/server';
import { startMotoServer, type MotoServer } from './moto';

export interface LocalServers {
  endpoints: LocalEndpoints;
  moto: MotoServer;
  standin: StandinServer;
  /** Where the stand-in logs (one line per operation). */
  standinLog: string;
  stop(): Promise<void>;
}

export interface LocalServerOptions {
  /** Default build time of the stand-in. */
  buildSeconds?: number;
  /** Also called with each stand-in log line (the file gets them regardless). */
  onStandinLog?: (line: string) => void;
}

export async function startLocalServers(options: LocalServerOptions = {}): Promise<LocalServers> {
  const moto = await startMotoServer();
  await warmUp(moto.endpoint);
  const standinLog = join(LOCAL_DIR, 'logs', `standin-${moto.port}.log`);
  const logStream = createWriteStream(standinLog, { flags: 'w' });
  let standin: StandinServer;
  try {
    standin = await startImageBuilderStandin({
      motoEndpoint: moto.endpoint,
      buildSeconds: options.buildSeconds,
      log: (line) => {
        logStream.write(`${new Date().toISOString()} ${line}\n`);
        options.onStandinLog?.(line);
      },
    });
  } catch (error) {
    logStream.end();
    await moto.stop();
    throw error;
  }
  return {
    endpoints: { moto: moto.endpoint, imageBuilder: standin.endpoint },
    moto,
    standin,
    standinLog,
    async stop() {
      await standin.stop();
      await moto.stop();
      await new Promise<void>((resolveEnd) => logStream.end(() => resolveEnd()));
    },
  };
}

/**
 * moto loads its EC2 and SSM data on the first call to each (about 3 s apiece on two busy cores)
 * and keeps it across resets: pay that once here, not inside the first test's timeout.
 */
async function warmUp(motoEndpoint: string): Promise<void> {
  const { ec2, ssm } = createMotoClients(motoEndpoint);
  try {
    await Promise.all([resolveLocalBaseAmi(ssm), ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 }))]);
  } finally {
    ec2.destroy();
    ssm.destroy();
  }
}
