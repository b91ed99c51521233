/**
 * What cfn-lint and checkov (`make lint-templates`) cannot see: documents embedded in templates as
 * strings. The Image Builder components and the SSM runbook must parse, have the phases/steps the
 * templates promise, and reference only outputs that earlier steps produce.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

import { parseCfnTemplate } from '../../actions/lib/cfn-yaml';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

function resourcesOf(file: string): Record<string, Resource> {
  const path = join(__dirname, '../../templates', file);
  return (parseCfnTemplate(readFileSync(path, 'utf8'), path) as { Resources: Record<string, Resource> }).Resources;
}

interface ComponentDocument {
  schemaVersion: number;
  phases: { name: string; steps: { name: string; action: string; inputs?: { commands?: string[] } }[] }[];
}

describe('image-pipeline.yaml components', () => {
  const resources = resourcesOf('image-pipeline.yaml');
  const componentOf = (id: string) => parse(resources[id].Properties.Data as string) as ComponentDocument;

  it.each([
    ['PatchComponent', ['build', 'validate']],
    ['WebTestComponent', ['test']],
  ])('%s parses and has the phases %j', (id, phases) => {
    const component = componentOf(id);

    expect(component.schemaVersion).toBe(1);
    expect(component.phases.map((phase) => phase.name)).toEqual(phases);
    for (const phase of component.phases) expect(phase.steps.length).toBeGreaterThan(0);
  });

  it('patches with dnf --releasever=latest, never with UpdateOS', () => {
    const build = componentOf('PatchComponent').phases.find((phase) => phase.name === 'build')!;
    const script = build.steps.flatMap((step) => step.inputs?.commands ?? []).join('\n');

    expect(build.steps.map((step) => step.action)).not.toContain('UpdateOS');
    expect(script).toMatch(/dnf --releasever=latest --refresh upgrade -y/);
  });

  it('every ExecuteBash step fails on the first error (set -e or an explicit exit)', () => {
    const steps = ['PatchComponent', 'WebTestComponent'].flatMap((id) => componentOf(id).phases.flatMap((phase) => phase.steps));
    for (const step of steps.filter((s) => s.action === 'ExecuteBash')) {
      const script = (step.inputs?.commands ?? []).join('\n');
      expect({ step: step.name, safe: /set -euo pipefail|exit 1/.test(script) }).toEqual({ step: step.name, safe: true });
    }
  });
});

interface RunbookStep {
  name: string;
  action: string;
  inputs: Record<string, unknown>;
  outputs?: { Name: string }[];
}

describe('automation.yaml runbook', () => {
  const document = resourcesOf('automation.yaml').PatchRunbook.Properties;
  // Content is a !Sub string: parse it with the substitutions left as placeholders.
  const content = (document.Content as { 'Fn::Sub': string })['Fn::Sub'];
  const runbook = parse(content) as { schemaVersion: string; assumeRole: string; parameters: Record<string, unknown>; mainSteps: RunbookStep[] };

  it('is an Automation document CloudFormation and moto both accept', () => {
    expect(document).toMatchObject({ DocumentType: 'Automation', DocumentFormat: 'YAML' });
    expect(runbook.schemaVersion).toBe('0.3');
    expect(runbook.assumeRole).toBe('{{ AutomationAssumeRole }}');
  });

  it('references only parameters it declares and outputs of earlier steps', () => {
    const known = new Set(Object.keys(runbook.parameters));
    for (const step of runbook.mainSteps) {
      for (const [, reference] of JSON.stringify(step.inputs).matchAll(/\{\{ *([\w.]+) *\}\}/g)) {
        expect({ step: step.name, reference, known: known.has(reference) }).toEqual({ step: step.name, reference, known: true });
      }
      for (const output of step.outputs ?? []) known.add(`${step.name}.${output.Name}`);
    }
  });

  it('waits for failure states too, not only for success', () => {
    const waits = runbook.mainSteps.filter((step) => step.action === 'aws:waitForAwsResourceProperty');

    expect(waits.map((step) => step.inputs.DesiredValues)).toEqual([
      ['AVAILABLE', 'FAILED', 'CANCELLED'],
      ['UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_FAILED', 'UPDATE_FAILED'],
    ]);
  });

  it.each(['CheckBuildResult', 'UpdateAppStack', 'CheckStackResult'])('script step %s defines its handler', (name) => {
    const step = runbook.mainSteps.find((s) => s.name === name)!;

    expect(step.inputs.Script as string).toContain(`def ${step.inputs.Handler as string}(events, context):`);
  });
});
