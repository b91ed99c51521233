/**
 * deploy-environment.yml, run by the cycle: (record a requested failback) → resolve-environment
 * at HEAD → update-app-stack deploy, which verifies green inside the rollback-trigger window and
 * cancels the update when it fails there (then "Record what runs": sync-from-stack) → verify-alb →
 * on a failed verification, the job's automatic failback (prepare-failback → update-app-stack →
 * verify-alb → sync-from-stack) → deploy-report; plus the cycle's own checks on moto and, from the
 * load generator, what users saw.
 */
import { deregisterTerminatedTargets, expectFleetOn, readFleet } from './fleet';
import { notifyStep } from './notify-phase';
import { CycleCheckError, type Timeline } from './timeline';
import { reportDeployTraffic } from './traffic';
import { runSlotsDeployJob } from './slots-deploy-job';
import { expectOutput, failureLines, gitops, LOCAL_REPLACE_WINDOW_MINUTES, resolveEnvironment, runStep, updateAppStack, verifyAlb, type CycleContext, type JobEnvironment } from './workflow-steps';

export interface DeployRequest {
  /** Names the deploy in the output and the saved summaries ("patch", "failback"). */
  label: string;
  expectedAmi: string;
  previousAmi: string;
  /** failback.yml: record this failback in git before the deploy. */
  failback?: { target: string; reason: string };
  /**
   * The AMI is known bad: its verification must fail on HTTP and the job must fail back by itself
   * (replace: inside the rollback-trigger window, by CancelUpdateStack; slots: the idle slot's proof).
   */
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
  if (deploy.expectVerifyFailure) return cancelledInWindow(ctx, timeline, job, deploy, from);
  const update = await deployStack(ctx, timeline, job, { expectedAmi: job.amiId, previousAmi: deploy.previousAmi, title: 'update-app-stack mode=deploy', failback: Boolean(failback) });
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
  await deployStack(ctx, timeline, job, { expectedAmi: failbackAmi, previousAmi: job.amiId, title: 'update-app-stack mode=deploy (failback)', failback: false });
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
async function deployStack(ctx: CycleContext, timeline: Timeline, job: JobEnvironment, expect: { expectedAmi: string; previousAmi: string; title: string; failback: boolean }) {
  const update = await timeline.phase(expect.title, 'moto', async (phase) => {
    const run = await updateAppStack(ctx, job, 'deploy', { failback: expect.failback, replaceWindow: true });
    expectOutput(run, 'changed', 'true', 'update-app-stack deploy');
    expectOutput(run, 'previous-ami-id', expect.previousAmi, 'update-app-stack deploy');
    expectOutput(run, 'ami-id', expect.expectedAmi, 'update-app-stack deploy');
    phase.note(`${run.outputs['stack-status']}; ${await expectFleetOn(ctx.clients, job.appStack, expect.expectedAmi)}`);
    const verified = run.stdout.split('\n').find((l) => /Green \(ami-\S+\) verified while blue/.test(l));
    phase.note(
      verified
        ? `${verified.trim()} (rollback-trigger window ${LOCAL_REPLACE_WINDOW_MINUTES} min, held by moto's patch in wall-clock time)`
        : 'no window verification (a requested failback): moto replaced the ASG (delete, then create); real AWS keeps blue until green is healthy (UpdatePolicy, cfn-signal)',
    );
    return run;
  });
  await timeline.phase('moto fix-up: deregister terminated targets', 'moto', async (phase) => {
    const gone = await deregisterTerminatedTargets(ctx.clients, job.appStack);
    phase.note(`${gone.length ? gone.join(', ') : 'none'}: moto leaves the old group's terminated instances registered; AWS deregisters them itself (they now drain on the data plane)`);
  });
  return update;
}

/**
 * A bad AMI under strategy replace: update-app-stack verifies green inside the rollback-trigger
 * window while blue still serves beside it, fails it on HTTP and cancels the update, so
 * CloudFormation rolls back to blue (moto's patch, docs/moto.md #22). Then the job's "Record what
 * runs" and its report; users met the bad AMI only beside blue, until the cancel.
 */
async function cancelledInWindow(ctx: CycleContext, timeline: Timeline, job: JobEnvironment, deploy: DeployRequest, from: number): Promise<void> {
  const blueGroup = (await readFleet(ctx.clients, job.appStack)).autoScalingGroup;
  const update = await timeline.phase('update-app-stack mode=deploy: green fails inside the rollback-trigger window', 'moto + data plane', async (phase) => {
    const run = await updateAppStack(ctx, job, 'deploy', { expectFailure: true, replaceWindow: true });
    expectOutput(run, 'failed-step', 'window', 'update-app-stack deploy');
    expectOutput(run, 'flipped-back-to', 'blue', 'update-app-stack deploy');
    expectOutput(run, 'stack-status', 'UPDATE_ROLLBACK_COMPLETE', 'update-app-stack deploy');
    expectOutput(run, 'ami-id', deploy.previousAmi, 'update-app-stack deploy');
    const errors = failureLines(run);
    if (!errors.some((l) => /cancelled: green \(ami-\S+\) failed verification inside the rollback-trigger window.*HTTP error rate/.test(l))) {
      throw new CycleCheckError('update-app-stack failed, but not on the window verification of green on HTTP', errors);
    }
    phase.note(errors[0]);
    const cancel = run.stdout.split('\n').find((l) => /Cancelled the update of \S+ \(CancelUpdateStack\)/.test(l));
    if (cancel) phase.note(cancel.trim());
    return run;
  });
  const to = Date.now();
  await timeline.phase('blue still serves: the same group, the previous AMI', 'moto', async (phase) => {
    const fleet = await readFleet(ctx.clients, job.appStack);
    if (fleet.autoScalingGroup !== blueGroup) throw new CycleCheckError(`the stack's group is ${fleet.autoScalingGroup}, not blue's ${blueGroup}: CloudFormation replaced it instead of rolling back`);
    phase.note(`${await expectFleetOn(ctx.clients, job.appStack, deploy.previousAmi)}: no second replacement`);
    const gone = await deregisterTerminatedTargets(ctx.clients, job.appStack);
    phase.note(`moto fix-up: ${gone.length ? `${gone.join(', ')} deregistered` : 'no terminated target left registered'} (green's group, deleted by the rollback; AWS deregisters them itself)`);
  });
  timeline.section('deploy-environment.yml, the update failed: "Record what runs"');
  const sync = await timeline.phase('gitops sync-from-stack (git records what runs)', 'git', async (phase) => {
    const run = await gitops(ctx, 'sync-from-stack', { 'requested-ami-id': job.amiId, 'failed-back': 'false' });
    expectOutput(run, 'outcome', 'pushed', 'sync-from-stack');
    expectOutput(run, 'live-ami-id', deploy.previousAmi, 'sync-from-stack');
    phase.note(`${run.outputs.commit?.slice(0, 12)} on main: ${job.parametersFile} names ${deploy.previousAmi} again`);
    return run;
  });
  await deployReport(ctx, timeline, job, { failback: false, update: update.outputs, verify: 'skipped', sync: sync.outputs, updateFailed: true });
  // The spoiled AMI's own errors, and requests in flight to green when the rollback deleted its group (moto: no draining, docs/moto.md #6), are the scenario's broken patch.
  // One second past the step: the data plane follows moto by polling, so green's processes stop a sync after the rollback deleted them.
  const settled = to + 1_000;
  ctx.traffic.excused.push({ from, to: settled, why: 'the spoiled AMI served beside blue until the cancel' });
  const during = await reportDeployTraffic(ctx, timeline, { label: `the ${deploy.label} deploy (bad AMI, cancelled in the window)`, from, to, newAmi: job.amiId, oldAmi: deploy.previousAmi, promise: false });
  await timeline.phase('users are back on blue alone', 'data plane', async (phase) => {
    const users = ctx.traffic.users!;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, settled + 2_000 - Date.now())));
    const after = users.window(settled, Date.now());
    const others = after.byAmi.filter((a) => a.amiId !== deploy.previousAmi);
    if (after.failed > 0 || others.length > 0) {
      throw new CycleCheckError(`after the cancel, ${after.failed} request(s) failed and ${others.map((a) => `${a.requests} came from ${a.amiId}`).join(', ') || 'none came from another AMI'}`);
    }
    const blue = during.window.byAmi.find((a) => a.amiId === deploy.previousAmi)?.requests ?? 0;
    phase.note(`until the cancel: ${during.window.requests} requests, ${blue} answered by blue, ${during.window.failed} failed beside them (the bad AMI's share: what a bad patch costs users until the window verification catches it)`);
    phase.note(`after the update step: ${after.requests} requests, all answered by ${deploy.previousAmi}, none failed`);
  });
}

