import { FileProblemsError } from '../../../actions/lib/parameters/file-problems';
import { parseParametersFile } from '../../../actions/lib/parameters/parameters-file';
import { parseTemplateParameters } from '../../../actions/lib/parameters/template-parameters';
import { findParameterProblems, validateParameters } from '../../../actions/lib/parameters/validate';
import { APP_TEMPLATE, GOOD_PARAMETERS } from './fixtures';

const LIST_TEMPLATE = `Parameters:
  Zones: { Type: CommaDelimitedList, Default: '', AllowedValues: [a, b, c] }
  Names: { Type: CommaDelimitedList, Default: '', AllowedPattern: '[a-z]+' }
  Ports: { Type: 'List<Number>', Default: '80' }
  Subnets: { Type: 'List<AWS::EC2::Subnet::Id>', Default: '' }
  Vpc: { Type: 'AWS::EC2::VPC::Id', Default: 'vpc-01234567' }
  Secret: { Type: String, NoEcho: true, Default: 'x', MinLength: 12 }
  Ratio: { Type: Number, Default: '0.5', MaxValue: 1 }
`;

/** The problem messages for one parameter set against LIST_TEMPLATE. */
function problemsFor(parameters: Record<string, string>): string[] {
  const file = parseParametersFile(JSON.stringify({ Parameters: parameters }, null, 2), 'p.json');
  return findParameterProblems(file, parseTemplateParameters(LIST_TEMPLATE, 't.yaml')).map((p) => p.message);
}

describe('validateParameters', () => {
  it('accepts the fixture parameters against the fixture template', () => {
    expect(() => validateParameters(parseParametersFile(GOOD_PARAMETERS, 'p.json'), parseTemplateParameters(APP_TEMPLATE, 't.yaml'))).not.toThrow();
  });

  it.each([
    ['a CommaDelimitedList whose items are all allowed', { Zones: 'a,c' }, []],
    ['an empty list', { Zones: '', Subnets: '' }, []],
    ['a CommaDelimitedList item outside AllowedValues', { Zones: 'a,d' }, ['Zones item 2 of 2 = "d" is not one of the AllowedValues of t.yaml: a, b, c. Use one of them.']],
    ['a doubled comma', { Zones: 'a,,b' }, ['Zones = "a,,b" has an empty item at position 2 (a doubled or trailing comma). Remove it.']],
    ['a CommaDelimitedList item against AllowedPattern', { Names: 'web,Api' }, ['Names item 2 of 2 = "Api" does not match the AllowedPattern [a-z]+ of t.yaml. Change the value to match.']],
    ['a List<Number> item that is not a number', { Ports: '80,http' }, ['Ports item 2 of 2 = "http" is not a number, and t.yaml declares Ports as List<Number>. Write digits, e.g. "2".']],
    ['a List<AWS::EC2::Subnet::Id> item of the wrong shape', { Subnets: 'subnet-0123456789abcdef0,sg-01234567' }, [
      'Subnets item 2 of 2 = "sg-01234567" is not a subnet ID ("subnet-" followed by 8 or 17 lowercase hex digits, e.g. subnet-0123456789abcdef0). Use the ID itself, not a name or an ARN.',
    ]],
    ['an 8-digit VPC ID', { Vpc: 'vpc-0a1b2c3d' }, []],
    ['a VPC ID with 9 digits', { Vpc: 'vpc-0a1b2c3d4' }, ['Vpc = "vpc-0a1b2c3d4" is not a VPC ID ("vpc-" followed by 8 or 17 lowercase hex digits, e.g. vpc-0123456789abcdef0). Use the ID itself, not a name or an ARN.']],
    ['a decimal Number within range', { Ratio: '0.25' }, []],
    ['a Number with an exponent over MaxValue', { Ratio: '1e3' }, ['Ratio = "1e3" is outside the range −∞ to 1 (MinValue/MaxValue) of t.yaml. Use a value in that range.']],
    ['a NoEcho value, which is never repeated', { Secret: 'hunter2' }, ['Secret = (NoEcho value hidden) is 7 characters; t.yaml requires at least 12 (MinLength). Change the value.']],
  ])('%s', (_name, parameters, expected) => {
    expect(problemsFor(parameters)).toEqual(expected);
  });

  it('never prints a NoEcho value', () => {
    expect(problemsFor({ Secret: 'hunter2' }).join('\n')).not.toContain('hunter2');
  });

  it('throws one FileProblemsError whose location is the first problem', () => {
    const file = parseParametersFile('{\n  "Parameters": {\n    "Zones": "z",\n    "Ports": "x"\n  }\n}\n', 'parameters/x.json');
    let error: unknown;
    try {
      validateParameters(file, parseTemplateParameters(LIST_TEMPLATE, 't.yaml'));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FileProblemsError);
    expect((error as FileProblemsError).location).toMatchObject({ file: 'parameters/x.json', line: 3 });
    expect((error as FileProblemsError).problems.map((p) => p.line)).toEqual([3, 4]);
  });

  it('reports an AllowedPattern that JavaScript cannot compile instead of crashing', () => {
    const template = parseTemplateParameters("Parameters:\n  A: { Type: String, AllowedPattern: '[a-' }\n", 't.yaml');
    const file = parseParametersFile('{"Parameters": {"A": "x"}}', 'p.json');
    expect(findParameterProblems(file, template)[0].message).toMatch(/^the AllowedPattern of A in t\.yaml is not a regular expression this check can run \(.+\)\. Fix the pattern in the template\.$/);
  });
});
