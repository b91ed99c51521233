import { InputError } from './errors';
import { quote } from './untrusted-text';

// Partition-agnostic shape: us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-5.
const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

/**
 * The region an action works in: the `region` input, else AWS_REGION, else AWS_DEFAULT_REGION
 * (DESIGN.md §3.2). A malformed value is an input error, raised before any AWS call.
 */
export function resolveRegion(input: string | undefined, env: NodeJS.ProcessEnv): string {
  const [value, source] = input
    ? [input, 'input region']
    : env.AWS_REGION
      ? [env.AWS_REGION, 'AWS_REGION']
      : env.AWS_DEFAULT_REGION
        ? [env.AWS_DEFAULT_REGION, 'AWS_DEFAULT_REGION']
        : [undefined, undefined];
  if (!value) {
    throw new InputError(
      'No AWS region for this action: the region input, AWS_REGION and AWS_DEFAULT_REGION are all empty. Set the region input or run aws-actions/configure-aws-credentials first.',
    );
  }
  if (!REGION_PATTERN.test(value)) {
    throw new InputError(`Region ${quote(value)} from ${source} is not an AWS region name. Use a name like us-east-1 or eu-west-2.`);
  }
  return value;
}
