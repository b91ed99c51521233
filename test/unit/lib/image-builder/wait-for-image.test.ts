import 'aws-sdk-client-mock-jest';

import {
  GetImageCommand,
  ImagebuilderClient,
  ListWorkflowExecutionsCommand,
  ListWorkflowStepExecutionsCommand,
} from '@aws-sdk/client-imagebuilder';
import { mockClient } from 'aws-sdk-client-mock';

import { AwsOperationError, PollTimeoutError } from '../../../../actions/lib/errors';
import { waitForImage } from '../../../../actions/lib/image-builder/wait-for-image';
import { awsError, IMAGE_ARN, image, testDeps } from './fixtures';

const ib = mockClient(ImagebuilderClient);
beforeEach(() => ib.reset());

const inputs = { imageArn: IMAGE_ARN, timeoutMs: 60 * 60_000, justStarted: true, retryHint: 'Re-run it.' };

describe('waitForImage', () => {
  it('waits through the build stages until AVAILABLE and logs each transition once', async () => {
    const deps = testDeps();
    ib.on(GetImageCommand)
      .resolvesOnce({ image: image('PENDING') })
      .resolvesOnce({ image: image('BUILDING') })
      .resolvesOnce({ image: image('BUILDING') })
      .resolvesOnce({ image: image('TESTING') })
      .resolvesOnce({ image: image('DISTRIBUTING') })
      .resolves({ image: image('AVAILABLE') });

    const result = await waitForImage(inputs, deps);

    expect(result.image.state?.status).toBe('AVAILABLE');
    expect(ib).toHaveReceivedCommandTimes(GetImageCommand, 6);
    expect(ib).toHaveReceivedCommandWith(GetImageCommand, { imageBuildVersionArn: IMAGE_ARN });
    const infos = deps.logger.entries.filter((e) => e.level === 'info').map((e) => e.message);
    expect(infos).toEqual([
      `Image build is PENDING: ${IMAGE_ARN}`,
      'Image build PENDING → BUILDING',
      'Image build BUILDING → TESTING',
      'Image build TESTING → DISTRIBUTING',
      'Image build DISTRIBUTING → AVAILABLE',
    ]);
    expect(result.waitedMs).toBe(deps.clock.sleeps.reduce((a, b) => a + b, 0));
  });

  it('fails a FAILED build with Image Builder reason, the S3 log location and the failed workflow step', async () => {
    const deps = testDeps();
    const failed = image('FAILED', {
      state: { status: 'FAILED', reason: "SSM execution 'abc-123' failed: UpdateOS step exited 1" },
      infrastructureConfiguration: { name: 'patch-dev-infra', logging: { s3Logs: { s3BucketName: 'patch-logs', s3KeyPrefix: 'image-builder/' } } },
      loggingConfiguration: { logGroupName: '/aws/imagebuilder/patch-dev-app' },
    });
    ib.on(GetImageCommand).resolvesOnce({ image: image('BUILDING') }).resolves({ image: failed });
    ib.on(ListWorkflowExecutionsCommand).resolves({
      workflowExecutions: [
        { workflowExecutionId: 'wf-build-1', type: 'BUILD', status: 'FAILED', message: 'step failed' },
        { workflowExecutionId: 'wf-test-1', type: 'TEST', status: 'SKIPPED' },
      ],
    });
    ib.on(ListWorkflowStepExecutionsCommand, { workflowExecutionId: 'wf-build-1' }).resolves({
      steps: [
        { name: 'LaunchBuildInstance', status: 'COMPLETED' },
        { name: 'ApplyBuildComponents', status: 'FAILED', message: 'component UpdateOS failed' },
      ],
    });

    const error = await waitForImage(inputs, deps).catch((e) => e);

    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error.status).toBe('FAILED');
    expect(error.resource).toBe(IMAGE_ARN);
    expect(error.message).toContain(`Image build FAILED for ${IMAGE_ARN}: SSM execution 'abc-123' failed: UpdateOS step exited 1.`);
    expect(error.message).toContain('s3://patch-logs/image-builder/ (infrastructure configuration patch-dev-infra)');
    expect(error.message).toContain('CloudWatch log group /aws/imagebuilder/patch-dev-app');
    expect(error.message).toContain('BUILD workflow execution wf-build-1, step ApplyBuildComponents: component UpdateOS failed');
    expect(error.message).toMatch(/Re-run it\.$/);
  });

  it.each([
    ['CANCELLED', 'Cancelled by user', /Re-run it\./],
    ['DEPRECATED', 'Deprecated by lifecycle policy', /must not be deployed; start a new build with pipeline-arn/],
    ['DISABLED', undefined, /must not be deployed/],
    ['DELETED', undefined, /must not be deployed/],
  ])('fails a %s image with its reason and what to do', async (status, reason, next) => {
    const deps = testDeps();
    ib.on(GetImageCommand).resolves({ image: image(status, { state: { status: status as never, reason } }) });
    ib.on(ListWorkflowExecutionsCommand).rejects(awsError('ResourceNotFoundException'));

    const error = await waitForImage(inputs, deps).catch((e) => e);

    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error.status).toBe(status);
    expect(error.message).toContain(`Image build ${status} for ${IMAGE_ARN}: ${reason ?? 'Image Builder gave no reason'}.`);
    expect(error.message).toContain('no S3 logging is configured');
    expect(error.message).toMatch(next);
    // The failed lookup of workflow executions is logged for debugging, not thrown over the real failure.
    expect(deps.logger.entries.some((e) => e.level === 'debug' && /Could not list workflow executions/.test(e.message))).toBe(true);
  });

  it('times out with the last state and how to resume with image-arn', async () => {
    const deps = testDeps();
    ib.on(GetImageCommand).resolves({ image: image('BUILDING') });

    const error = await waitForImage({ ...inputs, timeoutMs: 10 * 60_000 }, deps).catch((e) => e);

    expect(error).toBeInstanceOf(PollTimeoutError);
    expect(error.message).toBe(
      `Image build not finished for ${IMAGE_ARN} after 10 min (last state: BUILDING). The build goes on in Image Builder: resume in a later job with \`image-arn: ${IMAGE_ARN}\`, or raise timeout-minutes.`,
    );
    expect(error.lastObservation.status).toBe('BUILDING');
    expect(deps.clock.now() - Date.UTC(2026, 0, 1)).toBe(10 * 60_000);
    // Transitions only: one BUILDING line for the whole wait.
    expect(deps.logger.entries.filter((e) => e.level === 'info')).toHaveLength(1);
  });

  it('rides out a throttling burst, a 5xx and a dropped connection, then finishes', async () => {
    const deps = testDeps();
    ib.on(GetImageCommand)
      .resolvesOnce({ image: image('BUILDING') })
      .rejectsOnce(awsError('CallRateLimitExceededException', 'Rate exceeded', 429))
      .rejectsOnce(awsError('CallRateLimitExceededException', 'Rate exceeded', 429))
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded', 400))
      .rejectsOnce(awsError('ServiceUnavailableException', 'try later', 503))
      .resolves({ image: image('AVAILABLE') });

    const result = await waitForImage(inputs, deps);

    expect(result.image.state?.status).toBe('AVAILABLE');
    expect(ib).toHaveReceivedCommandTimes(GetImageCommand, 6);
    // Backed off to one call per 10 s (DEFAULT_POLL_SCHEDULE.throttleCapMs), logged at debug only.
    expect(deps.clock.sleeps).toEqual([1_000, 10_000, 10_000, 10_000, 10_000]);
    expect(deps.logger.entries.filter((e) => e.level === 'debug')).toHaveLength(4);
  });

  it('stops at once on expired credentials and says how to resume with image-arn', async () => {
    const deps = testDeps();
    ib.on(GetImageCommand)
      .resolvesOnce({ image: image('BUILDING') })
      .rejects(awsError('ExpiredTokenException', 'The security token included in the request is expired', 403));

    const error = await waitForImage(inputs, deps).catch((e) => e);

    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error.status).toBe('CREDENTIALS_EXPIRED');
    expect(error.message).toContain('the AWS credentials expired (The security token included in the request is expired)');
    expect(error.message).toContain(`resume in a later job with \`image-arn: ${IMAGE_ARN}\` and fresh credentials`);
    expect(ib).toHaveReceivedCommandTimes(GetImageCommand, 2);
  });

  it('rides out not-found just after the start (eventual consistency)', async () => {
    const deps = testDeps();
    ib.on(GetImageCommand)
      .rejectsOnce(awsError('ResourceNotFoundException', 'not found'))
      .resolves({ image: image('AVAILABLE') });

    await expect(waitForImage(inputs, deps)).resolves.toBeDefined();
  });

  it('fails at once when a resumed image-arn does not exist', async () => {
    const deps = testDeps();
    ib.on(GetImageCommand).rejects(awsError('ResourceNotFoundException', 'Resource not found'));

    const error = await waitForImage({ ...inputs, justStarted: false }, deps).catch((e) => e);

    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error.status).toBe('NOT_FOUND');
    expect(error.message).toMatch(/^Image build not found for .*Check the ARN/);
    expect(ib).toHaveReceivedCommandTimes(GetImageCommand, 1);
  });

  it('gives up on not-found once the grace period is over', async () => {
    const deps = testDeps();
    ib.on(GetImageCommand).rejects(awsError('ResourceNotFoundException', 'Resource not found'));

    const error = await waitForImage(inputs, deps).catch((e) => e);

    expect(error.status).toBe('NOT_FOUND');
    expect(deps.clock.now() - Date.UTC(2026, 0, 1)).toBeGreaterThanOrEqual(30_000);
    expect(deps.clock.now() - Date.UTC(2026, 0, 1)).toBeLessThan(90_000);
  });
});
