/**
 * The end of the bake window through the gitops commands the workflows run (real git, a bare
 * origin, mocked CloudFormation and CloudWatch, the virtual clock as AWS's): check-retirement
 * waits for the window or leaves it to a later run, refuses after an alarm, keeps the old slot
 * after a failback; record-retirement commits the old slot at capacity 0 and nothing else;
 * list-retirements plans the scheduled run from git alone.
 */
import { CloudFormationClient, DescribeStackEventsCommand, DescribeStacksCommand, type ResourceStatus, type StackStatus } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

import { parseMetadataBlock } from '../../../../actions/lib/gitops/commit-metadata';
import { REPO_ROOT } from '../../reliability/support/aws-world';
import { describeCatalogueRows } from '../../reliability/support/catalogue-suite';
import { expectGitSaysWhatRuns } from '../../reliability/support/invariant';
import { workflowStepInputs, type WorkflowRunContext } from '../../reliability/support/workflow-step-inputs';
import { leadOf } from '../../../support/summary-lead';
import { createGitFixture } from './git-fixture';
import { runCommand } from './gitops-context';
import { AMI, setupSlotsRepo, SLOTS_FILE, slotsJson } from './slots-repo-fixture';

const cfn = mockClient(CloudFormationClient);
const cw = mockClient(CloudWatchClient);
const ec2 = mockClient(EC2Client);
const FILE = SLOTS_FILE;
const STACK = 'patch-dev-app';
const ALARMS = ['BlueHttp5xx', 'BlueUnhealthyHosts', 'GreenHttp5xx', 'GreenUnhealthyHosts'].map((a) => `${STACK}-${a}`);

const parametersOf = (text: string) => (JSON.parse(text) as { Parameters: Record<string, string> }).Parameters;

const setup = setupSlotsRepo;

let env: ReturnType<typeof setup>;
/** The AMI history's newest first; the alarm history each test scripts. */
let firings: { alarm: string; atMs: number }[];
const workFile = () => readFileSync(join(env.work.dir, FILE), 'utf8');
const originFile = () => env.origin.git('show', `main:${FILE}`);

