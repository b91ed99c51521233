/**
 * Fault catalogue, unit rows of strategy replace's window verification (F150-F153): green is
 * verified inside the rollback-trigger window while blue still exists, and a failed verdict
 * cancels the update so CloudFormation rolls back to blue. Run through the deploy job of
 * deploy-environment.yml (support/deploy-job.ts) against the AwsWorld mocks (a windowed replacing
 * update, CancelUpdateStack accepted only while the stack is UPDATE_IN_PROGRESS) and a real git
 * repository; each ends with the invariant.
 */
import { VirtualClock } from '../../../actions/lib/clock';
import { AwsWorld, BLUE_GROUP, GREEN_GROUP, WINDOWED } from './support/aws-world';
import { describeCatalogueRows } from './support/catalogue-suite';
import { runDeployJob, type DeployJobOptions, type DeployJobResult } from './support/deploy-job';
import { expectGitSaysWhatRuns } from './support/invariant';
import { awsMocks, resetAwsMocks } from './support/no-mutation';
import { createGitopsRepo, devStackParameters, NEW_AMI, NEWER_AMI, OLD_AMI, type GitopsRepo } from './support/repo';

const mocks = awsMocks();
const MINUTE = 60_000;

let clock: VirtualClock;
let world: AwsWorld;
let repo: GitopsRepo;

function setup(): void {
  clock = new VirtualClock();
  world = new AwsWorld(clock, devStackParameters(OLD_AMI)).withImages(OLD_AMI, NEW_AMI, NEWER_AMI).install(mocks);
  repo = createGitopsRepo(NEW_AMI);
}

const deploy = (options: DeployJobOptions = {}) => runDeployJob({ repo, clock, runningAmi: () => world.runningAmi() }, options);
const expectInvariant = (job: DeployJobResult, expected: 'git says what runs' | 'failed loudly', reconciler?: Parameters<typeof expectGitSaysWhatRuns>[2]) =>
  expectGitSaysWhatRuns({ gitAmi: repo.gitAmi(), runningAmi: world.runningAmi(), failed: !job.ok, said: job.said }, expected, reconciler);

/** NEW_AMI serves the wrong thing: every verification of it fails, in the window and after. */
const newAmiIsBad = (expected: string, running: string) => expected === running && expected !== NEW_AMI;

