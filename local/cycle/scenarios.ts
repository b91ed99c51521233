/**
 * The cycle's scenarios. `patch` is the whole happy path the workflows run: build → patch PR →
 * preview → merge → deploy → verify → failback → deploy → verify. The failure scenarios stop
 * where the workflow stops and prove that nothing changed: the stack (status, last update,
 * parameters, change sets) and the repository (HEAD, branches, working tree) are as before.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { GetImageCommand, StartImagePipelineExecutionCommand, type Image } from '@aws-sdk/client-imagebuilder';

import { systemClock } from '../../actions/lib/clock';
import { amiParametersOf, parseParametersFile, setParameterInFile } from '../../actions/lib/parameters';
import { poll } from '../../actions/lib/poll';
import { deployEnvironmentStacks, diffSnapshots, snapshotStack, type StackSnapshot } from '../stacks';
import { runDeployJob } from './deploy-job';
import { forwardToRetirement } from './forward-again';
import { retireSlotsPlan } from './slots-deploy-job';
import { runPromotionPhases } from './promotion-phase';
import { expectFleetOn, liveTargetGroupArn } from './fleet';
import { commitAndPush, mergePullRequest, openPullRequest, OPERATOR, repoState } from './scratch-repo';
import { CycleCheckError, type PhaseContext, type Timeline } from './timeline';
import { startUsers } from './traffic';
import { buildAmi, buildInputs, expectOutput, failureLines, gitops, headline, resolveEnvironment, runStep, updateAppStack, type CycleContext } from './workflow-steps';

export const SCENARIOS = ['patch', 'bad-ami', 'failed-build', 'bad-parameters', 'stage-ahead'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/**
 * Setup shared by every scenario: a baseline AMI from the stand-in ("last week's patch", so the
 * package diff has something to compare with), recorded on main, and the dev stacks deployed
 * with it, as if the previous cycle had merged and deployed it.
 */
export async function prepareEnvironment(ctx: CycleContext, timeline: Timeline): Promise<{ baselineAmi: string }> {
  timeline.section('setup: the environment as the previous cycle left it');
  const baselineAmi = await timeline.phase("baseline AMI (last cycle's build)", 'stand-in + moto', async (phase) => {
    const { imageBuildVersionArn } = await ctx.clients.imageBuilder.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: ctx.pipelineArn }));
    const { observation: image } = await poll<Image>({
      description: `stand-in build ${imageBuildVersionArn}`,
      check: async () => (await ctx.clients.imageBuilder.send(new GetImageCommand({ imageBuildVersionArn }))).image ?? {},
      isDone: (i) => ['AVAILABLE', 'FAILED', 'CANCELLED'].includes(i.state?.status ?? ''),
      clock: systemClock,
      timeoutMs: 60_000,
      schedule: { firstDelayMs: 250, steadyMs: 500 },
    });
    const ami = image.outputResources?.amis?.[0]?.image;
    if (image.state?.status !== 'AVAILABLE' || !ami) throw new CycleCheckError(`baseline build ${imageBuildVersionArn} ended ${image.state?.status}: ${image.state?.reason}`);
    phase.note(`${imageBuildVersionArn} → ${ami}`);
    return ami;
  });

  await timeline.phase(`record it in ${ctx.environment.parametersFile} on main`, 'git', async (phase) => {
    const file = ctx.environment.parametersFile;
    const path = join(ctx.repo.checkout.dir, file);
    // Every AMI line: AmazonMachineImage, or in the slots shape both slots' (the idle one at capacity 0).
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, amiParametersOf(parseParametersFile(text, file).parameters).reduce((t, key) => setParameterInFile(t, key, baselineAmi, file), text));
    const commit = await commitAndPush(ctx.repo, [file], `Patch ${ctx.environment.name}: ${baselineAmi} (local cycle setup: the previous patch)`, OPERATOR);
    phase.note(`${commit} on main`);
  });

  const deployed = await timeline.phase(`deploy ${ctx.environment.stacks.network} + ${ctx.environment.stacks.app}`, 'moto', async (phase) => {
    const stacks = await deployEnvironmentStacks(ctx.clients.cloudFormation, { repoDir: ctx.repo.checkout.dir, environment: ctx.environment.name });
    phase.note(`real templates with ${ctx.environment.parametersFile}; app at ${stacks.app.outputs.LoadBalancerUrl ?? '(no URL output)'}`);
    phase.note(await expectFleetOn(ctx.clients, ctx.environment.stacks.app, baselineAmi));
    return stacks;
  });
  await startUsers(ctx, timeline, { loadBalancerDnsName: deployed.app.outputs.LoadBalancerDnsName, targetGroupArn: await liveTargetGroupArn(ctx.clients, ctx.environment.stacks.app) });
  return { baselineAmi };
}

