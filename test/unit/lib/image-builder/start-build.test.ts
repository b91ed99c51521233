import 'aws-sdk-client-mock-jest';

import { GetImageCommand, ImagebuilderClient, StartImagePipelineExecutionCommand } from '@aws-sdk/client-imagebuilder';
import { mockClient } from 'aws-sdk-client-mock';

import { AwsOperationError } from '../../../../actions/lib/errors';
import { deriveClientToken } from '../../../../actions/lib/image-builder/client-token';
import { startOrResumeBuild } from '../../../../actions/lib/image-builder/start-build';
import { awsError, IMAGE_ARN, image, PIPELINE_ARN, testDeps } from './fixtures';

const ib = mockClient(ImagebuilderClient);
beforeEach(() => ib.reset());

const RUN_ID = '9876543210';
const arnOfBuild = (n: number) => IMAGE_ARN.replace(/\/\d+$/, `/${n}`);

/**
 * A fake Image Builder that honours client tokens like the real one: the first call with a token
 * starts a build, every later call with it returns that build.
 */
function idempotentImageBuilder(statusOfBuild: (n: number) => string) {
  const byToken = new Map<string, string>();
  ib.on(StartImagePipelineExecutionCommand).callsFake(async ({ clientToken }) => {
    if (!byToken.has(clientToken)) byToken.set(clientToken, arnOfBuild(byToken.size + 1));
    return { imageBuildVersionArn: byToken.get(clientToken), clientToken };
  });
  ib.on(GetImageCommand).callsFake(async ({ imageBuildVersionArn }) => {
    const n = Number(imageBuildVersionArn.split('/').pop());
    return { image: image(statusOfBuild(n), { arn: imageBuildVersionArn }) };
  });
  return { buildsStarted: () => byToken.size };
}

