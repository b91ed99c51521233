import type { ImagebuilderClient, ImageScanFinding } from '@aws-sdk/client-imagebuilder';

import { isAccessDeniedError, isNotFoundError } from '../aws/errors';
import type { Deps } from '../deps';
import { errorMessage } from '../errors';
import { codeAmiIds, collapsed, markdownTable } from '../markdown';
import { type FindingsResult, readScanFindings, SEVERITIES, type Severity, severityOf } from './findings';
import { getImage } from './image';
import type { PreviousImage } from './previous-image';

/** One vulnerability in one package: the unit a patch fixes or introduces. */
export interface VulnerablePackage {
  vulnerabilityId: string;
  packageName: string;
  severity: Severity;
  /** The installed version Inspector reports ("3.0.8-1.amzn2023"). */
  version: string;
  fixedIn: string;
  score?: number;
}

export interface StillOpen extends VulnerablePackage {
  /** The version the running AMI has; `version` is the new image's. */
  previousVersion: string;
}

export interface FindingDelta {
  fixed: VulnerablePackage[];
  introduced: VulnerablePackage[];
  stillOpen: StillOpen[];
}

/** Counts only: what `findings-json` carries to the PR's first screenful. */
export type FindingDeltaCounts = { previousAmiId: string; fixed: number; introduced: number; stillOpen: number } | { previousAmiId: string; reason: string };

export type FindingDeltaReport =
  | { kind: 'delta'; previousAmiId: string; previousImageArn: string; delta: FindingDelta; markdown: string }
  | { kind: 'unavailable'; previousAmiId: string; reason: string; markdown: string };

/** Above this many rows a table is cut: a PR body is capped at 65,536 characters. */
export const MAX_DELTA_ROWS = 200;

/**
 * Splits a finding into one row per vulnerable package. Inspector reports `name`, `version` and
 * `release` apart ("3.0.8", "1.amzn2023"); a finding without package details (e.g. a network
 * finding) is keyed by its title so it still takes part in the delta.
 */
export function vulnerablePackagesOf(finding: ImageScanFinding): VulnerablePackage[] {
  const details = finding.packageVulnerabilityDetails;
  const vulnerabilityId = details?.vulnerabilityId ?? finding.title ?? '?';
  const packages = details?.vulnerablePackages ?? [];
  const base = { vulnerabilityId, severity: severityOf(finding), score: finding.inspectorScore };
  if (packages.length === 0) return [{ ...base, packageName: '-', version: '', fixedIn: '' }];
  return packages.map((p) => ({
    ...base,
    packageName: p.name ?? '?',
    version: [p.version, p.release].filter(Boolean).join('-'),
    fixedIn: p.fixedInVersion && p.fixedInVersion !== 'NotAvailable' ? p.fixedInVersion : 'no fix yet',
  }));
}

const keyOf = (v: VulnerablePackage) => `${v.vulnerabilityId}\u0000${v.packageName}`;
const bySeverity = (a: VulnerablePackage, b: VulnerablePackage) =>
  SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.vulnerabilityId.localeCompare(b.vulnerabilityId) || a.packageName.localeCompare(b.packageName);

/**
 * Compares the running AMI's findings with the new image's, by CVE and package (not version: the
 * version is what a patch changes). Fixed: open before, gone now. Introduced: new in this image.
 * Still open: in both, with both versions. Each list most severe first.
 */
export function diffFindings(previous: readonly ImageScanFinding[], current: readonly ImageScanFinding[]): FindingDelta {
  const before = new Map(previous.flatMap(vulnerablePackagesOf).map((v) => [keyOf(v), v]));
  const after = new Map(current.flatMap(vulnerablePackagesOf).map((v) => [keyOf(v), v]));
  const fixed = [...before].filter(([key]) => !after.has(key)).map(([, v]) => v);
  const introduced = [...after].filter(([key]) => !before.has(key)).map(([, v]) => v);
  const stillOpen = [...after]
    .filter(([key]) => before.has(key))
    .map(([key, v]) => ({ ...v, previousVersion: (before.get(key) as VulnerablePackage).version }));
  return { fixed: fixed.sort(bySeverity), introduced: introduced.sort(bySeverity), stillOpen: stillOpen.sort(bySeverity) };
}

/** "4 (1 CRITICAL, 2 HIGH, 1 MEDIUM)". */
function countBySeverity(rows: readonly VulnerablePackage[]): string {
  if (rows.length === 0) return '0';
  const parts = SEVERITIES.map((s) => [s, rows.filter((r) => r.severity === s).length] as const).filter(([, n]) => n > 0);
  return `${rows.length} (${parts.map(([s, n]) => `${n} ${s}`).join(', ')})`;
}

