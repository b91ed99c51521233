import { z } from 'zod';

import { AMI_ID_PATTERN } from './inputs';

/**
 * The app's machine-readable details page (DESIGN.md §3.3): what an instance says about itself,
 * read from IMDSv2 by the page the app template ships. verify-alb uses it to learn which AMI
 * served each sampled response; the templates' contract test feeds the real page through
 * `parseDetailsJson` to prove the two agree.
 */
export interface DetailsPage {
  amiId: string;
  instanceId: string;
  /** Installed package count, when the page reports it (it is evidence, not a check). */
  packageCount?: number;
}

/** A response body that is not a usable details.json. Counts as an error sample, never a crash. */
export class DetailsJsonError extends Error {
  override readonly name = 'DetailsJsonError';
}

const detailsSchema = z.object({
  amiId: z.string({ error: 'amiId is missing' }).regex(AMI_ID_PATTERN, { error: 'amiId must be an AMI ID like ami-0123456789abcdef0' }),
  instanceId: z
    .string({ error: 'instanceId is missing' })
    .regex(/^i-([0-9a-f]{8}|[0-9a-f]{17})$/, { error: 'instanceId must be an instance ID like i-0123456789abcdef0' }),
  packageCount: z.number({ error: 'packageCount must be a number' }).int().nonnegative({ error: 'packageCount must not be negative' }).optional(),
});

function describeIssue(issue: z.core.$ZodIssue): string {
  return issue.path.length === 0 ? `expected a JSON object, got ${issue.message.replace(/^Invalid input: expected object, received /, '')}` : issue.message;
}

/** Longest body quoted back in an error: enough to recognise an HTML error page, short enough for a log line. */
const QUOTE_LIMIT = 80;

/**
 * Parses a details.json body. Throws `DetailsJsonError` when the body is not JSON or lacks a
 * valid `amiId`/`instanceId` — e.g. an HTML error page from the ALB, or an instance whose IMDS
 * call failed and printed an empty AMI ID. Extra fields are allowed and ignored.
 */
export function parseDetailsJson(text: string): DetailsPage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const quoted = text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
    throw new DetailsJsonError(`details.json is not JSON: ${JSON.stringify(quoted.trim())}`);
  }
  const parsed = detailsSchema.safeParse(value);
  if (!parsed.success) {
    throw new DetailsJsonError(`details.json is malformed: ${parsed.error.issues.map(describeIssue).join('; ')}`);
  }
  const { amiId, instanceId, packageCount } = parsed.data;
  return packageCount === undefined ? { amiId, instanceId } : { amiId, instanceId, packageCount };
}
