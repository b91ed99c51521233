/**
 * Fault catalogue, an endpoint that never answers: a real SDK client against a real socket on
 * 127.0.0.1 (no aws-sdk-client-mock in this file, so nothing intercepts the client). A server that
 * accepts and never answers is what a black-holed route or a stuck proxy looks like. The wait runs
 * on the virtual clock; only the SDK's own timeouts take real time, scaled down here.
 *
 * A refused connection (F19) is tested on the bundle instead (test/integration/reliability): under
 * jest, errors from node:net belong to another realm than the test's `Error`, so the SDK's retry
 * middleware wraps them ("AWS SDK error wrapper for Error: …") and their `code` is lost, which
 * would misclassify a refused connection here but never on a runner.
 */
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';

import { CONNECTION_TIMEOUT_MS, createAwsClients, SOCKET_TIMEOUT_MS } from '../../../actions/lib/aws/clients';
import { systemClock, VirtualClock } from '../../../actions/lib/clock';
import { errorMessage, PollTimeoutError } from '../../../actions/lib/errors';
import { waitForImage } from '../../../actions/lib/image-builder/wait-for-image';
import { RecordingLogger } from '../../../actions/lib/logger';
import { describeCatalogueRows } from './support/catalogue-suite';
import { expectGitSaysWhatRuns } from './support/invariant';
import { silentServer } from './support/silent-server';
import { OLD_AMI } from './support/repo';

const IMAGE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.0/7';

/**
 * build-ami's dependencies hold no CloudFormation client (Deps<{ imageBuilder; ec2 }>), so whatever
 * an endpoint does to it, the stack keeps running what git says; the patch job opens no PR
 * without an ami-id. The invariant is checked on that state.
 */
const untouched = { gitAmi: OLD_AMI, runningAmi: OLD_AMI };

const IMPLEMENTATIONS: Record<string, () => Promise<void>> = {
  async F20() {
    // Every client the actions build gives up on silence; without this a step would hang until GitHub kills the job.
    const built = createAwsClients({ region: 'us-east-1' });
    for (const client of [built.cloudFormation, built.imageBuilder, built.ec2, built.elbv2, built.autoScaling, built.cloudWatch]) {
      const handler = client.config.requestHandler as unknown as { configProvider: Promise<{ connectionTimeout?: number; socketTimeout?: number }> };
      await expect(handler.configProvider).resolves.toMatchObject({ connectionTimeout: CONNECTION_TIMEOUT_MS, socketTimeout: SOCKET_TIMEOUT_MS });
    }

    // The same kind of client, with the timeouts scaled down from seconds to milliseconds.
    const silent = await silentServer();
    const imageBuilder = new ImagebuilderClient({
      region: 'us-east-1',
      endpoint: silent.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 300, socketTimeout: 300 },
    });
    try {
      const clock = new VirtualClock();
      const started = Date.now();
      const error = await waitForImage(
        { imageArn: IMAGE_ARN, timeoutMs: 30_000, justStarted: false, retryHint: 'Re-run the workflow.' },
        { clients: { imageBuilder }, logger: new RecordingLogger(), clock },
      ).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(PollTimeoutError);
      expect(errorMessage(error)).toBe(
        `Image build not finished for ${IMAGE_ARN} after 1 min (last state: no answer from GetImage). ` +
          `The build goes on in Image Builder: resume in a later job with \`image-arn: ${IMAGE_ARN}\`, or raise timeout-minutes.`,
      );
      // The wait kept its own deadline (virtual) and asked again after each silent call, backing off.
      expect(clock.now() - Date.UTC(2026, 0, 1)).toBe(30_000);
      expect(silent.connections()).toBeGreaterThanOrEqual(3);
      expect(Date.now() - started).toBeLessThan(15_000);
      expectGitSaysWhatRuns({ ...untouched, failed: true, said: [errorMessage(error)] }, 'git says what runs');
    } finally {
      imageBuilder.destroy();
      await silent.close();
    }
  },

  async F30() {
    // The clients exactly as the actions build them (createAwsClients reads the endpoint from the
    // environment, as on a runner): 60 s of silence per attempt, five attempts.
    const silent = await silentServer();
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL_IMAGEBUILDER: silent.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    const { imageBuilder } = createAwsClients({ region: 'us-east-1' });
    try {
      const started = Date.now();
      const error = await waitForImage(
        { imageArn: IMAGE_ARN, timeoutMs: 1_000, justStarted: false, retryHint: 'Re-run the workflow.' },
        { clients: { imageBuilder }, logger: new RecordingLogger(), clock: systemClock },
      ).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(PollTimeoutError);
      expect(errorMessage(error)).toMatch(new RegExp(`^Image build not finished for ${IMAGE_ARN.replace(/[/.]/g, '\\$&')} after 0 min \\(last state: no answer from GetImage\\)\\. .*resume in a later job with \`image-arn: `));
      // Ended by its own deadline (1 s, and 5 s for the last call), long before one SDK attempt
      // would have given up on the silence.
      expect(Date.now() - started).toBeLessThan(SOCKET_TIMEOUT_MS / 4);
      expectGitSaysWhatRuns({ ...untouched, failed: true, said: [errorMessage(error)] }, 'git says what runs');
    } finally {
      process.env = saved;
      imageBuilder.destroy();
      await silent.close();
    }
  },
};

describeCatalogueRows('faults at the endpoint (unit, real SDK clients on loopback sockets)', 'endpoint-faults.test.ts', IMPLEMENTATIONS);
