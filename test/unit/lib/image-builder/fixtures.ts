import type { Image } from '@aws-sdk/client-imagebuilder';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';

import { VirtualClock } from '../../../../actions/lib/clock';
import { RecordingLogger } from '../../../../actions/lib/logger';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const PIPELINE_ARN = `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image-pipeline/patch-dev-app`;
export const IMAGE_ARN = `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image/patch-dev-app-recipe/1.0.0/7`;
export const OLD_IMAGE_ARN = `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image/patch-dev-app-recipe/1.0.0/6`;
export const AMI_ID = 'ami-0123456789abcdef0';
export const OLD_AMI_ID = 'ami-0fedcba9876543210';

/** An Image Builder image in `status`, with an AMI in REGION when AVAILABLE. */
export function image(status: string, overrides: Partial<Image> = {}): Image {
  return {
    arn: IMAGE_ARN,
    state: { status: status as never },
    dateCreated: new Date(Date.UTC(2026, 0, 1) - 30 * 60_000).toISOString(),
    sourcePipelineArn: PIPELINE_ARN,
    outputResources: status === 'AVAILABLE' ? { amis: [{ region: REGION, image: AMI_ID, accountId: ACCOUNT }] } : undefined,
    ...overrides,
  };
}

/** An SDK-shaped error, as aws-sdk-client-mock rejects with it. */
export function awsError(name: string, message = name, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}

/** Deps with real (mocked-by-class) clients, a virtual clock and a recording logger. */
export function testDeps() {
  return {
    clients: { imageBuilder: new ImagebuilderClient({ region: REGION }), ec2: new EC2Client({ region: REGION }) },
    logger: new RecordingLogger(),
    clock: new VirtualClock(),
  };
}

/** EC2 knows the built AMI (build-ami checks it exists before reporting success). */
export function givenOutputAmiExists(ec2: AwsClientStub<EC2Client>, amiId = AMI_ID): void {
  ec2.on(DescribeImagesCommand, { ImageIds: [amiId] }).resolves({ Images: [{ ImageId: amiId, OwnerId: ACCOUNT, State: 'available' }] });
}
