import { DescribeImagesCommand, type EC2Client, type Image as Ec2Image } from '@aws-sdk/client-ec2';
import type { Image } from '@aws-sdk/client-imagebuilder';

import { findAmiPolicyProblem, type AmiPolicy } from '../ami-policy';
import { isNotFoundError } from '../aws/errors';
import { AwsOperationError } from '../errors';
import { parseImageBuilderArn } from './arns';

/**
 * The AMI an AVAILABLE image distributed to `region`. A distribution configuration can copy the AMI
 * to several regions and accounts; when one region holds copies for several accounts, the one in
 * the build's own account (the account in the image ARN) is ours. No AMI in the region is a clear
 * failure that names the regions there are, rather than a wrong AMI.
 */
export function selectAmiForRegion(image: Image, imageArn: string, region: string): string {
  return selectOutputAmi(image, imageArn, region).amiId;
}

/** {@link selectAmiForRegion}, with the account Image Builder says it distributed the AMI to (when it says). */
export function selectOutputAmi(image: Image, imageArn: string, region: string): { amiId: string; distributedTo?: string } {
  const amis = image.outputResources?.amis ?? [];
  const inRegion = amis.filter((ami) => ami.region === region && ami.image);
  const buildAccount = parseImageBuilderArn(imageArn).account;
  const chosen = inRegion.find((ami) => ami.accountId === buildAccount) ?? (inRegion.length === 1 ? inRegion[0] : undefined);
  if (chosen?.image) return { amiId: chosen.image, distributedTo: chosen.accountId };

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

/**
 * Image Builder's word that an image is AVAILABLE is not proof that its AMI exists: the AMI may have
 * been deregistered since (a cleanup job, a person), or the answer may name an AMI that never was.
 * Before build-ami reports success, EC2 in the target region must know the AMI and call it
 * `available`; otherwise the patch PR would propose an AMI that fails at deploy. `abortSignal`: the step's deadline.
 */
export async function assertOutputAmiExists(amiId: string, imageArn: string, region: string, ec2: EC2Client, abortSignal?: AbortSignal): Promise<Ec2Image> {
  let ami: Ec2Image | undefined;
  try {
    const answer = await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId], IncludeDeprecated: true, IncludeDisabled: true }), { abortSignal });
    ami = answer.Images?.find((image) => image.ImageId === amiId);
  } catch (error) {
    if (!isNotFoundError(error)) throw error;
  }
  const state = ami?.State;
  if (ami && state === 'available') return ami;
  throw new AwsOperationError(
    `The AMI of ${imageArn} is not usable: Image Builder reports the image AVAILABLE with ${amiId} in ${region}, but EC2 there ` +
      `${state ? `says the AMI is ${state}` : 'has no such AMI (deregistered since, or never created)'}. Do not deploy it; start a new build with pipeline-arn.`,
    imageArn,
    'AMI_MISSING',
  );
}

/** The AMI build-ami hands on (and the patch PR proposes) must come from an owner the environment trusts. */
export function assertOutputAmiAllowed(ami: Ec2Image, imageArn: string, region: string, policy: AmiPolicy): void {
  const problem = findAmiPolicyProblem(ami, policy);
  if (!problem) return;
  throw new AwsOperationError(
    `The AMI of ${imageArn} is not proposed: AMI ${ami.ImageId} in ${region} ${problem}. No pull request is opened for it.`,
    imageArn,
    'AMI_OWNER_NOT_ALLOWED',
  );
}
