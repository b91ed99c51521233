import 'aws-sdk-client-mock-jest';

import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  GetImageCommand,
  ImagebuilderClient,
  ListImagePackagesCommand,
  ListImageScanFindingsCommand,
  StartImagePipelineExecutionCommand,
} from '@aws-sdk/client-imagebuilder';
import { mockClient } from 'aws-sdk-client-mock';

import { AwsOperationError, PollTimeoutError } from '../../../../actions/lib/errors';
import { buildAmi, type BuildAmiInputs } from '../../../../actions/lib/image-builder/build-ami';
import { deriveClientToken } from '../../../../actions/lib/image-builder/client-token';
import { buildAmiOutputs, renderBuildSummary, renderFailureSummary } from '../../../../actions/lib/image-builder/summary';
import { leadOf } from '../../../support/summary-lead';
import { describeCatalogueRows } from '../../reliability/support/catalogue-suite';
import { AMI_ID, awsError, IMAGE_ARN, image, OLD_AMI_ID, OLD_IMAGE_ARN, PIPELINE_ARN, REGION, testDeps, givenOutputAmiExists } from './fixtures';

const ib = mockClient(ImagebuilderClient);
const ec2 = mockClient(EC2Client);
beforeEach(() => {
  ib.reset();
  ec2.reset();
  givenOutputAmiExists(ec2);
});

const RUN = { kind: 'workflow-run' as const, runId: '4242', runAttempt: 1 };
const fromPipeline = (overrides: Partial<BuildAmiInputs> = {}): BuildAmiInputs => ({
  source: { kind: 'pipeline', pipelineArn: PIPELINE_ARN, token: RUN },
  region: REGION,
  timeoutMinutes: 90,
  failOnSeverity: 'none',
  ...overrides,
});

