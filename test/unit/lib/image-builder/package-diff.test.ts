import 'aws-sdk-client-mock-jest';

import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ImagebuilderClient, ListImagePackagesCommand } from '@aws-sdk/client-imagebuilder';
import { mockClient } from 'aws-sdk-client-mock';

import {
  comparePackagesWithPreviousAmi,
  diffPackages,
  MAX_ROWS,
  renderPackageDiff,
} from '../../../../actions/lib/image-builder/package-diff';
import { AMI_ID, awsError, IMAGE_ARN, OLD_AMI_ID, OLD_IMAGE_ARN, testDeps } from './fixtures';

const ib = mockClient(ImagebuilderClient);
const ec2 = mockClient(EC2Client);
beforeEach(() => {
  ib.reset();
  ec2.reset();
});

const pkg = (packageName: string, packageVersion: string) => ({ packageName, packageVersion });
const OLD = [pkg('openssl-libs', '3.0.8-1.amzn2023'), pkg('kernel', '6.1.100-1'), pkg('bash', '5.2.15-1'), pkg('telnet', '0.17-1')];
const NEW = [pkg('openssl-libs', '3.0.8-2.amzn2023'), pkg('kernel', '6.1.100-1'), pkg('kernel', '6.1.112-1'), pkg('bash', '5.2.15-1'), pkg('jq', '1.7.1-1')];

describe('diffPackages', () => {
  it('finds added, removed and changed packages, changed first, sorted by name', () => {
    const diff = diffPackages(OLD, NEW);
    expect(diff.changes).toEqual([
      { kind: 'changed', name: 'kernel', oldVersion: '6.1.100-1', newVersion: '6.1.100-1, 6.1.112-1' },
      { kind: 'changed', name: 'openssl-libs', oldVersion: '3.0.8-1.amzn2023', newVersion: '3.0.8-2.amzn2023' },
      { kind: 'added', name: 'jq', newVersion: '1.7.1-1' },
      { kind: 'removed', name: 'telnet', oldVersion: '0.17-1' },
    ]);
    expect(diff.oldPackageCount).toBe(4);
    expect(diff.newPackageCount).toBe(4);
  });

  it('renders a counts line then a table', () => {
    const markdown = renderPackageDiff(diffPackages(OLD, NEW), OLD_AMI_ID, AMI_ID);
    expect(markdown.split('\n')).toEqual([
      `**Packages: 2 changed, 1 added, 1 removed** (\`${OLD_AMI_ID}\` → \`${AMI_ID}\`; 4 → 4 packages)`,
      '',
      '| Package | Change | Old version | New version |',
      '|---|---|---|---|',
      '| kernel | changed | 6.1.100-1 | 6.1.100-1, 6.1.112-1 |',
      '| openssl-libs | changed | 3.0.8-1.amzn2023 | 3.0.8-2.amzn2023 |',
      '| jq | added |  | 1.7.1-1 |',
      '| telnet | removed | 0.17-1 |  |',
    ]);
  });

  it('says "no changes" when the inventories match', () => {
    expect(renderPackageDiff(diffPackages(OLD, OLD), OLD_AMI_ID, AMI_ID)).toBe(`**Packages: no changes** (\`${OLD_AMI_ID}\` → \`${AMI_ID}\`; 4 → 4 packages)`);
  });

  it('collapses a long table and cuts a huge one', () => {
    const many = (n: number, v: string) => Array.from({ length: n }, (_, i) => pkg(`pkg-${String(i).padStart(4, '0')}`, v));
    const long = renderPackageDiff(diffPackages(many(25, '1'), many(25, '2')), OLD_AMI_ID, AMI_ID);
    expect(long).toMatch(/^\*\*Packages: 25 changed, 0 added, 0 removed\*\*.*\n\n<details><summary>25 package changes<\/summary>\n\n\| Package/);
    expect(long).toMatch(/<\/details>$/);

    const huge = renderPackageDiff(diffPackages(many(MAX_ROWS + 5, '1'), many(MAX_ROWS + 5, '2')), OLD_AMI_ID, AMI_ID);
    expect(huge.split('\n').filter((l) => l.startsWith('| pkg-'))).toHaveLength(MAX_ROWS);
    expect(huge).toContain('…and 5 more');
  });

  it('escapes table-breaking characters in package data', () => {
    const markdown = renderPackageDiff(diffPackages([], [pkg('odd|name', '<1>')]), OLD_AMI_ID, AMI_ID);
    expect(markdown).toContain('| odd\\|name | added |  | &lt;1&gt; |');
  });
});

