/**
 * deploy-environment.yml for the stage PR of staging ahead (docs/parameters.md, "Staging ahead"),
 * run by the cycle with the real bundles: resolve-environment → check-switch (no switch yet, the
 * staged AMI named) → update-app-stack, which stages the idle slot at weight 0 and proves it
 * through the slot header → verify-alb on the live slot (users' AMI, unchanged) → propose-switch,
 * which pushes ami-switch/<env> and opens the switch PR through the GitHub API stand-in → the bake
 * step (a staged slot is never retired) → deploy-report → notify. Plus the cycle's own checks: the
 * idle slot's instances on the new AMI in moto, the live slot untouched, the switch PR as the
 * stand-in lists it, and from the load generator that no user request reached the staged slot.
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { otherSlot, type SlotName } from '../../actions/lib/parameters';
import { listPullRequests, type ListedPullRequest } from '../github-standin/client';
import { LOCAL_GITHUB_REPOSITORY } from '../run-action';
import { checkSwitchStep } from './check-switch';
import { expectFleetOn, readFleet } from './fleet';
import { notifyStep } from './notify-phase';
import { CycleCheckError, type Timeline } from './timeline';
import { expectOutput, gitops, LOCAL_TOKEN, resolveEnvironment, runStep, updateAppStack, verifyAlb, type CycleContext } from './workflow-steps';

/** update-app-stack's stage-evidence: the fields the cycle checks and prints. */
interface StageEvidence {
  slot: SlotName;
  amiId: string;
  liveSlot: SlotName;
  liveAmiId: string;
  samples: number;
  errorRate: number;
  provenAt: string;
  instances: { instanceId: string; amiId?: string }[];
}

export interface StagedSwitch {
  /** The switch PR as the stand-in lists it. */
  pullRequest: ListedPullRequest;
  evidence: StageEvidence;
}