describe('buildAmi', () => {
  it.each([
    ['has no such AMI', { Images: [] }, /but EC2 there has no such AMI \(deregistered since, or never created\)\. Do not deploy it/],
    ['is pending', { Images: [{ ImageId: AMI_ID, State: 'pending' as const }] }, /but EC2 there says the AMI is pending\. Do not deploy it/],
  ])('refuses an AVAILABLE image whose AMI EC2 %s, before reporting success', async (_what, answer, message) => {
    ib.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN, clientToken: 'x' });
    ib.on(GetImageCommand).resolves({ image: image('AVAILABLE') });
    ec2.on(DescribeImagesCommand, { ImageIds: [AMI_ID] }).resolves(answer);
    const error = await buildAmi(fromPipeline(), testDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as Error).message).toMatch(new RegExp(`^The AMI of ${IMAGE_ARN.replace(/[/.]/g, '\\$&')} is not usable: Image Builder reports the image AVAILABLE with ${AMI_ID} in us-east-1`));
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    ['the default (self: the account in the image ARN)', undefined, /not on the AMI owner allowlist \(self \(123456789012\); the default: no ami-owners input\)/],
    ['an allowlist without that account', ['self', '137112412989'], /not on the AMI owner allowlist \(self \(123456789012\), 137112412989; the ami-owners input\)/],
  ])('refuses an output AMI of another account under %s, naming the AMI, the owner and where to change the list', async (_what, amiOwners, allowlist) => {
    ib.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN, clientToken: 'x' });
    ib.on(GetImageCommand).resolves({ image: image('AVAILABLE') });
    ec2.on(DescribeImagesCommand, { ImageIds: [AMI_ID] }).resolves({ Images: [{ ImageId: AMI_ID, OwnerId: '210987654321', State: 'available' }] });
    const error = await buildAmi(fromPipeline({ amiOwners }), testDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error).toMatchObject({ status: 'AMI_OWNER_NOT_ALLOWED' });
    const message = (error as Error).message;
    expect(message).toContain(`The AMI of ${IMAGE_ARN} is not proposed: AMI ${AMI_ID} in us-east-1 is owned by account 210987654321`);
    expect(message).toMatch(allowlist);
    expect(message).toContain(`add "210987654321" to the environment's amiOwners in parameters/environments.json (the workflows pass it as the ami-owners input). No pull request is opened for it.`);
  });

  it('hands on an output AMI of an account the allowlist names', async () => {
    ib.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN, clientToken: 'x' });
    ib.on(GetImageCommand).resolves({ image: image('AVAILABLE') });
    ec2.on(DescribeImagesCommand, { ImageIds: [AMI_ID] }).resolves({ Images: [{ ImageId: AMI_ID, OwnerId: '210987654321', State: 'available' }] });
    await expect(buildAmi(fromPipeline({ amiOwners: ['self', '210987654321'] }), testDeps())).resolves.toMatchObject({ amiId: AMI_ID });
  });

  describe('with a central image pipeline account (the wiring\'s imagePipelineAccount)', () => {
    // The pipeline runs in ACCOUNT (123456789012) and distributes the AMI into the environment's
    // own account, 210987654321: `self` is the environment's account, as in every deploy.
    const ENVIRONMENT = '210987654321';
    const copy = (owner: string) => {
      ib.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN, clientToken: 'x' });
      ib.on(GetImageCommand).resolves({ image: image('AVAILABLE', { outputResources: { amis: [{ region: REGION, image: AMI_ID, accountId: ENVIRONMENT }] } }) });
      ec2.on(DescribeImagesCommand, { ImageIds: [AMI_ID] }).resolves({ Images: [{ ImageId: AMI_ID, OwnerId: owner, State: 'available' }] });
    };

    it("hands on the distribution copy owned by the environment's own account: self is the account Image Builder distributed it to", async () => {
      copy(ENVIRONMENT);
      const deps = testDeps();
      await expect(buildAmi(fromPipeline({ amiOwners: ['self', '123456789012'], imagePipelineAccount: '123456789012' }), deps)).resolves.toMatchObject({ amiId: AMI_ID });
      expect(deps.logger.text()).toContain(`self is ${ENVIRONMENT}, the account Image Builder distributed ${AMI_ID} to: the image pipeline runs in the central account 123456789012 (imagePipelineAccount)`);
    });

    it('still refuses the copy without imagePipelineAccount: self is then the account the image was built in', async () => {
      copy(ENVIRONMENT);
      const error = await buildAmi(fromPipeline({ amiOwners: ['self', '137112412989'] }), testDeps()).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 'AMI_OWNER_NOT_ALLOWED' });
      expect((error as Error).message).toContain(`is owned by account ${ENVIRONMENT}, which is not on the AMI owner allowlist (self (123456789012), 137112412989; the ami-owners input)`);
    });

    it('refuses an image built in another account than the wiring names: self is then unknown', async () => {
      copy(ENVIRONMENT);
      const error = await buildAmi(fromPipeline({ amiOwners: ['self'], imagePipelineAccount: '333333333333' }), testDeps()).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 'AMI_OWNER_NOT_ALLOWED' });
      expect((error as Error).message).toContain('which is not on the AMI owner allowlist (self (account unknown); the ami-owners input)');
    });

    describeCatalogueRows('a central pipeline account (catalogue row)', 'build-ami.test.ts', {
      async F70() {
        // Image Builder says it distributed the AMI into the environment's account; EC2 says a third account owns it.
        copy('444455556666');
        const error = await buildAmi(fromPipeline({ amiOwners: ['self', '123456789012'], imagePipelineAccount: '123456789012' }), testDeps()).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AwsOperationError);
        expect(error).toMatchObject({ status: 'AMI_OWNER_NOT_ALLOWED' });
        expect((error as Error).message).toContain(
          `The AMI of ${IMAGE_ARN} is not proposed: AMI ${AMI_ID} in us-east-1 is owned by account 444455556666, which is not on the AMI owner allowlist (self (${ENVIRONMENT}), 123456789012; the ami-owners input)`,
        );
      },
    });
  });

  it('starts with the run token, waits, and returns the AMI, duration and unscanned findings', async () => {
    const deps = testDeps();
    const seen: string[] = [];
    ib.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
    ib.on(GetImageCommand).resolvesOnce({ image: image('BUILDING') }).resolves({ image: image('AVAILABLE') });

    const result = await buildAmi(fromPipeline({ onImageArn: (arn) => seen.push(arn) }), deps);

    expect(ib).toHaveReceivedCommandWith(StartImagePipelineExecutionCommand, { imagePipelineArn: PIPELINE_ARN, clientToken: deriveClientToken('4242', 1, PIPELINE_ARN) });
    expect(seen).toEqual([IMAGE_ARN]);
    expect(result).toMatchObject({ imageArn: IMAGE_ARN, amiId: AMI_ID, status: 'AVAILABLE', pipelineArn: PIPELINE_ARN, region: REGION });
    expect(result.clientToken).toBe(deriveClientToken('4242', 1, PIPELINE_ARN));
    // fixtures: created 30 min before the clock's start, plus the 1 s poll.
    expect(result.buildDurationMs).toBe(30 * 60_000 + 1_000);
    expect(result.waitedMs).toBe(1_000);
    expect(result.packageDiff).toBeUndefined();
    expect(result.findings.report.scanned).toBe(false);
    expect(deps.logger.entries.filter((e) => e.level === 'group').map((e) => e.message)).toEqual([
      'Start the image pipeline',
      `Wait for image ${IMAGE_ARN}`,
      'Scan findings',
    ]);
  });

  it('resumes on image-arn without starting anything, and reads the pipeline from the image', async () => {
    ib.on(GetImageCommand).resolves({ image: image('AVAILABLE') });

    const result = await buildAmi(fromPipeline({ source: { kind: 'image', imageArn: IMAGE_ARN } }), testDeps());

    expect(ib).not.toHaveReceivedCommand(StartImagePipelineExecutionCommand);
    expect(result).toMatchObject({ imageArn: IMAGE_ARN, amiId: AMI_ID, pipelineArn: PIPELINE_ARN, clientToken: undefined });
  });

  it('adds the package diff when previous-ami-id is given', async () => {
    ib.on(GetImageCommand).resolves({ image: image('AVAILABLE') });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: OLD_AMI_ID, Tags: [{ Key: 'Ec2ImageBuilderArn', Value: OLD_IMAGE_ARN }] }] });
    givenOutputAmiExists(ec2);
    ib.on(ListImagePackagesCommand, { imageBuildVersionArn: OLD_IMAGE_ARN }).resolves({ imagePackageList: [{ packageName: 'openssl', packageVersion: '1' }] });
    ib.on(ListImagePackagesCommand, { imageBuildVersionArn: IMAGE_ARN }).resolves({ imagePackageList: [{ packageName: 'openssl', packageVersion: '2' }] });

    const result = await buildAmi(fromPipeline({ source: { kind: 'image', imageArn: IMAGE_ARN }, previousAmiId: OLD_AMI_ID }), testDeps());

    expect(result.packageDiff?.kind).toBe('diff');
    expect(buildAmiOutputs(result)['package-diff-markdown']).toContain('| openssl | changed | 1 | 2 |');
  });

  it('hands the image ARN on before a wait that times out, and the timeout names it', async () => {
    const seen: string[] = [];
    ib.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
    ib.on(GetImageCommand).resolves({ image: image('TESTING') });

    const error = await buildAmi(fromPipeline({ timeoutMinutes: 5, onImageArn: (arn) => seen.push(arn) }), testDeps()).catch((e) => e);

    expect(seen).toEqual([IMAGE_ARN]);
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect(error.message).toContain('after 5 min (last state: TESTING)');
    expect(error.message).toContain(`image-arn: ${IMAGE_ARN}`);
  });

  it('tells a failed run-token build to re-run, and a failed resumed build to start anew', async () => {
    ib.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
    ib.on(GetImageCommand).resolves({ image: image('FAILED', { state: { status: 'FAILED', reason: 'boom' } }) });

    const started = await buildAmi(fromPipeline(), testDeps()).catch((e) => e);
    const resumed = await buildAmi(fromPipeline({ source: { kind: 'image', imageArn: IMAGE_ARN } }), testDeps()).catch((e) => e);
    const explicit = await buildAmi(fromPipeline({ source: { kind: 'pipeline', pipelineArn: PIPELINE_ARN, token: { kind: 'explicit', token: 'x' } } }), testDeps()).catch((e) => e);

    expect(started.message).toMatch(/boom\. .*re-run the workflow: a re-run starts one new build/);
    expect(resumed.message).toMatch(/start a new build with pipeline-arn\.$/);
    expect(explicit.message).toMatch(/with a new client-token\.$/);
  });

  it('fails clearly when the image has no AMI in the region', async () => {
    ib.on(GetImageCommand).resolves({ image: image('AVAILABLE') });
    const error = await buildAmi(fromPipeline({ source: { kind: 'image', imageArn: IMAGE_ARN }, region: 'eu-west-1' }), testDeps()).catch((e) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error.status).toBe('NO_AMI_IN_REGION');
  });

  it('says how to get the outputs when credentials expire after the image is AVAILABLE', async () => {
    ib.on(GetImageCommand).resolves({ image: image('AVAILABLE') });
    ec2.on(DescribeImagesCommand).rejects(awsError('ExpiredToken', 'token expired'));

    const error = await buildAmi(fromPipeline({ source: { kind: 'image', imageArn: IMAGE_ARN }, previousAmiId: OLD_AMI_ID }), testDeps()).catch((e) => e);

    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error.status).toBe('CREDENTIALS_EXPIRED');
    expect(error.message).toContain(`image-arn: ${IMAGE_ARN}\`: it returns at once`);
  });

  it('warns that a severity gate checked nothing when the image was not scanned', async () => {
    const deps = testDeps();
    ib.on(GetImageCommand).resolves({ image: image('AVAILABLE') });
    await buildAmi(fromPipeline({ source: { kind: 'image', imageArn: IMAGE_ARN }, failOnSeverity: 'high' }), deps);
    expect(deps.logger.entries.filter((e) => e.level === 'warning').map((e) => e.message)).toEqual([
      'fail-on-severity: high checked nothing: image scanning is not enabled on this pipeline. Enable image scanning on the pipeline for the gate to work.',
    ]);
    expect(ib).not.toHaveReceivedCommand(ListImageScanFindingsCommand);
  });
});

