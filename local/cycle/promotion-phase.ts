/**
 * The cycle's promotion phases, after dev deployed and verified the patch: prod as the previous
 * cycle left it (on the baseline, as dev was) → promote.yml (the wiring's soak refuses; the soak
 * shortened for this run, and said so, passes) → the promotion PR with the evidence → a reviewer's
 * merge → deploy-environment.yml for prod (the wave gate, update, verify, report) → the audit
 * trail: git and both stacks on the one AMI dev proved. promote.yml's plan (list-promotion-waves)
 * and deploy.yml's (changed-environments) are left out to keep the cycle short: their answers here
 * (["prod"]; prod, max-parallel 1) are unit-tested.
 *
 * Prod runs in another region than dev here (LOCAL_SECOND_REGION, second-region.ts): the
 * promotion copies the proven AMI there (moto's CopyImage), prod deploys the copy, and the audit
 * trail follows the copy's SourceAmiId tag back to the AMI dev runs. Same account: a copy into
 * another account is tested in test/integration/promotion.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';

import { createAwsClients } from '../../actions/lib/aws/clients';
import { systemClock } from '../../actions/lib/clock';
import { RecordingLogger } from '../../actions/lib/logger';

import { AMI_PARAMETER, readAmiHistory } from '../../actions/lib/gitops/ami-history';
import { poll } from '../../actions/lib/poll';
import { getEnvironment, liveAmiIn, loadEnvironments, setParameterInFile, soakMinutesOf, type EnvironmentConfig } from '../../actions/lib/parameters';
import { ensureImageCopy, readCopyOrigin } from '../../actions/lib/promotion/image-copy';
import { LOCAL_SECOND_REGION } from '../env';
import { deployEnvironmentStacks } from '../stacks';
import { deployReport } from './deploy-job';
import { deregisterTerminatedTargets, expectFleetOn } from './fleet';
import { commitAndPush, mergePullRequest, openPullRequest, OPERATOR } from './scratch-repo';
import { moveToRegion } from './second-region';
import { CycleCheckError, type Timeline } from './timeline';
import { expectOutput, gitops, resolveEnvironment, updateAppStack, verifyAlb, type CycleContext } from './workflow-steps';

/**
 * The soak this run waits instead of the wiring's (1440 minutes for dev): propose-promotion's
 * `soak-minutes` override, which the PR body labels. Failback records, the stack's state and the
 * alarms' history since the deploy are still read; only the waiting is skipped.
 */
export const LOCAL_SOAK_MINUTES = 0;

/** The second wave's environments, each with the AMI it runs before the promotion. */
export async function runPromotionPhases(ctx: CycleContext, timeline: Timeline, amis: { provenAmi: string; baselineAmi: string }): Promise<void> {
  const wiring = await loadEnvironments(join(ctx.repo.checkout.dir, 'parameters/environments.json'), { rootDir: ctx.repo.checkout.dir });
  const [first, next] = wiring.waves;
  if (!next) throw new CycleCheckError(`${wiring.file} has one wave only: nothing to promote to`);
  if (next.environments.length !== 1) throw new CycleCheckError(`the cycle promotes to a wave of one environment; wave ${next.name} has ${next.environments.join(', ')}`);
  timeline.section(`setup: ${next.environments[0]} in ${LOCAL_SECOND_REGION}, as the previous cycle's promotion left it`);
  const wired = getEnvironment(wiring, next.environments[0]);
  const target = wired.region === LOCAL_SECOND_REGION ? wired : await timeline.phase(`move ${wired.name} to ${LOCAL_SECOND_REGION} on main`, 'git', (phase) => moveToRegion(ctx.repo, wired, LOCAL_SECOND_REGION, phase));
  // The target's jobs run as deploy-environment.yml runs them there: configure-aws-credentials sets the environment's region.
  const targetCtx: CycleContext = {
    ...ctx,
    environment: target,
    clients: createAwsClients({ region: target.region }),
    awsEnv: { ...ctx.awsEnv, AWS_REGION: target.region, AWS_DEFAULT_REGION: target.region },
    traffic: { ...ctx.traffic },
  };

  const previousAmi = await prepareTarget(targetCtx, timeline, { baselineAmi: amis.baselineAmi, sourceRegion: ctx.environment.region });
  const pr = await proposePromotion(ctx, timeline, { wave: next.name, from: first.name, amiId: amis.provenAmi, target, targetClients: targetCtx.clients });

  timeline.section('a reviewer merges the promotion PR');
  await timeline.phase(`merge ${pr.branch} into main`, 'git', async (phase) => {
    phase.note(`merge commit ${await mergePullRequest(ctx.repo, pr.branch, pr.title)} pushed to main (Deploy on merge starts)`);
  });

  timeline.section(`deploy.yml → deploy-environment.yml: wave ${next.name}`);
  await deployTarget(targetCtx, timeline, { amiId: pr.amiId, previousAmi });
  await auditTrail(ctx, timeline, { source: ctx.environment, target, targetClients: targetCtx.clients, fromWave: first.name, amiId: amis.provenAmi, deployedAmi: pr.amiId });
}

