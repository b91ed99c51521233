import { z } from 'zod';

import { failbackTargets, planRetirement, type EnvironmentHistory } from '../../lifecycle/retirement-plan';
import { protectFailbackTargets, readInstanceAmis, readPipelineImages, renderLifecycleReport, renderRetirementSummary, retireImages, type RetirementRow } from '../../lifecycle/ami-lifecycle';
import { loadRetirementFile, renderRetirementFile, RETIREMENT_FILE, type EnvironmentsConfig } from '../../parameters';
import { readAmiHistory } from '../ami-history';
import { loadWorkspaceRevocations } from '../revocation-check';
import { defineCommand, loadWiring, workspaceFiles, type GitopsContext } from './context';
import { flag, wiringNumberOverride } from './inputs';

/** The branch of the retirement PR. */
export const RETIREMENT_BRANCH = 'gitops/ami-retirement';

/** Every environment's AMI history, read once per run (the same for every region). */
async function readHistories(wiring: EnvironmentsConfig, ctx: GitopsContext): Promise<EnvironmentHistory[]> {
  return Promise.all(
    wiring.promotionOrder.map(async (name) => {
      const environment = wiring.environments[name];
      return { name, region: environment.region, history: await readAmiHistory(ctx.git, environment.parametersFile) };
    }),
  );
}

/** The wiring's lifecycle.retireAfterDays, overridden for one run (0 rehearses on fresh images); the wiring's maximum. */
const retireAfterDaysInput = wiringNumberOverride('days', { min: 0, max: 3650, maxWhy: "the wiring's lifecycle.retireAfterDays maximum, 10 years" });

/** The plan of every region the wiring uses, with the facts it was made from. */
async function planAllRegions(ctx: GitopsContext, retireAfterDays?: number) {
  const wiring = await loadWiring(ctx);
  const limits = { ...wiring.lifecycle, ...(retireAfterDays === undefined ? {} : { retireAfterDays }) };
  const environments = await readHistories(wiring, ctx);
  const revocations = await loadWorkspaceRevocations(ctx.workspace);
  const regions = [...new Set(environments.map((e) => e.region))];
  const plans = [];
  for (const region of regions) {
    const { ec2 } = ctx.aws(region);
    const images = await readPipelineImages(ec2);
    const runningAmis = await readInstanceAmis(ec2);
    // AWS's time (aws-clock.ts): a runner ahead by days would retire AMIs before their age.
    const nowMs = ctx.aws(region).awsClock.now(`the ages of the pipeline AMIs in ${region}`);
    plans.push({ plan: planRetirement({ region, environments, limits, revocations, images, runningAmis, nowMs }), images });
  }
  return { limits, environments, plans };
}

/**
 * AMI lifecycle, scheduled: per region, protect every AMI git can still fail back to (HEAD plus
 * the last K distinct AMIs of each environment) with deregistration protection, and write the
 * pipeline's other images past the age limit into parameters/ami-retirement.json for a PR. Never
 * deletes anything: that takes a person merging the PR, then retire-amis with delete.
 */
