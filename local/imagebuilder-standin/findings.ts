/**
 * Image scan findings of stand-in builds, from fixtures/scan-findings.json. A finding is open from
 * its `introducedInBuild` (default 1) to the build before its `fixedInBuild`, and the introducing
 * and fixing builds upgrade the package (see `forcedUpgrades`), so the CVEs a patch PR reports as
 * fixed or introduced match the packages it upgraded. Build 2 fixes four and introduces one: the
 * cycle's patch shows a real delta.
 * The shape is ListImageScanFindings' `ImageScanFinding`, as Amazon Inspector fills it.
 */
import fixture from './fixtures/scan-findings.json';
import { inventoryForBuild, type ImagePackage, type InventoryRules } from './inventory';

export interface FindingFixture {
  vulnerabilityId: string;
  packageName: string;
  severity: 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL' | 'UNTRIAGED';
  inspectorScore: number;
  /** The first build whose inventory no longer has the vulnerable version; null = no fix yet. */
  fixedInBuild: number | null;
  /** The first build that has it (an upgrade that brings a new CVE); absent = every build from 1. */
  introducedInBuild?: number;
  summary: string;
}

export const FINDING_FIXTURES = fixture.findings as FindingFixture[];

/** The packages build `n` must upgrade because a finding is fixed, or introduced, in it. */
export function forcedUpgrades(findings: readonly FindingFixture[]): (buildNumber: number) => string[] {
  return (buildNumber) => findings.filter((f) => f.fixedInBuild === buildNumber || f.introducedInBuild === buildNumber).map((f) => f.packageName);
}

/** Whether build `n` has the finding. */
export function isOpenInBuild(finding: FindingFixture, buildNumber: number): boolean {
  return buildNumber >= (finding.introducedInBuild ?? 1) && (finding.fixedInBuild === null || buildNumber < finding.fixedInBuild);
}

/** Where a finding applies: the image and the pipeline that built it. */
export interface FindingContext {
  accountId: string;
  imageBuildVersionArn: string;
  imagePipelineArn: string;
  buildNumber: number;
  /** When the scan ran (the build's end), epoch ms. */
  scannedAtMs: number;
}

/** The ImageScanFinding records of one build, as ListImageScanFindings returns them. */
export function findingsForBuild(
  context: FindingContext,
  findings: readonly FindingFixture[],
  rules: Omit<InventoryRules, 'forcedUpgrades'>,
): Record<string, unknown>[] {
  const fullRules: InventoryRules = { ...rules, forcedUpgrades: forcedUpgrades(findings) };
  const installed = new Map(inventoryForBuild(context.buildNumber, fullRules).map((p) => [p.packageName, p]));
  const fixedVersion = (f: FindingFixture) =>
    f.fixedInBuild === null
      ? undefined
      : inventoryForBuild(f.fixedInBuild, fullRules).find((p) => p.packageName === f.packageName)?.packageVersion;
  // Timestamps in REST-JSON default to epoch seconds.
  const at = Math.floor(context.scannedAtMs / 1000);

  return findings
    .filter((f) => isOpenInBuild(f, context.buildNumber))
    .filter((f) => installed.has(f.packageName))
    .map((f) => {
      const pkg = installed.get(f.packageName) as ImagePackage;
      const [version, release] = splitVersion(pkg.packageVersion);
      const fixedIn = fixedVersion(f);
      return {
        awsAccountId: context.accountId,
        imageBuildVersionArn: context.imageBuildVersionArn,
        imagePipelineArn: context.imagePipelineArn,
        type: 'PACKAGE_VULNERABILITY',
        title: `${f.vulnerabilityId} - ${f.packageName}`,
        description: `STAND-IN FIXTURE (not a scan result): ${f.summary}`,
        remediation: {
          recommendation: {
            text: fixedIn ? `Upgrade ${f.packageName} to ${fixedIn} or later.` : 'None provided',
          },
        },
        severity: f.severity,
        firstObservedAt: at,
        updatedAt: at,
        inspectorScore: f.inspectorScore,
        packageVulnerabilityDetails: {
          vulnerabilityId: f.vulnerabilityId,
          vulnerablePackages: [
            {
              name: f.packageName,
              version,
              release,
              epoch: 0,
              arch: 'X86_64',
              packageManager: 'OS',
              fixedInVersion: fixedIn ? `0:${fixedIn}` : 'NotAvailable',
            },
          ],
          source: 'NVD',
          sourceUrl: `https://nvd.nist.gov/vuln/detail/${f.vulnerabilityId}`,
          vendorSeverity: f.severity,
          cvss: [{ baseScore: f.inspectorScore, version: '3.1', source: 'NVD' }],
        },
        fixAvailable: fixedIn ? 'YES' : 'NO',
      };
    });
}

/** "8.7p1-8.amzn2023.0.7" → ["8.7p1", "8.amzn2023.0.7"] (Inspector reports version and release apart). */
function splitVersion(packageVersion: string): [string, string] {
  const dash = packageVersion.indexOf('-');
  return dash < 0 ? [packageVersion, ''] : [packageVersion.slice(0, dash), packageVersion.slice(dash + 1)];
}
