import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import 'aws-sdk-client-mock-jest';

import { createUpdateReport, updateAppStack, type UpdateAppStackInputs } from '../../../../actions/lib/cloudformation/update-app-stack';
import { AwsOperationError, InputError, PollTimeoutError } from '../../../../actions/lib/errors';
import {
  CHANGE_SET_ARN,
  event,
  HTTP5XX_ALARM,
  makeDeps,
  NEW_AMI,
  newestFirst,
  OLD_AMI,
  STACK,
  stack,
  STACK_PARAMETERS,
  TEMPLATE,
  UNHEALTHY_ALARM,
  validationError,
  writeFixtures,
} from './fixtures';

const cfn = mockClient(CloudFormationClient);
const ec2 = mockClient(EC2Client);
beforeEach(() => {
  cfn.reset();
  ec2.reset();
  ec2.on(DescribeImagesCommand).callsFake(({ ImageIds }: { ImageIds: string[] }) => ({ Images: [{ ImageId: ImageIds[0], OwnerId: '123456789012', State: 'available' }] }));
});

/** The file bumps the AMI; it leaves DesiredCapacity out (the stack has 3, the template default is 2). */
const BUMP = { NetworkStackName: 'patch-dev-network', AmazonMachineImage: NEW_AMI, InstanceType: 't3.micro' };

function inputs(files: { parametersFile: string; templateFile?: string }, overrides: Partial<UpdateAppStackInputs> = {}): UpdateAppStackInputs {
  return {
    stackName: STACK,
    region: 'us-east-1',
    parametersFile: files.parametersFile,
    templateFile: files.templateFile,
    mode: 'deploy',
    timeoutMinutes: 60,
    rollbackMonitoringMinutes: 5,
    run: { id: '987654', attempt: '2', commit: '0123456789abcdef0123' },
    ...overrides,
  };
}

/** Every call that is not a read, to any service: none may happen for bad input. */
function mutatingCalls(): string[] {
  return [...cfn.calls(), ...ec2.calls()]
    .map((call) => (call.args[0] as object).constructor.name)
    .filter((name) => !/^(Describe|Get|List)/.test(name));
}

const AMI_CHANGES = [
  { Type: 'Resource' as const, ResourceChange: { Action: 'Modify' as const, LogicalResourceId: 'AppLaunchTemplate', ResourceType: 'AWS::EC2::LaunchTemplate', Replacement: 'False' as const, Scope: ['Properties' as const] } },
  {
    Type: 'Resource' as const,
    ResourceChange: { Action: 'Modify' as const, LogicalResourceId: 'AppAutoScalingGroup', ResourceType: 'AWS::AutoScaling::AutoScalingGroup', Replacement: 'True' as const, Scope: ['Properties' as const] },
  },
];

/** A stack at rest, a change set that computes, and an update scripted poll by poll. */
function happyStack(updates: Array<{ status: string; parameters?: Record<string, string>; events: ReturnType<typeof event>[] }> = []) {
  const history = [event(STACK, 'UPDATE_COMPLETE')];
  let executed = false;
  let poll = 0;
  cfn.on(DescribeStacksCommand).callsFake(() => {
    if (!executed) return { Stacks: [stack('UPDATE_COMPLETE')] };
    const step = updates[Math.min(poll, updates.length - 1)];
    poll += 1;
    history.push(...step.events);
    step.events = [];
    return { Stacks: [stack(step.status, { parameters: step.parameters })] };
  });
  cfn.on(DescribeStackEventsCommand).callsFake(() => newestFirst(history));
  cfn.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ARN, StackId: 'x' });
  cfn.on(DescribeChangeSetCommand).resolvesOnce({ Status: 'CREATE_IN_PROGRESS' }).resolves({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: AMI_CHANGES });
  cfn.on(DeleteChangeSetCommand).resolves({});
  cfn.on(ExecuteChangeSetCommand).callsFake(() => {
    executed = true;
    return {};
  });
  cfn.on(GetTemplateCommand).resolves({ TemplateBody: TEMPLATE });
}

const AFTER = { ...STACK_PARAMETERS, AmazonMachineImage: NEW_AMI };