/** The happy path, as patch-pr.yml, deploy-environment.yml and failback.yml run it. */
export async function runPatchScenario(ctx: CycleContext, timeline: Timeline, baselineAmi: string): Promise<void> {
  const newAmi = await patchAndMerge(ctx, timeline, baselineAmi);

  timeline.section('deploy.yml → deploy-environment.yml: deploy what main says, verify');
  await runDeployJob(ctx, timeline, { label: 'patch', expectedAmi: newAmi, previousAmi: baselineAmi });
  // promote.yml → the promotion PR → merge → prod deploys the same AMI (local/cycle/promotion-phase.ts).
  await runPromotionPhases(ctx, timeline, { provenAmi: newAmi, baselineAmi });

  // failback.yml is one job, deploy-environment.yml's: validate and check, record, deploy, verify.
  timeline.section(`failback.yml → deploy-environment.yml, one job: back to the previous AMI from git history${ctx.environment.strategy === 'slots' ? ', inside the bake window' : ''}`);
  const reason = 'local cycle: rehearse the failback';
  const dispatchedAt = Date.now();
  const target = await timeline.phase('gitops resolve-failback', 'git', async (phase) => {
    const run = await gitops(ctx, 'resolve-failback', { reason, 'requested-by': 'local-operator' });
    const targetAmi = expectOutput(run, 'target-ami-id', baselineAmi, 'resolve-failback');
    phase.note(`${run.outputs['current-ami-id']} → ${targetAmi} (${run.outputs['target-source']})`);
    return targetAmi;
  });

  await timeline.phase('gitops check-image: target AMI usable', 'moto', async (phase) => {
    const run = await gitops(ctx, 'check-image', { 'ami-id': target });
    phase.note(`${target} "${run.outputs['image-name']}" created ${run.outputs['creation-date']}`);
  });

  await runDeployJob(ctx, timeline, { label: 'failback', expectedAmi: target, previousAmi: newAmi, failback: { target, reason }, dispatchedAt });
  if (ctx.environment.strategy === 'slots') {
    await retireSlotsPlan(ctx, timeline, /went live by a failback/);
    // The rehearsal reverted: forward again, and the bake window ends with the old slot retired (forward-again.ts).
    await forwardToRetirement(ctx, timeline, { newAmi, baselineAmi });
  }
  await auditTrail(ctx, timeline);
}

/**
 * A patch that breaks the app: the stand-in bakes an AMI whose RPM database is corrupt. The build
 * succeeds, the PR is merged and deployed, the targets pass their health checks (the health page
 * still answers), and verify-alb fails on HTTP (details.json answers 503). deploy-environment.yml
 * then fails back by itself, and the load generator shows when users got the old AMI back.
 */
