/**
 * What a job summary or PR body says first. Every one opens with a heading and, under it, a
 * sentence that answers what changed (old → new AMI), whether it is safe and whether it worked;
 * tables, lists and collapsed details come after that sentence, never instead of it.
 */

export interface Lead {
  /** The heading's text, without its `#`s (the last of the opening headings: a PR title's `#` line may stand above it). */
  heading: string;
  /** The first paragraph under the heading, as written (Markdown). */
  lead: string;
}

/** The opening heading and the block under it. */
export function leadOf(markdown: string): Lead {
  // HTML comments (a sticky comment's markers) are not shown: they neither lead nor end a block.
  const shown = markdown.replace(/^<!--.*-->[ \t]*$/gm, '');
  const blocks = shown.trim().split(/\r?\n\s*\r?\n/).map((b) => b.trim()).filter(Boolean);
  let index = 0;
  let heading = '';
  while (index < blocks.length && /^#{1,6} /.test(blocks[index]) && !blocks[index].includes('\n')) heading = blocks[index++].replace(/^#+ /, '');
  return { heading, lead: blocks[index] ?? '' };
}

/** Why `markdown` does not lead with a sentence under a heading, or undefined when it does. */
export function leadProblem(markdown: string): string | undefined {
  const { heading, lead } = leadOf(markdown);
  if (!heading) return `does not open with a heading: "${markdown.trim().split('\n')[0]}"`;
  if (!lead) return `has nothing under its heading "${heading}"`;
  const opener: [RegExp, string][] = [
    [/^\|/, 'a table'],
    [/^([-*+]|\d+\.) /, 'a list'],
    [/^>/, 'a quote'],
    [/^```/, 'a code block'],
    [/^<details/i, 'collapsed details'],
    [/^<sub>/i, 'small print'],
    [/^#/, 'another heading'],
  ];
  const what = opener.find(([pattern]) => pattern.test(lead));
  if (what) return `opens with ${what[1]}, not a sentence, under "${heading}": "${lead.split('\n')[0]}"`;
  if (!/[A-Za-z]{2,}/.test(lead.replace(/`[^`]*`/g, ''))) return `its first paragraph under "${heading}" is not a sentence: "${lead}"`;
  return undefined;
}
