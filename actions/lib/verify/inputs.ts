import { z } from 'zod';

import { decimalInput, wholeNumberInput } from '../action/number-inputs';

/**
 * The verify-alb inputs (DESIGN.md §3.2, kebab-case, a public contract) as one zod schema over the
 * raw strings the runner passes. `readInputs` turns an empty string into "absent" before parsing,
 * so every default here is also the action.yml default.
 */

// Stack name (CloudFormation's own rule) or a stack ARN, which DescribeStacks also accepts.
const STACK_NAME = /^([A-Za-z][A-Za-z0-9-]{0,127}|arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/[A-Za-z][A-Za-z0-9-]{0,127}\/[A-Za-z0-9-]+)$/;
const TARGET_GROUP_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;
/** AMI IDs: 8 hex digits (old) or 17 (current). */
export const AMI_ID_PATTERN = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;

export const VERIFY_ALB_INPUT_NAMES = [
  'stack-name',
  'target-group-arn',
  'expected-ami-id',
  'url',
  'path',
  'watch-seconds',
  'max-error-rate',
  'timeout-minutes',
  'region',
] as const;

/** Every output of action.yml: set on every path (empty where unknown). */
export const VERIFY_ALB_OUTPUT_NAMES = ['healthy', 'healthy-targets', 'total-targets', 'served-ami-ids', 'error-rate', 'report-markdown'] as const;

/**
 * The share of samples that may fail. Shared with update-app-stack's max-error-rate, which its
 * slots steps pass to the same verification: one input, one grammar, one set of messages.
 */
export const maxErrorRateInput = decimalInput(0, {
  min: 0,
  max: 1,
  belowMin: 'must be between 0 and 1 (0 = no errors allowed)',
  aboveMax: 'must be between 0 and 1 (0.01 = 1 % of samples may fail)',
});

export const verifyAlbInputSchema = z
  .object({
    'stack-name': z
      .string()
      .regex(STACK_NAME, { error: 'must be a CloudFormation stack name (letters, digits, hyphens; starts with a letter) or stack ARN' })
      .optional(),
    'target-group-arn': z
      .string()
      .regex(TARGET_GROUP_ARN, { error: 'must be a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)' })
      .optional(),
    'expected-ami-id': z.string().regex(AMI_ID_PATTERN, { error: 'must be an AMI ID like ami-0123456789abcdef0' }),
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. the stack output LoadBalancerUrl' }).optional(),
    path: z
      .string()
      .regex(/^\/[^\s?#]*(\?[^\s#]*)?$/, { error: 'must be a URL path starting with "/", e.g. /details.json' })
      .default('/details.json'),
    // An hour at most: a longer soak belongs in a scheduled job, not a deploy step.
    'watch-seconds': wholeNumberInput('seconds', 60, { min: 0, max: 3600 }),
    'max-error-rate': maxErrorRateInput,
    'timeout-minutes': wholeNumberInput('minutes', 10, { min: 1, max: 120 }),
    region: z.string().optional(),
  })
  .refine((raw) => raw['stack-name'] !== undefined || raw['target-group-arn'] !== undefined, {
    path: ['stack-name'],
    error: 'stack-name or target-group-arn is required (the stack finds the target group, URL and Auto Scaling group)',
  })
  .refine((raw) => raw['stack-name'] !== undefined || raw.url !== undefined || raw['watch-seconds'] === 0, {
    path: ['url'],
    error: 'url is required when target-group-arn is given without stack-name and watch-seconds is above 0',
  })
  .transform((raw) => ({
    stackName: raw['stack-name'],
    targetGroupArn: raw['target-group-arn'],
    expectedAmiId: raw['expected-ami-id'],
    url: raw.url,
    path: raw.path,
    watchSeconds: raw['watch-seconds'],
    maxErrorRate: raw['max-error-rate'],
    timeoutMinutes: raw['timeout-minutes'],
    region: raw.region,
  }));

/** The verify-alb inputs after validation, camelCase. */
export type VerifyAlbInputs = z.infer<typeof verifyAlbInputSchema>;