export async function runBadAmiScenario(ctx: CycleContext, timeline: Timeline, baselineAmi: string): Promise<void> {
  await timeline.phase("stand-in: the next build's AMI will be SPOILED", 'stand-in', async (phase) => {
    await ctx.standin.configure({ spoilNext: true });
    phase.note('the build succeeds (AVAILABLE, a real AMI in moto); its RPM database is corrupt, so details.php will fail while the health page answers');
  });
  const badAmi = await patchAndMerge(ctx, timeline, baselineAmi);
  timeline.section('deploy.yml → deploy-environment.yml: deploy the bad AMI; verify-alb must catch it on HTTP');
  await runDeployJob(ctx, timeline, { label: 'bad-ami', expectedAmi: badAmi, previousAmi: baselineAmi, expectVerifyFailure: true });
  await auditTrail(ctx, timeline);
}

export async function auditTrail(ctx: CycleContext, timeline: Timeline): Promise<void> {
  timeline.section('the audit trail');
  await timeline.phase(`git log --oneline -- ${ctx.environment.parametersFile}`, 'git', async (phase) => {
    const log = (await ctx.repo.checkout.run(['log', '--oneline', '--', ctx.environment.parametersFile])).stdout.trim();
    phase.note(log.split('\n').slice(0, 6).join('\n'));
  });
}

/** patch-pr.yml (build, bump, preview, PR) and a reviewer's merge; returns the new AMI. With staging ahead, the PR is the stage PR. */
export async function patchAndMerge(ctx: CycleContext, timeline: Timeline, baselineAmi: string): Promise<string> {
  timeline.section('patch-pr.yml: build, bump, preview, open the PR');
  const job = await timeline.phase('gitops resolve-environment', 'git', (phase) => resolveEnvironment(ctx, phase));
  if (job.amiId !== baselineAmi) throw new CycleCheckError(`resolve-environment says ${job.parametersFile} names ${job.amiId}, expected the baseline ${baselineAmi}`);
  const { ami: newAmi, imageArn, run: build } = await timeline.phase('build-ami: bake the patched AMI', 'stand-in + moto', (phase) => buildAmi(ctx, phase, job));

  const bump = await timeline.phase(`gitops set-ami: bump ${job.parametersFile}`, 'git', async (phase) => {
    const run = await gitops(ctx, 'set-ami', { 'ami-id': newAmi });
    expectOutput(run, 'changed', 'true', 'gitops set-ami');
    const diff = (await ctx.repo.checkout.run(['diff', '--unified=0', '--', job.parametersFile])).stdout;
    phase.note(diff.split('\n').filter((l) => /^[-+]\s/.test(l)).join('\n'));
    return run;
  });

  const preview = await timeline.phase('update-app-stack mode=preview (change set)', 'moto', async (phase) => {
    const before = await snapshotStack(ctx.clients.cloudFormation, job.appStack);
    const run = await updateAppStack(ctx, job, 'preview');
    expectOutput(run, 'changed', 'true', 'update-app-stack preview');
    expectUnchanged(before, await snapshotStack(ctx.clients.cloudFormation, job.appStack), { ignoreChangeSets: true }, 'the preview');
    phase.note(`${headline(run.outputs['changes-markdown'] ?? '')}; stack untouched`);
    phase.note('moto lists no resource changes for a parameter-only change set; AWS lists the launch template and the ASG replacement');
    return run;
  });

  const pr = await timeline.phase('gitops compose-patch-pr + open the PR', 'git', async (phase) => {
    const run = await gitops(ctx, 'compose-patch-pr', {
      'previous-ami-id': bump.outputs['previous-ami-id'] ?? '',
      'ami-id': newAmi,
      'image-arn': imageArn,
      'package-diff-markdown': build.outputs['package-diff-markdown'] ?? '',
      'findings-json': build.outputs['findings-json'] ?? '',
      'findings-delta-markdown': build.outputs['findings-delta-markdown'] ?? '',
      'changes-markdown': preview.outputs['changes-markdown'] ?? '',
    });
    const branch = expectOutput(run, 'branch', /\S/, 'compose-patch-pr');
    // Stand-in fixtures: build 2 fixes four CVEs of the baseline build and brings in one.
    expectOutput(run, 'body', /\| Severity gate \| ✅ no finding at or above CRITICAL: gate passed \|/, 'compose-patch-pr');
    expectOutput(run, 'body', /\| CVE delta \| fixes 4, ⚠️ introduces 1, 7 still open /, 'compose-patch-pr');
    const title = expectOutput(run, 'title', /\S/, 'compose-patch-pr');
    const opened = await openPullRequest(ctx.repo, {
      branch,
      files: [job.parametersFile],
      commitMessage: run.outputs['commit-message'] ?? title,
      title,
      body: run.outputs.body ?? '',
    });
    phase.note(`"${title}" on ${branch} (${opened.commit}); body: ${opened.bodyFile}`);
    for (const row of (run.outputs.body ?? '').split('\n').filter((l) => /^\| (Severity gate|CVE delta) \|/.test(l))) phase.note(`PR body: ${row}`);
    return { branch, title };
  });

  timeline.section('a reviewer merges the PR');
  await timeline.phase(`merge ${pr.branch} into main`, 'git', async (phase) => {
    phase.note(`merge commit ${await mergePullRequest(ctx.repo, pr.branch, pr.title)} pushed to main (this is what triggers Deploy)`);
  });

  return newAmi;
}

