import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

import { changeSetName, createChangeSet, deleteChangeSet, waitForChangeSet } from '../../../../actions/lib/cloudformation/change-set';
import { AwsOperationError, PollTimeoutError } from '../../../../actions/lib/errors';
import { CHANGE_SET_ARN, makeDeps, STACK, throttling, validationError } from './fixtures';

const cfn = mockClient(CloudFormationClient);
beforeEach(() => cfn.reset());

const request = { stackName: STACK, changeSetName: 'patch-1-1-x', description: 'd', parameters: [{ ParameterKey: 'A', ParameterValue: 'b' }] };

describe('changeSetName', () => {
  it.each([
    ['123456', '2', 'patch-123456-2-20260101T000000Z'],
    [undefined, undefined, 'patch-local-1-20260101T000000Z'],
    ['a_b.c', '1', 'patch-a-b-c-1-20260101T000000Z'],
  ])('run %s attempt %s → %s', (runId, attempt, expected) => {
    const name = changeSetName(runId, attempt, Date.UTC(2026, 0, 1));
    expect(name).toBe(expected);
    expect(name).toMatch(/^[A-Za-z][-A-Za-z0-9]{0,127}$/);
  });
});

describe('createChangeSet', () => {
  it('always sends ChangeSetType UPDATE, IAM capabilities, and UsePreviousTemplate without a body', async () => {
    cfn.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ARN });
    await expect(createChangeSet(request, makeDeps())).resolves.toEqual({ kind: 'created', changeSetId: CHANGE_SET_ARN });
    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, {
      ChangeSetType: 'UPDATE',
      UsePreviousTemplate: true,
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
    });
    expect(cfn.commandCalls(CreateChangeSetCommand)[0].args[0].input.TemplateBody).toBeUndefined();
  });

  it('sends the template body when one is given, and never UsePreviousTemplate with it', async () => {
    cfn.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ARN });
    await createChangeSet({ ...request, templateBody: 'Resources: {}' }, makeDeps());
    const input = cfn.commandCalls(CreateChangeSetCommand)[0].args[0].input;
    expect(input.TemplateBody).toBe('Resources: {}');
    expect(input.UsePreviousTemplate).toBeUndefined();
    expect(input.ChangeSetType).toBe('UPDATE');
  });

  it('treats "No updates are to be performed" on the call itself as no changes', async () => {
    cfn.on(CreateChangeSetCommand).rejects(validationError('No updates are to be performed.'));
    await expect(createChangeSet(request, makeDeps())).resolves.toEqual({ kind: 'no-changes', reason: 'No updates are to be performed.' });
  });

  it("turns a refused request into an AwsOperationError with CloudFormation's reason", async () => {
    cfn.on(CreateChangeSetCommand).rejects(validationError('Parameters: [NetworkStackName] must have values'));
    const error = await createChangeSet(request, makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as Error).message).toBe(
      'Change set for stack patch-dev-app could not be created: Parameters: [NetworkStackName] must have values. Fix the template or parameters file it names and re-run; the stack was not changed.',
    );
  });

  it('passes other errors through (access denied, credentials)', async () => {
    cfn.on(CreateChangeSetCommand).rejects(Object.assign(new Error('not authorized to perform: cloudformation:CreateChangeSet'), { name: 'AccessDenied' }));
    await expect(createChangeSet(request, makeDeps())).rejects.toThrow('not authorized');
  });
});

describe('waitForChangeSet', () => {
  const input = { stackName: STACK, changeSetId: CHANGE_SET_ARN, timeoutMs: 5 * 60_000 };
  const modify = (id: string) => ({ Type: 'Resource' as const, ResourceChange: { Action: 'Modify' as const, LogicalResourceId: id } });

  it('polls through pending states and throttling, and reads every page of changes', async () => {
    cfn
      .on(DescribeChangeSetCommand, { ChangeSetName: CHANGE_SET_ARN, NextToken: undefined })
      .resolvesOnce({ Status: 'CREATE_PENDING' })
      .rejectsOnce(throttling())
      .resolvesOnce({ Status: 'CREATE_IN_PROGRESS' })
      .resolves({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [modify('AppLaunchTemplate')], NextToken: 'page2' });
    cfn.on(DescribeChangeSetCommand, { NextToken: 'page2' }).resolves({ Status: 'CREATE_COMPLETE', Changes: [modify('AppAutoScalingGroup')] });
    const outcome = await waitForChangeSet(input, makeDeps());
    expect(outcome).toEqual({ kind: 'ready', executionStatus: 'AVAILABLE', changes: [modify('AppLaunchTemplate'), modify('AppAutoScalingGroup')] });
  });

  it.each([
    "The submitted information didn't contain changes. Submit different information to create a change set.",
    'No updates are to be performed.',
  ])('FAILED with "%s" is no changes', async (reason) => {
    cfn.on(DescribeChangeSetCommand).resolves({ Status: 'FAILED', StatusReason: reason, ExecutionStatus: 'UNAVAILABLE' });
    await expect(waitForChangeSet(input, makeDeps())).resolves.toEqual({ kind: 'no-changes', reason });
  });

  it('FAILED for another reason is an AwsOperationError with that reason', async () => {
    const reason = 'Parameter validation failed: parameter value ami-0bbbbbbbbbbbbbbb2 for parameter name AmazonMachineImage does not exist.';
    cfn.on(DescribeChangeSetCommand).resolves({ Status: 'FAILED', StatusReason: reason });
    const error = await waitForChangeSet(input, makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as Error).message).toBe(
      `Change set for stack patch-dev-app failed: FAILED (${reason}). Fix the template or parameters file it names and re-run; the stack was not changed.`,
    );
  });

  it('times out with the last status', async () => {
    cfn.on(DescribeChangeSetCommand).resolves({ Status: 'CREATE_IN_PROGRESS' });
    const error = await waitForChangeSet({ ...input, timeoutMs: 60_000 }, makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect((error as Error).message).toContain('last seen: CREATE_IN_PROGRESS');
  });
});

describe('deleteChangeSet', () => {
  it('deletes by ARN', async () => {
    cfn.on(DeleteChangeSetCommand).resolves({});
    await expect(deleteChangeSet({ stackName: STACK, changeSetId: CHANGE_SET_ARN }, makeDeps())).resolves.toBe(true);
    expect(cfn).toHaveReceivedCommandWith(DeleteChangeSetCommand, { ChangeSetName: CHANGE_SET_ARN });
  });

  it('warns instead of failing the run when the delete fails', async () => {
    cfn.on(DeleteChangeSetCommand).rejects(Object.assign(new Error('Access denied'), { name: 'AccessDenied' }));
    const deps = makeDeps();
    await expect(deleteChangeSet({ stackName: STACK, changeSetId: CHANGE_SET_ARN }, deps)).resolves.toBe(false);
    expect(deps.logger.entries).toContainEqual(expect.objectContaining({ level: 'warning', message: expect.stringContaining('Access denied') }));
  });
});
