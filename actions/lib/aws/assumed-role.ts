/**
 * EC2 and KMS of another account, through a role the job's own role assumes: the copy role of an
 * environment in another account (actions/lib/promotion/source-share.ts says why a copy there is
 * made from there; copy-encryption.ts why it checks that account's key). Apart from clients.ts
 * because only the promotion needs STS: the other bundles stay as they are. Configured as every
 * client is (sdkClientConfig), with the assumed credentials.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMSClient } from '@aws-sdk/client-kms';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

import { sdkClientConfig, type ClientOptions } from './clients';

/** A copy can take most of an hour: one session of the role's maximum, asked for again near its end. */
const SESSION_SECONDS = 3600;

export interface AssumedRoleClients {
  ec2: EC2Client;
  kms: KMSClient;
}

/**
 * EC2 and KMS clients in `region` acting as `roleArn`, sharing one session. The credentials are a
 * provider that returns their expiry, so the SDK assumes the role again before they lapse (a long
 * copy keeps working).
 */
export function createAssumedRoleClients(options: ClientOptions & { roleArn: string; sessionName: string }): AssumedRoleClients {
  const sts = new STSClient(sdkClientConfig({ region: options.region, userAgentSuffix: options.userAgentSuffix }));
  const credentials = async () => {
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: options.roleArn, RoleSessionName: options.sessionName, DurationSeconds: SESSION_SECONDS }));
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole of ${options.roleArn} returned no credentials`);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  };
  return { ec2: new EC2Client({ ...sdkClientConfig(options), credentials }), kms: new KMSClient({ ...sdkClientConfig(options), credentials }) };
}