/** Nothing of the stack changed (a preview may leave its change set for review when told so). */
function expectUnchanged(before: StackSnapshot, after: StackSnapshot, options: { ignoreChangeSets?: boolean }, what: string): void {
  const changes = diffSnapshots(before, options.ignoreChangeSets ? { ...after, changeSets: before.changeSets } : after);
  if (changes.length) throw new CycleCheckError(`${what} changed the stack: ${changes.join('; ')}`);
}

/** Proves the stack and the repository are as they were. */
async function expectNothingChanged(ctx: CycleContext, phase: PhaseContext, before: { stack: StackSnapshot; repo: Awaited<ReturnType<typeof repoState>>; branches: string }): Promise<void> {
  expectUnchanged(before.stack, await snapshotStack(ctx.clients.cloudFormation, ctx.environment.stacks.app), {}, 'the failed run');
  const repo = await repoState(ctx.repo);
  const branches = await originBranches(ctx);
  if (repo.head !== before.repo.head || repo.dirty !== before.repo.dirty || branches !== before.branches) {
    throw new CycleCheckError(`the failed run changed the repository: HEAD ${before.repo.head.slice(0, 12)} → ${repo.head.slice(0, 12)}, branches [${before.branches}] → [${branches}]${repo.dirty ? `, uncommitted: ${repo.dirty}` : ''}`);
  }
  phase.note(`stack ${ctx.environment.stacks.app}: ${before.stack.status}, last updated ${before.stack.lastUpdated}, ${Object.keys(before.stack.parameters).length} parameters, change sets [${before.stack.changeSets.join(', ')}]: all as before`);
  phase.note(`repository: main at ${repo.head.slice(0, 12)}, origin branches [${branches}], working tree clean: as before`);
}

