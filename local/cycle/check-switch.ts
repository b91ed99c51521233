/**
 * deploy-environment.yml's "Check the switch" step (gitops check-switch), run by the cycle before a
 * slots deploy of an environment that stages ahead: at the stage PR's deploy it names the AMI git
 * stages (no proof yet), at the switch PR's deploy it hands update-app-stack the stage's proof.
 * The workflow runs it before every slots deploy that is not a requested failback; the cycle runs
 * it where staging ahead is on, the only case where its outputs are not empty.
 */
import { CycleCheckError, type Timeline } from './timeline';
import { expectOutput, gitops, type CycleContext, type StagedInputs } from './workflow-steps';

export type SwitchJudgement = 'none' | 'proof' | 'stale' | 'refuse';

export async function checkSwitchStep(ctx: CycleContext, timeline: Timeline, expect: { judgement: SwitchJudgement; stagedAmi: string }): Promise<StagedInputs> {
  return timeline.phase(`gitops check-switch (git only): ${expect.judgement === 'proof' ? "the stage's proof still stands" : 'no switch yet, the staged AMI named'}`, 'git', async (phase) => {
    const run = await gitops(ctx, 'check-switch', {});
    expectOutput(run, 'judgement', expect.judgement, 'check-switch');
    const proof = run.outputs['staged-proof'] ?? '';
    const amiId = run.outputs['staged-ami-id'] ?? '';
    if (expect.judgement === 'proof') {
      const parsed = JSON.parse(proof || '{}') as { amiId?: string; provenAt?: string };
      if (parsed.amiId !== expect.stagedAmi) throw new CycleCheckError(`check-switch's staged-proof names ${parsed.amiId ?? 'no AMI'}, expected ${expect.stagedAmi}`);
      phase.note(`staged-proof: ${expect.stagedAmi} proven at ${parsed.provenAt}: update-app-stack takes one look at the slot instead of a prove watch`);
    } else {
      expectOutput(run, 'staged-ami-id', expect.stagedAmi, 'check-switch');
      phase.note(`staged-ami-id ${amiId}: ${ctx.environment.parametersFile} stages it in the idle slot, not switched to yet`);
    }
    return { proof, amiId };
  });
}
