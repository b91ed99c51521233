import 'aws-sdk-client-mock-jest';

import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetImageCommand, ImagebuilderClient, ListImagePackagesCommand, type ImageScanFinding, ListImageScanFindingsCommand } from '@aws-sdk/client-imagebuilder';
import { mockClient } from 'aws-sdk-client-mock';

import { buildAmi } from '../../../../actions/lib/image-builder/build-ami';
import { compareFindingsWithPreviousAmi, diffFindings, renderFindingDelta } from '../../../../actions/lib/image-builder/finding-delta';
import { countScanFindings, type FindingsResult } from '../../../../actions/lib/image-builder/findings';
import { buildAmiOutputs } from '../../../../actions/lib/image-builder/summary';
import { AMI_ID, awsError, IMAGE_ARN, image, OLD_AMI_ID, OLD_IMAGE_ARN, testDeps, givenOutputAmiExists } from './fixtures';

const ib = mockClient(ImagebuilderClient);
const ec2 = mockClient(EC2Client);
beforeEach(() => {
  ib.reset();
  ec2.reset();
  givenOutputAmiExists(ec2);
});

/** A finding in the shape ListImageScanFindings returns (Inspector reports version and release apart). */
function finding(vulnerabilityId: string, pkg: string, severity: string, version: string, release: string, fixedInVersion = 'NotAvailable'): ImageScanFinding {
  return {
    type: 'PACKAGE_VULNERABILITY',
    title: `${vulnerabilityId} - ${pkg}`,
    severity,
    inspectorScore: severity === 'CRITICAL' ? 9.8 : 7.5,
    packageVulnerabilityDetails: {
      vulnerabilityId,
      source: 'NVD',
      vulnerablePackages: [{ name: pkg, version, release, epoch: 0, arch: 'X86_64', packageManager: 'OS', fixedInVersion }],
    },
    fixAvailable: fixedInVersion === 'NotAvailable' ? 'NO' : 'YES',
  };
}

const RUNNING = [
  finding('CVE-2023-38545', 'libcurl-minimal', 'CRITICAL', '8.2.1', '1.amzn2023.0.3', '0:8.4.0-1.amzn2023'),
  finding('CVE-2023-4911', 'glibc', 'HIGH', '2.34', '52.amzn2023.0.7', '0:2.34-52.amzn2023.0.8'),
  finding('CVE-2023-29491', 'ncurses-libs', 'HIGH', '6.2', '4.20200222.amzn2023.0.5'),
  finding('CVE-2022-48303', 'tar', 'MEDIUM', '1.34', '1.amzn2023.0.4'),
];
const PATCHED = [
  finding('CVE-2023-29491', 'ncurses-libs', 'HIGH', '6.2', '4.20200222.amzn2023.0.6'),
  finding('CVE-2022-48303', 'tar', 'MEDIUM', '1.34', '1.amzn2023.0.4'),
  finding('CVE-2024-2398', 'libcurl-minimal', 'MEDIUM', '8.4.0', '1.amzn2023', '0:8.5.0-1.amzn2023'),
];

