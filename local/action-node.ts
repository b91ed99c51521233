/**
 * The Node.js binary that runs the bundled actions locally: the version GitHub's runners use for
 * the `runs.using: node24` of every action.yml, not whatever Node runs jest or the cycle. `make
 * setup` installs it from npm (the official binary, packaged per platform as `node-<os>-<cpu>`,
 * no install script) into `.local/action-node/<version>/`; the version is pinned in
 * tools/versions.env as ACTION_NODE_VERSION. ACTION_NODE=/path/to/node overrides the binary (a
 * platform npm has no package for) as long as it is the same major version.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { REPO_ROOT } from './env';

export const VERSIONS_FILE = 'tools/versions.env';
export const OVERRIDE_ENV = 'ACTION_NODE';

export interface ActionNode {
  /** Absolute path of the binary. */
  path: string;
  /** What the binary reports, e.g. v24.22.3. */
  version: string;
}

export interface ActionNodeInputs {
  /** An action.yml's `runs.using`, e.g. node24. */
  using: string;
  /** The contents of tools/versions.env. */
  versionsEnv: string;
  repoRoot: string;
  /** The value of ACTION_NODE, if set. */
  override?: string;
}

export interface ActionNodeDeps {
  exists(path: string): boolean;
  /** Runs `<path> --version`. */
  versionOf(path: string): string;
}

/** Where `make setup` puts the pinned binary (node_modules/.bin/node is npm's link to it, on every platform). */
export function installedActionNodePath(repoRoot: string, version: string): string {
  return join(repoRoot, '.local', 'action-node', version, 'node_modules', '.bin', 'node');
}

/** ACTION_NODE_VERSION from tools/versions.env (KEY=value lines, # comments). */
export function readPinnedVersion(versionsEnv: string): string {
  const line = versionsEnv.split(/\r?\n/).find((l) => /^ACTION_NODE_VERSION=/.test(l.trim()));
  const version = line?.trim().slice('ACTION_NODE_VERSION='.length).trim();
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(`${VERSIONS_FILE} has no ACTION_NODE_VERSION=<major>.<minor>.<patch> line: pin the Node version the actions run on there (e.g. ACTION_NODE_VERSION=24.22.3).`);
  }
  return version;
}

const major = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1]);

/**
 * The binary to run an action whose action.yml says `runs.using: <using>`. Refuses, with what to
 * do, a pin whose major version is not the one action.yml names, a missing binary and a binary
 * that is not the version it should be: running the bundles on another Node would test something
 * GitHub does not run.
 */
export function resolveActionNode(inputs: ActionNodeInputs, deps: ActionNodeDeps): ActionNode {
  const declared = /^node(\d+)$/.exec(inputs.using)?.[1];
  if (!declared) throw new Error(`runs.using is ${JSON.stringify(inputs.using)}: only nodeNN actions can be run locally.`);
  const pinned = readPinnedVersion(inputs.versionsEnv);
  if (major(pinned) !== Number(declared)) {
    throw new Error(
      `The action runs on ${inputs.using} (action.yml runs.using) but ${VERSIONS_FILE} pins ACTION_NODE_VERSION=${pinned}: ` +
        `pin a ${declared}.x version there and run make setup, so the tests run the Node GitHub runs.`,
    );
  }

  if (inputs.override) {
    if (!deps.exists(inputs.override)) throw new Error(`${OVERRIDE_ENV}=${inputs.override}: no such file. Point it at a Node ${declared}.x binary, or unset it to use the one make setup installs.`);
    const version = deps.versionOf(inputs.override);
    if (major(version) !== Number(declared)) {
      throw new Error(`${OVERRIDE_ENV}=${inputs.override} is Node ${version}, but the actions run on ${inputs.using}: point it at a Node ${declared}.x binary, or unset it.`);
    }
    return { path: inputs.override, version };
  }

  const path = installedActionNodePath(inputs.repoRoot, pinned);
  if (!deps.exists(path)) {
    throw new Error(
      `Node ${pinned}, which runs the bundled actions (${inputs.using}, pinned in ${VERSIONS_FILE}), is not installed at ${path}. ` +
        `Run make setup (it installs the npm package node-<os>-<cpu>@${pinned}), or set ${OVERRIDE_ENV} to a Node ${declared}.x binary.`,
    );
  }
  const version = deps.versionOf(path);
  if (version !== `v${pinned}`) {
    throw new Error(`${path} reports Node ${version}, not the pinned v${pinned}: delete .local/action-node and run make setup again.`);
  }
  return { path, version };
}

const resolved = new Map<string, ActionNode>();

/** resolveActionNode on this repository and this process's environment; asks each binary its version once. */
export function actionNodeFor(using: string): ActionNode {
  const override = process.env[OVERRIDE_ENV] || undefined;
  const key = `${using}\0${override ?? ''}`;
  const cached = resolved.get(key);
  if (cached) return cached;
  const node = resolveActionNode(
    { using, versionsEnv: readFileSync(join(REPO_ROOT, VERSIONS_FILE), 'utf8'), repoRoot: REPO_ROOT, override },
    {
      exists: existsSync,
      versionOf: (path) => execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim(),
    },
  );
  resolved.set(key, node);
  return node;
}
