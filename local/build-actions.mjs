// Bundles each action's src/index.ts into its committed dist/index.js with @vercel/ncc.
// Run with `npm run build`; CI rebuilds and fails when the committed bundle differs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// `npm run build -- build-ami` bundles one action; no argument bundles them all.
const wanted = process.argv.slice(2);
const actions = readdirSync(join(root, 'actions'))
  .filter((name) => existsSync(join(root, 'actions', name, 'src', 'index.ts')))
  .filter((name) => wanted.length === 0 || wanted.includes(name));
for (const name of actions) {
  const dir = join(root, 'actions', name);
  execFileSync(
    join(root, 'node_modules', '.bin', 'ncc'),
    ['build', join(dir, 'src', 'index.ts'), '-o', join(dir, 'dist'), '--minify', '--license', 'licenses.txt', '--quiet'],
    { stdio: 'inherit', cwd: root },
  );
  console.log(`built actions/${name}/dist/index.js`);
}
