/**
 * Staging ahead (docs/parameters.md, "Staging ahead"), the deploy job's two gitops steps:
 *
 * - check-switch, before the stack update: at a switch PR's deploy, whether the stage's proof
 *   still stands (switch-proof.ts). Its staged-proof output goes to update-app-stack; a switch
 *   merged onto another AMI than it named is refused here, before any AWS change, and the job's
 *   record step then writes what the stack runs. At a stage's deploy, whether the stage must wait
 *   for the previous deploy's bake window (slots/stage-window.ts): refused before any AWS change,
 *   git kept as it is (the workflow skips the record step for it).
 * - propose-switch, after a stage-only deploy proved the idle slot: the switch PR (LiveSlot and the
 *   weights), its body the proof, on the proposal machinery of the revoked-AMI and record PRs.
 */
import { z } from 'zod';

import { liveAmiIn, parseParametersFile, readSlotPlan, setLiveAmiInFile, SLOT_NAMES, type EnvironmentConfig } from '../../parameters';
import { proposePullRequest } from '../propose-pull-request';
import { composeSwitchPullRequest } from '../switch-pull-request';
import { judgeSwitch } from '../switch-proof';
import { stagedIdleAmi } from '../../slots/retirement';
import { readRetirementFacts } from '../../slots/retirement-facts';
import { judgeStageInBakeWindow, type StageWaitReport, type StageWindowVerdict } from '../../slots/stage-window';
import { readAmiHistory } from '../ami-history';
import { defineCommand, loadEnvironment, metadataParameter, type GitopsContext } from './context';
import { rerunThisRun } from '../rerun-command';
import { amiId, environmentName, jsonOutputOf, workflowRunId } from './inputs';

export const checkSwitch = defineCommand({
  description: "Staging ahead: at a switch PR's deploy, whether the stage's proof still stands (refuses a switch merged onto another AMI).",
  inputs: z.object({ environment: environmentName.optional(), 'run-id': workflowRunId.optional() }),
  outputs: ['staged-proof', 'judgement', 'staged-ami-id', 'switch-ami-id', 'stage-wait'],
  async run(inputs, ctx) {
    const { environment } = await loadEnvironment(ctx, inputs.environment);
    const judgement = await judgeSwitch(ctx.git, environment.parametersFile);
    const staged = await stagedAmiAtHead(ctx, environment.parametersFile);
    if (judgement.kind === 'refuse') {
      const failure =
        `Switch refused in ${environment.name}: ${judgement.reason}. Nothing changed in AWS; the "Record what runs" step writes what the stack runs into ${environment.parametersFile}, so git and the stack agree again. ` +
        `Once it has, this one command deploys what git names then (nothing changes in AWS): a slot it stages is proven again and its switch PR proposed, for a person to merge: ${rerunThisRun(inputs['run-id'], (c) => c)}`;
      return { outputs: { 'staged-proof': '', judgement: judgement.kind, 'staged-ami-id': '', 'switch-ami-id': judgement.switchAmiId }, failure };
    }
    ctx.logger.info(`${environment.name}: ${judgement.kind === 'proof' ? 'the stage proof stands' : 'no stage proof to use'}: ${judgement.reason}.`);
    // A stage (not a switch) while the old slot is still the way back of a bake window waits for its end.
    const wait = judgement.kind === 'none' && staged ? await stageWait(ctx, environment, staged) : undefined;
    if (wait) {
      return { outputs: { 'staged-proof': '', judgement: judgement.kind, 'staged-ami-id': '', 'stage-wait': JSON.stringify(wait.report) }, failure: stageWaitFailure(environment, wait.verdict, inputs['run-id']) };
    }
    if (staged) ctx.logger.info(`${environment.parametersFile} stages ${staged} in the idle slot (not switched to yet): a deploy that finds nothing to change proves it again and proposes the switch.`);
    return { outputs: { 'staged-proof': judgement.kind === 'proof' ? JSON.stringify(judgement.proof) : '', judgement: judgement.kind, 'staged-ami-id': staged ?? '' } };
  },
});

/**
 * Whether the stage must wait for the previous deploy's bake window (slots/stage-window.ts): reads
 * git and the stack (DescribeStacks, its events, the alarms: readRetirementFacts) and judges on
 * AWS's clock. Only at a stage's deploy; a switch's deploy stays git only.
 */
async function stageWait(ctx: GitopsContext, environment: EnvironmentConfig, stagedAmiId: string) {
  const clients = ctx.aws(environment.region);
  const facts = await readRetirementFacts(environment, { clients, logger: ctx.logger, clock: ctx.clock, git: ctx.git });
  const verdict = judgeStageInBakeWindow(facts, stagedAmiId, clients.awsClock.now(`the bake window of ${environment.name}`));
  if (!verdict.wait) {
    ctx.logger.info(`${environment.name}: staging ${stagedAmiId} does not wait: ${verdict.reason}.`);
    return undefined;
  }
  const report: StageWaitReport = { slot: verdict.slot, stagedAmiId, warmAmiId: verdict.warmAmiId, liveAmiId: verdict.liveAmiId, endsAt: new Date(verdict.endsAtMs).toISOString() };
  return { verdict, report };
}