describe('diffFindings', () => {
  it('sorts findings into fixed, introduced and still open by CVE and package, most severe first', () => {
    const delta = diffFindings(RUNNING, PATCHED);
    expect(delta.fixed.map((f) => [f.severity, f.vulnerabilityId, f.packageName, f.version])).toEqual([
      ['CRITICAL', 'CVE-2023-38545', 'libcurl-minimal', '8.2.1-1.amzn2023.0.3'],
      ['HIGH', 'CVE-2023-4911', 'glibc', '2.34-52.amzn2023.0.7'],
    ]);
    expect(delta.introduced).toEqual([
      { vulnerabilityId: 'CVE-2024-2398', packageName: 'libcurl-minimal', severity: 'MEDIUM', version: '8.4.0-1.amzn2023', fixedIn: '0:8.5.0-1.amzn2023', score: 7.5 },
    ]);
    // Same CVE in the same package is still open even though the package moved on.
    expect(delta.stillOpen.map((f) => [f.vulnerabilityId, f.previousVersion, f.version, f.fixedIn])).toEqual([
      ['CVE-2023-29491', '6.2-4.20200222.amzn2023.0.5', '6.2-4.20200222.amzn2023.0.6', 'no fix yet'],
      ['CVE-2022-48303', '1.34-1.amzn2023.0.4', '1.34-1.amzn2023.0.4', 'no fix yet'],
    ]);
  });

  it('keys one CVE in two packages as two rows', () => {
    const twoPackages: ImageScanFinding = {
      severity: 'HIGH',
      packageVulnerabilityDetails: { vulnerabilityId: 'CVE-2023-5363', source: 'NVD', vulnerablePackages: [{ name: 'openssl-libs', version: '3.0.8' }, { name: 'openssl', version: '3.0.8' }] },
    };
    const onlyLibs = finding('CVE-2023-5363', 'openssl-libs', 'HIGH', '3.0.8', '');
    const delta = diffFindings([twoPackages], [onlyLibs]);
    expect(delta.fixed.map((f) => f.packageName)).toEqual(['openssl']);
    expect(delta.stillOpen.map((f) => f.packageName)).toEqual(['openssl-libs']);
  });

  it('renders a counts line, the fixed and introduced tables, and still-open collapsed', () => {
    const markdown = renderFindingDelta(diffFindings(RUNNING, PATCHED), OLD_AMI_ID, AMI_ID);
    const lines = markdown.split('\n');
    expect(lines[0]).toBe(`**CVE delta \`${OLD_AMI_ID}\` → \`${AMI_ID}\`: fixes 2 (1 CRITICAL, 1 HIGH), introduces 1 (1 MEDIUM), 2 still open**`);
    expect(markdown).toContain(`Fixed by this patch (open in \`${OLD_AMI_ID}\`):\n\n| Severity | Vulnerability | Package | Version | Fixed in | Score |`);
    expect(markdown).toContain('| CRITICAL | CVE-2023-38545 | libcurl-minimal | 8.2.1-1.amzn2023.0.3 | 0:8.4.0-1.amzn2023 | 9.8 |');
    expect(markdown).toContain('**Introduced** by this patch');
    expect(markdown).toContain('<details><summary>2 still open</summary>');
    expect(markdown).toContain('| HIGH | CVE-2023-29491 | ncurses-libs | 6.2-4.20200222.amzn2023.0.5 → 6.2-4.20200222.amzn2023.0.6 | no fix yet | 7.5 |');
  });
});

const scannedImage = (arn: string) => image('AVAILABLE', { arn, imageScanningConfiguration: { imageScanningEnabled: true }, scanState: { status: 'COMPLETED' } });

async function currentFindings(findings: ImageScanFinding[]): Promise<FindingsResult> {
  ib.on(ListImageScanFindingsCommand, { filters: [{ name: 'imageBuildVersionArn', values: [IMAGE_ARN] }] }).resolves({ findings });
  return countScanFindings(scannedImage(IMAGE_ARN), IMAGE_ARN, testDeps());
}