/** The stack runs `parameters`, settled by an update that completed at `settledAtMs` (AWS's clock). */
function stackRuns(parameters: Record<string, string>, settledAtMs: number, status = 'UPDATE_COMPLETE') {
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: STACK,
        StackStatus: status as StackStatus,
        CreationTime: new Date(0),
        Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
        Outputs: ['Blue', 'Green'].flatMap((slot) =>
          ['Http5xxAlarmArn', 'UnhealthyHostsAlarmArn'].map((key) => ({ OutputKey: `${slot}${key}`, OutputValue: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${STACK}-${slot}${key.replace('AlarmArn', '')}` })),
        ),
      },
    ],
  });
  cfn.on(DescribeStackEventsCommand).resolves({
    StackEvents: [
      { StackName: STACK, StackId: 's', EventId: 'e2', LogicalResourceId: STACK, ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: status as ResourceStatus, Timestamp: new Date(settledAtMs) },
      { StackName: STACK, StackId: 's', EventId: 'e1', LogicalResourceId: 'GreenAutoScalingGroup', ResourceType: 'AWS::AutoScaling::AutoScalingGroup', ResourceStatus: 'UPDATE_COMPLETE', Timestamp: new Date(settledAtMs - 5000) },
    ],
  });
}

beforeEach(() => {
  cfn.reset();
  cw.reset();
  ec2.reset();
  firings = [];
  cw.on(DescribeAlarmsCommand).callsFake(() => ({ MetricAlarms: ALARMS.map((AlarmName) => ({ AlarmName, StateValue: firings.some((f) => f.alarm === AlarmName && f.atMs <= env.clock.now()) ? 'ALARM' : 'OK' })) }));
  cw.on(DescribeAlarmHistoryCommand).callsFake(({ AlarmName, StartDate, EndDate }: { AlarmName: string; StartDate: Date; EndDate: Date }) => ({
    AlarmHistoryItems: firings
      .filter((f) => f.alarm === AlarmName && f.atMs >= StartDate.getTime() && f.atMs <= EndDate.getTime())
      .map((f) => ({ AlarmName, Timestamp: new Date(f.atMs), HistoryItemType: 'StateUpdate', HistorySummary: 'Alarm updated from OK to ALARM', HistoryData: JSON.stringify({ newState: { stateValue: 'ALARM' } }) })),
  }));
  ec2.on(DescribeImagesCommand).callsFake(({ ImageIds }: { ImageIds: string[] }) => ({ Images: [{ ImageId: ImageIds[0], OwnerId: '123456789012', State: 'available', Name: 'n', CreationDate: 'c' }] }));
  env = setup();
});
afterEach(() => env.remove());

/** The patch PR of AMI 2 merged and deployed: green live on AMI 2, blue warm on AMI 1, the switch completed `ago` ms before now. */
async function deployedPatch(ago: number): Promise<Record<string, string>> {
  await runCommand('set-ami', { 'ami-id': AMI(2) }, env.ctx);
  env.work.git('commit', '--quiet', '-am', `Patch dev: ${AMI(2)}`);
  env.work.git('push', '--quiet', 'origin', 'HEAD:main');
  const head = parametersOf(workFile());
  stackRuns(head, env.clock.now() - ago);
  return head;
}

describe('check-retirement', () => {
  it('leaves a window that ends later than the job waits to a later run: nothing changed, the end said', async () => {
    await deployedPatch(60_000);
    const before = workFile();
    const result = await runCommand('check-retirement', { environment: 'dev' }, env.ctx);
    expect(result.failure).toBeUndefined();
    expect(result.outputs).toMatchObject({ verdict: 'wait', retire: false, record: false, slot: 'blue', 'retired-ami-id': AMI(1), 'ends-at': new Date(env.clock.now() + 240_000).toISOString() });
    expect(workFile()).toBe(before);
    expect(env.logger.text()).toMatch(/ends at .* in 240 s; blue stays warm on .*A later run ends it: the scheduled Retire old slots workflow \(retire-slots\.yml\), or the next deploy/);
    // The summary leads with the same sentence, once, its AMI as a code span.
    expect(leadOf(result.summary!).lead).toMatch(new RegExp(`^The bake window \\(.*\\) ends at \\S+, in 240 s; blue stays warm on \`${AMI(1)}\` until then\\. A later run .* retires it only if nothing failed meanwhile\\.$`));
  });

  it('waits for a window that ends within wait-seconds, reading the alarms, then points the working tree at the old slot scaled to zero (no commit)', async () => {
    const head = await deployedPatch(60_000);
    const started = env.clock.now();
    const result = await runCommand('check-retirement', { environment: 'dev', 'wait-seconds': '900' }, env.ctx);
    expect(result.outputs).toMatchObject({ verdict: 'retire', retire: true, record: true, slot: 'blue', 'retired-ami-id': AMI(1) });
    // It waited on the (virtual) clock until the window's end, at most one poll late.
    expect(env.clock.now() - started).toBeGreaterThanOrEqual(240_000);
    expect(env.clock.now() - started).toBeLessThan(240_000 + 15_000 + 1);
    expect(parametersOf(workFile())).toEqual({ ...head, BlueCapacity: '0' });
    expect(env.origin.git('log', '--oneline', 'main').trim().split('\n')).toHaveLength(2);
    expect(leadOf(result.summary!).lead).toMatch(new RegExp(`^Retiring blue \\(\`${AMI(1)}\`\\): the bake window .* ended at \\S+ with every alarm quiet and no failback\\.$`));
  });



});