function stageWaitFailure(environment: EnvironmentConfig, wait: Extract<StageWindowVerdict, { wait: true }>, runId: string | undefined): string {
  const endsAt = new Date(wait.endsAtMs).toISOString();
  return (
    `Stage of ${wait.stagedAmiId} in ${wait.slot} of ${environment.name} not done yet: ${wait.reason}; staging now would replace it. ` +
    `Nothing changed in AWS, and git keeps the stage: ${environment.parametersFile} stages ${wait.stagedAmiId} while the stack keeps ${wait.slot} on ${wait.warmAmiId} until then ` +
    `(a failback of ${wait.liveAmiId} meanwhile is still that weight flip). After ${endsAt}, this one command stages ${wait.stagedAmiId} in place of ${wait.warmAmiId}, proves it at weight 0 and proposes its switch PR: ${rerunThisRun(runId, (c) => c)}`
  );
}

/** The AMI HEAD stages in the idle slot (warm, not the AMI users are on nor the one they left), or undefined. */
async function stagedAmiAtHead(ctx: GitopsContext, file: string): Promise<string | undefined> {
  const text = await ctx.git.readFileAt('HEAD', file);
  if (text === undefined) return undefined;
  const history = await readAmiHistory(ctx.git, file);
  return stagedIdleAmi(parseParametersFile(text, file).parameters, history.find((c) => c.amiId !== history[0]?.amiId)?.amiId);
}

const slotName = z.enum(SLOT_NAMES);
/** update-app-stack's stage-evidence output. */
const stageEvidence = jsonOutputOf("update-app-stack's stage-evidence output")
  .pipe(
    z.object({
      slot: slotName,
      previousAmiId: z.string(),
      amiId,
      capacity: z.number().int().positive(),
      liveSlot: slotName,
      liveAmiId: amiId,
      provenAt: z.iso.datetime(),
      samples: z.number().int().nonnegative(),
      errorRate: z.number().min(0).max(1),
      medianLatencyMs: z.number().optional(),
      instances: z.array(z.object({ instanceId: z.string(), amiId: z.string().optional() })),
    }),
  );

export const proposeSwitch = defineCommand({
  description: "Staging ahead: after the stage deploy proved the idle slot, propose the switch PR with the proof (LiveSlot and the weights).",
  inputs: z.object({ environment: environmentName.optional(), 'stage-evidence': stageEvidence, 'run-id': workflowRunId.optional() }),
  outputs: ['pull-request-url', 'pull-request-number', 'branch'],
  async run(inputs, ctx) {
    const { environment } = await loadEnvironment(ctx, inputs.environment);
    const file = environment.parametersFile;
    const staged = inputs['stage-evidence'];
    // Compare-and-swap: the switch is composed on HEAD only when HEAD still stages what was proven.
    const headText = await ctx.git.readFileAt('HEAD', file);
    const head = headText === undefined ? undefined : parseParametersFile(headText, file).parameters;
    const plan = head ? readSlotPlan(head) : undefined;
    if (!headText || !plan || plan.live !== staged.liveSlot || plan.slots[staged.slot].amiId !== staged.amiId || !(plan.slots[staged.slot].capacity > 0) || liveAmiIn(head!) !== staged.liveAmiId) {
      const names = plan ? `LiveSlot ${plan.live}, ${staged.slot} on ${plan.slots[staged.slot].amiId}` : 'no slots file';
      return {
        outputs: {},
        failure: `No switch PR for ${environment.name}: the stage deploy proved ${staged.amiId} in ${staged.slot} (users on ${staged.liveSlot}, ${staged.liveAmiId}), but ${file} at HEAD says ${names}. This one command re-runs the deploy of the default branch's HEAD, which stages and proves what HEAD says, then proposes its switch: ${rerunThisRun(inputs['run-id'], (c) => c)}`,
      };
    }
    const switched = setLiveAmiInFile(headText, staged.amiId, file);
    const baseCommit = await ctx.git.resolveCommit('HEAD');
    const pr = composeSwitchPullRequest({ environment: environment.name, parametersFile: file, staged, baseCommit, parameter: metadataParameter(headText, switched, file), runUrl: ctx.runUrl });
    const proposal = await proposePullRequest(
      { branch: pr.branch, base: ctx.defaultBranch, files: { [file]: switched }, message: pr.commitMessage, body: pr.body },
      { git: ctx.git, logger: ctx.logger, auth: ctx.gitAuth(), identity: ctx.identity, github: ctx.github() },
    );
    return {
      outputs: { 'pull-request-url': proposal.url, 'pull-request-number': proposal.number, branch: pr.branch },
      summary: `## Switch proposed for \`${environment.name}\`\n\n**${staged.slot} runs \`${staged.amiId}\`, proven with no user traffic; ${proposal.url} moves users from \`${staged.liveAmiId}\` to it when merged.**\n\n${pr.body}`,
    };
  },
});