/** "fixes 4 (1 CRITICAL, …), introduces 1 (1 MEDIUM), 7 still open": the line the PR's facts table shows. */
export function summarizeDelta(delta: FindingDelta): string {
  return `fixes ${countBySeverity(delta.fixed)}, introduces ${countBySeverity(delta.introduced)}, ${delta.stillOpen.length} still open`;
}

/** The delta as markdown: a summary line, fixed and introduced tables, still-open collapsed. */
export function renderFindingDelta(delta: FindingDelta, previousAmiId: string, amiId: string): string {
  const heading = `**CVE delta \`${previousAmiId}\` → \`${amiId}\`: ${summarizeDelta(delta)}**`;
  const table = (rows: readonly VulnerablePackage[], versions: (r: VulnerablePackage) => string) => {
    const shown = rows.slice(0, MAX_DELTA_ROWS);
    const text = markdownTable(
      ['Severity', 'Vulnerability', 'Package', 'Version', 'Fixed in', 'Score'],
      shown.map((r) => [r.severity, r.vulnerabilityId, r.packageName, versions(r), r.fixedIn, r.score ?? '']),
    );
    return rows.length > shown.length ? `${text}\n\n…and ${rows.length - shown.length} more (ListImageScanFindings has them all).` : text;
  };
  const parts = [heading];
  if (delta.fixed.length) parts.push(`Fixed by this patch (open in \`${previousAmiId}\`):`, table(delta.fixed, (r) => r.version));
  if (delta.introduced.length) parts.push(`**Introduced** by this patch (not in \`${previousAmiId}\`):`, table(delta.introduced, (r) => r.version));
  if (delta.stillOpen.length) {
    parts.push(collapsed(`${delta.stillOpen.length} still open`, table(delta.stillOpen, (r) => `${(r as StillOpen).previousVersion} → ${r.version}`)));
  }
  return parts.join('\n\n');
}

/** The counts `findings-json` carries, from a delta report. */
export function deltaCounts(report: FindingDeltaReport): FindingDeltaCounts {
  if (report.kind === 'unavailable') return { previousAmiId: report.previousAmiId, reason: report.reason };
  const { delta } = report;
  return { previousAmiId: report.previousAmiId, fixed: delta.fixed.length, introduced: delta.introduced.length, stillOpen: delta.stillOpen.length };
}

export interface FindingDeltaInputs {
  previousAmiId: string;
  amiId: string;
  /** The previous AMI's Image Builder image, from its tags (see `findImageBuilderImageOfAmi`). */
  previousImage: PreviousImage;
  /** The new image's findings, as build-ami read them. */
  current: FindingsResult;
}

/**
 * The CVE delta from the running AMI to the new image: GetImage on the previous image (was it
 * scanned?) → ListImageScanFindings for it → `diffFindings`. When either side was not scanned or
 * cannot be read, the report says why instead of failing the build that just succeeded: a delta
 * against "not scanned" would call every finding new. `abortSignal`: the step's deadline.
 */
export async function compareFindingsWithPreviousAmi(inputs: FindingDeltaInputs, deps: Deps<{ imageBuilder: ImagebuilderClient }>, abortSignal?: AbortSignal): Promise<FindingDeltaReport> {
  const { previousAmiId, previousImage, current } = inputs;
  const unavailable = (reason: string): FindingDeltaReport => {
    deps.logger.warning(`No CVE delta: ${reason}`);
    // The reason stays plain (a log line, findings-json); the markdown shows its AMI IDs as code spans.
    return { kind: 'unavailable', previousAmiId, reason, markdown: `**CVE delta:** none from \`${previousAmiId}\`: ${codeAmiIds(reason)}.` };
  };
  if ('reason' in previousImage) return unavailable(previousImage.reason);
  if (!current.findings) return unavailable(`the new image's findings are not available (${current.report.reason ?? 'not scanned'})`);

  const previousImageArn = previousImage.imageArn;
  let image;
  try {
    image = await getImage(deps.clients.imageBuilder, previousImageArn, abortSignal);
  } catch (error) {
    if (isNotFoundError(error)) return unavailable(`the previous image ${previousImageArn} no longer exists in Image Builder (deleted by a lifecycle policy?)`);
    if (isAccessDeniedError(error)) return unavailable(`the previous image ${previousImageArn} cannot be read: ${errorMessage(error)} (allow imagebuilder:GetImage)`);
    throw error;
  }
  const read = await readScanFindings(image, previousImageArn, deps.clients.imageBuilder, abortSignal);
  if (read.kind !== 'scanned') return unavailable(`the previous image ${previousImageArn}: ${read.reason}`);

  const delta = diffFindings(read.findings, current.findings);
  deps.logger.info(`CVE delta ${previousAmiId} → ${inputs.amiId}: ${summarizeDelta(delta)}`);
  return { kind: 'delta', previousAmiId, previousImageArn, delta, markdown: renderFindingDelta(delta, previousAmiId, inputs.amiId) };
}