describe('record-retirement', () => {
  it('commits the old slot at capacity 0, one line, with a retire-slot block; a re-run changes nothing and the next check says retired', async () => {
    const head = await deployedPatch(3_600_000);
    const headText = originFile();
    stackRuns({ ...head, BlueCapacity: '0' }, env.clock.now());
    const result = await runCommand('record-retirement', { environment: 'dev' }, env.ctx);
    expect(result.outputs).toMatchObject({ outcome: 'pushed', slot: 'blue', 'retired-ami-id': AMI(1) });
    const recorded = originFile();
    expect(recorded).toBe(headText.replace('"BlueCapacity": "2"', '"BlueCapacity": "0"'));
    const message = env.origin.git('log', '-1', '--format=%B', 'main');
    expect(message.split('\n')[0]).toBe(`Retire blue in dev: the bake window of ${AMI(2)} ended quiet`);
    expect(parseMetadataBlock(message)?.[0]).toMatchObject({ 'update-type': 'retire-slot', parameter: 'BlueCapacity', 'ami-id': AMI(2), 'retired-ami-id': AMI(1) });

    // A stale re-run of the same job: git already says it.
    expect((await runCommand('record-retirement', { environment: 'dev' }, env.ctx)).outputs).toMatchObject({ outcome: 'unchanged' });
    expect((await runCommand('check-retirement', { environment: 'dev' }, env.ctx)).outputs).toMatchObject({ verdict: 'none', retire: false, record: false });
  });



  it('refuses to record a stack whose old slot is not at capacity 0', async () => {
    await deployedPatch(3_600_000);
    await expect(runCommand('record-retirement', { environment: 'dev' }, env.ctx)).rejects.toThrow(/Retirement not recorded for dev: stack patch-dev-app .* has green live and BlueCapacity = "2"/);
    expect(env.origin.git('log', '--oneline', 'main').trim().split('\n')).toHaveLength(2);
  });
});

describe('list-retirements', () => {
  it('lists a warm old slot once the window may have ended by git\'s time; skips one still open and one kept after a failback', async () => {
    await deployedPatch(0);
    // The runner's clock just after the merge commit (git's time), then past commit + bakeSeconds (300 s).
    const committedAt = Date.parse(env.work.git('log', '-1', '--format=%cI').trim());
    await env.clock.sleep(committedAt + 1000 - env.clock.now());
    expect((await runCommand('list-retirements', {}, env.ctx)).outputs).toEqual({ environments: '[]', any: false });
    expect(env.logger.text()).toContain(`dev: skipped, its bake window cannot end before ${new Date(committedAt + 300_000).toISOString()}`);
    await env.clock.sleep(300_000);
    expect((await runCommand('list-retirements', {}, env.ctx)).outputs).toEqual({ environments: '["dev"]', any: true });
    await runCommand('record-failback', { environment: 'dev', 'target-ami': AMI(1), reason: 'p99 doubled', 'requested-by': 'octocat' }, env.ctx);
    expect((await runCommand('list-retirements', { environment: 'dev' }, env.ctx)).outputs).toEqual({ environments: '[]', any: false });
    expect(env.logger.text()).toMatch(new RegExp(`dev: skipped, ${AMI(1)} went live by a failback: green is kept for a look`));
  });
});

describe('a failback merged with a merge commit (a protected branch: its record became a PR)', () => {
  it('keeps the slot users fled for a look, as a failback pushed or squash-merged does', async () => {
    await deployedPatch(3_600_000);
    await runCommand('record-failback', { environment: 'dev', 'target-ami': AMI(1), reason: 'p99 doubled', 'requested-by': 'octocat' }, env.ctx);
    // The record's commit, landed instead through its PR with GitHub's merge commit.
    env.work.git('fetch', '--quiet', 'origin');
    const record = env.work.git('rev-parse', 'origin/main').trim();
    env.work.git('reset', '--quiet', '--hard', 'origin/main~1');
    env.work.git('merge', '--quiet', '--no-ff', '-m', 'Merge pull request #12 from acme/failback/dev', record);
    env.work.git('push', '--quiet', '--force', 'origin', 'HEAD:main');
    stackRuns(parametersOf(originFile()), env.clock.now() - 3_000_000);
    expect((await runCommand('list-retirements', { environment: 'dev' }, env.ctx)).outputs).toEqual({ environments: '[]', any: false });
    expect(env.logger.text()).toContain(`dev: skipped, ${AMI(1)} went live by a failback: green is kept for a look`);
    const bake = await runCommand('check-retirement', { environment: 'dev', 'wait-seconds': '900' }, env.ctx);
    expect(bake.outputs).toMatchObject({ verdict: 'kept', retire: false, slot: 'green', 'retired-ami-id': AMI(2) });
    expect(env.logger.text()).toMatch(new RegExp(`by a failback \\(commit [0-9a-f]{12}, "Merge pull request #12 from acme/failback/dev"\\), so green keeps ${AMI(2)}`));
  });
});

