import { type Image, type ImagebuilderClient, type ImageScanFinding, paginateListImageScanFindings } from '@aws-sdk/client-imagebuilder';

import { isTransientError } from '../aws/errors';
import type { Deps } from '../deps';
import { AwsOperationError, errorMessage } from '../errors';
import { collapsed, markdownTable } from '../markdown';

/** Inspector's severities, most severe first. A severity we do not know is counted as UNTRIAGED. */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The `fail-on-severity` values. INFORMATIONAL and UNTRIAGED never trip the gate: no threshold names them. */
export const SEVERITY_THRESHOLDS = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type SeverityThreshold = (typeof SEVERITY_THRESHOLDS)[number];

const GATED: Record<Exclude<SeverityThreshold, 'none'>, readonly Severity[]> = {
  critical: ['CRITICAL'],
  high: ['CRITICAL', 'HIGH'],
  medium: ['CRITICAL', 'HIGH', 'MEDIUM'],
  low: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'],
};

/** The `findings-json` output: `{ counts, total, scanned }`, plus `reason` when `scanned` is false. */
export interface FindingsReport {
  counts: Record<Severity, number>;
  total: number;
  scanned: boolean;
  reason?: string;
}

/** A CRITICAL or HIGH finding, for the job summary: which CVE, in which package, fixed in which version. */
export interface NotableFinding {
  severity: Severity;
  vulnerabilityId: string;
  packages: string;
  fixedIn: string;
  score?: number;
}

/** The summary lists at most this many CRITICAL/HIGH findings; the counts cover them all. */
export const MAX_NOTABLE_FINDINGS = 25;

export interface FindingsResult {
  report: FindingsReport;
  /** CRITICAL and HIGH findings, most severe first (at most MAX_NOTABLE_FINDINGS). */
  notable?: NotableFinding[];
  /** Set when scanning was on but the findings could not be read: a severity gate cannot pass blind. */
  readError?: string;
  /** Every finding, as read (for the delta against the previous image); absent when not scanned. */
  findings?: ImageScanFinding[];
}

/** An image's scan findings as ListImageScanFindings returns them, or why there are none to count. */
export type ScanFindingsRead =
  | { kind: 'scanned'; findings: ImageScanFinding[] }
  | { kind: 'not-scanned'; reason: string }
  | { kind: 'unreadable'; reason: string };

/**
 * Reads an image's scan findings. Scanning off → `not-scanned` without a call. Scanning on:
 * ListImageScanFindings filtered by the image build version ARN. Findings present, or the scan
 * COMPLETED with none → `scanned`; no findings and a scan that did not complete → `not-scanned`
 * with the scan state as the reason. A refused call is `unreadable`, not thrown. `abortSignal`: the step's deadline.
 */
export async function readScanFindings(image: Image, imageArn: string, client: ImagebuilderClient, abortSignal?: AbortSignal): Promise<ScanFindingsRead> {
  if (image.imageScanningConfiguration?.imageScanningEnabled !== true) {
    return { kind: 'not-scanned', reason: 'image scanning is not enabled on this pipeline' };
  }
  const findings: ImageScanFinding[] = [];
  try {
    const filters = [{ name: 'imageBuildVersionArn', values: [imageArn] }];
    for await (const page of paginateListImageScanFindings({ client }, { filters }, { abortSignal })) {
      findings.push(...(page.findings ?? []));
    }
  } catch (error) {
    // Cut off by the step's deadline: not a refusal to read, so not "unreadable" either.
    if (isTransientError(error) || abortSignal?.aborted) throw error;
    return { kind: 'unreadable', reason: `ListImageScanFindings failed: ${errorMessage(error)}` };
  }
  const scan = image.scanState;
  if (findings.length === 0 && scan?.status !== 'COMPLETED') {
    const state = scan?.status ? `the scan is ${scan.status}${scan.reason ? ` (${scan.reason})` : ''}` : 'the image has no scan state';
    return { kind: 'not-scanned', reason: `no findings and ${state}` };
  }
  return { kind: 'scanned', findings };
}

