/**
 * The copy a later wave in another region gets (actions/lib/promotion/image-copy.ts), on moto's
 * CopyImage with the real SDK: made once in the target region, tagged with its source, its region
 * and the original Image Builder image ARN, reused by the next run, and traced back to its source
 * by the tag the deploy gate reads. The failed-copy path (EC2 reports `failed`, which moto never
 * does) is row F133 of the reliability catalogue, with mocks.
 */
import { CreateTagsCommand, DescribeImagesCommand, RegisterImageCommand } from '@aws-sdk/client-ec2';

import { createAwsClients } from '../../actions/lib/aws/clients';
import { systemClock } from '../../actions/lib/clock';
import { RecordingLogger } from '../../actions/lib/logger';
import { ensureImageCopy, readCopySource } from '../../actions/lib/promotion/image-copy';
import { localClients, useLocalAws } from './harness';

useLocalAws();

const IMAGE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.0/7';

it('copies the proven AMI into another region once, tagged with its source, and finds the source again from the copy', async () => {
  const east = localClients().ec2;
  const west = createAwsClients({ region: 'us-west-2' }).ec2;
  const { ImageId: source } = await east.send(new RegisterImageCommand({ Name: `proven-${Date.now()}`, RootDeviceName: '/dev/xvda', Architecture: 'x86_64', VirtualizationType: 'hvm' }));
  await east.send(new CreateTagsCommand({ Resources: [source!], Tags: [{ Key: 'Ec2ImageBuilderArn', Value: IMAGE_ARN }] }));
  const request = { sourceAmiId: source!, sourceRegion: 'us-east-1', targetRegion: 'us-west-2', imageArn: IMAGE_ARN, name: `${source}-promoted-prod` };
  const deps = { clients: { ec2: west }, logger: new RecordingLogger(), clock: systemClock };

  const copy = await ensureImageCopy(request, deps);
  expect(copy.created).toBe(true);
  expect(copy.amiId).toMatch(/^ami-[0-9a-f]+$/);
  expect(copy.amiId).not.toBe(source);
  const { Images = [] } = await west.send(new DescribeImagesCommand({ ImageIds: [copy.amiId] }));
  expect(Images[0]?.State).toBe('available');
  expect(Object.fromEntries((Images[0]?.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({ SourceAmiId: source, SourceRegion: 'us-east-1', Ec2ImageBuilderArn: IMAGE_ARN });
  // An AMI ID is valid in one region only: the copy is not in the source region.
  await expect(east.send(new DescribeImagesCommand({ ImageIds: [copy.amiId] }))).rejects.toThrow();

  await expect(ensureImageCopy(request, deps)).resolves.toEqual({ amiId: copy.amiId, created: false });
  await expect(readCopySource(copy.amiId, west)).resolves.toBe(source);
  await expect(readCopySource(source!, east)).resolves.toBeUndefined();
});
