/**
 * "The AMI users are on" in both shapes (actions/lib/parameters/live-ami.ts): what every patch,
 * failback and record rewrites. The slots rewrites are checked line by line against the slots
 * fixture, and every result must pass the real templates/app-slots.yaml's validation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { InputError } from '../../../actions/lib/errors';
import { liveAmiIn, liveAmiParameter, setLiveAmiInFile, setStackStateInFile } from '../../../actions/lib/parameters/live-ami';
import { parseParametersFile } from '../../../actions/lib/parameters/parameters-file';
import { parseTemplateParameters } from '../../../actions/lib/parameters/template-parameters';
import { findParameterProblems } from '../../../actions/lib/parameters/validate';
import { GOOD_PARAMETERS } from './fixtures';

const ROOT = join(__dirname, '../../..');
const SLOTS = readFileSync(join(ROOT, 'test/fixtures/slots/dev.json'), 'utf8');
const template = parseTemplateParameters(readFileSync(join(ROOT, 'templates/app-slots.yaml'), 'utf8'), 'templates/app-slots.yaml');
const FILE = 'parameters/dev.json';
const BASE = 'ami-0d27e0fb3bac4d724';
const NEW = 'ami-0123456789abcdef0';
const NEWER = 'ami-0fedcba9876543210';

/** The changed lines of a rewrite as "Key: before → after". */
function diff(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b).toHaveLength(a.length);
  const value = (line: string) => /"([^"]+)":\s*"([^"]*)"/.exec(line)!;
  return a.flatMap((line, i) => (line === b[i] ? [] : [`${value(line)[1]}: ${value(line)[2]} → ${value(b[i])[2]}`]));
}

function valid(text: string): string[] {
  return findParameterProblems(parseParametersFile(text, FILE), template).map((p) => p.message);
}

const parameters = (text: string) => parseParametersFile(text, FILE).parameters;

describe('the live AMI of a parameters file', () => {
  it('is AmazonMachineImage in the replace shape, and a bump is that one line', () => {
    expect(liveAmiIn(parameters(GOOD_PARAMETERS))).toBe(BASE);
    expect(liveAmiParameter(parameters(GOOD_PARAMETERS))).toBe('AmazonMachineImage');
    expect(diff(GOOD_PARAMETERS, setLiveAmiInFile(GOOD_PARAMETERS, NEW, FILE))).toEqual([`AmazonMachineImage: ${BASE} → ${NEW}`]);
  });

  it("is the live slot's AMI in the slots shape", () => {
    expect(liveAmiIn(parameters(SLOTS))).toBe(BASE);
    expect(liveAmiParameter(parameters(SLOTS))).toBe('BlueAmazonMachineImage');
  });

  it('a patch puts the new AMI in the idle slot at the live size and switches to it; the old slot stays warm', () => {
    const patched = setLiveAmiInFile(SLOTS, NEW, FILE);
    expect(diff(SLOTS, patched)).toEqual([
      'LiveSlot: blue → green',
      'BlueWeight: 100 → 0',
      `GreenAmazonMachineImage: ${BASE} → ${NEW}`,
      'GreenCapacity: 0 → 2',
      'GreenWeight: 0 → 100',
    ]);
    expect(liveAmiIn(parameters(patched))).toBe(NEW);
    expect(valid(patched)).toEqual([]);
  });

  it('a failback inside the bake window (the old slot still warm) is a weight flip: no AMI or capacity line changes', () => {
    const patched = setLiveAmiInFile(SLOTS, NEW, FILE);
    const failedBack = setLiveAmiInFile(patched, BASE, FILE);
    expect(diff(patched, failedBack)).toEqual(['LiveSlot: green → blue', 'BlueWeight: 0 → 100', 'GreenWeight: 100 → 0']);
    expect(valid(failedBack)).toEqual([]);
  });

  it('the next patch after that reuses the idle slot, overwriting the AMI it held', () => {
    const twice = setLiveAmiInFile(setLiveAmiInFile(SLOTS, NEW, FILE), NEWER, FILE);
    expect(diff(setLiveAmiInFile(SLOTS, NEW, FILE), twice)).toEqual(['LiveSlot: green → blue', `BlueAmazonMachineImage: ${BASE} → ${NEWER}`, 'BlueWeight: 0 → 100', 'GreenWeight: 100 → 0']);
    expect(valid(twice)).toEqual([]);
  });

  it('naming the AMI already live changes nothing', () => {
    expect(setLiveAmiInFile(SLOTS, BASE, FILE)).toBe(SLOTS);
  });

  it('refuses a slots file whose LiveSlot names no slot, with the fix', () => {
    const broken = SLOTS.replace('"LiveSlot": "blue"', '"LiveSlot": "purple"');
    expect(liveAmiIn(parameters(broken))).toBeUndefined();
    expect(() => setLiveAmiInFile(broken, NEW, FILE)).toThrow(InputError);
    expect(() => setLiveAmiInFile(broken, NEW, FILE)).toThrow(/LiveSlot is "purple", not one of blue, green. Fix the file first/);
  });
});

describe('recording what a settled stack runs', () => {
  it('after a flip back, the file takes the stack\'s live slot and weights and keeps the staged AMI in the idle slot', () => {
    const head = setLiveAmiInFile(SLOTS, NEW, FILE);
    const stack = { ...parameters(head), LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' };
    const recorded = setStackStateInFile(head, stack, FILE);
    expect(diff(head, recorded)).toEqual(['LiveSlot: green → blue', 'BlueWeight: 0 → 100', 'GreenWeight: 100 → 0']);
    expect(liveAmiIn(parameters(recorded))).toBe(BASE);
    expect(valid(recorded)).toEqual([]);
  });

  it('a replace-shape file takes the stack\'s AMI line only', () => {
    expect(diff(GOOD_PARAMETERS, setStackStateInFile(GOOD_PARAMETERS, { AmazonMachineImage: NEW, InstanceType: 't3.large' }, FILE))).toEqual([`AmazonMachineImage: ${BASE} → ${NEW}`]);
  });

  it('refuses a stack that names no AMI', () => {
    expect(() => setStackStateInFile(GOOD_PARAMETERS, { InstanceType: 't3.micro' }, FILE)).toThrow(/the stack names no AMI/);
  });
});
