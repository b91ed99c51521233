import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import * as core from '@actions/core';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

import { run } from '../../../actions/update-app-stack/src/main';
import { CHANGE_SET_ARN, event, NEW_AMI, newestFirst, OLD_AMI, STACK, stack, STACK_PARAMETERS, writeFixtures } from '../lib/cloudformation/fixtures';
import { givenInputs, outputs, resetActionsCoreMock, summaryWrites } from '../support/actions-core';

// @actions/core is mocked only in main.ts tests (STYLE.md).
jest.mock('@actions/core', () => jest.requireActual('../support/actions-core').createActionsCoreMock());

const cfn = mockClient(CloudFormationClient);
const ec2 = mockClient(EC2Client);
const mocked = core as jest.Mocked<typeof core>;
const savedEnv = { ...process.env };

beforeEach(() => {
  cfn.reset();
  ec2.reset();
  ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: NEW_AMI, OwnerId: '123456789012', State: 'available' }] });
  resetActionsCoreMock();
  process.env = { ...savedEnv, AWS_REGION: 'us-east-1', GITHUB_STEP_SUMMARY: '/dev/null', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '1' };
});
afterAll(() => {
  process.env = savedEnv;
});

/** A stack whose update succeeds at once (as on moto). */
function quickUpdate() {
  let executed = false;
  cfn.on(DescribeStacksCommand).callsFake(() => ({
    Stacks: [stack('UPDATE_COMPLETE', { parameters: executed ? { ...STACK_PARAMETERS, AmazonMachineImage: NEW_AMI } : STACK_PARAMETERS })],
  }));
  cfn.on(DescribeStackEventsCommand).callsFake(() => newestFirst(executed ? [event(STACK, 'UPDATE_IN_PROGRESS'), event(STACK, 'UPDATE_COMPLETE')] : []));
  cfn.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ARN });
  cfn.on(DescribeChangeSetCommand).resolves({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [] });
  cfn.on(DeleteChangeSetCommand).resolves({});
  // The group before the update (blue); moto-like, the update is over before a new one could be seen.
  cfn.on(DescribeStackResourceCommand).resolves({ StackResourceDetail: { LogicalResourceId: 'AppAutoScalingGroup', PhysicalResourceId: 'blue-group', ResourceStatus: 'UPDATE_COMPLETE', ResourceType: 'AWS::AutoScaling::AutoScalingGroup', LastUpdatedTimestamp: new Date() } });
  cfn.on(ExecuteChangeSetCommand).callsFake(() => {
    executed = true;
    return {};
  });
}

