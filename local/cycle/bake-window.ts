/**
 * deploy-environment.yml's bake window steps after a verified slots deploy, run by the cycle with
 * the real bundles: check-retirement → (the window over, every alarm quiet) update-app-stack on
 * the working tree's old slot at capacity 0 → record-retirement → verify-alb on the live slot;
 * plus the cycle's own checks: the old slot's group empty in moto, git (origin's main) equal to
 * the stack, and no user request failed or reached the old slot meanwhile.
 *
 * The wiring's window (300 s for dev) is longer than the cycle can wait. The first deploy leaves
 * it open (wait-seconds 0, said so); a deploy with `shortenedSeconds` runs after a commit on the
 * scratch clone's main that shortens slots.bakeSeconds, and the step waits it out with the
 * workflow's own wait-seconds (900).
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

import { otherSlot, parseParametersFile, slotParameters, type SlotName } from '../../actions/lib/parameters';
import { expectFleetOn, readFleet } from './fleet';
import { CycleCheckError, type Timeline } from './timeline';
import { expectOutput, gitops, updateAppStack, verifyAlb, type CycleContext, type JobEnvironment } from './workflow-steps';

/** The window the cycle waits out instead of the wiring's 300 s (committed on the scratch clone's main, and said so). */
export const LOCAL_BAKE_SECONDS = 20;

/** The workflow's wait-seconds for check-retirement (deploy-environment.yml). */
const WORKFLOW_WAIT_SECONDS = '900';

export interface BakeRequest {
  label: string;
  oldSlot: SlotName;
  /** The AMI the old slot holds (users left it at the switch) and the AMI the live slot runs. */
  oldAmi: string;
  liveAmi: string;
  /** The wiring's slots.bakeSeconds as shipped. */
  wiredSeconds: number;
  /** Set when the scratch wiring's window was shortened to this for the run: the step waits it out and retires. */
  shortenedSeconds?: number;
}

