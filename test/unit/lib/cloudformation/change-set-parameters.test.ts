import { planChangeSetParameters } from '../../../../actions/lib/cloudformation/change-set-parameters';
import { NEW_AMI, OLD_AMI, STACK_PARAMETERS } from './fixtures';

const names = ['NetworkStackName', 'AmazonMachineImage', 'InstanceType', 'DesiredCapacity'];

describe('planChangeSetParameters', () => {
  it('sends a changed value, and UsePreviousValue for unchanged and omitted keys', () => {
    const plan = planChangeSetParameters(names, { NetworkStackName: 'patch-dev-network', AmazonMachineImage: NEW_AMI, InstanceType: 't3.micro' }, STACK_PARAMETERS);
    expect(plan.parameters).toEqual([
      { ParameterKey: 'NetworkStackName', UsePreviousValue: true },
      { ParameterKey: 'AmazonMachineImage', ParameterValue: NEW_AMI },
      { ParameterKey: 'InstanceType', UsePreviousValue: true },
      { ParameterKey: 'DesiredCapacity', UsePreviousValue: true },
    ]);
    expect(plan.changes).toEqual([{ key: 'AmazonMachineImage', previous: OLD_AMI, next: NEW_AMI }]);
    expect(plan.keptFromStack).toEqual(['DesiredCapacity']);
  });

  it('sends nothing new when the file matches the stack', () => {
    const plan = planChangeSetParameters(names, { AmazonMachineImage: OLD_AMI }, STACK_PARAMETERS);
    expect(plan.changes).toEqual([]);
    expect(plan.parameters.every((p) => p.UsePreviousValue === true)).toBe(true);
  });

  it.each([
    ['a parameter the new template adds and the file sets', { HealthCheckPath: '/health' }, [{ ParameterKey: 'HealthCheckPath', ParameterValue: '/health' }], []],
    ['a parameter the new template adds and the file leaves out', {}, [], ['HealthCheckPath']],
  ])('%s', (_title, file, sent, defaults) => {
    const plan = planChangeSetParameters(['HealthCheckPath'], file, STACK_PARAMETERS);
    expect(plan.parameters).toEqual(sent);
    expect(plan.fromTemplateDefault).toEqual(defaults);
  });

  it('ignores stack parameters the template no longer declares', () => {
    const plan = planChangeSetParameters(['AmazonMachineImage'], { AmazonMachineImage: NEW_AMI }, STACK_PARAMETERS);
    expect(plan.parameters).toEqual([{ ParameterKey: 'AmazonMachineImage', ParameterValue: NEW_AMI }]);
  });
});
