/**
 * The S3 client of update-app-stack and bootstrap, in a module of its own so that only the bundles
 * that upload a template carry the S3 SDK: a template over CloudFormation's inline limit goes up as
 * an object (cloudformation/template-source.ts). Configured like every other client (clients.ts).
 */
import { S3Client } from '@aws-sdk/client-s3';

import { sdkClientConfig, type ClientOptions } from './clients';

export function createS3Client(options: ClientOptions): S3Client {
  return new S3Client(sdkClientConfig(options));
}
