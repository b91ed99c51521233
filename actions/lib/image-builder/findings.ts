import { type Image, type ImagebuilderClient, type ImageScanFinding, paginateListImageScanFindings } from '@aws-sdk/client-imagebuilder';

import { isTransientError } from '../aws/errors';
import type { Deps } from '../deps';
import { AwsOperationError, errorMessage } from '../errors';
import { markdownTable } from './markdown';

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

export interface FindingsResult {
  report: FindingsReport;
  /** Set when scanning was on but the findings could not be read: a severity gate cannot pass blind. */
  readError?: string;
}

/**
 * Counts the image's scan findings by severity. Scanning off → `scanned: false` without a call.
 * Scanning on: ListImageScanFindings filtered by the image build version ARN. Findings present, or
 * the scan COMPLETED with none → `scanned: true`; no findings and a scan that did not complete →
 * `scanned: false` with the scan state as the reason. A refused call is reported, not thrown.
 */
export async function countScanFindings(image: Image, imageArn: string, deps: Deps<{ imageBuilder: ImagebuilderClient }>): Promise<FindingsResult> {
  if (image.imageScanningConfiguration?.imageScanningEnabled !== true) {
    return { report: emptyReport('image scanning is not enabled on this pipeline') };
  }
  const findings: ImageScanFinding[] = [];
  try {
    const filters = [{ name: 'imageBuildVersionArn', values: [imageArn] }];
    for await (const page of paginateListImageScanFindings({ client: deps.clients.imageBuilder }, { filters })) {
      findings.push(...(page.findings ?? []));
    }
  } catch (error) {
    if (isTransientError(error)) throw error;
    const readError = `ListImageScanFindings failed: ${errorMessage(error)}`;
    deps.logger.warning(`Scan findings for ${imageArn}: ${readError}`);
    return { report: emptyReport(readError), readError };
  }

  const scan = image.scanState;
  if (findings.length === 0 && scan?.status !== 'COMPLETED') {
    const state = scan?.status ? `the scan is ${scan.status}${scan.reason ? ` (${scan.reason})` : ''}` : 'the image has no scan state';
    return { report: emptyReport(`no findings and ${state}`) };
  }
  const report = emptyReport();
  report.scanned = true;
  for (const finding of findings) {
    const severity = (SEVERITIES as readonly string[]).includes(finding.severity ?? '') ? (finding.severity as Severity) : 'UNTRIAGED';
    report.counts[severity] += 1;
  }
  report.total = findings.length;
  deps.logger.info(`Scan findings: ${SEVERITIES.map((s) => `${report.counts[s]} ${s.toLowerCase()}`).join(', ')}`);
  return { report };
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
    `Severity gate (fail-on-severity: ${threshold}) failed for ${imageArn}: ${count} finding(s) at or above ${threshold.toUpperCase()} (${detail}). Patch the packages (see ListImageScanFindings or Inspector), or raise fail-on-severity.`,
    imageArn,
    'FINDINGS_ABOVE_THRESHOLD',
  );
}

/** The findings as markdown: a severity table, or the reason there was no scan. */
export function renderFindings(report: FindingsReport, threshold: SeverityThreshold): string {
  if (!report.scanned) return `**Scan findings:** not available: ${report.reason ?? 'not scanned'}.`;
  const gate = threshold === 'none' ? 'no severity gate' : `gate: fail at ${threshold.toUpperCase()} or above`;
  return `**Scan findings: ${report.total}** (${gate})\n\n${markdownTable(['Severity', 'Findings'], SEVERITIES.map((s) => [s, report.counts[s]]))}`;
}
