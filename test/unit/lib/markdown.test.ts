import { codeAmiIds, firstSentence, inlineText, keyValueTable, markdownTable, typedCell } from '../../../actions/lib/markdown';
import { leadOf, leadProblem } from '../../support/summary-lead';

describe('markdown helpers for the lead sentence', () => {
  it('puts bare AMI IDs in code spans, and leaves those already in a code span or a link alone', () => {
    expect(codeAmiIds('Deployed ami-0123456789abcdef0 to dev; `ami-0fedcba9876543210` stays.')).toBe('Deployed `ami-0123456789abcdef0` to dev; `ami-0fedcba9876543210` stays.');
    expect(codeAmiIds('[ami-0123456789abcdef0](https://x/ami-0123456789abcdef0)')).toBe('[ami-0123456789abcdef0](https://x/ami-0123456789abcdef0)');
    expect(codeAmiIds('not-ami-0123456789abcdef0 nor ami-0123456789abcdef0x')).toBe('not-ami-0123456789abcdef0 nor ami-0123456789abcdef0x');
  });

  it('shows outside text as typed inside a bold sentence', () => {
    expect(inlineText('**x** <b>[a](b)</b> `c`\nd')).toBe('\\*\\*x\\*\\* &lt;b&gt;\\[a\\](b)&lt;/b&gt; \\`c\\` d');
  });

  it('shows outside text as typed in a table cell, escaped once: the table escapes HTML and pipes, typedCell the marks', () => {
    expect(markdownTable(['Field', 'Value'], [['Reason', typedCell('**x** <b> a|b & `c`')]]).split('\n')[2]).toBe('| Reason | \\*\\*x\\*\\* &lt;b&gt; a\\|b &amp; \\`c\\` |');
  });

  it("cuts a message to its first sentence, and says so when that is too long", () => {
    expect(firstSentence('Parameters file invalid for parameters/dev.json: line 5. Use one of them.')).toBe('Parameters file invalid for parameters/dev.json: line 5.');
    expect(firstSentence('no full stop')).toBe('no full stop');
    expect(firstSentence(`${'y'.repeat(30)}.`, 20)).toBe(`${'y'.repeat(19)}… (all of it below).`);
  });
});

describe('leadOf / leadProblem (the check every summary and PR body goes through)', () => {
  const table = keyValueTable([['AMI', '`ami-1`']]);
  it('accepts a heading with a sentence under it, after a PR title', () => {
    expect(leadOf('# Bump x\n\n## Patch `dev`\n\n**Merging deploys `ami-1`.**\n\n' + table)).toEqual({ heading: 'Patch `dev`', lead: '**Merging deploys `ami-1`.**' });
    expect(leadProblem('## Patch\n\nMerging deploys `ami-1`.\n\n' + table)).toBeUndefined();
  });

  it.each([
    ['a table', `## Failback requested\n\n${table}`, /opens with a table, not a sentence, under "Failback requested"/],
    ['a list', '## AMI retirement\n\n- skipped ami-1: younger than 30 days', /opens with a list/],
    ['a quote', '## Promote\n\n> The soak was overridden', /opens with a quote/],
    ['collapsed details', '## X\n\n<details><summary>Run</summary>\n\nx\n\n</details>', /opens with collapsed details/],
    ['no heading', '| a | b |\n|---|---|', /does not open with a heading/],
    ['IDs alone', '## X\n\n`ami-1` → `ami-2`', /is not a sentence/],
  ])('refuses an opening with %s', (_what, markdown, problem) => {
    expect(leadProblem(markdown)).toMatch(problem);
  });
});
