/**
 * The render check in a real browser: Markdown turned into HTML by cmark-gfm (GitHub's own fork of
 * cmark, with the extensions github.com turns on), laid out with GitHub's Markdown styles
 * (github-markdown-css), every ```mermaid block drawn by Mermaid 11 and 10 in headless Chromium,
 * and what was drawn measured: a chart fails on a parse error, an axis whose ticks all read the
 * same, neighbouring ticks with one label, a zero-width bar or nothing drawn at all. The rendered
 * Markdown fails on a table whose header row is empty and on an opening that is not a sentence.
 *
 * One browser, one page for all the documents given: a launch costs seconds, a chart milliseconds.
 * What it does not model: GitHub's HTML sanitiser (raw HTML passes; cmark-gfm's tagfilter drops the
 * tags GitHub drops), and GitHub's viewer draws charts in an iframe of its own width and theme.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type BrowserContext } from 'playwright-core';

import { REPO_ROOT } from '../../local/env';

export interface RenderDocument {
  /** Where the Markdown came from, for the failure message. */
  source: string;
  markdown: string;
  /** A job summary or PR body: it must open with a heading and a sentence under it (docs need not). */
  leadsWithAnswer?: boolean;
}

export interface RenderFailure {
  source: string;
  /** The Mermaid major version, for a chart's failure; absent for the Markdown's own. */
  version?: string;
  error: string;
}

export interface RenderResult {
  failures: RenderFailure[];
  /** Charts drawn (each block once per Mermaid version). */
  charts: number;
  /** AMI IDs and ARNs drawn across two lines in running text or a table cell, at 960 px with this machine's fonts (not failures: see render-page.js). */
  wraps: string[];
  browser: string;
}

/**
 * The browser: $CHROMIUM, else Debian's Chromium (make render-tools installs it), else the Google
 * Chrome that GitHub's Ubuntu runners ship.
 */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/google-chrome'].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`No Chromium for the render check (looked for ${candidates.join(', ')}): run make render-tools (Debian's chromium package), or set CHROMIUM to a Chromium or Chrome binary.`);
  return found;
}

/**
 * The flags this machine's closed network needs: without the background-networking ones Chromium
 * dials Google's hosts at every start and the refused connections pile up. The sandbox is off
 * because tests run as root, where Chromium refuses to start with it.
 */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The cmark-gfm extensions github.com renders with (GitHub Flavored Markdown spec, "GFM"). */
const GFM_EXTENSIONS = ['table', 'strikethrough', 'autolink', 'tagfilter', 'tasklist'];

/** Markdown to HTML as GitHub's parser does; `pre lang="mermaid"` marks each chart, as on github.com. */
export function gfmToHtml(markdown: string): string {
  const args = ['--unsafe', '--github-pre-lang', ...GFM_EXTENSIONS.flatMap((e) => ['-e', e])];
  const result = spawnSync('cmark-gfm', args, { input: markdown, encoding: 'utf8' });
  if (result.error) throw new Error(`cmark-gfm did not run (${result.error.message}): run make render-tools (Debian's cmark-gfm package).`);
  if (result.status !== 0) throw new Error(`cmark-gfm exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

const escapeAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function pageHtml(documents: readonly RenderDocument[]): string {
  const css = readFileSync(join(REPO_ROOT, 'node_modules/github-markdown-css/github-markdown-light.css'), 'utf8');
  // GitHub's job summary and PR body are about this wide; charts are laid out at that width.
  const articles = documents.map((d) => `<article class="markdown-body" style="width: 960px; padding: 16px" data-source="${escapeAttribute(d.source)}"${d.leadsWithAnswer ? ' data-leads' : ''}>\n${gfmToHtml(d.markdown)}\n</article>`);
  return `<!doctype html><html><head><meta charset="utf-8"><style>${css}</style></head><body>${articles.join('\n')}</body></html>`;
}

/** Renders every document in one page of one headless Chromium; `screenshot` saves the page as PNG. */
export async function renderInChromium(documents: readonly RenderDocument[], options: { screenshot?: string } = {}): Promise<RenderResult> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'render-check-'));
  let context: BrowserContext | undefined;
  try {
    const executablePath = chromiumPath();
    context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, chromiumSandbox: false, args: CHROMIUM_ARGS, viewport: { width: 1000, height: 800 } });
    const page = await context.newPage();
    await page.setContent(pageHtml(documents));
    // Both majors in one page: each bundle sets window.mermaid, so each is put aside before the next loads.
    await page.addScriptTag({ path: join(REPO_ROOT, 'node_modules/mermaid/dist/mermaid.min.js') });
    await page.evaluate('window.mermaid11 = window.mermaid');
    await page.addScriptTag({ path: join(REPO_ROOT, 'node_modules/mermaid10/dist/mermaid.min.js') });
    // The page's side (drawing and measuring) is a browser script of its own: this file is compiled without the DOM's types.
    await page.addScriptTag({ path: join(__dirname, 'render-page.js') });
    const result = (await page.evaluate('drawAndMeasure()')) as { failures: RenderFailure[]; charts: number; wraps: string[] };
    if (options.screenshot) await page.screenshot({ path: options.screenshot, fullPage: true });
    return { ...result, browser: `${context.browser()?.version() ?? 'Chromium'} (${executablePath})` };
  } finally {
    await context?.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
