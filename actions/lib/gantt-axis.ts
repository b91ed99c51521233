/**
 * The time axis of the Mermaid gantt charts in job summaries (stack events, which AMI served).
 * Left to itself Mermaid picks d3's ticks, which for a few seconds are half-seconds (labels
 * repeat under `%H:%M:%S`) and for an hour are minutes too dense to read. A chart states its tick
 * interval instead: the smallest round step that gives at most MAX_TICKS ticks, with seconds in
 * the labels only while the step is under a minute. `tickInterval` exists since Mermaid 10.3.
 */

const MAX_TICKS = 10;

const STEPS: ReadonlyArray<{ ms: number; mermaid: string }> = [
  { ms: 1_000, mermaid: '1second' },
  { ms: 2_000, mermaid: '2second' },
  { ms: 5_000, mermaid: '5second' },
  { ms: 10_000, mermaid: '10second' },
  { ms: 15_000, mermaid: '15second' },
  { ms: 30_000, mermaid: '30second' },
  { ms: 60_000, mermaid: '1minute' },
  { ms: 120_000, mermaid: '2minute' },
  { ms: 300_000, mermaid: '5minute' },
  { ms: 600_000, mermaid: '10minute' },
  { ms: 900_000, mermaid: '15minute' },
  { ms: 1_800_000, mermaid: '30minute' },
  { ms: 3_600_000, mermaid: '1hour' },
  { ms: 7_200_000, mermaid: '2hour' },
  { ms: 21_600_000, mermaid: '6hour' },
  { ms: 86_400_000, mermaid: '1day' },
];

/**
 * The gantt header lines for a chart whose tasks span `spanMs`, with dates as epoch milliseconds
 * (`dateFormat x`: Mermaid 11 misreads `X`, see the stack-events chart), indented by `indent`.
 */
export function ganttAxisLines(spanMs: number, indent: string): string[] {
  const step = STEPS.find((s) => spanMs / s.ms <= MAX_TICKS) ?? STEPS[STEPS.length - 1];
  const format = step.ms < 60_000 ? '%H:%M:%S' : step.ms < 86_400_000 ? '%H:%M' : '%m-%d %H:%M';
  return [`${indent}dateFormat x`, `${indent}axisFormat ${format}`, `${indent}tickInterval ${step.mermaid}`];
}
