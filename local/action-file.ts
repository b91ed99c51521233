/**
 * The one reader of an action's metadata file (`actions/<name>/action.yml`) for the local runner
 * (run-action.ts) and the tests that wire workflows to actions: what it declares as inputs (with
 * their defaults) and outputs, and the runtime it runs on. A runner reads the same file to fill in
 * defaults and to warn about an input the action does not declare.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse as parseYaml } from 'yaml';

import { REPO_ROOT } from './env';

export interface ActionFile {
  /** Where it came from, for messages: "actions/verify-alb/action.yml". */
  path: string;
  inputs: Record<string, { default?: unknown } | null>;
  outputs: Record<string, unknown>;
  runs?: { using?: unknown };
}

/** action.yml's text as an ActionFile; `path` names it in messages. */
export function parseActionFile(text: string, path = 'action.yml'): ActionFile {
  const parsed = (parseYaml(text) ?? {}) as { inputs?: ActionFile['inputs']; outputs?: ActionFile['outputs']; runs?: ActionFile['runs'] };
  return { path, inputs: parsed.inputs ?? {}, outputs: parsed.outputs ?? {}, runs: parsed.runs };
}

/** `actions/<name>/action.yml` of this repository. */
export function readActionFile(name: string): ActionFile {
  const path = `actions/${name}/action.yml`;
  return parseActionFile(readFileSync(join(REPO_ROOT, path), 'utf8'), path);
}

/**
 * Throws naming the first of `names` the action does not declare as an input. GitHub only warns
 * ("Unexpected input(s)") and the action never sees the value, so a caller passing it believes it
 * set something it did not: in a test, an input an older action.yml had goes on "passing".
 */
export function refuseUndeclaredInputs(action: ActionFile, names: Iterable<string>, caller: string): void {
  for (const name of names) {
    if (Object.hasOwn(action.inputs, name)) continue;
    throw new Error(`${caller} passes the input "${name}", which ${action.path} does not declare (it declares: ${Object.keys(action.inputs).join(', ') || 'none'}). Use the action's input names.`);
  }
}
