/**
 * State transitions and injected failures of the stand-in, driven by a virtual clock: an
 * in-process stand-in (on this worker's moto) whose time moves only when the test says so, read
 * through the real SDK client.
 */
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import {
  CancelImageCreationCommand,
  GetImageCommand,
  ImagebuilderClient,
  ListWorkflowExecutionsCommand,
  ListWorkflowStepExecutionsCommand,
  StartImagePipelineExecutionCommand,
} from '@aws-sdk/client-imagebuilder';

import { VirtualClock } from '../../../actions/lib/clock';
import { LOCAL_CREDENTIALS, LOCAL_PIPELINE_ARN, LOCAL_REGION } from '../../../local/env';
import { createStandinControl, type StandinControl } from '../../../local/imagebuilder-standin/client';
import { startImageBuilderStandin, type StandinServer } from '../../../local/imagebuilder-standin/server';
import { localClients, localEndpoints, useLocalAws } from '../harness';

useLocalAws();

const BUILD_SECONDS = 10;
const clock = new VirtualClock(Date.now());
const logLines: string[] = [];
let server: StandinServer;
let control: StandinControl;
let imageBuilder: ImagebuilderClient;

beforeAll(async () => {
  server = await startImageBuilderStandin({ motoEndpoint: localEndpoints().moto, clock, buildSeconds: BUILD_SECONDS, log: (line) => logLines.push(line) });
  control = createStandinControl(server.endpoint);
  imageBuilder = new ImagebuilderClient({ region: LOCAL_REGION, endpoint: server.endpoint, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 1 });
  await control.registerPipeline(LOCAL_PIPELINE_ARN);
});
afterAll(async () => {
  imageBuilder.destroy();
  await server.stop();
});

async function start(): Promise<string> {
  const { imageBuildVersionArn } = await imageBuilder.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: LOCAL_PIPELINE_ARN }));
  return imageBuildVersionArn as string;
}

async function imageOf(arn: string) {
  const { image } = await imageBuilder.send(new GetImageCommand({ imageBuildVersionArn: arn }));
  return image!;
}

/** Polls every half second of virtual time for twice the build time; returns the distinct statuses seen. */
async function watch(arn: string): Promise<string[]> {
  const seen: string[] = [];
  for (let t = 0; t <= 2 * BUILD_SECONDS * 1000; t += 500) {
    const status = (await imageOf(arn)).state?.status as string;
    if (seen.at(-1) !== status) seen.push(status);
    clock.advance(500);
  }
  return seen;
}

async function amisOf(arn: string): Promise<string[]> {
  const { Images = [] } = await localClients().ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:Ec2ImageBuilderArn', Values: [arn] }] }));
  return Images.map((i) => i.ImageId as string);
}

