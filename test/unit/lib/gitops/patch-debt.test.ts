import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ImagebuilderClient, ListImageScanFindingsCommand } from '@aws-sdk/client-imagebuilder';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

import { COMMANDS, type GitopsContext } from '../../../../actions/lib/gitops/commands';
import { assessPatchDebt } from '../../../../actions/lib/gitops/patch-debt';
import { commitDevHistory, createGitFixture } from './git-fixture';
import { awsClockOn } from '../../support/aws-time';
import { gitopsTestContext } from './gitops-context';
import { describeCatalogueRows } from '../../reliability/support/catalogue-suite';

const ec2 = mockClient(EC2Client);
const ib = mockClient(ImagebuilderClient);
const AMI = (n: number) => `ami-${String(n).padStart(17, '0')}`;
const NOW = Date.UTC(2026, 5, 1);
const IMAGE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.0/3';
const daysAgo = (days: number) => new Date(NOW - days * 86_400_000);
const LIMITS = { maxAmiAgeDays: 30, maxCriticalOpenDays: 7 };

describe('assessPatchDebt', () => {
  const facts = (ageDays: number, criticalOpenDays: number[] = []) => ({
    amiId: AMI(3),
    creationDate: daysAgo(ageDays).toISOString(),
    imageArn: IMAGE_ARN,
    critical: criticalOpenDays.map((d, i) => ({ vulnerabilityId: `CVE-2026-000${i}`, packageName: 'openssl', firstObservedAt: daysAgo(d) })),
  });

  it.each([
    ['a fresh AMI with no critical finding', facts(3), []],
    ['an AMI at the age limit', facts(30), []],
    ['an AMI past the age limit', facts(31), ['the AMI is 31 days old, over the 30-day limit']],
    ['a critical finding open past its limit', facts(10, [8, 2]), ['CRITICAL CVE-2026-0000 in openssl has been open 8 days, over the 7-day limit']],
  ])('%s', (_name, input, problems) => {
    const debt = assessPatchDebt(input, LIMITS, NOW);
    expect(debt.problems).toEqual(problems);
    expect(debt.inDebt).toBe(problems.length > 0);
  });
});

describe('check-patch-debt', () => {
  let cleanup: () => void;
  let ctx: GitopsContext;
  const upsertIssue = jest.fn(async () => ({ number: 12, url: 'https://github.com/acme/fleet/issues/12', created: true }));
  beforeEach(() => {
    ec2.reset();
    ib.reset();
    upsertIssue.mockClear();
    const seed = createGitFixture();
    commitDevHistory(seed, AMI);
    const work = createGitFixture({ cloneFrom: seed.dir });
    ({ ctx } = gitopsTestContext(work.dir, { upsertIssue }));
    cleanup = () => [seed, work].forEach((f) => f.remove());
  });
  afterEach(() => cleanup());

  const run = (raw: Record<string, string>) => COMMANDS['check-patch-debt'].run(COMMANDS['check-patch-debt'].inputs.parse(raw) as never, ctx);
  const ami = (ageDays: number) =>
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: AMI(3), CreationDate: daysAgo(ageDays).toISOString(), Tags: [{ Key: 'Ec2ImageBuilderArn', Value: IMAGE_ARN }] }] });

  it('opens an issue, not a log line, when a CRITICAL finding stayed open too long', async () => {
    ami(10);
    ib.on(ListImageScanFindingsCommand).resolves({
      findings: [{ severity: 'CRITICAL', firstObservedAt: daysAgo(9), packageVulnerabilityDetails: { vulnerabilityId: 'CVE-2023-38545', source: 'NVD', vulnerablePackages: [{ name: 'libcurl-minimal', version: '8.2.1' }] } }],
    });

    const result = await run({ environment: 'dev' });

    const { notification, ...outputs } = result.outputs;
    expect(outputs).toEqual({ 'in-debt': true, 'ami-id': AMI(3), 'age-days': 10, 'issue-url': 'https://github.com/acme/fleet/issues/12' });
    expect(JSON.parse(String(notification))).toMatchObject({
      event: 'patch-debt',
      ok: false,
      verdict: expect.stringMatching(/^dev runs ami-0+3, past its patch-debt limits: CRITICAL CVE-2023-38545 in libcurl-minimal has been open 9 days/),
      amis: [{ label: 'Runs', amiId: AMI(3) }],
      links: [{ label: 'Issue #12', url: 'https://github.com/acme/fleet/issues/12' }],
    });
    expect(ib).toHaveReceivedCommandWith(ListImageScanFindingsCommand, { filters: [{ name: 'imageBuildVersionArn', values: [IMAGE_ARN] }, { name: 'severity', values: ['CRITICAL'] }] });
    expect(upsertIssue).toHaveBeenCalledWith(expect.objectContaining({ title: `Patch debt: dev runs ${AMI(3)}`, label: 'patch-debt' }));
    const body = (upsertIssue.mock.calls[0] as unknown as [{ body: string }])[0].body;
    expect(body).toContain('- CRITICAL CVE-2023-38545 in libcurl-minimal has been open 9 days, over the 7-day limit');
    // The answer first, then the facts under a real header, IDs in code spans.
    expect(body.split('\n\n').slice(0, 2)).toEqual(['## Patch debt in `dev`', `**\`dev\` runs \`${AMI(3)}\`, past its patch-debt limits:**`]);
    expect(body).toContain(`| Field | Value |\n|---|---|\n| Environment | \`dev\` |\n| AMI | \`${AMI(3)}\` |\n| Image | \`${IMAGE_ARN}\` |`);
    expect(result.summary?.split('\n\n')[1]).toBe(`**\`dev\` runs \`${AMI(3)}\`, past its patch-debt limits; issue [#12](https://github.com/acme/fleet/issues/12) says so and how to pay it:**`);
  });

  it('opens no issue within the limits', async () => {
    ami(5);
    ib.on(ListImageScanFindingsCommand).resolves({ findings: [] });
    expect((await run({ environment: 'dev' })).outputs).toEqual({ 'in-debt': false, 'ami-id': AMI(3), 'age-days': 5 });
    expect(upsertIssue).not.toHaveBeenCalled();
  });

  describeCatalogueRows("patch debt judged on AWS's clock (catalogue row)", 'patch-debt.test.ts', {
    async F68() {
      ami(5);
      ib.on(ListImageScanFindingsCommand).resolves({ findings: [] });
      const aws = ctx.aws;
      ctx.aws = (region) => ({ ...aws(region), awsClock: awsClockOn(ctx.clock, 2 * 86_400_000) });
      await expect(run({ environment: 'dev' })).rejects.toThrow(new RegExp(`^Time check failed for the age of ${AMI(3)} \\(patch debt of dev\\): .*the runner is 2 days 0 h 0 min behind AWS`));
      expect(upsertIssue).not.toHaveBeenCalled();
    },
  });

  it('still checks the age when the AMI has no Image Builder tag', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: AMI(3), CreationDate: daysAgo(45).toISOString() }] });
    const result = await run({ environment: 'dev' });
    expect(result.outputs['in-debt']).toBe(true);
    expect(ib).not.toHaveReceivedCommand(ListImageScanFindingsCommand);
    expect((upsertIssue.mock.calls[0] as unknown as [{ body: string }])[0].body).toContain('Findings not checked: the AMI has no Ec2ImageBuilderArn tag.');
  });
});
