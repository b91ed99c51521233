import { z } from 'zod';

import { InputError } from '../../errors';
import { IN_CELL, IN_SENTENCE, keyValueTable } from '../../markdown';
import { chooseFailbackTarget, readAmiHistory } from '../ami-history';
import { composeCommitMessage } from '../commit-metadata';
import { describeSupersededFailback, validateFailbackRequest, type FailbackRequest } from '../failback-request';
import { assertImageUsable, readEnvironmentAmiPolicy } from '../image-check';
import { recordAmiChange } from '../record-change';
import { assertAmiNotRevoked, loadWorkspaceRevocations } from '../revocation-check';
import { findRevocation, revokedAmiIds, setLiveAmiInFile } from '../../parameters';
import { defineCommand, loadEnvironment, loadWiring, metadataParameter, readCurrentAmi, recordOutputs, workspaceFiles, type GitopsContext } from './context';
import { variableSuffix } from './environment';
import { amiId, commitish, environmentName } from './inputs';

/**
 * Free text on purpose: validateFailbackRequest checks these and reports every problem at once
 * with the fix, which a per-field schema message could not do as well.
 */
const failbackInputs = z.object({
  environment: z.string().optional(),
  'target-ami': z.string().optional(),
  reason: z.string().optional(),
  'requested-by': z.string().optional(),
});

async function validate(inputs: z.infer<typeof failbackInputs>, ctx: GitopsContext): Promise<FailbackRequest> {
  const wiring = await loadWiring(ctx);
  return validateFailbackRequest(
    { environment: inputs.environment, targetAmi: inputs['target-ami'], reason: inputs.reason, requestedBy: inputs['requested-by'] },
    wiring,
  );
}

/**
 * Failback, the deploy job's first step (deploy-environment.yml): validate the request and settle the target. Without a target-ami, the
 * target is the AMI before the current one in the git history of the environment's parameters
 * file (passing over AMIs a failback already fled). Reads git only; no AWS call.
 */
export const resolveFailback = defineCommand({
  description: 'Validate a failback request and choose its target AMI (default: the one before the current AMI in git history).',
  inputs: failbackInputs,
  outputs: ['environment', 'region', 'variable-suffix', 'current-ami-id', 'target-ami-id', 'target-source'],
  async run(inputs, ctx) {
    const request = await validate(inputs, ctx);
    const { environment } = request;
    const current = await readCurrentAmi(ctx, environment);
    let target = request.targetAmiId;
    let source = 'the target-ami input';
    if (target) {
      await assertAmiNotRevoked(ctx, { amiId: target }, `Failback of ${environment.name}`);
    } else {
      const history = await readAmiHistory(ctx.git, environment.parametersFile);
      const revocations = await loadWorkspaceRevocations(ctx.workspace);
      const chosen = chooseFailbackTarget(history, current, environment.parametersFile, revokedAmiIds(revocations));
      target = chosen.amiId;
      source = `git history: ${chosen.change.commit.slice(0, 12)} "${chosen.change.subject}" (${chosen.change.date})`;
      if (chosen.skipped.length) ctx.logger.info(`Passed over ${chosen.skipped.join(', ')}: earlier failbacks moved away from them.`);
      for (const ami of chosen.revoked) {
        ctx.logger.warning(`Passed over ${ami}: revoked in ${revocations.file} (${findRevocation(revocations, { amiId: ami })?.reason}).`);
        source += `; passed over revoked ${ami}`;
      }
    }
    if (target === current) {
      throw new InputError(
        `Failback refused for ${environment.name}: ${environment.parametersFile} already names ${target}. To redeploy it, re-run the last Deploy run; to go elsewhere, give another target-ami.`,
        { file: environment.parametersFile },
      );
    }
    ctx.logger.info(`Failback ${environment.name}: ${current} → ${target} (from ${source}). Reason: ${request.reason}`);
    const summary = renderFailbackRequest({ environment: environment.name, current, target, source, reason: request.reason, requestedBy: request.requestedBy });
    return {
      outputs: {
        environment: environment.name,
        region: environment.region,
        'variable-suffix': variableSuffix(environment.name),
        'current-ami-id': current,
        'target-ami-id': target,
        'target-source': source,
      },
      summary,
    };
  },
});

/**
 * The request's job summary: the answer first (which environment goes from which AMI to which,
 * who asked and why, and that nothing is deployed yet), the facts below.
 */
export function renderFailbackRequest(request: { environment: string; current: string; target: string; source: string; reason: string; requestedBy?: string }): string {
  const { environment, current, target } = request;
  const requester = request.requestedBy ? `@${request.requestedBy}` : 'an unknown actor';
  return [
    `## ⏪ Failback requested: \`${environment}\``,
    `**${requester} asked to fail \`${environment}\` back from \`${current}\` to \`${target}\` (reason: ${IN_SENTENCE.typed(request.reason)}). Nothing is deployed yet:** ` +
      `the target image is checked next, then the failback is recorded in git and deployed, in this job (\`${environment}\`'s deploy job, after its approval).`,
    keyValueTable([
      ['Environment', `\`${environment}\``],
      ['Current AMI', `\`${current}\``],
      ['Target AMI', `\`${target}\``],
      // Both quote text from outside (a commit subject, the reason typed in the dispatch): shown as typed, AMI IDs in code spans.
      ['Chosen from', IN_CELL.typed(request.source)],
      ['Reason', IN_CELL.typed(request.reason)],
      ['Requested by', request.requestedBy ? `@${request.requestedBy}` : 'unknown'],
    ]),
  ].join('\n\n');
}

