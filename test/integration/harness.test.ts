/**
 * The harness itself: the environment it sets, the reset between files, and deployStack on the
 * real network template.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { LOCAL_DIR } from '../../local/env';
import { deployStack, localClients, localEndpoints, standin, useLocalAws } from './harness';

process.env.AWS_PROFILE = 'someone-elses-real-profile';
useLocalAws();

describe('integration harness', () => {
  it('points the SDK at this worker\'s moto and stand-in, with test credentials and nothing inherited', () => {
    const endpoints = localEndpoints();
    expect(process.env).toMatchObject({
      AWS_ENDPOINT_URL: endpoints.moto,
      AWS_ENDPOINT_URL_IMAGEBUILDER: endpoints.imageBuilder,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    expect(process.env.AWS_PROFILE).toBeUndefined();
    expect(endpoints.moto).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('starts each file from an empty account and an empty stand-in', async () => {
    const { Stacks = [] } = await localClients().cloudFormation.send(new DescribeStacksCommand({}));
    expect(Stacks).toEqual([]);
    expect((await standin.state()).pipelines).toEqual([]);
  });

  it('deploys the real network template and returns its outputs', async () => {
    const { stackId, outputs } = await deployStack('harness-network', 'templates/network.yaml', { AvailabilityZoneCount: '2' });
    expect(stackId).toMatch(/^arn:aws:cloudformation:us-east-1:123456789012:stack\/harness-network\//);
    const { Vpcs = [] } = await localClients().ec2.send(new DescribeVpcsCommand({ VpcIds: [outputs.VpcId] }));
    expect(Vpcs).toHaveLength(1);
    expect(outputs.PublicSubnets.split(',')).toHaveLength(2);
  });

  it('throws with the reason when a stack cannot be created', async () => {
    const template = join(LOCAL_DIR, 'harness-bad-ami.yaml');
    writeFileSync(
      template,
      ['Resources:', '  Box:', '    Type: AWS::EC2::Instance', '    Properties:', '      ImageId: ami-00000000000000000', '      InstanceType: t3.micro', ''].join('\n'),
    );
    await expect(deployStack('harness-bad', template, {})).rejects.toThrow(/InvalidAMIID|ami-00000000000000000/);
  });
});
