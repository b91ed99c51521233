import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { type ImagebuilderClient, paginateListImageScanFindings } from '@aws-sdk/client-imagebuilder';

import { isNotFoundError } from '../aws/errors';
import type { Deps } from '../deps';
import { errorMessage } from '../errors';
import { IMAGE_BUILDER_ARN_TAG } from '../image-builder/previous-image';
import { keyValueTable } from '../markdown';

const DAY_MS = 86_400_000;

/** What is known about the AMI an environment runs, for the patch-debt check. */
export interface RunningAmiFacts {
  amiId: string;
  /** EC2's CreationDate (ISO 8601); undefined when the AMI is gone from the region. */
  creationDate?: string;
  imageArn?: string;
  /** CRITICAL findings of its image, with when Inspector first saw each. */
  critical: { vulnerabilityId: string; packageName: string; firstObservedAt?: Date }[];
  /** Why the findings could not be read (no tag, access denied); the age is still checked. */
  findingsUnavailable?: string;
}

export interface PatchDebtLimits {
  maxAmiAgeDays: number;
  maxCriticalOpenDays: number;
}

export interface PatchDebt {
  inDebt: boolean;
  ageDays?: number;
  /** One line per limit passed. */
  problems: string[];
}

/**
 * The facts: DescribeImages for the AMI's age and its Ec2ImageBuilderArn tag, then its image's
 * CRITICAL findings (ListImageScanFindings, filtered by image and severity). Read-only.
 */
export async function readRunningAmiFacts(amiId: string, deps: Deps<{ ec2: EC2Client; imageBuilder: ImagebuilderClient }>): Promise<RunningAmiFacts> {
  let image;
  try {
    image = (await deps.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [amiId], IncludeDeprecated: true, IncludeDisabled: true }))).Images?.[0];
  } catch (error) {
    if (!isNotFoundError(error)) throw error;
  }
  const imageArn = image?.Tags?.find((t) => t.Key === IMAGE_BUILDER_ARN_TAG)?.Value;
  const facts: RunningAmiFacts = { amiId, creationDate: image?.CreationDate, imageArn, critical: [] };
  if (!imageArn) return { ...facts, findingsUnavailable: image ? `the AMI has no ${IMAGE_BUILDER_ARN_TAG} tag` : 'the AMI does not exist in this region' };
  try {
    const filters = [
      { name: 'imageBuildVersionArn', values: [imageArn] },
      { name: 'severity', values: ['CRITICAL'] },
    ];
    for await (const page of paginateListImageScanFindings({ client: deps.clients.imageBuilder }, { filters })) {
      for (const f of page.findings ?? []) {
        const packages = f.packageVulnerabilityDetails?.vulnerablePackages ?? [];
        const vulnerabilityId = f.packageVulnerabilityDetails?.vulnerabilityId ?? f.title ?? '?';
        for (const p of packages.length ? packages : [{ name: '-' }]) facts.critical.push({ vulnerabilityId, packageName: p.name ?? '?', firstObservedAt: f.firstObservedAt });
      }
    }
  } catch (error) {
    return { ...facts, findingsUnavailable: `ListImageScanFindings failed: ${errorMessage(error)}` };
  }
  return facts;
}

/** Whether the running AMI is past the wiring's patch-debt limits, and which. */
export function assessPatchDebt(facts: RunningAmiFacts, limits: PatchDebtLimits, nowMs: number): PatchDebt {
  const problems: string[] = [];
  const created = facts.creationDate ? Date.parse(facts.creationDate) : Number.NaN;
  const ageDays = Number.isFinite(created) ? Math.floor((nowMs - created) / DAY_MS) : undefined;
  if (ageDays !== undefined && ageDays > limits.maxAmiAgeDays) problems.push(`the AMI is ${ageDays} days old, over the ${limits.maxAmiAgeDays}-day limit`);
  for (const finding of facts.critical) {
    const openDays = finding.firstObservedAt ? Math.floor((nowMs - finding.firstObservedAt.getTime()) / DAY_MS) : undefined;
    if (openDays !== undefined && openDays > limits.maxCriticalOpenDays) {
      problems.push(`CRITICAL ${finding.vulnerabilityId} in ${finding.packageName} has been open ${openDays} days, over the ${limits.maxCriticalOpenDays}-day limit`);
    }
  }
  return { inDebt: problems.length > 0, ageDays, problems };
}

/** The issue's body: what runs, the limits passed, and how to pay the debt. */
export function renderPatchDebtIssue(environment: string, facts: RunningAmiFacts, debt: PatchDebt, limits: PatchDebtLimits, runUrl?: string): string {
  const table = keyValueTable([
    ['Environment', `\`${environment}\``],
    ['AMI', `\`${facts.amiId}\``],
    ['Image', facts.imageArn ? `\`${facts.imageArn}\`` : 'unknown'],
    ['Created', facts.creationDate ? `${facts.creationDate} (${debt.ageDays} days ago)` : 'unknown'],
    ['Limits', `AMI age ${limits.maxAmiAgeDays} days; CRITICAL finding open ${limits.maxCriticalOpenDays} days (parameters/environments.json, patchDebt)`],
  ]);
  return [
    `## Patch debt in \`${environment}\``,
    // The answer first: what runs, and which limit it is past.
    `**\`${environment}\` runs \`${facts.amiId}\`, past its patch-debt limits:**`,
    debt.problems.map((p) => `- ${p}`).join('\n'),
    'Pay it: run the Patch PR workflow for this environment (or merge its open patch PR), or promote a newer verified AMI. This issue is updated by every check and can be closed once the environment runs a current AMI.',
    table,
    ...(facts.findingsUnavailable ? [`Findings not checked: ${facts.findingsUnavailable}.`] : []),
    ...(runUrl ? [`Checked by ${runUrl}.`] : []),
  ].join('\n\n');
}