describe('updateAppStack — preview', () => {
  it('creates an UPDATE change set from the file, renders it, deletes it, and leaves the stack alone', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    const deps = makeDeps();
    const report = await updateAppStack(inputs(files, { mode: 'preview' }), deps);

    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, {
      StackName: STACK,
      ChangeSetName: 'patch-987654-2-20260101T000000Z',
      ChangeSetType: 'UPDATE',
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      Parameters: [
        { ParameterKey: 'NetworkStackName', UsePreviousValue: true },
        { ParameterKey: 'AmazonMachineImage', ParameterValue: NEW_AMI },
        { ParameterKey: 'InstanceType', UsePreviousValue: true },
        { ParameterKey: 'DesiredCapacity', UsePreviousValue: true },
      ],
      Tags: [{ Key: 'Environment', Value: 'dev' }],
    });
    const sent = cfn.commandCalls(CreateChangeSetCommand)[0].args[0].input;
    expect(sent.TemplateBody).toBe(TEMPLATE);
    // Never executed, so no rollback triggers (and the preview role need not read alarms).
    expect(sent.RollbackConfiguration).toBeUndefined();
    expect(sent.Description).toBe(`update-app-stack from ${files.parametersFile} at 0123456789ab (run 987654, attempt 2)`);
    expect(cfn).toHaveReceivedCommandWith(DeleteChangeSetCommand, { ChangeSetName: CHANGE_SET_ARN });
    expect(cfn).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
    expect(report).toMatchObject({ outcome: 'previewed', changed: true, changeSetId: CHANGE_SET_ARN, stackStatus: 'UPDATE_COMPLETE', previousAmiId: OLD_AMI, amiId: OLD_AMI });
    expect(report.keptFromStack).toEqual(['DesiredCapacity']);
    expect(report.changesMarkdown).toContain(`**Parameter changes:** AmazonMachineImage \`${OLD_AMI}\` → \`${NEW_AMI}\``);
    expect(report.changesMarkdown).toContain('The Auto Scaling group (AppAutoScalingGroup) will be replaced: blue/green');
  });

  it('never shows a NoEcho value in the change summary', async () => {
    const withSecret = TEMPLATE.replace('Resources:', '  ApiKey:\n    Type: String\n    NoEcho: true\n    Default: x\nResources:');
    const files = writeFixtures({ ...BUMP, ApiKey: 's3cr3t-value' });
    happyStack();
    cfn.on(GetTemplateCommand).resolves({ TemplateBody: withSecret });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE', { parameters: { ...STACK_PARAMETERS, ApiKey: '****' } })] });
    const deps = makeDeps();
    const report = await updateAppStack(inputs({ parametersFile: files.parametersFile }, { mode: 'preview' }), deps);
    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, { Parameters: expect.arrayContaining([{ ParameterKey: 'ApiKey', ParameterValue: 's3cr3t-value' }]) });
    expect(report.changesMarkdown).toContain('ApiKey (NoEcho) →');
    expect(JSON.stringify(report)).not.toContain('s3cr3t-value');
    expect(deps.logger.text()).not.toContain('s3cr3t-value');
  });

  it('without a template input keeps the deployed one and validates the file against its Parameters', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    await updateAppStack(inputs({ parametersFile: files.parametersFile }, { mode: 'preview' }), makeDeps());
    expect(cfn).toHaveReceivedCommandWith(GetTemplateCommand, { StackName: STACK, TemplateStage: 'Original' });
    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, { UsePreviousTemplate: true, ChangeSetType: 'UPDATE' });
    expect(cfn.commandCalls(CreateChangeSetCommand)[0].args[0].input.TemplateBody).toBeUndefined();
  });

  it('warns and sends an empty rollback configuration when the stack has no alarm outputs', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE', { outputs: { LoadBalancerUrl: 'http://x' } })] });
    const deps = makeDeps();
    await updateAppStack(inputs(files), deps);
    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, { RollbackConfiguration: { RollbackTriggers: [], MonitoringTimeInMinutes: 0 } });
    expect(deps.logger.entries).toContainEqual(
      expect.objectContaining({ level: 'warning', message: expect.stringContaining('no Http5xxAlarmArn or UnhealthyHostsAlarmArn output') }),
    );
  });

  it("sends the alarms the caller names as the rollback triggers: a slots step's one slot", async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    const slotted = { GreenHttp5xxAlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:patch-dev-app-green-5xx-rate', GreenUnhealthyHostsAlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:patch-dev-app-green-unhealthy-hosts', BlueHttp5xxAlarmArn: 'arn:blue' };
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE', { outputs: slotted })] });
    const deps = makeDeps();
    await updateAppStack(inputs(files, { rollbackMonitoringMinutes: 0, rollbackAlarmOutputs: ['GreenHttp5xxAlarmArn', 'GreenUnhealthyHostsAlarmArn'] }), deps);
    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, {
      RollbackConfiguration: {
        RollbackTriggers: [
          { Arn: slotted.GreenHttp5xxAlarmArn, Type: 'AWS::CloudWatch::Alarm' },
          { Arn: slotted.GreenUnhealthyHostsAlarmArn, Type: 'AWS::CloudWatch::Alarm' },
        ],
        MonitoringTimeInMinutes: 0,
      },
    });
    expect(deps.logger.entries.filter((e) => e.level === 'warning')).toEqual([]);
  });
});

