/**
 * Request checks as Image Builder makes them (patterns and ranges from the API reference), and
 * pagination with opaque tokens: a client that is wrong about the API fails here as on AWS.
 */
import { ApiError } from './protocol';

// Patterns from the EC2 Image Builder API reference.
export const PIPELINE_ARN = /^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws):image-pipeline\/[a-z0-9-_]+$/;
export const IMAGE_BUILD_ARN = /^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws(?:-[a-z-]+)?):image\/[a-z0-9-_]+\/[0-9]+\.[0-9]+\.[0-9]+\/[0-9]+$/;
/** RestrictedInteger in the API model: every List operation pages at most 25 items. */
const MAX_RESULTS = 25;
export const SCAN_FILTERS = ['imageBuildVersionArn', 'imagePipelineArn', 'vulnerabilityId', 'severity'];

export function requireString(value: unknown, name: string, pattern?: RegExp, maxLength?: number): string {
  if (typeof value !== 'string' || value === '') {
    throw new ApiError('InvalidRequestException', `Missing required parameter '${name}'.`);
  }
  if (pattern && !pattern.test(value)) {
    throw new ApiError('InvalidParameterValueException', `The value supplied for parameter '${name}' is not valid. '${name}' must match pattern ${pattern.source.replace(/\\\//g, '/')}`);
  }
  if (maxLength !== undefined && value.length > maxLength) {
    throw new ApiError('InvalidParameterValueException', `The value supplied for parameter '${name}' is not valid. '${name}' must be at most ${maxLength} characters long.`);
  }
  return value;
}

/**
 * One page of `items`. The token is opaque to clients; it carries the offset and what it was
 * issued for, so a token from another listing is rejected as on AWS.
 */
export function paginate<T>(items: readonly T[], body: Record<string, unknown>, scope: string): { page: T[]; nextToken?: string } {
  const max = body.maxResults ?? MAX_RESULTS;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_RESULTS) {
    throw new ApiError('InvalidParameterValueException', `The value supplied for parameter 'maxResults' is not valid. It must be an integer from 1 to ${MAX_RESULTS}.`);
  }
  let offset = 0;
  if (body.nextToken !== undefined) {
    try {
      const token = JSON.parse(Buffer.from(String(body.nextToken), 'base64url').toString('utf8')) as { scope: string; offset: number };
      if (token.scope !== scope || !Number.isInteger(token.offset)) throw new Error('foreign token');
      offset = token.offset;
    } catch {
      throw new ApiError('InvalidPaginationTokenException', 'The nextToken is not valid for this request.');
    }
  }
  const page = items.slice(offset, offset + max);
  const next = offset + max;
  return next < items.length ? { page, nextToken: Buffer.from(JSON.stringify({ scope, offset: next })).toString('base64url') } : { page };
}