export async function deployReport(
  ctx: CycleContext,
  timeline: Timeline,
  job: JobEnvironment,
  outcome: {
    failback: boolean;
    record?: Record<string, string>;
    update: Record<string, string>;
    verify: 'success' | 'failure' | 'skipped';
    failbackAmi?: string;
    sync?: Record<string, string>;
    /** update-app-stack failed after cancelling its update in the window: failed-step and flipped-back-to say so. */
    updateFailed?: boolean;
  },
): Promise<void> {
  const failedBack = outcome.failbackAmi !== undefined;
  const failed = failedBack || Boolean(outcome.updateFailed);
  const notification = await timeline.phase(`gitops deploy-report${failedBack ? ': the deploy failed, failed back' : outcome.updateFailed ? ': the deploy failed, cancelled in the window' : ''}`, 'local', async (phase) => {
    const run = await runStep(
      ctx,
      'gitops',
      {
        command: 'deploy-report',
        environment: ctx.environment.name,
        'requested-ami-id': job.amiId,
        'is-failback': String(outcome.failback),
        'prepare-outcome': 'success',
        'update-outcome': outcome.updateFailed ? 'failure' : 'success',
        'verify-outcome': outcome.verify,
        'failback-update-outcome': failedBack ? 'success' : 'skipped',
        'failback-verify-outcome': failedBack ? 'success' : 'skipped',
        'sync-outcome': failed ? 'success' : 'skipped',
        changed: outcome.update.changed ?? '',
        'stack-status': outcome.update['stack-status'] ?? '',
        'stack-previous-ami-id': outcome.update['previous-ami-id'] ?? '',
        'failed-step': outcome.update['failed-step'] ?? '',
        'flipped-back-to': outcome.update['flipped-back-to'] ?? '',
        ...outcome.record,
        ...(failedBack ? { 'failback-ami-id': outcome.failbackAmi! } : {}),
        ...(failed ? { 'sync-result': outcome.sync?.outcome ?? '', 'sync-commit': outcome.sync?.commit ?? '', 'live-ami-id': outcome.sync?.['live-ami-id'] ?? '' } : {}),
      },
      { expectFailure: failed },
    );
    expectOutput(run, 'ok', failed ? 'false' : 'true', 'deploy-report');
    const headline = run.outputs.headline ?? '';
    // A cancelled replace deploy is reported as one: green failed in the window, users are on blue again.
    if (outcome.updateFailed && !/ failed in \S+: green failed verification inside the rollback-trigger window.*Traffic is back on blue \(ami-/.test(headline)) {
      throw new CycleCheckError(`deploy-report did not report the cancel in the window (failed-step "${outcome.update['failed-step'] ?? ''}"): ${headline}`);
    }
    phase.note(headline);
    return run.outputs.notification;
  });
  // The job's last step, under if: always() (local/cycle/notify-phase.ts).
  const amis = [outcome.update['previous-ami-id'] ?? '', job.amiId].filter(Boolean);
  await notifyStep(ctx, timeline, notification, { amis, jobStatus: failed ? 'failure' : 'success' });
}
