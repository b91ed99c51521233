/**
 * A slots repository for the gitops command tests: a seed commit, a bare origin and a working
 * clone, with dev's and prod's slots files written one key per line as docs/parameters.md shows
 * them. Shared by slots-commands.test.ts and retire-commands.test.ts.
 */
import type { VirtualClock } from '../../../../actions/lib/clock';
import { createGitFixture, WIRING_JSON } from './git-fixture';
import { gitopsTestContext } from './gitops-context';

export const AMI = (n: number) => `ami-${String(n).padStart(17, '0')}`;
export const SLOTS_FILE = 'parameters/dev.json';

/** A slots file, blue live on AMI(1) unless `state` says otherwise. */
export function slotsJson(state: Record<string, string>): string {
  const params = { NetworkStackName: 'patch-dev-network', LiveSlot: 'blue', BlueAmazonMachineImage: AMI(1), BlueCapacity: '2', BlueWeight: '100', GreenAmazonMachineImage: AMI(1), GreenCapacity: '0', GreenWeight: '0', InstanceType: 't3.micro', ...state };
  return `{\n  "Parameters": {\n${Object.entries(params).map(([k, v]) => `    "${k}": "${v}"`).join(',\n')}\n  },\n  "Tags": {\n    "Environment": "dev"\n  }\n}\n`;
}

export function setupSlotsRepo() {
  const seed = createGitFixture();
  seed.commit('Initial layout', { 'parameters/environments.json': WIRING_JSON, [SLOTS_FILE]: slotsJson({}), 'parameters/prod.json': slotsJson({}), 'templates/app.yaml': 'Resources: {}\n' });
  const origin = createGitFixture({ bare: true, cloneFrom: seed.dir });
  const work = createGitFixture({ cloneFrom: origin.dir });
  const { ctx, logger } = gitopsTestContext(work.dir);
  return { seed, origin, work, ctx, logger, clock: ctx.clock as VirtualClock, remove: () => [seed, origin, work].forEach((f) => f.remove()) };
}
