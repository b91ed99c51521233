/**
 * The render check: every Mermaid chart the actions write (from their own builders, with inputs
 * shaped like a real AWS update and like moto's) and every chart in the repository's Markdown is
 * checked with Mermaid's own parser at 11.12 and 10.9: it must parse, and a gantt chart's time
 * axis must be drawable and readable (test/support/mermaid-check.mjs says how). Then the same
 * Markdown is rendered as GitHub renders it (cmark-gfm, GitHub's styles) and every chart drawn by
 * both Mermaids in headless Chromium, in one page, with charts broken on purpose beside them
 * (test/support/browser-render.ts). The local cycle's saved summaries and PR bodies go through
 * both checks in test/integration/cycle.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { renderChangesMarkdown } from '../../actions/lib/cloudformation/change-set-markdown';
import type { StackEventRecord } from '../../actions/lib/cloudformation/stack-events';
import { createUpdateReport } from '../../actions/lib/cloudformation/update-app-stack';
import { renderEventGantt, renderUpdateSummary } from '../../actions/lib/cloudformation/update-summary';
import type { Sample } from '../../actions/lib/verify/sampler';
import { mergePreviewSection } from '../../actions/lib/gitops/preview-comment';
import { renderAmiTimeline } from '../../actions/lib/verify/timeline';
import { REPO_ROOT } from '../../local/env';
import { renderInChromium, type RenderDocument } from '../support/browser-render';
import { checkMermaid, mermaidBlocks, type MermaidBlock } from '../support/mermaid';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const STACK = 'patch-dev-app';
const OLD_AMI = 'ami-0aaaaaaaaaaaaaaa1';
const NEW_AMI = 'ami-0bbbbbbbbbbbbbbb2';

const stackEvent = (seconds: number, logicalId: string, resourceType: string, status: string, reason?: string): StackEventRecord => ({
  id: `${logicalId}-${seconds}-${status}`,
  timestamp: new Date(T0 + seconds * 1000),
  logicalId,
  resourceType,
  status,
  reason,
  isStack: resourceType === 'AWS::CloudFormation::Stack',
});

/** A blue/green replacement on AWS: 9 minutes, a new ASG, the old one deleted in cleanup. */
const awsReplacement = [
  stackEvent(0, STACK, 'AWS::CloudFormation::Stack', 'UPDATE_IN_PROGRESS', 'User Initiated'),
  stackEvent(4, 'AppLaunchTemplate', 'AWS::EC2::LaunchTemplate', 'UPDATE_IN_PROGRESS'),
  stackEvent(6, 'AppLaunchTemplate', 'AWS::EC2::LaunchTemplate', 'UPDATE_COMPLETE'),
  stackEvent(9, 'AppAutoScalingGroup', 'AWS::AutoScaling::AutoScalingGroup', 'UPDATE_IN_PROGRESS', 'Requested update requires the creation of a new physical resource'),
  stackEvent(281, 'AppAutoScalingGroup', 'AWS::AutoScaling::AutoScalingGroup', 'UPDATE_COMPLETE'),
  stackEvent(285, STACK, 'AWS::CloudFormation::Stack', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'),
  stackEvent(540, STACK, 'AWS::CloudFormation::Stack', 'UPDATE_COMPLETE'),
];
/** The same on moto: stack events only, all in the same second. */
const motoUpdate = [stackEvent(0, STACK, 'AWS::CloudFormation::Stack', 'UPDATE_IN_PROGRESS', 'User Initiated'), stackEvent(0, STACK, 'AWS::CloudFormation::Stack', 'UPDATE_COMPLETE')];
/** A failed update that waited out an hour's signal timeout. */
const signalTimeout = [
  stackEvent(0, STACK, 'AWS::CloudFormation::Stack', 'UPDATE_IN_PROGRESS', 'User Initiated'),
  stackEvent(5, 'AppAutoScalingGroup', 'AWS::AutoScaling::AutoScalingGroup', 'UPDATE_IN_PROGRESS'),
  stackEvent(3605, 'AppAutoScalingGroup', 'AWS::AutoScaling::AutoScalingGroup', 'UPDATE_FAILED', 'Received 0 SUCCESS signal(s) out of 2 | timeout'),
  stackEvent(3900, STACK, 'AWS::CloudFormation::Stack', 'UPDATE_ROLLBACK_COMPLETE'),
];

/** One sample per second: b = old AMI, g = expected AMI, x = error. */
function samples(pattern: string): Sample[] {
  return [...pattern].map((c, i) =>
    c === 'x' ? { at: T0 + i * 1000, latencyMs: 3, status: 503, error: 'HTTP 503' } : { at: T0 + i * 1000, latencyMs: 9, status: 200, amiId: c === 'g' ? NEW_AMI : OLD_AMI },
  );
}

function updateSummary(events: StackEventRecord[]): string {
  const report = createUpdateReport(
    { stackName: STACK, region: 'us-east-1', parametersFile: 'parameters/dev.json', templateFile: 'templates/app.yaml', mode: 'deploy', timeoutMinutes: 60, rollbackMonitoringMinutes: 5, run: {} },
    T0,
  );
  return renderUpdateSummary({ ...report, outcome: 'updated', changed: true, previousAmiId: OLD_AMI, amiId: NEW_AMI, events, finishedAt: T0 + 540_000 });
}

/** The pull request's preview comment as pr-checks.yml leaves it after dev's and prod's previews (AWS-shaped change sets). */
function previewComment(): string {
  const amiChange = [{ key: 'AmazonMachineImage', previous: OLD_AMI, next: NEW_AMI }];
  const changes = renderChangesMarkdown(
    [
      { ResourceChange: { Action: 'Modify', LogicalResourceId: 'AppLaunchTemplate', ResourceType: 'AWS::EC2::LaunchTemplate', Replacement: 'False', Scope: ['Properties'] } },
      { ResourceChange: { Action: 'Modify', LogicalResourceId: 'AppAutoScalingGroup', ResourceType: 'AWS::AutoScaling::AutoScalingGroup', Replacement: 'True', Scope: ['Properties'] } },
    ],
    amiChange,
  );
  const dev = mergePreviewSection(undefined, 'dev', `### \`dev\`\n\n${changes}`, ['dev', 'prod']);
  return mergePreviewSection(dev, 'prod', `### \`prod\`\n\n${changes}`, ['dev', 'prod']);
}

function actionCharts(): MermaidBlock[] {
  return [
    ...mermaidBlocks(updateSummary(awsReplacement), 'update-app-stack summary, AWS replacement'),
    ...mermaidBlocks(updateSummary(motoUpdate), 'update-app-stack summary, moto update'),
    ...mermaidBlocks(updateSummary(signalTimeout), 'update-app-stack summary, signal timeout'),
    { source: 'verify-alb, one sample', text: bodyOf(renderAmiTimeline(samples('g'), NEW_AMI)) },
    { source: 'verify-alb, 5 s cutover', text: bodyOf(renderAmiTimeline(samples('bbxgg'), NEW_AMI)) },
    { source: 'verify-alb, 60 s watch', text: bodyOf(renderAmiTimeline(samples('g'.repeat(60)), NEW_AMI)) },
    { source: 'verify-alb, interleaved cutover', text: bodyOf(renderAmiTimeline(samples('bg'.repeat(90)), NEW_AMI)) },
    { source: 'verify-alb, all errors', text: bodyOf(renderAmiTimeline(samples('x'.repeat(30)), NEW_AMI)) },
    { source: 'verify-alb, an hour with one error', text: bodyOf(renderAmiTimeline(samples(`${'g'.repeat(1800)}x${'g'.repeat(1799)}`), NEW_AMI)) },
  ];
}

function bodyOf(chart: string | undefined): string {
  const [block] = mermaidBlocks(chart ?? '', 'chart');
  if (!block) throw new Error(`not a mermaid block: ${chart}`);
  return block.text;
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f));
  const actions = readdirSync(join(REPO_ROOT, 'actions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && readdirSync(join(REPO_ROOT, 'actions', entry.name)).includes('README.md'))
    .map((entry) => join('actions', entry.name, 'README.md'));
  return ['README.md', ...docs, ...actions];
}

describe('render check (Mermaid 11.12 and 10.9)', () => {
  it('every chart the actions write parses and has a readable time axis', () => {
    const blocks = actionCharts();
    expect(blocks.length).toBeGreaterThanOrEqual(9);
    expect(checkMermaid(blocks).failures).toEqual([]);
  });

  it("every chart in the repository's Markdown parses", () => {
    const blocks = markdownFiles().flatMap((file) => mermaidBlocks(readFileSync(join(REPO_ROOT, file), 'utf8'), file));
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(checkMermaid(blocks).failures).toEqual([]);
  });

  it("docs/workflows.md draws drift.yml and failback.yml outside deploy-environment.yml's box", () => {
    const [flow] = mermaidBlocks(readFileSync(join(REPO_ROOT, 'docs/workflows.md'), 'utf8'), 'docs/workflows.md');
    const box = checkMermaid([flow]).subgraphs.find((s) => s.title.startsWith('deploy-environment.yml'));
    expect(box?.nodes).toEqual(expect.arrayContaining(['E0', 'E4']));
    expect(box?.nodes).not.toContain('DR');
    expect(box?.nodes).not.toContain('F1');
  });

  it.each([
    ['dateFormat X (seconds), which Mermaid 11 reads as milliseconds', 'gantt\n  dateFormat X\n  axisFormat %H:%M:%S\n  section R\n  a :t0, 1767261600, 1767261900\n', /11.*every tick reads "00:00:00"/],
    ['half-second ticks under a seconds format', 'gantt\n  dateFormat x\n  axisFormat %H:%M:%S\n  section R\n  a :1767261600000, 3s\n', /repeats the tick label/],
    ['a syntax error', 'flowchart LR\n  A[open --> B\n', /parse error/],
  ])('fails a chart with %s', (_name, text, message) => {
    const { failures } = checkMermaid([{ source: 'broken', text }]);
    expect(failures.map((f) => `${f.version}: ${f.error}`).join('\n')).toMatch(message);
  });

  it('failed the stack-events chart as it was drawn before (dateFormat X)', () => {
    const old = renderEventGantt(awsReplacement)!
      .replace(/dateFormat x\n.*\n.*tickInterval.*\n/, 'dateFormat X\n    axisFormat %H:%M:%S\n')
      .replace(/(\d{13})/g, (ms) => String(Math.floor(Number(ms) / 1000)));
    expect(old).toContain('    dateFormat X\n    axisFormat %H:%M:%S\n    section Resources\n');
    expect(checkMermaid(mermaidBlocks(old, 'old gantt')).failures.map((f) => f.version)).toContain('11');
  });
});

/** Charts that must fail in the browser, each for its own reason (what the parser-based check cannot see is the drawing). */
const BROKEN: [string, string, RegExp][] = [
  ['dateFormat X (seconds), which Mermaid 11 reads as milliseconds', 'gantt\n  dateFormat X\n  axisFormat %H:%M:%S\n  section R\n  a :t0, 1767261600, 1767261900\n', /^11: gantt axis cannot be drawn: all \d+ ticks read "00:00:00"$/],
  ['a task that starts and ends at once (a zero-width bar)', 'gantt\n  dateFormat x\n  axisFormat %H:%M:%S\n  section R\n  a :t0, 1767261600000, 1767261660000\n  b :t1, 1767261600000, 1767261600000\n', /^11: gantt draws 1 of 2 bar\(s\) with zero width/],
  ['a syntax error', 'flowchart LR\n  A[open --> B\n', /^11: parse error: /],
];

describe('render check in Chromium (GitHub-flavoured Markdown, Mermaid 11.12 and 10.9)', () => {
  it("draws every chart the actions write and every chart in the repository's Markdown, and fails the broken ones", async () => {
    const documents: RenderDocument[] = [
      ...actionCharts().map((b) => ({ source: b.source, markdown: `\`\`\`mermaid\n${b.text}\`\`\`\n` })),
      { source: 'update-app-stack summary, AWS replacement (whole)', markdown: updateSummary(awsReplacement), leadsWithAnswer: true },
      { source: 'the PR preview comment (dev and prod)', markdown: previewComment(), leadsWithAnswer: true },
      ...markdownFiles().map((file) => ({ source: file, markdown: readFileSync(join(REPO_ROOT, file), 'utf8') })),
      ...BROKEN.map(([name, text]) => ({ source: `broken: ${name}`, markdown: `\`\`\`mermaid\n${text}\`\`\`\n` })),
      { source: 'broken: a summary that opens with a table', markdown: '## Something\n\n| | |\n|---|---|\n| a | b |\n', leadsWithAnswer: true },
      { source: 'broken: AMI IDs bare, in a heading, and wrapped', markdown: `## Deployed \`${NEW_AMI}\`\n\nDeployed ${NEW_AMI} to dev.\n\n| Field | Value |\n|---|---|\n| ${'A long key '.repeat(12)} | \`${OLD_AMI}\` |\n`, leadsWithAnswer: true },
    ];
    const { failures, charts, wraps } = await renderInChromium(documents);

    expect(charts).toBeGreaterThanOrEqual(2 * (actionCharts().length + BROKEN.length + 3));
    expect(failures.filter((f) => !f.source.startsWith('broken: '))).toEqual([]);
    for (const [name, , message] of BROKEN) {
      const own = failures.filter((f) => f.source === `broken: ${name}`).map((f) => `${f.version}: ${f.error}`);
      expect(own.find((f) => message.test(f)) ?? own).toMatch(message);
    }
    expect(failures.filter((f) => f.source === 'broken: AMI IDs bare, in a heading, and wrapped').map((f) => f.error.replace(/ \(in <td>.*/, ''))).toEqual([
      `${NEW_AMI} sits in a heading ("Deployed ${NEW_AMI}"): say it in the sentence under the heading`,
    ]);
    // A wrap in a table cell is measured and reported, not failed (where a line ends is GitHub's fonts' call).
    // So is a bare ID: summaries quote AWS's and verification's reasons, which carry IDs as plain text.
    expect(wraps).toEqual([
      `broken: AMI IDs bare, in a heading, and wrapped: ${NEW_AMI} is bare text, not a code span (in <p>: "Deployed ${NEW_AMI} to dev.")`,
      expect.stringMatching(new RegExp(`^broken: AMI IDs bare, in a heading, and wrapped: ${OLD_AMI} wraps across 2 lines \\(in <td>`)),
    ]);
    expect(failures.filter((f) => f.source === 'broken: a summary that opens with a table').map((f) => f.error)).toEqual([
      "a table's header row is empty (first row: a | b)",
      'opens with <table> under its heading, not a sentence',
    ]);
  });
});
