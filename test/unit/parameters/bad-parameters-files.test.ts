/**
 * The catalogue of bad parameters files (issue 2 "Done when", issue 6 "Bad inputs"): each kind
 * produces its promised message (file, line, key, value, fix), as one InputError.
 */
import { InputError } from '../../../actions/lib/errors';
import { FileProblemsError } from '../../../actions/lib/parameters/file-problems';
import { loadValidatedParametersFile } from '../../../actions/lib/parameters/validate';
import { APP_TEMPLATE, scratchDir } from './fixtures';

/** A parameters file whose Parameters block is `body` (lines of `"Key": "value"`), one key per line. */
const withParameters = (...lines: string[]) => `{\n  "Parameters": {\n${lines.map((l) => `    ${l}`).join(',\n')}\n  }\n}\n`;
const REQUIRED = ['"NetworkStackName": "patch-dev-network"', '"AmazonMachineImage": "ami-0d27e0fb3bac4d724"'];

interface Case {
  kind: string;
  /** File content; undefined = the file does not exist. */
  content: string | Buffer | undefined;
  line: number;
  parts: string[];
}

const F = 'parameters/dev.json';
const T = 'templates/app.yaml';

const cases: Case[] = [
  { kind: 'missing file', content: undefined, line: 1, parts: [`Parameters file invalid for ${F}: no such file. Check the path (parametersFile in parameters/environments.json, or the parameters-file input)`] },
  { kind: 'empty file', content: ' \n\n', line: 1, parts: [`Parameters file invalid for ${F}: the file is empty. Write {"Parameters": {"AmazonMachineImage": "ami-…", …}} with one key per line (see docs/parameters.md).`] },
  { kind: 'oversized file', content: `{"Parameters": {"X": "${'a'.repeat(70_000)}"}}`, line: 1, parts: [`Parameters file invalid for ${F}: 70025 bytes, over the 65536-byte (64 KiB) limit. This file holds a few short strings: check that the path names the right file.`] },
  { kind: 'binary file', content: Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]), line: 1, parts: [`Parameters file invalid for ${F}: the file is not UTF-8 text. Save it as UTF-8 JSON.`] },
  { kind: 'invalid JSON: trailing comma', content: '{\n  "Parameters": {\n    "A": "b",\n  }\n}\n', line: 4, parts: [`Parameters file is not valid JSON for ${F}: line 4, column 3: trailing comma before '}' (JSON allows none). Fix the syntax there (\`jq . ${F}\` shows the same spot).`] },
  { kind: 'invalid JSON: missing comma', content: '{\n  "Parameters": {\n    "A": "b"\n    "C": "d"\n  }\n}\n', line: 4, parts: [`line 4, column 5: expected ',' between entries.`] },
  { kind: 'invalid JSON: comment', content: '{\n  // dev\n  "Parameters": {}\n}\n', line: 2, parts: ['line 2, column 3: comments are not allowed in JSON.'] },
  { kind: 'invalid JSON: single quotes', content: "{\n  'Parameters': {}\n}\n", line: 2, parts: ['line 2, column 3: unexpected character (JSON strings and keys take double quotes'] },
  { kind: 'invalid JSON: unterminated', content: '{\n  "Parameters": {\n    "A": "b"\n', line: 4, parts: ["expected '}' (an object is not closed)."] },
  { kind: 'invalid JSON: byte-order mark', content: '\ufeff{"Parameters": {}}', line: 1, parts: ['line 1, column 1: the file starts with a byte-order mark; save it as UTF-8 without BOM.'] },
  { kind: 'wrong shape: top level is an array', content: '[\n  "NetworkStackName=patch-dev-network"\n]\n', line: 1, parts: [`Parameters file invalid for ${F}: the top level is an array, not an object. Write {"Parameters": {"Key": "value", …}, "Tags": {…}} (see docs/parameters.md).`] },
  { kind: 'wrong shape: no Parameters', content: '{\n  "Tags": {}\n}\n', line: 1, parts: [`Parameters file invalid for ${F}: line 1: there is no "Parameters" object. Put the values under "Parameters": {"AmazonMachineImage": "ami-…", …}.`] },
  { kind: 'wrong shape: misspelt section', content: withParameters(...REQUIRED).replace('}\n}\n', '},\n  "Tag": {}\n}\n'), line: 6, parts: ['line 6: unknown top-level key "Tag": only "Parameters" and "Tags" belong here. Rename it to "Tags".'] },
  { kind: 'wrong shape: StackPolicy', content: withParameters(...REQUIRED).replace('}\n}\n', '},\n  "StackPolicy": {"Statement": []}\n}\n'), line: 6, parts: ['"StackPolicy" is not supported in a parameters file', 'set the policy on the stack (aws cloudformation set-stack-policy).'] },
  { kind: 'wrong shape: Parameters is a list', content: '{\n  "Parameters": [\n    {"ParameterKey": "A", "ParameterValue": "b"}\n  ]\n}\n', line: 2, parts: ['line 2: "Parameters" is an array, not an object. Write "Parameters": {"Key": "value", …}.'] },
  { kind: 'non-string value: number', content: withParameters(...REQUIRED, '"DesiredCapacity": 2'), line: 5, parts: ['line 5: Parameters.DesiredCapacity is the number 2, not a string; CloudFormation parameter values are strings. Write "2" in quotes.'] },
  { kind: 'non-string value: list', content: withParameters(...REQUIRED, '"InstanceType": ["t3.micro"]'), line: 5, parts: ['Parameters.InstanceType is an array, not a string. Write a list as one comma-separated string, e.g. "t3.micro".'] },
  { kind: 'non-string value: null', content: withParameters(...REQUIRED, '"CertificateArn": null'), line: 5, parts: ['Parameters.CertificateArn is null, not a string. Write "" for an empty value, or remove the key'] },
  { kind: 'non-string tag value', content: `{\n  "Parameters": {\n    ${REQUIRED.join(',\n    ')}\n  },\n  "Tags": {\n    "CostCenter": 42\n  }\n}\n`, line: 7, parts: ['line 7: Tags.CostCenter is the number 42, not a string; CloudFormation tag values are strings. Write "42" in quotes.'] },
  { kind: 'reserved tag key', content: `{\n  "Parameters": {\n    ${REQUIRED.join(',\n    ')}\n  },\n  "Tags": {\n    "aws:team": "x"\n  }\n}\n`, line: 7, parts: ['tag key "aws:team" uses the "aws:" prefix, which AWS reserves for itself. Rename the tag.'] },
  { kind: 'duplicate key', content: withParameters(...REQUIRED, '"AmazonMachineImage": "ami-0123456789abcdef0"'), line: 5, parts: ['line 5: key "AmazonMachineImage" appears twice in Parameters (first on line 4); JSON readers silently keep the last one. Delete one of the two lines.'] },
  { kind: 'unknown key', content: withParameters(...REQUIRED, '"InstanceTyp": "t3.micro"'), line: 5, parts: [`line 5: unknown parameter "InstanceTyp": ${T} declares no such parameter. Rename it to "InstanceType".`] },
  { kind: 'unknown key, nothing close', content: withParameters(...REQUIRED, '"KeyName": "ops"'), line: 5, parts: [`unknown parameter "KeyName": ${T} declares no such parameter. Remove it, or declare it in ${T}.`] },
  { kind: 'missing required key', content: withParameters(REQUIRED[1]), line: 2, parts: [`line 2: missing parameter "NetworkStackName": ${T} gives it no Default, so CloudFormation needs a value. Add "NetworkStackName": "…" under Parameters.`] },
  { kind: 'malformed AMI ID: too short', content: withParameters(REQUIRED[0], '"AmazonMachineImage": "ami-12345"'), line: 4, parts: ['line 4: AmazonMachineImage = "ami-12345" is not an AMI ID ("ami-" followed by 8 or 17 lowercase hex digits, e.g. ami-0123456789abcdef0). Use the ami-id output of build-ami'] },
  { kind: 'malformed AMI ID: upper case', content: withParameters(REQUIRED[0], '"AmazonMachineImage": "ami-0D27E0FB3BAC4D724"'), line: 4, parts: ['AmazonMachineImage = "ami-0D27E0FB3BAC4D724" is not an AMI ID'] },
  { kind: 'malformed AMI ID: a name, not an ID', content: withParameters(REQUIRED[0], '"AmazonMachineImage": "al2023-ami-2023.12.20260930.0-kernel-6.18-x86_64"'), line: 4, parts: ['"al2023-ami-2023.12.20260930.0-kernel-6.18-x86_64" is not an AMI ID'] },
  { kind: 'AllowedValues violation', content: withParameters(...REQUIRED, '"InstanceType": "t2.micro"'), line: 5, parts: [`line 5: InstanceType = "t2.micro" is not one of the AllowedValues of ${T}: t3.micro, t3.small, t3.medium, m7i.large. Did you mean "t3.micro"? Use one of them.`] },
  { kind: 'AllowedPattern violation', content: withParameters(...REQUIRED, '"AllowedIngressCidr": "10.0.0.0/33"'), line: 5, parts: [`line 5: AllowedIngressCidr = "10.0.0.0/33" does not match the AllowedPattern (\\d{1,3}\\.){3}\\d{1,3}/(\\d|[12]\\d|3[0-2]) of ${T}. Change the value to match.`] },
  { kind: 'AllowedPattern with ConstraintDescription', content: withParameters('"NetworkStackName": "1-network"', REQUIRED[1]), line: 3, parts: [`NetworkStackName = "1-network" does not match the AllowedPattern [A-Za-z][A-Za-z0-9-]{0,127} of ${T} (the template says: must be a CloudFormation stack name). Change the value to match.`] },
  { kind: 'AllowedPattern matches the whole value', content: withParameters(...REQUIRED, '"SignalTimeout": "PT10M and more"'), line: 5, parts: ['SignalTimeout = "PT10M and more" does not match the AllowedPattern'] },
  { kind: 'Number type', content: withParameters(...REQUIRED, '"DesiredCapacity": "two"'), line: 5, parts: [`line 5: DesiredCapacity = "two" is not a number, and ${T} declares DesiredCapacity as Number. Write digits, e.g. "2".`] },
  { kind: 'MinValue', content: withParameters(...REQUIRED, '"DesiredCapacity": "0"'), line: 5, parts: [`DesiredCapacity = "0" is outside the range 1 to 10 (MinValue/MaxValue) of ${T}. Use a value in that range.`] },
  { kind: 'MaxValue', content: withParameters(...REQUIRED, '"MinSuccessfulInstancesPercent": "101"'), line: 5, parts: ['MinSuccessfulInstancesPercent = "101" is outside the range 0 to 100'] },
  { kind: 'MaxLength', content: withParameters(...REQUIRED, `"HealthCheckPath": "/${'x'.repeat(70)}"`), line: 5, parts: [`HealthCheckPath = "/${'x'.repeat(70)}" is 71 characters; ${T} requires at most 64 (MaxLength). Change the value.`] },
  { kind: 'MinLength', content: withParameters(...REQUIRED, '"HealthCheckPath": ""'), line: 5, parts: [`HealthCheckPath = "" is 0 characters; ${T} requires at least 1 (MinLength). Change the value.`] },
];