describe('stand-in build lifecycle (virtual time, real SDK)', () => {
  it('says it is a stand-in when it starts', () => {
    expect(logLines[0]).toMatch(/^STAND-IN: EC2 Image Builder \(no emulator exists\) listening on http:\/\/127\.0\.0\.1:\d+\. Builds are simulated/);
  });

  it('moves PENDING → CREATING → BUILDING → TESTING → DISTRIBUTING → AVAILABLE, minting the AMI only at the end', async () => {
    const arn = await start();
    expect((await imageOf(arn)).outputResources?.amis ?? []).toEqual([]);
    clock.advance(BUILD_SECONDS * 1000 - 1);
    expect((await imageOf(arn)).state?.status).toBe('DISTRIBUTING');
    expect(await amisOf(arn)).toEqual([]);

    const arn2 = await start();
    expect(await watch(arn2)).toEqual(['PENDING', 'CREATING', 'BUILDING', 'TESTING', 'DISTRIBUTING', 'AVAILABLE']);
    const image = await imageOf(arn2);
    expect(await amisOf(arn2)).toEqual([image.outputResources?.amis?.[0]?.image]);
  });

  it('an injected FAILED ends the build with its reason, in the failed step of the test workflow, and mints nothing', async () => {
    await control.configure({ failNext: { status: 'FAILED', reason: 'Test component reboot-test failed: exit status 1', atStatus: 'TESTING' } });
    const arn = await start();
    expect(await watch(arn)).toEqual(['PENDING', 'CREATING', 'BUILDING', 'TESTING', 'FAILED']);
    expect((await imageOf(arn)).state).toEqual({ status: 'FAILED', reason: 'Test component reboot-test failed: exit status 1' });
    expect(await amisOf(arn)).toEqual([]);

    const { workflowExecutions = [] } = await imageBuilder.send(new ListWorkflowExecutionsCommand({ imageBuildVersionArn: arn }));
    expect(workflowExecutions.map((w) => [w.type, w.status])).toEqual([
      ['BUILD', 'COMPLETED'],
      ['TEST', 'FAILED'],
    ]);
    const failed = workflowExecutions[1];
    expect(failed.message).toBe('Test component reboot-test failed: exit status 1');
    const { steps = [] } = await imageBuilder.send(new ListWorkflowStepExecutionsCommand({ workflowExecutionId: failed.workflowExecutionId }));
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['LaunchTestInstance', 'COMPLETED'],
      ['RunTestSuite', 'FAILED'],
      ['TerminateTestInstance', 'SKIPPED'],
    ]);
    expect(steps[1].message).toBe('Test component reboot-test failed: exit status 1');
  });

  it('an injected failure applies to one build only', async () => {
    await control.configure({ failNext: { status: 'CANCELLED', reason: 'Cancelled by an operator' } });
    const cancelled = await start();
    const next = await start();
    clock.advance(BUILD_SECONDS * 1000);
    expect((await imageOf(cancelled)).state).toEqual({ status: 'CANCELLED', reason: 'Cancelled by an operator' });
    expect((await imageOf(next)).state?.status).toBe('AVAILABLE');
  });

  it('configure({ failNext: undefined }) clears an injected failure that was not used', async () => {
    await control.configure({ failNext: { status: 'FAILED', reason: 'never used' } });
    expect((await control.configure({ failNext: undefined })).failNext).toBeUndefined();
    const arn = await start();
    clock.advance(BUILD_SECONDS * 1000);
    expect((await imageOf(arn)).state?.status).toBe('AVAILABLE');
  });

  it('a stalled build never finishes (for timeout tests)', async () => {
    await control.configure({ stallNext: true });
    const arn = await start();
    clock.advance(100 * BUILD_SECONDS * 1000);
    expect((await imageOf(arn)).state?.status).toBe('BUILDING');
    const { workflowExecutions = [] } = await imageBuilder.send(new ListWorkflowExecutionsCommand({ imageBuildVersionArn: arn }));
    expect(workflowExecutions.map((w) => [w.type, w.status])).toEqual([['BUILD', 'RUNNING']]);
  });

  it('CancelImageCreation stops a running build for good', async () => {
    const arn = await start();
    clock.advance(BUILD_SECONDS * 300);
    await imageBuilder.send(new CancelImageCreationCommand({ imageBuildVersionArn: arn, clientToken: 'cancel-it' }));
    clock.advance(BUILD_SECONDS * 1000);
    expect((await imageOf(arn)).state?.status).toBe('CANCELLED');
    expect(await amisOf(arn)).toEqual([]);
  });

  it('a build whose AMI cannot be minted in moto ends FAILED with the reason, not AVAILABLE without an AMI', async () => {
    await control.registerPipeline(LOCAL_PIPELINE_ARN, { parentImage: 'ami-00000000000000000' });
    const arn = await start();
    clock.advance(BUILD_SECONDS * 1000);
    const image = await imageOf(arn);
    expect(image.state?.status).toBe('FAILED');
    expect(image.state?.reason).toMatch(/^STAND-IN could not mint the AMI in moto: .*ami-00000000000000000/);
  });
});
