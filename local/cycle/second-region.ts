/**
 * The cycle's prod lives in another region than dev (LOCAL_SECOND_REGION), so `make cycle` shows
 * what a promotion across regions does: a copy of the proven AMI, tagged with its source, deployed
 * in the second wave, and an audit trail that leads both environments to one source AMI. The
 * shipped wiring keeps both environments in one region (a team picks its regions); the cycle moves
 * prod the way a team would, with one commit on main of its scratch clone (never this repository).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { getEnvironment, loadEnvironments, type EnvironmentConfig } from '../../actions/lib/parameters';
import { commitAndPush, OPERATOR, type ScratchRepo } from './scratch-repo';
import type { PhaseContext } from './timeline';

export async function moveToRegion(repo: ScratchRepo, environment: EnvironmentConfig, region: string, phase: PhaseContext): Promise<EnvironmentConfig> {
  const wiringFile = join(repo.checkout.dir, 'parameters/environments.json');
  const wiring = JSON.parse(readFileSync(wiringFile, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
  wiring.environments[environment.name] = { ...wiring.environments[environment.name], region };
  writeFileSync(wiringFile, `${JSON.stringify(wiring, null, 2)}\n`);
  const commit = await commitAndPush(repo, ['parameters/environments.json'], `Run ${environment.name} in ${region}`, OPERATOR);
  phase.note(`${commit} on main: environments.${environment.name}.region ${environment.region} → ${region} (the shipped wiring has one region; the cycle shows a promotion across two)`);
  return getEnvironment(await loadEnvironments(wiringFile, { rootDir: repo.checkout.dir }), environment.name);
}
