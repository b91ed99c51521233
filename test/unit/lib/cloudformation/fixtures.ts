/** Shared fixtures for the CloudFormation unit tests: a small app template, parameters files, stacks. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CloudFormationClient, type Stack, type StackEvent } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';

import { VirtualClock } from '../../../../actions/lib/clock';
import { RecordingLogger } from '../../../../actions/lib/logger';
import { awsClockOn } from '../../support/aws-time';

export const STACK = 'patch-dev-app';
export const STACK_ID = `arn:aws:cloudformation:us-east-1:123456789012:stack/${STACK}/0d7c5a40-0000-11f0-8000-0a1b2c3d4e5f`;
export const OLD_AMI = 'ami-0aaaaaaaaaaaaaaa1';
export const NEW_AMI = 'ami-0bbbbbbbbbbbbbbb2';
export const CHANGE_SET_ARN = `arn:aws:cloudformation:us-east-1:123456789012:changeSet/patch-1-1-x/11111111-2222-3333-4444-555555555555`;
export const HTTP5XX_ALARM = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:patch-dev-app-http5xx';
export const UNHEALTHY_ALARM = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:patch-dev-app-unhealthy';

/** The app template's parameter shapes (not its resources): enough for validation and planning. */
export const TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  NetworkStackName:
    Type: String
  AmazonMachineImage:
    Type: AWS::EC2::Image::Id
  InstanceType:
    Type: String
    Default: t3.micro
    AllowedValues: [t3.micro, t3.small, t3.medium]
  DesiredCapacity:
    Type: Number
    Default: '2'
Resources:
  AppAutoScalingGroup:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: '1'
      MaxSize: '4'
      Tags:
        - Key: AmiId
          Value: !Ref AmazonMachineImage
          PropagateAtLaunch: true
`;

/** A scratch directory with a template and a parameters file per test. */
export function writeFixtures(parameters: Record<string, string> | string, tags: Record<string, string> = { Environment: 'dev' }) {
  const dir = mkdtempSync(join(tmpdir(), 'update-app-stack-'));
  const templateFile = join(dir, 'app.yaml');
  const parametersFile = join(dir, 'dev.json');
  writeFileSync(templateFile, TEMPLATE);
  writeFileSync(parametersFile, typeof parameters === 'string' ? parameters : `${JSON.stringify({ Parameters: parameters, Tags: tags }, null, 2)}\n`);
  return { dir, templateFile, parametersFile };
}

/** The parameters the stack currently runs with (DesiredCapacity at 3: a value the file does not set). */
export const STACK_PARAMETERS = { NetworkStackName: 'patch-dev-network', AmazonMachineImage: OLD_AMI, InstanceType: 't3.micro', DesiredCapacity: '3' };

export function stack(status: string, overrides: { parameters?: Record<string, string>; outputs?: Record<string, string>; reason?: string } = {}): Stack {
  const parameters = overrides.parameters ?? STACK_PARAMETERS;
  const outputs = overrides.outputs ?? { Http5xxAlarmArn: HTTP5XX_ALARM, UnhealthyHostsAlarmArn: UNHEALTHY_ALARM };
  return {
    StackName: STACK,
    StackId: STACK_ID,
    StackStatus: status as Stack['StackStatus'],
    StackStatusReason: overrides.reason,
    CreationTime: new Date('2026-01-01T00:00:00Z'),
    Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
  };
}

let eventCounter = 0;
/** A stack event; `logicalId` STACK makes a stack-level event. */
export function event(logicalId: string, status: string, reason?: string, resourceType?: string): StackEvent {
  eventCounter += 1;
  const isStack = logicalId === STACK;
  return {
    StackId: STACK_ID,
    StackName: STACK,
    EventId: `e-${String(eventCounter).padStart(4, '0')}`,
    LogicalResourceId: logicalId,
    ResourceType: resourceType ?? (isStack ? 'AWS::CloudFormation::Stack' : 'AWS::AutoScaling::AutoScalingGroup'),
    ResourceStatus: status as StackEvent['ResourceStatus'],
    ResourceStatusReason: reason,
    Timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, eventCounter)),
  };
}

/** DescribeStackEvents answers newest first. */
export const newestFirst = (events: StackEvent[]) => ({ StackEvents: [...events].reverse() });

export function makeDeps() {
  const clock = new VirtualClock();
  const logger = new RecordingLogger();
  return { clients: { cloudFormation: new CloudFormationClient({ region: 'us-east-1' }), ec2: new EC2Client({ region: 'us-east-1' }), awsClock: awsClockOn(clock) }, logger, clock };
}

export const throttling = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
export const validationError = (message: string) => Object.assign(new Error(message), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
