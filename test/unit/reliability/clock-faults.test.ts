/**
 * Fault catalogue, whose clock: time-based rules are judged on AWS's time (the Date header of its
 * answers, actions/lib/aws/aws-clock.ts), and fail closed when the runner's clock is more than
 * five minutes off. Mocked AWS (a world that would accept the change), real git, the real
 * templates; AWS's clock is the AwsClock the middleware feeds, set as if one answer had arrived
 * (its middleware on a real client is tested in test/unit/lib/aws/aws-clock.test.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';

import { VirtualClock } from '../../../actions/lib/clock';
import { createUpdateReport, updateAppStack } from '../../../actions/lib/cloudformation/update-app-stack';
import { AwsOperationError, errorMessage, InputError } from '../../../actions/lib/errors';
import { RecordingLogger } from '../../../actions/lib/logger';
import { awsClockOn } from '../support/aws-time';
import { describeCatalogueRows } from './support/catalogue-suite';
import { AwsWorld, REPO_ROOT, STACK } from './support/aws-world';
import { expectGitSaysWhatRuns } from './support/invariant';
import { awsMocks, expectNoMutatingCalls, resetAwsMocks } from './support/no-mutation';
import { createGitopsRepo, DEV_FILE, devParameters, devStackParameters, NEW_AMI, OLD_AMI, runGitops } from './support/repo';

const DAY = 86_400_000;
const MINUTE = 60_000;
const mocks = awsMocks();

/** The deploy of NEW_AMI through updateAppStack (the real app template), AWS's clock `awsAheadMs` ahead of the runner's. */
async function deployWithSkew(awsAheadMs: number, deprecatedAtAwsMs: (awsNowMs: number) => number) {
  const clock = new VirtualClock(Date.UTC(2026, 11, 1, 12));
  const world = new AwsWorld(clock, devStackParameters(OLD_AMI)).withImages(OLD_AMI, NEW_AMI).install(mocks);
  const deprecation = new Date(deprecatedAtAwsMs(clock.now() + awsAheadMs)).toISOString();
  world.images.set(NEW_AMI, { ImageId: NEW_AMI, OwnerId: '123456789012', State: 'available', DeprecationTime: deprecation });
  const scratch = mkdtempSync(join(tmpdir(), 'reliability-clock-'));
  try {
    const file = join(scratch, DEV_FILE);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, devParameters(NEW_AMI));
    const inputs = { stackName: STACK, region: 'us-east-1', parametersFile: file, templateFile: join(REPO_ROOT, 'templates/app.yaml'), mode: 'deploy' as const, timeoutMinutes: 60, rollbackMonitoringMinutes: 5, run: { id: '42', attempt: '1' } };
    const clients = { cloudFormation: new CloudFormationClient({ region: 'us-east-1' }), ec2: new EC2Client({ region: 'us-east-1' }), awsClock: awsClockOn(clock, awsAheadMs) };
    const error = await updateAppStack(inputs, { clients, logger: new RecordingLogger(), clock }, createUpdateReport(inputs, 0)).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    return { error, world, deprecation, runnerNow: new Date(clock.now()).toISOString() };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const IMPLEMENTATIONS: Record<string, () => Promise<void>> = {
  async F60() {
    // AWS deprecated the AMI yesterday; the runner, two days slow, thinks that is tomorrow.
    const { error, world, deprecation, runnerNow } = await deployWithSkew(2 * DAY, (awsNow) => awsNow - DAY);
    expect(Date.parse(deprecation)).toBeGreaterThan(Date.parse(runnerNow));
    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error).toMatchObject({ status: 'CLOCK_SKEW' });
    expect(errorMessage(error)).toBe(
      `Time check failed for the deprecation time of ${NEW_AMI}: the runner's clock said 2026-12-01T12:00:00Z when AWS's answer was dated 2026-12-03T12:00:00Z; ` +
        "the runner is 2 days 0 h 0 min behind AWS, more than the 5 minutes tolerated. A rule judged on that clock could deploy what AWS already retired, so nothing was judged and nothing was changed. Fix the runner's clock (NTP), then run again.",
    );
    expectNoMutatingCalls(mocks);
    expectGitSaysWhatRuns({ gitAmi: OLD_AMI, runningAmi: world.runningAmi(), failed: true, said: [errorMessage(error)] }, 'git says what runs');
  },

  async F61() {
    // Three minutes slow, inside the tolerance: AWS's time decides, and AWS deprecated the AMI a minute ago.
    const { error, world, deprecation, runnerNow } = await deployWithSkew(3 * MINUTE, (awsNow) => awsNow - MINUTE);
    expect(Date.parse(deprecation)).toBeGreaterThan(Date.parse(runnerNow));
    expect(error).toBeInstanceOf(InputError);
    expect(errorMessage(error)).toContain(`AmazonMachineImage = "${NEW_AMI}" was deprecated on ${deprecation}: its owner retired it.`);
    expectNoMutatingCalls(mocks);
    expectGitSaysWhatRuns({ gitAmi: OLD_AMI, runningAmi: world.runningAmi(), failed: true, said: [errorMessage(error)] }, 'git says what runs');
  },

  async F62() {
    // The failback pre-flight on a runner two days slow: refused before anything is recorded.
    const clock = new VirtualClock(Date.UTC(2026, 11, 1, 12));
    const world = new AwsWorld(clock, devStackParameters(NEW_AMI)).withImages(OLD_AMI, NEW_AMI).install(mocks);
    world.images.set(OLD_AMI, { ImageId: OLD_AMI, OwnerId: '123456789012', State: 'available', DeprecationTime: new Date(clock.now() + DAY).toISOString() });
    const repo = createGitopsRepo();
    try {
      const ctx = repo.context(clock);
      const skewed = { ...ctx, aws: (region: string) => ({ ...ctx.aws(region), awsClock: awsClockOn(clock, 2 * DAY) }) };
      const error = await runGitops('check-image', { environment: 'dev', 'ami-id': OLD_AMI }, skewed).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ status: 'CLOCK_SKEW' });
      expect(errorMessage(error)).toMatch(/^Time check failed for the deprecation time of ami-0aaaaaaaaaaaaaaa1: .* 2 days 0 h 0 min behind AWS/);
      expect(repo.workspace.git('status', '--porcelain')).toBe('');
      expectNoMutatingCalls(mocks);
      expectGitSaysWhatRuns({ gitAmi: repo.gitAmi(), runningAmi: world.runningAmi(), failed: true, said: [errorMessage(error)] }, 'git says what runs');
    } finally {
      repo.remove();
    }
  },
};

describeCatalogueRows("whose clock (unit: AWS's time from its Date header, mocked AWS)", 'clock-faults.test.ts', IMPLEMENTATIONS, () => resetAwsMocks());
