/**
 * deploy-environment.yml, run by the cycle: (record a requested failback) → resolve-environment
 * at HEAD → update-app-stack deploy → verify-alb → on a failed verification, the job's automatic
 * failback (prepare-failback → update-app-stack → verify-alb → sync-from-stack) → deploy-report;
 * plus the cycle's own checks on moto and, from the load generator, what users saw.
 */
import { deregisterTerminatedTargets, expectFleetOn } from './fleet';
import { notifyStep } from './notify-phase';
import { CycleCheckError, type Timeline } from './timeline';
import { reportDeployTraffic } from './traffic';
import { runSlotsDeployJob } from './slots-deploy-job';
import { expectOutput, failureLines, gitops, resolveEnvironment, runStep, updateAppStack, verifyAlb, type CycleContext, type JobEnvironment } from './workflow-steps';

export interface DeployRequest {
  /** Names the deploy in the output and the saved summaries ("patch", "failback"). */
  label: string;
  expectedAmi: string;
  previousAmi: string;
  /** failback.yml: record this failback in git before the deploy. */
  failback?: { target: string; reason: string };
  /** The AMI is known bad: verify-alb (slots: the idle slot's proof) must fail on HTTP and the job must fail back by itself. */
  expectVerifyFailure?: boolean;
  /** When the failback was dispatched (failback.yml's first step), to time it. */
  dispatchedAt?: number;
  /**
   * Strategy slots: the bake window the scratch wiring was shortened to for this deploy (LOCAL);
   * the job's bake step waits it out and retires the old slot. Unset: the wiring's window is left open.
   */
  bakeSeconds?: number;
}

export async function runDeployJob(ctx: CycleContext, timeline: Timeline, deploy: DeployRequest): Promise<void> {
  const { failback } = deploy;
  let record: Record<string, string> = {};
  if (failback) {
    record = await timeline.phase('gitops record-failback (commit, push)', 'git', async (phase) => {
      const run = await gitops(ctx, 'record-failback', { 'target-ami': failback.target, reason: failback.reason, 'requested-by': 'local-operator' });
      expectOutput(run, 'outcome', 'pushed', 'record-failback');
      phase.note(`${run.outputs.commit?.slice(0, 12)} on main`);
      // deploy-environment.yml passes these to the report, which names the failback, its reason and its record.
      return {
        'failback-target-ami-id': failback.target,
        'failback-reason': failback.reason,
        'failback-requested-by': 'local-operator',
        'record-outcome': 'success',
        'record-result': run.outputs.outcome ?? '',
        'record-commit': run.outputs.commit ?? '',
        'record-replaced-ami-id': run.outputs['replaced-ami-id'] ?? '',
      };
    });
  }
  if (ctx.environment.strategy === 'slots') return runSlotsDeployJob(ctx, timeline, deploy, record);
  const job = await timeline.phase('gitops resolve-environment at HEAD', 'git', (phase) => resolveEnvironment(ctx, phase));
  if (job.amiId !== deploy.expectedAmi) throw new CycleCheckError(`HEAD names ${job.amiId}, expected ${deploy.expectedAmi}`);

  const from = Date.now();
  const update = await deployStack(ctx, timeline, job, { expectedAmi: job.amiId, previousAmi: deploy.previousAmi, title: 'update-app-stack mode=deploy' });
  await timeline.phase(`verify-alb${deploy.expectVerifyFailure ? ': fails on HTTP' : ''}`, 'moto + data plane', async (phase) => {
    const run = await verifyAlb(ctx, phase, job, job.amiId, { label: deploy.label, expectFailure: deploy.expectVerifyFailure });
    if (deploy.expectVerifyFailure) {
      const errors = failureLines(run);
      if (!errors.some((l) => /HTTP error rate/.test(l))) throw new CycleCheckError('verify-alb failed, but not on its HTTP samples', errors);
      phase.note(errors[0]);
    }
  });

  if (!deploy.expectVerifyFailure) {
    await deployReport(ctx, timeline, job, { failback: Boolean(failback), record, update: update.outputs, verify: 'success' });
    await reportDeployTraffic(ctx, timeline, { label: `the ${deploy.label} deploy`, from, to: Date.now(), newAmi: job.amiId, oldAmi: deploy.previousAmi, promise: true });
    return;
  }

  timeline.section('deploy-environment.yml, verification failed: the automatic failback');
  const failbackAmi = await timeline.phase('gitops prepare-failback', 'git', async (phase) => {
    const run = await gitops(ctx, 'prepare-failback', { 'previous-ami-id': update.outputs['previous-ami-id'] ?? '' });
    const ami = expectOutput(run, 'ami-id', deploy.previousAmi, 'prepare-failback');
    phase.note(`${job.parametersFile} in the workspace now names ${ami} (${run.outputs.source}); not committed yet`);
    return ami;
  });
  const failbackFrom = Date.now();
  await deployStack(ctx, timeline, job, { expectedAmi: failbackAmi, previousAmi: job.amiId, title: 'update-app-stack mode=deploy (failback)' });
  await timeline.phase('verify-alb (the failback)', 'moto + data plane', (phase) => verifyAlb(ctx, phase, job, failbackAmi, { label: `${deploy.label}-auto-failback` }));
  const sync = await timeline.phase('gitops sync-from-stack (git records what runs)', 'git', async (phase) => {
    const run = await gitops(ctx, 'sync-from-stack', { 'requested-ami-id': job.amiId, 'failed-back': 'true' });
    expectOutput(run, 'outcome', 'pushed', 'sync-from-stack');
    expectOutput(run, 'live-ami-id', failbackAmi, 'sync-from-stack');
    phase.note(`${run.outputs.commit?.slice(0, 12)} on main: ${job.parametersFile} names ${failbackAmi} again`);
    return run;
  });
  await deployReport(ctx, timeline, job, { failback: false, update: update.outputs, verify: 'failure', failbackAmi, sync: sync.outputs });
  const to = Date.now();
  await reportDeployTraffic(ctx, timeline, { label: `the ${deploy.label} deploy (bad AMI)`, from, to: failbackFrom, newAmi: job.amiId, oldAmi: deploy.previousAmi, promise: false });
  // Not held to the promise here: until the old AMI answers again, the bad AMI's own errors continue. The next phase holds what follows.
  const back = await reportDeployTraffic(ctx, timeline, { label: 'the automatic failback', from: failbackFrom, to, newAmi: failbackAmi, oldAmi: job.amiId, promise: false });
  await timeline.phase('users got the old AMI back', 'data plane', async (phase) => {
    if (back.firstNewMs === undefined) throw new CycleCheckError(`no request was answered by ${failbackAmi} after the failback`);
    const backAt = failbackFrom + back.firstNewMs;
    // The spoiled AMI's errors are the scenario's broken patch, not a broken promise.
    ctx.traffic.excused.push({ from, to: backAt, why: 'the spoiled AMI was live' });
    const bad = ctx.traffic.users!.window(from, backAt);
    const after = ctx.traffic.users!.window(backAt, to);
    const others = after.byAmi.filter((a) => a.amiId !== failbackAmi);
    if (after.failed > 0 || others.length > 0) {
      throw new CycleCheckError(`after ${failbackAmi} answered again, ${after.failed} request(s) failed and ${others.map((a) => `${a.requests} came from ${a.amiId}`).join(', ') || 'none came from another AMI'}`);
    }
    phase.note(`while ${job.amiId} was live: ${bad.requests} requests, ${bad.failed} failed (what a bad patch costs users until verify-alb catches it)`);
    phase.note(`from ${((backAt - from) / 1000).toFixed(2)} s after the bad deploy started: ${after.requests} requests, all answered by ${failbackAmi}, none failed`);
  });
}