async function originBranches(ctx: CycleContext): Promise<string> {
  return (await ctx.repo.checkout.run(['ls-remote', '--heads', 'origin'])).stdout.trim().split('\n').map((l) => l.replace(/^\S+\s+refs\/heads\//, '')).sort().join(', ');
}

async function snapshotAll(ctx: CycleContext) {
  return { stack: await snapshotStack(ctx.clients.cloudFormation, ctx.environment.stacks.app), repo: await repoState(ctx.repo), branches: await originBranches(ctx) };
}

/** The build fails in Image Builder: build-ami reports the reason, and no PR, no deploy follow. */
export async function runFailedBuildScenario(ctx: CycleContext, timeline: Timeline, baselineAmi: string): Promise<void> {
  const reason = 'STAND-IN injected failure: component update-linux failed: dnf exited 1 (scenario failed-build)';
  const before = await snapshotAll(ctx);
  timeline.section('patch-pr.yml, with a build that fails');
  await timeline.phase('stand-in: the next build will FAIL', 'stand-in', async (phase) => {
    await ctx.standin.configure({ failNext: { status: 'FAILED', reason, atStatus: 'BUILDING' } });
    phase.note(reason);
  });
  await timeline.phase('build-ami: fails with the reason', 'stand-in + moto', async (phase) => {
    const run = await runStep(ctx, 'build-ami', buildInputs(ctx, baselineAmi, ctx.environment.region), { expectFailure: true });
    const errors = failureLines(run);
    if (!errors.some((l) => l.includes('component update-linux failed'))) {
      throw new CycleCheckError(`build-ami failed, but its error does not carry the build's reason`, errors);
    }
    phase.note(errors[0]);
    phase.note('the patch workflow stops here: no parameters change, no pull request');
  });
  await timeline.phase('nothing changed', 'moto', (phase) => expectNothingChanged(ctx, phase, before));
}

/** A pull request with a bad parameters file: preview and deploy refuse it before any AWS call. */
export async function runBadParametersScenario(ctx: CycleContext, timeline: Timeline): Promise<void> {
  const file = ctx.environment.parametersFile;
  const before = await snapshotAll(ctx);
  timeline.section('a person opens a PR with a bad parameters file');
  await timeline.phase(`a PR with a typo: InstanceType t3.mirco`, 'git', async (phase) => {
    await ctx.repo.checkout.run(['checkout', '--quiet', '-B', 'patch/bad-parameters']);
    const path = join(ctx.repo.checkout.dir, file);
    writeFileSync(path, setParameterInFile(readFileSync(path, 'utf8'), 'InstanceType', 't3.mirco', file));
    await ctx.repo.checkout.run(['commit', '--quiet', '--no-verify', '-m', 'Use a smaller instance (with a typo)', '--', file], {
      env: { GIT_AUTHOR_NAME: OPERATOR.name, GIT_AUTHOR_EMAIL: OPERATOR.email, GIT_COMMITTER_NAME: OPERATOR.name, GIT_COMMITTER_EMAIL: OPERATOR.email },
    });
    phase.note('committed on a local branch (not pushed): the PR check runs on it');
  });
  timeline.section('pr-checks.yml on the PR, then deploy-environment.yml had it been merged');
  const job = await timeline.phase('gitops resolve-environment', 'git', (phase) => resolveEnvironment(ctx, phase));
  for (const mode of ['preview', 'deploy'] as const) {
    await timeline.phase(`update-app-stack mode=${mode}: refuses the file`, 'moto', async (phase) => {
      const run = await updateAppStack(ctx, job, mode, { expectFailure: true });
      const errors = failureLines(run);
      if (!errors.some((l) => l.includes('InstanceType') && l.includes(`${file}:`))) {
        throw new CycleCheckError(`update-app-stack failed, but not with a message naming ${file}:<line> and InstanceType`, errors);
      }
      if (!errors.some((l) => /did you mean "t3\.micro"/i.test(l))) throw new CycleCheckError('update-app-stack refused the file, but without the "did you mean" for t3.mirco', errors);
      // Each problem once, on the file:line the runner annotates (the step's own error repeats
      // them all in one message, for the log), wrapped, never cut.
      const located = errors.filter((l) => l.startsWith(`error: ${file}:`));
      for (const line of new Set(located.length ? located : errors)) phase.note(line);
    });
  }
  await timeline.phase('nothing changed', 'moto', async (phase) => {
    await ctx.repo.checkout.run(['checkout', '--quiet', 'main']);
    await ctx.repo.checkout.run(['branch', '--quiet', '-D', 'patch/bad-parameters']);
    await expectNothingChanged(ctx, phase, before);
  });
}
