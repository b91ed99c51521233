/** Tables as aligned plain text (for a terminal) or as GitHub markdown (for docs and summaries). */

export type Align = 'left' | 'right';

export interface Table {
  headers: readonly string[];
  /** Column alignment; defaults to left for the first column and right for the others. */
  align?: readonly Align[];
  rows: ReadonlyArray<readonly string[]>;
}

const alignOf = (table: Table, column: number): Align => table.align?.[column] ?? (column === 0 ? 'left' : 'right');

/** Markdown: one row per line, alignment in the separator row, pipes in cells escaped. */
export function renderMarkdownTable(table: Table): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = table.headers.map((_, i) => (alignOf(table, i) === 'right' ? '---:' : '---'));
  return [line(table.headers), `|${rule.join('|')}|`, ...table.rows.map(line)].join('\n');
}

/** Plain text: columns padded to their widest cell, two spaces apart, a rule under the headers. */
export function renderTextTable(table: Table): string {
  const widths = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (alignOf(table, i) === 'right' ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(table.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n');
}
