import { DescribeImagesCommand, type Image } from '@aws-sdk/client-ec2';

import { accountOfArn, environmentAmiPolicy, findAmiPolicyProblem, type AmiPolicy } from '../ami-policy';
import type { AwsClients } from '../aws/clients';
import { describeStack } from '../cloudformation/stack-state';
import { isNotFoundError } from '../aws/errors';
import type { Deps } from '../deps';
import { IMAGE_BUILDER_ARN_TAG } from '../image-builder/previous-image';
import { AwsOperationError, errorMessage, InputError } from '../errors';
import type { EnvironmentConfig } from '../parameters';

/** What the failback summary shows about the AMI it is about to deploy. */
export interface UsableImage {
  amiId: string;
  name?: string;
  creationDate?: string;
  /** `enabled…` when the AMI cannot be deregistered by accident; the summary warns otherwise. */
  deregistrationProtection?: string;
  /** The image build behind it (its Ec2ImageBuilderArn tag), so an image-level revocation can match. */
  imageBuilderArn?: string;
}

/**
 * Checks that an AMI can be deployed again before git or the stack is touched (the failback
 * pre-flight): it exists in the region, its state is `available`, it is neither
 * deprecated nor disabled, and its owner is on the environment's allowlist (ami-policy.ts). DescribeImages hides deprecated and disabled AMIs unless asked, so both
 * flags are set: otherwise a disabled AMI would look like a missing one and the fix would be wrong.
 *
 * Everything that makes the AMI unusable is an InputError (the request names a bad target; nothing
 * was changed). A failed DescribeImages call is an AwsOperationError.
 */
export async function assertImageUsable(amiId: string, region: string, policy: AmiPolicy, deps: Deps<Pick<AwsClients, 'ec2' | 'awsClock'>>): Promise<UsableImage> {
  const unusable = (why: string, fix: string): never => {
    throw new InputError(`Failback target ${amiId} is not usable in ${region}: ${why}. ${fix}.`);
  };
  const image = await describeImage(amiId, region, deps);
  if (!image) unusable('no such AMI (deregistered, never built here, or not shared with this account)', 'Pick another target-ami, or leave it empty for the one before the current AMI');
  const found = image!;

  if (found.State === 'disabled') {
    unusable('the AMI is disabled', `Re-enable it (aws ec2 enable-image --image-id ${amiId} --region ${region}), then run the failback again`);
  }
  if (found.State !== 'available') {
    unusable(`its state is ${found.State ?? 'unknown'}${found.StateReason?.Message ? ` (${found.StateReason.Message})` : ''}, not available`, 'Pick another target-ami');
  }
  // Judged on AWS's time (its answers' Date header), not the runner's clock.
  if (found.DeprecationTime && Date.parse(found.DeprecationTime) <= deps.clients.awsClock.now(`the deprecation time of ${amiId}`)) {
    unusable(
      `it was deprecated at ${found.DeprecationTime}`,
      `Cancel the deprecation if it is still trusted (aws ec2 disable-image-deprecation --image-id ${amiId} --region ${region}), or pick another target-ami`,
    );
  }
  const policyProblem = findAmiPolicyProblem(found, policy);
  if (policyProblem) unusable(`AMI ${amiId} ${policyProblem}`, 'Nothing was changed');
  if (!found.DeregistrationProtection?.startsWith('enabled')) {
    deps.logger.warning(
      `${amiId} has no deregistration protection: a cleanup job could delete the AMI this environment fails back to. Consider aws ec2 enable-image-deregistration-protection --image-id ${amiId}.`,
    );
  }
  deps.logger.info(`${amiId} (${found.Name ?? 'no name'}, created ${found.CreationDate ?? 'unknown'}) is available in ${region}.`);
  return {
    amiId,
    name: found.Name,
    creationDate: found.CreationDate,
    deregistrationProtection: found.DeregistrationProtection,
    imageBuilderArn: found.Tags?.find((t) => t.Key === IMAGE_BUILDER_ARN_TAG)?.Value,
  };
}

/**
 * An AMI about to be proposed (a promotion PR) must come from an owner the receiving environment
 * trusts: DescribeImages in its region, then the policy. `subject` starts the message.
 */
export async function assertAmiAllowed(amiId: string, region: string, policy: AmiPolicy, deps: Deps<Pick<AwsClients, 'ec2'>>, subject: string): Promise<void> {
  const image = await describeImage(amiId, region, deps);
  const problem = image ? findAmiPolicyProblem(image, policy) : `does not exist in ${region} (or is not shared with this account); an AMI ID is valid in one region only`;
  if (problem) throw new InputError(`${subject}: AMI ${amiId} ${problem}. Nothing was changed.`);
}

/** DescribeImages for one AMI, deprecated and disabled ones included; undefined when EC2 has no such AMI. */
async function describeImage(amiId: string, region: string, deps: Deps<Pick<AwsClients, 'ec2'>>): Promise<Image | undefined> {
  try {
    const answer = await deps.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [amiId], IncludeDeprecated: true, IncludeDisabled: true }));
    return answer.Images?.find((i) => i.ImageId === amiId);
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw new AwsOperationError(
      `DescribeImages failed for ${amiId} in ${region}: ${errorMessage(error)}. Check that the role allows ec2:DescribeImages and that the region is right.`,
      amiId,
    );
  }
}

/**
 * The environment's AMI owner allowlist (its wiring's amiOwners), `self` being the account its app
 * stack lives in (DescribeStacks, which every role that reaches this has on the app stack). No
 * stack: `self` is `otherwise` (a promotion names the wave before's environment, whose account the
 * role is in; the deploy checks again against the new stack's own account) or, without one,
 * unknown, which allows nothing and the refusal says so.
 */
export async function readEnvironmentAmiPolicy(
  environment: EnvironmentConfig,
  deps: Deps<Pick<AwsClients, 'cloudFormation'>>,
  otherwise?: { environment: EnvironmentConfig; deps: Deps<Pick<AwsClients, 'cloudFormation'>> },
): Promise<AmiPolicy> {
  const stack = await describeStack(environment.stacks.app, deps);
  if (stack || !otherwise) return environmentAmiPolicy(environment, accountOfArn(stack?.stackId));
  const fallback = await describeStack(otherwise.environment.stacks.app, otherwise.deps);
  deps.logger.info(`${environment.name} has no app stack ${environment.stacks.app} yet: its amiOwners' self is taken as ${otherwise.environment.name}'s account until it has one.`);
  return environmentAmiPolicy(environment, accountOfArn(fallback?.stackId));
}