/**
 * Failback pre-flight: the target exists in the environment's region, is available, not deprecated
 * or disabled, its owner is on the environment's allowlist, and neither it nor the image build
 * behind it (its tag) is revoked.
 */
export const checkImage = defineCommand({
  description: "Check that an AMI exists in the environment's region and is available, not deprecated, not disabled, from an allowed owner and not revoked.",
  inputs: z.object({ environment: environmentName, 'ami-id': amiId }),
  outputs: ['image-name', 'creation-date'],
  async run(inputs, ctx) {
    const { environment } = await loadEnvironment(ctx, inputs.environment);
    const deps = { clients: ctx.aws(environment.region), logger: ctx.logger, clock: ctx.clock };
    const image = await assertImageUsable(inputs['ami-id'], environment.region, await readEnvironmentAmiPolicy(environment, deps), deps);
    await assertAmiNotRevoked(ctx, { amiId: inputs['ami-id'], imageArn: image.imageBuilderArn }, `Failback of ${environment.name}`);
    return { outputs: { 'image-name': image.name, 'creation-date': image.creationDate } };
  },
});

/**
 * Failback, in the deploy job (after the environment's approval, before the stack is touched):
 * commit the target AMI with the reason and the requester, and push it to the default branch, so
 * the deploy that follows deploys HEAD like any other. When the branch only takes PRs, the record
 * becomes a PR and the run stops here: merging it deploys it through Deploy on merge.
 */
export const recordFailback = defineCommand({
  description: 'Commit and push a requested failback (reason and requester in the message) before it is deployed.',
  inputs: failbackInputs.extend({ 'base-commit': commitish.optional() }),
  outputs: ['outcome', 'commit', 'pull-request-url', 'superseded-by', 'superseded-by-ami-id', 'replaced-ami-id'],
  async run(inputs, ctx) {
    const request = await validate(inputs, ctx);
    const { environment } = request;
    const target = request.targetAmiId;
    if (!target) throw new InputError(`Failback not recorded for ${environment.name}: no target-ami. The Failback workflow resolves one before calling the deploy.`);
    // Checked again here: the list may have changed between the request and the approval.
    await assertAmiNotRevoked(ctx, { amiId: target }, `Failback of ${environment.name}`);
    const current = await readCurrentAmi(ctx, environment);
    const headText = await workspaceFiles.read(ctx, environment.parametersFile);
    const message = composeCommitMessage({
      subject: `Fail back ${environment.name} to ${target}`,
      body: [
        `Reason: ${request.reason}`,
        `Replaces ${current}. Requested by ${request.requestedBy ? `@${request.requestedBy}` : 'an unknown actor'}${ctx.runUrl ? ` in ${ctx.runUrl}` : ''}.`,
      ],
      updates: [
        {
          environment: environment.name,
          'parameters-file': environment.parametersFile,
          parameter: metadataParameter(headText, setLiveAmiInFile(headText, target, environment.parametersFile), environment.parametersFile),
          'previous-ami-id': current,
          'ami-id': target,
          'update-type': 'failback',
          reason: request.reason,
          'requested-by': request.requestedBy,
          'run-url': ctx.runUrl,
        },
      ],
    });
    const result = await recordAmiChange(
      {
        file: environment.parametersFile,
        amiId: target,
        message,
        branch: ctx.defaultBranch,
        pullRequestBranch: `gitops/failback-${environment.name}`,
        allowPullRequest: true,
        // The commit the Failback run validated its request against: a failback decided on an
        // older file (a re-run after a newer AMI was merged) must not undo that newer decision.
        baseCommit: inputs['base-commit'],
      },
      { git: ctx.git, logger: ctx.logger, clock: ctx.clock, auth: ctx.gitAuth(), identity: ctx.identity, github: ctx.github() },
    );
    // The AMI the failback moves away from, for the deploy report (the job stops here when the record is a PR).
    const outputs = { ...recordOutputs(result), 'replaced-ami-id': current };
    if (result.outcome === 'pull-request') {
      return {
        outputs,
        failure: `Failback of ${environment.name} to ${target} NOT deployed: ${ctx.defaultBranch} only accepts pull requests, so the failback is ${result.pullRequestUrl}. Review and merge it, and Deploy on merge deploys it (docs/workflows.md).`,
      };
    }
    if (result.outcome === 'superseded') {
      const superseded = { environment: environment.name, targetAmiId: target, reason: request.reason, branch: ctx.defaultBranch, newerCommit: result.by.commit, newerAmiId: result.by.amiId };
      return { outputs, failure: `Failback of ${environment.name} to ${target} NOT recorded or deployed: ${result.reason}. ${describeSupersededFailback(superseded)}` };
    }
    return { outputs };
  },
});