/**
 * Setup: the target deployed on the baseline (in another region: its copy, made as a promotion
 * makes one), recorded in git as last cycle's promotion. Returns the AMI it runs.
 */
async function prepareTarget(ctx: CycleContext, timeline: Timeline, setup: { baselineAmi: string; sourceRegion: string }): Promise<string> {
  const env = ctx.environment;
  const baselineAmi =
    env.region === setup.sourceRegion
      ? setup.baselineAmi
      : await timeline.phase(`copy ${setup.baselineAmi} into ${env.region} (the previous promotion's copy)`, 'moto', async (phase) => {
          const request = { sourceAmiId: setup.baselineAmi, sourceRegion: setup.sourceRegion, targetRegion: env.region, name: `${setup.baselineAmi}-promoted-${env.name}` };
          const copy = await ensureImageCopy(request, { clients: { ec2: ctx.clients.ec2 }, logger: new RecordingLogger(), clock: systemClock });
          phase.note(`${copy.amiId} in ${env.region}, tagged SourceAmiId ${setup.baselineAmi}, SourceRegion ${setup.sourceRegion} (actions/lib/promotion/image-copy.ts, as propose-promotion copies)`);
          return copy.amiId;
        });
  await timeline.phase(`record ${baselineAmi} in ${env.parametersFile} on main`, 'git', async (phase) => {
    const path = join(ctx.repo.checkout.dir, env.parametersFile);
    writeFileSync(path, setParameterInFile(readFileSync(path, 'utf8'), AMI_PARAMETER, baselineAmi, env.parametersFile));
    const commit = await commitAndPush(ctx.repo, [env.parametersFile], `Promote ${baselineAmi} to ${env.name} (local cycle setup: the previous promotion)`, OPERATOR);
    phase.note(`${commit} on main`);
  });
  const deployed = await timeline.phase(`deploy ${env.stacks.network} + ${env.stacks.app}`, 'moto', async (phase) => {
    const stacks = await deployEnvironmentStacks(ctx.clients.cloudFormation, { repoDir: ctx.repo.checkout.dir, environment: env.name });
    phase.note(`real templates with ${env.parametersFile} (DesiredCapacity ${stacks.parameters.DesiredCapacity}); ${await expectFleetOn(ctx.clients, env.stacks.app, baselineAmi)}`);
    return stacks;
  });
  await timeline.phase(`${env.stacks.app} serves on the data plane`, 'data plane', async (phase) => {
    const dnsName = deployed.app.outputs.LoadBalancerDnsName;
    const { observation: url } = await poll({
      description: `the data plane to serve ${dnsName} with every target healthy`,
      describe: () => ctx.dataPlane.fleet.lastStartError ?? `instances serving: ${ctx.dataPlane.fleet.servingIds().join(', ') || 'none'}`,
      check: async () => {
        const health = (await ctx.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: deployed.app.outputs.TargetGroupArn }))).TargetHealthDescriptions ?? [];
        return health.length > 0 && health.every((d) => d.TargetHealth?.State === 'healthy') ? (ctx.dataPlane.listenerUrl(dnsName) ?? '') : '';
      },
      isDone: (u) => u !== '',
      clock: systemClock,
      timeoutMs: 30_000,
      schedule: { firstDelayMs: 200, steadyMs: 250 },
    });
    ctx.traffic.listenerUrl = url;
    phase.note(`${dnsName}:80 → ${url}; verify-alb watches it; the load generator stays on the first wave's listener`);
  });
  return baselineAmi;
}