describe('bad parameters files', () => {
  const dir = scratchDir();
  const template = dir.write(T, APP_TEMPLATE);
  afterAll(() => dir.remove());

  it('the table covers at least 25 kinds', () => {
    expect(new Set(cases.map((c) => c.kind)).size).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('$kind', async ({ kind, content, line, parts }) => {
    const file = `${dir.root}/cases/${kind.replace(/[^a-z0-9]+/gi, '-')}/${F}`;
    if (content !== undefined) dir.write(file.slice(dir.root.length + 1), content);
    const error = await loadValidatedParametersFile(file, template).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InputError);
    const { message, location } = error as InputError;
    // Messages name the file as given; here it is the scratch path, so compare with it swapped back.
    const shown = message.split(file).join(F).split(template).join(T);
    for (const part of parts) expect(shown).toContain(part);
    expect(shown).toMatch(new RegExp(`^Parameters file (invalid|is not valid JSON) for ${F.replace('.', '\\.')}: `));
    expect(shown).toMatch(/\.$/);
    expect(location).toMatchObject({ file, line });
  });

  it('reports every problem of a file in one error, sorted by line, each with its own line', async () => {
    const file = dir.write(
      'many/dev.json',
      withParameters('"AmazonMachineImage": "ami-bad"', '"InstanceType": "t2.micro"', '"DesiredCapacity": 3', '"Bogus": "x"').replace('}\n}\n', '},\n  "StackPolicy": {}\n}\n'),
    );
    const error = (await loadValidatedParametersFile(file, template).catch((e: unknown) => e)) as FileProblemsError;
    expect(error).toBeInstanceOf(FileProblemsError);
    expect(error.problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6, 8]);
    expect(error.message).toMatch(new RegExp(`^Parameters file invalid for ${file}: 6 problems, each with its fix:\n- line 2: missing parameter "NetworkStackName"`));
    expect(error.message).toContain('\n- line 3: AmazonMachineImage = "ami-bad" is not an AMI ID');
    expect(error.message).toContain('\n- line 4: InstanceType = "t2.micro" is not one of the AllowedValues');
    expect(error.message).toContain('\n- line 5: Parameters.DesiredCapacity is the number 3, not a string');
    expect(error.message).toContain('\n- line 6: unknown parameter "Bogus"');
    expect(error.message).toContain('\n- line 8: "StackPolicy" is not supported');
    expect(error.location).toEqual({ file, line: 2, column: undefined });
  });

  it('does not report a non-string key a second time as missing', async () => {
    const file = dir.write('nonstring/dev.json', withParameters('"NetworkStackName": 7', REQUIRED[1]));
    const error = (await loadValidatedParametersFile(file, template).catch((e: unknown) => e)) as FileProblemsError;
    expect(error.problems).toHaveLength(1);
    expect(error.message).toContain('Parameters.NetworkStackName is the number 7');
  });

  it('accepts a good file and returns its values and lines', async () => {
    const file = dir.write('good/dev.json', withParameters(...REQUIRED, '"InstanceType": "m7i.large"', '"CertificateArn": ""'));
    const loaded = await loadValidatedParametersFile(file, template);
    expect(loaded.parameters).toEqual({
      NetworkStackName: 'patch-dev-network',
      AmazonMachineImage: 'ami-0d27e0fb3bac4d724',
      InstanceType: 'm7i.large',
      CertificateArn: '',
    });
    expect(loaded.tags).toEqual({});
    expect(loaded.lineOf('Parameters', 'InstanceType')).toBe(5);
  });

  it('fails on a missing template before judging the parameters', async () => {
    const file = dir.write('notemplate/dev.json', withParameters(...REQUIRED));
    await expect(loadValidatedParametersFile(file, `${dir.root}/templates/missing.yaml`)).rejects.toThrow(/^CloudFormation template unreadable for .*missing\.yaml: no such file\./);
  });
});
