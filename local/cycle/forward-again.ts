/**
 * The patch cycle's last deploy on strategy slots: the failback was a rehearsal, so a person
 * reverts its commit by a pull request, and this time the bake window ends. The deploy goes
 * forward to the patch again (stage, prove, canary, switch), then the job waits out the window and
 * retires the old slot (bake-window.ts): the stack updated, one commit saying the old slot is
 * scaled to zero, the live slot verified again, git equal to the stack.
 *
 * The cycle cannot wait the wiring's window (300 s for dev): one commit on the scratch clone's
 * main (never this repository) shortens slots.bakeSeconds to LOCAL_BAKE_SECONDS before the revert
 * is merged, and the commit, the phase titles and the README say so.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { LOCAL_BAKE_SECONDS } from './bake-window';
import { runDeployJob } from './deploy-job';
import { commitAndPush, mergePullRequest, OPERATOR } from './scratch-repo';
import { retireSlotsPlan } from './slots-deploy-job';
import type { Timeline } from './timeline';
import type { CycleContext } from './workflow-steps';

const WIRING = 'parameters/environments.json';

export async function forwardToRetirement(ctx: CycleContext, timeline: Timeline, amis: { newAmi: string; baselineAmi: string }): Promise<void> {
  const { name, parametersFile: file } = ctx.environment;
  const wired = ctx.environment.slots.bakeSeconds;
  const git = ctx.repo.checkout;
  timeline.section(`the rehearsal is over: revert the failback, deploy forward, and this time the bake window ends (LOCAL: ${LOCAL_BAKE_SECONDS} s instead of ${wired} s)`);

  await timeline.phase(`LOCAL: shorten ${name}'s bake window on main, slots.bakeSeconds ${wired} → ${LOCAL_BAKE_SECONDS}`, 'git', async (phase) => {
    const path = join(git.dir, WIRING);
    const wiring = JSON.parse(readFileSync(path, 'utf8')) as { environments: Record<string, { slots?: Record<string, unknown> }> };
    const environment = wiring.environments[name];
    environment.slots = { ...environment.slots, bakeSeconds: LOCAL_BAKE_SECONDS };
    writeFileSync(path, `${JSON.stringify(wiring, null, 2)}\n`);
    const commit = await commitAndPush(ctx.repo, [WIRING], `Shorten ${name}'s bake window to ${LOCAL_BAKE_SECONDS} s (local cycle: the run cannot wait the wiring's ${wired} s)`, OPERATOR);
    phase.note(`${commit} on main: environments.${name}.slots.bakeSeconds ${wired} → ${LOCAL_BAKE_SECONDS} (LOCAL, the scratch clone only; the shipped wiring keeps ${wired} s)`);
  });

  await timeline.phase('revert the failback by a pull request, and merge it', 'git', async (phase) => {
    const [sha, subject] = (await git.run(['log', '-1', '--format=%H%n%s', '--', file])).stdout.trim().split('\n');
    await git.run(['revert', '--no-commit', sha]);
    const branch = 'revert-failback';
    await git.run(['checkout', '--quiet', '-B', branch]);
    const title = `Revert "${subject}"`;
    const commit = await commitAndPush(ctx.repo, [file], `${title}\n\nThis reverts commit ${sha}: the failback was a rehearsal, so ${amis.newAmi} goes live again.`, OPERATOR);
    phase.note(`${commit} on ${branch}: ${file} back to ${amis.newAmi} live (the failback ${sha.slice(0, 12)} moved users to ${amis.baselineAmi})`);
    phase.note(`merge commit ${await mergePullRequest(ctx.repo, branch, title)} pushed to main (Deploy on merge starts)`);
  });

  timeline.section(`deploy.yml → deploy-environment.yml: forward to ${amis.newAmi} again, then the bake window to its end`);
  await runDeployJob(ctx, timeline, { label: 'forward', expectedAmi: amis.newAmi, previousAmi: amis.baselineAmi, bakeSeconds: LOCAL_BAKE_SECONDS });
  await retireSlotsPlan(ctx, timeline, /is retired already/);
}
