import { GetImageCommand, type Image, type ImagebuilderClient } from '@aws-sdk/client-imagebuilder';

import { AwsOperationError } from '../errors';

/** The one status in which an image's AMIs may be deployed. */
export const IMAGE_SUCCESS_STATUS = 'AVAILABLE';

/**
 * Statuses that end a wait in failure. FAILED and CANCELLED end a build. DEPRECATED, DISABLED and
 * DELETED are set later by a lifecycle policy or a person; an image in them must not be deployed,
 * which matters when build-ami resumes on an `image-arn` that is days old.
 */
export const IMAGE_FAILURE_STATUSES: ReadonlySet<string> = new Set(['FAILED', 'CANCELLED', 'DEPRECATED', 'DISABLED', 'DELETED']);

export function isTerminalImageStatus(status: string | undefined): boolean {
  return status === IMAGE_SUCCESS_STATUS || IMAGE_FAILURE_STATUSES.has(status ?? '');
}

/**
 * GetImage, insisting on an answer that has an image in it. An image that is not an object, or has
 * no state, is not something Image Builder sends: it is reported as a malformed response (what a
 * proxy's page or a cut-off body gives), which waits treat as transient, within their bound.
 * `signal` (a poll's deadline) aborts the call and the SDK's retries inside it.
 */
export async function getImage(client: ImagebuilderClient, imageArn: string, signal?: AbortSignal): Promise<Image> {
  const response = await client.send(new GetImageCommand({ imageBuildVersionArn: imageArn }), { abortSignal: signal });
  if (!response.image) {
    throw new AwsOperationError(`GetImage for ${imageArn}: the response had no image. Check that the ARN is an image build version ARN.`, imageArn);
  }
  if (typeof response.image !== 'object' || typeof response.image.state?.status !== 'string') {
    throw Object.assign(new Error(`GetImage for ${imageArn} answered without an image state (${JSON.stringify(response.image).slice(0, 120)})`), { name: 'MalformedResponse' });
  }
  return response.image;
}

/**
 * The image's build time so far: from Image Builder's `dateCreated` (an ISO string) to `nowMs`.
 * Undefined when the date is missing or unreadable; a resumed wait cannot measure it any other way.
 */
export function imageAgeMs(image: Image, nowMs: number): number | undefined {
  const created = image.dateCreated ? Date.parse(image.dateCreated) : Number.NaN;
  return Number.isFinite(created) ? Math.max(0, nowMs - created) : undefined;
}
