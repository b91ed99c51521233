/**
 * Runs the waiting benchmark and the cutover model and lays both out as tables with their notes.
 * Everything here is deterministic: fixed trials, seeded jitter, a virtual clock.
 */
import { DEFAULT_POLL_SCHEDULE } from '../../actions/lib/poll';
import { AWS_DEFAULT_SETTINGS, DEFAULT_ASSUMPTIONS, modelCutover, type CutoverAssumptions, type CutoverSettings, type CutoverTimeline } from './cutover';
import { measure, TRIALS, type PolicyStats } from './measure';
import { CLI_WAITER, NAIVE_LOOP, PROJECT_POLLER, SDK_WAITER } from './policies';
import { SCENARIOS, type Scenario } from './scenarios';
import { renderMarkdownTable, renderTextTable, type Table } from './table';
import type { TemplateCutoverSettings } from './template-settings';

export interface Section {
  title: string;
  intro: string[];
  table: Table;
  notes: string[];
}

export interface WaitingRow {
  scenario: Scenario;
  poll: PolicyStats;
  sdk: PolicyStats;
  cli: PolicyStats;
  /** A naive 2 s loop, for scale in the notes (not a column). */
  naive: PolicyStats;
}

export async function runWaitingBenchmark(scenarios: readonly Scenario[] = SCENARIOS): Promise<WaitingRow[]> {
  const rows: WaitingRow[] = [];
  for (const scenario of scenarios) {
    rows.push({
      scenario,
      poll: await measure(scenario, PROJECT_POLLER),
      sdk: await measure(scenario, SDK_WAITER),
      cli: await measure(scenario, CLI_WAITER),
      naive: await measure(scenario, NAIVE_LOOP),
    });
  }
  return rows;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** "m:ss" for the cutover timeline. */
export function formatClock(totalSeconds: number): string {
  const s = Math.round(totalSeconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function lagCell(stats: PolicyStats): string {
  if (stats.gaveUp === stats.trials) {
    const code = /\(([A-Za-z]+)\)/.exec(stats.gaveUpReason ?? '')?.[1] ?? 'timed out';
    return `gave up (${code})`;
  }
  const lag = `${seconds(stats.lagMaxMs ?? 0).replace(' s', '')} / ${seconds(stats.lagMeanMs ?? 0)}`;
  return stats.gaveUp ? `${lag}, gave up ${stats.gaveUp}/${stats.trials}` : lag;
}

const callsCell = (stats: PolicyStats) => (stats.callsMin === stats.callsMax ? `${stats.callsMax}` : `${stats.callsMin}–${stats.callsMax}`);

export function waitingSection(rows: readonly WaitingRow[]): Section {
  const throttled = rows.filter((r) => r.scenario.throttles.length > 0);
  const longest = rows.reduce((a, b) => (b.poll.callsMax > a.poll.callsMax ? b : a));
  const waiterNames = [...new Set(rows.map((r) => `${r.scenario.kind.sdkWaiter.label} (${r.scenario.kind.sdkWaiter.minDelaySeconds}–${r.scenario.kind.sdkWaiter.maxDelaySeconds} s)`))];
  const cliNames = [...new Set(rows.map((r) => `${r.scenario.kind.cliWaiter.name} (${r.scenario.kind.cliWaiter.delaySeconds} s)`))];
  const steady = DEFAULT_POLL_SCHEDULE.steadyMs / 1000;
  return {
    title: 'Waiting: how late each waiter notices, and what it costs',
    intro: [
      `Lag = from the first moment a call could have seen the terminal status to the call that saw it: max / mean over ${TRIALS.length} trials (timeline shifted 0–${(TRIALS[TRIALS.length - 1].offsetMs / 1000).toFixed(1)} s; jitter seeds 1–${TRIALS.length}). Calls = API calls per wait, min–max.`,
    ],
    table: {
      headers: ['Scenario', 'poll() lag', 'calls', 'SDK v3 waiter lag', 'calls', 'CLI wait lag', 'calls'],
      rows: rows.map((r) => [r.scenario.title, lagCell(r.poll), callsCell(r.poll), lagCell(r.sdk), callsCell(r.sdk), lagCell(r.cli), callsCell(r.cli)]),
    },
    notes: [
      `poll(): the project's actions/lib/poll.ts with DEFAULT_POLL_SCHEDULE (1 s, 2 s, 4 s, then every ${steady} s; throttled: ${DEFAULT_POLL_SCHEDULE.throttleCapMs / 1000} s).`,
      `SDK v3 waiter: the SDK's own code on a virtual clock: ${waiterNames.join('; ')}.`,
      `CLI wait: botocore's fixed-delay waiter loop: ${cliNames.join('; ')}. It gives up on any error its acceptors do not name.`,
      ...throttled.map(
        (r) =>
          `${r.scenario.title}: calls refused during the burst: poll() ≤ ${r.poll.throttledCallsMax}, SDK waiter ≤ ${r.sdk.throttledCallsMax}, CLI wait ${r.cli.throttledCallsMax} (then it stops), a naive 2 s loop ≤ ${r.naive.throttledCallsMax}.`,
      ),
      `For scale, a naive 2 s loop notices within ${seconds(longest.naive.lagMaxMs ?? 0)} but makes ${callsCell(longest.naive)} calls on the ${longest.scenario.title.replace(/,.*$/, '')} (poll(): ${callsCell(longest.poll)}).`,
    ],
  };
}

export interface CutoverInput {
  /** The template's settings, or absent when the template is not there yet. */
  template?: TemplateCutoverSettings & { file: string };
  assumptions?: CutoverAssumptions;
}

const SETTING_ROWS: ReadonlyArray<[string, (s: CutoverSettings) => string, ReadonlyArray<keyof CutoverSettings>]> = [
  ['Health check interval / timeout', (s) => `${s.healthCheckIntervalSeconds} s / ${s.healthCheckTimeoutSeconds} s`, ['healthCheckIntervalSeconds', 'healthCheckTimeoutSeconds']],
  ['Healthy / unhealthy threshold', (s) => `${s.healthyThresholdCount} / ${s.unhealthyThresholdCount}`, ['healthyThresholdCount', 'unhealthyThresholdCount']],
  ['Deregistration delay', (s) => `${s.deregistrationDelaySeconds} s`, ['deregistrationDelaySeconds']],
  ['ASG health check, grace period', (s) => `${s.healthCheckType}, ${s.healthCheckGracePeriodSeconds} s`, ['healthCheckType', 'healthCheckGracePeriodSeconds']],
  ['Signal timeout (CreationPolicy)', (s) => formatClock(s.signalTimeoutSeconds), ['signalTimeoutSeconds']],
  ['Bootstrap wait before cfn-signal', (s) => `${s.signalDelaySeconds} s`, ['signalDelaySeconds']],
];

const TIMELINE_ROWS: ReadonlyArray<[string, (t: CutoverTimeline) => string]> = [
  ['Green registered in the target group', (t) => formatClock(t.registered)],
  ['Green app ready (local check passes)', (t) => formatClock(t.appReady)],
  ['cfn-signal sent', (t) => formatClock(t.signalled)],
  ['Green healthy in the target group', (t) => `${formatClock(t.greenHealthy)}${t.wentUnhealthy ? ` (unhealthy after ${t.failedChecks} failed checks)` : ''}`],
  ['Blue stops taking requests (old ASG deleted)', (t) => formatClock(t.blueLeaves)],
  ['No healthy target (the ALB fails open)', (t) => (t.gap > 0 ? `${t.gap} s` : 'none')],
  ['Blue drained and gone: UPDATE_COMPLETE', (t) => formatClock(t.complete)],
  ['Deploy job knows, poll() / SDK waiter', (t) => `${formatClock(t.noticedByPoll)} / ${formatClock(t.noticedBySdkWaiter)}`],
  ['Green never signals: rolled back by', (t) => formatClock(t.badAmiRolledBack)],
  ['ASG replaces still-booting instances', (t) => (t.asgReplacesBootingInstances ? 'yes: raise the grace period' : 'no')],
];

export function cutoverSection(input: CutoverInput): Section {
  const assumptions = input.assumptions ?? DEFAULT_ASSUMPTIONS;
  const { template } = input;
  // The bootstrap's wait is the template's design, not an AWS setting: both columns keep it, so the
  // defaults column shows what the same template would do with AWS's health-check defaults.
  const defaults: CutoverSettings = { ...AWS_DEFAULT_SETTINGS, signalDelaySeconds: template?.settings.signalDelaySeconds ?? 0 };
  const columns: Array<{ header: string; settings: CutoverSettings; note: (key: keyof CutoverSettings) => string | undefined }> = [
    ...(template
      ? [{ header: template.file, settings: template.settings, note: (k: keyof CutoverSettings) => (template.sources[k] === 'template' ? undefined : template.sources[k]) }]
      : []),
    { header: 'AWS defaults', settings: defaults, note: (k) => (template && k === 'signalDelaySeconds' ? 'as the template' : undefined) },
  ];
  const timelines = columns.map((c) => modelCutover(c.settings, assumptions));
  const withoutWindow = columns.map((c) => modelCutover(c.settings, { ...assumptions, monitoringMinutes: 0 }));
  const window = formatClock(assumptions.monitoringMinutes * 60);

  const annotate = (text: string, column: (typeof columns)[number], keys: ReadonlyArray<keyof CutoverSettings>) => {
    const notes = [...new Set(keys.flatMap((k) => column.note(k) ?? []))];
    return notes.length ? `${text} (${notes.join(', ')})` : text;
  };
  const rows = [
    ...SETTING_ROWS.map(([label, show, keys]) => [label, ...columns.map((c) => annotate(show(c.settings), c, keys))]),
    ['Rollback-trigger window (update-app-stack)', ...columns.map((_, i) => (i === 0 ? window : `${window} (as the action)`))],
    ...TIMELINE_ROWS.map(([label, show]) => [label, ...timelines.map(show)]),
  ];
  return {
    title: 'Cutover on AWS: the app template against AWS defaults',
    intro: [
      'Modeled blue/green replacement (AutoScalingReplacingUpdate, one target group); times are m:ss after ExecuteChangeSet.',
      ...(input.template ? [] : ['templates/app.yaml is not there yet: only the AWS defaults column is shown.']),
    ],
    table: { headers: ['Setting or milestone', ...columns.map((c) => c.header)], align: ['left', ...columns.map(() => 'left' as const)], rows },
    notes: [
      `Assumptions (not in the template): change set ${assumptions.changeSetSeconds} s; EC2 launch to InService ${assumptions.launchSeconds} s; boot + cfn-init + app start ${assumptions.bootSeconds} s (\`--boot-seconds\`); CloudFormation from signals to deleting the old ASG ${assumptions.cfnCleanupSeconds} s after the rollback-trigger window (update-app-stack's default, \`--monitoring-minutes\`); termination ${assumptions.terminateSeconds} s; waiter lag ≤ ${assumptions.pollLagSeconds} s for poll(), ≤ ${assumptions.sdkWaiterLagSeconds} s for the SDK waiter.`,
      'Health checks run every interval from registration. A new target needs one passing check (ELB user guide); one that failed `unhealthy threshold` checks while booting needs `healthy threshold` passes.',
      'green healthy = first check after app ready, + (healthy threshold − 1) × interval if it went unhealthy; blue leaves = app ready + bootstrap wait + rollback-trigger window + CloudFormation cleanup; UPDATE_COMPLETE = blue leaves + deregistration delay (worst case: keep-alive connections) + termination.',
      `Without the rollback-trigger window (\`rollback-monitoring-minutes: 0\`), blue leaves at ${formatClock(withoutWindow[0].blueLeaves)} and the time with no healthy target is ${columns.map((c, i) => `${withoutWindow[i].gap > 0 ? `${withoutWindow[i].gap} s` : 'none'} (${c.header})`).join(', ')}.`,
      'Green never signals = change set + signal timeout + termination. A bootstrap that signals failure (the one in templates/app.yaml does after 60 s of failed local checks) ends it sooner.',
    ],
  };
}

/** The whole report: each section's title, intro, table and notes, as text or as markdown. */
export function renderReport(sections: readonly Section[], options: { markdown: boolean }): string {
  return sections
    .map((section) =>
      options.markdown
        ? [`### ${section.title}`, '', ...section.intro.flatMap((p) => [p, '']), renderMarkdownTable(section.table), '', ...section.notes.map((n) => `- ${n}`)].join('\n')
        : [section.title, '='.repeat(section.title.length), ...section.intro, '', renderTextTable(section.table), '', ...section.notes.map((n) => `* ${n}`)].join('\n'),
    )
    .join('\n\n');
}
