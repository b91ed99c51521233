/**
 * The render check's TypeScript side: pulls the ```mermaid blocks out of Markdown (job summaries,
 * PR bodies, docs) and has test/support/mermaid-check.mjs check them with Mermaid's own parser in
 * a child process (Mermaid is ESM-only; jest here loads CommonJS).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface MermaidBlock {
  /** Where the block came from, for the failure message ("update-app-stack summary", a file name). */
  source: string;
  text: string;
}

export interface MermaidFailure {
  source: string;
  /** Mermaid's major version the block failed in. */
  version: string;
  error: string;
}

/** Every fenced ```mermaid block in `markdown`, in order, each named `source` (and its index when there are several). */
export function mermaidBlocks(markdown: string, source: string): MermaidBlock[] {
  const texts = [...markdown.matchAll(/^```mermaid[ \t]*\r?\n([\s\S]*?)^```[ \t]*$/gm)].map((m) => m[1]);
  return texts.map((text, i) => ({ source: texts.length > 1 ? `${source} #${i + 1}` : source, text }));
}

/** A flowchart subgraph and the node ids Mermaid 11 drew inside it. */
export interface MermaidSubgraph {
  source: string;
  id: string;
  title: string;
  nodes: string[];
}

export interface MermaidCheck {
  /** Empty when every block parses and draws in Mermaid 11 and 10. */
  failures: MermaidFailure[];
  subgraphs: MermaidSubgraph[];
}

/** Checks the blocks in Mermaid 11 and 10 with Mermaid's own parser (test/support/mermaid-check.mjs). */
export function checkMermaid(blocks: readonly MermaidBlock[]): MermaidCheck {
  if (blocks.length === 0) return { failures: [], subgraphs: [] };
  const result = spawnSync(process.execPath, [join(__dirname, 'mermaid-check.mjs')], { input: JSON.stringify(blocks), encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`mermaid-check.mjs exited ${result.status ?? result.signal}: ${result.stderr.slice(-2000)}`);
  return JSON.parse(result.stdout) as MermaidCheck;
}
