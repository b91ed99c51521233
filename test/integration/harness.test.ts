/**
 * The harness itself: the environment it sets, the reset between files, and deployStack on the
 * real network template.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { GetImageCommand, StartImagePipelineExecutionCommand } from '@aws-sdk/client-imagebuilder';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { LOCAL_DIR, LOCAL_PIPELINE_ARN } from '../../local/env';
import { deployAppFoundation, deployStack, localClients, localEndpoints, resetLocalAws, standin, useLocalAws } from './harness';

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

describe('deployAppFoundation', () => {
  it('deploys the shipped dev (strategy slots) from the real templates and parameters/dev.json', async () => {
    const { network, app, ami, parameters, environment } = await deployAppFoundation({ shipped: true });
    expect(environment).toMatchObject({ strategy: 'slots', appTemplate: 'templates/app-slots.yaml', parametersFile: 'parameters/dev.json' });
    expect(network.name).toBe('patch-dev-network');
    expect(app.name).toBe('patch-dev-app');
    expect(parameters.LiveSlot).toBe('blue');
    expect(ami).toBe(parameters.BlueAmazonMachineImage);
    expect(app.outputs.LoadBalancerUrl).toMatch(/^https?:\/\//);
    expect(app.outputs.LiveSlot).toBe('blue');
  });

  it('deploys dev as a replace environment by default (templates/app.yaml, the replace example)', async () => {
    await resetLocalAws();
    const { app, ami, parameters, environment } = await deployAppFoundation();
    expect(environment).toMatchObject({ strategy: 'replace', appTemplate: 'templates/app.yaml', parametersFile: 'test/fixtures/replace/dev.json' });
    expect(ami).toBe(parameters.AmazonMachineImage);
    expect(app.outputs.AmiId).toBe(ami);
  });

  it('overrides the AMI when given one (e.g. an AMI the stand-in minted)', async () => {
    await resetLocalAws();
    await standin.registerPipeline(LOCAL_PIPELINE_ARN);
    await standin.configure({ buildSeconds: 0 });
    const { imageBuilder } = localClients();
    const { imageBuildVersionArn } = await imageBuilder.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: LOCAL_PIPELINE_ARN }));
    const { image } = await imageBuilder.send(new GetImageCommand({ imageBuildVersionArn }));
    const minted = image?.outputResources?.amis?.[0]?.image as string;

    const { app } = await deployAppFoundation({ ami: minted });
    expect(app.outputs.AmiId).toBe(minted);
  });
});
