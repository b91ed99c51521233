import { parse } from 'yaml';

import { composeCommitMessage, formatMetadataBlock, parseMetadataBlock, type UpdatedAmi } from '../../../../actions/lib/gitops/commit-metadata';

const patch: UpdatedAmi = {
  environment: 'dev',
  'parameters-file': 'parameters/dev.json',
  parameter: 'AmazonMachineImage',
  'previous-ami-id': 'ami-0123456789abcdef0',
  'ami-id': 'ami-0fedcba9876543210',
  'update-type': 'patch',
  'image-arn': 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.3/1',
  'run-url': 'https://github.com/acme/fleet/actions/runs/42',
};

describe('commit metadata block', () => {
  it('is a YAML document between --- and ..., as Dependabot writes it', () => {
    const block = formatMetadataBlock([patch]);
    expect(block.startsWith('---\nupdated-amis:\n- environment: dev\n')).toBe(true);
    expect(block.endsWith('\n...')).toBe(true);
    expect(parse(block.slice(4, -4))).toEqual({ 'updated-amis': [patch] });
  });

  it('round-trips through a full commit message with a reason that looks like YAML', () => {
    const update: UpdatedAmi = { ...patch, 'update-type': 'failback', reason: 'p99: 3s — "checkout" broke: see #12', 'requested-by': 'octocat' };
    const message = composeCommitMessage({ subject: 'Fail back dev to ami-0fedcba9876543210', body: ['Why: it broke.'], updates: [update] });
    expect(message.split('\n')[0]).toBe('Fail back dev to ami-0fedcba9876543210');
    expect(parseMetadataBlock(message)).toEqual([update]);
  });

  it('never folds long values, so a line-oriented grep still finds them', () => {
    const long = { ...patch, 'run-url': `https://github.com/acme/${'x'.repeat(200)}/actions/runs/1` };
    expect(formatMetadataBlock([long])).toContain(`run-url: ${long['run-url']}\n`);
  });

  it('leaves out empty optional fields', () => {
    expect(formatMetadataBlock([{ ...patch, reason: '', 'image-arn': undefined }])).not.toMatch(/reason|image-arn/);
  });

  it.each([
    ['a human commit', 'Raise DesiredCapacity in prod\n\nTraffic doubled.'],
    ['a block with another key', 'x\n\n---\nupdated-dependencies:\n- dependency-name: lodash\n...\n'],
    ['a block with a bad AMI', 'x\n\n---\nupdated-amis:\n- environment: dev\n  parameters-file: p\n  parameter: A\n  ami-id: ami-XYZ\n  update-type: patch\n...\n'],
    ['a block that is not YAML', 'x\n\n---\nupdated-amis: [\n...\n'],
    ['an unknown update type', 'x\n\n---\nupdated-amis:\n- environment: dev\n  parameters-file: p\n  parameter: A\n  ami-id: ami-12345678\n  update-type: yolo\n...\n'],
  ])('reads nothing from %s', (_name, message) => {
    expect(parseMetadataBlock(message)).toBeUndefined();
  });

  it('reads a block whose message has CRLF line ends (edited on Windows)', () => {
    expect(parseMetadataBlock(composeCommitMessage({ subject: 's', updates: [patch] }).replace(/\n/g, '\r\n'))).toEqual([patch]);
  });
});
