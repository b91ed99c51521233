import { InputError } from '../../../actions/lib/errors';
import { parseParametersFile } from '../../../actions/lib/parameters/parameters-file';
import { setParameterInFile } from '../../../actions/lib/parameters/set-parameter';
import { GOOD_PARAMETERS } from './fixtures';

const OLD_AMI = 'ami-0d27e0fb3bac4d724';
const NEW_AMI = 'ami-0123456789abcdef0';

/** The lines that differ between two texts (same line count required), as [line number, before, after]. */
function changedLines(before: string, after: string): [number, string, string][] {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b).toHaveLength(a.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [[i + 1, line, b[i]] as [number, string, string]]));
}

describe('setParameterInFile', () => {
  it('changes exactly the one line of the key, and the result loads with the new value', () => {
    const after = setParameterInFile(GOOD_PARAMETERS, 'AmazonMachineImage', NEW_AMI, 'parameters/dev.json');
    expect(changedLines(GOOD_PARAMETERS, after)).toEqual([[4, `    "AmazonMachineImage": "${OLD_AMI}",`, `    "AmazonMachineImage": "${NEW_AMI}",`]]);
    expect(parseParametersFile(after, 'parameters/dev.json').parameters.AmazonMachineImage).toBe(NEW_AMI);
  });

  it.each([
    ['tabs and odd spacing', '{\n\t"Parameters" : {\n\t\t"AmazonMachineImage"  :   "ami-0d27e0fb3bac4d724" ,\n\t\t"InstanceType":"t3.micro"\n\t}\n}'],
    ['CRLF line endings', '{\r\n  "Parameters": {\r\n    "AmazonMachineImage": "ami-0d27e0fb3bac4d724"\r\n  }\r\n}\r\n'],
    ['the key last, no trailing comma', '{\n  "Tags": {"A": "b"},\n  "Parameters": {\n    "X": "y",\n    "AmazonMachineImage": "ami-0d27e0fb3bac4d724"\n  }\n}\n'],
  ])('preserves every other byte with %s', (_name, before) => {
    const after = setParameterInFile(before, 'AmazonMachineImage', NEW_AMI);
    expect(changedLines(before, after)).toHaveLength(1);
    expect(after).toBe(before.replace(OLD_AMI, NEW_AMI));
  });

  it('escapes the value so the line stays one line of valid JSON', () => {
    const after = setParameterInFile(GOOD_PARAMETERS, 'InstanceType', 'a "quoted"\nvalue\\', 'p.json');
    expect(changedLines(GOOD_PARAMETERS, after)).toHaveLength(1);
    expect(parseParametersFile(after, 'p.json').parameters.InstanceType).toBe('a "quoted"\nvalue\\');
  });

  it('returns the text unchanged when the value is already set', () => {
    expect(setParameterInFile(GOOD_PARAMETERS, 'AmazonMachineImage', OLD_AMI)).toBe(GOOD_PARAMETERS);
  });

  it('only looks in Parameters, never at a tag of the same name', () => {
    const text = '{\n  "Tags": {\n    "AmazonMachineImage": "ami-0d27e0fb3bac4d724"\n  },\n  "Parameters": {\n    "AmazonMachineImage": "ami-0d27e0fb3bac4d724"\n  }\n}\n';
    expect(changedLines(text, setParameterInFile(text, 'AmazonMachineImage', NEW_AMI))).toEqual([
      [6, `    "AmazonMachineImage": "${OLD_AMI}"`, `    "AmazonMachineImage": "${NEW_AMI}"`],
    ]);
  });

  it.each([
    ['the key is absent', GOOD_PARAMETERS, 'KeyName', 2, 'Cannot set Parameters.KeyName for parameters/dev.json: the key is not in the file. Add a line "KeyName": "…" under Parameters by hand (the rewrite only changes existing lines), then run again.'],
    ['the whole file is on one line', `{"Parameters": {"AmazonMachineImage": "${OLD_AMI}"}}`, 'AmazonMachineImage', 1, 'Cannot set Parameters.AmazonMachineImage for parameters/dev.json: the file is not in one-key-per-line shape (line 1 does not hold exactly one "Key": "value" pair), so the change would not be a one-line diff. Reformat it with one key per line (`jq . parameters/dev.json` prints that shape), commit that, then run again.'],
    ['two keys share a line', `{\n  "Parameters": {\n    "A": "b", "AmazonMachineImage": "${OLD_AMI}"\n  }\n}\n`, 'AmazonMachineImage', 3, 'line 3 does not hold exactly one "Key": "value" pair'],
    ['a pair spans two lines', `{\n  "Parameters": {\n    "AmazonMachineImage":\n      "${OLD_AMI}"\n  }\n}\n`, 'AmazonMachineImage', 3, 'line 3 does not hold exactly one'],
    ['another pair shares the closing brace', `{\n  "Parameters": {\n    "AmazonMachineImage": "${OLD_AMI}",\n    "A": "b"}\n}\n`, 'AmazonMachineImage', 4, 'line 4 does not hold exactly one'],
    ['the current value is not a string', '{\n  "Parameters": {\n    "DesiredCapacity": 2\n  }\n}\n', 'DesiredCapacity', 3, 'Cannot set Parameters.DesiredCapacity for parameters/dev.json: its current value is not a string (line 3). Write it as a string first, e.g. "DesiredCapacity": "…".'],
    ['the key appears twice', `{\n  "Parameters": {\n    "AmazonMachineImage": "${OLD_AMI}",\n    "AmazonMachineImage": "${OLD_AMI}"\n  }\n}\n`, 'AmazonMachineImage', 4, 'the key appears 2 times. Delete all but one of them.'],
    ['there is no Parameters object', '{\n  "Tags": {}\n}\n', 'AmazonMachineImage', 1, 'the file has no "Parameters" object. Fix the file first (see docs/parameters.md).'],
    ['the JSON is invalid', '{\n  "Parameters": {\n    "AmazonMachineImage": "x",\n  }\n}\n', 'AmazonMachineImage', 4, "Parameters file is not valid JSON for parameters/dev.json: line 4, column 3: trailing comma before '}'"],
  ])('refuses when %s, and names the line', (_name, text, key, line, message) => {
    let error: unknown;
    try {
      setParameterInFile(text, key, NEW_AMI, 'parameters/dev.json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain(message);
    expect((error as InputError).location).toMatchObject({ file: 'parameters/dev.json', line });
  });

  it('refuses a value that is not a string (callers in plain JS)', () => {
    expect(() => setParameterInFile(GOOD_PARAMETERS, 'DesiredCapacity', 3 as unknown as string, 'p.json')).toThrow(
      'Cannot set Parameters.DesiredCapacity for p.json: the new value is number, not a string. Pass the value as a string.',
    );
  });
});
