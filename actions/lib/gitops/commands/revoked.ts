import { z } from 'zod';

import { AS_TEXT, IN_CELL, keyValueTable, type Quoting } from '../../markdown';
import { encodeNotification } from '../../notify/notification';
import { describeRevocation, findRevocation, revokedAmiIds, setLiveAmiInFile } from '../../parameters';
import { chooseFailbackTarget, readAmiHistory } from '../ami-history';
import { composeCommitMessage } from '../commit-metadata';
import { proposePullRequest } from '../propose-pull-request';
import { describeRevocationCommit, findRevocationCommit, loadWorkspaceRevocations } from '../revocation-check';
import { defineCommand, loadEnvironment, metadataParameter, readCurrentAmi, workspaceFiles } from './context';
import { environmentName } from './inputs';

/** The branch the replacement PR of an environment lives on. */
export function revokedReplacementBranch(environment: string): string {
  return `gitops/replace-revoked-${environment}`;
}

/**
 * Drift treatment for a revoked AMI: when the AMI an environment's parameters file names at HEAD
 * is revoked, open (or update) the PR that replaces it with the newest earlier AMI of its git
 * history that is not revoked, and fail the step, so the run is the alert. A person merges the
 * PR; merging deploys it. Reads git only; no AWS call.
 */
export const replaceRevoked = defineCommand({
  description: "Open the PR that replaces an environment's AMI when it is revoked (and fail, as the alert).",
  inputs: z.object({ environment: environmentName }),
  outputs: ['revoked', 'ami-id', 'replacement-ami-id', 'pull-request-url', 'notification'],
  async run(inputs, ctx) {
    const { environment } = await loadEnvironment(ctx, inputs.environment);
    const file = environment.parametersFile;
    const current = await readCurrentAmi(ctx, environment);
    const revocations = await loadWorkspaceRevocations(ctx.workspace);
    const revocation = findRevocation(revocations, { amiId: current });
    if (!revocation) {
      ctx.logger.info(`${environment.name}: ${file} names ${current}, which is not revoked.`);
      return { outputs: { revoked: false, 'ami-id': current } };
    }
    const revokingCommit = await findRevocationCommit(ctx.git, revocation);
    // Plain for the commit message, the failure and the notification; in the table, IDs as code spans and the reason and subject as typed.
    const describe = (q: Quoting) => `${describeRevocation(revocation, revocations, q)}; ${describeRevocationCommit(revokingCommit, q)}`;
    const why = describe(AS_TEXT);
    const target = chooseFailbackTarget(await readAmiHistory(ctx.git, file), current, file, revokedAmiIds(revocations));
    const reason = `${current} is revoked: ${revocation.reason}`.slice(0, 200);
    const headText = await workspaceFiles.read(ctx, file);
    const replaced = setLiveAmiInFile(headText, target.amiId, file);
    const message = composeCommitMessage({
      subject: `Replace revoked ${current} in ${environment.name} with ${target.amiId}`,
      body: [`${current} is ${why}.`, `${target.amiId} is the newest earlier AMI of ${file} that is not revoked (${target.change.commit.slice(0, 12)} "${target.change.subject}").`],
      updates: [
        {
          environment: environment.name,
          'parameters-file': file,
          parameter: metadataParameter(headText, replaced, file),
          'previous-ami-id': current,
          'ami-id': target.amiId,
          'update-type': 'failback',
          reason,
          'run-url': ctx.runUrl,
        },
      ],
    });
    const table = keyValueTable([
      ['Environment', `\`${environment.name}\` (\`${file}\`)`],
      ['Revoked AMI (HEAD)', `\`${current}\``],
      ['Revocation', describe(IN_CELL)],
      ['Replacement', `\`${target.amiId}\` (from ${target.change.commit.slice(0, 12)}, ${target.change.date})`],
    ]);
    const proposal = await proposePullRequest(
      {
        branch: revokedReplacementBranch(environment.name),
        base: ctx.defaultBranch,
        files: { [file]: replaced },
        message,
        body: `## ⛔ \`${environment.name}\` runs a revoked AMI\n\n**Merging this PR deploys \`${target.amiId}\` to \`${environment.name}\` in place of the revoked \`${current}\` (Deploy on merge); or patch forward with a new build instead.**\n\n${table}`,
      },
      { git: ctx.git, logger: ctx.logger, auth: ctx.gitAuth(), identity: ctx.identity, github: ctx.github() },
    );
    const failure = `${environment.name} runs ${current}, which is ${why}. Pull request ${proposal.url} replaces it with ${target.amiId}: merge it to deploy, or patch forward.`;
    const notification = encodeNotification({
      event: 'revoked',
      ok: false,
      environment: environment.name,
      verdict: failure,
      amis: [
        { label: 'Revoked (HEAD)', amiId: current },
        { label: 'Replacement', amiId: target.amiId },
      ],
      links: [{ label: 'Replacement pull request', url: proposal.url }],
    });
    return {
      outputs: { revoked: true, 'ami-id': current, 'replacement-ami-id': target.amiId, 'pull-request-url': proposal.url, notification },
      summary: `## ⛔ Revoked AMI in \`${environment.name}\`\n\n**\`${environment.name}\` names \`${current}\`, which is revoked; pull request ${proposal.url} replaces it with \`${target.amiId}\`: merge it to deploy, or patch forward.**\n\n${table}`,
      failure,
    };
  },
});