/** promote.yml → promote-wave.yml: propose-promotion (decide job) with the wiring's soak (refused) and the shortened one; apply-promotion (propose job) and the PR. */
async function proposePromotion(
  ctx: CycleContext,
  timeline: Timeline,
  promotion: { wave: string; from: string; amiId: string; target: EnvironmentConfig; targetClients: CycleContext['clients'] },
): Promise<{ branch: string; title: string; amiId: string }> {
  const { wave, amiId, target } = promotion;
  timeline.section(`promote.yml (wave ${wave}): has wave ${promotion.from} proven ${amiId}?`);
  await timeline.phase(`gitops propose-promotion wave=${wave}: the wiring's soak is not over`, 'moto', async (phase) => {
    const run = await gitops(ctx, 'propose-promotion', { wave });
    expectOutput(run, 'promotable', 'false', 'propose-promotion');
    const blockers = expectOutput(run, 'blockers', new RegExp(`soak not over: \\d+ of ${soakMinutesOf(ctx.environment)} minutes left`), 'propose-promotion');
    phase.note(blockers);
    phase.note('what the hourly schedule says until the soak has passed: no PR');
  });
  return timeline.phase(`gitops propose-promotion wave=${wave} soak-minutes=${LOCAL_SOAK_MINUTES} + open the PR`, 'moto', async (phase) => {
    phase.note(
      `SOAK SHORTENED for this local run: ${LOCAL_SOAK_MINUTES} min instead of the wiring's ${soakMinutesOf(ctx.environment)} for ${ctx.environment.name} ` +
        "(the soak-minutes input; the PR body says so). Failback records, the stack's state and the rollback alarms' history since the deploy are still read.",
    );
    const run = await gitops(ctx, 'propose-promotion', { wave, 'soak-minutes': String(LOCAL_SOAK_MINUTES) });
    expectOutput(run, 'promotable', 'true', 'propose-promotion');
    expectOutput(run, 'ami-id', amiId, 'propose-promotion');
    const body = expectOutput(run, 'body', /\S/, 'propose-promotion');
    const checks: [string, RegExp][] = [
      ['the shortened soak', new RegExp(`^> The soak was overridden to ${LOCAL_SOAK_MINUTES} minutes`, 'm')],
      [`where it ran (${ctx.environment.name})`, new RegExp(`^\\| \`${ctx.environment.name}\` \\(${ctx.environment.region}\\) \\|`, 'm')],
      ['the stack on the AMI', new RegExp(`\`${ctx.environment.stacks.app}\` UPDATE_COMPLETE on \`${amiId}\``)],
      // The replace template's two alarms, or each slot's (templates/app-slots.yaml names them <stack>-<slot>-…).
      ["the rollback alarms' states and history", /`[^`]+-(alb|blue)-5xx-rate` OK, `[^`]+-unhealthy-hosts` OK(, `[^`]+-green-5xx-rate` OK, `[^`]+-green-unhealthy-hosts` OK)?; no transition to ALARM from /],
      ['no failback', /none: no failback, automatic failback or rollback record/],
      ["the build's package diff", /Packages: \d+ changed/],
    ];
    const missing = checks.filter(([, pattern]) => !pattern.test(body)).map(([what]) => what);
    if (missing.length) throw new CycleCheckError(`the promotion PR body lacks ${missing.join(', ')}`, body.split('\n'));
    const title = expectOutput(run, 'title', /\S/, 'propose-promotion');
    const branch = expectOutput(run, 'branch', `ami-promote/${wave}`, 'propose-promotion');
    // promote-wave.yml's propose job (the App's token, no AWS role) starts from a fresh checkout and
    // writes the decide job's bumps again: the same here, from a clean working tree.
    const bumps = expectOutput(run, 'bumps', /^\{.+\}$/, 'propose-promotion');
    const targetAmi = (JSON.parse(bumps) as Record<string, string>)[target.parametersFile] ?? '';
    if (target.region !== ctx.environment.region) {
      // In another region the wave gets a copy: made now, in the target's region, tagged with its source.
      const origin = await readCopyOrigin(targetAmi, promotion.targetClients.ec2);
      if (origin?.amiId !== amiId || origin.region !== ctx.environment.region) {
        throw new CycleCheckError(`${target.parametersFile} is bumped to ${targetAmi}, which is not a copy of ${amiId} from ${ctx.environment.region} (tags say ${JSON.stringify(origin)})`);
      }
      if (!body.includes(`\`${targetAmi}\`: a new copy of \`${amiId}\` in ${target.region}`)) throw new CycleCheckError(`the promotion PR body does not name the copy ${targetAmi}`, body.split('\n'));
      const state = (await promotion.targetClients.ec2.send(new DescribeImagesCommand({ ImageIds: [targetAmi] }))).Images?.[0]?.State;
      phase.note(`CopyImage: ${targetAmi} in ${target.region} (${state}), the copy of ${amiId} from ${ctx.environment.region}, tagged SourceAmiId ${origin.amiId}, SourceRegion ${origin.region}`);
    } else if (targetAmi !== amiId) {
      throw new CycleCheckError(`${target.parametersFile} is bumped to ${targetAmi}, not ${amiId}`);
    }
    await ctx.repo.checkout.run(['checkout', '--quiet', '--', target.parametersFile]);
    const applied = await gitops(ctx, 'apply-promotion', { wave, bumps });
    const paths = expectOutput(applied, 'paths', target.parametersFile, 'apply-promotion');
    phase.note(`decide job → propose job: bumps ${bumps}, written again by apply-promotion (${paths})`);
    const opened = await openPullRequest(ctx.repo, { branch, files: paths.split('\n'), commitMessage: run.outputs['commit-message'] ?? title, title, body });
    phase.note(`"${title}" on ${branch} (${opened.commit}); body: ${opened.bodyFile}`);
    for (const row of body.split('\n').filter((l) => l.startsWith(`| \`${ctx.environment.name}\``))) phase.note(`PR body: ${row}`);
    return { branch, title, amiId: targetAmi };
  });
}