describe('updateAppStack — deploy', () => {
  it('executes, streams events, and reports the AMI from the stack after the update', async () => {
    const files = writeFixtures(BUMP);
    happyStack([
      { status: 'UPDATE_IN_PROGRESS', events: [event(STACK, 'UPDATE_IN_PROGRESS', 'User Initiated')] },
      { status: 'UPDATE_IN_PROGRESS', events: [event('AppAutoScalingGroup', 'UPDATE_IN_PROGRESS', 'Requested update requires the creation of a new physical resource; hence creating one.')] },
      { status: 'UPDATE_COMPLETE', parameters: AFTER, events: [event('AppAutoScalingGroup', 'UPDATE_COMPLETE'), event(STACK, 'UPDATE_COMPLETE')] },
    ]);
    const deps = makeDeps();
    const report = await updateAppStack(inputs(files), deps);

    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, {
      ChangeSetType: 'UPDATE',
      // Rollback triggers go on the change set: ExecuteChangeSet has no such field.
      RollbackConfiguration: {
        RollbackTriggers: [
          { Arn: HTTP5XX_ALARM, Type: 'AWS::CloudWatch::Alarm' },
          { Arn: UNHEALTHY_ALARM, Type: 'AWS::CloudWatch::Alarm' },
        ],
        MonitoringTimeInMinutes: 5,
      },
    });
    expect(cfn).toHaveReceivedCommandWith(ExecuteChangeSetCommand, { ChangeSetName: CHANGE_SET_ARN, ClientRequestToken: 'patch-987654-2-20260101T000000Z' });
    expect(cfn).not.toHaveReceivedCommand(DeleteChangeSetCommand);
    expect(report).toMatchObject({ outcome: 'updated', changed: true, stackStatus: 'UPDATE_COMPLETE', previousAmiId: OLD_AMI, amiId: NEW_AMI });
    expect(report.events.map((e) => e.status)).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE', 'UPDATE_COMPLETE']);
    expect(deps.logger.entries.filter((e) => e.level === 'group').map((e) => e.message)).toEqual([`Stack ${STACK}`, 'Change set', `Update ${STACK}`]);
  });

  it('waits for a busy stack, then deploys (busy then free)', async () => {
    const files = writeFixtures(BUMP);
    happyStack([{ status: 'UPDATE_COMPLETE', parameters: AFTER, events: [event(STACK, 'UPDATE_COMPLETE')] }]);
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack('UPDATE_IN_PROGRESS')] })
      .resolvesOnce({ Stacks: [stack('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS')] })
      .resolvesOnce({ Stacks: [stack('UPDATE_COMPLETE')] })
      .resolves({ Stacks: [stack('UPDATE_COMPLETE', { parameters: AFTER })] });
    const report = await updateAppStack(inputs(files), makeDeps());
    expect(report.outcome).toBe('updated');
    expect(cfn).toHaveReceivedCommandTimes(ExecuteChangeSetCommand, 1);
  });

  it('refuses a stack that stays busy past the timeout without creating anything', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_IN_PROGRESS')] });
    const error = await updateAppStack(inputs(files, { timeoutMinutes: 3 }), makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect((error as Error).message).toContain('it stayed busy (UPDATE_IN_PROGRESS)');
    expect(mutatingCalls()).toEqual([]);
  });

  it('refuses UPDATE_ROLLBACK_FAILED with how to continue the rollback, creating nothing', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_ROLLBACK_FAILED')] });
    cfn.on(DescribeStackResourcesCommand).resolves({
      StackResources: [{ LogicalResourceId: 'AppAutoScalingGroup', ResourceType: 'x', ResourceStatus: 'UPDATE_FAILED', ResourceStatusReason: 'gone', Timestamp: new Date() }],
    });
    const report = createUpdateReport(inputs(files), 0);
    const error = await updateAppStack(inputs(files), makeDeps(), report).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as Error).message).toContain('aws cloudformation continue-update-rollback --stack-name patch-dev-app');
    expect((error as Error).message).toContain('--resources-to-skip AppAutoScalingGroup');
    expect(mutatingCalls()).toEqual([]);
    expect(report.outcome).toBe('failed');
  });

  it('fails a rolled-back update naming the first failing resource and what differs from git', async () => {
    const files = writeFixtures(BUMP);
    happyStack([
      { status: 'UPDATE_IN_PROGRESS', events: [event(STACK, 'UPDATE_IN_PROGRESS', 'User Initiated')] },
      {
        status: 'UPDATE_ROLLBACK_IN_PROGRESS',
        events: [
          event('AppAutoScalingGroup', 'UPDATE_FAILED', 'Received 0 SUCCESS signal(s) out of 2.  Unable to satisfy 100% MinSuccessfulInstancesPercent requirement'),
          event('AppListener', 'UPDATE_FAILED', 'Resource update cancelled', 'AWS::ElasticLoadBalancingV2::Listener'),
          event(STACK, 'UPDATE_ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to update: [AppAutoScalingGroup].'),
        ],
      },
      { status: 'UPDATE_ROLLBACK_COMPLETE', events: [event(STACK, 'UPDATE_ROLLBACK_COMPLETE')] },
    ]);
    const report = createUpdateReport(inputs(files), 0);
    const error = await updateAppStack(inputs(files), makeDeps(), report).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as AwsOperationError).status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect((error as Error).message).toBe(
      `Update of stack ${STACK} failed: AppAutoScalingGroup UPDATE_FAILED (Received 0 SUCCESS signal(s) out of 2.  Unable to satisfy 100% MinSuccessfulInstancesPercent requirement). ` +
        `CloudFormation rolled the stack back to how it was (UPDATE_ROLLBACK_COMPLETE). It runs ${OLD_AMI} while ${files.parametersFile} says ${NEW_AMI}. ` +
        `Fix the cause and re-run, or revert the change to ${files.parametersFile} so git says what runs.`,
    );
    expect(report).toMatchObject({ outcome: 'failed', stackStatus: 'UPDATE_ROLLBACK_COMPLETE', previousAmiId: OLD_AMI, amiId: OLD_AMI });
    expect(report.events).toHaveLength(5);
  });

  it('fails an update whose rollback failed with the continue-update-rollback advice', async () => {
    const files = writeFixtures(BUMP);
    happyStack([
      {
        status: 'UPDATE_ROLLBACK_FAILED',
        events: [event('AppAutoScalingGroup', 'UPDATE_FAILED', 'Instance failed to signal'), event('AppTargetGroup', 'UPDATE_FAILED', 'Target group in use', 'AWS::ElasticLoadBalancingV2::TargetGroup')],
      },
    ]);
    cfn.on(DescribeStackResourcesCommand).resolves({
      StackResources: [{ LogicalResourceId: 'AppTargetGroup', ResourceType: 'x', ResourceStatus: 'UPDATE_FAILED', ResourceStatusReason: 'Target group in use', Timestamp: new Date() }],
    });
    const error = await updateAppStack(inputs(files), makeDeps()).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Update of stack patch-dev-app failed: AppAutoScalingGroup UPDATE_FAILED \(Instance failed to signal\), and the rollback failed too/);
    expect((error as Error).message).toContain('--resources-to-skip AppTargetGroup');
  });

  it('fails at the deadline with the last status and says the update carries on', async () => {
    const files = writeFixtures(BUMP);
    happyStack([{ status: 'UPDATE_IN_PROGRESS', events: [event(STACK, 'UPDATE_IN_PROGRESS', 'User Initiated')] }]);
    const report = createUpdateReport(inputs(files, { timeoutMinutes: 15 }), 0);
    const error = await updateAppStack(inputs(files, { timeoutMinutes: 15 }), makeDeps(), report).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect((error as Error).message).toContain('did not finish within timeout-minutes (15); last status UPDATE_IN_PROGRESS');
    expect((error as Error).message).toContain('aws cloudformation describe-stack-events --stack-name patch-dev-app');
    expect(report.stackStatus).toBe('UPDATE_IN_PROGRESS');
  });

  it('says how to resume when the credentials expire while following the update', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    const history = [event(STACK, 'UPDATE_COMPLETE')];
    cfn.on(DescribeStackEventsCommand).resolvesOnce(newestFirst(history)).resolves(newestFirst([...history, event(STACK, 'UPDATE_IN_PROGRESS', 'User Initiated')]));
    const expired = Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredToken' });
    cfn.on(DescribeStacksCommand).resolvesOnce({ Stacks: [stack('UPDATE_COMPLETE')] }).resolvesOnce({ Stacks: [stack('UPDATE_IN_PROGRESS')] }).rejects(expired);
    const deps = makeDeps();
    const report = createUpdateReport(inputs(files), deps.clock.now());
    const error = await updateAppStack(inputs(files), deps, report).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as Error).message).toContain('the AWS credentials expired (The security token included in the request is expired); last status UPDATE_IN_PROGRESS');
    expect((error as Error).message).toContain('Re-run the job: it waits for the update to end');
    expect(report.stackStatus).toBe('UPDATE_IN_PROGRESS');
  });

  it('refuses to execute a change set that is no longer AVAILABLE', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    cfn.on(DescribeChangeSetCommand).resolves({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'OBSOLETE', Changes: [] });
    await expect(updateAppStack(inputs(files), makeDeps())).rejects.toThrow('its execution status is OBSOLETE');
    expect(cfn).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
  });
});

