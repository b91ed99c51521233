import { spawnSync } from 'node:child_process';

import { runBench } from '../../../local/bench';
import { cutoverSection, formatClock, renderReport, runWaitingBenchmark, waitingSection } from '../../../local/bench/report';
import { SCENARIOS } from '../../../local/bench/scenarios';
import { renderMarkdownTable, renderTextTable } from '../../../local/bench/table';

describe('tables', () => {
  const table = { headers: ['Scenario', 'lag'], rows: [['a | b', '1.0 s'], ['longer name', '10.5 s']] };

  it('renders markdown with one row per line, right-aligned numbers and escaped pipes', () => {
    expect(renderMarkdownTable(table).split('\n')).toEqual(['| Scenario | lag |', '|---|---:|', '| a \\| b | 1.0 s |', '| longer name | 10.5 s |']);
  });

  it('renders text with columns padded to the widest cell', () => {
    expect(renderTextTable(table).split('\n')).toEqual(['Scenario        lag', '-----------  ------', 'a | b         1.0 s', 'longer name  10.5 s']);
  });

  it.each([
    [0, '0:00'],
    [65, '1:05'],
    [600, '10:00'],
    [59.6, '1:00'],
  ])('formats %s s as %s', (seconds, text) => {
    expect(formatClock(seconds)).toBe(text);
  });
});

describe('the report', () => {
  const few = SCENARIOS.filter((s) => ['change-set-10s', 'throttled-at-done'].includes(s.id));

  it('prints the same numbers on every run (virtual clock, seeded jitter)', async () => {
    const once = renderReport([waitingSection(await runWaitingBenchmark(few))], { markdown: true });
    const twice = renderReport([waitingSection(await runWaitingBenchmark(few))], { markdown: true });
    expect(twice).toBe(once);
  });

  it('has one row per scenario, the three policies side by side, and says when a waiter gave up', async () => {
    const section = waitingSection(await runWaitingBenchmark(few));
    expect(section.table.headers).toEqual(['Scenario', 'poll() lag', 'calls', 'SDK v3 waiter lag', 'calls', 'CLI wait lag', 'calls']);
    expect(section.table.rows.map((r) => r[0])).toEqual(few.map((s) => s.title));
    expect(section.table.rows[1][5]).toBe('gave up (Throttling)');
    expect(section.table.rows[0][1]).toMatch(/^\d+\.\d \/ \d+\.\d s$/);
  });

  it('shows only the AWS defaults column, and says why, when there is no template yet', () => {
    const section = cutoverSection({});
    expect(section.table.headers).toEqual(['Setting or milestone', 'AWS defaults']);
    expect(section.intro.join('\n')).toMatch(/templates\/app\.yaml is not there yet/);
  });
});

describe('npm run bench', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['-r', '@swc-node/register', 'local/bench.ts', ...args], { encoding: 'utf8', timeout: 60_000 });

  it('prints both tables as markdown with --markdown', () => {
    const result = run('--markdown');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^### Waiting: how late each waiter notices/m);
    expect(result.stdout).toMatch(/^### Cutover on AWS/m);
    expect(result.stdout).toMatch(/^\| Setting or milestone \| templates\/app\.yaml \| AWS defaults \|$/m);
    expect(result.stdout.match(/^\| stack update, 15 min \|/gm)).toHaveLength(1);
  });

  it.each([
    [['--boot-seconds', 'soon'], /--boot-seconds for the cutover model: "soon" is not a number\. Pass e\.g\. --boot-seconds 90\./],
    [['--boot-seconds=-5'], /"-5" is not a number/],
    [['--monitoring-minutes', ''], /--monitoring-minutes for the cutover model: "" is not a number/],
  ])('refuses %j with a message that says what to pass', async (argv, message) => {
    await expect(runBench(argv)).rejects.toThrow(message);
  });
});
