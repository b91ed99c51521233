/**
 * How a local template reaches CloudFormation: inline (`TemplateBody`) when it fits, otherwise
 * uploaded to S3 and named by `TemplateURL`, as `aws cloudformation deploy --s3-bucket` does.
 *
 * Two halves, so that a template that cannot be sent fails before any AWS call:
 *   planTemplateSource  (no AWS)  the size check; too large and no bucket = InputError
 *   resolveTemplateSource (S3)    for an upload: PutObject, then the object's URL
 *
 * The object is named by the SHA-256 of the template's bytes under `<stack>/<purpose>/`, so a
 * re-run or every step of a slots deploy writes the same key with the same bytes, and a changed
 * template never reuses a stale object. `purpose` is the mode (deploy or preview): the deploy and
 * preview roles may each write only under their own prefix (templates/github-oidc.yaml), so a pull
 * request's preview can never replace the object a deploy is about to execute.
 */
import { createHash } from 'node:crypto';

import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import { isExpiredCredentialsError, isTransientError } from '../aws/errors';
import { AwsOperationError, errorMessage, InputError } from '../errors';
import type { Logger } from '../logger';
import { NoAnswerBeforeDeadlineError } from '../step-deadline';

/** CloudFormation's limit for an inline TemplateBody; larger templates must go through S3. */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;
/** CloudFormation's limit for a template read from S3 (TemplateURL). */
export const MAX_TEMPLATE_URL_BYTES = 1_048_576;

export type TemplatePurpose = 'deploy' | 'preview';

export type TemplatePlan =
  | { kind: 'inline'; body: string }
  | { kind: 'upload'; body: string; bytes: number; bucket: string; key: string; stackName: string };

/** What CreateChangeSet / CreateStack get: exactly one of the two. */
export type TemplateSource = { templateBody: string; templateUrl?: undefined } | { templateUrl: string; templateBody?: undefined };

export interface TemplatePlanInput {
  /** The template file, for messages. */
  file: string;
  body: string;
  stackName: string;
  purpose: TemplatePurpose;
  /** The S3 bucket for templates over the inline limit; absent or empty: none configured. */
  bucket?: string;
  /** Where the bucket is configured, for the fix in the error (e.g. the action input's name). */
  bucketSetting: string;
}

/** The S3 key of a template: `<stack>/<purpose>/<sha256 of the bytes>.yaml`. */
export function templateObjectKey(stackName: string, purpose: TemplatePurpose, body: string): string {
  return `${stackName}/${purpose}/${createHash('sha256').update(body, 'utf8').digest('hex')}.yaml`;
}

/** Decides inline or upload; refuses (InputError, before any AWS call) what cannot be sent. */
export function planTemplateSource(input: TemplatePlanInput): TemplatePlan {
  const bytes = Buffer.byteLength(input.body, 'utf8');
  if (bytes > MAX_TEMPLATE_URL_BYTES) {
    throw new InputError(
      `CloudFormation template too large for ${input.file}: ${bytes} bytes, and a template read from S3 is limited to ${MAX_TEMPLATE_URL_BYTES}. Split it into stacks.`,
      { file: input.file },
    );
  }
  if (bytes <= MAX_TEMPLATE_BODY_BYTES) return { kind: 'inline', body: input.body };
  const bucket = input.bucket?.trim();
  if (!bucket) {
    throw new InputError(
      `CloudFormation template ${input.file} is ${bytes} bytes, over the ${MAX_TEMPLATE_BODY_BYTES}-byte limit of an inline TemplateBody, and no S3 bucket is configured to upload it to. ` +
        `Set ${input.bucketSetting} to a bucket in the stack's region (the deploy and preview roles may write to it: templates/github-oidc.yaml parameter TemplateBucketName), or shrink the template. Nothing was changed in AWS.`,
      { file: input.file },
    );
  }
  return { kind: 'upload', body: input.body, bytes, bucket, key: templateObjectKey(input.stackName, input.purpose, input.body), stackName: input.stackName };
}

/** The S3 URL CloudFormation reads: path style, as the AWS CLI builds it (works for dotted bucket names). */
export function templateObjectUrl(bucket: string, key: string, region: string): string {
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://s3.${region}.${domain}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export interface ResolveTemplateInput {
  plan: TemplatePlan;
  region: string;
  /** The account the bucket must belong to (the stack's), so a look-alike bucket of another account is refused by S3. */
  expectedBucketOwner?: string;
}

/** Needs S3 only for an upload; an inline template touches nothing. */
export interface TemplateUploadDeps {
  clients: { s3?: S3Client };
  logger: Logger;
}

/** Uploads when the plan says so and returns what CreateChangeSet / CreateStack should carry. */
export async function resolveTemplateSource(input: ResolveTemplateInput, deps: TemplateUploadDeps): Promise<TemplateSource> {
  const { plan } = input;
  if (plan.kind === 'inline') return { templateBody: plan.body };
  const s3 = deps.clients.s3;
  if (!s3) throw new Error(`resolveTemplateSource: no S3 client to upload ${plan.key} with (a caller bug: pass clients.s3).`);
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: plan.bucket,
        Key: plan.key,
        Body: plan.body,
        // Encrypted by the bucket's default (S3 encrypts every new object); naming a method here
        // would override a bucket that requires its own KMS key.
        ContentType: 'text/yaml',
        ...(input.expectedBucketOwner ? { ExpectedBucketOwner: input.expectedBucketOwner } : {}),
      }),
    );
  } catch (error) {
    // AWS out of reach and expired credentials keep their own handling (a re-run resumes); a refusal is about the bucket.
    if (isTransientError(error) || isExpiredCredentialsError(error) || error instanceof NoAnswerBeforeDeadlineError) throw error;
    const code = (error as { name?: string }).name ?? 'Error';
    throw new AwsOperationError(
      `Uploading the template to s3://${plan.bucket}/${plan.key} failed: ${code}: ${errorMessage(error).replace(/\.$/, '')}. ` +
        `Check that the bucket exists in ${input.region}${input.expectedBucketOwner ? `, belongs to account ${input.expectedBucketOwner} (the stack's)` : ''}, and that this role may s3:PutObject under ${plan.key.split('/').slice(0, 2).join('/')}/ ` +
        `(templates/github-oidc.yaml, TemplateBucketName). Stack ${plan.stackName} was not changed.`,
      plan.stackName,
      code,
    );
  }
  const url = templateObjectUrl(plan.bucket, plan.key, input.region);
  deps.logger.info(`Template is ${plan.bytes} bytes (over the ${MAX_TEMPLATE_BODY_BYTES}-byte inline limit): uploaded to s3://${plan.bucket}/${plan.key}.`);
  return { templateUrl: url };
}
