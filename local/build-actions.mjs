// Bundles each action's src/index.ts into its committed dist/index.js with @vercel/ncc.
// Run with `npm run build`; CI rebuilds and fails when the committed bundle differs. Not minified:
// a change to the sources then changes a few lines of the bundle, which a reviewer can read, instead
// of rewriting one 3 MB line.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// `npm run build -- build-ami` bundles one action; no argument bundles them all.
const wanted = process.argv.slice(2);
const actions = readdirSync(join(root, 'actions'))
  .filter((name) => existsSync(join(root, 'actions', name, 'src', 'index.ts')))
  .filter((name) => wanted.length === 0 || wanted.includes(name));
const ncc = (entry, outDir, license = true) =>
  execFileSync(
    join(root, 'node_modules', '.bin', 'ncc'),
    ['build', entry, '-o', outDir, ...(license ? ['--license', 'licenses.txt'] : []), '--quiet'],
    { stdio: 'inherit', cwd: root },
  );
for (const name of actions) {
  const dir = join(root, 'actions', name);
  ncc(join(dir, 'src', 'index.ts'), join(dir, 'dist'));
  console.log(`built actions/${name}/dist/index.js`);
  // An optional terminal entry point (verify-alb's watcher). ncc always names its output index.js,
  // so it is bundled in a scratch directory and copied next to the action's bundle as watch.js.
  if (existsSync(join(dir, 'src', 'watch.ts'))) {
    const scratch = mkdtempSync(join(tmpdir(), `ncc-${name}-watch-`));
    try {
      ncc(join(dir, 'src', 'watch.ts'), scratch, false);
      copyFileSync(join(scratch, 'index.js'), join(dir, 'dist', 'watch.js'));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    console.log(`built actions/${name}/dist/watch.js`);
  }
}