/** A finding's severity, UNTRIAGED when Inspector says something we do not know. */
export function severityOf(finding: ImageScanFinding): Severity {
  return (SEVERITIES as readonly string[]).includes(finding.severity ?? '') ? (finding.severity as Severity) : 'UNTRIAGED';
}

/**
 * Counts the image's scan findings by severity (see `readScanFindings` for when an image counts as
 * scanned). Findings that cannot be read are reported, with a warning, not thrown.
 */
export async function countScanFindings(image: Image, imageArn: string, deps: Deps<{ imageBuilder: ImagebuilderClient }>, abortSignal?: AbortSignal): Promise<FindingsResult> {
  const read = await readScanFindings(image, imageArn, deps.clients.imageBuilder, abortSignal);
  if (read.kind === 'unreadable') {
    deps.logger.warning(`Scan findings for ${imageArn}: ${read.reason}`);
    return { report: emptyReport(read.reason), readError: read.reason };
  }
  if (read.kind === 'not-scanned') return { report: emptyReport(read.reason) };
  const { findings } = read;
  const report = emptyReport();
  report.scanned = true;
  for (const finding of findings) report.counts[severityOf(finding)] += 1;
  report.total = findings.length;
  deps.logger.info(`Scan findings: ${SEVERITIES.map((s) => `${report.counts[s]} ${s.toLowerCase()}`).join(', ')}`);
  return { report, notable: notableFindings(findings), findings };
}

function notableFindings(findings: readonly ImageScanFinding[]): NotableFinding[] {
  const rank = (f: ImageScanFinding) => (f.severity === 'CRITICAL' ? 0 : 1);
  return findings
    .filter((f) => f.severity === 'CRITICAL' || f.severity === 'HIGH')
    .sort((a, b) => rank(a) - rank(b) || (b.inspectorScore ?? 0) - (a.inspectorScore ?? 0))
    .slice(0, MAX_NOTABLE_FINDINGS)
    .map((f) => {
      const details = f.packageVulnerabilityDetails;
      const vulnerable = details?.vulnerablePackages ?? [];
      return {
        severity: f.severity as Severity,
        vulnerabilityId: details?.vulnerabilityId ?? f.title ?? '?',
        packages: [...new Set(vulnerable.map((p) => `${p.name ?? '?'} ${p.version ?? ''}`.trim()))].join(', '),
        fixedIn: [...new Set(vulnerable.map((p) => p.fixedInVersion).filter((v): v is string => Boolean(v)))].join(', ') || 'no fix yet',
        score: f.inspectorScore,
      };
    });
}

function emptyReport(reason?: string): FindingsReport {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  return reason === undefined ? { counts, total: 0, scanned: false } : { counts, total: 0, scanned: false, reason };
}

/** How many findings are at or above `threshold` (0 for `none`). */
export function findingsAtOrAbove(report: FindingsReport, threshold: SeverityThreshold): number {
  if (threshold === 'none') return 0;
  return GATED[threshold].reduce((sum, severity) => sum + report.counts[severity], 0);
}

/**
 * The `fail-on-severity` verdict, checked by main.ts AFTER it has set the outputs (so a failed gate
 * still hands the AMI and the findings to later steps). Undefined means pass. A gate whose findings
 * could not be read fails; a gate on an image that was not scanned passes with a warning from the
 * caller, since scanning is the pipeline's choice, not this step's.
 */
