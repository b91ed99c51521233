import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A small app template in the shape of the contract (COMMON.md "App stack"), written the way real
 * templates are: YAML with short-form tags in Conditions, Resources and Outputs, so reading its
 * Parameters proves the tags do not get in the way.
 */
export const APP_TEMPLATE = String.raw`AWSTemplateFormatVersion: '2010-09-09'
Description: fixture app stack
Parameters:
  NetworkStackName:
    Type: String
    AllowedPattern: '[A-Za-z][A-Za-z0-9-]{0,127}'
    ConstraintDescription: must be a CloudFormation stack name
  AmazonMachineImage:
    Type: AWS::EC2::Image::Id
  InstanceType:
    Type: String
    Default: t3.micro
    AllowedValues: [t3.micro, t3.small, t3.medium, m7i.large]
  DesiredCapacity:
    Type: Number
    Default: 2
    MinValue: 1
    MaxValue: 10
  MaxSize: { Type: Number, Default: 4, MinValue: 1, MaxValue: 20 }
  MinSuccessfulInstancesPercent: { Type: Number, Default: 100, MinValue: 0, MaxValue: 100 }
  SignalTimeout:
    Type: String
    Default: PT10M
    AllowedPattern: 'PT([0-9]+H)?([0-9]+M)?([0-9]+S)?'
  CertificateArn:
    Type: String
    Default: ''
    AllowedPattern: '(arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+)?'
  AllowedIngressCidr:
    Type: String
    Default: 0.0.0.0/0
    AllowedPattern: '(\d{1,3}\.){3}\d{1,3}/(\d|[12]\d|3[0-2])'
  HealthCheckPath:
    Type: String
    Default: /health.html
    MinLength: 1
    MaxLength: 64
Conditions:
  HasCertificate: !Not [!Equals [!Ref CertificateArn, '']]
Resources:
  AppLaunchTemplate:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: !Ref AmazonMachineImage
        InstanceType: !Ref InstanceType
        UserData: !Base64
          Fn::Sub: |
            #!/bin/bash
            echo ${'$'}{AWS::StackName}
  AppAutoScalingGroup:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      LaunchTemplate:
        LaunchTemplateId: !Ref AppLaunchTemplate
        Version: !GetAtt AppLaunchTemplate.LatestVersionNumber
      VPCZoneIdentifier: !Split [',', !ImportValue { 'Fn::Sub': '${'$'}{NetworkStackName}-PrivateSubnetIds' }]
      MinSize: !Ref DesiredCapacity
      MaxSize: !Ref MaxSize
Outputs:
  LoadBalancerUrl:
    Value: !If [HasCertificate, !Sub 'https://example', !Sub 'http://example']
  AmiId:
    Value: !Ref AmazonMachineImage
`;

/** A parameters file the fixture template accepts, one key per line. */
export const GOOD_PARAMETERS = `{
  "Parameters": {
    "NetworkStackName": "patch-dev-network",
    "AmazonMachineImage": "ami-0d27e0fb3bac4d724",
    "InstanceType": "t3.micro",
    "DesiredCapacity": "2"
  },
  "Tags": {
    "Environment": "dev"
  }
}
`;

/** A scratch directory for file-based tests; `write` creates files (parents included). */
export function scratchDir(): { root: string; write(relative: string, content: string | Buffer): string; remove(): void } {
  const root = mkdtempSync(path.join(tmpdir(), 'parameters-test-'));
  return {
    root,
    write(relative, content) {
      const full = path.join(root, relative);
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, content);
      return full;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
