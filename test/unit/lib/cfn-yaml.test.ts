import { parseCfnTemplate, parseCfnTemplateSource } from '../../../actions/lib/cfn-yaml';
import { InputError } from '../../../actions/lib/errors';

describe('parseCfnTemplate', () => {
  it.each([
    ['!Ref scalar', 'V: !Ref AmazonMachineImage', { Ref: 'AmazonMachineImage' }],
    ['!Condition', 'V: !Condition HasCertificate', { Condition: 'HasCertificate' }],
    ['!GetAtt dotted string, split at the first dot', 'V: !GetAtt Db.Endpoint.Address', { 'Fn::GetAtt': ['Db', 'Endpoint.Address'] }],
    ['!GetAtt sequence', 'V: !GetAtt [Lt, LatestVersionNumber]', { 'Fn::GetAtt': ['Lt', 'LatestVersionNumber'] }],
    ['!Sub scalar', "V: !Sub 'arn:${AWS::Partition}:s3:::b'", { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b' }],
    ['!Sub list with a nested !Ref', "V: !Sub ['${A}-x', { A: !Ref B }]", { 'Fn::Sub': ['${A}-x', { A: { Ref: 'B' } }] }],
    ['!If with nested tags', "V: !If [C, !Ref X, !Ref 'AWS::NoValue']", { 'Fn::If': ['C', { Ref: 'X' }, { Ref: 'AWS::NoValue' }] }],
    ['!Base64 over a long-form map', 'V: !Base64 { "Fn::Sub": "x" }', { 'Fn::Base64': { 'Fn::Sub': 'x' } }],
    ['!Select over !GetAZs', "V: !Select [0, !GetAZs '']", { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }],
    ['!ImportValue over !Sub', "V: !ImportValue { 'Fn::Sub': '${N}-VpcId' }", { 'Fn::ImportValue': { 'Fn::Sub': '${N}-VpcId' } }],
    ['!Equals inside !Not', "V: !Not [!Equals [!Ref A, '']]", { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'A' }, ''] }] }],
    ['!Join, !Split, !FindInMap, !Cidr', 'V: [!Join [",", [a]], !Split [",", "a,b"], !FindInMap [M, K, V], !Cidr [10.0.0.0/16, 4, 8]]', [
      { 'Fn::Join': [',', ['a']] },
      { 'Fn::Split': [',', 'a,b'] },
      { 'Fn::FindInMap': ['M', 'K', 'V'] },
      { 'Fn::Cidr': ['10.0.0.0/16', 4, 8] },
    ]],
    ['a block !Sub keeps its newlines', 'V: !Sub |\n  echo ${X}\n  done\n', { 'Fn::Sub': 'echo ${X}\ndone\n' }],
    ['the template version stays a string (YAML 1.2 core schema)', 'V: 2010-09-09', '2010-09-09'],
  ])('reads %s', (_name, text, expected) => {
    expect((parseCfnTemplate(text, 't.yaml') as { V: unknown }).V).toEqual(expected);
  });

  it('reads a JSON template too (JSON is YAML)', () => {
    expect(parseCfnTemplate('{"Parameters": {"A": {"Type": "String"}}}', 't.json')).toEqual({ Parameters: { A: { Type: 'String' } } });
  });

  it.each([
    ['a duplicate key', 'A: 1\nB: 2\nA: 3\n', 3, 'Map keys must be unique'],
    ['an unknown tag', 'A: 1\nB: !Reff X\n', 2, 'Unresolved tag: !Reff'],
    ['broken indentation', 'A:\n  - 1\n - 2\n', 3, ''],
  ])('refuses %s with an InputError at its line', (_name, text, line, why) => {
    let error: unknown;
    try {
      parseCfnTemplate(text, 'templates/app.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    const { message, location } = error as InputError;
    expect(message).toMatch(new RegExp(`^CloudFormation template unreadable for templates/app\\.yaml: line ${line}, column \\d+: `));
    expect(message).toContain(why);
    expect(message).toMatch(/Fix the YAML there \(cfn-lint templates\/app\.yaml points at the same spot\)\.$/);
    expect(location).toMatchObject({ file: 'templates/app.yaml', line });
  });

  it('says on which line a key sits, or its closest existing ancestor', () => {
    const source = parseCfnTemplateSource('A: 1\nParameters:\n  X:\n    Type: String\n  Y: { Type: Number }\n', 't.yaml');
    expect(source.lineOf(['Parameters', 'X'])).toBe(3);
    expect(source.lineOf(['Parameters', 'Y', 'Type'])).toBe(5);
    expect(source.lineOf(['Parameters', 'Nope'])).toBe(2);
    expect(source.lineOf(['Nothing'])).toBe(1);
  });
});
