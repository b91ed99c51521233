import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeStackResourceCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import 'aws-sdk-client-mock-jest';

import { createAwsClients } from '../../../../actions/lib/aws/clients';
import { VirtualClock } from '../../../../actions/lib/clock';
import { AwsOperationError } from '../../../../actions/lib/errors';
import { RecordingLogger } from '../../../../actions/lib/logger';
import { verifyAlbInputSchema } from '../../../../actions/lib/verify/inputs';
import { describeCurrentAutoScalingGroup, resolveVerifyTarget } from '../../../../actions/lib/verify/resolve-target';
import { BLUE_ASG, GREEN_AMI, GREEN_ASG, mocks, mockStack, resetMocks, STACK, TG_ARN, URL_BASE } from './fixtures';

const OTHER_TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/other/fedcba9876543210';
const clients = createAwsClients({ region: 'us-east-1' });
const deps = () => ({ clients, logger: new RecordingLogger(), clock: new VirtualClock() });
const inputs = (raw: Record<string, string>) => verifyAlbInputSchema.parse({ 'expected-ami-id': GREEN_AMI, ...raw });

beforeEach(() => resetMocks());

describe('resolveVerifyTarget', () => {
  it('reads the target group and URL from the stack outputs', async () => {
    mockStack();
    const d = deps();
    await expect(resolveVerifyTarget(inputs({ 'stack-name': STACK }), d)).resolves.toEqual({
      targetGroupArn: TG_ARN,
      url: URL_BASE,
      stackName: STACK,
      stackStatus: 'UPDATE_COMPLETE',
      autoScalingGroup: { kind: 'stack-resource', stackName: STACK },
    });
    expect(d.logger.text()).toContain(`Stack ${STACK} is UPDATE_COMPLETE; target group ${TG_ARN}, URL ${URL_BASE}.`);
  });

  it.each(['blue', 'green'])("on a slots stack, verifies the live slot's target group and group (LiveSlot %s, from the stack's parameters)", async (slot) => {
    const other = slot === 'blue' ? 'Green' : 'Blue';
    const live = slot === 'blue' ? 'Blue' : 'Green';
    mocks.cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: STACK,
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(0),
          Parameters: [{ ParameterKey: 'LiveSlot', ParameterValue: slot }],
          Outputs: [
            { OutputKey: `${live}TargetGroupArn`, OutputValue: TG_ARN },
            { OutputKey: `${other}TargetGroupArn`, OutputValue: OTHER_TG },
            { OutputKey: 'LoadBalancerUrl', OutputValue: URL_BASE },
          ],
        },
      ],
    });
    const d = deps();
    const target = await resolveVerifyTarget(inputs({ 'stack-name': STACK }), d);
    expect(target).toEqual({
      targetGroupArn: TG_ARN,
      url: URL_BASE,
      stackName: STACK,
      stackStatus: 'UPDATE_COMPLETE',
      slot,
      autoScalingGroup: { kind: 'stack-resource', stackName: STACK, logicalId: `${live}AutoScalingGroup` },
    });
    expect(d.logger.text()).toContain(`live slot ${slot}, target group ${TG_ARN}`);
    mocks.cfn.on(DescribeStackResourceCommand).resolves({ StackResourceDetail: { LogicalResourceId: `${live}AutoScalingGroup`, PhysicalResourceId: GREEN_ASG, ResourceType: 'AWS::AutoScaling::AutoScalingGroup', ResourceStatus: 'UPDATE_COMPLETE', LastUpdatedTimestamp: new Date(0) } });
    mocks.asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ AutoScalingGroupName: GREEN_ASG, MinSize: 2, MaxSize: 4, DesiredCapacity: 2, DefaultCooldown: 0, AvailabilityZones: [], HealthCheckType: 'ELB', CreatedTime: new Date(0), Instances: [] }] });
    await describeCurrentAutoScalingGroup(target, d);
    expect(mocks.cfn).toHaveReceivedCommandWith(DescribeStackResourceCommand, { StackName: STACK, LogicalResourceId: `${live}AutoScalingGroup` });
  });

  it('refuses a slots stack whose LiveSlot names no slot', async () => {
    mocks.cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: STACK, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0), Parameters: [{ ParameterKey: 'LiveSlot', ParameterValue: 'red' }] }] });
    await expect(resolveVerifyTarget(inputs({ 'stack-name': STACK }), deps())).rejects.toThrow(/its LiveSlot parameter is "red", not one of blue, green/);
  });

  it('lets the inputs override the outputs', async () => {
    mockStack();
    const target = await resolveVerifyTarget(inputs({ 'stack-name': STACK, 'target-group-arn': OTHER_TG, url: 'https://app.example.com' }), deps());
    expect(target).toMatchObject({ targetGroupArn: OTHER_TG, url: 'https://app.example.com' });
  });

  it('needs no URL when watch-seconds is 0', async () => {
    mockStack({ TargetGroupArn: TG_ARN });
    await expect(resolveVerifyTarget(inputs({ 'stack-name': STACK, 'watch-seconds': '0' }), deps())).resolves.toMatchObject({ url: undefined });
  });

  it('warns when the stack is mid-update', async () => {
    mockStack(undefined, 'UPDATE_IN_PROGRESS');
    const d = deps();
    await resolveVerifyTarget(inputs({ 'stack-name': STACK }), d);
    expect(d.logger.entries).toContainEqual(expect.objectContaining({ level: 'warning', message: expect.stringMatching(/UPDATE_IN_PROGRESS: verifying mid-update/) }));
  });

  it.each([
    ['no TargetGroupArn output', { LoadBalancerUrl: URL_BASE }, {}, /Target group for stack patch-dev-app: the stack has no output TargetGroupArn \(outputs: LoadBalancerUrl\)\. .*pass target-group-arn/],
    ['no LoadBalancerUrl output while watching', { TargetGroupArn: TG_ARN }, {}, /URL for stack patch-dev-app: the stack has no output LoadBalancerUrl \(outputs: TargetGroupArn\)\. Pass url, or set watch-seconds to 0/],
  ])('fails on %s', async (_name, outputs, raw, message) => {
    mockStack(outputs);
    await expect(resolveVerifyTarget(inputs({ 'stack-name': STACK, ...raw }), deps())).rejects.toThrow(message);
  });

  it('says plainly when the stack does not exist', async () => {
    mocks.cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: 'ValidationError' }));
    const error = await resolveVerifyTarget(inputs({ 'stack-name': STACK }), deps()).catch((e) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error.message).toMatch(/Stack patch-dev-app was not found: .*Check stack-name and region/);
  });

  it('passes other AWS errors through', async () => {
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDenied' });
    mocks.cfn.on(DescribeStacksCommand).rejects(denied);
    await expect(resolveVerifyTarget(inputs({ 'stack-name': STACK }), deps())).rejects.toBe(denied);
  });

  it('takes a target group without a stack and makes no CloudFormation call', async () => {
    const target = await resolveVerifyTarget(inputs({ 'target-group-arn': TG_ARN, 'watch-seconds': '0' }), deps());
    expect(target).toEqual({ targetGroupArn: TG_ARN, url: undefined, autoScalingGroup: { kind: 'attached-to-target-group' } });
    expect(mocks.cfn).not.toHaveReceivedAnyCommand();
  });
});

