import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';

import { isNotFoundError } from '../aws/errors';
import type { Deps } from '../deps';
import { InputError } from '../errors';
import { IMAGE_BUILDER_ARN_TAG } from '../image-builder/previous-image';
import { describeRevocation, findRevocation, type ParametersFile, type RevocationList, type TemplateParameters } from '../parameters';

const IMAGE_ID_TYPE = 'AWS::EC2::Image::Id';

/**
 * Refuses a parameters file that names a revoked AMI, in preview and deploy alike, before any
 * change set exists. Every AWS::EC2::Image::Id parameter is checked, changed or not: a revoked AMI
 * that already runs must be replaced, not redeployed with other changes. An entry for an AMI ID
 * needs no AWS call; an entry for an image build is matched through the AMI's Ec2ImageBuilderArn
 * tag (DescribeImages, read-only), and only when the list has such entries.
 */
export async function refuseRevokedImages(
  input: { file: ParametersFile; template: TemplateParameters; revocations: RevocationList; stackName: string; mode: 'deploy' | 'preview' },
  deps: Deps<{ ec2: EC2Client }>,
): Promise<void> {
  const { file, revocations } = input;
  if (revocations.revocations.length === 0) return;
  const byImage = revocations.revocations.some((r) => r.imageArn !== undefined);
  for (const [key, parameter] of input.template.parameters) {
    const amiId = file.parameters[key];
    if (parameter.type !== IMAGE_ID_TYPE || !amiId) continue;
    const imageArn = byImage ? await imageBuilderArnOf(amiId, deps.clients.ec2) : undefined;
    const revocation = findRevocation(revocations, { amiId, imageArn });
    if (!revocation) continue;
    const line = file.lineOf('Parameters', key);
    throw new InputError(
      `${input.mode === 'deploy' ? 'Deploy' : 'Preview'} of ${input.stackName} refused for ${file.file}: line ${line}: ${key} = "${amiId}" is ${describeRevocation(revocation, revocations)}. ` +
        `Nothing was changed. Put an AMI that is not revoked in ${file.file} (a newer build, or an earlier one from its git history).`,
      { file: file.file, line },
    );
  }
}

/** The AMI's image build, from its tag; undefined when the AMI or the tag is not there (CloudFormation reports a missing AMI itself). */
async function imageBuilderArnOf(amiId: string, ec2: EC2Client): Promise<string | undefined> {
  try {
    const { Images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId], IncludeDeprecated: true, IncludeDisabled: true }));
    return Images.find((i) => i.ImageId === amiId)?.Tags?.find((t) => t.Key === IMAGE_BUILDER_ARN_TAG)?.Value;
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  }
}
