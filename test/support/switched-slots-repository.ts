import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { REPO_ROOT } from '../../local/env';
import { git } from './git-command';

/**
 * The repository a slots deploy of a patch leaves behind, for the integration tests that run a
 * gitops command against a stack deployed to match: the real schema, prod file and templates, the
 * test's own wiring, then two commits on main: dev on the base AMI, and the switch to the patch.
 * The caller adds what its case needs on top (a stage, say) and clones it.
 */
export function seedSwitchedSlotsRepository(options: {
  root: string;
  seed: string;
  file: string;
  wiringText: string;
  startText: string;
  afterSwitchText: string;
  switchMessage: string;
}): void {
  const { root, seed, file } = options;
  mkdirSync(join(seed, 'parameters'), { recursive: true });
  mkdirSync(join(seed, 'templates'));
  for (const shared of ['parameters/environments.schema.json', 'parameters/prod.json', 'templates/app.yaml', 'templates/app-slots.yaml']) cpSync(join(REPO_ROOT, shared), join(seed, shared));
  writeFileSync(join(seed, 'parameters/environments.json'), options.wiringText);
  writeFileSync(join(seed, file), options.startText);
  git(root, 'init', '--quiet', '--initial-branch=main', seed);
  git(seed, 'add', '--all');
  git(seed, 'commit', '--quiet', '-m', 'Start dev on the base AMI');
  writeFileSync(join(seed, file), options.afterSwitchText);
  git(seed, 'commit', '--quiet', '-am', options.switchMessage);
}
