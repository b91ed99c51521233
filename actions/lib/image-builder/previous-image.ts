import { DescribeImagesCommand, type EC2Client, type Image as Ec2Image } from '@aws-sdk/client-ec2';

import { isAccessDeniedError, isNotFoundError } from '../aws/errors';
import { errorMessage } from '../errors';
import { IMAGE_BUILD_VERSION_ARN_PATTERN } from './arns';

/** The tag Image Builder puts on every AMI it distributes: the image build version ARN. */
export const IMAGE_BUILDER_ARN_TAG = 'Ec2ImageBuilderArn';

/** The Image Builder image behind an AMI, or why there is none (never a failure: the new build succeeded). */
export type PreviousImage = { imageArn: string } | { reason: string };

/**
 * The image build version ARN of the AMI the fleet runs now, from its `Ec2ImageBuilderArn` tag.
 * Both comparisons with the previous image (packages and findings) start here. `abortSignal`: the step's deadline.
 */
export async function findImageBuilderImageOfAmi(amiId: string, ec2: EC2Client, abortSignal?: AbortSignal): Promise<PreviousImage> {
  let images: Ec2Image[];
  try {
    // IncludeDisabled: the AMI running now may have been disabled by a lifecycle policy since.
    ({ Images: images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId], IncludeDeprecated: true, IncludeDisabled: true }), { abortSignal }));
  } catch (error) {
    if (isNotFoundError(error)) return { reason: `the AMI ${amiId} does not exist in this region (deregistered?)` };
    if (isAccessDeniedError(error)) return { reason: `the AMI ${amiId} cannot be described: ${errorMessage(error)} (allow ec2:DescribeImages)` };
    throw error;
  }
  const image = images.find((i) => i.ImageId === amiId);
  if (!image) return { reason: `the AMI ${amiId} does not exist in this region (deregistered?)` };
  const arn = image.Tags?.find((t) => t.Key === IMAGE_BUILDER_ARN_TAG)?.Value;
  if (!arn) return { reason: `the AMI ${amiId} has no ${IMAGE_BUILDER_ARN_TAG} tag, so it was not built by Image Builder (or its tags were not copied)` };
  if (!IMAGE_BUILD_VERSION_ARN_PATTERN.test(arn)) return { reason: `the AMI ${amiId}'s ${IMAGE_BUILDER_ARN_TAG} tag is not an image build version ARN: ${arn}` };
  return { imageArn: arn };
}
