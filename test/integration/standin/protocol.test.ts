/**
 * The Image Builder stand-in against the real @aws-sdk/client-imagebuilder: every answer parses,
 * errors arrive as the SDK's exception classes, and the AMIs it mints are real images in moto.
 * Uses this worker's stand-in and moto (global setup), through the same clients the actions use.
 */
import { DescribeImagesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CallRateLimitExceededException,
  CancelImageCreationCommand,
  GetImageCommand,
  GetImagePipelineCommand,
  IdempotentParameterMismatchException,
  ImagebuilderClient,
  ImagebuilderServiceException,
  InvalidPaginationTokenException,
  InvalidParameterValueException,
  InvalidRequestException,
  ListImagePackagesCommand,
  ListImagePipelineImagesCommand,
  ListImagesCommand,
  ListImageScanFindingsCommand,
  paginateListImagePackages,
  paginateListImageScanFindings,
  ResourceInUseException,
  ResourceNotFoundException,
  StartImagePipelineExecutionCommand,
  type ImagePackage,
} from '@aws-sdk/client-imagebuilder';

import { isThrottlingError } from '../../../actions/lib/aws/errors';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_PIPELINE_ARN, LOCAL_REGION } from '../../../local/env';
import { localClients, localEndpoints, standin, useLocalAws } from '../harness';

useLocalAws();

const OTHER_PIPELINE_ARN = `arn:aws:imagebuilder:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:image-pipeline/patch-prod-app`;
let imageBuilder: ImagebuilderClient;

beforeAll(async () => {
  imageBuilder = localClients().imageBuilder;
  await standin.configure({ buildSeconds: 0 });
  await standin.registerPipeline(LOCAL_PIPELINE_ARN);
  await standin.registerPipeline(OTHER_PIPELINE_ARN);
});

/** Starts a build and returns its ARN once AVAILABLE (build time 0: the first GetImage mints it). */
async function buildImage(pipelineArn = LOCAL_PIPELINE_ARN): Promise<string> {
  const { imageBuildVersionArn } = await imageBuilder.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: pipelineArn }));
  const { image } = await imageBuilder.send(new GetImageCommand({ imageBuildVersionArn }));
  expect(image?.state?.status).toBe('AVAILABLE');
  return imageBuildVersionArn as string;
}

async function allPackages(imageBuildVersionArn: string): Promise<ImagePackage[]> {
  const packages: ImagePackage[] = [];
  for await (const page of paginateListImagePackages({ client: imageBuilder }, { imageBuildVersionArn })) packages.push(...(page.imagePackageList ?? []));
  return packages;
}

