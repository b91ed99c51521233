import { ganttAxisLines } from '../gantt-axis';
import { collapsed, keyValueTable, markdownTable } from '../markdown';
import type { StackEventRecord } from './stack-events';
import type { UpdateReport } from './update-app-stack';

/** The six outputs of update-app-stack, by their public (kebab-case) names. Set on every path. */
export function updateAppStackOutputs(report: UpdateReport): Record<string, string | undefined> {
  return {
    changed: report.changed === undefined ? undefined : String(report.changed),
    'change-set-id': report.changeSetId ?? '',
    'stack-status': report.stackStatus,
    'previous-ami-id': report.previousAmiId,
    'ami-id': report.amiId,
    'changes-markdown': report.changesMarkdown,
  };
}

const HEADLINE: Record<string, string> = {
  'no-changes': 'no changes',
  previewed: 'preview',
  updated: 'updated',
  failed: 'FAILED',
};

/** Events shown in the summary table; a long update keeps its first (the cause) and last rows. */
const MAX_EVENT_ROWS = 60;

const code = (value: string | undefined) => (value ? `\`${value}\`` : undefined);

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

/**
 * A Mermaid gantt of the update: one bar per resource from its first to its last event, failed
 * ones marked `crit`. GitHub renders it in job summaries. Only resource events make bars; on moto
 * (stack-level events only) the chart has the stack alone. Dates are epoch milliseconds
 * (`dateFormat x`): Mermaid 11 parses a task's start in `dateFormat X` (seconds) as milliseconds,
 * which draws every bar from 1970 and every tick as 00:00:00 (the render check catches it).
 */
export function renderEventGantt(events: readonly StackEventRecord[]): string | undefined {
  if (events.length < 2) return undefined;
  const spans = new Map<string, { start: number; end: number; status: string; failed: boolean }>();
  for (const e of events) {
    const t = e.timestamp.getTime();
    const span = spans.get(e.logicalId) ?? { start: t, end: t, status: e.status, failed: false };
    span.end = Math.max(span.end, t);
    span.status = e.status;
    span.failed ||= e.status.endsWith('_FAILED');
    spans.set(e.logicalId, span);
  }
  // Mermaid task names end at ':' and lines at '#'/';'; logical ids never contain them, statuses neither.
  const rows = [...spans].map(([id, s], i) => `    ${id} ${s.status} :${s.failed ? 'crit, ' : ''}t${i}, ${s.start}, ${Math.max(s.end, s.start + 1000)}`);
  const first = Math.min(...[...spans.values()].map((s) => s.start));
  const last = Math.max(...[...spans.values()].map((s) => Math.max(s.end, s.start + 1000)));
  return ['```mermaid', 'gantt', ...ganttAxisLines(last - first, '    '), '    section Resources', ...rows, '```'].join('\n');
}

function eventTable(events: readonly StackEventRecord[]): string {
  const shown = events.length > MAX_EVENT_ROWS ? [...events.slice(0, MAX_EVENT_ROWS / 2), ...events.slice(-MAX_EVENT_ROWS / 2)] : events;
  const rows = shown.map((e) => [e.timestamp.toISOString().slice(11, 19), e.logicalId, e.resourceType, e.status, e.reason ?? '']);
  const note = shown.length < events.length ? `\n\n${events.length - shown.length} events in the middle are not shown; all are in the step log.` : '';
  return markdownTable(['Time (UTC)', 'Resource', 'Type', 'Status', 'Reason'], rows) + note;
}

/** The one job summary: heading, key/value table, the failure (if any), changes, event timeline. */
export function renderUpdateSummary(report: UpdateReport, failure?: string): string {
  const outcome = failure ? 'failed' : (report.outcome ?? 'failed');
  const ami =
    report.previousAmiId && report.amiId && report.previousAmiId !== report.amiId ? ` (${report.previousAmiId} → ${report.amiId})` : '';
  const sections = [
    `## update-app-stack: ${report.stackName} ${HEADLINE[outcome] ?? outcome}${ami}`,
    keyValueTable([
      ['Mode', report.mode],
      ['Changed', report.changed === undefined ? undefined : String(report.changed)],
      ['Stack status', report.stackStatus],
      ['Previous AMI', code(report.previousAmiId)],
      ['AMI now', code(report.amiId)],
      ['Parameters file', code(report.parametersFile)],
      ['Template', report.templateSource],
      // The name is chosen before CreateChangeSet; show it only if a change set was really made.
      ['Change set', code(report.changeSetId ? report.changeSetName : undefined)],
      ['Kept from the stack', report.keptFromStack.join(', ') || undefined],
      ['Rollback alarms', report.mode === 'deploy' ? String(report.rollbackAlarms.length) : undefined],
      ['Duration', report.finishedAt === undefined ? undefined : seconds(report.finishedAt - report.startedAt)],
    ]),
  ];
  if (failure) sections.push('### What went wrong', failure);
  if (report.changesMarkdown) sections.push('### Changes', report.changesMarkdown);
  if (report.events.length > 0) {
    const gantt = renderEventGantt(report.events);
    sections.push('### Stack events', ...(gantt ? [gantt] : []), collapsed(`${report.events.length} events`, eventTable(report.events)));
  }
  return `${sections.join('\n\n')}\n`;
}
