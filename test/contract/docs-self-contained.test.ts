/**
 * The repository's docs and code stand on their own: a user who clones it has nothing else. So no
 * tracked file names a path of the machine it was written on, and every relative link in a
 * Markdown file leads to a file that exists in the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const ROOT = join(__dirname, '../..');

/** Tracked files, less the generated bundles and the lock file (neither is written by hand). */
function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return out
    .split('\0')
    .filter((f) => f !== '' && !/^actions\/[^/]+\/dist\//.test(f) && f !== 'package-lock.json')
    .filter((f) => existsSync(join(ROOT, f)));
}

// An absolute path of a development machine, or a reference document that is not in the repository.
const OUTSIDE_REFERENCE = /(^|[^A-Za-z0-9_.])\/(work|farm|root|home)\/|\.\.\/shared\/|shared\/reference\/|\blocal-aws\.md\b|\banchors\.md\b/;

describe('docs stand on their own', () => {
  const files = trackedFiles();

  it('no tracked file cites a path outside the repository', () => {
    const hits = files
      // This test names the patterns it looks for.
      .filter((f) => f !== 'test/contract/docs-self-contained.test.ts')
      .flatMap((f) =>
        readFileSync(join(ROOT, f), 'utf8')
          .split('\n')
          .map((line, i) => ({ f, line, n: i + 1 }))
          .filter(({ line }) => OUTSIDE_REFERENCE.test(line))
          .map(({ f, n, line }) => `${f}:${n}: ${line.trim()}`),
      );
    expect(hits).toEqual([]);
  });

  it('every relative link in a Markdown file leads to a file in the repository', () => {
    const broken: string[] = [];
    for (const f of files.filter((name) => name.endsWith('.md'))) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!.split('#')[0]!;
        if (target === '' || /^[a-z]+:/i.test(target)) continue; // an anchor on the same page, or a URL
        const resolved = normalize(join(dirname(f), decodeURIComponent(target)));
        if (resolved.startsWith('..') || !existsSync(join(ROOT, resolved))) broken.push(`${f}: ${match[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
