/**
 * deploy-environment.yml for an environment on strategy `slots`, run by the cycle: (record a
 * requested failback) → resolve-environment at HEAD → update-app-stack deploy, which runs the
 * slots steps itself (stage the idle slot at weight 0 → prove it through the slot header → canary
 * → switch; any failure flips traffic back) → verify-alb on the live slot → the bake window
 * (bake-window.ts: left open, or waited out and the old slot retired) → sync-from-stack when
 * the update failed → deploy-report; plus the cycle's own checks on moto and, from the load
 * generator, what users saw: the canary share, the old slot kept warm, and (for a failback) how
 * long users took to be all on the old slot again.
 */
import { runBakeWindow } from './bake-window';
import { checkSwitchStep } from './check-switch';
import { readFleet, expectFleetOn } from './fleet';
import { notifyStep } from './notify-phase';
import type { DeployRequest } from './deploy-job';
import { CycleCheckError, type Timeline } from './timeline';
import { reportDeployTraffic } from './traffic';
import { expectOutput, failureLines, gitops, LOCAL_CANARY_SECONDS, resolveEnvironment, runStep, updateAppStack, verifyAlb, type CycleContext, type JobEnvironment } from './workflow-steps';
import { otherSlot, type SlotName } from '../../actions/lib/parameters';