/** deploy-environment.yml for the target: resolve → check-wave-gate → update → verify → report. */
async function deployTarget(ctx: CycleContext, timeline: Timeline, deploy: { amiId: string; previousAmi: string }): Promise<void> {
  const job = await timeline.phase(`gitops resolve-environment at HEAD (${ctx.environment.name})`, 'git', (phase) => resolveEnvironment(ctx, phase));
  if (job.amiId !== deploy.amiId) throw new CycleCheckError(`HEAD names ${job.amiId} for ${job.name}, expected ${deploy.amiId}`);
  await timeline.phase('gitops check-wave-gate', 'git', async (phase) => {
    const run = await gitops(ctx, 'check-wave-gate', {});
    phase.note(expectOutput(run, 'why', /ran in the earlier wave without a failback/, 'check-wave-gate'));
  });
  const update = await timeline.phase('update-app-stack mode=deploy', 'moto', async (phase) => {
    const run = await updateAppStack(ctx, job, 'deploy');
    expectOutput(run, 'previous-ami-id', deploy.previousAmi, 'update-app-stack deploy');
    expectOutput(run, 'ami-id', deploy.amiId, 'update-app-stack deploy');
    phase.note(`${run.outputs['stack-status']}; ${await expectFleetOn(ctx.clients, job.appStack, deploy.amiId)}`);
    const gone = await deregisterTerminatedTargets(ctx.clients, job.appStack);
    phase.note(`moto fix-up: deregistered the old group's terminated targets ${gone.join(', ') || '(none)'} (docs/moto.md #6)`);
    return run;
  });
  await timeline.phase('verify-alb', 'moto + data plane', (phase) => verifyAlb(ctx, phase, job, deploy.amiId, { label: `promotion-${job.name}` }));
  await deployReport(ctx, timeline, job, { failback: false, update: update.outputs, verify: 'success' });
}

