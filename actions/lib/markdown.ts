/**
 * Markdown for job summaries and PR bodies. Values come from AWS (package names, reasons) and end
 * up in a PR body, so table cells are escaped: a `|` would break the table, and `<`/`>` would be
 * read as HTML by GitHub.
 */
export function markdownTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const line = (cells: ReadonlyArray<string | number>) => `| ${cells.map((c) => escapeCell(String(c))).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * A two-column key/value table. The header names the columns: an empty header row renders as a
 * blank, bordered stripe above the table on GitHub.
 */
export function keyValueTable(entries: ReadonlyArray<readonly [string, string | undefined]>, headers: readonly [string, string] = ['Field', 'Value']): string {
  return markdownTable(
    headers,
    entries.filter((e): e is readonly [string, string] => e[1] !== undefined && e[1] !== ''),
  );
}

/** Wraps `body` in a collapsed `<details>` block; GitHub needs the blank lines to render markdown inside. */
export function collapsed(summary: string, body: string): string {
  return `<details><summary>${escapeHtml(summary)}</summary>\n\n${body}\n\n</details>`;
}

/**
 * Text from outside (a failback's reason) inside a sentence: shown as typed, never as Markdown or
 * HTML, so it cannot bold, link or hide text, nor end the bold lead it sits in.
 */
export function inlineText(value: string): string {
  return escapeMarks(escapeHtml(value.replace(/\r?\n/g, ' '))).replace(/\|/g, '\\|');
}

/**
 * Text from outside (a failback's reason, a commit subject) in a `markdownTable` cell: shown as
 * typed. The table escapes the cell's HTML, pipes and line breaks itself, so only the Markdown
 * marks are escaped here (inlineText's output would have them escaped twice and show `&lt;`).
 */
export function typedCell(value: string): string {
  return escapeMarks(value);
}

/** Markdown's inline marks backslash-escaped, so they show as typed instead of formatting. */
function escapeMarks(value: string): string {
  return value.replace(/[\\`*_[\]#~]/g, (c) => `\\${c}`);
}

/**
 * `value` as one inline code span, whatever backticks it holds: CommonMark ends a span at a
 * backtick run as long as its opening one, so the fence is one longer than the longest run inside,
 * padded with a space when the value starts or ends with a backtick. Empty stays empty.
 */
export function codeSpan(value: string): string {
  if (!value) return '';
  const longest = Math.max(0, ...[...value.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${value}${pad}${fence}`;
}

/**
 * AMI IDs in running text as code spans, as in the tables below it: they do not wrap mid-ID and a
 * reader can copy them whole. Only bare IDs: one already in a code span or a link is left alone.
 */
export function codeAmiIds(text: string): string {
  // Code spans (a command that names an AMI, `-f target-ami=ami-…`) are kept whole; only the text between them is looked at.
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/(^|[^`\w[/-])(ami-[0-9a-f]{8,17})(?![\w`])/g, (_m, before: string, id: string) => `${before}\`${id}\``)))
    .join('');
}

/**
 * A message's first sentence, for a summary's lead (the whole message stands below it). A long one
 * is cut and says so.
 */
export function firstSentence(text: string, maxChars = 200): string {
  const end = text.search(/\.(\s|$)/);
  const sentence = end > 0 ? text.slice(0, end + 1) : text;
  return sentence.length <= maxChars ? sentence : `${sentence.slice(0, maxChars - 1)}… (all of it below).`;
}

function escapeCell(value: string): string {
  return escapeHtml(value).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * How a sentence shows what it quotes, so one function writes it for every place it is shown:
 * plain in a log line, an annotation or a notification (they show Markdown raw); in a summary or
 * PR body, IDs and commands as code spans (read and copied whole) and text from outside as typed
 * (the AMI IDs in it as code spans too), by the helper for where it sits: a sentence or a table cell.
 */
export interface Quoting {
  /** An AMI ID, an ARN, a file or another identifier. */
  id(value: string): string;
  /** A command to copy. */
  command(value: string): string;
  /** Text from outside (a person's reason, a commit subject). */
  typed(value: string): string;
}

export const AS_TEXT: Quoting = { id: (v) => v, command: (v) => v, typed: (v) => v };
export const IN_SENTENCE: Quoting = { id: codeSpan, command: codeSpan, typed: (v) => codeAmiIds(inlineText(v)) };
export const IN_CELL: Quoting = { id: codeSpan, command: codeSpan, typed: (v) => codeAmiIds(typedCell(v)) };
