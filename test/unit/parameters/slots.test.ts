/**
 * The slots rules of a parameters file (actions/lib/parameters/slots.ts), checked against the real
 * templates/app-slots.yaml through the same entry point the actions call before any AWS call.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseParametersFile } from '../../../actions/lib/parameters/parameters-file';
import { liveAmiOf, readSlotPlan } from '../../../actions/lib/parameters/slots';
import { parseTemplateParameters } from '../../../actions/lib/parameters/template-parameters';
import { findParameterProblems, loadValidatedParametersFile } from '../../../actions/lib/parameters/validate';
import { describeCatalogueRows } from '../reliability/support/catalogue-suite';

const ROOT = join(__dirname, '../../..');
const TEMPLATE_PATH = join(ROOT, 'templates/app-slots.yaml');
const FIXTURE_PATH = join(ROOT, 'test/fixtures/slots/dev.json');
const template = parseTemplateParameters(readFileSync(TEMPLATE_PATH, 'utf8'), 'templates/app-slots.yaml');
const fixture = JSON.parse(readFileSync(FIXTURE_PATH, 'utf8')) as { Parameters: Record<string, string> };

/** The problems of the fixture with `changes` applied, as "line N: message". */
function problemsWith(changes: Record<string, string>): string[] {
  const text = JSON.stringify({ Parameters: { ...fixture.Parameters, ...changes } }, null, 2);
  const file = parseParametersFile(text, 'parameters/dev.json');
  return findParameterProblems(file, template).map((p) => `line ${p.line}: ${p.message}`);
}

describe('slots parameters', () => {
  it('accepts the fixture (blue live at 100, green retired) through loadValidatedParametersFile', async () => {
    const file = await loadValidatedParametersFile(FIXTURE_PATH, TEMPLATE_PATH);
    const plan = readSlotPlan(file.parameters);
    expect(plan).toEqual({ live: 'blue', slots: { blue: { amiId: 'ami-0d27e0fb3bac4d724', capacity: 2, weight: 100 }, green: { amiId: 'ami-0d27e0fb3bac4d724', capacity: 0, weight: 0 } } });
    expect(liveAmiOf(plan)).toBe('ami-0d27e0fb3bac4d724');
  });

  it.each([
    ['a canary: green at 10 with capacity', { GreenCapacity: '2', GreenWeight: '10', BlueWeight: '90' }],
    ['green live after the switch, blue warm at 0', { LiveSlot: 'green', GreenCapacity: '2', GreenWeight: '100', BlueWeight: '0' }],
    ['an even split', { GreenCapacity: '2', GreenWeight: '50', BlueWeight: '50' }],
  ])('accepts %s', (_name, changes) => {
    expect(problemsWith(changes)).toEqual([]);
  });

  it.each([
    ['the live slot without capacity', { BlueCapacity: '0', BlueWeight: '100' }, [
      'line 6: BlueCapacity = "0", but LiveSlot is "blue": the live slot has no instances, so users would reach nothing. Give it capacity, or name the other slot live (and give that one capacity).',
      'line 7: BlueWeight = "100" but BlueCapacity = "0": that share of traffic would go to an empty target group (the ALB answers 503). Give the slot capacity or set its weight to "0".',
    ]],
    ['weights that do not add up', { BlueWeight: '90' }, [
      'line 7: BlueWeight + GreenWeight = 90 + 0 = 90, not 100: the weights are the percentages of traffic each slot gets. Make them add up to 100 (at rest: BlueWeight "100", GreenWeight "0").',
    ]],
    ['a live slot with less traffic than the idle one', { GreenCapacity: '2', GreenWeight: '100', BlueWeight: '0' }, [
      'line 4: LiveSlot is "blue", but GreenWeight (100) is above BlueWeight (0): the live slot is the one with most of the traffic. Name the other slot live, or move the weight.',
    ]],
    ['weight on an empty idle slot', { GreenWeight: '10', BlueWeight: '90' }, [
      'line 10: GreenWeight = "10" but GreenCapacity = "0": that share of traffic would go to an empty target group (the ALB answers 503). Give the slot capacity or set its weight to "0".',
    ]],
  ])('refuses %s, at its line', (_name, changes, expected) => {
    expect(problemsWith(changes)).toEqual(expected);
  });

  it('leaves the cross-value rules alone while a value is wrong on its own (the template check says it)', () => {
    expect(problemsWith({ LiveSlot: 'purple', BlueWeight: '7' })).toEqual([
      'line 4: LiveSlot = "purple" is not one of the AllowedValues of templates/app-slots.yaml: blue, green. Use one of them.',
    ]);
  });

  // A template Number takes what CloudFormation's does (1e2, 2.0, +2); a slot's instances and its
  // share of traffic are counted, and are read the one way every number here is: decimal digits.
  describeCatalogueRows('slot capacities and weights as whole numbers (catalogue row)', 'slots.test.ts', {
    async B91() {
      expect(problemsWith({ BlueWeight: '1e2', GreenCapacity: '2.0' })).toEqual([
        'line 7: BlueWeight = "1e2" is not a whole number: a slot\'s instances and its share of traffic are counted, so they take decimal digits only (no exponent, sign or decimal point), as every number this project reads. Write it as digits, e.g. "100".',
        'line 9: GreenCapacity = "2.0" is not a whole number: a slot\'s instances and its share of traffic are counted, so they take decimal digits only (no exponent, sign or decimal point), as every number this project reads. Write it as digits, e.g. "2".',
      ]);
    },
  });
});