export async function runSlotsDeployJob(ctx: CycleContext, timeline: Timeline, deploy: DeployRequest, record: Record<string, string>): Promise<void> {
  const job = await timeline.phase('gitops resolve-environment at HEAD', 'git', (phase) => resolveEnvironment(ctx, phase));
  if (job.amiId !== deploy.expectedAmi) throw new CycleCheckError(`HEAD names ${job.amiId}, expected ${deploy.expectedAmi}`);
  const oldSlot = (await liveSlotOf(ctx, job)) ?? 'blue';
  const warmBefore = await readFleet(ctx.clients, job.appStack, oldSlot);
  // Staging ahead: the switch PR's deploy hands update-app-stack the stage's proof (check-switch.ts).
  const staged = ctx.environment.slots.stageAhead && !deploy.failback ? await checkSwitchStep(ctx, timeline, { judgement: 'proof', stagedAmi: deploy.expectedAmi }) : undefined;

  const from = Date.now();
  const failed = Boolean(deploy.expectVerifyFailure);
  const update = await timeline.phase(`update-app-stack mode=deploy, slots${deploy.failback ? ' (failback)' : staged ? ' (the switch: the slot was staged and proven)' : ''}${failed ? ': the idle slot fails its proof' : ''}`, 'moto + data plane', async (phase) => {
    const run = await updateAppStack(ctx, job, 'deploy', { expectFailure: failed, failback: Boolean(deploy.failback), staged });
    for (const line of (run.outputs['changes-markdown'] ?? '').split('\n').filter(Boolean)) phase.note(line.replace(/\*\*|`/g, ''));
    if (failed) {
      const errors = failureLines(run);
      if (!errors.some((l) => /did not pass on its own target group/.test(l) && /Traffic is back on/.test(l))) throw new CycleCheckError('update-app-stack failed, but not on the idle slot\'s own proof with traffic back on the old slot', errors);
      phase.note(errors[errors.length - 1]);
      return run;
    }
    expectOutput(run, 'changed', 'true', 'update-app-stack deploy');
    // A weight-only step is one UpdateStack (actions/lib/cloudformation/direct-update.ts): the failback's flip must be one.
    const direct = run.stdout.split('\n').filter((l) => /\(UpdateStack, the deployed template, request \S+\)/.test(l));
    if (deploy.failback && direct.length !== 1) throw new CycleCheckError(`the failback's flip was not one UpdateStack (${direct.length} direct updates in the log)`, run.stdout.split('\n').slice(-20));
    phase.note(`${direct.length} weight-only step${direct.length === 1 ? '' : 's'} sent as one UpdateStack each, no change set`);
    expectOutput(run, 'previous-ami-id', deploy.previousAmi, 'update-app-stack deploy');
    expectOutput(run, 'ami-id', deploy.expectedAmi, 'update-app-stack deploy');
    phase.note(`${run.outputs['stack-status']}; ${await expectFleetOn(ctx.clients, job.appStack, deploy.expectedAmi)}`);
    return run;
  });
  const to = Date.now();

  if (failed) {
    await failedSlotsDeploy(ctx, timeline, job, deploy, { from, to, update: update.outputs, oldSlot });
    return;
  }

  await timeline.phase(`${oldSlot} stays warm, one weight flip away`, 'moto', async (phase) => {
    const warm = await readFleet(ctx.clients, job.appStack, oldSlot);
    const same = warm.instanceIds.join() === warmBefore.instanceIds.join();
    if (!same || warm.instanceAmis.some((a) => a !== deploy.previousAmi) || warm.instanceIds.length === 0) {
      throw new CycleCheckError(`${oldSlot} did not stay warm: its group ${warm.autoScalingGroup} has ${warm.instanceIds.join(', ') || 'no instances'} on ${[...new Set(warm.instanceAmis)].join(', ') || 'nothing'} (before: ${warmBefore.instanceIds.join(', ')})`);
    }
    phase.note(`${warm.autoScalingGroup}: the same ${warm.instanceIds.length} instances as before the deploy (${warm.instanceIds.join(', ')}), on ${deploy.previousAmi}, at weight 0 through the bake window`);
  });

  await timeline.phase('verify-alb (stack mode: the live slot)', 'moto + data plane', (phase) => verifyAlb(ctx, phase, job, job.amiId, { label: deploy.label }));
  const bake = deploy.failback
    ? {}
    : await runBakeWindow(ctx, timeline, job, { label: deploy.label, oldSlot, oldAmi: deploy.previousAmi, liveAmi: job.amiId, wiredSeconds: ctx.environment.slots.bakeSeconds, shortenedSeconds: deploy.bakeSeconds });
  await slotsDeployReport(ctx, timeline, job, { failback: Boolean(deploy.failback), record: { ...record, ...bake }, update: update.outputs, verify: 'success' });
  const traffic = await reportDeployTraffic(ctx, timeline, { label: `the ${deploy.label} deploy`, from, to: Date.now(), newAmi: job.amiId, oldAmi: deploy.previousAmi, promise: true });

  await timeline.phase(deploy.failback ? 'the failback, as users saw it' : 'the canary, as users saw it', 'data plane', async (phase) => {
    const users = ctx.traffic.users!;
    if (traffic.firstNewMs === undefined) throw new CycleCheckError(`no user request was answered by ${job.amiId}`);
    const firstNew = from + traffic.firstNewMs;
    const lastOld = traffic.lastOldMs === undefined ? firstNew : from + traffic.lastOldMs;
    const overlap = users.window(firstNew, lastOld + 1);
    const share = (ami: string) => overlap.byAmi.find((a) => a.amiId === ami)?.requests ?? 0;
    const before = users.window(from, firstNew);
    const steps = deploy.failback ? 'one look at the warm slot\'s targets, then the flip' : staged ? 'one look at the staged slot\'s targets, at weight 0' : 'stage and prove, the new slot at weight 0';
    phase.note(`before ${job.amiId} first answered (+${(traffic.firstNewMs / 1000).toFixed(2)} s: ${steps}): ${before.requests} requests, ${before.byAmi.map((a) => `${a.requests} from ${a.amiId}`).join(', ') || 'none answered'}`);
    if (deploy.failback) {
      if (deploy.dispatchedAt === undefined) throw new CycleCheckError('the failback has no dispatch time');
      const allBack = lastOld + 1;
      const seconds = (allBack - deploy.dispatchedAt) / 1000;
      phase.note(`users all on ${job.amiId} ${seconds.toFixed(2)} s after the dispatch's first step (resolve-failback): the goal inside the bake window is 60 s`);
      phase.note(`one weight flip, no canary (users ran ${job.amiId} before): last answer from ${deploy.previousAmi} at +${((lastOld - from) / 1000).toFixed(2)} s, first from ${job.amiId} at +${(traffic.firstNewMs / 1000).toFixed(2)} s`);
      return;
    }
    const total = share(job.amiId) + share(deploy.previousAmi);
    phase.note(
      `the canary, from ${job.amiId}'s first answer to ${deploy.previousAmi}'s last: ${share(job.amiId)} of ${total} requests from ${job.amiId} (${total ? Math.round((100 * share(job.amiId)) / total) : 0} %; the wiring's canary weight ${job.canaryWeight} %, locally for ${LOCAL_CANARY_SECONDS} s instead of its ${job.canarySeconds} s)`,
    );
    if (share(job.amiId) === 0 || share(deploy.previousAmi) === 0) throw new CycleCheckError('the load generator saw no canary: no stretch where both slots answered users');
  });
}

/**
 * retire-slots.yml's plan: after the failback the old slot holds the AMI users just left, so it is
 * kept, not retired; after a retirement there is nothing left to retire. `why` is the skip reason.
 */
export async function retireSlotsPlan(ctx: CycleContext, timeline: Timeline, why: RegExp): Promise<void> {
  await timeline.phase('retire-slots.yml: gitops list-retirements (git only)', 'git', async (phase) => {
    const run = await gitops(ctx, 'list-retirements', {});
    expectOutput(run, 'environments', '[]', 'list-retirements');
    const skipped = run.stdout.split('\n').find((l) => l.includes(`${ctx.environment.name}: skipped, `) && why.test(l));
    if (!skipped) throw new CycleCheckError(`list-retirements did not skip ${ctx.environment.name} for ${why}`, run.stdout.split('\n').filter((l) => / skipped, /.test(l)));
    phase.note(skipped.trim());
  });
}

async function liveSlotOf(ctx: CycleContext, job: JobEnvironment): Promise<SlotName | undefined> {
  const fleet = await readFleet(ctx.clients, job.appStack);
  return (/^(Blue|Green)/.exec(fleet.amiParameter)?.[1]?.toLowerCase() as SlotName | undefined) ?? undefined;
}

/** After update-app-stack flipped back: git records what the stack runs, the report fails the job, and users never met the bad AMI. */
async function failedSlotsDeploy(
  ctx: CycleContext,
  timeline: Timeline,
  job: JobEnvironment,
  deploy: DeployRequest,
  run: { from: number; to: number; update: Record<string, string>; oldSlot: SlotName },
): Promise<void> {
  timeline.section('deploy-environment.yml, the update failed: "Record what runs"');
  await timeline.phase(`${run.oldSlot} still serves ${deploy.previousAmi}`, 'moto', async (phase) => {
    phase.note(await expectFleetOn(ctx.clients, job.appStack, deploy.previousAmi));
    const staged = await readFleet(ctx.clients, job.appStack, otherSlot(run.oldSlot));
    phase.note(`${otherSlot(run.oldSlot)} keeps the staged ${job.amiId} at weight 0 for a look: ${staged.instanceIds.length} instance(s) in ${staged.autoScalingGroup}`);
  });
  const sync = await timeline.phase('gitops sync-from-stack (git records what runs)', 'git', async (phase) => {
    const syncRun = await gitops(ctx, 'sync-from-stack', { 'requested-ami-id': job.amiId, 'failed-back': 'false' });
    expectOutput(syncRun, 'outcome', 'pushed', 'sync-from-stack');
    expectOutput(syncRun, 'live-ami-id', deploy.previousAmi, 'sync-from-stack');
    const subject = (await ctx.repo.checkout.run(['log', '-1', '--format=%s', 'origin/main'])).stdout.trim();
    phase.note(`${syncRun.outputs.commit?.slice(0, 12)} on main: "${subject}"`);
    const diff = (await ctx.repo.checkout.run(['diff', '--unified=0', `${syncRun.outputs.commit}~1`, syncRun.outputs.commit ?? '', '--', job.parametersFile])).stdout;
    phase.note(diff.split('\n').filter((l) => /^[-+]\s/.test(l)).join('\n'));
    return syncRun;
  });
  await slotsDeployReport(ctx, timeline, job, { failback: false, update: run.update, verify: 'skipped', sync: sync.outputs, updateFailed: true });
  await timeline.phase('users never met the bad AMI', 'data plane', async (phase) => {
    const users = ctx.traffic.users!;
    const during = users.window(run.from, Date.now());
    const bad = during.byAmi.find((a) => a.amiId === job.amiId)?.requests ?? 0;
    if (bad > 0) throw new CycleCheckError(`${bad} user request(s) were answered by the bad AMI ${job.amiId}`);
    if (during.failed > 0) throw new CycleCheckError(`${during.failed} user request(s) failed during the failed deploy`, Object.keys(during.failures));
    phase.note(`${during.requests} requests during the deploy and the record, all answered by ${deploy.previousAmi}: the bad AMI failed on its own target group at weight 0`);
  });
}

async function slotsDeployReport(
  ctx: CycleContext,
  timeline: Timeline,
  job: JobEnvironment,
  outcome: { failback: boolean; record?: Record<string, string>; update: Record<string, string>; verify: 'success' | 'skipped'; sync?: Record<string, string>; updateFailed?: boolean },
): Promise<void> {
  const failed = Boolean(outcome.updateFailed);
  const notification = await timeline.phase(`gitops deploy-report${failed ? ': the deploy failed, flipped back' : ''}`, 'local', async (phase) => {
    const run = await runStep(
      ctx,
      'gitops',
      {
        command: 'deploy-report',
        environment: ctx.environment.name,
        'requested-ami-id': job.amiId,
        'is-failback': String(outcome.failback),
        'prepare-outcome': 'success',
        'update-outcome': failed ? 'failure' : 'success',
        'verify-outcome': outcome.verify,
        'failback-update-outcome': 'skipped',
        'failback-verify-outcome': 'skipped',
        'sync-outcome': failed ? 'success' : 'skipped',
        changed: outcome.update.changed ?? '',
        'stack-status': outcome.update['stack-status'] ?? '',
        'stack-previous-ami-id': outcome.update['previous-ami-id'] ?? '',
        'failed-step': outcome.update['failed-step'] ?? '',
        'flipped-back-to': outcome.update['flipped-back-to'] ?? '',
        ...outcome.record,
        ...(failed ? { 'sync-result': outcome.sync?.outcome ?? '', 'sync-commit': outcome.sync?.commit ?? '', 'live-ami-id': outcome.sync?.['live-ami-id'] ?? '' } : {}),
      },
      { expectFailure: failed },
    );
    expectOutput(run, 'ok', failed ? 'false' : 'true', 'deploy-report');
    const headline = run.outputs.headline ?? '';
    // A flipped-back deploy is reported as one: where the new slot failed and who serves users now, never "did not start".
    if (failed && !/ failed in \S+: (blue|green) .*Traffic is back on (blue|green) \(ami-/.test(headline)) {
      throw new Error(`deploy-report did not report the flip back (update-app-stack failed-step "${outcome.update['failed-step'] ?? ''}", flipped-back-to "${outcome.update['flipped-back-to'] ?? ''}"): ${headline}`);
    }
    phase.note(headline);
    return run.outputs.notification;
  });
  // The job's last step, under if: always(), as in the replace deploy job (local/cycle/notify-phase.ts).
  const amis = [outcome.update['previous-ami-id'] ?? '', job.amiId].filter(Boolean);
  await notifyStep(ctx, timeline, notification, { amis, jobStatus: failed ? 'failure' : 'success' });
}
