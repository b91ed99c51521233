import { parseActionFile, readActionFile, refuseUndeclaredInputs } from '../../../local/action-file';

describe('action-file (the one reader of action.yml)', () => {
  it('reads what an action declares: inputs, outputs and its runtime', () => {
    const action = readActionFile('verify-alb');
    expect(action.path).toBe('actions/verify-alb/action.yml');
    expect(Object.keys(action.inputs)).toContain('expected-ami-id');
    expect(Object.keys(action.outputs)).toContain('healthy');
    expect(action.runs?.using).toBe('node24');
  });

  it('refuses an undeclared input by name, and only that', () => {
    const action = parseActionFile('inputs:\n  stack-name:\n    required: true\n  region:\n', 'actions/x/action.yml');
    expect(() => refuseUndeclaredInputs(action, ['stack-name', 'region'], 'the test')).not.toThrow();
    expect(() => refuseUndeclaredInputs(action, ['stack-name', 'stack'], 'the test')).toThrow(
      'the test passes the input "stack", which actions/x/action.yml does not declare (it declares: stack-name, region). Use the action\'s input names.',
    );
    // An inherited property of every object is no declared input.
    expect(() => refuseUndeclaredInputs(action, ['constructor'], 'the test')).toThrow(/"constructor"/);
  });
});