describe('compareFindingsWithPreviousAmi', () => {
  const inputs = (current: FindingsResult, previousImage: { imageArn: string } | { reason: string } = { imageArn: OLD_IMAGE_ARN }) => ({
    previousAmiId: OLD_AMI_ID,
    amiId: AMI_ID,
    previousImage,
    current,
  });

  it("reads the previous image's findings by its ARN and diffs them", async () => {
    const current = await currentFindings(PATCHED);
    ib.on(GetImageCommand, { imageBuildVersionArn: OLD_IMAGE_ARN }).resolves({ image: scannedImage(OLD_IMAGE_ARN) });
    ib.on(ListImageScanFindingsCommand, { filters: [{ name: 'imageBuildVersionArn', values: [OLD_IMAGE_ARN] }] }).resolves({ findings: RUNNING });

    const report = await compareFindingsWithPreviousAmi(inputs(current), testDeps());

    expect(report.kind).toBe('delta');
    if (report.kind !== 'delta') return;
    expect(report.previousImageArn).toBe(OLD_IMAGE_ARN);
    expect([report.delta.fixed.length, report.delta.introduced.length, report.delta.stillOpen.length]).toEqual([2, 1, 2]);
  });

  it('calls every finding introduced when the previous image was scanned clean', async () => {
    const current = await currentFindings(PATCHED);
    ib.on(GetImageCommand, { imageBuildVersionArn: OLD_IMAGE_ARN }).resolves({ image: scannedImage(OLD_IMAGE_ARN) });
    ib.on(ListImageScanFindingsCommand, { filters: [{ name: 'imageBuildVersionArn', values: [OLD_IMAGE_ARN] }] }).resolves({ findings: [] });

    const report = await compareFindingsWithPreviousAmi(inputs(current), testDeps());

    expect(report.kind === 'delta' && [report.delta.fixed.length, report.delta.introduced.length, report.delta.stillOpen.length]).toEqual([0, 3, 0]);
    expect(report.markdown.split('\n')[0]).toBe(`**CVE delta \`${OLD_AMI_ID}\` → \`${AMI_ID}\`: fixes 0, introduces 3 (1 HIGH, 2 MEDIUM), 0 still open**`);
  });

  it('gives no delta, rather than "all new", when the previous image was never scanned', async () => {
    const current = await currentFindings(PATCHED);
    ib.on(GetImageCommand, { imageBuildVersionArn: OLD_IMAGE_ARN }).resolves({ image: image('AVAILABLE', { arn: OLD_IMAGE_ARN }) });

    const deps = testDeps();
    const report = await compareFindingsWithPreviousAmi(inputs(current), deps);

    expect(report).toMatchObject({ kind: 'unavailable', reason: `the previous image ${OLD_IMAGE_ARN}: image scanning is not enabled on this pipeline` });
    expect(deps.logger.entries.some((e) => e.level === 'warning' && e.message.startsWith('No CVE delta'))).toBe(true);
  });

  it('says why when the previous AMI has no pipeline tags, without calling Image Builder', async () => {
    const current = await currentFindings(PATCHED);
    ib.resetHistory();
    const reason = `the AMI ${OLD_AMI_ID} has no Ec2ImageBuilderArn tag, so it was not built by Image Builder (or its tags were not copied)`;
    const report = await compareFindingsWithPreviousAmi(inputs(current, { reason }), testDeps());
    expect(report).toEqual({ kind: 'unavailable', previousAmiId: OLD_AMI_ID, reason, markdown: `**CVE delta:** none from \`${OLD_AMI_ID}\`: the AMI \`${OLD_AMI_ID}\` has no Ec2ImageBuilderArn tag, so it was not built by Image Builder (or its tags were not copied).` });
    expect(ib).not.toHaveReceivedAnyCommand();
  });

  it('says why when the previous image is gone from Image Builder', async () => {
    const current = await currentFindings(PATCHED);
    ib.on(GetImageCommand, { imageBuildVersionArn: OLD_IMAGE_ARN }).rejects(awsError('ResourceNotFoundException', 'no such image', 404));
    const report = await compareFindingsWithPreviousAmi(inputs(current), testDeps());
    expect(report).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('no longer exists in Image Builder') });
  });
});

describe('buildAmi with a previous AMI built by the pipeline', () => {
  it('finds the previous image through its Ec2ImageBuilderArn tag and puts the delta counts and the gate verdict in findings-json', async () => {
    ib.on(GetImageCommand, { imageBuildVersionArn: IMAGE_ARN }).resolves({ image: scannedImage(IMAGE_ARN) });
    ib.on(GetImageCommand, { imageBuildVersionArn: OLD_IMAGE_ARN }).resolves({ image: scannedImage(OLD_IMAGE_ARN) });
    ib.on(ListImageScanFindingsCommand, { filters: [{ name: 'imageBuildVersionArn', values: [IMAGE_ARN] }] }).resolves({ findings: PATCHED });
    ib.on(ListImageScanFindingsCommand, { filters: [{ name: 'imageBuildVersionArn', values: [OLD_IMAGE_ARN] }] }).resolves({ findings: RUNNING });
    ib.on(ListImagePackagesCommand).resolves({ imagePackageList: [{ packageName: 'glibc', packageVersion: '2.34-52.amzn2023.0.8' }] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: OLD_AMI_ID, Tags: [{ Key: 'Ec2ImageBuilderArn', Value: OLD_IMAGE_ARN }] }] });
    givenOutputAmiExists(ec2);

    const result = await buildAmi(
      { source: { kind: 'image', imageArn: IMAGE_ARN }, region: 'us-east-1', timeoutMinutes: 5, previousAmiId: OLD_AMI_ID, failOnSeverity: 'critical' },
      testDeps(),
    );
    const outputs = buildAmiOutputs(result);

    expect(JSON.parse(outputs['findings-json'])).toMatchObject({
      gate: { threshold: 'critical', passed: true, text: 'no finding at or above CRITICAL: gate passed' },
      delta: { previousAmiId: OLD_AMI_ID, fixed: 2, introduced: 1, stillOpen: 2 },
    });
    expect(outputs['findings-delta-markdown']).toMatch(/^\*\*CVE delta .*: fixes 2 \(1 CRITICAL, 1 HIGH\), introduces 1 \(1 MEDIUM\), 2 still open\*\*/);
  });
});
