/**
 * The command line of bootstrap, doctor and teardown (npm run bootstrap|doctor|teardown -- …):
 * parses arguments, builds the clients from the user's own credentials, asks on the terminal, and
 * turns errors into a message and an exit code. Everything else is in the modules it calls.
 *
 *   npm run bootstrap -- --env dev [--repo owner/name] [--yes] [--github] [--runbook] [--dispatch]
 *   npm run doctor -- --env dev [--github]
 *   npm run teardown -- --env dev [--yes] [--force]
 */
import { execFileSync } from 'node:child_process';
import { relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';

import { systemClock } from '../../actions/lib/clock';
import { errorMessage, InputError } from '../../actions/lib/errors';
import { createStreamLogger, type Logger } from '../../actions/lib/logger';
import { ENVIRONMENTS_FILE, getEnvironment, loadEnvironments, loadParametersFile, type EnvironmentsConfig } from '../../actions/lib/parameters';
import { bootstrapEnvironment } from './bootstrap';
import { createSetupClients, destroySetupClients } from './clients';
import { DISPATCH_TOKEN_VARIABLE } from './dispatch-token';
import { renderChecks, runDoctor } from './doctor';
import { createGhRunner } from './github-cli';
import { readRepositoryFiles } from './inputs';
import { teardownEnvironment } from './teardown';

const COMMANDS = ['bootstrap', 'doctor', 'teardown'] as const;
type Command = (typeof COMMANDS)[number];

const OPTIONS = {
  env: { type: 'string', multiple: true },
  all: { type: 'boolean', default: false },
  repo: { type: 'string' },
  branch: { type: 'string', default: 'main' },
  yes: { type: 'boolean', default: false },
  github: { type: 'boolean', default: false },
  runbook: { type: 'boolean', default: false },
  dispatch: { type: 'boolean', default: false },
  reviewers: { type: 'string' },
  'app-id': { type: 'string' },
  'app-key-file': { type: 'string' },
  force: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

const USAGE = `Usage:
  npm run bootstrap -- --env <name> | --all  [--repo owner/name] [--yes] [--github] [--runbook] [--dispatch]
                       [--reviewers login,…] [--app-id <id> --app-key-file <pem>] [--branch main]
  npm run doctor -- --env <name> | --all  [--repo owner/name] [--github]
  npm run teardown -- --env <name>  [--yes] [--force]
Credentials: your own (AWS_PROFILE, or the usual AWS_* variables), as an administrator of the account.
--dispatch reads the GitHub token for the event path from ${DISPATCH_TOKEN_VARIABLE} (never printed).`;

export interface CliIo {
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  write: (line: string) => void;
  isTty: boolean;
  ask?: (question: string) => Promise<string>;
}

/** Runs one command; resolves the process exit code (0 ok, 1 failed, 2 bad input). */
export async function runCli(io: CliIo): Promise<number> {
  const logger = createStreamLogger(io.write);
  try {
    const [command, ...rest] = io.argv;
    if (!COMMANDS.includes(command as Command)) throw new InputError(`Unknown command ${JSON.stringify(command ?? '')}: use bootstrap, doctor or teardown.\n${USAGE}`);
    const { values } = parseArguments(rest);
    if (values.help) {
      io.write(USAGE);
      return 0;
    }
    const repoDir = io.cwd;
    // Relative, so messages name parameters/environments.json as a user sees it.
    const wiring = await loadEnvironments(relative(process.cwd(), resolve(repoDir, ENVIRONMENTS_FILE)) || ENVIRONMENTS_FILE, { rootDir: repoDir });
    const environments = selectEnvironments(wiring, values.env ?? [], values.all, command as Command);
    const repository = command === 'teardown' ? '' : (values.repo ?? repositoryFromGit(repoDir));
    const confirm = async (question: string): Promise<boolean> => {
      if (!io.isTty || !io.ask) throw new InputError(`Confirmation needed for "${question}", but standard input is not a terminal: re-run with --yes to apply without asking. Nothing was changed.`);
      return /^y(es)?$/i.test((await io.ask(`${question} [y/N] `)).trim());
    };
    let exitCode = 0;
    for (const name of environments) {
      const environment = getEnvironment(wiring, name);
      const rerun = `npm run ${command} -- --env ${name}`;
      const clients = createSetupClients(environment.region);
      const deps = { clients, logger, clock: systemClock };
      try {
        if (command === 'bootstrap') {
          const files = await readRepositoryFiles(repoDir, environment, repository, ENVIRONMENTS_FILE);
          await bootstrapEnvironment(
            {
              environment,
              wiring,
              repository,
              files,
              include: { automation: values.runbook, githubDispatch: values.dispatch },
              dispatchToken: io.env[DISPATCH_TOKEN_VARIABLE] || undefined,
              rerun: `${rerun}${values.dispatch ? ' --dispatch' : ''}${values.runbook ? ' --runbook' : ''}`,
              runId: String(Math.floor(Date.now() / 1000)),
              yes: values.yes,
              github: values.github,
              reviewers: (values.reviewers ?? '').split(',').map((r) => r.trim()).filter(Boolean),
              defaultBranch: values.branch,
              app: appOption(values['app-id'], values['app-key-file']),
            },
            { ...deps, confirm, gh: createGhRunner(io.env) },
          );
        } else if (command === 'doctor') {
          const parametersFile = await loadParametersFile(resolve(repoDir, environment.parametersFile));
          const checks = await runDoctor(
            { environment, wiring, repository, parametersFile, defaultBranch: values.branch, gh: values.github ? createGhRunner(io.env) : undefined, bootstrapCommand: `npm run bootstrap -- --env ${name}` },
            deps,
          );
          io.write(`doctor ${name}:`);
          for (const line of renderChecks(checks)) io.write(`  ${line}`);
          const failed = checks.filter((c) => c.status === 'fail').length;
          io.write(failed ? `${failed} check(s) failed.` : `All checks passed (${checks.filter((c) => c.status === 'ok').length}).`);
          if (failed) exitCode = 1;
        } else {
          await teardownEnvironment({ environment, wiring, force: values.force, yes: values.yes, rerun }, { ...deps, confirm });
        }
      } finally {
        destroySetupClients(clients);
      }
    }
    return exitCode;
  } catch (error) {
    return reportError(error, logger);
  }
}

function parseArguments(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  } catch (error) {
    // node:util's errors carry the option's name in their message (ERR_PARSE_ARGS_*).
    throw new InputError(`Arguments invalid: ${(error as { message?: string }).message ?? String(error)}\n${USAGE}`);
  }
}

function selectEnvironments(wiring: EnvironmentsConfig, names: string[], all: boolean, command: Command): string[] {
  if (all && command === 'teardown') throw new InputError('teardown takes one --env at a time, never --all: name the environment to delete.');
  if (all) return [...wiring.promotionOrder];
  if (names.length === 0) throw new InputError(`No environment given for ${command}: pass --env <name> (one of ${wiring.promotionOrder.join(', ')})${command === 'teardown' ? '' : ' or --all'}.`);
  return names.flatMap((n) => n.split(',')).map((n) => getEnvironment(wiring, n.trim()).name);
}

function appOption(id: string | undefined, keyFile: string | undefined): { id: string; keyFile: string } | undefined {
  if (!id && !keyFile) return undefined;
  if (!id || !keyFile || !/^\d+$/.test(id)) throw new InputError('GitHub App options invalid: pass both --app-id <numeric App ID> and --app-key-file <path to its private key .pem>, or neither.');
  return { id, keyFile };
}

/** owner/name of the origin remote on github.com; the --repo flag wins. */
export function repositoryFromGit(repoDir: string): string {
  let url = '';
  try {
    url = execFileSync('git', ['-C', repoDir, 'remote', 'get-url', 'origin'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // no origin: reported below
  }
  const match = /github\.com[:/]([^/]+\/[^/]+?)(?:\.git)?$/.exec(url);
  if (!match) throw new InputError(`GitHub repository unknown: the origin remote (${url || 'none'}) is not on github.com. Pass --repo <owner>/<name>.`);
  return match[1];
}

function reportError(error: unknown, logger: Logger): number {
  if (error instanceof InputError) {
    logger.error(error.message, error.location);
    return 2;
  }
  if (error instanceof Error && (error.name === 'AwsOperationError' || error.name === 'PollTimeoutError')) {
    logger.error(error.message);
    return 1;
  }
  // Anything else is a bug, or an AWS error nobody expected: say what it was.
  logger.error(`Unexpected error: ${errorMessage(error)}${error instanceof Error && error.stack ? `\n${error.stack}` : ''}`);
  return 1;
}

if (require.main === module) {
  const readline = process.stdin.isTTY ? createInterface({ input: process.stdin, output: process.stdout }) : undefined;
  void runCli({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    write: (line) => process.stdout.write(`${line}\n`),
    isTty: Boolean(process.stdin.isTTY),
    ask: readline ? (q) => readline.question(q) : undefined,
  }).then((code) => {
    readline?.close();
    process.exitCode = code;
  });
}
