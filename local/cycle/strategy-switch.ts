/**
 * `npm run cycle -- --strategy <replace|slots>`: the cycle's environment moves to another strategy
 * than the wiring gives it, before anything is deployed, as a team would do it: one commit on main
 * (in the scratch clone, never in this repository) that points the environment's wiring at the
 * strategy's template and puts its parameters file in that strategy's shape (docs/parameters.md).
 * The shipped dev runs slots; `--strategy replace` is how the cycle still shows strategy replace.
 * The files are the repository's examples, validated against their templates by the tests:
 * test/fixtures/slots/dev.json (the slots shape) and test/fixtures/replace/dev.json (the replace
 * shape), each with the environment's own network stack name.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { getEnvironment, loadEnvironments, setParameterInFile, type EnvironmentConfig } from '../../actions/lib/parameters';
import { REPO_ROOT } from '../env';
import { commitAndPush, OPERATOR, type ScratchRepo } from './scratch-repo';
import type { PhaseContext } from './timeline';

export const STRATEGIES = ['replace', 'slots'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** Each strategy's app template, its example parameters file, and how the commit says it. */
const SHAPES: Record<Strategy, { template: string; example: string; says: string }> = {
  slots: { template: 'templates/app-slots.yaml', example: 'test/fixtures/slots/dev.json', says: 'with two slots (strategy slots)' },
  replace: { template: 'templates/app.yaml', example: 'test/fixtures/replace/dev.json', says: 'with one group replaced blue/green (strategy replace)' },
};

export async function switchStrategy(repo: ScratchRepo, environment: EnvironmentConfig, strategy: Strategy, phase: PhaseContext): Promise<EnvironmentConfig> {
  const { template, example, says } = SHAPES[strategy];
  const dir = repo.checkout.dir;
  const wiringFile = join(dir, 'parameters/environments.json');
  const wiring = JSON.parse(readFileSync(wiringFile, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
  wiring.environments[environment.name] = { ...wiring.environments[environment.name], appTemplate: template, strategy };
  writeFileSync(wiringFile, `${JSON.stringify(wiring, null, 2)}\n`);
  const network = environment.stacks.network;
  writeFileSync(join(dir, environment.parametersFile), setParameterInFile(readFileSync(join(REPO_ROOT, example), 'utf8'), 'NetworkStackName', network, environment.parametersFile));
  const commit = await commitAndPush(repo, ['parameters/environments.json', environment.parametersFile], `Deploy ${environment.name} ${says}`, OPERATOR);
  phase.note(`${commit} on main: environments.${environment.name} → ${template}, "strategy": "${strategy}"; ${environment.parametersFile} in the ${strategy} shape (from ${example})`);
  return getEnvironment(await loadEnvironments(wiringFile, { rootDir: dir }), environment.name);
}
