/**
 * The helper that feeds a workflow's step inputs to actions in tests refuses what the files do not
 * declare, so a test written for an older workflow fails loudly instead of passing an input nobody
 * reads (session 8's F63: `failback-ami`, which deploy-environment.yml no longer has, recorded
 * nothing, and the test read a wrong verdict).
 */
import { workflowStepInputs } from './support/workflow-step-inputs';

const report = (ctx: Partial<Parameters<typeof workflowStepInputs>[3]>) =>
  workflowStepInputs('deploy-environment.yml', 'deploy', 'report', { inputs: { environment: 'dev' }, steps: {}, defaultBranch: 'main', ...ctx });

describe('workflowStepInputs refuses what the workflow and its actions do not declare', () => {
  it('evaluates a step whose inputs, steps and outputs all exist', () => {
    const inputs = report({ steps: { resolve: { outcome: 'success', outputs: { 'ami-id': 'ami-0123456789abcdef0' } } } });
    expect(inputs.command).toBe('deploy-report');
    expect(inputs.environment).toBe('dev');
  });

  it('names a workflow input the workflow does not declare', () => {
    expect(() => report({ inputs: { environment: 'dev', 'failback-ami': 'ami-0123456789abcdef0' } })).toThrow(
      'deploy-environment.yml: the test passes the workflow input "failback-ami", which deploy-environment.yml does not declare (it declares: environment, failback, failback-target-ami, failback-reason, requested-by). Use the workflow\'s input names.',
    );
  });

  it('names a step the job does not have', () => {
    expect(() => report({ steps: { 'check-failback': { outcome: 'success' } } })).toThrow(/^deploy-environment\.yml: the test passes the step "check-failback", which job deploy does not have \(its steps: app-token, request, /);
  });

  it("names an output the step's action does not declare", () => {
    expect(() => report({ steps: { update: { outcome: 'success', outputs: { 'new-ami-id': 'ami-0123456789abcdef0' } } } })).toThrow(
      'deploy-environment.yml: the test passes output "new-ami-id" of step update, which actions/update-app-stack/action.yml does not declare. Use the action\'s output names.',
    );
  });
});
