/**
 * A real, throw-away git repository for the git-history tests: created with the git binary, filled
 * with parameters files and commits the way the workflows make them, removed after the test.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { GitRepository } from '../../../../actions/lib/gitops/git';

/** Keeps the fixture independent of the machine's git config (identity, signing, hooks). */
const ISOLATED_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.com',
};

export interface GitFixture {
  dir: string;
  repo: GitRepository;
  git(...args: string[]): string;
  write(path: string, content: string): void;
  /** Writes the files and commits them; returns the new commit ID. */
  commit(message: string, files: Record<string, string>): string;
  remove(): void;
}

/** `{ "Parameters": { … }, "Tags": { … } }`, one key per line, as the repository keeps them. */
export function parametersJson(ami: string, extra: Record<string, string> = {}): string {
  const params = { NetworkStackName: 'patch-dev-network', AmazonMachineImage: ami, InstanceType: 't3.micro', ...extra };
  const lines = Object.entries(params).map(([k, v]) => `    "${k}": "${v}"`);
  return `{\n  "Parameters": {\n${lines.join(',\n')}\n  },\n  "Tags": {\n    "Environment": "dev"\n  }\n}\n`;
}

/** A new repository, or (with `cloneFrom`) a clone of one: `bare` for a stand-in GitHub remote. */
export function createGitFixture(options: { bare?: boolean; cloneFrom?: string } = {}): GitFixture {
  const dir = mkdtempSync(join(tmpdir(), 'gitops-test-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: ISOLATED_ENV, encoding: 'utf8' });
  const bare = options.bare ? ['--bare'] : [];
  if (options.cloneFrom) git('clone', '--quiet', ...bare, options.cloneFrom, '.');
  else git('init', '--quiet', '--initial-branch=main', ...bare);
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
  return {
    dir,
    repo: new GitRepository(dir, ISOLATED_ENV),
    git,
    write,
    commit(message, files) {
      for (const [path, content] of Object.entries(files)) write(path, content);
      git('add', '--all');
      git('commit', '--quiet', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD').trim();
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** One environment of parameters/environments.json, named the way the repository names them. */
export function wiringEntry(name: string) {
  return {
    region: 'us-east-1',
    parametersFile: `parameters/${name}.json`,
    appTemplate: 'templates/app.yaml',
    stacks: { network: `patch-${name}-network`, app: `patch-${name}-app`, imagePipeline: `patch-${name}-image-pipeline`, automation: `patch-${name}-automation` },
    verify: { path: '/details.json', watchSeconds: 60, maxErrorRate: 0 },
  };
}

/** A wiring file with dev then prod, as the repository ships it (the files it names must exist). */
export const WIRING_JSON = JSON.stringify({ promotionOrder: ['dev', 'prod'], environments: { dev: wiringEntry('dev'), prod: wiringEntry('prod') } }, null, 2);

/** Same isolation for clones made inside a test. */
export function isolatedGitEnv(): NodeJS.ProcessEnv {
  return { ...ISOLATED_ENV };
}

/**
 * The layout the command tests start from: the wiring, dev and prod on AMI `ami(1)`, then dev
 * bumped to `ami(2)` and `ami(3)`, one commit each.
 */
export function commitDevHistory(seed: GitFixture, ami: (n: number) => string): void {
  seed.commit('Initial layout', {
    'parameters/environments.json': WIRING_JSON,
    'parameters/dev.json': parametersJson(ami(1)),
    'parameters/prod.json': parametersJson(ami(1)),
    'templates/app.yaml': 'Resources: {}\n',
  });
  seed.commit('Bump dev to 2', { 'parameters/dev.json': parametersJson(ami(2)) });
  seed.commit('Bump dev to 3', { 'parameters/dev.json': parametersJson(ami(3)) });
}
