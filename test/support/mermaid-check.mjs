/**
 * Checks Mermaid blocks with Mermaid's own parser, at the versions GitHub is known to have run:
 * 11.12.0 (what github.com reported through a ```mermaid info``` block in late 2025) and 10.9 (the
 * major before it, still used by other renderers a reviewer may read the same Markdown in).
 *
 * Reads a JSON array `[{ source, text }]` on stdin, prints `{ failures, subgraphs }`: failures as
 * `[{ source, version, error }]` for each block that fails in some version (empty when all pass),
 * and each flowchart's subgraphs with the nodes Mermaid 11 put in them. A block fails when Mermaid
 * cannot parse it or, for a gantt chart, when its time axis cannot be drawn: a task whose dates
 * did not parse, ticks that all read the same (the symptom of `dateFormat X` in Mermaid 11, whose
 * start dates parse as milliseconds: every bar spans from 1970 and every tick is 00:00:00), two
 * neighbouring ticks with one label, or more ticks than anyone can read.
 * The axis is computed as Mermaid's gantt renderer computes it (d3 scaleTime over the tasks'
 * extent, the chart's tickInterval or else axisBottom's default ten ticks, formatted with the chart's axisFormat), so no browser
 * is needed.
 *
 * It is a plain ESM script run with `node` because Mermaid is ESM-only and the test runner loads
 * CommonJS; Mermaid's sanitiser (DOMPurify) needs a DOM, which jsdom provides.
 */
import { scaleTime } from 'd3-scale';
import { timeDay, timeHour, timeMillisecond, timeMinute, timeMonth, timeSecond, timeWeek } from 'd3-time';
import { timeFormat } from 'd3-time-format';
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('');
globalThis.window = window;
globalThis.document = window.document;

const VERSIONS = [
  { name: '11', module: 'mermaid' },
  { name: '10', module: 'mermaid10' },
];

const MAX_TICKS = 1_000;
const UNIT_MS = { millisecond: 1, second: 1e3, minute: 6e4, hour: 36e5, day: 864e5, week: 6048e5, month: 2592e6 };
const INTERVALS = { millisecond: timeMillisecond, second: timeSecond, minute: timeMinute, hour: timeHour, day: timeDay, week: timeWeek, month: timeMonth };

/** The ticks Mermaid's gantt renderer draws: the chart's tickInterval if it has one, else d3's default ten. */
function ganttTicks(db, start, end) {
  const scale = scaleTime().domain([new Date(start), new Date(end)]);
  const interval = /^([1-9]\d*)(millisecond|second|minute|hour|day|week|month)$/.exec(db.getTickInterval?.() ?? '');
  if (!interval) return scale.ticks(10);
  // Mermaid 11.12's renderer draws every tick asked for; past this many a browser tab stalls.
  const count = (end - start) / (Number(interval[1]) * UNIT_MS[interval[2]]);
  if (count > MAX_TICKS) return { tooMany: Math.round(count) };
  return scale.ticks(INTERVALS[interval[2]].every(Number(interval[1])));
}

/** Why a gantt chart's axis cannot be drawn or read, or undefined when it can. */
function ganttAxisProblem(db) {
  const tasks = db.getTasks();
  if (tasks.length === 0) return undefined;
  const bad = tasks.find((t) => !(t.startTime instanceof Date) || !(t.endTime instanceof Date) || Number.isNaN(t.startTime.getTime()) || Number.isNaN(t.endTime.getTime()));
  if (bad) return `gantt task "${bad.task}" has a date Mermaid could not parse (dateFormat ${db.getDateFormat()})`;
  const start = Math.min(...tasks.map((t) => t.startTime.getTime()));
  const end = Math.max(...tasks.map((t) => t.endTime.getTime()));
  const format = timeFormat(db.getAxisFormat() || '%Y-%m-%d');
  const ticks = ganttTicks(db, start, end);
  const axis = `tasks span ${new Date(start).toISOString()} to ${new Date(end).toISOString()}; dateFormat ${db.getDateFormat()}, axisFormat ${db.getAxisFormat()}, tickInterval ${db.getTickInterval?.() || 'none'}`;
  if (!Array.isArray(ticks)) return `gantt axis would draw ${ticks.tooMany} ticks (${axis})`;
  const labels = ticks.map((d) => format(d));
  if (labels.length > 1 && new Set(labels).size === 1) return `gantt axis cannot be drawn: every tick reads "${labels[0]}" (${axis})`;
  // Ticks finer than the labels show (half-seconds under %H:%M:%S) repeat a label: unreadable.
  const repeated = labels.find((label, i) => i > 0 && label === labels[i - 1]);
  if (repeated !== undefined) return `gantt axis repeats the tick label "${repeated}" (${axis})`;
  if (labels.length > 30) return `gantt axis has ${labels.length} ticks, too many to read (${axis})`;
  return undefined;
}

/** A flowchart's subgraphs with the node ids Mermaid placed in each (a node named inside a subgraph's body moves there). */
function subgraphsOf(diagram) {
  if (!diagram.type.startsWith('flowchart') || !diagram.db.getSubGraphs) return [];
  return diagram.db.getSubGraphs().map((s) => ({ id: s.id, title: s.title, nodes: [...s.nodes] }));
}

async function check(mermaid, text) {
  try {
    await mermaid.parse(text);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    return { error: diagram.type === 'gantt' ? ganttAxisProblem(diagram.db) : undefined, subgraphs: subgraphsOf(diagram) };
  } catch (error) {
    return { error: `parse error: ${String(error?.message ?? error).split('\n').slice(0, 4).join(' ')}`, subgraphs: [] };
  }
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const blocks = JSON.parse(input);
const failures = [];
const subgraphs = [];
for (const version of VERSIONS) {
  const { default: mermaid } = await import(version.module);
  mermaid.initialize({ startOnLoad: false });
  for (const block of blocks) {
    const result = await check(mermaid, block.text);
    if (result.error) failures.push({ source: block.source, version: version.name, error: result.error });
    if (version === VERSIONS[0]) subgraphs.push(...result.subgraphs.map((s) => ({ source: block.source, ...s })));
  }
}
process.stdout.write(JSON.stringify({ failures, subgraphs }));