describe('updateAppStack — AWS cannot be reached: the message says what this run changed', () => {
  // What node:net throws when nothing listens; the SDK passes it on after its retries.
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 198.51.100.7:443'), { code: 'ECONNREFUSED', $metadata: {} });
  const cause = "AWS could not be reached or kept failing after the SDK's retries (connect ECONNREFUSED 198.51.100.7:443)";

  it.each([
    {
      stage: 'before the stack is read',
      refuse: () => cfn.on(DescribeStacksCommand).rejects(refused()),
      message: `Update of stack ${STACK} did not start: ${cause}. Nothing was changed in AWS by this run. Re-run the job once AWS answers.`,
      status: undefined,
    },
    {
      stage: 'on the AMI check (EC2), after the stack was read',
      refuse: () => ec2.on(DescribeImagesCommand).rejects(refused()),
      message: `Update of stack ${STACK} did not start: ${cause}. Nothing was changed in AWS by this run. Re-run the job once AWS answers.`,
      status: 'UPDATE_COMPLETE',
    },
    {
      stage: 'on CreateChangeSet',
      refuse: () => cfn.on(CreateChangeSetCommand).rejects(refused()),
      message:
        `Update of stack ${STACK} did not start: ${cause}. The stack was not changed by this run; change set patch-987654-2-20260101T000000Z may be left on it ` +
        '(harmless: nothing executes it, and a re-run makes its own). Re-run the job once AWS answers.',
      status: 'UPDATE_COMPLETE',
    },
    {
      stage: 'on ExecuteChangeSet',
      refuse: () => cfn.on(ExecuteChangeSetCommand).rejects(refused()),
      message:
        `Update of stack ${STACK} stopped: ${cause} after the change set was sent for execution. The update may have started; its outcome is unknown: ` +
        `check the stack with \`aws cloudformation describe-stacks --stack-name ${STACK}\`. Re-run the job once AWS answers: it waits for an update in progress to end, ` +
        'then reports no changes if it succeeded or deploys again if it rolled back.',
      status: 'unknown',
    },
  ])('$stage', async ({ refuse, message, status }) => {
    const files = writeFixtures(BUMP);
    happyStack();
    refuse();
    const deps = makeDeps();
    const report = createUpdateReport(inputs(files), deps.clock.now());
    const error = await updateAppStack(inputs(files), deps, report).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as Error).message).toBe(message);
    expect(report.outcome).toBe('failed');
    expect(report.stackStatus).toBe(status);
  });
});

