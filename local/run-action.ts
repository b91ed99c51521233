/**
 * Runs a bundled action (`actions/<name>/dist/index.js`) the way a GitHub runner does: inputs as
 * INPUT_* environment variables, outputs and the job summary through the files named by
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, failure as a non-zero exit code, on the Node version
 * `runs.using` names (local/action-node.ts). The integration tests
 * and the local cycle use it, so what they exercise is the very file a workflow runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type ActionFile, parseActionFile, readActionFile, refuseUndeclaredInputs } from './action-file';
import { actionNodeFor } from './action-node';
import { REPO_ROOT } from './env';

export interface ActionRun {
  exitCode: number;
  outputs: Record<string, string>;
  /** The job summary the action wrote (markdown). */
  summary: string;
  stdout: string;
  stderr: string;
  /** `::error::`, `::warning::` and `::notice::` workflow commands the action printed. */
  annotations: Annotation[];
  durationMs: number;
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  properties: Record<string, string>;
}

export interface RunOptions {
  /** Kill the action after this long (default 5 minutes) and report exit code 124, as `timeout` does. */
  timeoutMs?: number;
  /** Called with each line of stdout as it arrives (the local cycle shows progress with it). */
  onLine?: (line: string) => void;
}

/** The variable a runner sets for input `name`: `INPUT_` + upper case, spaces → `_`, hyphens kept. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/**
 * Parses a GITHUB_OUTPUT (or GITHUB_ENV) file: `name=value` lines and the multiline form
 * `name<<DELIMITER` … `DELIMITER` that @actions/core writes for every output.
 */
export function parseCommandFile(content: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = content.split(/\r?\n/);
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const end = lines.indexOf(delimiter, i + 1);
      if (end < 0) throw new Error(`Output file: "${name}<<${delimiter}" is never closed by a "${delimiter}" line`);
      result[name] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`Output file: line ${i + 1} is neither name=value nor name<<DELIMITER: ${line}`);
    result[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return result;
}

/** Workflow commands `::error file=x,line=1::message` in an action's stdout, decoded as the runner does. */
export function parseAnnotations(stdout: string): Annotation[] {
  const unescape = (text: string) => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
  const annotations: Annotation[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^::(error|warning|notice)( [^:]*)?::(.*)$/.exec(line);
    if (!match) continue;
    const properties: Record<string, string> = {};
    for (const pair of (match[2] ?? '').trim().split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq > 0) properties[pair.slice(0, eq)] = unescape(pair.slice(eq + 1));
    }
    annotations.push({ level: match[1] as Annotation['level'], message: unescape(match[3]), properties });
  }
  return annotations;
}

/**
 * The inputs a runner fills in from action.yml when the workflow does not set them: every input
 * with a `default`. Of the expressions a default may hold, `${{ github.token }}` is the only one
 * used here; it becomes GITHUB_TOKEN from `env` (empty when unset, as with no token).
 */
export function actionInputDefaults(actionYml: string | ActionFile, env: Record<string, string | undefined>): Record<string, string> {
  const action = typeof actionYml === 'string' ? parseActionFile(actionYml) : actionYml;
  const defaults: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs)) {
    if (input?.default === undefined || input.default === null) continue;
    const value = String(input.default);
    if (/^\$\{\{\s*github\.token\s*\}\}$/.test(value)) defaults[name] = env.GITHUB_TOKEN ?? '';
    else if (value.includes('${{')) throw new Error(`action.yml input ${name}: default ${value} is an expression runBundledAction cannot evaluate`);
    else defaults[name] = value;
  }
  return defaults;
}

/** The runtime action.yml names (`runs.using`, e.g. node24): the one a runner starts the bundle with. */
export function actionRunsUsing(actionYml: string | ActionFile): string {
  const action = typeof actionYml === 'string' ? parseActionFile(actionYml) : actionYml;
  if (typeof action.runs?.using !== 'string') throw new Error('action.yml has no runs.using: a runner would not know what to run the action on');
  return action.runs.using;
}

/** The repository every local run says it runs in (GITHUB_REPOSITORY); the GitHub API stand-in serves it. */
export const LOCAL_GITHUB_REPOSITORY = 'local/ami-patch-gitops';
/** GITHUB_SERVER_URL of local runs: .invalid never resolves (RFC 2606), so links an action writes are visibly not GitHub's. */
export const LOCAL_GITHUB_SERVER_URL = 'https://github.invalid';

