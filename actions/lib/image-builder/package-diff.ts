import type { EC2Client } from '@aws-sdk/client-ec2';
import { type ImagebuilderClient, type ImagePackage, paginateListImagePackages } from '@aws-sdk/client-imagebuilder';

import { isAccessDeniedError, isNotFoundError } from '../aws/errors';
import type { Deps } from '../deps';
import { errorMessage } from '../errors';
import { collapsed, markdownTable } from '../markdown';
import { findImageBuilderImageOfAmi, type PreviousImage } from './previous-image';

export type PackageChangeKind = 'changed' | 'added' | 'removed';

export interface PackageChange {
  kind: PackageChangeKind;
  name: string;
  oldVersion?: string;
  newVersion?: string;
}

export interface PackageDiff {
  changes: PackageChange[];
  oldPackageCount: number;
  newPackageCount: number;
}

/** What build-ami reports about packages: a diff, or why there is none (never a failure). */
export type PackageDiffReport =
  | { kind: 'diff'; previousAmiId: string; previousImageArn: string; diff: PackageDiff; markdown: string }
  | { kind: 'unavailable'; previousAmiId: string; reason: string; markdown: string };

const KIND_ORDER: Record<PackageChangeKind, number> = { changed: 0, added: 1, removed: 2 };

/** Above this many rows the table is collapsed, so a PR body stays readable. */
export const COLLAPSE_ABOVE_ROWS = 20;
/** Above this many rows the table is cut: PR bodies are capped at 65,536 characters. */
export const MAX_ROWS = 300;

/**
 * Compares two package inventories. A name may be installed in several versions at once (the
 * kernel keeps the previous one), so each side is the sorted set of versions per name, and a
 * package is "changed" when that set differs. Sorted: changed first (the patches), then added,
 * then removed; by name within each.
 */
export function diffPackages(oldPackages: readonly ImagePackage[], newPackages: readonly ImagePackage[]): PackageDiff {
  const before = versionsByName(oldPackages);
  const after = versionsByName(newPackages);
  const changes: PackageChange[] = [];
  for (const [name, newVersion] of after) {
    const oldVersion = before.get(name);
    if (oldVersion === undefined) changes.push({ kind: 'added', name, newVersion });
    else if (oldVersion !== newVersion) changes.push({ kind: 'changed', name, oldVersion, newVersion });
  }
  for (const [name, oldVersion] of before) {
    if (!after.has(name)) changes.push({ kind: 'removed', name, oldVersion });
  }
  changes.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.name.localeCompare(b.name));
  return { changes, oldPackageCount: before.size, newPackageCount: after.size };
}

function versionsByName(packages: readonly ImagePackage[]): Map<string, string> {
  const sets = new Map<string, Set<string>>();
  for (const p of packages) {
    if (!p.packageName) continue;
    const versions = sets.get(p.packageName) ?? new Set<string>();
    versions.add(p.packageVersion ?? '?');
    sets.set(p.packageName, versions);
  }
  return new Map([...sets].map(([name, versions]) => [name, [...versions].sort().join(', ')]));
}

/** "3 changed, 1 added, 0 removed". */
export function countChanges(diff: PackageDiff): string {
  const count = (kind: PackageChangeKind) => diff.changes.filter((c) => c.kind === kind).length;
  return `${count('changed')} changed, ${count('added')} added, ${count('removed')} removed`;
}

/** The diff as markdown: a counts line on top, then the table (collapsed when long, cut when huge). */
export function renderPackageDiff(diff: PackageDiff, previousAmiId: string, amiId: string): string {
  const counts = countChanges(diff);
  const scope = `\`${previousAmiId}\` → \`${amiId}\`; ${diff.oldPackageCount} → ${diff.newPackageCount} packages`;
  if (diff.changes.length === 0) return `**Packages: no changes** (${scope})`;

  const shown = diff.changes.slice(0, MAX_ROWS);
  let table = markdownTable(
    ['Package', 'Change', 'Old version', 'New version'],
    shown.map((c) => [c.name, c.kind, c.oldVersion ?? '', c.newVersion ?? '']),
  );
  if (diff.changes.length > shown.length) table += `\n\n…and ${diff.changes.length - shown.length} more (ListImagePackages has them all).`;
  const heading = `**Packages: ${counts}** (${scope})`;
  return diff.changes.length > COLLAPSE_ABOVE_ROWS ? `${heading}\n\n${collapsed(`${diff.changes.length} package changes`, table)}` : `${heading}\n\n${table}`;
}

export interface PackageDiffInputs {
  previousAmiId: string;
  amiId: string;
  imageArn: string;
  /** The previous AMI's image, when the caller already looked it up (build-ami does, for findings too). */
  previousImage?: PreviousImage;
}

/**
 * The package diff from the previous AMI to the new image, from Image Builder's own inventory:
 * DescribeImages on the previous AMI → its `Ec2ImageBuilderArn` tag → ListImagePackages for both
 * images. When the previous AMI is gone, was not built by Image Builder, or either image has no
 * inventory, the report says so in the output instead of failing the build that just succeeded.
 */
export async function comparePackagesWithPreviousAmi(
  inputs: PackageDiffInputs,
  deps: Deps<{ ec2: EC2Client; imageBuilder: ImagebuilderClient }>,
  /** The step's deadline: aborts every call, each page included. */
  abortSignal?: AbortSignal,
): Promise<PackageDiffReport> {
  const { previousAmiId } = inputs;
  const unavailable = (reason: string): PackageDiffReport => {
    deps.logger.warning(`No package diff: ${reason}`);
    return { kind: 'unavailable', previousAmiId, reason, markdown: `**Packages:** no diff from ${previousAmiId}: ${reason}.` };
  };

  const previous = inputs.previousImage ?? (await findImageBuilderImageOfAmi(previousAmiId, deps.clients.ec2, abortSignal));
  if ('reason' in previous) return unavailable(previous.reason);
  const previousImageArn = previous.imageArn;

  const oldPackages = await listInventory(previousImageArn, deps.clients.imageBuilder, abortSignal);
  if ('reason' in oldPackages) return unavailable(`the previous image ${previousImageArn} ${oldPackages.reason}`);
  const newPackages = await listInventory(inputs.imageArn, deps.clients.imageBuilder, abortSignal);
  if ('reason' in newPackages) return unavailable(`the new image ${inputs.imageArn} ${newPackages.reason}`);

  const diff = diffPackages(oldPackages.packages, newPackages.packages);
  deps.logger.info(`Packages ${previousAmiId} → ${inputs.amiId}: ${countChanges(diff)}`);
  return { kind: 'diff', previousAmiId, previousImageArn, diff, markdown: renderPackageDiff(diff, previousAmiId, inputs.amiId) };
}

async function listInventory(imageArn: string, client: ImagebuilderClient, abortSignal: AbortSignal | undefined): Promise<{ packages: ImagePackage[] } | { reason: string }> {
  const packages: ImagePackage[] = [];
  try {
    for await (const page of paginateListImagePackages({ client }, { imageBuildVersionArn: imageArn }, { abortSignal })) {
      packages.push(...(page.imagePackageList ?? []));
    }
  } catch (error) {
    if (isNotFoundError(error)) return { reason: `no longer exists in Image Builder (deleted by a lifecycle policy?)` };
    if (isAccessDeniedError(error)) return { reason: `cannot be read: ${errorMessage(error)} (allow imagebuilder:ListImagePackages)` };
    throw error;
  }
  if (packages.length === 0) return { reason: 'has no package inventory (was enhancedImageMetadataEnabled off when it was built?)' };
  return { packages };
}
