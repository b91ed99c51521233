import type { Image } from '@aws-sdk/client-ec2';

import type { AmiChange } from '../gitops/ami-history';
import { findRevocation, type RevocationList } from '../parameters';
import { IMAGE_BUILDER_ARN_TAG } from '../image-builder/previous-image';

const DAY_MS = 86_400_000;

/** One environment as the lifecycle job sees it: its region and the AMI history of its parameters file. */
export interface EnvironmentHistory {
  name: string;
  region: string;
  /** Newest first (readAmiHistory); the first entry is what HEAD names. */
  history: readonly AmiChange[];
}

export interface LifecycleLimits {
  /** How many distinct AMIs before HEAD's a failback may still reach, per environment. */
  keepFailbackAmis: number;
  /** A pipeline image not needed otherwise may be retired once it is this old. */
  retireAfterDays: number;
}

/** Why an AMI stays: every reason found, for the report. */
export interface KeptAmi {
  amiId: string;
  name?: string;
  creationDate?: string;
  reasons: string[];
  /** A failback target of some environment: gets deregistration protection. */
  failbackTarget: boolean;
}

export interface RetirableAmi {
  amiId: string;
  name?: string;
  creationDate?: string;
  ageDays: number;
}

export interface RetirementPlan {
  region: string;
  kept: KeptAmi[];
  retirable: RetirableAmi[];
  /** Failback targets git names that this region has no image for (deregistered already, or another region's). */
  missingFailbackTargets: string[];
}

/**
 * The AMIs git can still fail back to in one environment: the one HEAD names plus the K distinct
 * AMIs before it in the parameters file's history, newest first.
 */
export function failbackTargets(history: readonly AmiChange[], keep: number): string[] {
  const distinct: string[] = [];
  for (const change of history) {
    if (!distinct.includes(change.amiId)) distinct.push(change.amiId);
    if (distinct.length > keep) break;
  }
  return distinct;
}

/**
 * Decides, for one region, which of the pipeline's images stay and which may be retired. An image
 * stays when any of these holds: an environment of this region can fail back to it (HEAD + K), it
 * is revoked (the evidence stays), an instance runs it, or it is younger than the age limit.
 * Everything else is retirable. A pure function: the facts come from git and DescribeImages /
 * DescribeInstances, so the rule is tested without AWS.
 */
export function planRetirement(input: {
  region: string;
  environments: readonly EnvironmentHistory[];
  limits: LifecycleLimits;
  revocations: RevocationList;
  images: readonly Image[];
  runningAmis: ReadonlyMap<string, string[]>;
  nowMs: number;
}): RetirementPlan {
  const targets = new Map<string, string[]>();
  for (const environment of input.environments.filter((e) => e.region === input.region)) {
    failbackTargets(environment.history, input.limits.keepFailbackAmis).forEach((amiId, index) => {
      const reason = index === 0 ? `${environment.name} runs it (HEAD)` : `${environment.name} can fail back to it (${index} of ${input.limits.keepFailbackAmis} before HEAD)`;
      targets.set(amiId, [...(targets.get(amiId) ?? []), reason]);
    });
  }
  const kept: KeptAmi[] = [];
  const retirable: RetirableAmi[] = [];
  for (const image of input.images) {
    const amiId = image.ImageId;
    if (!amiId) continue;
    const created = image.CreationDate ? Date.parse(image.CreationDate) : Number.NaN;
    const ageDays = Number.isFinite(created) ? Math.floor((input.nowMs - created) / DAY_MS) : Number.POSITIVE_INFINITY;
    const imageArn = image.Tags?.find((t) => t.Key === IMAGE_BUILDER_ARN_TAG)?.Value;
    const revocation = findRevocation(input.revocations, { amiId, imageArn });
    const reasons = [
      ...(targets.get(amiId) ?? []),
      ...(revocation ? [`revoked: kept as evidence (${revocation.reason})`] : []),
      ...(input.runningAmis.get(amiId) ?? []).map((instance) => `instance ${instance} runs it`),
      ...(ageDays < input.limits.retireAfterDays ? [`younger than ${input.limits.retireAfterDays} days (${ageDays})`] : []),
    ];
    const facts = { amiId, name: image.Name, creationDate: image.CreationDate };
    if (reasons.length > 0) kept.push({ ...facts, reasons, failbackTarget: targets.has(amiId) });
    else retirable.push({ ...facts, ageDays });
  }
  const present = new Set(input.images.map((i) => i.ImageId));
  const missingFailbackTargets = [...targets.keys()].filter((amiId) => !present.has(amiId));
  const byAge = (a: { creationDate?: string }, b: { creationDate?: string }) => (a.creationDate ?? '').localeCompare(b.creationDate ?? '');
  return { region: input.region, kept: kept.sort(byAge), retirable: retirable.sort(byAge), missingFailbackTargets };
}