/** Git's file on main equals what the stack runs (the fault catalogue's invariant, slots shape). */
async function expectGitEqualsStack(): Promise<void> {
  const stack = (await new CloudFormationClient({ region: 'us-east-1' }).send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0];
  const running = Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey!, p.ParameterValue!]));
  expect(parametersOf(originFile())).toEqual(running);
}

/** deploy-environment.yml's deploy steps, in order, with their `if:`s. */
const DEPLOY_STEPS = (parse(readFileSync(join(REPO_ROOT, '.github/workflows/deploy-environment.yml'), 'utf8')) as { jobs: { deploy: { steps: { id?: string; if?: string }[] } } }).jobs.deploy.steps;
const stepIf = (id: string) => DEPLOY_STEPS.find((s) => s.id === id)?.if ?? '';
const stringOutputs = (outputs: Record<string, unknown> = {}) => Object.fromEntries(Object.entries(outputs).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));

/**
 * A verified deploy whose window is over, then the job's bake steps as scripted by `retire`, then
 * its Report step with the inputs deploy-environment.yml wires (as the runner passes them: an
 * unset output is '', which the action reads as absent).
 */
async function bakeStepsThenReport(retire: (head: Record<string, string>, steps: WorkflowRunContext['steps']) => Promise<void>) {
  const head = await deployedPatch(3_600_000);
  const bake = await runCommand('check-retirement', { environment: 'dev', 'wait-seconds': '900' }, env.ctx);
  expect(bake.outputs).toMatchObject({ verdict: 'retire', slot: 'blue', 'retired-ami-id': AMI(1) });
  const steps: WorkflowRunContext['steps'] = {
    resolve: { outcome: 'success', outputs: { 'ami-id': AMI(2), 'previous-ami-id': AMI(1) } },
    gate: { outcome: 'success' },
    update: { outcome: 'success', outputs: { changed: 'true', 'stack-status': 'UPDATE_COMPLETE', 'previous-ami-id': AMI(1) } },
    verify: { outcome: 'success' },
    bake: { outcome: 'success', outputs: stringOutputs(bake.outputs) },
  };
  await retire(head, steps);
  const inputs = workflowStepInputs('deploy-environment.yml', 'deploy', 'report', { inputs: { environment: 'dev' }, steps, defaultBranch: 'main', runId: '42' });
  const report = await runCommand('deploy-report', Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== '')), env.ctx);
  return { head, report };
}

/** The deploy job's Report step after a verified deploy of `amiId` and a bake step that ended with `bake`, inputs as deploy-environment.yml wires them. */
async function reportAfterBake(bake: Awaited<ReturnType<typeof runCommand>>, amiId: string, previousAmiId: string) {
  const steps: WorkflowRunContext['steps'] = {
    resolve: { outcome: 'success', outputs: { 'ami-id': amiId, 'previous-ami-id': previousAmiId } },
    gate: { outcome: 'success' },
    update: { outcome: 'success', outputs: { changed: 'true', 'stack-status': 'UPDATE_COMPLETE', 'previous-ami-id': previousAmiId } },
    verify: { outcome: 'success' },
    bake: { outcome: bake.failure ? 'failure' : 'success', outputs: stringOutputs(bake.outputs) },
  };
  const inputs = workflowStepInputs('deploy-environment.yml', 'deploy', 'report', { inputs: { environment: 'dev' }, steps, defaultBranch: 'main', runId: '42' });
  return runCommand('deploy-report', Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== '')), env.ctx);
}