export const planAmiLifecycle = defineCommand({
  description: 'Protect the AMIs git can fail back to, and write the retirement proposal (deletes nothing).',
  inputs: z.object({ 'retire-after-days': retireAfterDaysInput }),
  outputs: ['kept', 'retirable', 'protected', 'changed', 'report', 'pr-branch', 'pr-title'],
  async run(inputs, ctx) {
    // Before any AWS call: a proposal the file policy refuses stops the run with nothing protected or written.
    const before = await loadRetirementFile(ctx.workspace);
    const { limits, environments, plans } = await planAllRegions(ctx, inputs['retire-after-days']);
    const protectedNow = new Set<string>();
    for (const { plan, images } of plans) {
      const deps = { clients: { ec2: ctx.aws(plan.region).ec2 }, logger: ctx.logger, clock: ctx.clock };
      for (const ami of await protectFailbackTargets(plan, images, deps)) protectedNow.add(ami);
    }
    const retire = plans.flatMap(({ plan }) => plan.retirable.map((r) => ({ region: plan.region, amiId: r.amiId, name: r.name, creationDate: r.creationDate })));
    const changed = JSON.stringify(before.retire) !== JSON.stringify(retire);
    if (changed) await workspaceFiles.write(ctx, RETIREMENT_FILE, renderRetirementFile({ proposedAt: new Date(ctx.clock.now()).toISOString(), retire }));
    const targets = environments.map((e) => `${e.name}: ${failbackTargets(e.history, limits.keepFailbackAmis).map((ami) => `\`${ami}\``).join(', ')}`).join('; ');
    const report = renderLifecycleReport(
      plans.map((p) => p.plan),
      protectedNow,
      {
        heading: '## AMI lifecycle (dry run: nothing deleted)',
        rule: `The rule: keep HEAD plus ${limits.keepFailbackAmis} earlier AMIs per environment (${targets}), and every image that is revoked, runs an instance or is younger than ${limits.retireAfterDays} days; a person merging the proposal retires the rest.`,
      },
    );
    const kept = plans.reduce((n, p) => n + p.plan.kept.length, 0);
    ctx.logger.info(`AMI lifecycle: ${kept} kept, ${retire.length} retirable, ${protectedNow.size} protected now; ${changed ? `${RETIREMENT_FILE} updated` : `${RETIREMENT_FILE} unchanged`}.`);
    return {
      outputs: {
        kept,
        retirable: retire.length,
        protected: protectedNow.size,
        changed,
        report,
        'pr-branch': RETIREMENT_BRANCH,
        'pr-title': `Retire ${retire.length} pipeline AMI(s) that no failback, revocation or instance needs`,
      },
      summary: report,
    };
  },
});

/**
 * AMI lifecycle, after a person merged the proposal: re-plans now and retires only the images the
 * merged file lists that are still retirable (an image that became a failback target, was revoked
 * or got an instance since is skipped, and said so). Without `delete: true` it only reports.
 */
export const retireAmis = defineCommand({
  description: 'Retire (deprecate, then deregister with snapshots) the merged proposal’s AMIs that are still retirable; only with delete: true.',
  inputs: z.object({ delete: flag.default(false), 'retire-after-days': retireAfterDaysInput }),
  outputs: ['retired', 'skipped'],
  async run(inputs, ctx) {
    const approved = await loadRetirementFile(ctx.workspace);
    const { plans } = await planAllRegions(ctx, inputs['retire-after-days']);
    const retired: string[] = [];
    const skipped: string[] = [];
    const rows: RetirementRow[] = [];
    for (const { plan } of plans) {
      const wanted = approved.retire.filter((e) => e.region === plan.region);
      const now = new Map(plan.retirable.map((r) => [r.amiId, r]));
      const go = wanted.flatMap((e) => (now.has(e.amiId) ? [now.get(e.amiId)!] : []));
      for (const e of wanted.filter((w) => !now.has(w.amiId))) {
        const kept = plan.kept.find((k) => k.amiId === e.amiId);
        const why = kept ? kept.reasons.join('; ') : 'no longer a pipeline image in this region';
        ctx.logger.warning(`${plan.region}: not retiring ${e.amiId}: ${why}.`);
        skipped.push(e.amiId);
        rows.push({ region: plan.region, amiId: e.amiId, outcome: 'skipped', why });
      }
      if (!inputs.delete) {
        rows.push(...go.map((ami) => ({ region: plan.region, amiId: ami.amiId, outcome: 'would retire' as const, why: `${ami.ageDays} days old; nothing needs it` })));
        continue;
      }
      retired.push(...(await retireImages(plan.region, go, { clients: { ec2: ctx.aws(plan.region).ec2 }, logger: ctx.logger, clock: ctx.clock })));
      rows.push(...go.map((ami) => ({ region: plan.region, amiId: ami.amiId, outcome: 'retired' as const, why: 'deprecated, then deregistered with its snapshots' })));
    }
    return { outputs: { retired: retired.length, skipped: skipped.length }, summary: renderRetirementSummary(rows, inputs.delete) };
  },
});
