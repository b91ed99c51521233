/**
 * Whether an AMI may be put into service by this pipeline, beyond "it exists and is available":
 * the one place the rules live, called wherever an AMI is about to be deployed or proposed
 * (update-app-stack's AMI check before the change set, which every preview, deploy and failback
 * passes through; the failback pre-flight; build-ami's output for the patch PR; the promotion PR).
 * A rule is one function in AMI_POLICY_CHECKS; a new one is one more entry, enforced at every call
 * site at once.
 */
import type { Image } from '@aws-sdk/client-ec2';

import { ENVIRONMENTS_FILE } from './parameters/environments';

/** Who an environment accepts AMIs from, `self` resolved to an account ID. */
export interface AmiPolicy {
  /** 12-digit account IDs. */
  allowedOwners: readonly string[];
  /** The allowlist as written, `self` shown with its account, for messages: `self (123456789012), 137112412989`. */
  described: string;
  /** Where the allowlist comes from, for messages: `environments.dev.amiOwners in parameters/environments.json`. */
  source: string;
  /** Where a user changes it. */
  changeAt: string;
}

/** `self` in the wiring: the account the environment's stacks live in (where its image pipeline builds). */
export const SELF_OWNER = 'self';

/** The allowlist of an environment that names no image pipeline account and sets none: its own account. */
export const DEFAULT_AMI_OWNERS: readonly string[] = [SELF_OWNER];

/**
 * The allowlist an environment applies, as written (`self` not yet resolved): its amiOwners, or
 * the default loadEnvironments worked out (its own account and the accounts that build its images).
 */
export function amiOwnersOf(environment: { amiOwners?: readonly string[]; defaultAmiOwners?: readonly string[] }): readonly string[] {
  return environment.amiOwners ?? environment.defaultAmiOwners ?? DEFAULT_AMI_OWNERS;
}

/**
 * One allowlist entry: a 12-digit account ID or `self`. Owner aliases (`amazon`) are not accepted:
 * an alias covers every account AWS files under it, and moto reports `amazon` for every image it
 * ships (Canonical's included), so a test of an alias would prove nothing. Name the account.
 */
export const AMI_OWNER_PATTERN = /^(?:\d{12}|self)$/;

/** One rule: why `image` may not be deployed (a clause that follows "AMI <id> "), or undefined. */
export type AmiCheck = (image: Image, policy: AmiPolicy) => string | undefined;

/**
 * An AMI ID says nothing about who made it: a public AMI of any account deploys if its ID is
 * well-formed, and anyone can publish one named like yours. Only owners the environment trusts.
 */
export const checkAmiOwner: AmiCheck = (image, policy) => {
  const owner = image.OwnerId;
  if (owner !== undefined && policy.allowedOwners.includes(owner)) return undefined;
  const who = owner ? `account ${owner}` : 'an owner AWS does not name';
  const add = owner ? `add "${owner}" to ${policy.changeAt}` : `ask who published it`;
  return (
    `is owned by ${who}, which is not on the AMI owner allowlist (${policy.described}; ${policy.source}). ` +
    `Use an AMI your own pipeline built, or, if you trust every AMI ${owner ? `account ${owner}` : 'that owner'} publishes, ${add}`
  );
};

/** Every rule, in order. */
export const AMI_POLICY_CHECKS: readonly AmiCheck[] = [checkAmiOwner];

/** The first rule `image` breaks, as a clause without the final period; undefined if none. */
export function findAmiPolicyProblem(image: Image, policy: AmiPolicy): string | undefined {
  for (const check of AMI_POLICY_CHECKS) {
    const problem = check(image, policy);
    if (problem) return problem;
  }
  return undefined;
}

/** The account ID in an ARN (`arn:aws:cloudformation:us-east-1:123456789012:stack/…`), if it has one. */
export function accountOfArn(arn: string | undefined): string | undefined {
  const account = arn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/**
 * The allowlist with `self` replaced by `selfAccount` (the account of the environment's app stack
 * or image build), so the default needs no account ID in git. `self` with no known account
 * allows nothing, and the message says so.
 */
export function resolveAmiPolicy(owners: readonly string[] | undefined, selfAccount: string | undefined, where: { source: string; changeAt: string }): AmiPolicy {
  const written = owners && owners.length > 0 ? owners : DEFAULT_AMI_OWNERS;
  const allowed = written.flatMap((o) => (o === SELF_OWNER ? (selfAccount ? [selfAccount] : []) : [o]));
  const described = written.map((o) => (o === SELF_OWNER ? `self (${selfAccount ?? 'account unknown'})` : o)).join(', ');
  return { allowedOwners: [...new Set(allowed)], described, ...where };
}

/** An environment's allowlist from the wiring file, `self` being `selfAccount`. */
export function environmentAmiPolicy(environment: { name: string; amiOwners?: readonly string[]; defaultAmiOwners?: readonly string[] }, selfAccount: string | undefined): AmiPolicy {
  const key = `environments.${environment.name}.amiOwners in ${ENVIRONMENTS_FILE}`;
  const builders = amiOwnersOf(environment).length > 1 ? ' (self and the imagePipelineAccount of it and of the earlier waves)' : '';
  return resolveAmiPolicy(amiOwnersOf(environment), selfAccount, {
    source: environment.amiOwners ? key : `the default${builders}: environments.${environment.name}.amiOwners is not set in ${ENVIRONMENTS_FILE}`,
    changeAt: environment.amiOwners ? key : `${key} (as ["self", "<account>"])`,
  });
}

/** The allowlist an action got as its `ami-owners` input (the workflows pass the environment's amiOwners). */
export function inputAmiPolicy(owners: readonly string[] | undefined, selfAccount: string | undefined): AmiPolicy {
  const changeAt = `the environment's amiOwners in ${ENVIRONMENTS_FILE} (the workflows pass it as the ami-owners input)`;
  return resolveAmiPolicy(owners, selfAccount, { source: owners ? 'the ami-owners input' : 'the default: no ami-owners input', changeAt });
}
