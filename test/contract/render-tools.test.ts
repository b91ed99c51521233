/**
 * `make render-tools` (local/render-tools.sh) on each kind of machine, without touching this
 * machine's packages: PATH holds only fake `id`, `sudo`, `apt-get` (and `env`), which log how they
 * were called; the fake apt-get "installs" by creating the commands it was asked for. The browser
 * paths are given through RENDER_BROWSERS, so the machine's own Chromium is not seen.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { REPO_ROOT } from '../../local/env';

interface Machine {
  uid: number;
  /** Whether `sudo -n true` succeeds (passwordless sudo, as on GitHub's runners). */
  sudo: boolean;
  cmark?: boolean;
  /** A browser already installed at the second candidate path (GitHub's preinstalled Chrome). */
  chrome?: boolean;
  /** apt-get succeeds but installs no browser (Ubuntu's chromium package is only a stub for the snap). */
  aptInstallsNoBrowser?: boolean;
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'render-tools-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fake(name: string, body: string): void {
  const file = join(dir, 'bin', name);
  writeFileSync(file, `#!/bin/bash\n${body}\n`);
  chmodSync(file, 0o755);
}

function run(machine: Machine): { code: number | null; stdout: string; stderr: string; calls: string[] } {
  spawnSync('mkdir', ['-p', join(dir, 'bin'), join(dir, 'opt')]);
  const log = join(dir, 'calls.log');
  const chromium = join(dir, 'opt', 'chromium');
  const chrome = join(dir, 'opt', 'google-chrome');
  fake('id', `[ "$1" = -u ] && echo ${machine.uid}`);
  fake('sudo', `if [ "$1 $2" = "-n true" ]; then exit ${machine.sudo ? 0 : 1}; fi\necho "sudo $*" >> ${log}\n[ "$1" = -n ] && shift\nFAKE_UID=0 exec "$@"`);
  // What apt-get installs: cmark-gfm on PATH, Debian's chromium at its path (the first candidate).
  fake(
    'apt-get',
    `echo "apt-get $* (DEBIAN_FRONTEND=\${DEBIAN_FRONTEND:-}, as uid \${FAKE_UID:-$(id -u)})" >> ${log}\n` +
      `if [ "$1" = install ]; then for p in "$@"; do\n` +
      `  [ "$p" = cmark-gfm ] && printf '#!/bin/bash\\n' > ${join(dir, 'bin', 'cmark-gfm')} && /bin/chmod +x ${join(dir, 'bin', 'cmark-gfm')}\n` +
      `  [ "$p" = chromium ] && [ -z "${machine.aptInstallsNoBrowser ? 'stub' : ''}" ] && printf '#!/bin/bash\\n' > ${chromium} && /bin/chmod +x ${chromium}\n` +
      `done; fi; exit 0`,
  );
  symlinkSync('/usr/bin/env', join(dir, 'bin', 'env'));
  if (machine.cmark) fake('cmark-gfm', 'exit 0');
  if (machine.chrome) {
    writeFileSync(chrome, '#!/bin/bash\n');
    chmodSync(chrome, 0o755);
  }
  const result = spawnSync('/bin/bash', [join(REPO_ROOT, 'local/render-tools.sh')], {
    encoding: 'utf8',
    env: { PATH: join(dir, 'bin'), RENDER_BROWSERS: `${chromium} ${chrome}` },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] };
}

describe('make render-tools (local/render-tools.sh)', () => {
  it('as root installs both packages with apt-get, no sudo, non-interactively', () => {
    const { code, stdout, stderr, calls } = run({ uid: 0, sudo: false });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain("Installing cmark-gfm chromium from Debian's packages for the render check");
    expect(calls).toEqual(['apt-get update -qq (DEBIAN_FRONTEND=, as uid 0)', 'apt-get install -y -qq cmark-gfm chromium (DEBIAN_FRONTEND=noninteractive, as uid 0)']);
    expect(stdout).toMatch(/Render check: cmark-gfm at \S+\/bin\/cmark-gfm, browser at \S+\/opt\/chromium\.\n$/);
  });

  it('as a user with passwordless sudo (a GitHub runner) installs through sudo -n', () => {
    const { code, calls } = run({ uid: 1001, sudo: true });
    expect(code).toBe(0);
    expect(calls).toEqual([
      'sudo -n apt-get update -qq',
      'apt-get update -qq (DEBIAN_FRONTEND=, as uid 0)',
      'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmark-gfm chromium',
      'apt-get install -y -qq cmark-gfm chromium (DEBIAN_FRONTEND=noninteractive, as uid 0)',
    ]);
  });

  it('as a user without sudo says what to run, installs nothing and fails', () => {
    const { code, stderr, calls } = run({ uid: 1001, sudo: false });
    expect(code).toBe(1);
    expect(stderr).toContain('The render check needs cmark-gfm chromium, and installing takes root or sudo without a password: run sudo apt-get install cmark-gfm chromium');
    expect(calls).toEqual([]);
  });

  it('uses a Chrome already installed (GitHub runners) and installs only cmark-gfm', () => {
    const { code, stdout, calls } = run({ uid: 1001, sudo: true, chrome: true });
    expect(code).toBe(0);
    expect(calls.filter((c) => c.startsWith('sudo'))).toEqual(['sudo -n apt-get update -qq', 'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmark-gfm']);
    expect(stdout).toMatch(/browser at \S+\/opt\/google-chrome\.\n$/);
  });

  it('fails, saying so, when apt-get succeeds but no browser came of it', () => {
    const { code, stderr } = run({ uid: 0, sudo: false, aptInstallsNoBrowser: true });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^apt-get installed cmark-gfm chromium, but cmark-gfm or a browser \(.*\) is still missing: set CHROMIUM to a Chrome or Chromium binary\.\n$/);
  });

  it('does nothing when both are there', () => {
    const { code, stdout, calls } = run({ uid: 1001, sudo: false, cmark: true, chrome: true });
    expect(code).toBe(0);
    expect(calls).toEqual([]);
    expect(stdout).toMatch(/^Render check: cmark-gfm at \S+, browser at \S+\/opt\/google-chrome\.\n$/);
  });
});
