import 'aws-sdk-client-mock-jest';

import { ImagebuilderClient, ListImageScanFindingsCommand } from '@aws-sdk/client-imagebuilder';
import { mockClient } from 'aws-sdk-client-mock';

import {
  countScanFindings,
  type FindingsResult,
  renderFindings,
  severityGateError,
  type SeverityThreshold,
} from '../../../../actions/lib/image-builder/findings';
import { awsError, IMAGE_ARN, image, testDeps } from './fixtures';

const ib = mockClient(ImagebuilderClient);
beforeEach(() => ib.reset());

const scanned = (status = 'COMPLETED') =>
  image('AVAILABLE', { imageScanningConfiguration: { imageScanningEnabled: true }, scanState: { status: status as never } });
const findings = (...severities: string[]) => severities.map((severity, i) => ({ severity, title: `CVE-2026-${i}` }));

describe('countScanFindings', () => {
  it('counts findings by severity over every page, filtered by the image build version ARN', async () => {
    ib.on(ListImageScanFindingsCommand)
      .resolvesOnce({ findings: findings('CRITICAL', 'HIGH', 'HIGH', 'MEDIUM'), nextToken: 'p2' })
      .resolvesOnce({ findings: findings('LOW', 'INFORMATIONAL', 'UNTRIAGED', 'SOMETHING_NEW') });

    const { report, readError } = await countScanFindings(scanned(), IMAGE_ARN, testDeps());

    expect(report).toEqual({
      counts: { CRITICAL: 1, HIGH: 2, MEDIUM: 1, LOW: 1, INFORMATIONAL: 1, UNTRIAGED: 2 },
      total: 8,
      scanned: true,
    });
    expect(readError).toBeUndefined();
    expect(ib).toHaveReceivedCommandWith(ListImageScanFindingsCommand, { filters: [{ name: 'imageBuildVersionArn', values: [IMAGE_ARN] }] });
    expect(ib).toHaveReceivedCommandWith(ListImageScanFindingsCommand, { nextToken: 'p2' });
  });

  it('reports a clean completed scan as scanned with zero findings', async () => {
    ib.on(ListImageScanFindingsCommand).resolves({ findings: [] });
    const { report } = await countScanFindings(scanned(), IMAGE_ARN, testDeps());
    expect(report).toMatchObject({ total: 0, scanned: true });
  });

  it('says scanned:false without a call when scanning is off', async () => {
    const { report } = await countScanFindings(image('AVAILABLE'), IMAGE_ARN, testDeps());
    expect(report).toMatchObject({ total: 0, scanned: false, reason: 'image scanning is not enabled on this pipeline' });
    expect(ib).not.toHaveReceivedCommand(ListImageScanFindingsCommand);
  });

  it('says scanned:false when the scan returned nothing and did not complete', async () => {
    ib.on(ListImageScanFindingsCommand).resolves({});
    const { report } = await countScanFindings(scanned('COLLECTING'), IMAGE_ARN, testDeps());
    expect(report).toMatchObject({ scanned: false, reason: 'no findings and the scan is COLLECTING' });
  });

  it('reports findings it cannot read instead of failing, and remembers it for the gate', async () => {
    const deps = testDeps();
    ib.on(ListImageScanFindingsCommand).rejects(awsError('AccessDeniedException', 'inspector2:ListFindings denied', 403));
    const { report, readError } = await countScanFindings(scanned(), IMAGE_ARN, deps);
    expect(report).toMatchObject({ scanned: false });
    expect(readError).toContain('inspector2:ListFindings denied');
    expect(deps.logger.entries.some((e) => e.level === 'warning')).toBe(true);
  });
});

