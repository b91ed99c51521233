import { z } from 'zod';

import { bumpAmiInFile, otherSlot, parseParametersFile, readSlotPlan, waveIndexOf, type EnvironmentConfig } from '../../parameters';
import { composePatchPullRequest, type PatchPullRequestInputs } from '../patch-pull-request';
import { assertAmiNotRevoked } from '../revocation-check';
import { defineCommand, loadEnvironment, metadataParameter, readCurrentAmi, workspaceFiles, type GitopsContext } from './context';
import { amiId, environmentName } from './inputs';

/**
 * Patch PR: the rewrite of the environment's AMI in the working tree (create-pull-request commits
 * it): one line in the replace shape; in the slots shape the new AMI goes to the idle slot, which
 * becomes live (docs/parameters.md, "The slots shape"); with the wiring's slots.stageAhead the idle
 * slot gets it at weight 0 and LiveSlot stays (docs/parameters.md, "Staging ahead"). `changed` is false when the file already names this AMI: then no PR is opened, and
 * an open one is left as it is. A revoked AMI (or one from a revoked image build) is refused
 * before the file is touched.
 */
export const setAmi = defineCommand({
  description: "Rewrite the AMI line of the environment's parameters file in the working tree.",
  inputs: z.object({ environment: environmentName.optional(), 'ami-id': amiId, 'image-arn': z.string().max(2048).optional() }),
  outputs: ['changed', 'previous-ami-id', 'ami-id', 'parameters-file'],
  async run(inputs, ctx) {
    const { environment } = await loadEnvironment(ctx, inputs.environment);
    await assertAmiNotRevoked(ctx, { amiId: inputs['ami-id'], imageArn: inputs['image-arn'] }, `Patch PR for ${environment.name}`);
    const file = environment.parametersFile;
    const previous = await readCurrentAmi(ctx, environment);
    const text = await workspaceFiles.read(ctx, file);
    // Staging ahead (the wiring's slots.stageAhead): the idle slot gets the AMI at weight 0; the switch is a second PR.
    const stage = environment.slots.stageAhead;
    const { text: updated, changes } = bumpAmiInFile(text, inputs['ami-id'], file, stage);
    const changed = updated !== text;
    if (changed) {
      await workspaceFiles.write(ctx, file, updated);
      // The slots shape changes several lines (the switch); say each, the AMI move first.
      ctx.logger.info(`${file}: ${stage ? 'stage ' : ''}${previous} → ${inputs['ami-id']} (${Object.entries(changes).map(([k, v]) => `${k} = ${v}`).join(', ')}).`);
    } else {
      ctx.logger.notice(`${file} already names ${inputs['ami-id']}: nothing changed, so no pull request.`);
    }
    return { outputs: { changed, 'previous-ami-id': previous, 'ami-id': inputs['ami-id'], 'parameters-file': file } };
  },
});

/** Patch PR: title, body, branch and commit message for peter-evans/create-pull-request. */
export const composePatchPr = defineCommand({
  description: 'Compose the AMI bump pull request (title, body, branch, commit message with a metadata block).',
  inputs: z.object({
    environment: environmentName.optional(),
    'previous-ami-id': amiId,
    'ami-id': amiId,
    'image-arn': z.string().max(2048).optional(),
    'package-diff-markdown': z.string().optional(),
    'findings-json': z.string().optional(),
    'findings-delta-markdown': z.string().optional(),
    'changes-markdown': z.string().optional(),
  }),
  outputs: ['branch', 'title', 'body', 'commit-message'],
  async run(inputs, ctx) {
    const { wiring, environment } = await loadEnvironment(ctx, inputs.environment);
    await assertAmiNotRevoked(ctx, { amiId: inputs['ami-id'], imageArn: inputs['image-arn'] }, `Patch PR for ${environment.name}`);
    const wave = waveIndexOf(wiring, environment.name);
    const parameter = await bumpedParameters(ctx, environment.parametersFile);
    const pr = composePatchPullRequest({
      environment: environment.name,
      parametersFile: environment.parametersFile,
      previousAmiId: inputs['previous-ami-id'],
      amiId: inputs['ami-id'],
      imageArn: inputs['image-arn'],
      packageDiffMarkdown: inputs['package-diff-markdown'],
      findingsJson: inputs['findings-json'],
      findingsDeltaMarkdown: inputs['findings-delta-markdown'],
      changesMarkdown: inputs['changes-markdown'],
      runUrl: ctx.runUrl,
      parameter,
      ...(await howItGoes(ctx, environment)),
      // A bake for a later wave is allowed (an urgent fix), but its AMI ran in no earlier wave: the PR says so under its lead.
      warning:
        wave > 0
          ? `This image was baked for \`${environment.name}\` directly and **skipped promotion**: no environment of an earlier wave (${wiring.waves.slice(0, wave).flatMap((w) => w.environments).join(', ')}) ran it. The usual path is the promotion PR (docs/workflows.md, "Promotion").`
          : undefined,
    });
    const { body } = pr;
    if (wave > 0) ctx.logger.warning(`${environment.name} is in wave ${wiring.waves[wave].name}: this bake skips promotion, and the PR says so.`);
    ctx.logger.info(`Pull request: "${pr.title}" on branch ${pr.branch} (${body.length} characters of body).`);
    return { outputs: { branch: pr.branch, title: pr.title, body, 'commit-message': pr.commitMessage } };
  },
});

/**
 * What set-ami changed in the working tree against HEAD (the metadata's `parameter`); undefined
 * when HEAD has no such file or nothing changed yet (compose-patch-pr run on its own).
 */
async function bumpedParameters(ctx: GitopsContext, file: string): Promise<string | undefined> {
  const head = await ctx.git.readFileAt('HEAD', file);
  const now = await workspaceFiles.read(ctx, file);
  return head === undefined || head === now ? undefined : metadataParameter(head, now, file);
}

/**
 * How the PR's deploy goes, for strategy slots: the slot the patch goes to (HEAD's idle slot,
 * which set-ami rewrote in the working tree) and, staging ahead, the AMI it held; or the switch
 * from HEAD's live slot with its canary share.
 */
async function howItGoes(ctx: GitopsContext, environment: EnvironmentConfig): Promise<Pick<PatchPullRequestInputs, 'stagedSlot' | 'slotsSwitch'>> {
  if (environment.strategy !== 'slots') return {};
  const file = environment.parametersFile;
  const head = await ctx.git.readFileAt('HEAD', file);
  const plan = readSlotPlan(parseParametersFile(head ?? (await workspaceFiles.read(ctx, file)), file).parameters);
  const slot = otherSlot(plan.live);
  if (environment.slots.stageAhead) return { stagedSlot: { slot, replacedAmiId: plan.slots[slot].amiId } };
  return { slotsSwitch: { slot, liveSlot: plan.live, canaryWeight: environment.slots.canaryWeight, canarySeconds: environment.slots.canarySeconds } };
}