describe('update-app-stack main', () => {
  it('deploys and sets all its outputs and one summary', async () => {
    const files = writeFixtures({ NetworkStackName: 'patch-dev-network', AmazonMachineImage: NEW_AMI });
    quickUpdate();
    givenInputs({ 'stack-name': STACK, 'parameters-file': files.parametersFile, template: files.templateFile });
    await run();

    expect(mocked.setFailed).not.toHaveBeenCalled();
    expect(outputs()).toEqual({
      changed: 'true',
      'change-set-id': CHANGE_SET_ARN,
      'stack-status': 'UPDATE_COMPLETE',
      'previous-ami-id': OLD_AMI,
      'ami-id': NEW_AMI,
      'changes-markdown': expect.stringContaining(`AmazonMachineImage \`${OLD_AMI}\` → \`${NEW_AMI}\``),
      'failed-step': '',
      'flipped-back-to': '',
      'stage-evidence': '',
      'stage-failed': '',
    });
    expect(summaryWrites).toHaveLength(1);
    expect(summaryWrites[0]).toContain(`## update-app-stack: ${STACK} updated\n\n\`${STACK}\` updated from \`${OLD_AMI}\` to \`${NEW_AMI}\``);
    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, { ChangeSetName: expect.stringMatching(/^patch-42-1-/) });
  });

  it('strategy replace: holds the rollback-trigger window and reads blue to verify green in it; a requested failback does not', async () => {
    const files = writeFixtures({ NetworkStackName: 'patch-dev-network', AmazonMachineImage: NEW_AMI });
    quickUpdate();
    givenInputs({ 'stack-name': STACK, 'parameters-file': files.parametersFile, template: files.templateFile });
    await run();
    expect(cfn).toHaveReceivedCommandWith(DescribeStackResourceCommand, { LogicalResourceId: 'AppAutoScalingGroup' });
    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, { RollbackConfiguration: expect.objectContaining({ MonitoringTimeInMinutes: 5 }) });

    cfn.reset();
    quickUpdate();
    resetActionsCoreMock();
    givenInputs({ 'stack-name': STACK, 'parameters-file': files.parametersFile, template: files.templateFile, failback: 'true' });
    await run();
    expect(mocked.setFailed).not.toHaveBeenCalled();
    expect(cfn).not.toHaveReceivedCommand(DescribeStackResourceCommand);
  });

  it('reports a bad parameters file as a failure annotated on the file, with no AWS call', async () => {
    const files = writeFixtures({ NetworkStackName: 'patch-dev-network', AmazonMachineImage: NEW_AMI, InstanceType: 'm5.24xlarge' });
    quickUpdate();
    givenInputs({ 'stack-name': STACK, 'parameters-file': files.parametersFile, template: files.templateFile });
    await run();

    // Annotated once, on the file's line: not a second time without file and line.
    expect(mocked.error).toHaveBeenCalledWith(expect.stringContaining('InstanceType = "m5.24xlarge" is not one of the AllowedValues'), { file: files.parametersFile, startLine: 5 });
    expect(mocked.error).toHaveBeenCalledTimes(1);
    expect(mocked.setFailed).not.toHaveBeenCalled();
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;
    expect(cfn.calls()).toHaveLength(0);
    expect(summaryWrites[0]).toContain('### What went wrong');
  });

  it.each([
    [{ mode: 'apply' }, /input "mode" = "apply": must be deploy .* or preview/],
    [{ 'timeout-minutes': '-5' }, /input "timeout-minutes" = "-5": must be a whole number of minutes/],
    [{ 'rollback-monitoring-minutes': '500' }, /must be at most 180/],
    [{ 'timeout-minutes': '5', 'rollback-monitoring-minutes': '10' }, /input "timeout-minutes" = "5": must be larger than rollback-monitoring-minutes \(10\)/],
    [{ 'stack-name': 'patch dev; rm -rf /' }, /input "stack-name" = "patch dev; rm -rf \/": must be a CloudFormation stack name/],
    [{ region: 'mars-1' }, /Region "mars-1" from input region is not an AWS region name/],
  ])('refuses bad action inputs %j before any AWS call', async (bad, message) => {
    const files = writeFixtures({ AmazonMachineImage: NEW_AMI });
    quickUpdate();
    givenInputs({ 'stack-name': STACK, 'parameters-file': files.parametersFile, ...bad });
    await run();
    expect(mocked.setFailed).toHaveBeenCalledWith(expect.stringMatching(message));
    expect(cfn.calls()).toHaveLength(0);
  });

  it('sets stack-status and the AMIs on failure too, so a later step can react', async () => {
    const files = writeFixtures({ NetworkStackName: 'patch-dev-network', AmazonMachineImage: NEW_AMI });
    quickUpdate();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('ROLLBACK_COMPLETE')] });
    givenInputs({ 'stack-name': STACK, 'parameters-file': files.parametersFile, template: files.templateFile });
    await run();
    expect(mocked.setFailed).toHaveBeenCalledWith(expect.stringContaining('it is ROLLBACK_COMPLETE'));
    expect(outputs()).toEqual({ 'stack-status': 'ROLLBACK_COMPLETE', 'change-set-id': '', changed: '', 'previous-ami-id': '', 'ami-id': '', 'changes-markdown': '', 'failed-step': '', 'flipped-back-to': '', 'stage-evidence': '', 'stage-failed': '' });
    expect(summaryWrites[0]).toContain('| Stack status | ROLLBACK_COMPLETE |');
  });
});
