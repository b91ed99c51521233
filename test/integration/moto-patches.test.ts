/**
 * The project's moto patches (local/moto-patches/): that the
 * server local mode starts has it, and that moto itself still lacks it. The second test fails the
 * day moto implements the operations: then the patch goes.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import {
  CancelUpdateStackCommand,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmHistoryCommand, DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeVolumesCommand,
  DisableImageDeregistrationProtectionCommand,
  EC2Client,
  EnableImageDeregistrationProtectionCommand,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
  RegisterImageCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateKeyCommand, DescribeKeyCommand, GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

import { createAwsClients } from '../../actions/lib/aws/clients';
import { REPO_ROOT } from '../../local/env';
import { localBaseAmi, localClients, useLocalAws } from './harness';

useLocalAws();

describe('moto patch: image deregistration protection', () => {
  it('is still needed: unpatched moto has no EnableImageDeregistrationProtection', () => {
    const python = join(REPO_ROOT, '.venv', 'bin', 'python3');
    const has = execFileSync(python, ['-c', "from moto.ec2.responses.amis import AmisResponse as R; print(hasattr(R, 'enable_image_deregistration_protection'))"], { encoding: 'utf8' }).trim();
    // When this fails, moto implements it: delete local/moto-patches/image_deregistration_protection.py and its import in serve.py.
    expect(has).toBe('False');
  });

  it('the local moto sets, reports and clears the flag the way EC2 does', async () => {
    const { ec2 } = localClients();
    const { Instances = [] } = await ec2.send(new RunInstancesCommand({ ImageId: await localBaseAmi(), MinCount: 1, MaxCount: 1 }));
    const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: Instances[0].InstanceId, Name: `protection-${Date.now()}` }));
    const protection = async () => (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images?.[0]?.DeregistrationProtection;

    expect(await protection()).toBe('disabled');
    expect((await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId }))).Return).toBe('enabled');
    expect(await protection()).toBe('enabled');
    await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId }));
    expect(await protection()).toBe('disabled');
  });
});

describe('moto patch: a weighted ForwardConfig default action in a CloudFormation listener', () => {
  it('is still needed: unpatched moto drops ForwardConfig (KeyError TargetGroupArn)', () => {
    const python = join(REPO_ROOT, '.venv', 'bin', 'python3');
    const probe = [
      'from moto.elbv2.models import ELBv2Backend',
      'action = {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "arn:tg/a", "Weight": 100}]}}',
      'try:',
      '    print(ELBv2Backend("us-east-1", "123456789012").convert_and_validate_properties({"DefaultActions": [action]}))',
      'except KeyError as error:',
      '    print("KeyError", error)',
    ].join('\n');
    // When this fails, moto keeps ForwardConfig itself: delete local/moto-patches/elbv2_forward_config.py and its import in serve.py.
    expect(execFileSync(python, ['-c', probe], { encoding: 'utf8' }).trim()).toBe("KeyError 'TargetGroupArn'");
  });
  // That the patched server keeps the weights on create and update: test/integration/app-slots.test.ts.
});

describe('moto patch: CloudWatch alarms in CloudFormation and DescribeAlarmHistory', () => {
  const python = join(REPO_ROOT, '.venv', 'bin', 'python3');

  it('is still needed: unpatched moto refuses CloudWatch JSON, skips AWS::CloudWatch::Alarm in stacks, has no TargetGroupFullName and no DescribeAlarmHistory', () => {
    const probe = [
      'from moto.cloudformation.parsing import get_model_map',
      'from moto.cloudwatch.responses import CloudWatchResponse',
      'from moto.core.utils import get_service_model',
      'from moto.elbv2.models import FakeTargetGroup',
      'meta = get_service_model("cloudwatch").metadata',
      'print("json" in meta.get("protocols", [meta["protocol"]]), "AWS::CloudWatch::Alarm" in get_model_map(), hasattr(FakeTargetGroup, "get_cfn_attribute"), hasattr(CloudWatchResponse, "describe_alarm_history"))',
    ].join('\n');
    // When this fails, moto has one of them itself: delete that part of local/moto-patches/cloudwatch_alarms.py (or the file and its import in serve.py).
    expect(execFileSync(python, ['-c', probe], { encoding: 'utf8' }).trim()).toBe('False False False False');
  });

  const template = (threshold: number) =>
    JSON.stringify({
      Resources: {
        Quiet: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            AlarmName: { 'Fn::Sub': '${AWS::StackName}-quiet' },
            Namespace: 'AWS/ApplicationELB',
            MetricName: 'UnHealthyHostCount',
            Dimensions: [{ Name: 'TargetGroup', Value: 'targetgroup/x/1' }],
            Statistic: 'Maximum',
            Period: 60,
            EvaluationPeriods: 3,
            ComparisonOperator: 'GreaterThanThreshold',
            Threshold: threshold,
            TreatMissingData: 'notBreaching',
          },
        },
      },
      Outputs: { Name: { Value: { Ref: 'Quiet' } } },
    });

  it('a stack creates, updates (keeping state and history) and deletes its alarm; the history lists each state change', async () => {
    const { cloudFormation, cloudWatch } = localClients();
    const stack = `alarm-patch-${Date.now()}`;
    const name = `${stack}-quiet`;
    await cloudFormation.send(new CreateStackCommand({ StackName: stack, TemplateBody: template(0) }));
    const alarm = async () => (await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0];
    expect(await alarm()).toMatchObject({ AlarmName: name, Threshold: 0, StateValue: 'OK' });
    const resource = await cloudFormation.send(new DescribeStackResourceCommand({ StackName: stack, LogicalResourceId: 'Quiet' }));
    expect(resource.StackResourceDetail?.PhysicalResourceId).toBe(name);

    const before = new Date(Date.now() - 1000);
    await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM', StateReason: 'test: fired' }));
    await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'OK', StateReason: 'test: recovered' }));
    await cloudFormation.send(new UpdateStackCommand({ StackName: stack, TemplateBody: template(1) }));
    expect(await alarm()).toMatchObject({ AlarmName: name, Threshold: 1, StateValue: 'OK' });

    const { AlarmHistoryItems = [] } = await cloudWatch.send(new DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: 'StateUpdate', StartDate: before, EndDate: new Date(Date.now() + 1000), ScanBy: 'TimestampAscending' }));
    expect(AlarmHistoryItems.map((i) => i.HistorySummary)).toEqual(['Alarm updated from OK to ALARM', 'Alarm updated from ALARM to OK']);
    expect(JSON.parse(AlarmHistoryItems[0].HistoryData ?? '{}')).toMatchObject({ oldState: { stateValue: 'OK' }, newState: { stateValue: 'ALARM', stateReason: 'test: fired' } });
    expect(AlarmHistoryItems[1].Timestamp!.getTime()).toBeGreaterThanOrEqual(AlarmHistoryItems[0].Timestamp!.getTime());
    const later = await cloudWatch.send(new DescribeAlarmHistoryCommand({ AlarmName: name, StartDate: new Date(Date.now() + 60_000) }));
    expect(later.AlarmHistoryItems ?? []).toEqual([]);

    await cloudFormation.send(new DeleteStackCommand({ StackName: stack }));
    expect(await alarm()).toBeUndefined();
  });
});

describe('moto patch: CreateChangeSet keeps UsePreviousValue values as the strings the stack was given', () => {
  it('is still needed: unpatched moto resolves a previous Number value as an int', () => {
    const python = join(REPO_ROOT, '.venv', 'bin', 'python3');
    const probe = [
      'import json, boto3',
      'from moto import mock_aws',
      'from moto.cloudformation.models import cloudformation_backends',
      'tpl = {"Parameters": {"N": {"Type": "Number"}, "S": {"Type": "String"}}, "Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "t-${N}-${S}"}}}}}',
      'with mock_aws():',
      '    cf = boto3.client("cloudformation", region_name="us-east-1")',
      '    cf.create_stack(StackName="s", TemplateBody=json.dumps(tpl), Parameters=[{"ParameterKey": "N", "ParameterValue": "2"}, {"ParameterKey": "S", "ParameterValue": "a"}])',
      '    cs = cf.create_change_set(StackName="s", ChangeSetName="c", TemplateBody=json.dumps(tpl), ChangeSetType="UPDATE", Parameters=[{"ParameterKey": "N", "UsePreviousValue": True}, {"ParameterKey": "S", "ParameterValue": "b"}])',
      '    print(type(cloudformation_backends["123456789012"]["us-east-1"].change_sets[cs["Id"]].parameters["N"]).__name__)',
    ].join('\n');
    // When this fails, moto compares previous values as given: delete local/moto-patches/cloudformation_previous_values.py and its import in serve.py.
    expect(execFileSync(python, ['-c', probe], { encoding: 'utf8' }).trim()).toBe('int');
  });
  it('is still needed: unpatched ExecuteChangeSet leaves the stack compared with its creation-time parameters (#15)', () => {
    const python = join(REPO_ROOT, '.venv', 'bin', 'python3');
    const probe = [
      'import json, boto3',
      'from moto import mock_aws',
      'from moto.cloudformation.models import cloudformation_backends',
      'tpl = {"Parameters": {"S": {"Type": "String"}}, "Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "t-${S}"}}}}}',
      'with mock_aws():',
      '    cf = boto3.client("cloudformation", region_name="us-east-1")',
      '    cf.create_stack(StackName="s", TemplateBody=json.dumps(tpl), Parameters=[{"ParameterKey": "S", "ParameterValue": "a"}])',
      '    cs = cf.create_change_set(StackName="s", ChangeSetName="c", TemplateBody=json.dumps(tpl), ChangeSetType="UPDATE", Parameters=[{"ParameterKey": "S", "ParameterValue": "b"}])',
      '    cf.execute_change_set(ChangeSetName=cs["Id"])',
      '    print(list(cloudformation_backends["123456789012"]["us-east-1"].stacks.values())[0].parameters["S"])',
    ].join('\n');
    // When this fails, moto records executed change sets' parameters: delete ChangeSet.apply's half of local/moto-patches/cloudformation_previous_values.py.
    expect(execFileSync(python, ['-c', probe], { encoding: 'utf8' }).trim()).toBe('a');
  });
  // That the patched server keeps both slots' groups through weight-only change sets: test/integration/slots-deploy.test.ts;
  // that a failback to the creation-time AMI still deploys: test/integration/gitops.test.ts.
});

describe('moto patch: UpdateStack resolves UsePreviousValue of a parameter the stack took from its Default (#27)', () => {
  it('is still needed: unpatched UpdateStack fails (KeyError) on such a parameter', () => {
    const python = join(REPO_ROOT, '.venv', 'bin', 'python3');
    const probe = [
      'import json, boto3',
      'from moto import mock_aws',
      'tpl = {"Parameters": {"W": {"Type": "Number"}, "D": {"Type": "String", "Default": ""}}, "Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "t-${W}"}}}}}',
      'with mock_aws():',
      '    cf = boto3.client("cloudformation", region_name="us-east-1")',
      '    cf.create_stack(StackName="s", TemplateBody=json.dumps(tpl), Parameters=[{"ParameterKey": "W", "ParameterValue": "0"}])',
      '    try:',
      '        cf.update_stack(StackName="s", UsePreviousTemplate=True, Parameters=[{"ParameterKey": "W", "ParameterValue": "100"}, {"ParameterKey": "D", "UsePreviousValue": True}])',
      '        print("updated")',
      '    except KeyError as error:',
      '        print("KeyError", error)',
    ].join('\n');
    // When this fails, moto resolves it itself: delete local/moto-patches/cloudformation_update_previous_values.py and its import in serve.py.
    expect(execFileSync(python, ['-c', probe], { encoding: 'utf8' }).trim()).toBe("KeyError 'D'");
  });
  // That the patched server runs a weight-only step as one UpdateStack and keeps both slots' groups: test/integration/weight-update.test.ts.
});

describe('moto patch: CopyImage of an AMI another account shared', () => {
  const python = join(REPO_ROOT, '.venv', 'bin', 'python3');

  it('is still needed: unpatched moto looks for the source in the copying account only, shared or not', () => {
    const probe = [
      'import boto3',
      'from moto import mock_aws',
      'with mock_aws():',
      '    src = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")',
      '    ami = src.register_image(Name="probe", RootDeviceName="/dev/xvda")["ImageId"]',
      '    snap = src.describe_images(ImageIds=[ami])["Images"][0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]',
      '    src.modify_image_attribute(ImageId=ami, LaunchPermission={"Add": [{"UserId": "222222222222"}]})',
      '    src.modify_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission", OperationType="add", UserIds=["222222222222"])',
      '    c = boto3.client("sts", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing").assume_role(RoleArn="arn:aws:iam::222222222222:role/copy", RoleSessionName="probe")["Credentials"]',
      '    tgt = boto3.client("ec2", region_name="us-east-1", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])',
      '    try:',
      '        tgt.copy_image(SourceImageId=ami, SourceRegion="us-east-1", Name="copy")',
      '        print("copied")',
      '    except Exception as error:',
      '        print(error.response["Error"]["Code"])',
    ].join('\n');
    // When this fails, moto copies a shared AMI itself: delete local/moto-patches/ec2_cross_account_copy.py and its import in serve.py.
    expect(execFileSync(python, ['-c', probe], { encoding: 'utf8' }).trim()).toBe('InvalidAMIID.NotFound');
  });

  it('the local moto copies it into the other account only once the AMI and its snapshot are both shared', async () => {
    const source = localClients().ec2;
    const { Credentials: c } = await new STSClient({ region: 'us-east-1' }).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/patch-prod-ami-copy', RoleSessionName: 'moto-patch' }));
    const target = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! } });
    const { ImageId: ami } = await source.send(new RegisterImageCommand({ Name: `shared-${Date.now()}`, RootDeviceName: '/dev/xvda', Architecture: 'x86_64', VirtualizationType: 'hvm' }));
    const snapshot = (await source.send(new DescribeImagesCommand({ ImageIds: [ami!] }))).Images?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId;
    const copy = () => target.send(new CopyImageCommand({ SourceImageId: ami, SourceRegion: 'us-east-1', Name: `copy-${Date.now()}` }));

    await expect(copy()).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
    await source.send(new ModifyImageAttributeCommand({ ImageId: ami, LaunchPermission: { Add: [{ UserId: '222222222222' }] } }));
    await expect(copy()).rejects.toMatchObject({ name: 'AuthFailure', message: expect.stringContaining(`snapshot ${snapshot}`) });
    await source.send(new ModifySnapshotAttributeCommand({ SnapshotId: snapshot, Attribute: 'createVolumePermission', OperationType: 'add', UserIds: ['222222222222'] }));
    const { ImageId } = await copy();
    expect((await target.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images?.[0]).toMatchObject({ OwnerId: '222222222222', State: 'available' });
    // A copy within one account is moto's own code, unchanged.
    await expect(source.send(new CopyImageCommand({ SourceImageId: ami, SourceRegion: 'us-east-1', Name: `own-${Date.now()}` }))).resolves.toMatchObject({ ImageId: expect.stringMatching(/^ami-/) });
  });
});

describe('moto patch: the rollback-trigger monitoring window and CancelUpdateStack (docs/moto.md #22)', () => {
  it('is still needed: unpatched moto has no CancelUpdateStack and ignores a change set\'s RollbackConfiguration', () => {
    const python = join(REPO_ROOT, '.venv', 'bin', 'python3');
    const probe = [
      'import inspect',
      'from moto.cloudformation.models import CloudFormationBackend',
      'from moto.cloudformation.responses import CloudFormationResponse as R',
      'print(hasattr(R, "cancel_update_stack"), "RollbackConfiguration" in inspect.getsource(R.create_change_set), "Monitoring" in inspect.getsource(CloudFormationBackend.execute_change_set))',
    ].join('\n');
    // When this fails, moto has one of them itself: check how it holds the window, then delete
    // local/moto-patches/cloudformation_monitoring_window.py and its import in serve.py.
    expect(execFileSync(python, ['-c', probe], { encoding: 'utf8' }).trim()).toBe('False False False');
  });

  // A launch template and a group tagged with the AMI parameter: an AMI change replaces the group in moto (docs/moto.md #4).
  const template = JSON.stringify({
    Parameters: { Ami: { Type: 'String' } },
    Resources: {
      Lt: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { ImageId: { Ref: 'Ami' }, InstanceType: 't3.micro' } } },
      Group: {
        Type: 'AWS::AutoScaling::AutoScalingGroup',
        Properties: {
          AvailabilityZones: ['us-east-1a'],
          MinSize: '1',
          MaxSize: '1',
          DesiredCapacity: '1',
          LaunchTemplate: { LaunchTemplateId: { Ref: 'Lt' }, Version: { 'Fn::GetAtt': ['Lt', 'LatestVersionNumber'] } },
          Tags: [{ Key: 'AmiId', Value: { Ref: 'Ami' }, PropagateAtLaunch: true }],
        },
      },
    },
  });

  it('an update with a window stays UPDATE_IN_PROGRESS with both groups; CancelUpdateStack rolls back to the old group and parameters', async () => {
    const { cloudFormation, autoScaling, ec2 } = localClients();
    const stack = `window-${Date.now()}`;
    const base = await localBaseAmi();
    const { ImageId: other } = await ec2.send(new CreateImageCommand({ InstanceId: (await ec2.send(new RunInstancesCommand({ ImageId: base, MinCount: 1, MaxCount: 1 }))).Instances![0].InstanceId, Name: `window-${Date.now()}` }));
    await cloudFormation.send(new CreateStackCommand({ StackName: stack, TemplateBody: template, Parameters: [{ ParameterKey: 'Ami', ParameterValue: base }] }));
    const group = async () => (await cloudFormation.send(new DescribeStackResourceCommand({ StackName: stack, LogicalResourceId: 'Group' }))).StackResourceDetail!;
    const status = async () => (await cloudFormation.send(new DescribeStacksCommand({ StackName: stack }))).Stacks![0];
    const exists = async (name: string) => ((await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups ?? []).length === 1;
    const blue = (await group()).PhysicalResourceId!;

    const { Id } = await cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: stack,
        ChangeSetName: 'ami',
        ChangeSetType: 'UPDATE',
        UsePreviousTemplate: true,
        Parameters: [{ ParameterKey: 'Ami', ParameterValue: other }],
        RollbackConfiguration: { MonitoringTimeInMinutes: 5, RollbackTriggers: [] },
      }),
    );
    await cloudFormation.send(new ExecuteChangeSetCommand({ ChangeSetName: Id }));

    const inWindow = await status();
    expect(inWindow.StackStatus).toBe('UPDATE_IN_PROGRESS');
    expect(inWindow.Parameters).toEqual([{ ParameterKey: 'Ami', ParameterValue: other }]);
    const green = await group();
    expect(green).toMatchObject({ ResourceStatus: 'UPDATE_COMPLETE' });
    expect(green.PhysicalResourceId).not.toBe(blue);
    expect([await exists(blue), await exists(green.PhysicalResourceId!)]).toEqual([true, true]);

    await cloudFormation.send(new CancelUpdateStackCommand({ StackName: stack }));
    const after = await status();
    expect(after.StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(after.Parameters).toEqual([{ ParameterKey: 'Ami', ParameterValue: base }]);
    expect((await group()).PhysicalResourceId).toBe(blue);
    expect([await exists(blue), await exists(green.PhysicalResourceId!)]).toEqual([true, false]);
    const events = ((await cloudFormation.send(new DescribeStackEventsCommand({ StackName: stack }))).StackEvents ?? []).map((e) => e.ResourceStatus);
    expect(events.slice(0, 4)).toEqual(['UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_IN_PROGRESS']);
    // Outside a window there is nothing to cancel, as on AWS.
    await expect(cloudFormation.send(new CancelUpdateStackCommand({ StackName: stack }))).rejects.toThrow('CancelUpdateStack cannot be called from current stack status');
    await cloudFormation.send(new DeleteStackCommand({ StackName: stack }));
  });
  // That the window ends with the cleanup (the old group deleted, UPDATE_COMPLETE): test/integration/replace-window.test.ts.
});

describe("moto patch: Fn::GetAZs '' answers the stack's own region", () => {
  const template = JSON.stringify({
    Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
    Outputs: { Zones: { Value: { 'Fn::Join': [',', { 'Fn::GetAZs': '' }] } }, Named: { Value: { 'Fn::Select': [0, { 'Fn::GetAZs': 'eu-west-1' }] } } },
  });

  it('is still needed: unpatched moto answers us-east-1 zones in every region', () => {
    const python = join(REPO_ROOT, '.venv', 'bin', 'python3');
    const probe = [
      'import boto3, json',
      'from moto import mock_aws',
      'with mock_aws():',
      '    cf = boto3.client("cloudformation", region_name="us-west-2", aws_access_key_id="testing", aws_secret_access_key="testing")',
      `    cf.create_stack(StackName="azs", TemplateBody=${JSON.stringify(template)})`,
      '    print([o["OutputValue"] for o in cf.describe_stacks(StackName="azs")["Stacks"][0]["Outputs"] if o["OutputKey"] == "Zones"][0])',
    ].join('\n');
    // When this fails, moto answers the stack's own region: delete local/moto-patches/cloudformation_get_azs.py and its import in serve.py.
    expect(execFileSync(python, ['-c', probe], { encoding: 'utf8' }).trim()).toBe('us-east-1a,us-east-1b,us-east-1c,us-east-1d');
  });

  it("the local moto answers the stack's region, and a named region as moto did", async () => {
    const cloudFormation = createAwsClients({ region: 'us-west-2' }).cloudFormation;
    const name = `azs-${Date.now()}`;
    await cloudFormation.send(new CreateStackCommand({ StackName: name, TemplateBody: template }));
    const outputs = (await cloudFormation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0]?.Outputs ?? [];
    expect(Object.fromEntries(outputs.map((o) => [o.OutputKey, o.OutputValue]))).toEqual({ Zones: 'us-west-2a,us-west-2b,us-west-2c,us-west-2d', Named: 'eu-west-1a' });
    await cloudFormation.send(new DeleteStackCommand({ StackName: name }));
  });
});

describe('moto patch: a CloudFormation update of a load balancer (docs/moto.md #23)', () => {
  it('is still needed: unpatched moto cannot update an AWS::ElasticLoadBalancingV2::LoadBalancer (it stores None in its place)', () => {
    const python = join(REPO_ROOT, '.venv', 'bin', 'python3');
    const probe = 'from moto.elbv2.models import FakeLoadBalancer as F; print(getattr(F.update_from_cloudformation_json, "__isabstractmethod__", False))';
    // When this fails, moto updates load balancers itself: delete local/moto-patches/elbv2_load_balancer_update.py and its import in serve.py.
    expect(execFileSync(python, ['-c', probe], { encoding: 'utf8' }).trim()).toBe('True');
  });

  it('keeps the load balancer when an update changes one of its properties (as AWS updates them in place)', async () => {
    const { cloudFormation } = localClients();
    const stack = `lb-update-${Date.now()}`;
    // A load balancer whose tag follows a parameter: changing it is an update of the load balancer, as AccessLogsBucket is in templates/app-slots.yaml.
    const template = JSON.stringify({
      Parameters: { Owner: { Type: 'String' } },
      Resources: {
        Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.9.0.0/16' } },
        A: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.9.1.0/24', AvailabilityZone: 'us-east-1a' } },
        B: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.9.2.0/24', AvailabilityZone: 'us-east-1b' } },
        Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: [{ Ref: 'A' }, { Ref: 'B' }], Tags: [{ Key: 'Owner', Value: { Ref: 'Owner' } }] } },
      },
    });
    const lb = async () => (await cloudFormation.send(new DescribeStackResourceCommand({ StackName: stack, LogicalResourceId: 'Lb' }))).StackResourceDetail?.PhysicalResourceId;
    await cloudFormation.send(new CreateStackCommand({ StackName: stack, TemplateBody: template, Parameters: [{ ParameterKey: 'Owner', ParameterValue: 'a' }] }));
    const before = await lb();
    await cloudFormation.send(new UpdateStackCommand({ StackName: stack, TemplateBody: template, Parameters: [{ ParameterKey: 'Owner', ParameterValue: 'b' }] }));
    // Unpatched, moto stores None for the load balancer and this call answers a 500 ("'NoneType' object has no attribute 'logical_resource_id'").
    expect(await lb()).toBe(before);
    expect((await cloudFormation.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0]?.StackStatus).toBe('UPDATE_COMPLETE');
  });
  // That the slots steps go through with AccessLogsBucket set: test/integration/slots-deploy.test.ts.
});

describe('moto patch: encrypted AMIs (RegisterImage from an encrypted snapshot, the key in DescribeImages, CopyImage with KmsKeyId)', () => {
  const python = join(REPO_ROOT, '.venv', 'bin', 'python3');

  it('is still needed: unpatched moto registers an AMI from an encrypted snapshot with an unencrypted snapshot of its own, and reports no key', () => {
    const probe = [
      'import boto3',
      'from moto import mock_aws',
      'with mock_aws():',
      '    k = dict(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")',
      '    ec2 = boto3.client("ec2", **k)',
      '    key = boto3.client("kms", **k).create_key()["KeyMetadata"]["Arn"]',
      '    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=True, KmsKeyId=key)["VolumeId"]',
      '    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]',
      '    ami = ec2.register_image(Name="probe", RootDeviceName="/dev/xvda", BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot}}])["ImageId"]',
      '    ebs = ec2.describe_images(ImageIds=[ami])["Images"][0]["BlockDeviceMappings"][0]["Ebs"]',
      '    print(ebs["SnapshotId"] == snapshot, ebs.get("Encrypted"), ebs.get("KmsKeyId"))',
    ].join('\n');
    // When this fails, moto models encrypted AMIs itself: delete local/moto-patches/ec2_encrypted_amis.py and its import in serve.py.
    expect(execFileSync(python, ['-c', probe], { encoding: 'utf8' }).trim()).toBe('False None None');
  });

  it('the local moto registers it under the snapshot’s key, and copies it into another account under that account’s key', async () => {
    const source = localClients().ec2;
    const sourceKey = (await new KMSClient({ region: 'us-east-1' }).send(new CreateKeyCommand({ Description: 'moto patch #24' }))).KeyMetadata!.Arn!;
    const { VolumeId } = await source.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 8, Encrypted: true, KmsKeyId: sourceKey }));
    const { SnapshotId } = await source.send(new CreateSnapshotCommand({ VolumeId }));
    const { ImageId: ami } = await source.send(new RegisterImageCommand({ Name: `encrypted-${Date.now()}`, RootDeviceName: '/dev/xvda', BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId } }] }));
    const ebs = async (ec2: EC2Client, id: string) => (await ec2.send(new DescribeImagesCommand({ ImageIds: [id] }))).Images?.[0]?.BlockDeviceMappings?.[0]?.Ebs;
    expect(await ebs(source, ami!)).toMatchObject({ SnapshotId, Encrypted: true, KmsKeyId: sourceKey });

    const { Credentials: c } = await new STSClient({ region: 'us-east-1' }).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/patch-prod-ami-copy', RoleSessionName: 'moto-patch' }));
    const credentials = { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! };
    const target = new EC2Client({ region: 'us-east-1', credentials });
    const targetKey = (await new KMSClient({ region: 'us-east-1', credentials }).send(new CreateKeyCommand({ Description: 'the copies' }))).KeyMetadata!.Arn!;
    await source.send(new ModifyImageAttributeCommand({ ImageId: ami, LaunchPermission: { Add: [{ UserId: '222222222222' }] } }));
    await source.send(new ModifySnapshotAttributeCommand({ SnapshotId, Attribute: 'createVolumePermission', OperationType: 'add', UserIds: ['222222222222'] }));
    const { ImageId: copy } = await target.send(new CopyImageCommand({ SourceImageId: ami, SourceRegion: 'us-east-1', Name: `copy-${Date.now()}`, Encrypted: true, KmsKeyId: targetKey }));
    expect(await ebs(target, copy!)).toMatchObject({ Encrypted: true, KmsKeyId: targetKey });
    // An unencrypted AMI is still moto's own: unencrypted, no key.
    const { ImageId: plain } = await source.send(new RegisterImageCommand({ Name: `plain-${Date.now()}`, RootDeviceName: '/dev/xvda' }));
    expect(await ebs(source, plain!)).toMatchObject({ Encrypted: false });
    expect((await ebs(source, plain!))?.KmsKeyId).toBeUndefined();
  });
});

describe('moto patch: the aws/ebs key is AWS managed', () => {
  it('is still needed: unpatched moto describes aws/ebs as a customer managed key', () => {
    const probe = [
      'import boto3',
      'from moto import mock_aws',
      'with mock_aws():',
      '    k = dict(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")',
      '    boto3.client("ec2", **k).create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=True)',
      '    print(boto3.client("kms", **k).describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["KeyManager"])',
    ].join('\n');
    // When this fails, moto's aws/ebs is AWS managed: delete local/moto-patches/kms_aws_managed_ebs_key.py and its import in serve.py.
    expect(execFileSync(join(REPO_ROOT, '.venv', 'bin', 'python3'), ['-c', probe], { encoding: 'utf8' }).trim()).toBe('CUSTOMER');
  });

  it('the local moto answers KeyManager AWS for the key EC2 encrypts a volume with by default, and CUSTOMER for a key of the account', async () => {
    const ec2 = localClients().ec2;
    const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 8, Encrypted: true }));
    const kms = new KMSClient({ region: 'us-east-1' });
    const ebsKey = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/ebs' }))).KeyMetadata;
    expect(ebsKey?.KeyManager).toBe('AWS');
    expect((await ec2.send(new DescribeVolumesCommand({ VolumeIds: [VolumeId!] }))).Volumes?.[0]?.KmsKeyId).toBe(ebsKey?.Arn);
    const own = (await kms.send(new CreateKeyCommand({ Description: 'a customer managed key' }))).KeyMetadata;
    expect(own?.KeyManager).toBe('CUSTOMER');
  });
});

describe('moto patch: the KeyPolicy of a key CloudFormation makes', () => {
  const template = JSON.stringify({
    Parameters: { Roles: { Type: 'String', Default: '' } },
    Conditions: { HasRoles: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Roles' }, ''] }] } },
    Resources: {
      Key: {
        Type: 'AWS::KMS::Key',
        Properties: {
          KeyPolicy: {
            Version: '2012-10-17',
            Statement: [
              { Sid: 'Root', Effect: 'Allow', Principal: { AWS: { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:root' } }, Action: 'kms:*', Resource: '*' },
              { 'Fn::If': ['HasRoles', { Sid: 'Roles', Effect: 'Allow', Principal: { AWS: { Ref: 'Roles' } }, Action: 'kms:Decrypt', Resource: '*' }, { Ref: 'AWS::NoValue' }] },
            ],
          },
        },
      },
    },
    Outputs: { Arn: { Value: { 'Fn::GetAtt': ['Key', 'Arn'] } } },
  });

  it('is still needed: unpatched moto cannot describe a key CloudFormation made (its policy is stored as an object)', () => {
    const probe = [
      'import boto3',
      'from moto import mock_aws',
      'with mock_aws():',
      '    k = dict(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")',
      '    cf = boto3.client("cloudformation", **k)',
      `    cf.create_stack(StackName="key", TemplateBody=${JSON.stringify(template)})`,
      '    arn = cf.describe_stacks(StackName="key")["Stacks"][0]["Outputs"][0]["OutputValue"]',
      '    try:',
      '        boto3.client("kms", **k).describe_key(KeyId=arn)',
      '        print("described")',
      '    except TypeError:',
      '        print("TypeError")',
    ].join('\n');
    // When this fails, moto stores a CloudFormation key's policy as text: delete local/moto-patches/kms_cloudformation_key_policy.py and its import in serve.py.
    expect(execFileSync(join(REPO_ROOT, '.venv', 'bin', 'python3'), ['-c', probe], { encoding: 'utf8' }).trim()).toBe('TypeError');
  });

  it('the local moto describes it, and keeps its policy as text without the statement AWS::NoValue removed', async () => {
    const cloudFormation = localClients().cloudFormation;
    const name = `key-${Date.now()}`;
    await cloudFormation.send(new CreateStackCommand({ StackName: name, TemplateBody: template }));
    const arn = (await cloudFormation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0]?.Outputs?.[0]?.OutputValue;
    const kms = new KMSClient({ region: 'us-east-1' });
    expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata).toMatchObject({ Arn: arn, KeyManager: 'CUSTOMER', KeyState: 'Enabled' });
    const policy = JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }))).Policy ?? '') as { Statement: { Sid: string }[] };
    expect(policy.Statement.map((s) => s.Sid)).toEqual(['Root']);
  });
});
