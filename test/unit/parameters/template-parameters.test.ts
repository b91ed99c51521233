import { InputError } from '../../../actions/lib/errors';
import { FileProblemsError } from '../../../actions/lib/parameters/file-problems';
import { parseTemplateParameters, readTemplateParameters } from '../../../actions/lib/parameters/template-parameters';
import { APP_TEMPLATE, scratchDir } from './fixtures';

describe('template parameters', () => {
  it('reads Parameters from a YAML template that uses short-form tags elsewhere', () => {
    const { parameters } = parseTemplateParameters(APP_TEMPLATE, 'templates/app.yaml');
    expect([...parameters.keys()]).toEqual([
      'NetworkStackName',
      'AmazonMachineImage',
      'InstanceType',
      'DesiredCapacity',
      'MaxSize',
      'MinSuccessfulInstancesPercent',
      'SignalTimeout',
      'CertificateArn',
      'AllowedIngressCidr',
      'HealthCheckPath',
    ]);
    expect(parameters.get('AmazonMachineImage')).toEqual({ name: 'AmazonMachineImage', type: 'AWS::EC2::Image::Id', noEcho: false });
    // Defaults and AllowedValues become strings, as CloudFormation compares them.
    expect(parameters.get('DesiredCapacity')).toMatchObject({ type: 'Number', default: '2', minValue: 1, maxValue: 10 });
    expect(parameters.get('InstanceType')).toMatchObject({ default: 't3.micro', allowedValues: ['t3.micro', 't3.small', 't3.medium', 'm7i.large'] });
    expect(parameters.get('CertificateArn')).toMatchObject({ default: '' });
    expect(parameters.get('NetworkStackName')).toMatchObject({ constraintDescription: 'must be a CloudFormation stack name' });
  });

  it('reads the same Parameters from a JSON template', () => {
    const json = JSON.stringify({ Parameters: { Size: { Type: 'Number', Default: 3, AllowedValues: [1, 3], NoEcho: 'true' } } });
    const { parameters } = parseTemplateParameters(json, 'app.json');
    expect(parameters.get('Size')).toMatchObject({ type: 'Number', default: '3', allowedValues: ['1', '3'], noEcho: true });
  });

  it('treats a template without Parameters as declaring none', () => {
    expect(parseTemplateParameters('Resources: {}\n', 't.yaml').parameters.size).toBe(0);
  });

  it('reads from disk and refuses a missing template with the path to fix', async () => {
    const dir = scratchDir();
    try {
      const file = dir.write('templates/app.yaml', APP_TEMPLATE);
      expect((await readTemplateParameters(file)).parameters.size).toBe(10);
      await expect(readTemplateParameters(`${dir.root}/templates/nope.yaml`)).rejects.toThrow(
        new InputError(
          `CloudFormation template unreadable for ${dir.root}/templates/nope.yaml: no such file. Check the template path (the appTemplate entry in parameters/environments.json or the action's template input).`,
        ),
      );
    } finally {
      dir.remove();
    }
  });

  it('reports every malformed declaration at its line', () => {
    const text = 'Parameters:\n  A:\n    Default: x\n  B: just-a-string\n  C:\n    Type: String\n    Default: !Ref A\n';
    let error: unknown;
    try {
      parseTemplateParameters(text, 't.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FileProblemsError);
    expect((error as FileProblemsError).problems.map((p) => p.line)).toEqual([2, 4, 5]);
    expect((error as Error).message).toContain('line 2: parameter A: Type is missing.');
    expect((error as Error).message).toContain('line 5: parameter C: Default is not a scalar');
  });

  it('refuses a template whose Parameters is not a mapping', () => {
    expect(() => parseTemplateParameters('Parameters: [a, b]\n', 't.yaml')).toThrow(
      'CloudFormation template invalid for t.yaml: Parameters is not a mapping. Declare each parameter as a key under Parameters.',
    );
  });
});
