/**
 * Starts moto's server (the project's pinned copy in .venv) on a free loopback port, with AMI
 * validation on, and makes sure it never outlives the process that started it.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';

import { LOCAL_DIR, REPO_ROOT } from './env';

const VENV_BIN = join(REPO_ROOT, '.venv', 'bin');
/**
 * moto_server with the project's labelled moto patches applied first (local/moto-patches/: each
 * says what it patches and which test notices when moto no longer needs it).
 */
const PATCHED_SERVER = join(REPO_ROOT, 'local', 'moto-patches', 'serve.py');
/** moto 5.2 answers /moto-api/ in well under a second; 30 s leaves room for a cold, busy 2-core machine. */
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/**
 * Runs moto_server with PR_SET_PDEATHSIG = SIGTERM: Linux then stops it when the Node process that
 * spawned it dies, even by SIGKILL (a killed jest run leaves no server behind). Where prctl is not
 * available (macOS) it just execs, and the exit handlers below are the only guard.
 */
const PARENT_DEATH_WRAPPER = [
  'import ctypes, os, signal, sys',
  'try:',
  '    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)',
  'except OSError:',
  '    pass',
  'os.execvp(sys.argv[1], sys.argv[1:])',
].join('\n');

export interface MotoServer {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  /** Where moto's stdout/stderr go. */
  logFile: string;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export interface MotoOptions {
  /** A fixed port; default: a free one. */
  port?: number;
  /** Log file for moto's output; default .local/logs/moto-<port>.log */
  log?: string;
}

/** Asks the kernel for a free loopback port (bind port 0, read it, release it). */
export async function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const running = new Set<ChildProcess>();
let exitHooksInstalled = false;

/** Kills every server still running when this process exits or is told to stop. */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = () => {
    for (const child of running) child.kill('SIGTERM');
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // Only step in if nobody else handles the signal; then die of it, as we would have.
    process.once(signal, () => {
      killAll();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/**
 * Starts moto_server on 127.0.0.1 (never another interface) and waits until it answers.
 * Throws a message naming the log if it does not come up, or "run make setup" when .venv lacks it.
 */
export async function startMotoServer(options: MotoOptions = {}): Promise<MotoServer> {
  const python = join(VENV_BIN, 'python3');
  const motoServer = join(VENV_BIN, 'moto_server');
  if (!existsSync(motoServer) || !existsSync(python)) {
    throw new Error(`moto is not installed: ${relative(process.cwd(), motoServer) || motoServer} is missing. Run make setup (it installs requirements-dev.txt into .venv).`);
  }
  installExitHooks();
  // A free port can be taken between findFreePort() and moto binding it; try a fresh one then.
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt += 1) {
    const port = options.port ?? (await findFreePort());
    try {
      return await launch(python, port, options.log ?? join(LOCAL_DIR, 'logs', `moto-${port}.log`));
    } catch (error) {
      if (!(error instanceof EarlyExitError) || attempt >= attempts) throw error;
    }
  }
}

class EarlyExitError extends Error {}

/**
 * Spawns `command` so that it never outlives this process: through the PR_SET_PDEATHSIG wrapper
 * (the project's .venv python) and the exit hooks. For every long-running helper process of local
 * mode (moto, the data plane's php -S instances).
 */
export function spawnTiedToThisProcess(command: string, args: string[], options: SpawnOptions): ChildProcess {
  installExitHooks();
  const python = join(VENV_BIN, 'python3');
  // Without .venv (a contract test on a machine that never ran make setup) the exit hooks are the only guard.
  const child = existsSync(python) ? spawn(python, ['-c', PARENT_DEATH_WRAPPER, command, ...args], options) : spawn(command, args, options);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function launch(python: string, port: number, logFile: string): Promise<MotoServer> {
  const endpoint = `http://127.0.0.1:${port}`;
  mkdirSync(dirname(logFile), { recursive: true });
  const logFd = openSync(logFile, 'w');
  const child = spawnTiedToThisProcess(python, [PATCHED_SERVER, '-H', '127.0.0.1', '-p', String(port)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', logFd, logFd],
    // AMI validation makes a bad AMI id fail as on AWS (docs/moto.md).
    env: { ...process.env, MOTO_ENABLE_AMI_VALIDATION: 'true' },
  });
  closeSync(logFd);
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolveExit) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      exited = signal ? `signal ${signal}` : `exit code ${code}`;
      resolveExit();
    });
  });

  const logTail = () => readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n    ');
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      throw new EarlyExitError(`moto_server exited (${exited}) before answering on ${endpoint}. Its log, ${logFile}:\n    ${logTail()}`);
    }
    if (await answers(`${endpoint}/moto-api/`)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint}/moto-api/ within ${STARTUP_TIMEOUT_MS / 1000} s. See ${logFile}; run make setup if .venv is stale.`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    endpoint,
    port,
    logFile,
    reset: () => resetMoto(endpoint),
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}

/** Makes moto forget every resource in every region and account (POST /moto-api/reset). */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`moto reset on ${endpoint} answered HTTP ${response.status}.`);
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}
