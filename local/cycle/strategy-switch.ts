/**
 * `npm run cycle -- --strategy slots`: the cycle's environment moves to strategy `slots` before
 * anything is deployed, as a team would do it: one commit on main that points the environment's
 * wiring at templates/app-slots.yaml with `"strategy": "slots"` and puts its parameters file in the
 * slots shape (docs/parameters.md, "The slots shape"). The file is the repository's slots example,
 * test/fixtures/slots/dev.json (validated against the template by the unit tests), with the
 * environment's own network stack name.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { getEnvironment, loadEnvironments, setParameterInFile, type EnvironmentConfig } from '../../actions/lib/parameters';
import { REPO_ROOT } from '../env';
import { commitAndPush, OPERATOR, type ScratchRepo } from './scratch-repo';
import type { PhaseContext } from './timeline';

export const STRATEGIES = ['replace', 'slots'] as const;
export type Strategy = (typeof STRATEGIES)[number];

const SLOTS_TEMPLATE = 'templates/app-slots.yaml';
const SLOTS_EXAMPLE = 'test/fixtures/slots/dev.json';

export async function switchToSlots(repo: ScratchRepo, environment: EnvironmentConfig, phase: PhaseContext): Promise<EnvironmentConfig> {
  const dir = repo.checkout.dir;
  const wiringFile = join(dir, 'parameters/environments.json');
  const wiring = JSON.parse(readFileSync(wiringFile, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
  wiring.environments[environment.name] = { ...wiring.environments[environment.name], appTemplate: SLOTS_TEMPLATE, strategy: 'slots' };
  writeFileSync(wiringFile, `${JSON.stringify(wiring, null, 2)}\n`);
  const network = environment.stacks.network;
  writeFileSync(join(dir, environment.parametersFile), setParameterInFile(readFileSync(join(REPO_ROOT, SLOTS_EXAMPLE), 'utf8'), 'NetworkStackName', network, environment.parametersFile));
  const commit = await commitAndPush(repo, ['parameters/environments.json', environment.parametersFile], `Deploy ${environment.name} with two slots (strategy slots)`, OPERATOR);
  phase.note(`${commit} on main: environments.${environment.name} → ${SLOTS_TEMPLATE}, "strategy": "slots"; ${environment.parametersFile} in the slots shape (from ${SLOTS_EXAMPLE})`);
  return getEnvironment(await loadEnvironments(wiringFile, { rootDir: dir }), environment.name);
}