const IMPLEMENTATIONS: Record<string, () => Promise<void>> = {
  async F106() {
    await deployedPatch(60_000);
    firings.push({ alarm: `${STACK}-GreenHttp5xx`, atMs: env.clock.now() + 100_000 });
    const before = workFile();
    const result = await runCommand('check-retirement', { environment: 'dev', 'wait-seconds': '900' }, env.ctx);
    expect(result.outputs).toMatchObject({ verdict: 'refuse', retire: false, 'failed-in-window': true });
    expect(result.failure).toMatch(/^Bake window of dev NOT ended: a failure inside the bake window: alarm patch-dev-app-GreenHttp5xx is in ALARM now; alarm patch-dev-app-GreenHttp5xx went to ALARM at .*blue is kept warm; the deploy job flips traffic back to it/);
    expect(workFile()).toBe(before);
    await expectGitEqualsStack();
  },
  async F107() {
    await deployedPatch(3_600_000);
    await runCommand('record-failback', { environment: 'dev', 'target-ami': AMI(1), reason: 'p99 doubled', 'requested-by': 'octocat' }, env.ctx);
    stackRuns(parametersOf(originFile()), env.clock.now() - 3_000_000);
    const result = await runCommand('check-retirement', { environment: 'dev', 'wait-seconds': '900' }, env.ctx);
    expect(result.failure).toBeUndefined();
    expect(result.outputs).toMatchObject({ verdict: 'kept', retire: false, slot: 'green', 'retired-ami-id': AMI(2) });
    await expectGitEqualsStack();
  },
  async F108() {
    const head = await deployedPatch(3_600_000);
    stackRuns({ ...head, BlueCapacity: '0' }, env.clock.now());
    expect((await runCommand('record-retirement', { environment: 'dev' }, env.ctx)).outputs).toMatchObject({ outcome: 'pushed' });
    const log = env.origin.git('log', '--oneline', 'main');
    // The same job run again (or a queued one): git already says it, so nothing is updated or committed.
    expect((await runCommand('check-retirement', { environment: 'dev', 'wait-seconds': '900' }, env.ctx)).outputs).toMatchObject({ verdict: 'none', retire: false, record: false });
    expect((await runCommand('record-retirement', { environment: 'dev' }, env.ctx)).outputs).toMatchObject({ outcome: 'unchanged' });
    expect(env.origin.git('log', '--oneline', 'main')).toBe(log);
    await expectGitEqualsStack();
  },
  async F109() {
    const head = await deployedPatch(3_600_000);
    stackRuns({ ...head, LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' }, env.clock.now() - 3_600_000);
    const result = await runCommand('check-retirement', { environment: 'dev' }, env.ctx);
    expect(result.outputs).toMatchObject({ verdict: 'moved', 'failed-in-window': false, 'stack-ami-id': AMI(1) });
    expect(result.failure).toMatch(/the stack moved since parameters\/dev\.json at HEAD: patch-dev-app has LiveSlot "blue" \(git: "green"\).*Nothing was changed/);
  },
  async F110() {
    const head = await deployedPatch(3_600_000);
    stackRuns({ ...head, BlueCapacity: '0' }, env.clock.now());
    const result = await runCommand('check-retirement', { environment: 'dev' }, env.ctx);
    expect(result.outputs).toMatchObject({ verdict: 'record', retire: false, record: true });
    expect(result.failure).toBeUndefined();
    expect((await runCommand('record-retirement', { environment: 'dev' }, env.ctx)).outputs).toMatchObject({ outcome: 'pushed' });
    await expectGitEqualsStack();
  },
  async F111() {
    const head = await deployedPatch(3_600_000);
    stackRuns({ ...head, BlueCapacity: '0' }, env.clock.now());
    // Someone else's merge lands on main after this job checked out.
    const other = createGitFixture({ cloneFrom: env.origin.dir });
    other.commit('Patch dev: ami 3', { [FILE]: slotsJson({ ...head, LiveSlot: 'blue', BlueAmazonMachineImage: AMI(3), BlueWeight: '100', GreenWeight: '0' }) });
    other.git('push', '--quiet', 'origin', 'HEAD:main');
    const tip = originFile();
    const result = await runCommand('record-retirement', { environment: 'dev' }, env.ctx);
    expect(result.outputs).toMatchObject({ outcome: 'superseded' });
    expect(originFile()).toBe(tip);
    expect(env.logger.text()).toMatch(/The retirement of blue is not in git: .*The next deploy of parameters\/dev\.json sets what the stack runs/);
    other.remove();
  },
  async F113() {
    const { report } = await bakeStepsThenReport(async (head, steps) => {
      stackRuns({ ...head, BlueCapacity: '0' }, env.clock.now());
      steps.retire = { outcome: 'success' };
      const record = await runCommand('record-retirement', { environment: 'dev' }, env.ctx);
      steps['record-retirement'] = { outcome: 'success', outputs: stringOutputs(record.outputs) };
      steps['retire-verify'] = { outcome: 'failure' };
    });
    // The record runs before the verification, so git says capacity 0 whatever the verification finds.
    const order = DEPLOY_STEPS.map((s) => s.id);
    expect(order.indexOf('record-retirement')).toBe(order.indexOf('retire') + 1);
    expect(order.indexOf('retire-verify')).toBe(order.indexOf('record-retirement') + 1);
    await expectGitEqualsStack();
    // No automatic failback for it: prepare-failback looks at the deploy's verification and the window's alarms only.
    expect(stepIf('prepare-failback')).not.toContain('retire-verify');
    expect(report.outputs.ok).toBe(false);
    expect(report.outputs.headline).toMatch(
      new RegExp(`^The bake window ended quiet: blue \\(${AMI(1)}\\) is scaled to zero, but green \\(${AMI(2)}\\) FAILED verification after the retirement: investigate now\\. With blue at zero a failback scales it up, proves it, then flips \\(the Failback workflow\\)\\. Git records it: [0-9a-f]{12} `),
    );
    expect(report.failure).toBe(report.outputs.headline);
    expect(report.summary).toContain('| Verification after the retirement | ❌ failure |');
  },
  async F114() {
    const { head, report } = await bakeStepsThenReport(async (parameters, steps) => {
      stackRuns({ ...parameters, BlueCapacity: '0' }, env.clock.now());
      steps.retire = { outcome: 'success' };
      // The origin refuses every push (a ruleset, a revoked token): the record fails after the update.
      env.work.git('remote', 'set-url', '--push', 'origin', join(env.work.dir, 'no-such-remote.git'));
      const record = await runCommand('record-retirement', { environment: 'dev' }, env.ctx);
      expect(record.outputs).toMatchObject({ outcome: 'failed', slot: 'blue' });
      expect(record.failure).toMatch(/The stack has blue at capacity 0 already: a re-run of this job \(or the next scheduled Retire old slots run\) records it\./);
      steps['record-retirement'] = { outcome: 'failure', outputs: stringOutputs(record.outputs) };
      steps['retire-verify'] = { outcome: 'success' };
    });
    // The verification after the retirement runs even though the record failed.
    expect(stepIf('retire-verify')).toBe("${{ !cancelled() && steps.retire.outcome == 'success' }}");
    expect(parametersOf(originFile())).toEqual(head);
    expect(report.outputs.ok).toBe(false);
    expect(report.outputs.headline).toMatch(
      /^The bake window ended quiet: blue \([^)]+\) is scaled to zero, and green \([^)]+\) stays live, verified healthy again after the retirement\. Git does NOT record it yet \(see the "Record the retirement" step\): the stack has blue at capacity 0 while git names it warm; the next Retire old slots run records it \(or now: gh run rerun 42 --failed\)\./,
    );
    expect(report.summary).toContain('| Retirement record | ❌ failed (see the "Record the retirement" step) |');
  },
  async F115() {
    const { head, report } = await bakeStepsThenReport(async (parameters, steps) => {
      // CloudFormation rolled the capacity update back: the stack runs HEAD again.
      stackRuns(parameters, env.clock.now());
      steps.retire = { outcome: 'failure' };
    });
    // Neither the record nor the verification after it follows a failed update.
    expect(stepIf('record-retirement')).toContain("steps.retire.outcome != 'failure'");
    expect(stepIf('retire-verify')).toContain("steps.retire.outcome == 'success'");
    expect(parametersOf(originFile())).toEqual(head);
    await expectGitEqualsStack();
    expect(report.outputs.ok).toBe(false);
    expect(report.outputs.headline).toBe(
      `The bake window ended quiet, but scaling blue (${AMI(1)}) to zero FAILED (see the "Retire the old slot" step): green (${AMI(2)}) stays live, and the next run judges the window again (the next Retire old slots run, or now: gh run rerun 42 --failed). ` +
        `Deployed ${AMI(2)} to dev in place of ${AMI(1)}; the fleet verified healthy through the load balancer.`,
    );
  },
  async F140() {
    // The window ends in 240 s and the job waits up to 900 s. The second read of the stack is
    // accepted and never answered (an hour of virtual time passes unless the call is aborted):
    // only the wait's own deadline, handed to the call, can end it.
    await deployedPatch(60_000);
    const before = workFile();
    const started = env.clock.now();
    const aws = env.ctx.aws;
    let stackReads = 0;
    env.ctx.aws = (region) => {
      const clients = aws(region);
      const send = clients.cloudFormation.send.bind(clients.cloudFormation) as (command: unknown, options?: unknown) => Promise<unknown>;
      const silent = {
        send(command: unknown, options?: { abortSignal?: AbortSignal }) {
          if (!(command instanceof DescribeStacksCommand) || ++stackReads !== 2) return send(command, options);
          const signal = options?.abortSignal;
          return new Promise((resolve, reject) => {
            signal?.addEventListener('abort', () => reject(signal.reason));
            void (async () => {
              for (let waited = 0; waited < 3_600_000 && !signal?.aborted; waited += 1000) await env.clock.sleep(1000);
              if (!signal?.aborted) resolve(await send(command));
            })();
          });
        },
      };
      return { ...clients, cloudFormation: silent as unknown as typeof clients.cloudFormation };
    };
    const result = await runCommand('check-retirement', { environment: 'dev', 'wait-seconds': '900' }, env.ctx);
    expect(stackReads).toBe(2);
    // Ended at its deadline (wait-seconds plus two polls), not an hour later.
    expect(env.clock.now() - started).toBeLessThanOrEqual(900_000 + 30_000 + 1000);
    expect(result.outputs).toMatchObject({ verdict: 'refuse', retire: false, record: false, 'failed-in-window': false, slot: 'blue', 'retired-ami-id': AMI(1) });
    expect(result.failure).toMatch(
      new RegExp(
        `^Bake window of dev NOT ended: the window could not be judged to its end: Timed out after 93\\d s waiting for the bake window of dev to end \\(last seen: .*; last error: .*\\)\\. ` +
          `Nothing was changed: blue stays warm on ${AMI(1)}; a re-run of this job, or the next scheduled Retire old slots run, judges it again\\.$`,
      ),
    );
    expect(workFile()).toBe(before);
    await expectGitEqualsStack();
  },
  async F142() {
    const head = await deployedPatch(3_600_000);
    // After the deploy verified, someone flipped users back to blue by hand: the stack runs AMI 1 live, git names AMI 2.
    stackRuns({ ...head, LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' }, env.clock.now() - 3_600_000);
    const fileCommit = env.work.git('log', '-1', '--format=%H', 'HEAD', '--', FILE).trim();
    const bake = await runCommand('check-retirement', { environment: 'dev', 'wait-seconds': '900' }, env.ctx);
    expect(bake.outputs).toMatchObject({ verdict: 'moved', retire: false, record: false, 'failed-in-window': false, 'stack-ami-id': AMI(1) });
    expect(bake.failure).toBe(
      'Bake window of dev NOT ended: the stack moved since parameters/dev.json at HEAD: patch-dev-app has LiveSlot "blue" (git: "green"), BlueWeight "100" (git: "0"), GreenWeight "0" (git: "100"), so git does not say what runs. ' +
        `Nothing was changed by this run. Git makes ${AMI(2)} live while the stack's live slot runs ${AMI(1)}. ` +
        `To keep what runs, this one command records ${AMI(1)} in git through the Failback workflow (its pre-flight checks the AMI first): gh workflow run failback.yml --ref main -f environment=dev -f target-ami=${AMI(1)} -f reason='record what dev runs: its stack moved from ${AMI(2)}'. ` +
        `To put git's ${AMI(2)} back instead, re-run the Deploy of parameters/dev.json's last commit: gh run rerun $(gh run list --workflow deploy.yml --commit ${fileCommit} --limit 1 --json databaseId --jq '.[0].databaseId')`,
    );
    expectGitSaysWhatRuns({ gitAmi: AMI(2), runningAmi: AMI(1), failed: true, said: [bake.failure!] }, 'failed loudly');
    // The step's summary says the same with the AMIs and both commands as code spans, nothing bare.
    expect(leadOf(bake.summary!).lead).toContain(
      `Git makes \`${AMI(2)}\` live while the stack's live slot runs \`${AMI(1)}\`. To keep what runs, this one command records \`${AMI(1)}\` in git through the Failback workflow (its pre-flight checks the AMI first): ` +
        `\`gh workflow run failback.yml --ref main -f environment=dev -f target-ami=${AMI(1)} -f reason='record what dev runs: its stack moved from ${AMI(2)}'\`. `,
    );
    expect(leadOf(bake.summary!).lead.replace(/`[^`]*`/g, '')).not.toMatch(/ami-[0-9a-f]{8}/);
    // The deploy job's report leads with it, in one statement: both AMIs and the command.
    const report = await reportAfterBake(bake, AMI(2), AMI(1));
    expect(report.outputs.ok).toBe(false);
    expect(report.outputs.headline).toBe(
      `The bake window was NOT ended: the stack moved since HEAD (see the bake step), so nothing was retired. Git makes ${AMI(2)} live while the stack's live slot runs ${AMI(1)}: ` +
        `this one command records ${AMI(1)} in git through the Failback workflow (its pre-flight checks the AMI first): gh workflow run failback.yml --ref main -f environment=dev -f target-ami=${AMI(1)} -f reason='record what dev runs: its stack moved from ${AMI(2)}'. ` +
        `To put ${AMI(2)} back instead, re-run the job, which deploys HEAD (gh run rerun 42 --failed). Deployed ${AMI(2)} to dev in place of ${AMI(1)}; the fleet verified healthy through the load balancer.`,
    );
    expectGitSaysWhatRuns({ gitAmi: AMI(2), runningAmi: AMI(1), failed: true, said: [String(report.outputs.headline)] }, 'failed loudly');
    expect(report.summary).toContain(`| Bake window | ❌ not ended: the stack moved since HEAD (its live slot runs \`${AMI(1)}\`); nothing retired |`);
    expect(parametersOf(originFile())).toEqual(head);
  },
  async F143() {
    await deployedPatch(3_600_000);
    await runCommand('record-failback', { environment: 'dev', 'target-ami': AMI(1), reason: 'p99 doubled', 'requested-by': 'octocat' }, env.ctx);
    stackRuns(parametersOf(originFile()), env.clock.now() - 3_000_000);
    const bake = await runCommand('check-retirement', { environment: 'dev', 'wait-seconds': '900' }, env.ctx);
    expect(bake.failure).toBeUndefined();
    expect(bake.outputs).toMatchObject({ verdict: 'kept', retire: false, slot: 'green', 'retired-ami-id': AMI(2) });
    const patchForward = 'gh workflow run patch-pr.yml --ref main -f environment=dev';
    expect(env.logger.text()).toMatch(
      new RegExp(
        `dev: blue went live on ${AMI(1)} by a failback \\(commit [0-9a-f]{12}, "[^"]+"\\), so green keeps ${AMI(2)}, the AMI users left, for a look; git and the stack agree\\. .*` +
          `This one command patches forward \\(it bakes a new AMI and opens its patch PR, whose deploy puts it into green in place of ${AMI(2)}\\): ${patchForward.replace(/\./g, '\\.')}\\.`,
      ),
    );
    const report = await reportAfterBake(bake, AMI(1), AMI(2));
    expect(report.outputs.ok).toBe(true);
    expect(report.outputs.headline).toContain(
      `Green keeps (${AMI(2)}) for a look and is not retired: blue (${AMI(1)}) went live by a failback, and git and the stack agree. ` +
        `No retirement after a failure: this one command patches forward (it bakes a new AMI and opens its patch PR, whose deploy puts it into green): ${patchForward}`,
    );
    await expectGitEqualsStack();
  },
};

describeCatalogueRows('the bake window rows of the fault catalogue (unit: real git, mocked CloudFormation and CloudWatch)', 'retire-commands.test.ts', IMPLEMENTATIONS);
