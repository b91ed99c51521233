import { z } from 'zod';

import { renderNotableFindings } from '../image-builder/findings';
import { codeAmiIds, keyValueTable } from '../markdown';
import { AMI_PARAMETER } from './ami-history';
import { composeCommitMessage } from './commit-metadata';

/** What the patch workflow knows once the AMI is built and the change set previewed. */
export interface PatchPullRequestInputs {
  environment: string;
  parametersFile: string;
  previousAmiId: string;
  amiId: string;
  imageArn?: string;
  /** build-ami's `package-diff-markdown`. */
  packageDiffMarkdown?: string;
  /** build-ami's `findings-json`: `{ counts: { CRITICAL: n, … }, total, scanned, reason?, gate?, delta? }`. */
  findingsJson?: string;
  /** build-ami's `findings-delta-markdown`: fixed / introduced / still-open CVEs against the running AMI. */
  findingsDeltaMarkdown?: string;
  /** update-app-stack's `changes-markdown` from the preview. */
  changesMarkdown?: string;
  runUrl?: string;
  /** A warning right under the lead sentence, as a GitHub alert (a bake that skipped promotion). */
  warning?: string;
  /** The metadata's `parameter`: what the bump changes (default AmazonMachineImage; a slots switch names its lines). */
  parameter?: string;
  /**
   * Staging ahead (the wiring's slots.stageAhead): the slot the new AMI is staged in at weight 0,
   * and the AMI it held; the PR then says it moves no user and that a second PR will switch.
   */
  stagedSlot?: { slot: string; replacedAmiId: string };
  /**
   * Strategy slots (one PR): the idle slot the new AMI goes to, the slot users are on, and the
   * canary (its share and seconds); the PR then says how the switch goes instead of a replaced
   * Auto Scaling group.
   */
  slotsSwitch?: { slot: string; liveSlot: string; canaryWeight: number; canarySeconds: number };
}

export interface PatchPullRequest {
  /** One fixed branch per environment: a newer AMI updates the open PR instead of opening another. */
  branch: string;
  title: string;
  body: string;
  commitMessage: string;
}

/**
 * GitHub refuses a PR body over 65,536 characters. The margin leaves room for the truncation notes
 * themselves.
 */
export const MAX_BODY_CHARS = 65_536 - 512;