describe('notable findings', () => {
  it('lists CRITICAL then HIGH findings by score with package and fix, collapsed in the summary', async () => {
    const vuln = (severity: string, id: string, score: number, fixedInVersion?: string) => ({
      severity,
      inspectorScore: score,
      packageVulnerabilityDetails: { vulnerabilityId: id, vulnerablePackages: [{ name: 'openssl', version: '3.0.8-1', fixedInVersion }] },
    });
    ib.on(ListImageScanFindingsCommand).resolves({
      findings: [vuln('HIGH', 'CVE-2026-0002', 7.1, '3.0.8-2'), vuln('MEDIUM', 'CVE-2026-0003', 5), vuln('HIGH', 'CVE-2026-0004', 8.8), vuln('CRITICAL', 'CVE-2026-0001', 9.8, '3.0.8-2')],
    });

    const result = await countScanFindings(scanned(), IMAGE_ARN, testDeps());

    expect(result.notable?.map((f) => [f.severity, f.vulnerabilityId, f.packages, f.fixedIn])).toEqual([
      ['CRITICAL', 'CVE-2026-0001', 'openssl 3.0.8-1', '3.0.8-2'],
      ['HIGH', 'CVE-2026-0004', 'openssl 3.0.8-1', 'no fix yet'],
      ['HIGH', 'CVE-2026-0002', 'openssl 3.0.8-1', '3.0.8-2'],
    ]);
    const markdown = renderFindings(result, 'none');
    expect(markdown).toMatch(/<details><summary>CRITICAL and HIGH findings \(\d+\)<\/summary>/);
    expect(markdown).toContain('| CRITICAL | CVE-2026-0001 | openssl 3.0.8-1 | 3.0.8-2 | 9.8 |');
  });
});

describe('severityGateError', () => {
  const result = (counts: Partial<Record<string, number>>): FindingsResult => {
    const full = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0, ...counts };
    return { report: { counts: full, total: Object.values(full).reduce((a, b) => a + b, 0), scanned: true } };
  };

  it.each<[SeverityThreshold, Partial<Record<string, number>>, boolean]>([
    ['none', { CRITICAL: 3 }, false],
    ['critical', { HIGH: 5 }, false],
    ['critical', { CRITICAL: 1 }, true],
    ['high', { MEDIUM: 9 }, false],
    ['high', { HIGH: 1 }, true],
    ['high', { CRITICAL: 1 }, true],
    ['medium', { MEDIUM: 1 }, true],
    ['medium', { LOW: 4 }, false],
    ['low', { LOW: 1 }, true],
    ['low', { INFORMATIONAL: 7, UNTRIAGED: 2 }, false],
  ])('fail-on-severity %s with %j fails: %s', (threshold, counts, fails) => {
    const error = severityGateError(result(counts), threshold, IMAGE_ARN);
    expect(error !== undefined).toBe(fails);
    if (error) {
      expect(error.message).toMatch(new RegExp(`^Severity gate \\(fail-on-severity: ${threshold}\\) failed for ${IMAGE_ARN}: \\d+ finding\\(s\\) at or above ${threshold.toUpperCase()}`));
      expect(error.status).toBe('FINDINGS_ABOVE_THRESHOLD');
    }
  });

  it('fails a gate whose findings could not be read, passes one with no gate', () => {
    const unreadable: FindingsResult = { report: { ...result({}).report, scanned: false }, readError: 'denied' };
    expect(severityGateError(unreadable, 'high', IMAGE_ARN)?.status).toBe('FINDINGS_UNREADABLE');
    expect(severityGateError(unreadable, 'none', IMAGE_ARN)).toBeUndefined();
  });

  it.each<[SeverityThreshold, string]>([
    ['high', '**Scan findings: 2** (**gate failed**: 2 at or above HIGH)'],
    ['critical', '**Scan findings: 2** (gate passed: none at or above CRITICAL)'],
    ['none', '**Scan findings: 2** (no severity gate)'],
  ])('renders the verdict of fail-on-severity %s above the severity table', (threshold, heading) => {
    const expected = `${heading}\n\n| Severity | Findings |\n|---|---|\n| CRITICAL | 0 |\n| HIGH | 2 |`;
    expect(renderFindings(result({ HIGH: 2 }), threshold).slice(0, expected.length)).toBe(expected);
  });

  it('says why there are no findings', () => {
    expect(renderFindings({ report: { ...result({}).report, scanned: false, reason: 'off' } }, 'none')).toBe('**Scan findings:** not available: off.');
  });
});