describe('updateAppStack — no changes and failed change sets', () => {
  it('a FAILED "no changes" change set is success with changed=false, deleted, and a notice', async () => {
    const files = writeFixtures({ ...BUMP, AmazonMachineImage: OLD_AMI });
    happyStack();
    cfn.on(DescribeChangeSetCommand).resolves({ Status: 'FAILED', ExecutionStatus: 'UNAVAILABLE', StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set." });
    const deps = makeDeps();
    const report = await updateAppStack(inputs(files), deps);
    expect(report).toMatchObject({ outcome: 'no-changes', changed: false, changeSetId: CHANGE_SET_ARN, previousAmiId: OLD_AMI, amiId: OLD_AMI, stackStatus: 'UPDATE_COMPLETE' });
    expect(cfn).toHaveReceivedCommandWith(DeleteChangeSetCommand, { ChangeSetName: CHANGE_SET_ARN });
    expect(cfn).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
    expect(deps.logger.entries).toContainEqual(expect.objectContaining({ level: 'notice', message: expect.stringContaining('No changes for stack patch-dev-app') }));
    // Every parameter equals the stack's: all UsePreviousValue.
    expect(cfn.commandCalls(CreateChangeSetCommand)[0].args[0].input.Parameters?.every((p) => p.UsePreviousValue)).toBe(true);
  });

  it('"No updates are to be performed" from CreateChangeSet itself is also no changes (nothing to delete)', async () => {
    const files = writeFixtures({ ...BUMP, AmazonMachineImage: OLD_AMI });
    happyStack();
    cfn.on(CreateChangeSetCommand).rejects(validationError('No updates are to be performed.'));
    const report = await updateAppStack(inputs(files), makeDeps());
    expect(report).toMatchObject({ outcome: 'no-changes', changed: false });
    expect(report.changeSetId).toBeUndefined();
    expect(cfn).not.toHaveReceivedCommand(DeleteChangeSetCommand);
  });

  it('a change set FAILED for another reason is an error with the reason, and is deleted', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    cfn.on(DescribeChangeSetCommand).resolves({ Status: 'FAILED', StatusReason: 'Requires capabilities : [CAPABILITY_AUTO_EXPAND]' });
    const error = await updateAppStack(inputs(files), makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as Error).message).toContain('Change set for stack patch-dev-app failed: FAILED (Requires capabilities : [CAPABILITY_AUTO_EXPAND])');
    expect(cfn).toHaveReceivedCommandWith(DeleteChangeSetCommand, { ChangeSetName: CHANGE_SET_ARN });
    expect(cfn).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
  });
});