/** Runs the bake window's steps; returns what deploy-environment.yml passes to deploy-report about them. */
export async function runBakeWindow(ctx: CycleContext, timeline: Timeline, job: JobEnvironment, bake: BakeRequest): Promise<Record<string, string>> {
  if (bake.shortenedSeconds === undefined) return leaveWindowOpen(ctx, timeline, bake);
  const { oldSlot, oldAmi, liveAmi } = bake;
  const liveSlot = otherSlot(oldSlot);
  const capacity = slotParameters(oldSlot).capacity;

  const check = await timeline.phase(
    `gitops check-retirement wait-seconds ${WORKFLOW_WAIT_SECONDS}: the bake window (LOCAL: ${bake.shortenedSeconds} s instead of the wiring's ${bake.wiredSeconds} s)`,
    'moto',
    async (phase) => {
      const run = await gitops(ctx, 'check-retirement', { 'wait-seconds': WORKFLOW_WAIT_SECONDS });
      expectOutput(run, 'verdict', 'retire', 'check-retirement');
      expectOutput(run, 'slot', oldSlot, 'check-retirement');
      expectOutput(run, 'retired-ami-id', oldAmi, 'check-retirement');
      for (const line of run.stdout.split('\n').filter((l) => /Waiting for it here|ended at .* with every alarm quiet/.test(l))) phase.note(line.replace(/^::\w+::/, '').trim());
      const diff = (await ctx.repo.checkout.run(['diff', '--unified=0', '--', job.parametersFile])).stdout;
      phase.note(`${job.parametersFile} in the working tree (not committed): ${diff.split('\n').filter((l) => /^[-+]\s/.test(l)).map((l) => l.trim()).join(' → ')}`);
      return run;
    },
  );

  const from = Date.now();
  await timeline.phase(`update-app-stack mode=deploy: scale ${oldSlot} to zero (the "Retire the old slot" step)`, 'moto + data plane', async (phase) => {
    const run = await updateAppStack(ctx, job, 'deploy', { retirement: true });
    expectOutput(run, 'changed', 'true', 'update-app-stack (retirement)');
    for (const line of (run.outputs['changes-markdown'] ?? '').split('\n').filter(Boolean)) phase.note(line.replace(/\*\*|`/g, ''));
    const retired = await readFleet(ctx.clients, job.appStack, oldSlot);
    if (retired.instanceIds.length > 0) throw new CycleCheckError(`${oldSlot}'s group ${retired.autoScalingGroup} still has ${retired.instanceIds.join(', ')} after its capacity went to 0`);
    phase.note(`${retired.autoScalingGroup}: no instances (${oldAmi} left); ${await expectFleetOn(ctx.clients, job.appStack, liveAmi)}`);
    phase.note(`moto replaces ${oldSlot}'s group on a capacity change (docs/moto.md #12); AWS scales it in to zero in place`);
  });

  const record = await timeline.phase('gitops record-retirement (commit, push)', 'git', async (phase) => {
    const run = await gitops(ctx, 'record-retirement', {});
    expectOutput(run, 'outcome', 'pushed', 'record-retirement');
    const commit = run.outputs.commit ?? '';
    const subject = (await ctx.repo.checkout.run(['log', '-1', '--format=%s', commit])).stdout.trim();
    const changed = (await ctx.repo.checkout.run(['diff', '--unified=0', `${commit}~1`, commit, '--', job.parametersFile])).stdout.split('\n').filter((l) => /^[-+]\s/.test(l));
    if (changed.length !== 2 || !changed.every((l) => l.includes(`"${capacity}"`))) throw new CycleCheckError(`the retirement's record changed more than ${oldSlot}'s capacity`, changed);
    phase.note(`${commit.slice(0, 12)} on main: "${subject}"`);
    phase.note(changed.map((l) => l.trim()).join(' → '));
    return run;
  });

  await timeline.phase('verify-alb (stack mode: the live slot) after the retirement', 'moto + data plane', (phase) => verifyAlb(ctx, phase, job, liveAmi, { label: `${bake.label}-after-retirement` }));

  await timeline.phase('git equals the stack', 'moto', async (phase) => {
    const text = (await ctx.repo.checkout.run(['show', `origin/main:${job.parametersFile}`])).stdout;
    const git = parseParametersFile(text, job.parametersFile).parameters;
    const { Stacks = [] } = await ctx.clients.cloudFormation.send(new DescribeStacksCommand({ StackName: job.appStack }));
    const stack = Object.fromEntries((Stacks[0]?.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
    const differ = Object.keys({ ...git, ...stack }).filter((k) => git[k] !== stack[k]).map((k) => `${k}: git "${git[k] ?? ''}", stack "${stack[k] ?? ''}"`);
    if (differ.length) throw new CycleCheckError(`git and ${job.appStack} disagree after the retirement`, differ);
    const dirty = (await ctx.repo.checkout.run(['status', '--porcelain'])).stdout.trim();
    if (dirty) throw new CycleCheckError(`the job left the working tree dirty: ${dirty}`);
    phase.note(`${job.parametersFile} on main and ${job.appStack} agree on all ${Object.keys(git).length} parameters (LiveSlot "${git.LiveSlot}", ${capacity} "0"); working tree clean`);
  });

  await timeline.phase('the retirement, as users saw it', 'data plane', async (phase) => {
    const during = ctx.traffic.users!.window(from, Date.now());
    const old = during.byAmi.find((a) => a.amiId === oldAmi)?.requests ?? 0;
    if (during.failed > 0) throw new CycleCheckError(`${during.failed} user request(s) failed while ${oldSlot} was retired`, Object.keys(during.failures));
    if (old > 0) throw new CycleCheckError(`${old} user request(s) reached ${oldSlot} (${oldAmi}) at weight 0 while it was retired`);
    phase.note(`${during.requests} requests from the retirement's update to now, all answered by ${liveSlot} (${liveAmi}), none failed`);
  });

  return {
    'bake-outcome': 'success',
    'bake-verdict': check.outputs.verdict ?? '',
    'bake-slot': check.outputs.slot ?? '',
    'bake-retired-ami-id': check.outputs['retired-ami-id'] ?? '',
    'bake-ends-at': check.outputs['ends-at'] ?? '',
    'retire-outcome': 'success',
    'retire-record-outcome': 'success',
    'retire-record-result': record.outputs.outcome ?? '',
    'retire-record-commit': record.outputs.commit ?? '',
    'retire-record-pull-request-url': record.outputs['pull-request-url'] ?? '',
    'retire-record-superseded-by': record.outputs['superseded-by'] ?? '',
    'retire-verify-outcome': 'success',
  };
}

/**
 * The job's bake step with the wiring's window, which the cycle does not wait for: the workflow
 * passes wait-seconds 900, the cycle 0 (its failback comes inside the window), so the window is
 * left to a later run and the old slot stays warm.
 */
async function leaveWindowOpen(ctx: CycleContext, timeline: Timeline, bake: BakeRequest): Promise<Record<string, string>> {
  return timeline.phase(`gitops check-retirement: the bake window (LOCAL: wait-seconds 0, the workflow waits up to ${WORKFLOW_WAIT_SECONDS} s)`, 'moto', async (phase) => {
    const run = await gitops(ctx, 'check-retirement', { 'wait-seconds': '0' });
    expectOutput(run, 'verdict', 'wait', 'check-retirement');
    expectOutput(run, 'slot', bake.oldSlot, 'check-retirement');
    phase.note(`${bake.oldSlot} stays warm until ${run.outputs['ends-at']} (the wiring's bakeSeconds ${bake.wiredSeconds} s from the switch, on AWS's clock); a later run (retire-slots.yml, or the next deploy) retires it only if nothing failed meanwhile`);
    return { 'bake-outcome': 'success', 'bake-verdict': 'wait', 'bake-slot': bake.oldSlot, 'bake-retired-ami-id': run.outputs['retired-ami-id'] ?? '', 'bake-ends-at': run.outputs['ends-at'] ?? '' };
  });
}
