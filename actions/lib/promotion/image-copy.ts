/**
 * The copy of a proven AMI for an environment in another region or account: an AMI ID is valid in
 * one region (and, unshared, one account) only, so a later wave there runs a copy of the same image,
 * never a new bake. In another account the copy is made there, by a role of that account, while
 * the source account shares the AMI for it ({@link CopySourceAccess}, source-share.ts). The copy is tagged
 * with the AMI it was copied from, its region and the original Image Builder image ARN (under the
 * tag key Image Builder itself uses), so the promotion's evidence and package diff, and the deploy
 * gate, follow the copy to its source; git records the source in the promotion's metadata.
 *
 * Idempotent: a copy already tagged with the source is reused (a re-run, or the open PR rewritten),
 * so no run makes two. A copy that ends `failed` is deregistered (it can never become available, and
 * would block the next run's lookup) and reported with EC2's reason; nothing is written to git.
 */
import { CopyImageCommand, CreateTagsCommand, DeregisterImageCommand, DescribeImagesCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2';

import { isNotFoundError } from '../aws/errors';
import type { Deps } from '../deps';
import { AwsOperationError } from '../errors';
import { IMAGE_BUILDER_ARN_TAG } from '../image-builder/previous-image';
import { poll } from '../poll';

export const SOURCE_AMI_TAG = 'SourceAmiId';
export const SOURCE_REGION_TAG = 'SourceRegion';

/** A cross-region CopyImage of a small AMI takes minutes; a large one can take an hour. */
const COPY_TIMEOUT_MS = 60 * 60_000;

export interface CopyRequest {
  sourceAmiId: string;
  sourceRegion: string;
  targetRegion: string;
  /** The original build's image ARN, when the source carries it. */
  imageArn?: string;
  /** The copy's name (unique per account and region): the source's name is not known here. */
  name: string;
  /** A key of the copying account in the target region: the copy is encrypted with it (copy-encryption.ts decides it). */
  kmsKeyId?: string;
  /** The source's customer managed keys: named when a copy fails, as a key policy that does not let the copy role use them fails it. */
  sourceKeys?: readonly string[];
}

export interface ImageCopy {
  amiId: string;
  /** False when an earlier run's copy was reused. */
  created: boolean;
}

/** The source AMI an image was copied from, by its tag; undefined for an original (or an untagged copy). */
export function sourceOfCopy(image: Pick<Image, 'Tags'> | undefined): string | undefined {
  return image?.Tags?.find((t) => t.Key === SOURCE_AMI_TAG)?.Value;
}

/** The AMI and region `amiId` was copied from, by its tags (DescribeImages in the AMI's region); undefined for an original, an untagged copy or an AMI that does not exist. */
export async function readCopyOrigin(amiId: string, ec2: EC2Client): Promise<{ amiId: string; region: string } | undefined> {
  try {
    const tags = (await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }))).Images?.[0]?.Tags ?? [];
    const source = tags.find((t) => t.Key === SOURCE_AMI_TAG)?.Value;
    const region = tags.find((t) => t.Key === SOURCE_REGION_TAG)?.Value;
    return source && region ? { amiId: source, region } : undefined;
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  }
}

/** The source AMI of `amiId` by its tag (DescribeImages in the AMI's region), or undefined for an original or an AMI that does not exist. */
export async function readCopySource(amiId: string, ec2: EC2Client): Promise<string | undefined> {
  try {
    return sourceOfCopy((await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }))).Images?.[0]);
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  }
}

/**
 * What a copy into another account needs from the source account while it runs: the AMI and its
 * snapshots shared with the target account. `close` takes back only what `open` granted, after the
 * copy ended either way, so the source AMI is never left shared.
 */