export async function runStageDeployJob(ctx: CycleContext, timeline: Timeline, amis: { stagedAmi: string; liveAmi: string }): Promise<StagedSwitch> {
  const job = await timeline.phase('gitops resolve-environment at HEAD', 'git', (phase) => resolveEnvironment(ctx, phase));
  // The stage PR moves no user: the live slot's AMI, the one resolve-environment names, stays.
  if (job.amiId !== amis.liveAmi) throw new CycleCheckError(`HEAD names ${job.amiId} live, expected ${amis.liveAmi} (the stage PR must not switch)`);
  const staged = await checkSwitchStep(ctx, timeline, { judgement: 'none', stagedAmi: amis.stagedAmi });

  const from = Date.now();
  const update = await timeline.phase('update-app-stack mode=deploy, slots (the stage PR: stage the idle slot at weight 0 and prove it)', 'moto + data plane', async (phase) => {
    const run = await updateAppStack(ctx, job, 'deploy', { staged });
    for (const line of (run.outputs['changes-markdown'] ?? '').split('\n').filter(Boolean)) phase.note(line.replace(/\*\*|`/g, ''));
    expectOutput(run, 'changed', 'true', 'update-app-stack deploy');
    expectOutput(run, 'previous-ami-id', amis.liveAmi, 'update-app-stack deploy');
    expectOutput(run, 'ami-id', amis.liveAmi, 'update-app-stack deploy');
    const evidence = JSON.parse(expectOutput(run, 'stage-evidence', /^\{/, 'update-app-stack deploy')) as StageEvidence;
    if (evidence.amiId !== amis.stagedAmi || evidence.liveAmiId !== amis.liveAmi || !(evidence.samples > 0) || evidence.errorRate !== 0) {
      throw new CycleCheckError(`stage-evidence is not a passing prove of ${amis.stagedAmi} beside ${amis.liveAmi}: ${JSON.stringify(evidence)}`);
    }
    const idle = await readFleet(ctx.clients, job.appStack, evidence.slot);
    const wrong = idle.instanceAmis.filter((a) => a !== amis.stagedAmi);
    if (idle.instanceIds.length === 0 || wrong.length > 0) throw new CycleCheckError(`${evidence.slot}'s group ${idle.autoScalingGroup} runs ${idle.instanceAmis.join(', ') || 'nothing'}, expected ${amis.stagedAmi}`);
    const reported = evidence.instances.map((i) => i.instanceId).sort().join();
    if (reported !== [...idle.instanceIds].sort().join()) throw new CycleCheckError(`stage-evidence names instances ${reported}, moto's ${evidence.slot} group has ${idle.instanceIds.join(', ')}`);
    phase.note(`${idle.autoScalingGroup} (${evidence.slot}, weight 0): ${idle.instanceIds.length} instances on ${amis.stagedAmi}, each as EC2 reports it in the evidence; ${await expectFleetOn(ctx.clients, job.appStack, amis.liveAmi)}`);
    return { run, evidence };
  });
  const { evidence } = update;
  const stagedAt = Date.now();

  await timeline.phase(`verify-alb (stack mode: the live slot, ${evidence.liveSlot}, still on ${amis.liveAmi})`, 'moto + data plane', (phase) => verifyAlb(ctx, phase, job, amis.liveAmi, { label: 'stage' }));

  const proposal = await timeline.phase('gitops propose-switch: the switch PR with the proof (through the GitHub API stand-in)', 'git + github', async (phase) => {
    const run = await gitops(ctx, 'propose-switch', { 'stage-evidence': JSON.stringify(evidence), 'default-branch': 'main' });
    const branch = expectOutput(run, 'branch', `ami-switch/${ctx.environment.name}`, 'propose-switch');
    const url = expectOutput(run, 'pull-request-url', /\/pull\/\d+$/, 'propose-switch');
    const pullRequest = await theSwitchPullRequest(ctx, branch, 'open');
    if (pullRequest.html_url !== url) throw new CycleCheckError(`propose-switch says ${url}, the stand-in lists ${pullRequest.html_url} for ${branch}`);
    const title = `Switch ${ctx.environment.name} AMI from ${amis.liveAmi} to ${amis.stagedAmi}`;
    if (pullRequest.title !== title) throw new CycleCheckError(`the switch PR is titled "${pullRequest.title}", expected "${title}"`);
    if (!pullRequest.body?.includes(`| HTTP samples | ${evidence.samples}, 0.0 % errors`)) throw new CycleCheckError(`the switch PR's body does not carry the prove's ${evidence.samples} samples`, (pullRequest.body ?? '').split('\n').slice(0, 12));
    const bodyFile = join(ctx.repo.dir, `pull-request-${branch.replace(/[^A-Za-z0-9._-]/g, '-')}.md`);
    writeFileSync(bodyFile, `# ${pullRequest.title}\n\n${pullRequest.body ?? ''}\n`);
    phase.note(`#${pullRequest.number} "${pullRequest.title}" (${pullRequest.head.ref} at ${pullRequest.head.sha.slice(0, 12)} → ${pullRequest.base.ref}), ${pullRequest.state}: ${url}`);
    phase.note(`opened through GITHUB_API_URL=${ctx.github?.apiUrl} (the stand-in, over the scratch repository); body: ${relative(process.cwd(), bodyFile)}`);
    for (const row of (pullRequest.body ?? '').split('\n').filter((l) => /^\| (Proven|HTTP samples) \|/.test(l))) phase.note(`PR body: ${row}`);
    return { run, pullRequest };
  });

  const bake = await timeline.phase('gitops check-retirement: the bake window (a staged slot is not retired)', 'moto', async (phase) => {
    const run = await gitops(ctx, 'check-retirement', { 'wait-seconds': '900' });
    if (run.outputs.retire === 'true') throw new CycleCheckError(`check-retirement would retire ${run.outputs.slot}, which holds the staged ${amis.stagedAmi}`);
    const said = run.stdout.split('\n').find((l) => l.includes(amis.stagedAmi) || /staged|nothing to retire/i.test(l));
    phase.note(`verdict ${run.outputs.verdict}${said ? `: ${said.replace(/^::\w+::/, '').trim()}` : ''}`);
    return { 'bake-outcome': 'success', 'bake-verdict': run.outputs.verdict ?? '', 'bake-slot': run.outputs.slot ?? '', 'bake-retired-ami-id': run.outputs['retired-ami-id'] ?? '', 'bake-ends-at': run.outputs['ends-at'] ?? '' };
  });

  const notification = await timeline.phase('gitops deploy-report: staged and proven, the switch PR open', 'local', async (phase) => {
    const run = await runStep(ctx, 'gitops', {
      command: 'deploy-report',
      environment: ctx.environment.name,
      'requested-ami-id': job.amiId,
      'is-failback': 'false',
      'prepare-outcome': 'success',
      'update-outcome': 'success',
      'verify-outcome': 'success',
      'failback-update-outcome': 'skipped',
      'failback-verify-outcome': 'skipped',
      'sync-outcome': 'skipped',
      changed: update.run.outputs.changed ?? '',
      'stack-status': update.run.outputs['stack-status'] ?? '',
      'stack-previous-ami-id': update.run.outputs['previous-ami-id'] ?? '',
      'stage-evidence': update.run.outputs['stage-evidence'] ?? '',
      'propose-switch-outcome': 'success',
      'switch-pull-request-url': proposal.run.outputs['pull-request-url'] ?? '',
      ...bake,
    });
    expectOutput(run, 'ok', 'true', 'deploy-report');
    const headline = run.outputs.headline ?? '';
    if (!headline.includes(amis.stagedAmi)) throw new CycleCheckError(`deploy-report's headline does not name the staged ${amis.stagedAmi}: ${headline}`);
    phase.note(headline);
    return run.outputs.notification;
  });
  // A stage's notification names the staged AMI and the one users stay on (Staged / Users on), not a deploy's From / To.
  await notifyStep(ctx, timeline, notification, { amis: [amis.stagedAmi, amis.liveAmi], jobStatus: 'success' });

  await timeline.phase('the stage, as users saw it: nobody reached the staged slot', 'data plane', async (phase) => {
    const users = ctx.traffic.users!;
    const during = users.window(from, Date.now());
    const reached = during.byAmi.filter((a) => a.amiId !== amis.liveAmi);
    if (reached.length > 0) throw new CycleCheckError(`user requests reached another AMI than ${amis.liveAmi} during the stage: ${reached.map((a) => `${a.requests} from ${a.amiId}`).join(', ')}`);
    if (during.failed > 0) throw new CycleCheckError(`${during.failed} user request(s) failed during the stage deploy`, Object.keys(during.failures));
    phase.note(`${during.requests} user requests from the stage's start to the report, all answered by ${otherSlot(evidence.slot)} (${amis.liveAmi}), none failed`);
    phase.note(`${evidence.slot} (${amis.stagedAmi}) answered only the prove: ${evidence.samples} samples through the slot header, ${(evidence.errorRate * 100).toFixed(1)} % errors, proven at ${evidence.provenAt} (+${((stagedAt - from) / 1000).toFixed(2)} s into the stage)`);
  });

  return { pullRequest: proposal.pullRequest, evidence };
}

/** The one PR of `branch` in `state`, as the stand-in lists it. */
export async function theSwitchPullRequest(ctx: CycleContext, branch: string, state: 'open' | 'closed'): Promise<ListedPullRequest> {
  if (!ctx.github) throw new CycleCheckError('the GitHub API stand-in is not running');
  const [owner] = LOCAL_GITHUB_REPOSITORY.split('/');
  const listed = await listPullRequests(ctx.github.apiUrl, LOCAL_GITHUB_REPOSITORY, LOCAL_TOKEN, { state, head: `${owner}:${branch}`, base: 'main' });
  if (listed.length !== 1) throw new CycleCheckError(`the GitHub API stand-in lists ${listed.length} ${state} pull request(s) of ${branch}, expected one`);
  return listed[0];
}
