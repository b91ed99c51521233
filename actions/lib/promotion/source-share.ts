/**
 * The source account's half of a copy into another account: EC2 copies a shared AMI only when the
 * copying account may launch it and may create volumes from each of its snapshots, so the
 * promotion role grants both to the target account for the copy, and takes back afterwards exactly
 * what it granted (a grant that was already there, made by someone else, stays). An AMI with an
 * encrypted snapshot is refused before anything is shared ({@link assertCopyableAcrossAccounts}).
 */
import {
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotAttributeCommand,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';

import type { Deps } from '../deps';
import { AwsOperationError, errorMessage, InputError } from '../errors';
import type { CopySourceAccess } from './image-copy';

export interface ShareRequest {
  amiId: string;
  /** The account the copy is made in. */
  account: string;
  region: string;
}

/**
 * Refuses, before anything is shared or copied, an AMI with an encrypted snapshot: another account
 * can copy it only if the KMS key is shared with that account too, which the promotion does not do
 * (and the default, AWS managed `aws/ebs` key cannot be shared at all), so EC2 would fail the copy
 * only after the AMI was shared. `deps.clients.ec2`: the source account, the AMI's region.
 */
export async function assertCopyableAcrossAccounts(request: ShareRequest, deps: Deps<{ ec2: EC2Client }>): Promise<void> {
  const image = (await deps.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [request.amiId] }))).Images?.[0];
  const encrypted = (image?.BlockDeviceMappings ?? []).filter((m) => m.Ebs?.Encrypted);
  if (encrypted.length === 0) return;
  const which = encrypted.map((m) => `${m.Ebs?.SnapshotId ?? m.DeviceName} (${m.Ebs?.KmsKeyId ? `KMS key ${m.Ebs.KmsKeyId}` : 'the default EBS key'})`).join(', ');
  throw new InputError(
    `${request.amiId} (${request.region}) cannot be copied into account ${request.account}: its snapshot ${which} is encrypted, and another account can copy it only ` +
      'with the KMS key shared too, which the promotion does not do (the default aws/ebs key cannot be shared at all). Nothing was shared, copied or written. ' +
      "Promote across accounts only AMIs with unencrypted snapshots, or keep that environment in the promotion role's account (no copyRoleArn) and give it its own copy there.",
  );
}

/** Shares `amiId` and its snapshots with `account` while a copy runs (`deps.clients.ec2`: the source account, the AMI's region). */
export function shareForCopy(request: ShareRequest, deps: Deps<{ ec2: EC2Client }>): CopySourceAccess {
  const { ec2 } = deps.clients;
  const { amiId, account } = request;
  const granted: { image: boolean; snapshots: string[] } = { image: false, snapshots: [] };
  return {
    async open() {
      const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }))).Images?.[0];
      if (!image) throw new AwsOperationError(`${amiId} is not in ${request.region} of the promotion role's account: nothing to share with ${account}`, amiId);
      const snapshots = (image.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId).filter((id): id is string => id !== undefined);
      const launch = await ec2.send(new DescribeImageAttributeCommand({ ImageId: amiId, Attribute: 'launchPermission' }));
      if (!(launch.LaunchPermissions ?? []).some((p) => p.UserId === account || p.Group === 'all')) {
        await ec2.send(new ModifyImageAttributeCommand({ ImageId: amiId, LaunchPermission: { Add: [{ UserId: account }] } }));
        granted.image = true;
      }
      for (const snapshot of snapshots) {
        const volume = await ec2.send(new DescribeSnapshotAttributeCommand({ SnapshotId: snapshot, Attribute: 'createVolumePermission' }));
        if ((volume.CreateVolumePermissions ?? []).some((p) => p.UserId === account || p.Group === 'all')) continue;
        await ec2.send(new ModifySnapshotAttributeCommand({ SnapshotId: snapshot, Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [account] }));
        granted.snapshots.push(snapshot);
      }
      deps.logger.info(
        `Shared ${amiId} (${request.region}) with account ${account} for the copy: ${granted.image ? 'launch permission granted' : 'launch permission already there'}; ` +
          `create-volume permission granted on ${granted.snapshots.join(', ') || 'no snapshot (already there)'}.`,
      );
    },
    async close() {
      // Each grant on its own: one that cannot be taken back is named with the command that does it, and the others still go.
      const leftovers: string[] = [];
      const takeBack = async (send: () => Promise<unknown>, command: string) => {
        try {
          await send();
        } catch (error) {
          leftovers.push(`${command} (${errorMessage(error)})`);
        }
      };
      if (granted.image) {
        await takeBack(
          () => ec2.send(new ModifyImageAttributeCommand({ ImageId: amiId, LaunchPermission: { Remove: [{ UserId: account }] } })),
          `aws ec2 modify-image-attribute --region ${request.region} --image-id ${amiId} --launch-permission "Remove=[{UserId=${account}}]"`,
        );
        granted.image = false;
      }
      for (const snapshot of granted.snapshots.splice(0)) {
        await takeBack(
          () => ec2.send(new ModifySnapshotAttributeCommand({ SnapshotId: snapshot, Attribute: 'createVolumePermission', OperationType: 'remove', UserIds: [account] })),
          `aws ec2 modify-snapshot-attribute --region ${request.region} --snapshot-id ${snapshot} --attribute createVolumePermission --operation-type remove --user-ids ${account}`,
        );
      }
      if (leftovers.length) deps.logger.warning(`${amiId} is still shared with account ${account}; take it back with: ${leftovers.join('; ')}`);
      else deps.logger.info(`Took back what was shared of ${amiId} with account ${account}: the copy holds its own snapshots.`);
    },
  };
}
