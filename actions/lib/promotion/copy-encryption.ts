/**
 * The encryption of a copy into another account. EC2 copies another account's encrypted AMI only
 * when that account may use the key of each snapshot (the source key's policy names its copy
 * role), and re-encrypts the copy with a key of the copying account; the AWS managed `aws/ebs` key
 * can be used by no other account at all. A copy that cannot work fails only after the AMI was
 * shared and CopyImage answered (EC2 checks the keys while the copy runs), so this is decided
 * first, from the source side and the copy role's side, before anything is shared, copied or
 * written: an `aws/ebs` snapshot, an environment without a copy key, a copy key the copy role cannot
 * use are refused with what to change.
 *
 * Not checked here, because only AWS can: whether the source key's policy lets the copy role use
 * the key (KMS evaluates key policies; the refusal would be the failed copy, reported with EC2's
 * reason and a pointer to the policy, image-copy.ts).
 */
import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';

import { isAccessDeniedError, isNotFoundError } from '../aws/errors';
import { errorMessage, InputError } from '../errors';

export interface CopyEncryptionRequest {
  amiId: string;
  /** The AMI's region: the source side's clients are there. */
  sourceRegion: string;
  environment: string;
  /** The environment's copy role (the wiring's copyRoleArn) and the account it copies into. */
  copyRoleArn: string;
  account: string;
  targetRegion: string;
  /** The wiring's copyKmsKeyArn. */
  copyKmsKeyArn?: string;
  /** The wiring file, for the refusals' location. */
  wiringFile: string;
}

/** What CopyImage gets: the copying account's key, or nothing (an unencrypted source, no copy key: the copy stays unencrypted). */
export interface CopyEncryption {
  kmsKeyId?: string;
  /** The source's customer managed keys, for the message of a copy that fails. */
  sourceKeys: string[];
}

/** The clients of both sides of the copy (two accounts, so not one Deps' clients). */
export interface CopyEncryptionDeps {
  /** The promotion role, the AMI's region. */
  source: { ec2: EC2Client; kms: KMSClient };
  /** The copy role, the copy's region. */
  target: { kms: KMSClient };
}

/** Decides the copy's key, or refuses (InputError) before anything is shared; see the module comment. */
export async function planCopyEncryption(request: CopyEncryptionRequest, deps: CopyEncryptionDeps): Promise<CopyEncryption> {
  const { amiId, sourceRegion, environment, account } = request;
  const image = (await deps.source.ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }))).Images?.[0];
  const encrypted = (image?.BlockDeviceMappings ?? []).filter((m) => m.Ebs?.Encrypted);
  const nothing = 'Nothing was shared, copied or written.';
  const where = `${amiId} (${sourceRegion}) cannot be copied into account ${account} for ${environment}`;

  const sourceKeys: string[] = [];
  for (const mapping of encrypted) {
    const snapshot = mapping.Ebs?.SnapshotId ?? mapping.DeviceName ?? 'a snapshot';
    const keyId = mapping.Ebs?.KmsKeyId;
    const key = keyId ? (await deps.source.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata : undefined;
    if (!keyId || key?.KeyManager === 'AWS') {
      throw new InputError(
        `${where}: its snapshot ${snapshot} is encrypted with the AWS managed key aws/ebs${keyId ? ` (${keyId})` : ''}, which AWS lets no other account use, so no copy there can ever be made. ${nothing} ` +
          "Bake the image with a customer managed key whose policy names the copy role: templates/image-pipeline.yaml's AmiKey (its PromotionCopyRoleArns parameter lists " +
          `${request.copyRoleArn}), then promote an AMI built with it.`,
        { file: request.wiringFile },
      );
    }
    if (!sourceKeys.includes(key?.Arn ?? keyId)) sourceKeys.push(key?.Arn ?? keyId);
  }

  if (!request.copyKmsKeyArn) {
    if (encrypted.length === 0) return { sourceKeys };
    throw new InputError(
      `${where}: its snapshots are encrypted (${sourceKeys.join(', ')}), and EC2 re-encrypts a copy into another account with a key of that account, but environments.${environment} has no copyKmsKeyArn. ${nothing} ` +
        `Set environments.${environment}.copyKmsKeyArn in ${request.wiringFile} to a key of account ${account} in ${request.targetRegion}: the AmiCopyKeyArn output of its github-oidc stack.`,
      { file: request.wiringFile },
    );
  }

  await assertCopyKeyUsable(request, request.copyKmsKeyArn, deps.target.kms);
  return { kmsKeyId: request.copyKmsKeyArn, sourceKeys };
}

/** The copy key, as the copy role sees it: it must exist and be enabled (EC2 would take any ID at CopyImage and fail the copy later). */
async function assertCopyKeyUsable(request: CopyEncryptionRequest, keyArn: string, kms: KMSClient): Promise<void> {
  const fix = `Set environments.${request.environment}.copyKmsKeyArn in ${request.wiringFile} to the AmiCopyKeyArn output of account ${request.account}'s github-oidc stack in ${request.targetRegion}`;
  const refuse = (what: string) => new InputError(`${request.amiId} cannot be copied into account ${request.account} for ${request.environment}: ${what}. Nothing was shared, copied or written. ${fix}.`, { file: request.wiringFile });
  let state: string | undefined;
  try {
    state = (await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata?.KeyState;
  } catch (error) {
    if (isNotFoundError(error)) throw refuse(`its copyKmsKeyArn ${keyArn} does not exist in ${request.targetRegion} of account ${request.account}`);
    if (isAccessDeniedError(error)) throw refuse(`the copy role ${request.copyRoleArn} may not use its copyKmsKeyArn ${keyArn} (${errorMessage(error)})`);
    throw error;
  }
  if (state !== 'Enabled') throw refuse(`its copyKmsKeyArn ${keyArn} is ${state ?? 'in an unknown state'}, and EC2 encrypts only with an enabled key (or enable it again: aws kms enable-key --region ${request.targetRegion} --key-id ${keyArn})`);
}