describe('comparePackagesWithPreviousAmi', () => {
  const inputs = { previousAmiId: OLD_AMI_ID, amiId: AMI_ID, imageArn: IMAGE_ARN };
  const taggedAmi = (tags: Array<{ Key: string; Value: string }>) => ({ Images: [{ ImageId: OLD_AMI_ID, Tags: tags }] });

  it('finds the previous image through the AMI tag and diffs both inventories, following pages', async () => {
    const deps = testDeps();
    ec2.on(DescribeImagesCommand).resolves(taggedAmi([{ Key: 'CreatedBy', Value: 'EC2 Image Builder' }, { Key: 'Ec2ImageBuilderArn', Value: OLD_IMAGE_ARN }]));
    ib.on(ListImagePackagesCommand, { imageBuildVersionArn: OLD_IMAGE_ARN }).resolves({ imagePackageList: OLD });
    ib.on(ListImagePackagesCommand, { imageBuildVersionArn: IMAGE_ARN })
      .resolves({ imagePackageList: NEW.slice(0, 2), nextToken: 'page-2' })
      .on(ListImagePackagesCommand, { imageBuildVersionArn: IMAGE_ARN, nextToken: 'page-2' })
      .resolves({ imagePackageList: NEW.slice(2) });

    const report = await comparePackagesWithPreviousAmi(inputs, deps);

    expect(report.kind).toBe('diff');
    if (report.kind !== 'diff') throw new Error('unreachable');
    expect(report.previousImageArn).toBe(OLD_IMAGE_ARN);
    expect(report.diff.changes.map((c) => `${c.kind} ${c.name}`)).toEqual(['changed kernel', 'changed openssl-libs', 'added jq', 'removed telnet']);
    expect(report.markdown).toMatch(/^\*\*Packages: 2 changed, 1 added, 1 removed\*\*/);
    expect(ec2).toHaveReceivedCommandWith(DescribeImagesCommand, { ImageIds: [OLD_AMI_ID] });
    expect(ib).toHaveReceivedCommandTimes(ListImagePackagesCommand, 3);
  });

  it.each([
    ['the AMI has no Ec2ImageBuilderArn tag', () => ec2.on(DescribeImagesCommand).resolves(taggedAmi([{ Key: 'Name', Value: 'hand-made' }])), /has no Ec2ImageBuilderArn tag/],
    ['the tag is not a build version ARN', () => ec2.on(DescribeImagesCommand).resolves(taggedAmi([{ Key: 'Ec2ImageBuilderArn', Value: 'arn:nope' }])), /not an image build version ARN/],
    ['the AMI is gone (NotFound)', () => ec2.on(DescribeImagesCommand).rejects(awsError('InvalidAMIID.NotFound')), /does not exist in this region/],
    ['the AMI is gone (empty answer)', () => ec2.on(DescribeImagesCommand).resolves({ Images: [] }), /does not exist in this region/],
    ['the AMI may not be described', () => ec2.on(DescribeImagesCommand).rejects(awsError('UnauthorizedOperation', 'no', 403)), /allow ec2:DescribeImages/],
    [
      'the previous image has no inventory',
      () => {
        ec2.on(DescribeImagesCommand).resolves(taggedAmi([{ Key: 'Ec2ImageBuilderArn', Value: OLD_IMAGE_ARN }]));
        ib.on(ListImagePackagesCommand).resolves({ imagePackageList: [] });
      },
      /previous image .* has no package inventory/,
    ],
    [
      'the previous image was deleted',
      () => {
        ec2.on(DescribeImagesCommand).resolves(taggedAmi([{ Key: 'Ec2ImageBuilderArn', Value: OLD_IMAGE_ARN }]));
        ib.on(ListImagePackagesCommand).rejects(awsError('ResourceNotFoundException'));
      },
      /previous image .* no longer exists in Image Builder/,
    ],
    [
      'the new image has no inventory',
      () => {
        ec2.on(DescribeImagesCommand).resolves(taggedAmi([{ Key: 'Ec2ImageBuilderArn', Value: OLD_IMAGE_ARN }]));
        ib.on(ListImagePackagesCommand, { imageBuildVersionArn: OLD_IMAGE_ARN }).resolves({ imagePackageList: OLD });
        ib.on(ListImagePackagesCommand, { imageBuildVersionArn: IMAGE_ARN }).resolves({});
      },
      /new image .* has no package inventory/,
    ],
    [
      'the inventory may not be read',
      () => {
        ec2.on(DescribeImagesCommand).resolves(taggedAmi([{ Key: 'Ec2ImageBuilderArn', Value: OLD_IMAGE_ARN }]));
        ib.on(ListImagePackagesCommand).rejects(awsError('AccessDeniedException', 'not allowed', 403));
      },
      /allow imagebuilder:ListImagePackages/,
    ],
  ])('says so instead of failing when %s', async (_case, arrange, reason) => {
    const deps = testDeps();
    arrange();

    const report = await comparePackagesWithPreviousAmi(inputs, deps);

    expect(report.kind).toBe('unavailable');
    expect(report.markdown).toMatch(new RegExp(`^\\*\\*Packages:\\*\\* no diff from ${OLD_AMI_ID}: `));
    expect(report.markdown).toMatch(reason);
    expect(deps.logger.entries.some((e) => e.level === 'warning' && reason.test(e.message))).toBe(true);
  });

  it('does not hide an unexpected error (a bug or an outage) as "no diff"', async () => {
    ec2.on(DescribeImagesCommand).rejects(awsError('InvalidParameterCombination', 'bad request shape'));
    await expect(comparePackagesWithPreviousAmi(inputs, testDeps())).rejects.toThrow('bad request shape');
  });
});
