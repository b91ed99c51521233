/**
 * docs/reliability.md lists exactly the cases the reliability catalogues run (issue 6, "the doc's
 * table matches the tests"): its two tables are parsed and compared, row by row and cell by cell,
 * with the catalogues the test suites iterate (test/unit/reliability/catalogue.ts). Each suite in
 * turn checks that it implements exactly its rows, so doc, catalogue and tests cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  BAD_INPUT_COLUMNS,
  BAD_INPUTS,
  badInputCells,
  FAULT_COLUMNS,
  faultCells,
  FAULTS,
  renderCatalogueTable,
} from '../unit/reliability/catalogue';

const DOC = 'docs/reliability.md';
const text = readFileSync(join(__dirname, '../..', DOC), 'utf8');

/** The body of the `## <title>` section, up to the next `## ` heading. */
function section(title: string): string {
  const start = text.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`${DOC} has no "## ${title}" section`);
  const rest = text.slice(start + title.length + 5);
  const end = rest.search(/\n## /);
  return end < 0 ? rest : rest.slice(0, end);
}

/** Cells of a markdown table row; `\|` is a pipe inside a cell. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** The first table of a section: header and rows, as cells. */
function firstTable(body: string): { header: string[]; rows: string[][] } {
  const lines = body.split('\n');
  const first = lines.findIndex((l) => l.trim().startsWith('|'));
  if (first < 0) return { header: [], rows: [] };
  const end = lines.findIndex((l, i) => i > first && !l.trim().startsWith('|'));
  const table = lines.slice(first, end < 0 ? undefined : end);
  return { header: cells(table[0]), rows: table.slice(2).map(cells) };
}

describe(`${DOC} matches the reliability catalogues`, () => {
  it.each([
    { title: 'Bad inputs', columns: BAD_INPUT_COLUMNS, rows: BAD_INPUTS.map(badInputCells) },
    { title: 'Faults', columns: FAULT_COLUMNS, rows: FAULTS.map(faultCells) },
  ])('"$title" has one row per case, cell for cell', ({ title, columns, rows }) => {
    const table = firstTable(section(title));
    const hint = `\nThe table ${DOC} should hold under "## ${title}":\n\n${renderCatalogueTable(columns, rows)}\n`;
    expect({ header: table.header, hint: '' }).toEqual({ header: [...columns], hint: table.header.join() === columns.join() ? '' : hint });
    // Row by row, so a failure names the case that differs.
    expect(table.rows.map((r) => r[0])).toEqual(rows.map((r) => r[0]));
    for (const [i, row] of rows.entries()) expect({ case: row[0], cells: table.rows[i] }).toEqual({ case: row[0], cells: row });
  });

  it('names every known gap, by id, under "Known gaps"', () => {
    const gaps = FAULTS.filter((f) => f.invariant.startsWith('known gap'));
    const body = section('Known gaps');
    for (const gap of gaps) expect({ gap: gap.id, listed: body.includes(`**${gap.id}**`) }).toEqual({ gap: gap.id, listed: true });
  });

  it('keeps the counts issue 6 asks for', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(25);
    expect(FAULTS.length).toBeGreaterThanOrEqual(12);
    expect(new Set([...BAD_INPUTS, ...FAULTS].map((c) => c.id)).size).toBe(BAD_INPUTS.length + FAULTS.length);
  });
});
