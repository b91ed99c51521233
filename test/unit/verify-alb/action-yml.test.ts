import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import { VERIFY_ALB_INPUT_NAMES, verifyAlbInputSchema } from '../../../actions/lib/verify/inputs';

/**
 * action.yml is the published surface (DESIGN.md §3.2): its inputs must be the ones main.ts reads,
 * its defaults must be the schema's, and its outputs the contract's.
 */
const action = parse(readFileSync(join(__dirname, '../../../actions/verify-alb/action.yml'), 'utf8')) as {
  inputs: Record<string, { required?: boolean; default?: string; description: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
};

describe('verify-alb action.yml', () => {
  it('declares exactly the inputs main.ts reads, each described', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...VERIFY_ALB_INPUT_NAMES].sort());
    for (const input of Object.values(action.inputs)) expect(input.description.length).toBeGreaterThan(20);
  });

  it('has the defaults the schema applies when an input is absent', () => {
    const minimal = { 'stack-name': 'patch-dev-app', 'expected-ami-id': 'ami-0123456789abcdef0' };
    const fromYaml = Object.fromEntries(Object.entries(action.inputs).flatMap(([name, i]) => (i.default === undefined ? [] : [[name, i.default]])));
    expect(verifyAlbInputSchema.parse({ ...minimal, ...fromYaml })).toEqual(verifyAlbInputSchema.parse(minimal));
  });

  it('requires only expected-ami-id (stack-name or target-group-arn is checked by the schema)', () => {
    expect(Object.entries(action.inputs).filter(([, i]) => i.required).map(([name]) => name)).toEqual(['expected-ami-id']);
  });

  it('declares the contract outputs', () => {
    expect(Object.keys(action.outputs)).toEqual(['healthy', 'healthy-targets', 'total-targets', 'served-ami-ids', 'error-rate', 'report-markdown']);
  });

  it('runs the committed bundle on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });
});
