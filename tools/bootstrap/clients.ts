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

import { sdkClientConfig } from '../../actions/lib/aws/clients';

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
}

export function createSetupClients(region: string): SetupClients {
  const config = sdkClientConfig({ region, userAgentSuffix: 'bootstrap' });
  return {
    cloudFormation: new CloudFormationClient(config),
    iam: new IAMClient(config),
    sts: new STSClient(config),
    imageBuilder: new ImagebuilderClient(config),
    ec2: new EC2Client(config),
    eventBridge: new EventBridgeClient(config),
    secretsManager: new SecretsManagerClient(config),
    s3: new S3Client(config),
  };
}

export function destroySetupClients(clients: SetupClients): void {
  for (const client of Object.values(clients)) client.destroy();
}
