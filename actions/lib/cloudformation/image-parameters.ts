import { DescribeImagesCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2';

import { findAmiPolicyProblem, type AmiPolicy } from '../ami-policy';
import type { AwsTime } from '../aws/aws-clock';
import { isNotFoundError } from '../aws/errors';
import type { Deps } from '../deps';
import { InputError } from '../errors';
import type { ParametersFile, TemplateParameters } from '../parameters';
import type { ParameterChange } from './change-set-parameters';

const IMAGE_ID_TYPE = 'AWS::EC2::Image::Id';

/** Why an image cannot be deployed, or undefined when it can. */
function imageProblem(image: Image | undefined, awsTime: AwsTime, policy: AmiPolicy): string | undefined {
  if (!image) return 'does not exist';
  if (image.State !== 'available') {
    const reason = image.StateReason?.Message ? ` (${image.StateReason.Message})` : '';
    const fix = image.State === 'disabled' ? `; re-enable it with \`aws ec2 enable-image --image-id ${image.ImageId}\` if it is meant to run` : '';
    return `is ${image.State ?? 'in an unknown state'}${reason}, so no instance can launch from it${fix}`;
  }
  // AWS's time, not the runner's: a runner two days slow would take yesterday's deprecation for tomorrow's.
  if (image.DeprecationTime && Date.parse(image.DeprecationTime) <= awsTime.now(`the deprecation time of ${image.ImageId}`)) {
    return (
      `was deprecated on ${image.DeprecationTime}: its owner retired it. Deploy a current AMI, or, if this one is meant to run, ` +
      `lift the deprecation with \`aws ec2 disable-image-deprecation --image-id ${image.ImageId}\``
    );
  }
  return findAmiPolicyProblem(image, policy);
}

/**
 * Checks every AMI the update would newly deploy (AWS::EC2::Image::Id parameters whose value
 * changes) before the change set is made. CloudFormation only checks that such an AMI exists; a
 * disabled or deprecated one passes, and the update then fails (or succeeds on a retired image)
 * only after the new Auto Scaling group has tried to launch. An AMI ID belongs to one region, so
 * "does not exist" is also what an AMI from another region looks like. Read-only (DescribeImages);
 * values the stack already runs are not re-checked, so a later deprecation never blocks a re-run.
 */
export async function checkNewImages(
  input: { changes: readonly ParameterChange[]; template: TemplateParameters; file: ParametersFile; region: string; policy: AmiPolicy },
  deps: Deps<{ ec2: EC2Client; awsClock: AwsTime }>,
): Promise<void> {
  const images = input.changes.filter((c) => input.template.parameters.get(c.key)?.type === IMAGE_ID_TYPE);
  for (const { key, next } of images) {
    let image: Image | undefined;
    try {
      // One id per call: a batch fails as a whole when any id is missing, without saying which.
      image = (await deps.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [next] }))).Images?.[0];
    } catch (error) {
      if (!isNotFoundError(error)) throw error;
    }
    const problem = imageProblem(image, deps.clients.awsClock, input.policy);
    if (!problem) continue;
    const line = input.file.lineOf('Parameters', key);
    throw new InputError(
      `AMI check failed for ${input.file.file}: line ${line}: ${key} = "${next}" ${problem}` +
        (image ? '.' : ` in ${input.region} (or is not shared with this account). Use the ami-id output of build-ami for ${input.region}; an AMI ID is valid in one region only.`) +
        ' Nothing was changed.',
      { file: input.file.file, line },
    );
  }
}