/** update-app-stack deploy, the fleet check on moto, and the moto fix-up (deregister the old group's terminated instances). */
async function deployStack(ctx: CycleContext, timeline: Timeline, job: JobEnvironment, expect: { expectedAmi: string; previousAmi: string; title: string }) {
  const update = await timeline.phase(expect.title, 'moto', async (phase) => {
    const run = await updateAppStack(ctx, job, 'deploy');
    expectOutput(run, 'changed', 'true', 'update-app-stack deploy');
    expectOutput(run, 'previous-ami-id', expect.previousAmi, 'update-app-stack deploy');
    expectOutput(run, 'ami-id', expect.expectedAmi, 'update-app-stack deploy');
    phase.note(`${run.outputs['stack-status']}; ${await expectFleetOn(ctx.clients, job.appStack, expect.expectedAmi)}`);
    phase.note('moto replaced the ASG (delete, then create); real AWS keeps blue until green is healthy (UpdatePolicy, cfn-signal)');
    return run;
  });
  await timeline.phase('moto fix-up: deregister terminated targets', 'moto', async (phase) => {
    const gone = await deregisterTerminatedTargets(ctx.clients, job.appStack);
    phase.note(`${gone.length ? gone.join(', ') : 'none'}: moto leaves the old group's terminated instances registered; AWS deregisters them itself (they now drain on the data plane)`);
  });
  return update;
}

export async function deployReport(
  ctx: CycleContext,
  timeline: Timeline,
  job: JobEnvironment,
  outcome: { failback: boolean; record?: Record<string, string>; update: Record<string, string>; verify: 'success' | 'failure'; failbackAmi?: string; sync?: Record<string, string> },
): Promise<void> {
  const failedBack = outcome.failbackAmi !== undefined;
  const notification = await timeline.phase(`gitops deploy-report${failedBack ? ': the deploy failed, failed back' : ''}`, 'local', async (phase) => {
    const run = await runStep(
      ctx,
      'gitops',
      {
        command: 'deploy-report',
        environment: ctx.environment.name,
        'requested-ami-id': job.amiId,
        'is-failback': String(outcome.failback),
        'prepare-outcome': 'success',
        'update-outcome': 'success',
        'verify-outcome': outcome.verify,
        'failback-update-outcome': failedBack ? 'success' : 'skipped',
        'failback-verify-outcome': failedBack ? 'success' : 'skipped',
        'sync-outcome': failedBack ? 'success' : 'skipped',
        changed: outcome.update.changed ?? '',
        'stack-status': outcome.update['stack-status'] ?? '',
        'stack-previous-ami-id': outcome.update['previous-ami-id'] ?? '',
        ...outcome.record,
        ...(failedBack
          ? { 'failback-ami-id': outcome.failbackAmi!, 'sync-result': outcome.sync?.outcome ?? '', 'sync-commit': outcome.sync?.commit ?? '', 'live-ami-id': outcome.sync?.['live-ami-id'] ?? '' }
          : {}),
      },
      { expectFailure: failedBack },
    );
    expectOutput(run, 'ok', failedBack ? 'false' : 'true', 'deploy-report');
    phase.note(run.outputs.headline ?? '');
    return run.outputs.notification;
  });
  // The job's last step, under if: always() (local/cycle/notify-phase.ts).
  const amis = [outcome.update['previous-ami-id'] ?? '', job.amiId].filter(Boolean);
  await notifyStep(ctx, timeline, notification, { amis, jobStatus: failedBack ? 'failure' : 'success' });
}