describe('summaries and outputs', () => {
  it('renders one summary: heading, key/value table, package diff, findings', async () => {
    ib.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
    ib.on(GetImageCommand).resolves({
      image: image('AVAILABLE', { imageScanningConfiguration: { imageScanningEnabled: true }, scanState: { status: 'COMPLETED' } }),
    });
    ib.on(ListImageScanFindingsCommand).resolves({ findings: [{ severity: 'HIGH' }, { severity: 'LOW' }] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: OLD_AMI_ID, Tags: [] }] });
    givenOutputAmiExists(ec2);

    const result = await buildAmi(fromPipeline({ previousAmiId: OLD_AMI_ID, failOnSeverity: 'critical' }), testDeps());
    const summary = renderBuildSummary(result);

    expect(summary).toMatch(
      new RegExp(`^## build-ami: the AMI is AVAILABLE\\n\\nBuilt \`${AMI_ID}\` in us-east-1 to replace \`${OLD_AMI_ID}\`; severity gate: ✅ no finding at or above CRITICAL: gate passed\\.\\n\\n\\| Field \\| Value \\|\\n\\|---\\|---\\|\\n\\| State \\| AVAILABLE \\|`),
    );
    expect(summary).toMatch(/<details><summary>Run details<\/summary>\n\n\| Field \| Value \|\n\|---\|---\|\n\| Pipeline \|[^\n]*\n\| Waited \|[^\n]*\n\| Client token \|/);
    expect(summary).toContain(`| AMI (us-east-1) | \`${AMI_ID}\` |`);
    expect(summary).toContain(`| Pipeline | \`${PIPELINE_ARN}\` |`);
    expect(summary).toContain('| Build duration | 30 min 0 s |');
    expect(summary).toContain(`### Package changes\n\n**Packages:** no diff from ${OLD_AMI_ID}: the AMI ${OLD_AMI_ID} has no Ec2ImageBuilderArn tag`);
    expect(summary).toContain('### Scan findings\n\n**Scan findings: 2** (gate passed: none at or above CRITICAL)');

    expect(buildAmiOutputs(result)).toEqual({
      'ami-id': AMI_ID,
      'image-arn': IMAGE_ARN,
      'package-diff-markdown': expect.stringContaining('no diff from'),
      'findings-json': JSON.stringify({
        counts: { CRITICAL: 0, HIGH: 1, MEDIUM: 0, LOW: 1, INFORMATIONAL: 0, UNTRIAGED: 0 },
        total: 2,
        scanned: true,
        notable: [{ severity: 'HIGH', vulnerabilityId: '?', packages: '', fixedIn: 'no fix yet' }],
        gate: { threshold: 'critical', passed: true, text: 'no finding at or above CRITICAL: gate passed' },
        delta: { previousAmiId: OLD_AMI_ID, reason: `the AMI ${OLD_AMI_ID} has no Ec2ImageBuilderArn tag, so it was not built by Image Builder (or its tags were not copied)` },
      }),
      'findings-delta-markdown': expect.stringContaining(`**CVE delta:** none from \`${OLD_AMI_ID}\`: the AMI \`${OLD_AMI_ID}\` has no Ec2ImageBuilderArn tag`),
    });
    // The previous AMI is looked up once, for both the package diff and the CVE delta (the other call checks the new AMI exists).
    expect(ec2).toHaveReceivedCommandWith(DescribeImagesCommand, { ImageIds: [OLD_AMI_ID] });
    expect(ec2.commandCalls(DescribeImagesCommand).filter((c) => c.args[0].input.ImageIds?.includes(OLD_AMI_ID))).toHaveLength(1);
  });

  it('renders a failure summary with the state and the message', () => {
    const error = new AwsOperationError('Image build FAILED for x: boom. Look at: s3://b. Fix it.', IMAGE_ARN, 'FAILED');
    const summary = renderFailureSummary({ pipelineArn: PIPELINE_ARN, imageArn: IMAGE_ARN, region: REGION }, error);
    expect(leadOf(summary)).toEqual({ heading: 'build-ami failed: no AMI', lead: '**No AMI: the image build ended FAILED, so there is nothing to deploy.** Image build FAILED for x: boom.' });
    expect(summary).toContain('| State | FAILED |');
    expect(summary).toContain(`| Image | \`${IMAGE_ARN}\` |`);
    expect(summary).toContain('> Image build FAILED for x: boom.');
    const timeout = renderFailureSummary({}, new PollTimeoutError('slow', { status: 'BUILDING' }, 1));
    expect(timeout).toContain('| State | timed out (last state BUILDING) |');
    expect(leadOf(timeout).lead).toBe('**No AMI: build-ami timed out (last state BUILDING) waiting for the build, so there is nothing to deploy.** slow');
    expect(leadOf(renderFailureSummary({}, new Error('Input x invalid.'))).lead).toBe('**No AMI: build-ami failed, so there is nothing to deploy.** Input x invalid.');
  });

  it("shows the failed image's ARN and any AMI ID in the message as code spans, as in the table", () => {
    const error = new AwsOperationError(`Image build FAILED for ${IMAGE_ARN}: ${OLD_AMI_ID} is gone. Fix it.`, IMAGE_ARN, 'FAILED');
    const summary = renderFailureSummary({ pipelineArn: PIPELINE_ARN, imageArn: IMAGE_ARN, region: REGION }, error);
    expect(leadOf(summary).lead).toBe(`**No AMI: the image build ended FAILED, so there is nothing to deploy.** Image build FAILED for \`${IMAGE_ARN}\`: \`${OLD_AMI_ID}\` is gone.`);
    expect(summary).toContain(`> Image build FAILED for \`${IMAGE_ARN}\`: \`${OLD_AMI_ID}\` is gone. Fix it.`);
  });
});
