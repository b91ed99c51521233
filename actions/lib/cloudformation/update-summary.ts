import { ganttAxisLines } from '../gantt-axis';
import { codeAmiIds, collapsed, firstSentence, keyValueTable, markdownTable } from '../markdown';
import type { StackEventRecord } from './stack-events';
import { AMI_PARAMETER, type UpdateReport } from './update-app-stack';

/** The outputs of update-app-stack, by their public (kebab-case) names. Set on every path. */
export function updateAppStackOutputs(report: UpdateReport): Record<string, string | undefined> {
  return {
    changed: report.changed === undefined ? undefined : String(report.changed),
    'change-set-id': report.changeSetId ?? '',
    'stack-status': report.stackStatus,
    'previous-ami-id': report.previousAmiId,
    'ami-id': report.amiId,
    'changes-markdown': report.changesMarkdown,
    'failed-step': report.flippedBack?.failedStep ?? '',
    'flipped-back-to': report.flippedBack?.liveSlot ?? '',
    // Slots, stage ahead: what the stage deploy proved (for gitops propose-switch), or where it failed.
    'stage-evidence': report.staged ? JSON.stringify(report.staged) : '',
    'stage-failed': report.stageFailed ? JSON.stringify(report.stageFailed) : '',
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

/**
 * The AMI the parameters file asks for: the change set's AMI parameter change, else (no change)
 * what the stack runs. In a preview the stack still runs the previous AMI, so this is the only
 * place the AMI it would deploy appears.
 */
function requestedAmi(report: UpdateReport): string | undefined {
  // The file's live AMI: in the slots shape the AMI parameter is the new slot's, never AmazonMachineImage.
  if (report.requestedAmiId) return report.requestedAmiId;
  const change = report.parameterChanges.find((c) => c.key === AMI_PARAMETER);
  return change?.next ?? report.amiId;
}

/** The first line under the heading: the answer, in words. */
function leadSentence(report: UpdateReport, outcome: string, requested: string | undefined, failure?: string): string {
  const { stackName: stack, previousAmiId: before, amiId: now } = report;
  const move = before && requested && before !== requested ? `from \`${before}\` to \`${requested}\`` : requested ? `on \`${requested}\`` : '';
  switch (outcome) {
    case 'previewed':
      return before && requested && before !== requested
        ? `Deploying would move \`${stack}\` ${move}; nothing was changed (preview).`
        : `Deploying would change \`${stack}\` as listed below; the AMI stays \`${before ?? 'unknown'}\`; nothing was changed (preview).`;
    case 'no-changes':
      return `\`${stack}\` already matches the parameters file${now ? ` and runs \`${now}\`` : ''}: nothing to do.`;
    case 'updated':
      return `\`${stack}\` updated ${move}; the stack is ${report.stackStatus ?? 'updated'}.`;
    default: {
      // The message is plain text (annotations show Markdown raw); in the summary its AMI IDs are code spans.
      const why = failure ? ` ${codeAmiIds(firstSentence(failure))}` : '';
      if (report.flippedBack?.failedStep === 'window') {
        // Strategy replace cancelled its update inside the rollback-trigger window: the answer is that blue serves again.
        return `Green${requested ? ` (\`${requested}\`)` : ''} failed verification inside the rollback-trigger window, so the update of \`${stack}\` was cancelled: CloudFormation rolled it back to blue, which runs ${now ? `\`${now}\`` : 'the AMI it ran before'} (${report.stackStatus ?? 'status unknown'}). No second replacement was needed.`;
      }
      // Before the change set is executed, CloudFormation has changed nothing: say so first, it is what a reviewer needs most.
      if (report.progress !== 'executing' || report.mode === 'preview') {
        const runs = before ? ` and still runs \`${before}\`` : '';
        return `${report.mode === 'preview' ? 'Preview' : 'Update'} of \`${stack}\` stopped before any change: the stack was not touched${runs}.${why}`;
      }
      return `The update of \`${stack}\`${requested ? ` to \`${requested}\`` : ''} failed; the stack is ${report.stackStatus ?? 'in an unknown state'} and runs ${now ? `\`${now}\`` : 'an AMI not known'}.${why}`;
    }
  }
}

/** The one job summary: heading with the AMI move, the answer in one sentence, facts, the failure, changes, event timeline. */
export function renderUpdateSummary(report: UpdateReport, failure?: string): string {
  const outcome = failure ? 'failed' : (report.outcome ?? 'failed');
  const requested = requestedAmi(report);
  const preview = report.mode === 'preview';
  const sections = [
    // No AMI IDs in the heading: its large type wraps an ID at its hyphen; the lead under it names them.
    `## update-app-stack: ${report.stackName} ${HEADLINE[outcome] ?? outcome}`,
    leadSentence(report, outcome, requested, failure),
    keyValueTable([
      ['Stack status', report.stackStatus],
      // A preview changes nothing: the stack runs the previous AMI, the file asks for the new one.
      [preview ? 'Runs now' : 'AMI before', code(report.previousAmiId)],
      [preview ? 'Would deploy' : 'AMI now', code(preview ? requested : report.amiId)],
      ['Changed', report.changed === undefined ? undefined : String(report.changed)],
      ['Parameters file', code(report.parametersFile)],
      ['Rollback alarms', report.mode === 'deploy' ? String(report.rollbackAlarms.length) : undefined],
      ['Duration', report.finishedAt === undefined ? undefined : seconds(report.finishedAt - report.startedAt)],
    ]),
  ];
  if (failure) sections.push('### What went wrong', codeAmiIds(failure));
  if (report.changesMarkdown) sections.push('### Changes', report.changesMarkdown);
  if (report.events.length > 0) {
    const gantt = renderEventGantt(report.events);
    sections.push('### Stack events', ...(gantt ? [gantt] : []), collapsed(`${report.events.length} events`, eventTable(report.events)));
  }
  const internals = keyValueTable([
    ['Mode', report.mode],
    ['Template', report.templateSource],
    // The name is chosen before CreateChangeSet; show it only if a change set was really made.
    ['Change set', code(report.changeSetId ? report.changeSetName : undefined)],
    ['Change set ID', code(report.changeSetId)],
    ['Kept from the stack', report.keptFromStack.join(', ') || undefined],
  ]);
  sections.push(collapsed('Run details', internals));
  return `${sections.join('\n\n')}\n`;
}
