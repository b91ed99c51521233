/**
 * `npm run cycle -- --scenario stage-ahead`: a patch as two PRs (docs/parameters.md, "Staging
 * ahead"). The stage PR is merged → its deploy stages the new AMI in the idle slot at weight 0 and
 * proves it through the slot header while every user stays on the live slot → propose-switch opens
 * the switch PR with the proof, through the GitHub API stand-in → a reviewer merges it with a merge
 * commit → its deploy: check-switch hands over the proof, one look at the staged slot, the canary,
 * all traffic → every user on the new AMI, no request failed.
 *
 * The shipped dev keeps staging ahead off (one PR), so the run turns it on first with one commit
 * on the scratch clone's main (never this repository), as a team would, and says so.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { getEnvironment, loadEnvironments } from '../../actions/lib/parameters';
import { runDeployJob } from './deploy-job';
import { auditTrail, patchAndMerge } from './scenarios';
import { commitAndPush, mergePullRequest, OPERATOR } from './scratch-repo';
import { runStageDeployJob, theSwitchPullRequest } from './stage-deploy-job';
import { CycleCheckError, type Timeline } from './timeline';
import type { CycleContext } from './workflow-steps';

const WIRING = 'parameters/environments.json';
/** How long the users are watched after the switch's deploy, to say they are all on the new AMI. */
const SETTLE_MS = 2_000;

export async function runStageAheadScenario(ctx: CycleContext, timeline: Timeline, baselineAmi: string): Promise<void> {
  await enableStageAhead(ctx, timeline);
  const newAmi = await patchAndMerge(ctx, timeline, baselineAmi);

  timeline.section("deploy.yml → deploy-environment.yml: the stage PR's deploy stages and proves the idle slot, users stay on the live one");
  const { pullRequest } = await runStageDeployJob(ctx, timeline, { stagedAmi: newAmi, liveAmi: baselineAmi });

  timeline.section('a reviewer reads the proof and merges the switch PR');
  await timeline.phase(`merge #${pullRequest.number} (${pullRequest.head.ref}) into main with a merge commit`, 'git + github', async (phase) => {
    const branch = pullRequest.head.ref;
    // The runner's checkout never had the branch: propose-switch pushed its commit straight to origin.
    await ctx.repo.checkout.run(['fetch', '--quiet', 'origin', `+refs/heads/${branch}:refs/heads/${branch}`]);
    const merge = await mergePullRequest(ctx.repo, branch, pullRequest.title);
    const parents = (await ctx.repo.checkout.run(['log', '-1', '--format=%P', 'HEAD'])).stdout.trim().split(' ');
    if (parents.length !== 2 || !parents[1].startsWith(pullRequest.head.sha)) throw new CycleCheckError(`the merge ${merge} has parents ${parents.join(', ')}, expected main and the switch PR's head ${pullRequest.head.sha}`);
    phase.note(`merge commit ${merge} pushed to main (this is what triggers Deploy); parents: main and ${pullRequest.head.sha.slice(0, 12)}`);
    const merged = await theSwitchPullRequest(ctx, branch, 'closed');
    if (merged.merged_at === null || !merged.merge_commit_sha?.startsWith(merge)) throw new CycleCheckError(`the stand-in lists #${merged.number} as ${merged.state}, merged_at ${merged.merged_at}, merge commit ${merged.merge_commit_sha}; expected merged by ${merge}`);
    phase.note(`the stand-in lists #${merged.number} closed, merged at ${merged.merged_at} by ${merged.merge_commit_sha?.slice(0, 12)} (read from the scratch repository, as GitHub marks a PR whose head reached its base)`);
  });

  timeline.section("deploy.yml → deploy-environment.yml: the switch PR's deploy, the proof handed over: one look, the canary, all traffic");
  await runDeployJob(ctx, timeline, { label: 'switch', expectedAmi: newAmi, previousAmi: baselineAmi });

  await timeline.phase(`every user on ${newAmi}`, 'data plane', async (phase) => {
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const after = ctx.traffic.users!.window(from, Date.now());
    const others = after.byAmi.filter((a) => a.amiId !== newAmi);
    if (after.requests === 0 || after.failed > 0 || others.length > 0) {
      throw new CycleCheckError(`after the switch: ${after.requests} requests, ${after.failed} failed, ${others.map((a) => `${a.requests} from ${a.amiId}`).join(', ') || 'none from another AMI'}`);
    }
    phase.note(`${after.requests} requests in the ${SETTLE_MS / 1000} s after the switch's deploy, all answered by ${newAmi}, none failed`);
  });
  await auditTrail(ctx, timeline);
}

/** LOCAL: one commit on the scratch clone's main that turns staging ahead on for the environment. */
async function enableStageAhead(ctx: CycleContext, timeline: Timeline): Promise<void> {
  const { name } = ctx.environment;
  timeline.section(`LOCAL: ${name} stages ahead (the shipped wiring keeps slots.stageAhead off: one PR)`);
  await timeline.phase(`turn on staging ahead for ${name} on main, slots.stageAhead false → true`, 'git', async (phase) => {
    const path = join(ctx.repo.checkout.dir, WIRING);
    const wiring = JSON.parse(readFileSync(path, 'utf8')) as { environments: Record<string, { slots?: Record<string, unknown> }> };
    const environment = wiring.environments[name];
    environment.slots = { ...environment.slots, stageAhead: true };
    writeFileSync(path, `${JSON.stringify(wiring, null, 2)}\n`);
    const commit = await commitAndPush(ctx.repo, [WIRING], `Stage ${name}'s patches ahead: the stage PR, then the switch PR with its proof`, OPERATOR);
    ctx.environment = getEnvironment(await loadEnvironments(path, { rootDir: ctx.repo.checkout.dir }), name);
    if (!ctx.environment.slots.stageAhead) throw new CycleCheckError(`${WIRING} on main does not read as slots.stageAhead true for ${name}`);
    phase.note(`${commit} on main: environments.${name}.slots.stageAhead true (LOCAL, the scratch clone only; the shipped wiring keeps it off)`);
  });
}
