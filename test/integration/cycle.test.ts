/**
 * The README's first command: the local cycle, run as `npm run cycle` runs it (its own moto and
 * stand-in, the real bundles, a scratch clone), for each scenario. Slow by nature (~15-30 s each).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { REPO_ROOT } from '../../local/env';

jest.setTimeout(180_000);

function runCycle(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', '-r', '@swc-node/register', 'local/cycle.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

describe('local cycle (npm run cycle)', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'cycle-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('runs build → PR → preview → merge → deploy → verify → failback → deploy → verify, and git records it', async () => {
    const { code, output } = await runCycle(['--scratch', scratch]);
    expect(output).toMatch(/Cycle "patch" passed: \d+ phases/);
    expect(code).toBe(0);
    expect(output).not.toMatch(/^✗/m);
    for (const kind of ['moto (emulated AWS)', 'STAND-IN + moto', 'git (scratch clone)']) expect(output).toContain(kind);

    const log = (output.split('git log --oneline -- parameters/dev.json')[1] ?? '').split('\n').slice(1, 4).map((l) => l.trim());
    expect(log[0]).toMatch(/^[0-9a-f]{7,} Fail back dev to ami-[0-9a-f]+$/);
    expect(log[1]).toMatch(/^[0-9a-f]{7,} Bump dev AMI from ami-[0-9a-f]+ to ami-[0-9a-f]+$/);
    expect(log[2]).toMatch(/local cycle setup/);

    const body = readdirSync(scratch).find((f) => f.startsWith('pull-request-'));
    expect(readFileSync(join(scratch, body as string), 'utf8')).toMatch(/Packages: \d+ changed, 1 added/);
  });

  it.each([
    ['failed-build', /Image build FAILED for .*component update-linux failed/],
    ['bad-parameters', /InstanceType = "t3\.mirco" is not one of the AllowedValues/],
  ])('scenario %s ends with the right message and nothing changed', async (scenario, message) => {
    const { code, output } = await runCycle(['--scenario', scenario, '--scratch', scratch]);
    expect(output).toMatch(message);
    expect(output).toMatch(/✓ +\d+ +nothing changed/);
    expect(output).toContain(`Cycle "${scenario}" passed`);
    expect(code).toBe(0);
  });

  it('refuses an unknown scenario with the list of known ones', async () => {
    const { code, output } = await runCycle(['--scenario', 'nope']);
    expect(code).toBe(2);
    expect(output).toContain('Unknown scenario "nope": use one of patch, failed-build, bad-parameters');
  });
});
