import { z } from 'zod';

import { PollTimeoutError } from '../../errors';
import { AS_TEXT, IN_SENTENCE, keyValueTable, type Quoting } from '../../markdown';
import { encodeNotification } from '../../notify/notification';
import { describeRevocation, findRevocation } from '../../parameters';
import { readDeployedAmi } from '../deployed-ami';
import { failbackCommand } from '../failback-request';
import { assessPatchDebt, readRunningAmiFacts, renderPatchDebtIssue } from '../patch-debt';
import { loadWorkspaceRevocations } from '../revocation-check';
import { defineCommand, loadEnvironment, loadWiring, readCurrentAmi } from './context';
import { environmentName, minutes } from './inputs';

/** Drift check: every environment, in promotion order, as a JSON array for a matrix. */
export const listEnvironments = defineCommand({
  description: 'List every environment of the wiring file, in promotion order.',
  inputs: z.object({}),
  outputs: ['environments'],
  async run(_inputs, ctx) {
    const wiring = await loadWiring(ctx);
    return { outputs: { environments: JSON.stringify(wiring.promotionOrder) } };
  },
});

/**
 * Drift check: does the app stack run the AMI git names? A difference means the stack was changed
 * outside git (the console, the SSM runbook, a deploy whose record failed), and the next merge
 * would silently undo it. A stack still busy is waited for a few minutes, then reported as not
 * checked rather than as drift. A stack that runs a revoked AMI fails the check too.
 */
export const checkDrift = defineCommand({
  description: 'Compare the AMI the app stack runs with the one its parameters file names at HEAD.',
  inputs: z.object({ environment: environmentName, 'timeout-minutes': minutes(30, 180) }),
  outputs: ['drifted', 'live-ami-id', 'git-ami-id', 'notification'],
  async run(inputs, ctx) {
    const { environment } = await loadEnvironment(ctx, inputs.environment);
    const gitAmi = await readCurrentAmi(ctx, environment);
    const file = environment.parametersFile;
    let live;
    try {
      live = await readDeployedAmi(environment.stacks.app, inputs['timeout-minutes'] * 60_000, { clients: ctx.aws(environment.region), logger: ctx.logger, clock: ctx.clock });
    } catch (error) {
      if (!(error instanceof PollTimeoutError)) throw error;
      ctx.logger.warning(`Drift not checked for ${environment.name}: ${error.message}`);
      return { outputs: { drifted: false, 'git-ami-id': gitAmi }, summary: `## ⏳ Drift: \`${environment.name}\` not checked\n\n**The stack stayed busy, so drift was not checked (this is not drift).** ${error.message}` };
    }
    const revocations = await loadWorkspaceRevocations(ctx.workspace);
    const revokedLive = findRevocation(revocations, { amiId: live.amiId });
    const drifted = live.amiId !== gitAmi;
    const table = keyValueTable(
      [
        [`Git: \`${file}\` at HEAD`, `\`${gitAmi}\``],
        [`Stack \`${live.stackName}\` (${live.status})`, `\`${live.amiId}\``],
      ],
      ['Source', 'AMI'],
    );
    if (revokedLive) {
      // Drift treatment: the run fails as the alert; replace-revoked opens the PR that replaces it.
      const revoked = (q: Quoting) =>
        `${environment.name} runs a revoked AMI: stack ${q.id(live.stackName)} runs ${q.id(live.amiId)}, which is ${describeRevocation(revokedLive, revocations, q)}. ` +
        `Merge the replace-revoked pull request of this run (or run the Failback workflow, or patch forward) to take it out of service.`;
      const failure = revoked(AS_TEXT);
      const notification = encodeNotification({ event: 'revoked', ok: false, environment: environment.name, verdict: failure, amis: [{ label: 'Runs (revoked)', amiId: live.amiId }, ...(drifted ? [{ label: 'Git names', amiId: gitAmi }] : [])] });
      return { outputs: { drifted, 'live-ami-id': live.amiId, 'git-ami-id': gitAmi, notification }, summary: `## ⛔ Revoked AMI running: \`${environment.name}\`\n\n**${revoked(IN_SENTENCE)}**\n\n${table}`, failure };
    }
    if (!drifted) {
      ctx.logger.info(`${environment.name}: the stack runs ${live.amiId}, as ${file} says.`);
      return { outputs: { drifted, 'live-ami-id': live.amiId, 'git-ami-id': gitAmi }, summary: `## ✅ No drift: \`${environment.name}\`\n\n**Stack \`${live.stackName}\` runs \`${live.amiId}\`, as \`${file}\` says.**\n\n${table}` };
    }
    // Plain for the failure annotation and the notification; the summary shows the IDs and the command as code spans.
    const drift = (q: Quoting) =>
      `Drift in ${environment.name}: stack ${q.id(live.stackName)} runs ${q.id(live.amiId)} but ${q.id(file)} names ${q.id(gitAmi)}, so the stack was changed outside git ` +
      `(console, SSM runbook, or a deploy whose record failed) and the next merge would undo it. To keep what runs, this one command records ${q.id(live.amiId)} in git ` +
      `through the Failback workflow (its pre-flight checks the AMI first): ${q.command(failbackCommand(environment.name, live.amiId, `record what ${environment.name} runs after drift from ${gitAmi}`, ctx.defaultBranch))}. ` +
      `To put git's ${q.id(gitAmi)} back instead, re-run the last Deploy of ${environment.name}.`;
    const failure = drift(AS_TEXT);
    const notification = encodeNotification({ event: 'drift', ok: false, environment: environment.name, verdict: failure, amis: [{ label: 'Git names', amiId: gitAmi }, { label: 'Stack runs', amiId: live.amiId }] });
    return { outputs: { drifted, 'live-ami-id': live.amiId, 'git-ami-id': gitAmi, notification }, summary: `## ⚠️ Drift: \`${environment.name}\`\n\n**${drift(IN_SENTENCE)}**\n\n${table}`, failure };
  },
});