const IMPLEMENTATIONS: Record<string, () => Promise<void>> = {
  async F150() {
    setup();
    world.scripts.push(WINDOWED);
    const started = clock.now();
    const job = await deploy({ healthy: newAmiIsBad });

    // The update step verified green in the window, cancelled, and CloudFormation rolled back to blue.
    expect(world.cancels).toEqual([{ atMs: expect.any(Number), accepted: true }]);
    expect(world.cancels[0].atMs - started).toBeLessThan(8 * MINUTE); // before the cleanup would have deleted blue
    expect(world.executedAmis).toEqual([NEW_AMI]); // one replacement, no failback update
    expect(world.appGroup.name).toBe(BLUE_GROUP);
    expect(job.outcomes).toMatchObject({ update: 'failure', verify: 'skipped', 'prepare-failback': 'skipped', 'failback-update': 'skipped', sync: 'success' });
    expect(job.outputs.update).toMatchObject({ 'stack-status': 'UPDATE_ROLLBACK_COMPLETE', 'ami-id': OLD_AMI, 'failed-step': 'window', 'flipped-back-to': 'blue' });
    expect(job.failures.update).toMatch(new RegExp(`^Update of stack patch-dev-app cancelled: green \\(${NEW_AMI}\\) failed verification inside the rollback-trigger window, while blue \\(${OLD_AMI}\\) still served: HTTP error rate 100 %`));
    expect(job.outputs.sync).toMatchObject({ outcome: 'pushed', 'live-ami-id': OLD_AMI });
    expect(job.headline).toMatch(new RegExp(`^${NEW_AMI} failed in dev: green failed verification inside the rollback-trigger window, while blue still served beside it; the update was cancelled and CloudFormation rolled the stack back to blue\\. Traffic is back on blue \\(${OLD_AMI}\\)`));
    expectInvariant(job, 'git says what runs');
    // A re-run deploys HEAD, which now records blue's AMI: nothing to do.
    const again = await deploy({ healthy: newAmiIsBad, run: { id: '42', attempt: '2' } });
    expect(again.outputs.update).toMatchObject({ changed: 'false' });
    expect(world.executedAmis).toEqual([NEW_AMI]);
    expectInvariant(again, 'git says what runs');
  },

  async F151() {
    setup();
    world.scripts.push(WINDOWED);
    // The verdict comes after the window: 6 minutes of waiting for targets that never get healthy.
    const job = await deploy({
      healthy: newAmiIsBad,
      greenVerify: async () => {
        clock.advance(6 * MINUTE);
        return { healthy: false, failures: ['0 of 2 desired targets are healthy'] };
      },
    });

    // CloudFormation refused the cancel (the cleanup had begun): green is all there is, so the job's
    // own verification and automatic failback take over, a second replacement as before.
    expect(world.cancels).toEqual([{ atMs: expect.any(Number), accepted: false }]);
    expect(job.outcomes).toMatchObject({ update: 'success', verify: 'failure', 'prepare-failback': 'success', 'failback-update': 'success', 'failback-verify': 'success', sync: 'success' });
    expect(world.executedAmis).toEqual([NEW_AMI, OLD_AMI]);
    expect(job.summaries.join('\n')).not.toContain('cancelled');
    expectInvariant(job, 'git says what runs');
  },

  async F152() {
    setup();
    world.scripts.push(WINDOWED);
    // The verification itself breaks (the load balancer's API refuses): no verdict is a failed one, and blue is kept.
    const job = await deploy({
      greenVerify: async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
      },
    });

    expect(world.cancels).toEqual([{ atMs: expect.any(Number), accepted: true }]);
    expect(job.failures.update).toContain('the verification could not finish (Rate exceeded)');
    expect(job.outputs.update).toMatchObject({ 'stack-status': 'UPDATE_ROLLBACK_COMPLETE', 'ami-id': OLD_AMI, 'failed-step': 'window' });
    expect(world.executedAmis).toEqual([NEW_AMI]);
    expectInvariant(job, 'git says what runs');
  },

  async F153() {
    setup();
    world.scripts.push({
      ...WINDOWED,
      onCancel: [
        { atMs: 0, status: 'UPDATE_ROLLBACK_IN_PROGRESS', events: [{ logicalId: 'patch-dev-app', status: 'UPDATE_ROLLBACK_IN_PROGRESS', reason: 'Stack update cancelled' }] },
        {
          atMs: 120_000,
          status: 'UPDATE_ROLLBACK_FAILED',
          events: [
            { logicalId: 'AppLaunchTemplate', status: 'UPDATE_FAILED', reason: 'You are not authorized to perform this operation', resourceType: 'AWS::EC2::LaunchTemplate' },
            { logicalId: 'patch-dev-app', status: 'UPDATE_ROLLBACK_FAILED', reason: 'The following resource(s) failed to update: [AppLaunchTemplate].' },
          ],
          appGroup: { name: GREEN_GROUP, status: 'UPDATE_COMPLETE' },
        },
      ],
      failedResources: [{ logicalId: 'AppLaunchTemplate', reason: 'You are not authorized to perform this operation' }],
    });
    const job = await deploy({ healthy: newAmiIsBad });

    expect(world.cancels).toEqual([{ atMs: expect.any(Number), accepted: true }]);
    expect(job.outputs.update).toMatchObject({ 'stack-status': 'UPDATE_ROLLBACK_FAILED' });
    expect(job.failures.update).toContain('and the rollback failed too (UPDATE_ROLLBACK_FAILED)');
    expect(job.failures.update).toContain('--resources-to-skip AppLaunchTemplate');
    const verdict = expectInvariant(job, 'failed loudly', 'continue-update-rollback');
    expect(verdict.holds === 'failed loudly' && verdict.statement).toContain('aws cloudformation continue-update-rollback --stack-name patch-dev-app');
  },
};

describeCatalogueRows('fault catalogue, unit: strategy replace verifies green inside the rollback-trigger window', 'window-faults.test.ts', IMPLEMENTATIONS, () => resetAwsMocks());
