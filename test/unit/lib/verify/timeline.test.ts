import type { Sample } from '../../../../actions/lib/verify/sampler';
import { MAX_TIMELINE_BARS, renderAmiTimeline } from '../../../../actions/lib/verify/timeline';
import { BLUE_AMI, GREEN_AMI } from './fixtures';

const T0 = Date.UTC(2026, 0, 1);

/** One sample per second from a string: b = blue AMI, g = green AMI, x = error, . = no sample. */
function samplesFrom(pattern: string): Sample[] {
  return [...pattern].flatMap((c, i) => {
    if (c === '.') return [];
    const at = T0 + i * 1_000;
    return [c === 'x' ? { at, latencyMs: 3, status: 502, error: 'HTTP 502' } : { at, latencyMs: 9, status: 200, amiId: c === 'g' ? GREEN_AMI : BLUE_AMI }];
  });
}

const barLines = (chart: string) => chart.split('\n').filter((l) => l.startsWith('    '));

describe('renderAmiTimeline', () => {
  it('draws nothing without samples', () => {
    expect(renderAmiTimeline([], GREEN_AMI)).toBeUndefined();
  });

  it('draws a cutover: blue, an error burst, then green — expected AMI first and strong, the other grey, errors last and red', () => {
    expect(renderAmiTimeline(samplesFrom('bbbxxggggg'), GREEN_AMI)).toBe(
      [
        '```mermaid',
        'gantt',
        '  title Which AMI answered each sample',
        '  dateFormat x',
        '  axisFormat %H:%M:%S',
        '  tickInterval 1second',
        `  section ${GREEN_AMI} (expected)`,
        `    5 samples :${T0 + 5_000}, 5s`,
        `  section ${BLUE_AMI}`,
        `    3 samples :done, ${T0}, 3s`,
        '  section errors',
        `    2 errors :crit, ${T0 + 3_000}, 2s`,
        '```',
      ].join('\n'),
    );
  });

  it('splits a bar where an AMI stopped answering and came back', () => {
    const chart = renderAmiTimeline(samplesFrom('gg...gg'), GREEN_AMI)!;
    expect(barLines(chart)).toEqual([`    2 samples :${T0}, 2s`, `    2 samples :${T0 + 5_000}, 2s`]);
  });

  it(`shows an interleaved cutover as overlapping bars, at most ${MAX_TIMELINE_BARS} in all`, () => {
    const chart = renderAmiTimeline(samplesFrom('bg'.repeat(45)), GREEN_AMI)!;
    const bars = barLines(chart);
    expect(bars.length).toBeLessThanOrEqual(MAX_TIMELINE_BARS);
    expect(bars).toEqual([`    45 samples :${T0 + 1_000}, 89s`, `    45 samples :done, ${T0}, 89s`]);
  });

  it('stays within the bar limit over an hour of flapping', () => {
    const pattern = Array.from({ length: 3600 }, (_, i) => (i % 7 === 0 ? 'x' : i % 3 === 0 ? 'b' : 'g')).join('');
    expect(barLines(renderAmiTimeline(samplesFrom(pattern), GREEN_AMI)!).length).toBeLessThanOrEqual(MAX_TIMELINE_BARS);
  });

  it('uses singular labels for one sample', () => {
    expect(barLines(renderAmiTimeline(samplesFrom('gx'), GREEN_AMI)!)).toEqual([`    1 sample :${T0}, 1s`, `    1 error :crit, ${T0 + 1_000}, 1s`]);
  });

  it('keeps one failed sample in an hour visible: an error bar is at least 1/80 of the chart wide', () => {
    const pattern = 'g'.repeat(1800) + 'x' + 'g'.repeat(1799);
    const bars = barLines(renderAmiTimeline(samplesFrom(pattern), GREEN_AMI)!);
    expect(bars).toContain(`    1 error :crit, ${T0 + 1_800_000}, 45s`);
  });

  it.each([
    ['a five-second watch', 'g'.repeat(5), 'axisFormat %H:%M:%S', 'tickInterval 1second'],
    ['a two-minute watch', 'g'.repeat(120), 'axisFormat %H:%M:%S', 'tickInterval 15second'],
    ['an hour', 'g'.repeat(3600), 'axisFormat %H:%M', 'tickInterval 10minute'],
  ])('states a readable axis for %s', (_name, pattern, format, interval) => {
    const chart = renderAmiTimeline(samplesFrom(pattern), GREEN_AMI)!;
    expect(chart).toContain(`  ${format}\n  ${interval}\n`);
  });
});
