/**
 * Bad command lines end with a message that says what and how to fix, exit code 2, and no AWS
 * call: the endpoint below refuses every connection, so a call would fail differently.
 */
import { REPO_ROOT } from '../../../local/env';
import { runCli } from '../../../tools/bootstrap/cli';

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  const code = await runCli({
    argv,
    env: { ...env },
    cwd: REPO_ROOT,
    write: (line) => lines.push(line),
    isTty: false,
  });
  return { code, output: lines.join('\n') };
}

const saved = { ...process.env };
beforeAll(() => {
  // Any AWS call would go to a closed port and fail as a connection error, not as an input error.
  Object.assign(process.env, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1' });
});
afterAll(() => {
  process.env = saved;
});

describe('the bootstrap command line', () => {
  it.each([
    [['deploy'], 'error: Unknown command "deploy": use bootstrap, doctor or teardown.'],
    [['bootstrap'], 'error: No environment given for bootstrap: pass --env <name> (one of dev, prod) or --all.'],
    [['doctor', '--env', 'staging'], 'error: parameters/environments.json:1: Unknown environment "staging" for parameters/environments.json: the environments are dev, prod.'],
    [['teardown', '--all'], 'error: teardown takes one --env at a time, never --all: name the environment to delete.'],
    [['bootstrap', '--env', 'dev', '--repo', 'not a repo'], 'error: GitHub repository invalid for bootstrap: "not a repo" is not owner/name.'],
    [['bootstrap', '--env', 'dev', '--repo', 'a/b', '--app-id', '12'], 'error: GitHub App options invalid: pass both --app-id <numeric App ID> and --app-key-file'],
  ])('%j → exit 2 with the fix', async (argv, message) => {
    const run = await cli(argv);
    expect(run.output).toContain(message);
    expect(run.code).toBe(2);
  });

  it('refuses an unknown flag by name', async () => {
    const run = await cli(['bootstrap', '--env', 'dev', '--yess']);
    expect(run.output).toMatch(/^error: Arguments invalid: Unknown option '--yess'/);
    expect(run.code).toBe(2);
  });
});