describe('Image Builder stand-in: the real SDK parses its answers', () => {
  it('StartImagePipelineExecution then GetImage: an AVAILABLE image with its AMI in outputResources', async () => {
    const start = await imageBuilder.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: LOCAL_PIPELINE_ARN, clientToken: 'protocol-1' }));
    expect(start.clientToken).toBe('protocol-1');
    expect(start.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(start.imageBuildVersionArn).toMatch(new RegExp(`^arn:aws:imagebuilder:us-east-1:${LOCAL_ACCOUNT_ID}:image/patch-dev-app/1\\.0\\.0/\\d+$`));

    const { image } = await imageBuilder.send(new GetImageCommand({ imageBuildVersionArn: start.imageBuildVersionArn }));
    expect(image).toMatchObject({
      arn: start.imageBuildVersionArn,
      type: 'AMI',
      state: { status: 'AVAILABLE' },
      sourcePipelineArn: LOCAL_PIPELINE_ARN,
      imageRecipe: { parentImage: expect.stringMatching(/^ami-/) },
      scanState: { status: 'COMPLETED' },
    });
    expect(image?.version).toMatch(/^1\.0\.0\/\d+$/);
    expect(Number.isNaN(Date.parse(image?.dateCreated ?? ''))).toBe(false);
    expect(image?.outputResources?.amis).toEqual([
      expect.objectContaining({ region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID, image: expect.stringMatching(/^ami-[0-9a-f]+$/) }),
    ]);
  });

  it('mints a real AMI in moto, tagged as Image Builder and the distribution configuration tag it, named with the build date', async () => {
    const arn = await buildImage();
    const { image } = await imageBuilder.send(new GetImageCommand({ imageBuildVersionArn: arn }));
    const amiId = image?.outputResources?.amis?.[0]?.image as string;
    const { ec2 } = localClients();

    const { Images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }));
    expect(Images).toHaveLength(1);
    const [ami] = Images;
    expect(ami.State).toBe('available');
    expect(ami.OwnerId).toBe(LOCAL_ACCOUNT_ID);
    expect(ami.Name).toMatch(/^patch-dev-app-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z$/);
    expect(Object.fromEntries((ami.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual({
      Ec2ImageBuilderArn: arn,
      CreatedBy: 'EC2 Image Builder',
      PatchPipeline: 'patch-dev-app',
      ManagedBy: 'ami-patch-gitops',
    });

    // build-ami finds an AMI's image this way.
    const byTag = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:Ec2ImageBuilderArn', Values: [arn] }] }));
    expect(byTag.Images?.map((i) => i.ImageId)).toEqual([amiId]);
    // The build instance is gone, as Image Builder leaves it.
    const instances = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Ec2ImageBuilderArn', Values: [arn] }] }));
    expect(instances.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.State?.Name)).toEqual(['terminated']);
  });

  it('is idempotent on the client token: the same token returns the same image and starts no second build', async () => {
    const first = await imageBuilder.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: LOCAL_PIPELINE_ARN, clientToken: 'gh-4242-1-0123abcd' }));
    const builds = (await standin.state()).builds.length;
    const again = await imageBuilder.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: LOCAL_PIPELINE_ARN, clientToken: 'gh-4242-1-0123abcd' }));
    expect(again.imageBuildVersionArn).toBe(first.imageBuildVersionArn);
    expect((await standin.state()).builds).toHaveLength(builds);

    await expect(
      imageBuilder.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: OTHER_PIPELINE_ARN, clientToken: 'gh-4242-1-0123abcd' })),
    ).rejects.toBeInstanceOf(IdempotentParameterMismatchException);
  });

  it('pages ListImagePackages 25 at a time through the SDK paginator, and each build upgrades some packages and adds one', async () => {
    const older = await buildImage();
    const newer = await buildImage();
    const firstPage = await imageBuilder.send(new ListImagePackagesCommand({ imageBuildVersionArn: older }));
    expect(firstPage.imagePackageList).toHaveLength(25);
    expect(firstPage.nextToken).toBeTruthy();

    const before = new Map((await allPackages(older)).map((p) => [p.packageName, p.packageVersion]));
    const after = new Map((await allPackages(newer)).map((p) => [p.packageName, p.packageVersion]));
    expect(before.size).toBeGreaterThan(25);
    expect([...after.keys()].filter((name) => !before.has(name))).toHaveLength(1);
    expect([...before.keys()].filter((name) => after.get(name) !== before.get(name)).length).toBeGreaterThan(0);
  });

  it('reports scan findings from fixtures per image: a CVE fixed by the next build is gone from it, with the fixed version named', async () => {
    await standin.reset();
    await standin.configure({ buildSeconds: 0 });
    await standin.registerPipeline(LOCAL_PIPELINE_ARN);
    const build1 = await buildImage();
    const build2 = await buildImage();
    const findingsOf = async (arn: string) => {
      const found = [];
      for await (const page of paginateListImageScanFindings({ client: imageBuilder }, { filters: [{ name: 'imageBuildVersionArn', values: [arn] }] })) {
        found.push(...(page.findings ?? []));
      }
      return found;
    };
    const [first, second] = [await findingsOf(build1), await findingsOf(build2)];
    const curl1 = first.find((f) => f.packageVulnerabilityDetails?.vulnerabilityId === 'CVE-2023-38545');
    expect(curl1).toMatchObject({ severity: 'CRITICAL', imageBuildVersionArn: build1, imagePipelineArn: LOCAL_PIPELINE_ARN, fixAvailable: 'YES' });
    expect(curl1?.firstObservedAt).toBeInstanceOf(Date);
    expect(second.some((f) => f.packageVulnerabilityDetails?.vulnerabilityId === 'CVE-2023-38545')).toBe(false);
    expect(second.length).toBeGreaterThan(0);

    const curl2 = (await allPackages(build2)).find((p) => p.packageName === 'libcurl-minimal');
    expect(curl1?.packageVulnerabilityDetails?.vulnerablePackages?.[0]?.fixedInVersion).toBe(`0:${curl2?.packageVersion}`);

    const critical = await imageBuilder.send(new ListImageScanFindingsCommand({ filters: [{ name: 'severity', values: ['CRITICAL'] }] }));
    expect(critical.findings?.map((f) => f.imageBuildVersionArn)).toEqual([build1]);
  });

  it('answers GetImagePipeline and ListImagePipelineImages', async () => {
    const arn = await buildImage();
    const { imagePipeline } = await imageBuilder.send(new GetImagePipelineCommand({ imagePipelineArn: LOCAL_PIPELINE_ARN }));
    expect(imagePipeline).toMatchObject({ arn: LOCAL_PIPELINE_ARN, name: 'patch-dev-app', status: 'ENABLED', lastRunStatus: 'AVAILABLE' });
    const { imageSummaryList = [] } = await imageBuilder.send(new ListImagePipelineImagesCommand({ imagePipelineArn: LOCAL_PIPELINE_ARN }));
    expect(imageSummaryList.map((i) => i.arn)).toContain(arn);
    expect(imageSummaryList.find((i) => i.arn === arn)?.outputResources?.amis?.[0]?.image).toMatch(/^ami-/);
  });
});

