/**
 * The promotion PR's text: one branch per receiving wave (`ami-promote/<wave>`, so a newer
 * proposal replaces the open one), a one-line bump per environment of the wave, and a body that
 * carries the evidence the decision was made on.
 */
import { AMI_PARAMETER } from '../gitops/ami-history';
import { composeCommitMessage } from '../gitops/commit-metadata';
import { collapsed, markdownTable } from '../markdown';
import type { Wave } from '../parameters';
import type { SoakEvidence } from './soak-evidence';
import type { SoakVerdict } from './soak-verdict';

/** The fixed branch of a wave's promotion PR. */
export function promotionBranch(wave: string): string {
  return `ami-promote/${wave}`;
}

export interface PromotionTarget {
  environment: string;
  parametersFile: string;
  region: string;
  /** What its parameters file names now. */
  currentAmiId: string;
  /** In another region or account than the wave before: the copy of the proven AMI it gets instead. */
  copy?: { amiId: string; created: boolean };
  /** In another account: the role there that makes the copy (the wiring's copyRoleArn). */
  copyRoleArn?: string;
  /** Its copy key (the wiring's copyKmsKeyArn): the copy is encrypted with it. */
  copyKmsKeyArn?: string;
  /** Staging ahead (the wiring's slots.stageAhead): the promotion stages the AMI in the idle slot, as its patch PR would. */
  stageAhead?: boolean;
  /** Staging ahead: the AMI its file's idle slot holds warm (a promotion merged, its switch not yet). */
  stagedAmiId?: string;
  /** The metadata's `parameter`: the lines its bump rewrote (set when the bump is written). */
  parameter?: string;
}

/** Whether a target's file still needs the bump: it neither names the AMI users are on nor stages it already. */
export function needsBump(target: PromotionTarget, amiId: string): boolean {
  const ami = amiFor(target, amiId);
  return target.currentAmiId !== ami && target.stagedAmiId !== ami;
}

/** The AMI a target is bumped to: the proven AMI itself, or its copy in the target's region. */
export function amiFor(target: PromotionTarget, amiId: string): string {
  return target.copy?.amiId ?? amiId;
}

export interface PromotionText {
  title: string;
  body: string;
  commitMessage: string;
}

export interface PromotionTextInput {
  amiId: string;
  imageArn?: string;
  from: Wave;
  to: Wave;
  targets: readonly PromotionTarget[];
  evidence: readonly SoakEvidence[];
  verdict: SoakVerdict;
  buildEvidenceMarkdown: string;
  /** The AMI an open PR on the branch proposed, when this one replaces it. */
  supersedes?: string;
  runUrl?: string;
  /** A note shown first, e.g. that a local run shortened the soak. */
  note?: string;
}

