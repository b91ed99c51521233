/**
 * Mints the AMI a stand-in build "distributes": a real image in moto's EC2, made the way Image
 * Builder makes one (launch a build instance from the parent image, create an image from it,
 * terminate the instance) and tagged the way Image Builder and the distribution configuration
 * tag it. Downstream code (the launch template, the ASG, DescribeImages by tag) then works on a
 * genuine AMI object. No software is installed on it: moto instances never boot.
 */
import { CreateImageCommand, RunInstancesCommand, TerminateInstancesCommand, type EC2Client, type Tag, type _InstanceType } from '@aws-sdk/client-ec2';

export interface MintRequest {
  parentImage: string;
  instanceType: string;
  /** The AMI name (Image Builder's distribution name with the build date filled in). */
  name: string;
  description: string;
  /** Tags of the AMI: Image Builder's own plus the distribution configuration's amiTags. */
  tags: Record<string, string>;
  /** The image build version ARN, for the build instance's tags (as Image Builder does). */
  imageBuildVersionArn: string;
}

export type AmiMinter = (request: MintRequest) => Promise<string>;

const toTags = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export function createAmiMinter(ec2: EC2Client): AmiMinter {
  return async (request) => {
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: request.parentImage,
        InstanceType: request.instanceType as _InstanceType,
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: toTags({ Name: `Build instance for ${request.name}`, Ec2ImageBuilderArn: request.imageBuildVersionArn }),
          },
        ],
      }),
    );
    const instanceId = run.Instances?.[0]?.InstanceId;
    if (!instanceId) throw new Error(`RunInstances from ${request.parentImage} returned no instance`);
    try {
      const image = await ec2.send(
        new CreateImageCommand({
          InstanceId: instanceId,
          Name: request.name,
          Description: request.description,
          TagSpecifications: [{ ResourceType: 'image', Tags: toTags(request.tags) }],
        }),
      );
      if (!image.ImageId) throw new Error(`CreateImage from ${instanceId} returned no image id`);
      return image.ImageId;
    } finally {
      // Image Builder terminates its build instance whatever happens; so does the stand-in.
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    }
  };
}