describe('Image Builder stand-in: errors in the real shape', () => {
  const missingImage = `arn:aws:imagebuilder:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:image/patch-dev-app/1.0.0/999`;

  it.each([
    { call: 'GetImage of an unknown image', command: () => new GetImageCommand({ imageBuildVersionArn: missingImage }), error: ResourceNotFoundException, status: 404 },
    { call: 'GetImage of a malformed ARN', command: () => new GetImageCommand({ imageBuildVersionArn: 'ami-0123' }), error: InvalidParameterValueException, status: 400 },
    {
      call: 'StartImagePipelineExecution of an unregistered pipeline',
      command: () => new StartImagePipelineExecutionCommand({ imagePipelineArn: `arn:aws:imagebuilder:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:image-pipeline/nope` }),
      error: ResourceNotFoundException,
      status: 404,
    },
    {
      call: 'StartImagePipelineExecution with a 65-character client token',
      command: () => new StartImagePipelineExecutionCommand({ imagePipelineArn: LOCAL_PIPELINE_ARN, clientToken: 'x'.repeat(65) }),
      error: InvalidParameterValueException,
      status: 400,
    },
    { call: 'ListImagePackages without an ARN', command: () => new ListImagePackagesCommand({ imageBuildVersionArn: undefined }), error: InvalidRequestException, status: 400 },
  ])('$call → $error.name (HTTP $status)', async ({ command, error: errorClass, status }) => {
    const error = await imageBuilder.send(command() as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errorClass);
    expect((error as ImagebuilderServiceException).$metadata.httpStatusCode).toBe(status);
    expect((error as Error).message).not.toBe('');
  });

  it('rejects maxResults above 25 and a foreign nextToken, as Image Builder does', async () => {
    const arn = await buildImage();
    await expect(imageBuilder.send(new ListImagePackagesCommand({ imageBuildVersionArn: arn, maxResults: 26 }))).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(imageBuilder.send(new ListImagePackagesCommand({ imageBuildVersionArn: arn, nextToken: 'bm90LWEtdG9rZW4' }))).rejects.toBeInstanceOf(
      InvalidPaginationTokenException,
    );
    await expect(imageBuilder.send(new ListImageScanFindingsCommand({ filters: [{ name: 'packageName', values: ['bash'] }] }))).rejects.toBeInstanceOf(
      InvalidParameterValueException,
    );
  });

  it('refuses to cancel an image that is already AVAILABLE', async () => {
    const arn = await buildImage();
    await expect(imageBuilder.send(new CancelImageCreationCommand({ imageBuildVersionArn: arn, clientToken: 'cancel-1' }))).rejects.toBeInstanceOf(ResourceInUseException);
  });

  it('says plainly when an operation is not implemented by the stand-in', async () => {
    const error = (await imageBuilder.send(new ListImagesCommand({})).catch((e: unknown) => e)) as ImagebuilderServiceException;
    expect(error).toBeInstanceOf(ImagebuilderServiceException);
    expect(error.name).toBe('UnknownOperationException');
    expect(error.message).toMatch(/STAND-IN: POST \/ListImages is not an Image Builder operation the stand-in implements/);
  });

  it('injects throttling: CallRateLimitExceededException (429), which the lib counts as throttling', async () => {
    const noRetries = new ImagebuilderClient({ region: LOCAL_REGION, endpoint: localEndpoints().imageBuilder, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 1 });
    await standin.configure({ throttle: { count: 1 } });
    const error = await noRetries.send(new GetImageCommand({ imageBuildVersionArn: missingImage })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallRateLimitExceededException);
    expect((error as CallRateLimitExceededException).$metadata.httpStatusCode).toBe(429);
    expect(isThrottlingError(error)).toBe(true);
  });

  it('a short throttling burst is absorbed by the retries of the clients the actions build', async () => {
    await standin.configure({ throttle: { count: 2, operations: ['StartImagePipelineExecution'] } });
    const start = await imageBuilder.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: LOCAL_PIPELINE_ARN }));
    expect(start.$metadata.attempts).toBe(3);
    expect(start.imageBuildVersionArn).toBeTruthy();
  });
});
