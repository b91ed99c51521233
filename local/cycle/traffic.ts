/**
 * What the cycle's users saw during a deploy, from the load generator's samples, and whether the
 * deploy strategy kept its promise.
 *
 * The `replace` strategy promises no failed request across a cutover on AWS: CloudFormation keeps
 * blue serving until green has signalled and the load balancer calls it healthy. moto breaks that
 * precondition (docs/moto.md #5): it deletes blue before it creates green, so for a moment no
 * instance serves and requests fail however good the strategy is. That moment, from the update's
 * start to green's first answer, is "moto's replacement gap": failures the load balancer itself
 * answered inside it (no target to send to, a target that vanished) are counted and printed,
 * labelled as moto's. A target's own error (the app failing) is never excused by the gap. Everywhere else (before the update, from green's first answer on,
 * through verify-alb and the report, and between deploys) the promise is held: one failed request
 * there fails the cycle.
 */
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';

import { systemClock } from '../../actions/lib/clock';
import { poll } from '../../actions/lib/poll';
import type { Sample } from '../../actions/lib/verify/sampler';
import { LoadGenerator, type TrafficWindow } from '../data-plane/load-generator';
import { CycleCheckError, type Timeline } from './timeline';
import type { CycleContext } from './workflow-steps';

export interface DeployTraffic {
  label: string;
  window: TrafficWindow;
  newAmi: string;
  oldAmi: string;
  /** ms from the update's start to the first answer from the new AMI, if it answered. */
  firstNewMs?: number;
  /** ms from the update's start to the last answer from the old AMI, if it answered after the start. */
  lastOldMs?: number;
  /** The replacement gap: from the update's start to the new AMI's first answer; `failed` counts the load balancer's own errors in it. */
  gap: ExcusedWindow & { failed: number };
}

/** A stretch of time whose failed requests are explained rather than a broken promise. */
export interface ExcusedWindow {
  from: number;
  to: number;
  why: string;
  /** Only errors the load balancer answered itself are excused (not a target's own 5xx). */
  loadBalancerErrorsOnly?: boolean;
}

const MOTO_GAP = "moto's replacement gap";

function isExcused(sample: Sample, windows: readonly ExcusedWindow[]): ExcusedWindow | undefined {
  return windows.find((w) => sample.at >= w.from && sample.at < w.to && (!w.loadBalancerErrorsOnly || /from the load balancer$/.test(sample.error ?? '')));
}

export function measureDeploy(generator: LoadGenerator, deploy: { label: string; from: number; to: number; newAmi: string; oldAmi: string }): DeployTraffic {
  const window = generator.window(deploy.from, deploy.to);
  const first = window.byAmi.find((a) => a.amiId === deploy.newAmi)?.first;
  const lastOld = window.byAmi.find((a) => a.amiId === deploy.oldAmi)?.last;
  const gapEnd = first ?? deploy.from;
  const gap: ExcusedWindow = { from: deploy.from, to: gapEnd, why: MOTO_GAP, loadBalancerErrorsOnly: true };
  return {
    label: deploy.label,
    window,
    newAmi: deploy.newAmi,
    oldAmi: deploy.oldAmi,
    firstNewMs: first === undefined ? undefined : first - deploy.from,
    lastOldMs: lastOld === undefined ? undefined : lastOld - deploy.from,
    gap: { ...gap, failed: generator.samples.filter((x) => x.error !== undefined && isExcused(x, [gap])).length },
  };
}

/** The lines the cycle prints for a deploy. */
export function describeDeploy(t: DeployTraffic): string[] {
  const seconds = (ms: number | undefined) => (ms === undefined ? 'never' : `+${(ms / 1000).toFixed(2)} s`);
  const served = t.window.byAmi.map((a) => `${a.amiId}${a.amiId === t.newAmi ? ' (new)' : a.amiId === t.oldAmi ? ' (old)' : ''} ${a.requests}`).join(', ') || 'none';
  const failures = Object.entries(t.window.failures).map(([why, n]) => `${n}× ${why}`).join(', ');
  return [
    `requests ${t.window.requests}, failed ${t.window.failed}${failures ? ` (${failures})` : ''}; answered by ${served}`,
    `first answer from the new AMI ${seconds(t.firstNewMs)}, last from the old one ${seconds(t.lastOldMs)} (from the update's start)`,
    t.firstNewMs === undefined
      ? 'the new AMI never answered a request successfully'
      : `failed inside moto's replacement gap (answered by the load balancer: blue deleted before green exists; AWS keeps blue until green is healthy): ${t.gap.failed}; other failures: ${t.window.failed - t.gap.failed}`,
  ];
}

/** Failed requests between `from` and `to` that no excused window explains: what the promise forbids. */
export function failuresOutsideGaps(generator: LoadGenerator, windows: readonly ExcusedWindow[], from: number, to: number): TrafficWindow['failures'] {
  const outside = generator.samples.filter((s) => s.error !== undefined && s.at >= from && s.at < to && !isExcused(s, windows));
  const failures: Record<string, number> = {};
  for (const s of outside) failures[`${new Date(s.at).toISOString()} ${s.error}`] = 1;
  return failures;
}

