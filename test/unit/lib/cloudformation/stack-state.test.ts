import { CloudFormationClient, DescribeStackResourcesCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

import { classifyStackStatus, waitForStackReady } from '../../../../actions/lib/cloudformation/stack-state';
import { AwsOperationError, InputError, PollTimeoutError } from '../../../../actions/lib/errors';
import { makeDeps, STACK, stack, throttling, validationError } from './fixtures';

const cfn = mockClient(CloudFormationClient);
beforeEach(() => cfn.reset());

const input = { stackName: STACK, timeoutMs: 10 * 60_000, parametersFile: 'parameters/dev.json', templateFile: 'templates/app.yaml' };

describe('classifyStackStatus', () => {
  it.each([
    ['CREATE_COMPLETE', 'ready'],
    ['UPDATE_COMPLETE', 'ready'],
    ['UPDATE_ROLLBACK_COMPLETE', 'ready'],
    ['IMPORT_COMPLETE', 'ready'],
    ['UPDATE_IN_PROGRESS', 'busy'],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'busy'],
    ['UPDATE_ROLLBACK_IN_PROGRESS', 'busy'],
    ['UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'busy'],
    ['CREATE_IN_PROGRESS', 'busy'],
    ['UPDATE_ROLLBACK_FAILED', 'continue-rollback'],
    ['IMPORT_ROLLBACK_FAILED', 'continue-rollback'],
    ['REVIEW_IN_PROGRESS', 'not-updatable'],
    ['ROLLBACK_COMPLETE', 'not-updatable'],
    ['ROLLBACK_IN_PROGRESS', 'not-updatable'],
    ['CREATE_FAILED', 'not-updatable'],
    ['DELETE_IN_PROGRESS', 'not-updatable'],
  ])('%s is %s', (status, readiness) => {
    expect(classifyStackStatus(status)).toBe(readiness);
  });
});

describe('waitForStackReady', () => {
  it('returns a ready stack after one DescribeStacks', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    const deps = makeDeps();
    const snapshot = await waitForStackReady(input, deps);
    expect(snapshot.status).toBe('UPDATE_COMPLETE');
    expect(snapshot.parameters.AmazonMachineImage).toBe('ami-0aaaaaaaaaaaaaaa1');
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
    expect(deps.clock.sleeps).toEqual([]);
  });

  it('waits while another deployment runs, then goes on (busy then free)', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack('UPDATE_IN_PROGRESS')] })
      .resolvesOnce({ Stacks: [stack('UPDATE_IN_PROGRESS')] })
      .resolvesOnce({ Stacks: [stack('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS')] })
      .resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    const deps = makeDeps();
    const snapshot = await waitForStackReady(input, deps);
    expect(snapshot.status).toBe('UPDATE_COMPLETE');
    expect(deps.logger.text()).toContain('another operation is running');
    expect(deps.logger.text()).toContain('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS → UPDATE_COMPLETE');
  });

  it('rides out throttling while waiting', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack('UPDATE_IN_PROGRESS')] })
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    const deps = makeDeps();
    await expect(waitForStackReady(input, deps)).resolves.toMatchObject({ status: 'UPDATE_COMPLETE' });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 4);
  });

  it('refuses when the stack stays busy past the timeout, naming the status', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_ROLLBACK_IN_PROGRESS')] });
    const deps = makeDeps();
    const error = await waitForStackReady({ ...input, timeoutMs: 2 * 60_000 }, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect((error as Error).message).toMatch(/^Update refused for stack patch-dev-app: it stayed busy \(UPDATE_ROLLBACK_IN_PROGRESS\) for 2 min/);
    expect((error as Error).message).toContain('Nothing was changed.');
    // One DescribeStacks per 5 s at most once settled.
    expect(Math.max(...deps.clock.sleeps)).toBeLessThanOrEqual(5_000);
  });

  it('refuses UPDATE_ROLLBACK_FAILED with the continue-update-rollback command and the resources to skip', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_ROLLBACK_FAILED', { reason: 'The following resource(s) failed to update: [AppAutoScalingGroup].' })] });
    cfn.on(DescribeStackResourcesCommand).resolves({
      StackResources: [
        { LogicalResourceId: 'AppLaunchTemplate', ResourceType: 'AWS::EC2::LaunchTemplate', ResourceStatus: 'UPDATE_COMPLETE', Timestamp: new Date() },
        {
          LogicalResourceId: 'AppAutoScalingGroup',
          ResourceType: 'AWS::AutoScaling::AutoScalingGroup',
          ResourceStatus: 'UPDATE_FAILED',
          ResourceStatusReason: 'Group patch-dev-app-AppAsg-old not found',
          Timestamp: new Date(),
        },
      ],
    });
    const error = await waitForStackReady(input, makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    const message = (error as Error).message;
    expect(message).toContain('it is UPDATE_ROLLBACK_FAILED');
    expect(message).toContain('`aws cloudformation continue-update-rollback --stack-name patch-dev-app`');
    expect(message).toContain('`--resources-to-skip AppAutoScalingGroup`');
    expect(message).toContain('AppAutoScalingGroup (Group patch-dev-app-AppAsg-old not found)');
    expect(message).toContain('Nothing was changed.');
    expect((error as AwsOperationError).status).toBe('UPDATE_ROLLBACK_FAILED');
  });

  it.each(['ROLLBACK_COMPLETE', 'REVIEW_IN_PROGRESS', 'DELETE_IN_PROGRESS'])('refuses %s with delete-then-create commands', async (status) => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack(status)] });
    const error = await waitForStackReady(input, makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as Error).message).toContain(`it is ${status}`);
    expect((error as Error).message).toContain('aws cloudformation delete-stack --stack-name patch-dev-app');
    expect((error as Error).message).toContain(
      'aws cloudformation deploy --stack-name patch-dev-app --template-file templates/app.yaml --parameter-overrides file://parameters/dev.json --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM --role-arn <CloudFormationRoleArn output of the github-oidc stack>',
    );
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
  });

  it('refuses a missing stack as an input error saying how to create it', async () => {
    cfn.on(DescribeStacksCommand).rejects(validationError('Stack with id patch-dev-app does not exist'));
    const error = await waitForStackReady({ ...input, templateFile: undefined }, makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/^Update refused for stack patch-dev-app: no stack of that name exists/);
    expect((error as Error).message).toContain('--template-file templates/app.yaml --parameter-overrides file://parameters/dev.json');
  });

  it('refuses when a busy stack ends in UPDATE_ROLLBACK_FAILED while waiting', async () => {
    cfn.on(DescribeStacksCommand).resolvesOnce({ Stacks: [stack('UPDATE_ROLLBACK_IN_PROGRESS')] }).resolves({ Stacks: [stack('UPDATE_ROLLBACK_FAILED')] });
    cfn.on(DescribeStackResourcesCommand).resolves({ StackResources: [] });
    const error = await waitForStackReady(input, makeDeps()).catch((e: unknown) => e);
    expect((error as Error).message).toContain('--resources-to-skip <LogicalId of each UPDATE_FAILED resource>');
  });
});
