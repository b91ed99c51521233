import { codeAmiIds, collapsed, keyValueTable, markdownTable } from '../markdown';
import type { TargetRow } from './evaluate-fleet';
import type { Sample } from './sampler';
import { renderAmiTimeline } from './timeline';
import { percent, type VerifyAlbReport } from './verify-alb';

/**
 * Sample rows shown in the summary at most. An hour's watch has 3,600 samples; the summary (1 MiB
 * cap per step on GitHub) and a reader both need far fewer. Beyond it, the rows that matter are
 * kept: the first ones, every error, every change of AMI, and the last one.
 */
export const MAX_SAMPLE_ROWS = 200;

/** Up to this many rows are shown open; more go in a collapsed <details> block. */
const OPEN_SAMPLE_ROWS = 10;

/** The job summary (and the report-markdown output): heading, key/value table, targets, timeline, samples. */
export function renderVerifyReport(report: VerifyAlbReport): string {
  const { fleet, http, target } = report;
  const heading = `## verify-alb: ${report.healthy ? '✅ healthy' : '❌ not healthy'}`;
  // IDs and ARNs in code spans: they do not wrap mid-ID, and a reader can copy them whole.
  const facts: [string, string][] = [
    ...(target.stackName ? [['Stack', `${code(target.stackName)}${target.stackStatus ? ` (${target.stackStatus})` : ''}`] as [string, string]] : []),
    ['Target group', code(target.targetGroupArn)],
    ['Auto Scaling group', `${code(fleet.autoScalingGroupName)} (desired ${fleet.desiredCapacity})`],
    ['Expected AMI', code(report.expectedAmiId)],
    ['Healthy targets', `${fleet.healthyTargets} of ${fleet.totalTargets}${fleet.drainingTargets > 0 ? ` (+${fleet.drainingTargets} draining, ignored)` : ''}`],
    ['Waited for targets', `${Math.round(report.waitedMs / 1000)} s`],
    ['HTTP watch', http.skipped ? `skipped: ${http.skipped}` : `${http.url}, ${http.summary.samples} samples over ${http.watchSeconds} s`],
  ];
  if (!http.skipped) {
    facts.push(['Error rate', `${percent(http.summary.errorRate)} (${http.summary.errors} errors; max ${percent(http.maxErrorRate)})`]);
    facts.push(['Served AMIs', http.summary.servedAmis.map((a) => `${code(a.amiId)} (${a.samples})`).join(', ') || 'none']);
  }

  const parts = [heading, `**${codeAmiIds(escapeText(leadSentence(report)))}**`, keyValueTable(facts)];
  if (report.failures.length > 0) parts.push('### Why it is not healthy', report.failures.map((f) => `- ${escapeText(f)}`).join('\n'));
  parts.push('### Targets', targetsTable(fleet.rows));
  const timeline = renderAmiTimeline(http.samples, report.expectedAmiId);
  if (timeline) parts.push('### Which AMI served', timeline);
  if (http.samples.length > 0) parts.push('### Samples', samplesSection(http.samples, report.expectedAmiId));
  return `${parts.join('\n\n')}\n`;
}

/**
 * The answer in one sentence, before any table: healthy or not, on which AMI, how much of the
 * fleet, and what the sampled responses said; for an unhealthy fleet, the first reason.
 */
export function leadSentence(report: VerifyAlbReport): string {
  const { fleet, http, expectedAmiId: ami } = report;
  if (!report.healthy) {
    const [first, ...more] = report.failures;
    return `Not healthy on ${ami}: ${first ?? 'see the targets below'}${more.length ? ` (and ${more.length} more reason${more.length > 1 ? 's' : ''}, below)` : ''}.`;
  }
  const targets = `${fleet.healthyTargets} of ${fleet.totalTargets} target${fleet.totalTargets === 1 ? '' : 's'} healthy, on ${ami}`;
  if (http.skipped) return `${targets}; no HTTP watch (${http.skipped}).`;
  const { samples, errors, servedAmis } = http.summary;
  const served = servedAmis.length === 1 && servedAmis[0].amiId === ami ? `every response came from ${ami}` : `responses came from ${servedAmis.map((a) => a.amiId).join(', ') || 'no AMI'}`;
  return `${targets}; ${samples} responses in ${http.watchSeconds} s, ${errors} error${errors === 1 ? '' : 's'}, ${served}.`;
}

