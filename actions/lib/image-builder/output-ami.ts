import type { Image } from '@aws-sdk/client-imagebuilder';

import { AwsOperationError } from '../errors';
import { parseImageBuilderArn } from './arns';

/**
 * The AMI an AVAILABLE image distributed to `region`. A distribution configuration can copy the AMI
 * to several regions and accounts; when one region holds copies for several accounts, the one in
 * the build's own account (the account in the image ARN) is ours. No AMI in the region is a clear
 * failure that names the regions there are, rather than a wrong AMI.
 */
export function selectAmiForRegion(image: Image, imageArn: string, region: string): string {
  const amis = image.outputResources?.amis ?? [];
  const inRegion = amis.filter((ami) => ami.region === region && ami.image);
  const buildAccount = parseImageBuilderArn(imageArn).account;
  const chosen = inRegion.find((ami) => ami.accountId === buildAccount) ?? (inRegion.length === 1 ? inRegion[0] : undefined);
  if (chosen?.image) return chosen.image;

  const elsewhere = amis.map((ami) => `${ami.image ?? '?'} in ${ami.region ?? '?'}${ami.accountId ? ` (account ${ami.accountId})` : ''}`);
  const why =
    inRegion.length > 1
      ? `it has ${inRegion.length} AMIs in ${region}, none of them in the build account ${buildAccount}`
      : `it has no AMI in ${region} (${elsewhere.length ? `AMIs: ${elsewhere.join(', ')}` : 'no AMIs at all'})`;
  throw new AwsOperationError(
    `Finding the AMI failed for ${imageArn}: ${why}. Add ${region} to the pipeline's distribution configuration, or set the region input to a region the image is distributed to.`,
    imageArn,
    'NO_AMI_IN_REGION',
  );
}
