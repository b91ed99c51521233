/**
 * The source account's half of a copy into another account: EC2 copies a shared AMI only when the
 * copying account may launch it and may create volumes from each of its snapshots, so the
 * promotion role grants both to the target account for the copy, and takes back afterwards exactly
 * what it granted (a grant that was already there, made by someone else, stays), also when the
 * share itself fails half-way. Whether an encrypted AMI can be copied at all is decided before
 * (copy-encryption.ts): the snapshots' share is useless without their key.
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
import { isAccessDeniedError } from '../aws/errors';
import { AwsOperationError, errorMessage } from '../errors';
import type { CopySourceAccess } from './image-copy';

export interface ShareRequest {
  amiId: string;
  /** The account the copy is made in. */
  account: string;
  region: string;
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
        try {
          await ec2.send(new ModifySnapshotAttributeCommand({ SnapshotId: snapshot, Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [account] }));
        } catch (error) {
          if (!isAccessDeniedError(error)) throw error;
          // The promotion role may share snapshots with its stack's PromotionCopyAccounts only (templates/github-oidc.yaml).
          throw new AwsOperationError(
            `The promotion role may not share ${snapshot} of ${amiId} (${request.region}) with account ${account} (${errorMessage(error)}): that account is not in the PromotionCopyAccounts of the promotion role's github-oidc stack. ` +
              `Add ${account} there (next to its copy role in PromotionCopyRoleArns) and update the stack; then run Promote again.`,
            amiId,
          );
        }
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