/** The app's users: 10 requests a second, for at most the cycle's budget and a margin. */
const USERS_PER_SECOND = 10;
const USERS_MAX_SECONDS = 300;

/**
 * Starts the users once the app stack's load balancer answers on the data plane with every target
 * healthy (by the stand-in's health checks, read through the ELBv2 front as verify-alb reads them).
 */
export async function startUsers(ctx: CycleContext, timeline: Timeline, stack: { loadBalancerDnsName: string; targetGroupArn: string }): Promise<void> {
  await timeline.phase('users arrive: load generator on the listener', 'data plane', async (phase) => {
    const { observation: url } = await poll({
      // A timeout names what the data plane saw go wrong (php-cli missing, say), not only that nothing answered.
      describe: () => ctx.dataPlane.fleet.lastStartError ?? `instances serving: ${ctx.dataPlane.fleet.servingIds().join(', ') || 'none'} (log ${ctx.dataPlane.logFile})`,
      description: `the data plane to serve ${stack.loadBalancerDnsName} with every target healthy`,
      check: async () => {
        const health = (await ctx.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: stack.targetGroupArn }))).TargetHealthDescriptions ?? [];
        const ready = health.length > 0 && health.every((d) => d.TargetHealth?.State === 'healthy');
        return ready ? (ctx.dataPlane.listenerUrl(stack.loadBalancerDnsName) ?? '') : '';
      },
      isDone: (u) => u !== '',
      clock: systemClock,
      timeoutMs: 30_000,
      schedule: { firstDelayMs: 200, steadyMs: 250 },
    });
    const users = new LoadGenerator({ url, ratePerSecond: USERS_PER_SECOND, maxSeconds: USERS_MAX_SECONDS });
    users.start();
    ctx.traffic.users = users;
    ctx.traffic.listenerUrl = url;
    ctx.traffic.startedAt = Date.now();
    phase.note(`${stack.loadBalancerDnsName}:80 → ${url} (moto's DNS name does not resolve; the data plane maps the listener to loopback)`);
    phase.note(`${USERS_PER_SECOND} requests/s to /details.json through the load balancer stand-in, loopback only, stops by itself after ${USERS_MAX_SECONDS} s`);
  });
}

/** Prints and records what users saw during a deploy; with `promise`, fails on a failed request outside moto's gap. */
export async function reportDeployTraffic(
  ctx: CycleContext,
  timeline: Timeline,
  deploy: { label: string; from: number; to: number; newAmi: string; oldAmi: string; promise: boolean },
): Promise<DeployTraffic> {
  return timeline.phase(`traffic during ${deploy.label}`, 'data plane', async (phase) => {
    const users = ctx.traffic.users;
    if (!users) throw new CycleCheckError('the load generator is not running');
    const measured = measureDeploy(users, deploy);
    ctx.traffic.deploys.push(measured);
    ctx.traffic.excused.push(measured.gap);
    for (const line of describeDeploy(measured)) phase.note(line);
    const outside = Object.keys(failuresOutsideGaps(users, [measured.gap], deploy.from, deploy.to));
    if (deploy.promise && outside.length > 0) {
      throw new CycleCheckError(`${outside.length} request(s) failed outside moto's replacement gap, where the replace strategy promises none`, outside.slice(0, 5));
    }
    return measured;
  });
}

/** Stops the users and holds the whole cycle to the promise: no failed request outside the excused windows. */
export async function stopUsers(ctx: CycleContext, timeline: Timeline): Promise<void> {
  const users = ctx.traffic.users;
  if (!users || ctx.traffic.startedAt === undefined) return;
  const from = ctx.traffic.startedAt;
  await timeline.phase('users leave: the whole cycle, as users saw it', 'data plane', async (phase) => {
    await users.stop();
    const to = Date.now();
    const all = users.window(from, to);
    phase.note(`requests ${all.requests} over ${((to - from) / 1000).toFixed(1)} s, failed ${all.failed}; answered by ${all.byAmi.map((a) => `${a.amiId} ${a.requests}`).join(', ')}${users.skipped ? `; ${users.skipped} tick(s) skipped (too many in flight)` : ''}`);
    const excused = new Map<string, number>();
    for (const s of users.samples.filter((x) => x.error !== undefined)) {
      const window = isExcused(s, ctx.traffic.excused);
      if (window) excused.set(window.why, (excused.get(window.why) ?? 0) + 1);
    }
    if (excused.size) phase.note(`failed inside excused windows: ${[...excused].map(([why, n]) => `${n} (${why})`).join(', ')}`);
    const outside = failuresOutsideGaps(users, ctx.traffic.excused, from, to);
    if (Object.keys(outside).length > 0) {
      throw new CycleCheckError(`${Object.keys(outside).length} request(s) failed outside every excused window`, Object.keys(outside).slice(0, 5));
    }
    phase.note('no request failed outside them');
  });
}