function code(text: string): string {
  return `\`${text}\``;
}

/** The action's failure message: what failed, for which resource, why, and what to do. */
export function failureMessage(report: VerifyAlbReport): string {
  const subject = report.target.stackName ?? report.target.targetGroupArn;
  return `Verification of ${subject} on ${report.expectedAmiId} failed: ${report.failures.join('; ')}. See the job summary for every target and sample; if the new AMI is at fault, run the failback workflow.`;
}

function targetsTable(rows: readonly TargetRow[]): string {
  if (rows.length === 0) return '_No targets are registered in the target group._';
  const verdict = { ok: '✅', leaving: '↘ draining', previous: '↔ the replaced group (until the cleanup)', problem: '❌' } as const;
  return markdownTable(
    ['Target', 'Health', 'Reason', 'Instance', 'AMI', 'ASG', 'Verdict'],
    rows.map((r) => [
      r.id,
      r.health,
      [r.reason, r.description].filter(Boolean).join(': '),
      r.instanceState ?? 'unknown to EC2',
      r.imageId ? `\`${r.imageId}\`` : '',
      `${r.autoScalingGroupName ?? ''}${r.inCurrentGroup ? ' (current)' : ''}`,
      r.verdict === 'problem' ? `${verdict.problem} ${r.issues.join('; ')}` : verdict[r.verdict],
    ]),
  );
}

function samplesSection(samples: readonly Sample[], expectedAmiId: string): string {
  const shown = pickSampleRows(samples);
  const rows: string[][] = [];
  let previous = -1;
  for (const index of shown) {
    if (index !== previous + 1) rows.push(['…', `${index - previous - 1} samples omitted`, '', '', '', '']);
    const s = samples[index];
    const ami = s.amiId === undefined ? '' : s.amiId === expectedAmiId ? `\`${s.amiId}\`` : `⚠️ \`${s.amiId}\``;
    rows.push([new Date(s.at).toISOString().slice(11, 23), String(s.status ?? '—'), String(s.latencyMs), ami, s.instanceId ?? '', s.error ?? '']);
    previous = index;
  }
  if (previous !== samples.length - 1) rows.push(['…', `${samples.length - 1 - previous} samples omitted`, '', '', '', '']);
  const body = markdownTable(['Time (UTC)', 'Status', 'Latency (ms)', 'AMI', 'Instance', 'Error'], rows);
  if (samples.length <= OPEN_SAMPLE_ROWS) return body;
  const note = shown.length < samples.length ? `, ${shown.length} shown: the first, every error, every AMI change, the last` : '';
  return collapsed(`${samples.length} samples${note}`, body);
}

/** Indexes of the samples to show: all of them when few, else the ones that tell the story. */
export function pickSampleRows(samples: readonly Sample[], limit = MAX_SAMPLE_ROWS): number[] {
  if (samples.length <= limit) return samples.map((_, i) => i);
  const keep = new Set<number>([samples.length - 1]);
  const outcome = (s: Sample) => s.error ?? s.amiId;
  for (let i = 0; i < samples.length && keep.size < limit; i += 1) {
    if (samples[i].error !== undefined || i === 0 || outcome(samples[i]) !== outcome(samples[i - 1])) keep.add(i);
  }
  for (let i = 0; keep.size < limit; i += 1) keep.add(i);
  return [...keep].sort((a, b) => a - b);
}

/** A failure bullet quotes AWS and web text, which must not inject HTML into the summary. */
function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
