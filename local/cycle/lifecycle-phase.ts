/**
 * The cycle's AMI lifecycle phase (ami-lifecycle.yml in dry run), after the patch scenario: one
 * more build nobody deploys (an abandoned patch), then plan-ami-lifecycle protects what git can
 * fail back to and proposes the abandoned AMI for retirement, and retire-amis without `delete`
 * deletes nothing. The age limit is lowered to 0 days for this run: every AMI here is minutes old.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { DescribeImagesCommand } from '@aws-sdk/client-ec2';

import { readAmiHistory } from '../../actions/lib/gitops/ami-history';
import { failbackTargets as targetsOf } from '../../actions/lib/lifecycle/retirement-plan';
import { loadEnvironments, RETIREMENT_FILE } from '../../actions/lib/parameters';
import { CycleCheckError, type Timeline } from './timeline';
import { buildInputs, expectOutput, gitops, runStep, type CycleContext } from './workflow-steps';

export async function runLifecyclePhase(ctx: CycleContext, timeline: Timeline): Promise<void> {
  timeline.section('ami-lifecycle.yml: protect what git can fail back to, propose retiring the rest (dry run)');
  const wiring = await loadEnvironments(join(ctx.repo.checkout.dir, 'parameters/environments.json'), { rootDir: ctx.repo.checkout.dir });
  const history = await readAmiHistory(ctx.repo.checkout, ctx.environment.parametersFile);
  // Only the stand-in's AMIs are pipeline images; the earlier history names a public AL2023 AMI,
  // which the job never touches (it is not this account's, and has no Image Builder tag).
  const built = new Set((await ctx.standin.state()).builds.map((b) => b.ami?.imageId));
  const failbackTargets = targetsOf(history, wiring.lifecycle.keepFailbackAmis).filter((ami) => built.has(ami));
  if (failbackTargets.length < 2) throw new CycleCheckError(`expected the baseline and the patch AMI among dev's failback targets, found ${failbackTargets.join(', ') || 'none'}`);
  const abandoned = await timeline.phase('build-ami: a build nobody deploys (an abandoned patch)', 'stand-in + moto', async (phase) => {
    const run = await runStep(ctx, 'build-ami', buildInputs(ctx, failbackTargets[0], ctx.environment.region));
    const ami = expectOutput(run, 'ami-id', /^ami-[0-9a-f]+$/, 'build-ami');
    phase.note(`${ami}: in no parameters file, run by no instance, revoked by nobody`);
    return ami;
  });

  await timeline.phase('gitops plan-ami-lifecycle (retire-after-days 0)', 'moto', async (phase) => {
    const run = await gitops(ctx, 'plan-ami-lifecycle', { 'retire-after-days': '0' });
    const report = run.outputs.report ?? '';
    for (const ami of failbackTargets) {
      if (!new RegExp(`^\\| \`${ami}\` \\|.*\\| (on|turned on now) \\|$`, 'm').test(report)) throw new CycleCheckError(`the lifecycle report does not list failback target ${ami} as kept and protected`, report.split('\n'));
    }
    if (!new RegExp(`^\\| \`${abandoned}\` \\|`, 'm').test(report.slice(report.indexOf('Retirable AMI')))) throw new CycleCheckError(`the lifecycle report does not list ${abandoned} as retirable`, report.split('\n'));
    const { Images = [] } = await ctx.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [...failbackTargets] }));
    const unprotected = Images.filter((i) => i.DeregistrationProtection !== 'enabled').map((i) => i.ImageId);
    if (unprotected.length) throw new CycleCheckError(`failback targets without deregistration protection in moto: ${unprotected.join(', ')}`);
    phase.note(`kept ${run.outputs.kept}, retirable ${run.outputs.retirable} (${abandoned}); ${RETIREMENT_FILE} written for the PR`);
    phase.note(`moto (patched, local/moto-patches): DeregistrationProtection "enabled" on ${failbackTargets.join(', ')}`);
  });

  await timeline.phase('gitops retire-amis without delete: nothing deleted', 'moto', async (phase) => {
    const run = await gitops(ctx, 'retire-amis', {});
    expectOutput(run, 'retired', '0', 'retire-amis');
    const { Images = [] } = await ctx.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [abandoned, ...failbackTargets] }));
    if (Images.length !== failbackTargets.length + 1) throw new CycleCheckError(`an AMI disappeared in a dry run: ${Images.length} of ${failbackTargets.length + 1} still exist`);
    phase.note(`${abandoned} and every failback target still exist: deleting needs delete: true, which only the job after a merged proposal passes`);
    rmSync(join(ctx.repo.checkout.dir, RETIREMENT_FILE), { force: true });
  });
}
