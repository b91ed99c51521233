import { ganttAxisLines } from '../gantt-axis';
import { type Sample, SAMPLE_INTERVAL_MS } from './sampler';

/** A run of samples with one outcome (an AMI, or "error") whose gaps stay within the merge gap. */
interface Bar {
  outcome: string;
  start: number;
  end: number;
  samples: number;
}

/**
 * More bars than this and the chart stops being readable (and GitHub's renderer slows down). A
 * cutover interleaves two AMIs sample by sample, which would give one bar per sample; widening the
 * merge gap turns that into one overlapping bar per AMI, which is what a reader wants to see.
 */
export const MAX_TIMELINE_BARS = 40;

const ERROR_OUTCOME = 'errors';

/**
 * An error bar is at least this share of the chart wide, so one failed sample in an hour's watch
 * is still a visible red mark (its label keeps the true count); AMI bars keep their true width.
 */
const MIN_ERROR_SHARE = 1 / 80;

/**
 * A Mermaid gantt chart of which AMI served over time: one section per AMI (and one for errors),
 * one bar per stretch of time it answered. GitHub renders it in job summaries. The expected AMI
 * is drawn in the theme's strong task colour (no tag), any other AMI greyed (`done`), errors red
 * (`crit`). `dateFormat x` takes epoch milliseconds; durations are whole seconds because
 * Mermaid's gantt does not parse millisecond durations. Returns undefined when there is nothing
 * to draw.
 */
export function renderAmiTimeline(samples: readonly Sample[], expectedAmiId?: string): string | undefined {
  if (samples.length === 0) return undefined;
  const bars = mergeIntoBars(samples);
  const outcomes = [...new Set(bars.map((b) => b.outcome))].sort((a, b) => rank(a, expectedAmiId) - rank(b, expectedAmiId));
  const spanMs = Math.max(...bars.map((b) => b.end)) - Math.min(...bars.map((b) => b.start));
  const lines = ['```mermaid', 'gantt', '  title Which AMI answered each sample', ...ganttAxisLines(spanMs, '  ')];
  for (const outcome of outcomes) {
    lines.push(`  section ${outcome === expectedAmiId ? `${outcome} (expected)` : outcome}`);
    for (const bar of bars.filter((b) => b.outcome === outcome)) {
      const isError = outcome === ERROR_OUTCOME;
      const tag = isError ? 'crit, ' : outcome === expectedAmiId ? '' : 'done, ';
      const widthMs = isError ? Math.max(bar.end - bar.start, spanMs * MIN_ERROR_SHARE) : bar.end - bar.start;
      const seconds = Math.max(1, Math.round(widthMs / 1_000));
      const label = `${bar.samples} ${isError ? (bar.samples === 1 ? 'error' : 'errors') : bar.samples === 1 ? 'sample' : 'samples'}`;
      lines.push(`    ${label} :${tag}${bar.start}, ${seconds}s`);
    }
  }
  lines.push('```');
  return lines.join('\n');
}

/** Expected AMI first, other AMIs next, errors last. */
function rank(outcome: string, expectedAmiId: string | undefined): number {
  return outcome === expectedAmiId ? 0 : outcome === ERROR_OUTCOME ? 2 : 1;
}

/**
 * Merges each outcome's samples into bars: a sample within `gap` of the previous one of the same
 * outcome extends its bar. The gap starts at 1.5 sampling intervals (consecutive samples join) and
 * doubles until the chart has at most MAX_TIMELINE_BARS bars.
 */
function mergeIntoBars(samples: readonly Sample[]): Bar[] {
  for (let gap = 1.5 * SAMPLE_INTERVAL_MS; ; gap *= 2) {
    const bars: Bar[] = [];
    const open = new Map<string, Bar>();
    for (const sample of samples) {
      const outcome = sample.error !== undefined ? ERROR_OUTCOME : (sample.amiId ?? ERROR_OUTCOME);
      const bar = open.get(outcome);
      if (bar && sample.at - (bar.end - SAMPLE_INTERVAL_MS) <= gap) {
        bar.end = sample.at + SAMPLE_INTERVAL_MS;
        bar.samples += 1;
      } else {
        const fresh = { outcome, start: sample.at, end: sample.at + SAMPLE_INTERVAL_MS, samples: 1 };
        bars.push(fresh);
        open.set(outcome, fresh);
      }
    }
    const span = samples[samples.length - 1].at - samples[0].at;
    if (bars.length <= MAX_TIMELINE_BARS || gap > span) return bars;
  }
}