describe('updateAppStack — bad parameters files touch nothing', () => {
  const cases: Array<[string, Record<string, string> | string, RegExp]> = [
    ['invalid JSON', '{ "Parameters": { "AmazonMachineImage": "ami-0bbbbbbbbbbbbbbb2", } }', /not valid JSON .*trailing comma/],
    ['an unknown key', { ...BUMP, InstanceTyp: 't3.micro' }, /unknown parameter "InstanceTyp".*Rename it to "InstanceType"/],
    ['a value outside AllowedValues', { ...BUMP, InstanceType: 'm5.24xlarge' }, /InstanceType = "m5.24xlarge" is not one of the AllowedValues/],
    ['a malformed AMI id', { ...BUMP, AmazonMachineImage: 'ami-xyz' }, /AmazonMachineImage = "ami-xyz" is not/],
    ['a missing required key', { InstanceType: 't3.micro', AmazonMachineImage: NEW_AMI }, /missing parameter "NetworkStackName"/],
    ['a non-string value', '{ "Parameters": { "NetworkStackName": "n", "AmazonMachineImage": "ami-0bbbbbbbbbbbbbbb2", "DesiredCapacity": 2 } }', /DesiredCapacity/],
  ];

  it.each(cases)('%s, with a template input: InputError on the file and no AWS call at all', async (_title, content, message) => {
    const files = writeFixtures(content);
    happyStack();
    const error = await updateAppStack(inputs(files), makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect((error as InputError).location?.file).toBe(files.parametersFile);
    expect((error as InputError).location?.line).toBeGreaterThanOrEqual(1);
    expect(cfn.calls()).toHaveLength(0);
    expect(ec2.calls()).toHaveLength(0);
  });

  it.each(cases)('%s, against the deployed template: InputError and no mutating call', async (_title, content, message) => {
    const files = writeFixtures(content);
    happyStack();
    const error = await updateAppStack(inputs({ parametersFile: files.parametersFile }), makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect(mutatingCalls()).toEqual([]);
  });

  it('a missing parameters file fails before any AWS call', async () => {
    happyStack();
    const error = await updateAppStack(inputs({ parametersFile: '/nonexistent/parameters/dev.json' }), makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain('/nonexistent/parameters/dev.json');
    expect(cfn.calls()).toHaveLength(0);
  });

  it('a missing template file fails before any AWS call', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    const error = await updateAppStack(inputs({ parametersFile: files.parametersFile, templateFile: `${files.dir}/nope.yaml` }), makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/^CloudFormation template unreadable for .*nope\.yaml: no such file/);
    expect(cfn.calls()).toHaveLength(0);
  });
});

describe('updateAppStack — a revoked AMI is refused in both modes before any change set', () => {
  const IMAGE = 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.0/4';
  const revoke = (dir: string, entry: object) => {
    const file = join(dir, 'revoked.json');
    writeFileSync(file, JSON.stringify({ revocations: [{ reason: 'CVE-2026-1234: openssl RCE', revokedBy: 'sec-lead', revokedAt: '2026-05-30T09:00:00Z', ...entry }] }, null, 2));
    return file;
  };

  it.each(['preview', 'deploy'] as const)('%s: refuses the file naming a revoked AMI, on its line, creating nothing', async (mode) => {
    const files = writeFixtures(BUMP);
    happyStack();
    const revocationsFile = revoke(files.dir, { amiId: NEW_AMI });
    const error = await updateAppStack(inputs(files, { mode, revocationsFile }), makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      `${mode === 'deploy' ? 'Deploy' : 'Preview'} of ${STACK} refused for ${files.parametersFile}: line 4: AmazonMachineImage = "${NEW_AMI}" is revoked by @sec-lead at 2026-05-30T09:00:00Z (${revocationsFile} line 3): CVE-2026-1234: openssl RCE. ` +
        `Nothing was changed. Put an AMI that is not revoked in ${files.parametersFile} (a newer build, or an earlier one from its git history).`,
    );
    expect((error as InputError).location).toEqual({ file: files.parametersFile, line: 4 });
    expect(mutatingCalls()).toEqual([]);
    expect(cfn).not.toHaveReceivedCommand(CreateChangeSetCommand);
  });

  it('refuses an AMI whose image build is revoked, read from its Ec2ImageBuilderArn tag', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: NEW_AMI, State: 'available', Tags: [{ Key: 'Ec2ImageBuilderArn', Value: IMAGE }] }] });
    const error = await updateAppStack(inputs(files, { revocationsFile: revoke(files.dir, { imageArn: IMAGE }) }), makeDeps()).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(new RegExp(`is revoked \\(its image ${IMAGE}\\) by @sec-lead`));
    expect(mutatingCalls()).toEqual([]);
  });

  it('goes on when the AMI is not revoked, and without a list at all', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    await expect(updateAppStack(inputs(files, { mode: 'preview', revocationsFile: revoke(files.dir, { amiId: OLD_AMI.replace(/1$/, '9') }) }), makeDeps())).resolves.toMatchObject({ outcome: 'previewed' });
    await expect(updateAppStack(inputs(files, { mode: 'preview', revocationsFile: join(files.dir, 'none.json') }), makeDeps())).resolves.toMatchObject({ outcome: 'previewed' });
  });
});