export function severityGateError(result: FindingsResult, threshold: SeverityThreshold, imageArn: string): AwsOperationError | undefined {
  if (threshold === 'none') return undefined;
  if (result.readError) {
    return new AwsOperationError(
      `Severity gate (fail-on-severity: ${threshold}) failed for ${imageArn}: the findings could not be read (${result.readError}). Allow imagebuilder:ListImageScanFindings and inspector2:ListFindings, or set fail-on-severity: none.`,
      imageArn,
      'FINDINGS_UNREADABLE',
    );
  }
  const count = findingsAtOrAbove(result.report, threshold);
  if (count === 0) return undefined;
  const detail = GATED[threshold].filter((s) => result.report.counts[s] > 0).map((s) => `${result.report.counts[s]} ${s}`).join(', ');
  return new AwsOperationError(
    `Severity gate (fail-on-severity: ${threshold}) failed for ${imageArn}: ${count} finding(s) at or above ${threshold.toUpperCase()} (${detail}). The job summary lists them; patch those packages, or raise fail-on-severity.`,
    imageArn,
    'FINDINGS_ABOVE_THRESHOLD',
  );
}

/** The severity gate's verdict in words, for the PR's first screenful: `passed` is undefined when no gate is set. */
export interface GateVerdict {
  threshold: SeverityThreshold;
  passed?: boolean;
  text: string;
}

/**
 * The verdict `severityGateError` acts on, said plainly: "no finding at or above CRITICAL: gate
 * passed". An unscanned image passes (the gate checked nothing, and says so); unreadable findings fail.
 */
export function severityGateVerdict(result: FindingsResult, threshold: SeverityThreshold): GateVerdict {
  if (threshold === 'none') return { threshold, text: 'no severity gate (fail-on-severity: none)' };
  const level = threshold.toUpperCase();
  if (result.readError) return { threshold, passed: false, text: `findings could not be read: ${level} gate failed` };
  if (!result.report.scanned) return { threshold, passed: true, text: `image not scanned: the ${level} gate checked nothing` };
  const over = findingsAtOrAbove(result.report, threshold);
  return over === 0
    ? { threshold, passed: true, text: `no finding at or above ${level}: gate passed` }
    : { threshold, passed: false, text: `${over} finding(s) at or above ${level}: gate failed` };
}

/**
 * The findings as markdown: the gate's verdict, a severity table and the CRITICAL/HIGH findings
 * (collapsed), or the reason there was no scan.
 */
export function renderFindings(result: FindingsResult, threshold: SeverityThreshold): string {
  const { report } = result;
  if (!report.scanned) return `**Scan findings:** not available: ${report.reason ?? 'not scanned'}.`;
  const over = findingsAtOrAbove(report, threshold);
  const gate =
    threshold === 'none'
      ? 'no severity gate'
      : over > 0
        ? `**gate failed**: ${over} at or above ${threshold.toUpperCase()}`
        : `gate passed: none at or above ${threshold.toUpperCase()}`;
  const parts = [`**Scan findings: ${report.total}** (${gate})`, markdownTable(['Severity', 'Findings'], SEVERITIES.map((s) => [s, report.counts[s]]))];
  const notable = renderNotableFindings(result.notable ?? [], report.counts.CRITICAL + report.counts.HIGH);
  if (notable) parts.push(notable);
  return parts.join('\n\n');
}

/**
 * The CRITICAL and HIGH findings as one collapsed table (build-ami's summary and the patch PR
 * show the same one), or undefined when there are none. `severeCount` is how many there are in
 * all, so a capped list says it shows the first few. `label` is what the collapsed line reads:
 * under a heading that already names the findings, something else than the heading again.
 */
export function renderNotableFindings(notable: readonly NotableFinding[], severeCount: number, label = 'CRITICAL and HIGH findings'): string | undefined {
  if (notable.length === 0) return undefined;
  const table = markdownTable(
    ['Severity', 'Vulnerability', 'Package', 'Fixed in', 'Score'],
    notable.map((f) => [f.severity, f.vulnerabilityId, f.packages, f.fixedIn, f.score ?? '']),
  );
  const shown = severeCount > notable.length ? ` (first ${notable.length} of ${severeCount})` : ` (${notable.length})`;
  return collapsed(`${label}${shown}`, table);
}
