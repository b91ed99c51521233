/**
 * The SDK clients bootstrap, doctor and teardown use, configured like the actions' (retry mode,
 * timeouts, user agent: actions/lib/aws/clients.ts). Credentials and endpoints come from the SDK's
 * standard chain: the user's own profile or variables, AWS_ENDPOINT_URL for moto.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';

import { AWS_CLOCK_MIDDLEWARE, AwsClock, type AwsTime } from '../../actions/lib/aws/aws-clock';
import { sdkClientConfig } from '../../actions/lib/aws/clients';
import { systemClock } from '../../actions/lib/clock';

export interface SetupClients {
  cloudFormation: CloudFormationClient;
  iam: IAMClient;
  sts: STSClient;
  imageBuilder: ImagebuilderClient;
  ec2: EC2Client;
  eventBridge: EventBridgeClient;
  secretsManager: SecretsManagerClient;
  /** Only for an app template over CloudFormation's inline limit (the wiring's templateBucket). */
  s3: S3Client;
  /** AWS's time, from the Date header of the CloudFormation and EC2 answers (an AMI's deprecation is judged on it). */
  awsClock: AwsTime;
}

export function createSetupClients(region: string): SetupClients {
  const config = sdkClientConfig({ region, userAgentSuffix: 'bootstrap' });
  const awsClock = new AwsClock(systemClock);
  const cloudFormation = new CloudFormationClient(config);
  const ec2 = new EC2Client(config);
  cloudFormation.middlewareStack.add(awsClock.middleware, AWS_CLOCK_MIDDLEWARE);
  ec2.middlewareStack.add(awsClock.middleware, AWS_CLOCK_MIDDLEWARE);
  return {
    cloudFormation,
    iam: new IAMClient(config),
    sts: new STSClient(config),
    imageBuilder: new ImagebuilderClient(config),
    ec2,
    eventBridge: new EventBridgeClient(config),
    secretsManager: new SecretsManagerClient(config),
    s3: new S3Client(config),
    awsClock,
  };
}

export function destroySetupClients(clients: SetupClients): void {
  for (const client of Object.values(clients)) if ('destroy' in client) client.destroy();
}