describe('updateAppStack — the new AMI is checked before the change set', () => {
  it('checks only the AMI that changes, once, and goes on when it is available', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    await updateAppStack(inputs(files, { mode: 'preview' }), makeDeps());
    expect(ec2).toHaveReceivedCommandTimes(DescribeImagesCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(DescribeImagesCommand, { ImageIds: [NEW_AMI] });
  });

  it('does not re-check the AMI the stack already runs (a retired image never blocks a no-change run)', async () => {
    const files = writeFixtures({ ...BUMP, AmazonMachineImage: OLD_AMI });
    happyStack();
    cfn.on(DescribeChangeSetCommand).resolves({ Status: 'FAILED', StatusReason: "The submitted information didn't contain changes." });
    await updateAppStack(inputs(files), makeDeps());
    expect(ec2).not.toHaveReceivedCommand(DescribeImagesCommand);
  });

  const notFound = Object.assign(new Error("The image id '[ami-0bbbbbbbbbbbbbbb2]' does not exist"), { name: 'InvalidAMIID.NotFound' });
  it.each([
    ['does not exist (or is in another region)', () => ec2.on(DescribeImagesCommand).rejects(notFound), /does not exist in us-east-1 \(or is not shared with this account\)\. Use the ami-id output of build-ami for us-east-1/],
    ['is disabled', () => ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: NEW_AMI, OwnerId: '123456789012', State: 'disabled' }] }), /is disabled, so no instance can launch from it; re-enable it with `aws ec2 enable-image/],
    [
      'is failed',
      () => ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: NEW_AMI, OwnerId: '123456789012', State: 'failed', StateReason: { Message: 'Snapshot copy failed' } }] }),
      /is failed \(Snapshot copy failed\), so no instance can launch/,
    ],
    [
      'is deprecated',
      () => ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: NEW_AMI, OwnerId: '123456789012', State: 'available', DeprecationTime: '2025-06-01T00:00:00.000Z' }] }),
      /was deprecated on 2025-06-01T00:00:00.000Z.*aws ec2 disable-image-deprecation --image-id ami-0bbbbbbbbbbbbbbb2/,
    ],
    [
      "is another account's, under the default allowlist (the stack's own account)",
      () => ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: NEW_AMI, OwnerId: '099720109477', State: 'available' }] }),
      /is owned by account 099720109477, which is not on the AMI owner allowlist \(self \(123456789012\); the default: no ami-owners input\)\. .*add "099720109477" to the environment's amiOwners in parameters\/environments\.json \(the workflows pass it as the ami-owners input\)\. Nothing was changed\.$/,
    ],
  ])('refuses an AMI that %s, on the file line, creating nothing', async (_title, arrange, message) => {
    const files = writeFixtures(BUMP);
    happyStack();
    arrange();
    const error = await updateAppStack(inputs(files, { templateFile: undefined }), makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/^AMI check failed for .*dev\.json: line 4: AmazonMachineImage = "ami-0bbbbbbbbbbbbbbb2" /);
    expect((error as Error).message).toMatch(message);
    expect((error as InputError).location).toEqual({ file: files.parametersFile, line: 4 });
    expect(mutatingCalls()).toEqual([]);
  });

  it('refuses an AMI whose owner the ami-owners input does not list, and accepts one it does', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: NEW_AMI, OwnerId: '137112412989', State: 'available' }] });
    await expect(updateAppStack(inputs(files, { mode: 'preview', amiOwners: ['self', '210987654321'] }), makeDeps())).rejects.toThrow(
      /owned by account 137112412989, which is not on the AMI owner allowlist \(self \(123456789012\), 210987654321; the ami-owners input\)/,
    );
    expect(mutatingCalls()).toEqual([]);
    await expect(updateAppStack(inputs(files, { mode: 'preview', amiOwners: ['self', '137112412989'] }), makeDeps())).resolves.toMatchObject({ outcome: 'previewed' });
  });

  it('accepts an AMI whose deprecation is still in the future', async () => {
    const files = writeFixtures(BUMP);
    happyStack();
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: NEW_AMI, OwnerId: '123456789012', State: 'available', DeprecationTime: '2027-06-01T00:00:00.000Z' }] });
    await expect(updateAppStack(inputs(files, { mode: 'preview' }), makeDeps())).resolves.toMatchObject({ outcome: 'previewed' });
  });
});