const findingsSchema = z.object({
  counts: z.record(z.string(), z.number().int().nonnegative()),
  total: z.number().int().nonnegative(),
  scanned: z.boolean(),
  reason: z.string().optional(),
  gate: z.object({ threshold: z.string(), passed: z.boolean().optional(), text: z.string() }).optional(),
  notable: z
    .array(z.object({ severity: z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED']), vulnerabilityId: z.string(), packages: z.string(), fixedIn: z.string(), score: z.number().optional() }))
    .optional(),
  delta: z
    .union([
      z.object({ previousAmiId: z.string(), fixed: z.number().int().nonnegative(), introduced: z.number().int().nonnegative(), stillOpen: z.number().int().nonnegative() }),
      z.object({ previousAmiId: z.string(), reason: z.string() }),
    ])
    .optional(),
});

/** The branch the patch PR for an environment lives on. */
export function patchBranch(environment: string): string {
  return `ami-patch/${environment}`;
}

/**
 * Title, body, branch and commit message of the AMI bump PR (Dependabot's title
 * shape "Bump X from A to B", and its machine-readable block at the end of the commit message).
 * The body is the patch evidence: old → new AMI, the image, the severity gate's verdict, the CVE
 * delta and the findings by severity (in the facts table, the first screenful), the CRITICAL/HIGH
 * findings (collapsed), the package diff, the change-set preview and the run that produced them.
 */
export function composePatchPullRequest(inputs: PatchPullRequestInputs): PatchPullRequest {
  const { environment, previousAmiId, amiId } = inputs;
  const staged = inputs.stagedSlot;
  const title = staged ? `Stage ${environment} AMI ${amiId} in ${staged.slot} (users stay on ${previousAmiId})` : `Bump ${environment} AMI from ${previousAmiId} to ${amiId}`;
  const findings = parseFindings(inputs.findingsJson);

  const facts: [string, string][] = [
    ['Environment', `\`${environment}\` (\`${inputs.parametersFile}\`)`],
    ['Current AMI', `\`${previousAmiId}\``],
    ['New AMI', `\`${amiId}\``],
    ...(staged ? [['Staged in', `\`${staged.slot}\` at weight 0 (it held \`${staged.replacedAmiId}\`)`] as [string, string]] : []),
    ['Image', inputs.imageArn ? `\`${inputs.imageArn}\`` : 'not reported'],
    ['Severity gate', findings.gate],
    ['CVE delta', findings.delta],
    ['Findings', findings.summary],
    ['Built by', inputs.runUrl ? `[workflow run](${inputs.runUrl})` : 'not reported'],
  ];
  // The answer first: what merging does, and whether the build says it is safe; the facts below.
  const head = [
    `## Patch \`${environment}\``,
    staged
      ? `**Merging this PR stages \`${previousAmiId}\` → \`${amiId}\` in \`${staged.slot}\`, no user traffic; a second PR will switch. Severity gate: ${findings.gate}; CVE delta: ${findings.delta}.** ` +
        `\`${staged.slot}\` comes up on \`${amiId}\` at weight 0 and is proven on its own target group through the slot header (health, the AMI of each instance, HTTP samples); users stay on \`${previousAmiId}\`. ` +
        'The deploy then proposes the switch PR with that evidence: merging it moves the traffic (canary, then all). A failed prove puts the slot back and records it; no switch PR.'
      : `**Merging this PR deploys \`${amiId}\` to \`${environment}\` in place of \`${previousAmiId}\`. Severity gate: ${findings.gate}; CVE delta: ${findings.delta}.** ${howItDeploys(inputs)}`,
    ...(inputs.warning ? [`> [!WARNING]\n> ${inputs.warning}`] : []),
    keyValueTable(facts),
  ];
  const sections = [
    { heading: '### CVE delta against the running AMI', text: inputs.findingsDeltaMarkdown?.trim() || '_build-ami reported no CVE delta._' },
    { heading: '### CRITICAL and HIGH findings', text: findings.table },
    { heading: '### Packages changed', text: inputs.packageDiffMarkdown?.trim() || '_build-ami reported no package diff._' },
    { heading: '### CloudFormation change-set preview', text: inputs.changesMarkdown?.trim() || '_No preview: the preview step did not run._' },
  ];
  const foot =
    '<sub>Opened by the Patch PR workflow; a newer build updates this PR. The commit message ends with a machine-readable ' +
    '`updated-amis` block. After merging, the Failback workflow puts the previous AMI back.</sub>';
  const body = fitBody(head, sections, foot, inputs.runUrl);

  const commitMessage = composeCommitMessage({
    subject: title,
    body: [
      `Image: ${inputs.imageArn ?? 'not reported'}`,
      `Findings: ${findings.plain}`,
      `Severity gate: ${stripMarks(findings.gate)}`,
      `CVE delta: ${stripMarks(findings.delta)}`,
      ...(inputs.runUrl ? [`Built by ${inputs.runUrl}`] : []),
    ],
    updates: [
      {
        environment,
        'parameters-file': inputs.parametersFile,
        parameter: inputs.parameter ?? AMI_PARAMETER,
        'previous-ami-id': previousAmiId,
        'ami-id': amiId,
        'update-type': staged ? 'stage' : 'patch',
        'image-arn': inputs.imageArn,
        'run-url': inputs.runUrl,
      },
    ],
  });
  return { branch: patchBranch(environment), title, body, commitMessage };
}

/** What merging sets off, by the environment's strategy: a replaced Auto Scaling group, or a switch of slots. */
function howItDeploys({ slotsSwitch: slots, amiId, previousAmiId }: PatchPullRequestInputs): string {
  if (!slots) return 'A new Auto Scaling group comes up beside the old one, the fleet is verified through the load balancer, and a failed verification fails back to the current AMI on its own.';
  return (
    `\`${slots.slot}\` comes up on \`${amiId}\` beside \`${slots.liveSlot}\`, is proven on its own target group, takes ${slots.canaryWeight} % of the traffic for ${slots.canarySeconds} s as a canary, then all of it. ` +
    `\`${slots.liveSlot}\` stays warm on \`${previousAmiId}\` through the bake window: a failed verification flips the traffic back to it on its own, and a failback is one weight flip.`
  );
}

/** A table cell without its emoji and code marks, for the commit message. */
function stripMarks(cell: string): string {
  return cell.replace(/(✅|❌|⚠️) /g, '').replace(/`/g, '');
}

interface RenderedFindings {
  summary: string;
  plain: string;
  table: string;
  /** The severity gate's verdict in words ("no finding at or above CRITICAL: gate passed"). */
  gate: string;
  /** "fixes 4, introduces 1, 7 still open", or why there is no delta. */
  delta: string;
}

/** Findings in three forms: a table cell, a commit-message line, and a table for the body. */
function parseFindings(json: string | undefined): RenderedFindings {
  let raw: unknown;
  try {
    raw = json ? JSON.parse(json) : undefined;
  } catch {
    raw = undefined;
  }
  const parsed = findingsSchema.safeParse(raw);
  if (!parsed.success) {
    return { summary: 'not reported', plain: 'not reported', table: '_build-ami reported no findings data._', gate: 'not reported', delta: 'not reported' };
  }
  const report = parsed.data;
  const gate = report.gate ? `${report.gate.passed === false ? '❌ ' : report.gate.passed ? '✅ ' : ''}${report.gate.text}` : 'not reported';
  const delta = !report.delta
    ? 'not reported'
    : 'reason' in report.delta
      ? `none: ${codeAmiIds(report.delta.reason)}`
      : `fixes ${report.delta.fixed}, ${report.delta.introduced > 0 ? '⚠️ ' : ''}introduces ${report.delta.introduced}, ${report.delta.stillOpen} still open (against \`${report.delta.previousAmiId}\`)`;
  if (!report.scanned) {
    // build-ami's reason is plain text (it is a log line too): the IDs it names become code spans here, the commit message keeps it plain.
    const why = `not scanned${report.reason ? ` (${report.reason})` : ''}`;
    return { summary: `⚠️ ${codeAmiIds(why)}`, plain: why, table: `_Image not scanned${report.reason ? `: ${codeAmiIds(report.reason)}` : ''}._`, gate, delta };
  }
  const counts = Object.entries(report.counts);
  const plain = `${counts.map(([severity, n]) => `${n} ${severity.toLowerCase()}`).join(', ')} (${report.total} total)`;
  const severe = (report.counts.CRITICAL ?? 0) + (report.counts.HIGH ?? 0);
  return {
    summary: `${severe > 0 ? '⚠️ ' : ''}${plain}`,
    plain,
    // The counts are in the facts table already: one severity table, the CRITICAL/HIGH list, collapsed
    // under the section's heading (its summary does not name the findings a second time).
    table: renderNotableFindings(report.notable ?? [], severe, 'Each finding, its package and fix') ?? (severe > 0 ? `_${severe} CRITICAL/HIGH finding(s); build-ami listed none of them (see its job summary)._` : '_No CRITICAL or HIGH finding._'),
    gate,
    delta,
  };
}

/**
 * Joins the body, shortening the longest section until the whole fits GitHub's limit. A cut
 * section says it was cut and where the whole text is (the run's job summary).
 */
function fitBody(head: string[], sections: { heading: string; text: string }[], foot: string, runUrl: string | undefined): string {
  const render = () => [...head, ...sections.flatMap((s) => [s.heading, s.text]), foot].join('\n\n');
  let body = render();
  while (body.length > MAX_BODY_CHARS) {
    const longest = sections.reduce((a, b) => (b.text.length > a.text.length ? b : a));
    const excess = body.length - MAX_BODY_CHARS;
    const note = `\n\n_…cut to fit GitHub's PR body limit; the full text is in the ${runUrl ? `[run's job summary](${runUrl})` : "run's job summary"}._`;
    if (longest.text.length <= note.length * 2) break; // nothing left worth cutting
    const keep = Math.max(0, longest.text.length - excess - note.length);
    // Cut at a line end so a Markdown table is not left with half a row.
    const cut = longest.text.lastIndexOf('\n', keep);
    longest.text = longest.text.slice(0, cut > 0 ? cut : keep) + note;
    body = render();
  }
  return body;
}
