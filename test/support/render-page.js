/* global window, document, NodeFilter */
/**
 * The render check's page side (test/support/browser-render.ts loads it into the page after both
 * Mermaid bundles): `drawAndMeasure()` draws each ```mermaid block with Mermaid 11 and 10, puts
 * the drawing where github.com puts it (in place of the code block), and measures what was drawn;
 * then it checks each document's rendered Markdown. Returns `{ failures: [{ source, version?,
 * error }], charts }`. A browser script, not TypeScript: the project compiles without the DOM's types.
 */

/** Why a drawn chart cannot be read, or undefined when it can. */
function drawingProblem(svg) {
  const box = svg.getBoundingClientRect();
  if (box.width < 1 || box.height < 1) return `nothing was drawn (${Math.round(box.width)}×${Math.round(box.height)} px)`;
  if (svg.getAttribute('aria-roledescription') !== 'gantt') return undefined;
  const ticks = [...svg.querySelectorAll('.tick text')].map((t) => t.textContent ?? '');
  if (ticks.length > 1 && new Set(ticks).size === 1) return `gantt axis cannot be drawn: all ${ticks.length} ticks read "${ticks[0]}"`;
  const repeated = ticks.find((label, i) => i > 0 && label === ticks[i - 1]);
  if (repeated !== undefined) return `gantt axis repeats the tick label "${repeated}" (${ticks.join(', ')})`;
  const bars = [...svg.querySelectorAll('rect.task')];
  const flat = bars.filter((bar) => !(bar.getBoundingClientRect().width > 0));
  if (flat.length) return `gantt draws ${flat.length} of ${bars.length} bar(s) with zero width (${flat.map((b) => b.getAttribute('id') ?? '?').join(', ')})`;
  return undefined;
}

/** Problems of the rendered Markdown itself: an empty table header; for a summary or PR body, an opening that is not a sentence. */
function markdownProblems(article) {
  const problems = [];
  for (const table of article.querySelectorAll('table')) {
    const header = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
    if (header.length && header.every((h) => h === '')) {
      const row = [...(table.querySelector('tbody tr')?.children ?? [])].map((td) => td.textContent.trim()).join(' | ');
      problems.push(`a table's header row is empty (first row: ${row.slice(0, 80)})`);
    }
  }
  if (!article.hasAttribute('data-leads')) return problems;
  problems.push(...idProblems(article));
  // The first block under the opening heading(s) is the answer: a paragraph, never a table, a list or a quote.
  const blocks = [...article.children].filter((e) => !e.hasAttribute('data-chart'));
  const isHeading = (e) => /^H[1-6]$/.test(e?.tagName ?? '');
  const first = blocks.find((e) => !isHeading(e));
  if (!isHeading(blocks[0])) problems.push(`does not open with a heading (opens with <${blocks[0]?.tagName.toLowerCase()}>)`);
  else if (first && first.tagName !== 'P') problems.push(`opens with <${first.tagName.toLowerCase()}> under its heading, not a sentence`);
  return problems;
}

/** AMI IDs and ARNs: what a reader copies, so each must be one code span on one line. */
const ID_PATTERN = /\bami-[0-9a-f]{8,17}\b|\barn:aws[\w-]*:[^\s`|)<]+/;

/**
 * The PR title, which the saved PR bodies carry as their first `#` line: GitHub shows a title as
 * plain text of its own, outside the Markdown, so it is not held to the body's rules.
 */
function isPullRequestTitle(element) {
  return element.tagName === 'H1' && element === element.parentElement.firstElementChild && /^H[2-6]$/.test(element.nextElementSibling?.tagName ?? '');
}

/**
 * IDs and ARNs in a summary or PR body: each in a code span (not bare text), none in a heading
 * (its large type wraps an ID at the hyphen), and none drawn across two lines: the browser breaks
 * `ami-0123…` after its hyphen when the line is full, and GitHub's styles let code spans wrap.
 */
function idProblems(article) {
  const problems = [];
  const shown = (text) => text.replace(/\s+/g, ' ').trim().slice(0, 100);
  const style = window.getComputedStyle(article);
  const lineWidth = article.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('code, pre, [data-chart]') || isPullRequestTitle(parent.closest('h1') ?? document.body)) continue;
    const id = node.textContent.match(ID_PATTERN)?.[0];
    // Reported, not failed: error messages quoted in a summary (an AWS or verification reason) carry
    // IDs as plain text; a heading is our layout and fails below.
    if (id) wraps.push(`${article.getAttribute('data-source') ?? '?'}: ${id} is bare text, not a code span (in <${parent.tagName.toLowerCase()}>: "${shown(node.textContent)}")`);
  }
  for (const code of article.querySelectorAll('code')) {
    if (code.closest('pre, [data-chart]')) continue;
    const id = code.textContent.match(ID_PATTERN)?.[0];
    if (!id) continue;
    const heading = code.closest('h1, h2, h3, h4, h5, h6');
    if (heading && !isPullRequestTitle(heading)) problems.push(`${id} sits in a heading ("${shown(heading.textContent)}"): say it in the sentence under the heading`);
    const rects = [...code.getClientRects()].filter((r) => r.width > 0);
    const lines = new Set(rects.map((r) => Math.round(r.top)));
    // An ARN longer than a whole line must wrap somewhere; only one that would fit on a line is a fault.
    const fits = rects.reduce((sum, r) => sum + r.width, 0) <= lineWidth;
    if (lines.size > 1 && fits) {
      const wrap = `${shown(code.textContent)} wraps across ${lines.size} lines (in <${code.parentElement.tagName.toLowerCase()}>: "${shown(code.parentElement.textContent)}")`;
      // In a heading it is our layout's fault and fails. In running text or a table cell it depends
      // on where the line ends, which GitHub's fonts and widths decide: measured and reported.
      if (heading) problems.push(wrap);
      else wraps.push(`${article.getAttribute('data-source') ?? '?'}: ${wrap}`);
    }
  }
  return problems;
}

/** IDs drawn across two lines outside headings (see idProblems). */
const wraps = [];

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- called by name from browser-render.ts
async function drawAndMeasure() {
  const failures = [];
  const versions = [
    ['11', window.mermaid11],
    ['10', window.mermaid],
  ];
  let charts = 0;
  for (const article of document.querySelectorAll('article')) {
    const source = article.getAttribute('data-source') ?? '?';
    const blocks = [...article.querySelectorAll('pre[lang="mermaid"]')];
    for (const [index, pre] of blocks.entries()) {
      const name = blocks.length > 1 ? `${source} #${index + 1}` : source;
      for (const [version, mermaid] of versions) {
        charts += 1;
        mermaid.initialize({ startOnLoad: false, theme: 'default' });
        const holder = document.createElement('div');
        holder.setAttribute('data-chart', `${name} (Mermaid ${version})`);
        pre.before(holder);
        try {
          const { svg } = await mermaid.render(`chart-${charts}`, pre.textContent);
          holder.innerHTML = svg;
          const drawn = holder.querySelector('svg');
          const problem = drawn ? drawingProblem(drawn) : 'Mermaid returned no SVG';
          if (problem) failures.push({ source: name, version, error: problem });
        } catch (error) {
          const message = String(error?.message ?? error).split('\n').slice(0, 4).join(' ');
          failures.push({ source: name, version, error: `parse error: ${message}` });
          holder.textContent = `Mermaid ${version}: ${message}`;
        }
      }
      pre.remove();
    }
    failures.push(...markdownProblems(article).map((error) => ({ source, error })));
  }
  return { failures, charts, wraps };
}