describe('describeCurrentAutoScalingGroup', () => {
  const group = (name: string, tgs: string[], desired = 2) => ({
    AutoScalingGroupName: name,
    DesiredCapacity: desired,
    MinSize: 0,
    MaxSize: 4,
    TargetGroupARNs: tgs,
    Instances: [{ InstanceId: `i-${name.length.toString(16).padStart(17, '0')}`, LifecycleState: 'InService' as const, HealthStatus: 'Healthy', ProtectedFromScaleIn: false, AvailabilityZone: 'us-east-1a' }],
    AvailabilityZones: ['us-east-1a'],
    DefaultCooldown: 300,
    HealthCheckType: 'ELB',
    CreatedTime: new Date(0),
  });
  const byTargetGroup = { targetGroupArn: TG_ARN, autoScalingGroup: { kind: 'attached-to-target-group' as const } };

  it('follows the stack resource AppAutoScalingGroup', async () => {
    mockStack();
    mocks.asg.on(DescribeAutoScalingGroupsCommand, { AutoScalingGroupNames: [GREEN_ASG] }).resolves({ AutoScalingGroups: [group(GREEN_ASG, [TG_ARN], 3)] });
    const current = await describeCurrentAutoScalingGroup({ targetGroupArn: TG_ARN, autoScalingGroup: { kind: 'stack-resource', stackName: STACK } }, deps());
    expect(current).toEqual({ name: GREEN_ASG, desiredCapacity: 3, instanceIds: [expect.stringMatching(/^i-/)] });
    expect(mocks.cfn).toHaveReceivedCommandWith(DescribeStackResourceCommand, { StackName: STACK, LogicalResourceId: 'AppAutoScalingGroup' });
  });

  it('fails when the stack resource has no physical ID yet', async () => {
    mocks.cfn.on(DescribeStackResourceCommand).resolves({ StackResourceDetail: { LogicalResourceId: 'AppAutoScalingGroup', ResourceType: 'AWS::AutoScaling::AutoScalingGroup', ResourceStatus: 'CREATE_IN_PROGRESS', LastUpdatedTimestamp: new Date(0) } });
    await expect(describeCurrentAutoScalingGroup({ targetGroupArn: TG_ARN, autoScalingGroup: { kind: 'stack-resource', stackName: STACK } }, deps())).rejects.toThrow(
      /resource AppAutoScalingGroup has no physical ID \(status CREATE_IN_PROGRESS\)/,
    );
  });

  it('fails when the named ASG is gone', async () => {
    mockStack();
    mocks.asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    await expect(describeCurrentAutoScalingGroup({ targetGroupArn: TG_ARN, autoScalingGroup: { kind: 'stack-resource', stackName: STACK } }, deps())).rejects.toThrow(
      `Auto Scaling group ${GREEN_ASG} of stack ${STACK} does not exist`,
    );
  });

  it('without a stack, takes the one ASG attached to the target group, across pages', async () => {
    mocks.asg
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [group('unrelated', [OTHER_TG])], NextToken: 'p2' })
      .resolves({ AutoScalingGroups: [group(GREEN_ASG, [TG_ARN, OTHER_TG])] });
    await expect(describeCurrentAutoScalingGroup(byTargetGroup, deps())).resolves.toMatchObject({ name: GREEN_ASG });
  });

  it.each([
    [[] as string[], /no group is attached to it\. Pass stack-name/],
    [[GREEN_ASG, BLUE_ASG], new RegExp(`2 groups are attached \\(${GREEN_ASG}, ${BLUE_ASG}\\), so which one is current is ambiguous\\. Pass stack-name`)],
  ])('without a stack, refuses %j attached groups', async (names, message) => {
    mocks.asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: names.map((n) => group(n, [TG_ARN])) });
    await expect(describeCurrentAutoScalingGroup(byTargetGroup, deps())).rejects.toThrow(message);
  });
});