export interface CopySourceAccess {
  open(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The copy of `sourceAmiId` in the target region (`deps.clients.ec2` is that region's client, of
 * the target account), made if there is none. With `access` (another account), the source is
 * shared for as long as a copy is being made.
 */
export async function ensureImageCopy(request: CopyRequest, deps: Deps<{ ec2: EC2Client }>, access?: CopySourceAccess): Promise<ImageCopy> {
  const { ec2 } = deps.clients;
  const { Images = [] } = await ec2.send(
    new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${SOURCE_AMI_TAG}`, Values: [request.sourceAmiId] }, { Name: `tag:${SOURCE_REGION_TAG}`, Values: [request.sourceRegion] }] }),
  );
  const existing = Images.find((i) => i.State !== 'failed' && i.State !== 'deregistered');
  if (existing?.ImageId) deps.logger.info(`${request.targetRegion} already has ${existing.ImageId}, the copy of ${request.sourceAmiId} (${existing.State}).`);
  if (existing?.ImageId && existing.State === 'available') return { amiId: existing.ImageId, created: false };
  try {
    // Inside the try: a share refused half-way is taken back as a finished one is.
    await access?.open();
    if (existing?.ImageId) return { amiId: await waitForCopy(existing.ImageId, request, deps), created: false };
    return { amiId: await startCopy(request, deps), created: true };
  } finally {
    await access?.close();
  }
}

/** CopyImage, tag the copy (the target account cannot read the source's tags: the values come from the source side), wait. */
async function startCopy(request: CopyRequest, deps: Deps<{ ec2: EC2Client }>): Promise<string> {
  const { ec2 } = deps.clients;
  const { ImageId } = await ec2.send(
    new CopyImageCommand({
      SourceImageId: request.sourceAmiId,
      SourceRegion: request.sourceRegion,
      Name: request.name,
      Description: `Copy of ${request.sourceAmiId} (${request.sourceRegion}) for promotion`,
      // Without a key, a copy stays encrypted as its source is (in another region, with that region's aws/ebs key).
      ...(request.kmsKeyId ? { Encrypted: true, KmsKeyId: request.kmsKeyId } : {}),
    }),
  );
  if (!ImageId) throw new AwsOperationError(`CopyImage of ${request.sourceAmiId} to ${request.targetRegion} returned no image ID`, request.sourceAmiId);
  const tags = [
    { Key: SOURCE_AMI_TAG, Value: request.sourceAmiId },
    { Key: SOURCE_REGION_TAG, Value: request.sourceRegion },
    ...(request.imageArn ? [{ Key: IMAGE_BUILDER_ARN_TAG, Value: request.imageArn }] : []),
  ];
  try {
    await ec2.send(new CreateTagsCommand({ Resources: [ImageId], Tags: tags }));
  } catch (error) {
    // An untagged copy is one no later run finds (the lookup is by these tags): not left behind.
    await ec2.send(new DeregisterImageCommand({ ImageId }));
    throw error;
  }
  deps.logger.info(`Copying ${request.sourceAmiId} from ${request.sourceRegion} to ${request.targetRegion} as ${ImageId}, tagged ${tags.map((t) => `${t.Key}=${t.Value}`).join(', ')}.`);
  return waitForCopy(ImageId, request, deps);
}

async function waitForCopy(amiId: string, request: CopyRequest, deps: Deps<{ ec2: EC2Client }>): Promise<string> {
  const { observation: image } = await poll<Image>({
    description: `the copy ${amiId} of ${request.sourceAmiId} in ${request.targetRegion} to become available`,
    check: async (signal) => (await deps.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }), { abortSignal: signal })).Images?.[0] ?? {},
    isDone: (i) => i.State === 'available' || i.State === 'failed' || i.State === 'error' || i.State === 'deregistered',
    describe: (i) => `state ${i.State ?? 'unknown'}`,
    clock: deps.clock,
    timeoutMs: COPY_TIMEOUT_MS,
    schedule: { firstDelayMs: 5_000, steadyMs: 15_000 },
  });
  if (image.State === 'available') return amiId;
  const reason = image.StateReason?.Message ?? 'no reason given';
  if (image.State !== 'deregistered') {
    // A failed copy never becomes available; leaving it would only make the next run look at it.
    await deps.clients.ec2.send(new DeregisterImageCommand({ ImageId: amiId }));
  }
  // EC2 checks the source's keys only while the copy runs: a key policy that does not let the copying role use them fails it here.
  const keys = request.sourceKeys?.length
    ? ` Its source is encrypted with ${request.sourceKeys.join(', ')}: if EC2's reason is about KMS, that key's policy must let the copy role use it (templates/image-pipeline.yaml's PromotionCopyRoleArns), and the copy role's policy must name it (PromotionSourceKeyArn).`
    : '';
  throw new AwsOperationError(
    `The copy ${amiId} of ${request.sourceAmiId} (${request.sourceRegion}) in ${request.targetRegion} ended ${image.State}: ${reason}. It was deregistered; nothing was proposed.${keys} The next Promote run copies again.`,
    amiId,
    image.State,
  );
}