/**
 * Patch-debt check: has the AMI an environment runs (the one its parameters file names at HEAD)
 * passed the wiring's age limit, or has a CRITICAL finding stayed open in it past its limit? Then
 * it opens, or updates, one issue per environment (label patch-debt): an alert a person sees and
 * closes, not a log line. Reads EC2 and Image Builder; writes only the issue.
 */
export const checkPatchDebt = defineCommand({
  description: "Open or update an issue when an environment's AMI is past the wiring's patch-debt limits.",
  inputs: z.object({ environment: environmentName }),
  outputs: ['in-debt', 'ami-id', 'age-days', 'issue-url', 'notification'],
  async run(inputs, ctx) {
    const { wiring, environment } = await loadEnvironment(ctx, inputs.environment);
    const amiId = await readCurrentAmi(ctx, environment);
    const { ec2, imageBuilder } = ctx.aws(environment.region);
    const facts = await readRunningAmiFacts(amiId, { clients: { ec2, imageBuilder }, logger: ctx.logger, clock: ctx.clock });
    if (facts.findingsUnavailable) ctx.logger.warning(`Patch debt of ${environment.name}: CRITICAL findings not checked: ${facts.findingsUnavailable}.`);
    // AWS's time (aws-clock.ts): a runner days off would make an AMI look younger or older than it is.
    const debt = assessPatchDebt(facts, wiring.patchDebt, ctx.aws(environment.region).awsClock.now(`the age of ${amiId} (patch debt of ${environment.name})`));
    const outputs = { 'in-debt': debt.inDebt, 'ami-id': amiId, 'age-days': debt.ageDays };
    if (!debt.inDebt) {
      const within = `${environment.name}: ${amiId} is within the patch-debt limits (${debt.ageDays ?? '?'} days old).`;
      ctx.logger.info(within);
      return { outputs, summary: `## ✅ No patch debt: \`${environment.name}\`\n\n**\`${amiId}\` is within the patch-debt limits: ${debt.ageDays ?? '?'} days old (limit ${wiring.patchDebt.maxAmiAgeDays}), no CRITICAL finding open past ${wiring.patchDebt.maxCriticalOpenDays} days.**` };
    }
    const issue = await ctx.github().upsertIssue({
      title: `Patch debt: ${environment.name} runs ${amiId}`,
      label: 'patch-debt',
      body: renderPatchDebtIssue(environment.name, facts, debt, wiring.patchDebt, ctx.runUrl),
    });
    ctx.logger.warning(`Patch debt in ${environment.name}: ${debt.problems.join('; ')}. ${issue.created ? 'Opened' : 'Updated'} issue #${issue.number} (${issue.url}).`);
    const notification = encodeNotification({
      event: 'patch-debt',
      ok: false,
      environment: environment.name,
      verdict: `${environment.name} runs ${amiId}, past its patch-debt limits: ${debt.problems.join('; ')}. Merge a patch PR (or run Patch PR) to replace it.`,
      amis: [{ label: 'Runs', amiId }],
      links: [{ label: `Issue #${issue.number}`, url: issue.url }],
    });
    return { outputs: { ...outputs, 'issue-url': issue.url, notification }, summary: `## ⚠️ Patch debt: \`${environment.name}\`\n\n**\`${environment.name}\` runs \`${amiId}\`, past its patch-debt limits; issue [#${issue.number}](${issue.url}) says so and how to pay it:**\n\n${debt.problems.map((p) => `- ${p}`).join('\n')}` };
  },
});
