import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';
import type { z } from 'zod';

import { BUILD_AMI_INPUT_NAMES, BUILD_AMI_OUTPUT_NAMES, buildAmiInputSchema } from '../../actions/build-ami/src/inputs';
import { UPDATE_APP_STACK_INPUT_NAMES, UPDATE_APP_STACK_OUTPUT_NAMES, updateAppStackInputSchema } from '../../actions/update-app-stack/src/inputs';
import { VERIFY_ALB_INPUT_NAMES, VERIFY_ALB_OUTPUT_NAMES, verifyAlbInputSchema } from '../../actions/lib/verify/inputs';

/**
 * Each action.yml is a published surface (DESIGN.md §2, §3.2): workflows and users depend on its
 * input and output names. This checks every manifest against three things at once: the public
 * contract of DESIGN.md §3.2, the schema main.ts parses its inputs with, and the action's README.
 */
interface Manifest {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

const ROOT = join(__dirname, '../..');
const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

interface ActionCase {
  action: string;
  /** DESIGN.md §3.2, verbatim. */
  contractInputs: string[];
  contractOutputs: string[];
  /** What main.ts reads and sets. */
  inputNames: readonly string[];
  outputNames: readonly string[];
  schema: z.ZodType;
  /** The least a workflow must give for the schema to accept the inputs. */
  minimalInputs: Record<string, string>;
}

const cases: ActionCase[] = [
  {
    action: 'build-ami',
    contractInputs: ['pipeline-arn', 'image-arn', 'region', 'timeout-minutes', 'previous-ami-id', 'fail-on-severity'],
    contractOutputs: ['ami-id', 'image-arn', 'package-diff-markdown', 'findings-json'],
    inputNames: BUILD_AMI_INPUT_NAMES,
    outputNames: BUILD_AMI_OUTPUT_NAMES,
    schema: buildAmiInputSchema,
    minimalInputs: { 'pipeline-arn': 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/patch-dev-app' },
  },
  {
    action: 'update-app-stack',
    contractInputs: ['stack-name', 'parameters-file', 'template', 'region', 'mode', 'timeout-minutes'],
    contractOutputs: ['changed', 'change-set-id', 'stack-status', 'previous-ami-id', 'ami-id', 'changes-markdown'],
    inputNames: UPDATE_APP_STACK_INPUT_NAMES,
    outputNames: UPDATE_APP_STACK_OUTPUT_NAMES,
    schema: updateAppStackInputSchema,
    minimalInputs: { 'stack-name': 'patch-dev-app', 'parameters-file': 'parameters/dev.json' },
  },
  {
    action: 'verify-alb',
    contractInputs: ['stack-name', 'target-group-arn', 'expected-ami-id', 'url', 'path', 'watch-seconds', 'max-error-rate', 'timeout-minutes'],
    contractOutputs: ['healthy', 'healthy-targets', 'total-targets', 'served-ami-ids', 'error-rate', 'report-markdown'],
    inputNames: VERIFY_ALB_INPUT_NAMES,
    outputNames: VERIFY_ALB_OUTPUT_NAMES,
    schema: verifyAlbInputSchema,
    minimalInputs: { 'stack-name': 'patch-dev-app', 'expected-ami-id': 'ami-0123456789abcdef0' },
  },
];

function readManifest(action: string): Manifest {
  return parse(readFileSync(join(ROOT, 'actions', action, 'action.yml'), 'utf8')) as Manifest;
}

describe.each(cases)('actions/$action/action.yml', (c) => {
  const manifest = readManifest(c.action);

  it('runs its committed bundle on node24', () => {
    expect(manifest.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(existsSync(join(ROOT, 'actions', c.action, 'dist', 'index.js'))).toBe(true);
  });

  it('keeps every input and output of the public contract (DESIGN.md §3.2)', () => {
    expect(Object.keys(manifest.inputs)).toEqual(expect.arrayContaining(c.contractInputs));
    // A superset, as for inputs: an added output (build-ami's findings-delta-markdown) breaks no workflow.
    expect(Object.keys(manifest.outputs)).toEqual(expect.arrayContaining(c.contractOutputs));
  });

  it('declares exactly the inputs main.ts reads and the outputs it sets', () => {
    expect(Object.keys(manifest.inputs).sort()).toEqual([...c.inputNames].sort());
    expect(Object.keys(manifest.outputs).sort()).toEqual([...c.outputNames].sort());
  });

  it('names everything in kebab-case and describes it', () => {
    expect(manifest.description.length).toBeGreaterThan(20);
    for (const [name, spec] of [...Object.entries(manifest.inputs), ...Object.entries(manifest.outputs)]) {
      expect(name).toMatch(KEBAB);
      expect(spec.description.trim().length).toBeGreaterThan(15);
    }
  });

  it('accepts its minimal inputs, and its action.yml defaults are the ones the schema applies', () => {
    const defaults = Object.fromEntries(
      Object.entries(manifest.inputs).flatMap(([name, spec]) => (spec.default === undefined || spec.default === '' ? [] : [[name, String(spec.default)]])),
    );
    expect(c.schema.safeParse(c.minimalInputs).success).toBe(true);
    expect(c.schema.parse({ ...c.minimalInputs, ...defaults })).toEqual(c.schema.parse(c.minimalInputs));
  });

  it('marks an input required only when the schema rejects its absence', () => {
    for (const [name, spec] of Object.entries(manifest.inputs)) {
      if (!spec.required) continue;
      const without = { ...c.minimalInputs };
      delete without[name];
      expect({ name, accepted: c.schema.safeParse(without).success }).toEqual({ name, accepted: false });
    }
  });

  it('documents every input and output in its README', () => {
    const readme = readFileSync(join(ROOT, 'actions', c.action, 'README.md'), 'utf8');
    for (const name of [...Object.keys(manifest.inputs), ...Object.keys(manifest.outputs)]) expect(readme).toContain(`\`${name}\``);
  });
});
