/**
 * One serving instance of the local data plane: the app template's real pages on a real PHP
 * server (`php -S` on a loopback port, standing in for the instance's httpd + PHP-FPM on port
 * 80), behind the instance's own IMDSv2 stand-in. What a request to it returns is what the
 * shipped PHP code computes from that instance's metadata and package database.
 */
import { type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { findFreePort, spawnTiedToThisProcess } from '../moto';
import { writeAppRoot, type RpmPackage, type ShippedApp } from './app-pages';
import { ImdsStandin, type InstanceIdentity } from './imds';

export interface InstanceSpec extends InstanceIdentity {
  packages: readonly RpmPackage[];
  /** The image's RPM database is corrupt (an AMI the Image Builder stand-in was told to spoil). */
  spoiled?: boolean;
}

export interface RunningInstance {
  spec: InstanceSpec;
  /** http://127.0.0.1:<port>: what the instance's port 80 is on this machine. */
  url: string;
  imds: ImdsStandin;
  /** Why the PHP server is gone, once it is. */
  exited(): string | undefined;
  stop(): Promise<void>;
}

/** php -S answers its first request within a second even on a busy machine; 10 s means it is broken. */
const STARTUP_TIMEOUT_MS = 10_000;

/**
 * Starts the instance: writes its app root under `dir` (deleted on stop), starts its IMDS and its
 * PHP server, and waits until the health page answers. php's own request log goes to `logFile`.
 */
export async function startInstance(spec: InstanceSpec, options: { dir: string; logFile: string; app?: ShippedApp }): Promise<RunningInstance> {
  rmSync(options.dir, { recursive: true, force: true });
  const root = writeAppRoot(options.dir, spec.packages, { rpmDatabase: spec.spoiled ? 'corrupt' : 'ok', app: options.app });
  const imds = new ImdsStandin(spec);
  await imds.start();
  mkdirSync(join(options.logFile, '..'), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  try {
    for (let attempt = 1; ; attempt += 1) {
      const port = await findFreePort();
      try {
        return await launchPhp(spec, imds, { ...root, port, log, dir: options.dir });
      } catch (error) {
        // Another process can take the free port before php binds it: try another, twice.
        if (!(error instanceof PortTakenError) || attempt >= 3) throw error;
      }
    }
  } catch (error) {
    log.end();
    await imds.stop();
    throw error;
  }
}

class PortTakenError extends Error {}

async function launchPhp(
  spec: InstanceSpec,
  imds: ImdsStandin,
  options: { docroot: string; router: string; binDir: string; port: number; log: NodeJS.WritableStream; dir: string },
): Promise<RunningInstance> {
  const url = `http://127.0.0.1:${options.port}`;
  let stderr = '';
  const php: ChildProcess = spawnTiedToThisProcess('php', ['-S', `127.0.0.1:${options.port}`, '-t', options.docroot, options.router], {
    env: { ...process.env, PATH: `${options.binDir}:${process.env.PATH ?? ''}`, APP_IMDS_ENDPOINT: imds.url },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  php.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4_000) stderr += chunk.toString();
    options.log.write(chunk);
  });
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    php.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
    php.once('error', (error) => {
      exited = `could not start php (${error.message}); php-cli is needed: run make setup`;
      resolve();
    });
  });

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      if (/Address already in use/.test(stderr)) throw new PortTakenError(stderr);
      throw new Error(`php -S for ${spec.instanceId} exited (${exited}) before answering: ${stderr.trim().slice(-500)}`);
    }
    try {
      const response = await fetch(`${url}/health.php`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        php.kill('SIGKILL');
        throw new Error(`php -S for ${spec.instanceId} did not answer on ${url} within ${STARTUP_TIMEOUT_MS / 1000} s: ${stderr.trim().slice(-500)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  return {
    spec,
    url,
    imds,
    exited: () => exited,
    async stop() {
      if (!exited) {
        php.kill('SIGTERM');
        const timer = setTimeout(() => php.kill('SIGKILL'), 2_000);
        await exitedPromise;
        clearTimeout(timer);
      }
      await imds.stop();
      options.log.end();
      rmSync(options.dir, { recursive: true, force: true });
    },
  };
}

