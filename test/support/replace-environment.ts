/**
 * The shipped dev environment runs strategy slots (parameters/environments.json: templates/app-slots.yaml,
 * parameters/dev.json in the slots shape). Suites about strategy replace (templates/app.yaml, one
 * AmazonMachineImage line) deploy dev as a replace environment instead: this repository's replace
 * example (test/fixtures/replace/dev.json, the file dev shipped with before it moved to slots) and
 * the shipped wiring with dev pointed at templates/app.yaml. Everything else in the wiring (stack
 * names, verify settings, amiOwners, prod) stays as shipped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** This repository (test/support/ is two levels down). */
const REPO_ROOT = join(__dirname, '../..');

export const REPLACE_TEMPLATE = 'templates/app.yaml';
export const REPLACE_DEV_EXAMPLE = 'test/fixtures/replace/dev.json';

/** dev's parameters in the replace shape, with `ami` on its AmazonMachineImage line when given (a patch PR's one-line diff). */
export function replaceDevParameters(ami?: string): string {
  const text = readFileSync(join(REPO_ROOT, REPLACE_DEV_EXAMPLE), 'utf8');
  return ami ? text.replace(/("AmazonMachineImage": )"ami-[0-9a-f]+"/, `$1"${ami}"`) : text;
}

/** The shipped wiring as an object, with dev on strategy replace. */
export function replaceWiringObject(): { environments: Record<string, Record<string, unknown>> } & Record<string, unknown> {
  const wiring = JSON.parse(readFileSync(join(REPO_ROOT, 'parameters/environments.json'), 'utf8')) as { environments: Record<string, Record<string, unknown>> };
  wiring.environments.dev = { ...wiring.environments.dev, appTemplate: REPLACE_TEMPLATE, strategy: 'replace' };
  return wiring;
}

/** The shipped parameters/environments.json with dev on strategy replace, as file text. */
export function replaceWiring(): string {
  return `${JSON.stringify(replaceWiringObject(), null, 2)}\n`;
}
