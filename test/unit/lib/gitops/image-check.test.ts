import { DescribeImagesCommand, EC2Client, type Image } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

import { environmentAmiPolicy } from '../../../../actions/lib/ami-policy';
import { VirtualClock } from '../../../../actions/lib/clock';
import { AwsOperationError, InputError } from '../../../../actions/lib/errors';
import { assertImageUsable } from '../../../../actions/lib/gitops/image-check';
import { RecordingLogger } from '../../../../actions/lib/logger';
import { awsClockOn } from '../../support/aws-time';

const ec2 = mockClient(EC2Client);
const AMI = 'ami-0123456789abcdef0';
const NOW = Date.UTC(2026, 5, 1);
const ACCOUNT = '123456789012';
/** dev's allowlist as the wiring's default gives it: its own account only. */
const POLICY = environmentAmiPolicy({ name: 'dev' }, ACCOUNT);

function deps(awsAheadMs = 0) {
  const clock = new VirtualClock(NOW);
  return { clients: { ec2: new EC2Client({ region: 'us-east-1' }), awsClock: awsClockOn(clock, awsAheadMs) }, logger: new RecordingLogger(), clock };
}

const image = (overrides: Partial<Image> = {}): Image => ({
  ImageId: AMI,
  Name: 'patch-dev-app 2026-05-01',
  State: 'available',
  CreationDate: '2026-05-01T10:00:00.000Z',
  DeregistrationProtection: 'enabled',
  OwnerId: ACCOUNT,
  ...overrides,
});

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

describe('assertImageUsable', () => {
  beforeEach(() => ec2.reset());

  it('accepts an available AMI, asking EC2 to include deprecated and disabled ones', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [image()] });
    const d = deps();
    await expect(assertImageUsable(AMI, 'us-east-1', POLICY, d)).resolves.toEqual({
      amiId: AMI,
      name: 'patch-dev-app 2026-05-01',
      creationDate: '2026-05-01T10:00:00.000Z',
      deregistrationProtection: 'enabled',
    });
    expect(ec2).toHaveReceivedCommandWith(DescribeImagesCommand, { ImageIds: [AMI], IncludeDeprecated: true, IncludeDisabled: true });
    expect(d.logger.entries.filter((e) => e.level === 'warning')).toEqual([]);
  });

  it('accepts an AMI whose deprecation is still in the future', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [image({ DeprecationTime: '2026-07-01T00:00:00.000Z' })] });
    await expect(assertImageUsable(AMI, 'us-east-1', POLICY, deps())).resolves.toMatchObject({ amiId: AMI });
  });

  it.each<[string, () => void, RegExp]>([
    ['a deregistered AMI (EC2 says NotFound)', () => ec2.on(DescribeImagesCommand).rejects(awsError('InvalidAMIID.NotFound')), /no such AMI/],
    ['an AMI EC2 does not return', () => ec2.on(DescribeImagesCommand).resolves({ Images: [] }), /no such AMI/],
    ['a disabled AMI', () => ec2.on(DescribeImagesCommand).resolves({ Images: [image({ State: 'disabled' })] }), /is disabled.*aws ec2 enable-image --image-id ami-0123456789abcdef0/],
    ['a deprecated AMI', () => ec2.on(DescribeImagesCommand).resolves({ Images: [image({ DeprecationTime: '2026-05-15T00:00:00.000Z' })] }), /deprecated at 2026-05-15.*disable-image-deprecation/],
    ['a pending AMI', () => ec2.on(DescribeImagesCommand).resolves({ Images: [image({ State: 'pending' })] }), /state is pending, not available/],
    [
      'an AMI of an account not on the allowlist',
      () => ec2.on(DescribeImagesCommand).resolves({ Images: [image({ OwnerId: '099720109477' })] }),
      /AMI ami-0123456789abcdef0 is owned by account 099720109477, which is not on the AMI owner allowlist \(self \(123456789012\); the default.*add "099720109477" to environments\.dev\.amiOwners in parameters\/environments\.json.*Nothing was changed/,
    ],
    ['an AMI whose owner EC2 does not name', () => ec2.on(DescribeImagesCommand).resolves({ Images: [image({ OwnerId: undefined })] }), /owned by an owner AWS does not name/],
    ['a failed AMI', () => ec2.on(DescribeImagesCommand).resolves({ Images: [image({ State: 'failed', StateReason: { Message: 'snapshot error' } })] }), /state is failed \(snapshot error\)/],
  ])('refuses %s as an input error', async (_name, arrange, message) => {
    arrange();
    const attempt = assertImageUsable(AMI, 'us-east-1', POLICY, deps());
    await expect(attempt).rejects.toThrow(InputError);
    await expect(assertImageUsable(AMI, 'us-east-1', POLICY, deps())).rejects.toThrow(message);
  });

  it('accepts an AMI of an account the wiring lists besides self', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [image({ OwnerId: '137112412989' })] });
    const policy = environmentAmiPolicy({ name: 'dev', amiOwners: ['self', '137112412989'] }, ACCOUNT);
    await expect(assertImageUsable(AMI, 'us-east-1', policy, deps())).resolves.toMatchObject({ amiId: AMI });
  });

  it('reports a refused call (no permission) as an AWS error with the fix', async () => {
    ec2.on(DescribeImagesCommand).rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    const attempt = assertImageUsable(AMI, 'eu-west-1', POLICY, deps());
    await expect(attempt).rejects.toThrow(AwsOperationError);
    await expect(assertImageUsable(AMI, 'eu-west-1', POLICY, deps())).rejects.toThrow(/DescribeImages failed for ami-0123456789abcdef0 in eu-west-1.*ec2:DescribeImages/);
  });

  it('warns when the AMI could be deregistered by a cleanup job', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [image({ DeregistrationProtection: 'disabled' })] });
    const d = deps();
    await assertImageUsable(AMI, 'us-east-1', POLICY, d);
    expect(d.logger.entries).toContainEqual(expect.objectContaining({ level: 'warning', message: expect.stringMatching(/no deregistration protection/) }));
  });
});