describe('startOrResumeBuild', () => {
  it('starts the pipeline with the token derived from the run (attempt 1)', async () => {
    const deps = testDeps();
    ib.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });

    const started = await startOrResumeBuild({ pipelineArn: PIPELINE_ARN, token: { kind: 'workflow-run', runId: RUN_ID, runAttempt: 1 } }, deps);

    const token = deriveClientToken(RUN_ID, 1, PIPELINE_ARN);
    expect(started).toEqual({ imageArn: IMAGE_ARN, clientToken: token });
    expect(ib).toHaveReceivedCommandTimes(StartImagePipelineExecutionCommand, 1);
    expect(ib).toHaveReceivedCommandWith(StartImagePipelineExecutionCommand, { imagePipelineArn: PIPELINE_ARN, clientToken: token });
    expect(ib).not.toHaveReceivedCommand(GetImageCommand);
  });

  it('passes an explicit client-token through unchanged, with no walk over attempts', async () => {
    const deps = testDeps();
    ib.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });

    await startOrResumeBuild({ pipelineArn: PIPELINE_ARN, token: { kind: 'explicit', token: 'nightly-2026-01-01' } }, deps);

    expect(ib).toHaveReceivedCommandTimes(StartImagePipelineExecutionCommand, 1);
    expect(ib).toHaveReceivedCommandWith(StartImagePipelineExecutionCommand, { clientToken: 'nightly-2026-01-01' });
  });

  it.each([
    ['BUILDING', 1],
    ['AVAILABLE', 1],
  ])('a re-run (attempt 3) reuses the first attempt build when it is %s: no second build', async (status, builds) => {
    const deps = testDeps();
    const fake = idempotentImageBuilder(() => status);
    // Attempt 1 ran and started build 1.
    await startOrResumeBuild({ pipelineArn: PIPELINE_ARN, token: { kind: 'workflow-run', runId: RUN_ID, runAttempt: 1 } }, testDeps());

    const started = await startOrResumeBuild({ pipelineArn: PIPELINE_ARN, token: { kind: 'workflow-run', runId: RUN_ID, runAttempt: 3 } }, deps);

    expect(started.imageArn).toBe(arnOfBuild(1));
    expect(fake.buildsStarted()).toBe(builds);
    expect(deps.logger.text()).toContain('reusing the build started in an earlier attempt');
  });

  it.each(['FAILED', 'CANCELLED', 'DELETED'])('a re-run after a %s build starts exactly one new build', async (status) => {
    const deps = testDeps();
    const fake = idempotentImageBuilder((n) => (n === 1 ? status : 'BUILDING'));
    await startOrResumeBuild({ pipelineArn: PIPELINE_ARN, token: { kind: 'workflow-run', runId: RUN_ID, runAttempt: 1 } }, testDeps());

    const second = await startOrResumeBuild({ pipelineArn: PIPELINE_ARN, token: { kind: 'workflow-run', runId: RUN_ID, runAttempt: 2 } }, deps);
    // A third attempt (say the deploy failed later) reuses build 2.
    const third = await startOrResumeBuild({ pipelineArn: PIPELINE_ARN, token: { kind: 'workflow-run', runId: RUN_ID, runAttempt: 3 } }, testDeps());

    expect(second.imageArn).toBe(arnOfBuild(2));
    expect(second.clientToken).toBe(deriveClientToken(RUN_ID, 2, PIPELINE_ARN));
    expect(third.imageArn).toBe(arnOfBuild(2));
    expect(fake.buildsStarted()).toBe(2);
    expect(deps.logger.text()).toContain(`an earlier attempt's build ended ${status}`);
  });

  it('treats an earlier build that no longer exists as gone and starts the next slot', async () => {
    const deps = testDeps();
    ib.on(StartImagePipelineExecutionCommand).callsFake(async ({ clientToken }) => ({
      imageBuildVersionArn: clientToken === deriveClientToken(RUN_ID, 1, PIPELINE_ARN) ? arnOfBuild(1) : arnOfBuild(2),
    }));
    ib.on(GetImageCommand).rejects(awsError('ResourceNotFoundException'));

    const started = await startOrResumeBuild({ pipelineArn: PIPELINE_ARN, token: { kind: 'workflow-run', runId: RUN_ID, runAttempt: 2 } }, deps);

    expect(started.imageArn).toBe(arnOfBuild(2));
  });

  it.each([
    ['CallRateLimitExceededException', 429, 'THROTTLED', /stayed throttled.*never a second one/],
    ['ServiceException', 500, 'UNAVAILABLE', /could not be reached or failed.*Re-run the job/],
    ['ExpiredTokenException', 403, 'CREDENTIALS_EXPIRED', /credentials are expired/],
    ['IdempotentParameterMismatchException', 400, 'IDEMPOTENCY_MISMATCH', /client token .* was already used.*Use a new client-token/],
    ['ResourceNotFoundException', 404, 'NOT_FOUND', /pipeline does not exist.*ImagePipelineArn/],
    ['ForbiddenException', 403, 'ACCESS_DENIED', /Allow imagebuilder:StartImagePipelineExecution/],
    ['InvalidRequestException', 400, 'REFUSED', /Image Builder refused it.*DISABLED/],
  ])('explains a refused start (%s)', async (name, httpStatus, status, message) => {
    const deps = testDeps();
    ib.on(StartImagePipelineExecutionCommand).rejects(awsError(name, `${name} happened`, httpStatus));

    const error = await startOrResumeBuild({ pipelineArn: PIPELINE_ARN, token: { kind: 'workflow-run', runId: RUN_ID, runAttempt: 1 } }, deps).catch((e) => e);

    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error.status).toBe(status);
    expect(error.resource).toBe(PIPELINE_ARN);
    expect(error.message).toMatch(new RegExp(`^Starting a build failed for ${PIPELINE_ARN}: `));
    expect(error.message).toContain(`${name} happened`);
    expect(error.message).toMatch(message);
  });

  it('fails clearly when Image Builder returns no image ARN', async () => {
    ib.on(StartImagePipelineExecutionCommand).resolves({});
    await expect(
      startOrResumeBuild({ pipelineArn: PIPELINE_ARN, token: { kind: 'explicit', token: 't' } }, testDeps()),
    ).rejects.toThrow(/returned no image build version ARN/);
  });
});

describe('deriveClientToken', () => {
  it('is stable for a run, distinct per slot and per pipeline, and fits Image Builder', () => {
    const other = PIPELINE_ARN.replace('patch-dev-app', 'patch-prod-app');
    const token = deriveClientToken(RUN_ID, 1, PIPELINE_ARN);
    expect(token).toMatch(new RegExp(`^gh-${RUN_ID}-1-[0-9a-f]{8}$`));
    expect(deriveClientToken(RUN_ID, 1, PIPELINE_ARN)).toBe(token);
    expect(deriveClientToken(RUN_ID, 2, PIPELINE_ARN)).not.toBe(token);
    expect(deriveClientToken(RUN_ID, 1, other)).not.toBe(token);
  });

  it('stays readable for the largest GitHub run id (int64) and hashes anything longer', () => {
    expect(deriveClientToken('9223372036854775807', 99, PIPELINE_ARN)).toMatch(/^gh-9223372036854775807-99-[0-9a-f]{8}$/);
    const token = deriveClientToken('1'.repeat(30), 1, PIPELINE_ARN);
    expect(token).toMatch(/^gh-[0-9a-f]{33}$/);
    expect(deriveClientToken('1'.repeat(30), 2, PIPELINE_ARN)).not.toBe(token);
  });
});
