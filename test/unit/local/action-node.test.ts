import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { installedActionNodePath, readPinnedVersion, resolveActionNode, type ActionNodeDeps } from '../../../local/action-node';
import { REPO_ROOT } from '../../../local/env';
import { actionRunsUsing } from '../../../local/run-action';

const VERSIONS = 'ACTIONLINT_VERSION=v1.7.12\n# the Node the bundles run on\nACTION_NODE_VERSION=24.22.3\n';
const ROOT = '/repo';
const INSTALLED = installedActionNodePath(ROOT, '24.22.3');

/** A file system holding `files`, each binary answering --version with its value. */
function machine(files: Record<string, string>): ActionNodeDeps & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    exists: (path) => path in files,
    versionOf: (path) => {
      asked.push(path);
      return files[path];
    },
  };
}

describe('readPinnedVersion (tools/versions.env)', () => {
  it('reads ACTION_NODE_VERSION among the other pins', () => {
    expect(readPinnedVersion(VERSIONS)).toBe('24.22.3');
  });

  it.each([[''], ['ACTION_NODE_VERSION=24\n'], ['ACTION_NODE_VERSION=latest\n'], ['# ACTION_NODE_VERSION=24.22.3\n']])('refuses %j, saying what to pin', (text) => {
    expect(() => readPinnedVersion(text)).toThrow(/tools\/versions\.env has no ACTION_NODE_VERSION=<major>\.<minor>\.<patch> line/);
  });

  it('the repository pins a version of the major every action.yml runs on', () => {
    const pinned = readPinnedVersion(readFileSync(join(REPO_ROOT, 'tools/versions.env'), 'utf8'));
    for (const action of ['build-ami', 'update-app-stack', 'verify-alb', 'gitops']) {
      const using = actionRunsUsing(readFileSync(join(REPO_ROOT, 'actions', action, 'action.yml'), 'utf8'));
      expect(`node${pinned.split('.')[0]}`).toBe(using);
    }
  });
});

describe('resolveActionNode', () => {
  const inputs = { using: 'node24', versionsEnv: VERSIONS, repoRoot: ROOT };

  it('runs the binary make setup installed for the pinned version, after asking it its version', () => {
    const deps = machine({ [INSTALLED]: 'v24.22.3' });
    expect(resolveActionNode(inputs, deps)).toEqual({ path: INSTALLED, version: 'v24.22.3' });
    expect(INSTALLED).toBe('/repo/.local/action-node/24.22.3/node_modules/.bin/node');
    expect(deps.asked).toEqual([INSTALLED]);
  });

  it('says what to run when the binary is missing, rather than falling back to the Node running the tests', () => {
    expect(() => resolveActionNode(inputs, machine({}))).toThrow(
      `Node 24.22.3, which runs the bundled actions (node24, pinned in tools/versions.env), is not installed at ${INSTALLED}. Run make setup (it installs the npm package node-<os>-<cpu>@24.22.3), or set ACTION_NODE to a Node 24.x binary.`,
    );
  });

  it('refuses an installed binary that is not the pinned version', () => {
    expect(() => resolveActionNode(inputs, machine({ [INSTALLED]: 'v24.1.0' }))).toThrow(`${INSTALLED} reports Node v24.1.0, not the pinned v24.22.3: delete .local/action-node and run make setup again.`);
  });

  it('refuses a pin of another major version than action.yml names', () => {
    expect(() => resolveActionNode({ ...inputs, using: 'node26' }, machine({ [INSTALLED]: 'v24.22.3' }))).toThrow(
      'The action runs on node26 (action.yml runs.using) but tools/versions.env pins ACTION_NODE_VERSION=24.22.3: pin a 26.x version there and run make setup',
    );
  });

  it('refuses a runs.using that is not a Node runtime', () => {
    expect(() => resolveActionNode({ ...inputs, using: 'composite' }, machine({}))).toThrow('runs.using is "composite": only nodeNN actions can be run locally.');
  });

  it('takes ACTION_NODE when it is the same major version, and refuses it otherwise', () => {
    expect(resolveActionNode({ ...inputs, override: '/opt/node/bin/node' }, machine({ '/opt/node/bin/node': 'v24.0.1' }))).toEqual({ path: '/opt/node/bin/node', version: 'v24.0.1' });
    expect(() => resolveActionNode({ ...inputs, override: '/usr/bin/node' }, machine({ '/usr/bin/node': 'v20.20.2' }))).toThrow(
      'ACTION_NODE=/usr/bin/node is Node v20.20.2, but the actions run on node24: point it at a Node 24.x binary, or unset it.',
    );
    expect(() => resolveActionNode({ ...inputs, override: '/nowhere/node' }, machine({}))).toThrow('ACTION_NODE=/nowhere/node: no such file.');
  });
});

describe('actionRunsUsing', () => {
  it('reads runs.using, and refuses an action.yml without it', () => {
    expect(actionRunsUsing('name: x\nruns:\n  using: node24\n  main: dist/index.js\n')).toBe('node24');
    expect(() => actionRunsUsing('name: x\n')).toThrow('action.yml has no runs.using');
  });
});