export function composePromotionText(input: PromotionTextInput): PromotionText {
  const { amiId, from, to } = input;
  const changing = input.targets.filter((t) => needsBump(t, amiId));
  const title = `Promote ${amiId} to wave ${to.name} (${changing.map((t) => t.environment).join(', ')})`;
  const commitMessage = composeCommitMessage({
    subject: title,
    body: [
      `Every environment of wave ${from.name} (${from.environments.join(', ')}) ran ${amiId} verified for its soak, with its rollback alarms quiet.`,
      ...(input.runUrl ? [`Proposed by ${input.runUrl}`] : []),
    ],
    updates: changing.map((t) => ({
      environment: t.environment,
      'parameters-file': t.parametersFile,
      parameter: t.parameter ?? AMI_PARAMETER,
      'previous-ami-id': t.currentAmiId,
      'ami-id': amiFor(t, amiId),
      'update-type': 'promotion' as const,
      'image-arn': input.imageArn,
      'promoted-from': from.name,
      ...(t.copy ? { 'source-ami-id': amiId } : {}),
      'run-url': input.runUrl,
    })),
  });
  const soakRows = input.evidence.map((e) => {
    const soak = input.verdict.environments.find((v) => v.environment === e.environment);
    const since = e.since ? `${e.since.date} (commit \`${e.since.commit.slice(0, 12)}\` "${e.since.subject}")` : '-';
    const alarms = e.alarms.states.map((a) => `\`${a.alarmName}\` ${a.state}`).join(', ') || 'none';
    const fired = e.alarms.firings.length ? `⚠️ ${e.alarms.firings.length} firing(s)` : `no transition to ALARM from ${e.alarms.from ?? '-'} to ${e.alarms.to}`;
    return [
      `\`${e.environment}\` (${e.region})`,
      since,
      `${e.soakMinutes} min, ${soak?.soakEndsAtMs === undefined ? 'not started' : `ended ${new Date(soak.soakEndsAtMs).toISOString()}`}`,
      `\`${e.stack.stackName}\` ${e.stack.status ?? '-'} on \`${e.stack.amiId ?? '-'}\` since ${e.stack.updatedAt ?? '-'}`,
      `${alarms}; ${fired}`,
      e.fledFrom.length ? `⚠️ ${e.fledFrom.length} failback(s)` : 'none: no failback, automatic failback or rollback record',
    ];
  });
  const bumps = changing.map((t) => [
    `\`${t.environment}\``,
    `\`${t.parametersFile}\``,
    `\`${t.currentAmiId}\``,
    t.copy ? `\`${t.copy.amiId}\`: ${t.copy.created ? 'a new' : 'the existing'} copy of \`${amiId}\` in ${t.copyRoleArn ? `account ${t.copyRoleArn.split(':')[4]}, ` : ''}${t.region}, tagged SourceAmiId` : `\`${amiId}\``,
  ]);
  const moves = changing.map((t) => `\`${t.environment}\`: \`${t.currentAmiId}\` → \`${amiFor(t, amiId)}\`${t.copy ? ` (its copy in ${t.region})` : ''}${t.stageAhead ? ' (staged)' : ''}`).join(', ');
  const staging = changing.filter((t) => t.stageAhead).map((t) => `\`${t.environment}\``);
  const body = [
    `## Promote to wave \`${to.name}\``,
    // The answer first: what merging changes, and why it is safe; the note (a shortened soak) and the evidence below.
    `**Merging this PR deploys \`${amiId}\` to wave \`${to.name}\` (${moves}): every environment of wave \`${from.name}\` ran it verified for its soak, with no failback since and its rollback alarms quiet.**`,
    ...(input.note ? [`> ${input.note}`] : []),
    `How that is known, for each of them: the deploy job verified it through the load balancer (a failed verification would have left an automatic-failback record in git), nothing failed it back since, its app stack still runs it settled, and its rollback alarms stayed quiet for the whole soak (CloudWatch alarm history).`,
    ...(input.supersedes ? [`This replaces the earlier proposal of \`${input.supersedes}\`: wave \`${from.name}\` has moved on to a newer patch.`] : []),
    '### Where it ran',
    markdownTable(['Environment', 'Runs it since', 'Soak', 'App stack (AWS)', 'Rollback alarms over the soak', 'Failbacks (git)'], soakRows),
    '### What this PR changes',
    markdownTable(['Environment', 'File', 'From', 'To'], bumps),
    `Merging deploys wave \`${to.name}\` through Deploy on merge, at most ${to.maxParallel} environment(s) at a time, each after its GitHub environment's approval.` +
      (staging.length
        ? ` ${staging.join(', ')} ${staging.length === 1 ? 'stages' : 'stage'} ahead: the merge puts the AMI in the idle slot at weight 0, as a patch PR there would, with no user traffic; that deploy proves the slot and proposes the switch PR, and merging the switch moves users.`
        : ''),
    '### The build',
    collapsed('Findings and package diff of the original build (from the AMI\'s Image Builder tag)', input.buildEvidenceMarkdown),
  ].join('\n\n');
  return { title, body, commitMessage };
}