/** Each run gets its own run id, as on GitHub (build-ami derives its client token from it). */
let runCounter = 0;
function nextRunId(): string {
  runCounter += 1;
  return String(Date.now() * 1000 + (runCounter % 1000));
}

function headCommit(workspace: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: workspace, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/**
 * Runs `actions/<name>/dist/index.js` on the Node that action.yml's `runs.using` names (the pinned
 * binary `make setup` installs, local/action-node.ts; not the Node running this) with `inputs` (plus action.yml's defaults for the
 * inputs not given, as the runner adds them) and returns what a workflow would see.
 * `env` overrides everything (a value of `undefined` removes a variable); the action also inherits
 * this process's environment minus any INPUT_* variables, plus the GITHUB_* variables a runner sets,
 * with sensible local defaults. The working directory is GITHUB_WORKSPACE (default: the repository).
 */
export async function runBundledAction(
  name: string,
  inputs: Record<string, string>,
  env: Record<string, string | undefined> = {},
  options: RunOptions = {},
): Promise<ActionRun> {
  const bundle = join(REPO_ROOT, 'actions', name, 'dist', 'index.js');
  if (!existsSync(bundle)) throw new Error(`No bundle for action ${name}: ${bundle} is missing. Run npm run build -- ${name}.`);
  const action = readActionFile(name);
  // Before anything runs: an input the action does not declare never reaches it (a runner only warns).
  refuseUndeclaredInputs(action, Object.keys(inputs), `runBundledAction('${name}')`);

  const scratch = mkdtempSync(join(tmpdir(), `action-${name}-`));
  const files = { output: join(scratch, 'output'), summary: join(scratch, 'summary.md'), env: join(scratch, 'env'), path: join(scratch, 'path'), state: join(scratch, 'state'), event: join(scratch, 'event.json') };
  for (const file of [files.output, files.summary, files.env, files.path, files.state]) writeFileSync(file, '');
  writeFileSync(files.event, '{}');
  const workspace = env.GITHUB_WORKSPACE ?? REPO_ROOT;

  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('INPUT_')));
  const runner: Record<string, string | undefined> = {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTION: name,
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: LOCAL_GITHUB_REPOSITORY,
    GITHUB_REPOSITORY_OWNER: LOCAL_GITHUB_REPOSITORY.split('/')[0],
    GITHUB_RUN_ID: nextRunId(),
    GITHUB_RUN_NUMBER: String(runCounter),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: headCommit(workspace) ?? '0000000000000000000000000000000000000000',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_EVENT_PATH: files.event,
    GITHUB_WORKFLOW: 'local',
    GITHUB_JOB: 'local',
    GITHUB_ACTOR: 'local',
    // A stray API call fails at once instead of reaching github.com with a made-up token; the cycle
    // points GITHUB_API_URL at the GitHub API stand-in (local/github-standin/).
    GITHUB_SERVER_URL: LOCAL_GITHUB_SERVER_URL,
    GITHUB_API_URL: 'https://api.github.invalid',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STATE: files.state,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: scratch,
    RUNNER_DEBUG: undefined,
  };
  const node = actionNodeFor(actionRunsUsing(action));
  const defaults = actionInputDefaults(action, { ...process.env, ...env });
  const inputVars = Object.fromEntries(Object.entries({ ...defaults, ...inputs }).map(([key, value]) => [inputEnvName(key), value]));
  const merged: Record<string, string | undefined> = { ...inherited, ...runner, ...inputVars, ...env };
  const childEnv = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));

  const started = Date.now();
  try {
    const { exitCode, stdout, stderr } = await new Promise<{ exitCode: number; stdout: string; stderr: string }>((resolveRun, reject) => {
      const child = spawn(node.path, [bundle], { cwd: workspace, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let partial = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (!options.onLine) return;
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) options.onLine(line);
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, options.timeoutMs ?? 5 * 60_000);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        if (partial && options.onLine) options.onLine(partial);
        resolveRun({ exitCode: timedOut ? 124 : (code ?? 1), stdout, stderr });
      });
    });
    return {
      exitCode,
      outputs: parseCommandFile(readFileSync(files.output, 'utf8')),
      summary: readFileSync(files.summary, 'utf8'),
      stdout,
      stderr,
      annotations: parseAnnotations(stdout),
      durationMs: Date.now() - started,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
