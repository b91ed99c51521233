import { AwsOperationError } from '../../../../actions/lib/errors';
import { selectAmiForRegion } from '../../../../actions/lib/image-builder/output-ami';
import { ACCOUNT, AMI_ID, IMAGE_ARN, image } from './fixtures';

describe('selectAmiForRegion', () => {
  const withAmis = (amis: Array<{ region: string; image: string; accountId?: string }>) => image('AVAILABLE', { outputResources: { amis } });

  it('picks the AMI of the target region among several', () => {
    const img = withAmis([
      { region: 'eu-west-1', image: 'ami-0aaaaaaaaaaaaaaaa' },
      { region: 'us-east-1', image: AMI_ID },
    ]);
    expect(selectAmiForRegion(img, IMAGE_ARN, 'us-east-1')).toBe(AMI_ID);
    expect(selectAmiForRegion(img, IMAGE_ARN, 'eu-west-1')).toBe('ami-0aaaaaaaaaaaaaaaa');
  });

  it('picks the build account copy when the region has copies for several accounts', () => {
    const img = withAmis([
      { region: 'us-east-1', image: 'ami-0bbbbbbbbbbbbbbbb', accountId: '210987654321' },
      { region: 'us-east-1', image: AMI_ID, accountId: ACCOUNT },
    ]);
    expect(selectAmiForRegion(img, IMAGE_ARN, 'us-east-1')).toBe(AMI_ID);
  });

  it.each([
    [[{ region: 'eu-west-1', image: 'ami-0aaaaaaaaaaaaaaaa' }], /it has no AMI in us-east-1 \(AMIs: ami-0aaaaaaaaaaaaaaaa in eu-west-1\)/],
    [[], /it has no AMI in us-east-1 \(no AMIs at all\)/],
    [
      [
        { region: 'us-east-1', image: 'ami-0bbbbbbbbbbbbbbbb', accountId: '210987654321' },
        { region: 'us-east-1', image: 'ami-0cccccccccccccccc', accountId: '310987654321' },
      ],
      /it has 2 AMIs in us-east-1, none of them in the build account 123456789012/,
    ],
  ])('fails clearly when no AMI is ours in the region (%#)', (amis, why) => {
    const error = (() => {
      try {
        selectAmiForRegion(withAmis(amis), IMAGE_ARN, 'us-east-1');
      } catch (e) {
        return e;
      }
    })() as AwsOperationError;
    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error.status).toBe('NO_AMI_IN_REGION');
    expect(error.message).toMatch(new RegExp(`^Finding the AMI failed for ${IMAGE_ARN}: `));
    expect(error.message).toMatch(why);
    expect(error.message).toMatch(/Add us-east-1 to the pipeline's distribution configuration/);
  });
});
