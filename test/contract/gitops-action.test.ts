/**
 * actions/gitops/action.yml against the subcommands it dispatches to: every input a command reads
 * and every output it sets is declared (actionlint checks workflows against action.yml, so a gap
 * here would let a workflow pass an input the action never reads), and the README lists them all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

import { COMMANDS, inputNames } from '../../actions/lib/gitops/commands';

const dir = join(__dirname, '../../actions/gitops');
const action = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as {
  runs: { using: string; main: string };
  inputs: Record<string, { description?: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description?: string }>;
};
const COMMON = ['command', 'github-token', 'environments-file', 'default-branch', 'committer-name', 'committer-email'];
const commands = Object.values(COMMANDS);

describe('actions/gitops/action.yml', () => {
  it('runs the committed bundle on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  it('declares exactly the common inputs and every input some command reads', () => {
    const expected = new Set([...COMMON, ...commands.flatMap((c) => inputNames(c))]);
    expect(Object.keys(action.inputs).sort()).toEqual([...expected].sort());
  });

  it('declares exactly the outputs the commands set', () => {
    expect(Object.keys(action.outputs).sort()).toEqual([...new Set(commands.flatMap((c) => [...c.outputs]))].sort());
  });

  it('describes every input and output, and requires only command', () => {
    for (const [name, input] of Object.entries(action.inputs)) {
      expect({ name, described: Boolean(input.description) }).toEqual({ name, described: true });
      expect({ name, required: input.required === true }).toEqual({ name, required: name === 'command' });
    }
    for (const [name, output] of Object.entries(action.outputs)) expect({ name, described: Boolean(output.description) }).toEqual({ name, described: true });
  });

  it('names every command in its description and README', () => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    for (const name of Object.keys(COMMANDS)) {
      expect(action.inputs.command.description).toContain(name);
      expect(readme).toContain(`| \`${name}\` |`);
    }
  });
});