/** git and AWS agree: both environments on the one AMI, and the promotion commit names where it came from. */
async function auditTrail(
  ctx: CycleContext,
  timeline: Timeline,
  trail: { source: EnvironmentConfig; target: EnvironmentConfig; targetClients: CycleContext['clients']; fromWave: string; amiId: string; deployedAmi: string },
): Promise<void> {
  const { source, target, fromWave, amiId, deployedAmi } = trail;
  const copied = deployedAmi !== amiId;
  timeline.section('the audit trail: both environments on one source AMI');
  await timeline.phase(`git log --oneline -4 -- ${source.parametersFile} ${target.parametersFile}`, 'git', async (phase) => {
    const git = ctx.repo.checkout;
    const log = (await git.run(['log', '--oneline', '-4', '--', source.parametersFile, target.parametersFile])).stdout.trim();
    phase.note(log);
    const [change] = await readAmiHistory(git, target.parametersFile);
    const update = change?.update;
    // A copy's record names the copy and, as source-ami-id, the AMI the wave before proved.
    const recordsSource = copied ? update?.['source-ami-id'] === amiId : update?.['source-ami-id'] === undefined;
    if (update?.['update-type'] !== 'promotion' || update['ami-id'] !== deployedAmi || !recordsSource || update['promoted-from'] !== fromWave) {
      throw new CycleCheckError(`the change that put ${change?.amiId} in ${target.parametersFile} (${change?.commit.slice(0, 12)}) does not record ${deployedAmi}${copied ? ` (source ${amiId})` : ''} promoted from wave ${fromWave}`);
    }
    phase.note(
      `promotion record: ${target.parametersFile} ${update['previous-ami-id']} → ${deployedAmi}${copied ? `, source-ami-id ${update['source-ami-id']}` : ''}, update-type promotion, promoted-from ${update['promoted-from']}, image ${update['image-arn'] ?? '-'}`,
    );
  });
  await timeline.phase(`${source.stacks.app} and ${target.stacks.app} run ${amiId}${copied ? ` (${target.name}: its copy)` : ''}`, 'moto', async (phase) => {
    for (const [env, clients] of [
      [source, ctx.clients],
      [target, trail.targetClients],
    ] as const) {
      const { Stacks = [] } = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: env.stacks.app }));
      // The AMI users are on: AmazonMachineImage, or a slots stack's live slot's.
      const ami = liveAmiIn(Object.fromEntries((Stacks[0]?.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? ''])));
      // A copy leads back to its source by the tag the promotion wrote, read in the copy's own region.
      const origin = ami && ami !== amiId ? await readCopyOrigin(ami, clients.ec2) : undefined;
      if (ami !== amiId && origin?.amiId !== amiId) throw new CycleCheckError(`${env.stacks.app} runs ${ami}, neither ${amiId} nor a copy of it`);
      phase.note(`${env.name}: ${env.stacks.app} (${env.region}) ${Stacks[0]?.StackStatus} on ${ami}${origin ? `, the copy of ${origin.amiId} from ${origin.region}` : ''}`);
    }
  });
}
