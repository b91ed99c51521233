/**
 * Strategy replace verifies green inside the rollback-trigger window, while blue still exists:
 * the real bundled update-app-stack, as a runner runs it, against moto (with the launcher's
 * monitoring-window patch, docs/moto.md #22) and the local data plane, while a load generator plays
 * the users. A spoiled AMI fails its verification inside the window, the update is cancelled and
 * CloudFormation rolls back to blue, whose group and instances never changed; a good AMI is
 * verified in the window and the update completes, blue deleted only after it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeStackEventsCommand, DescribeStackResourceCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

import { systemClock } from '../../actions/lib/clock';
import { poll } from '../../actions/lib/poll';
import { startDataPlane, type DataPlane } from '../../local/data-plane';
import { LoadGenerator } from '../../local/data-plane/load-generator';
import { LOCAL_PIPELINE_ARN } from '../../local/env';
import { runBundledAction } from '../../local/run-action';
import { replaceDevParameters } from '../support/replace-environment';
import { buildLocalAmi, deployAppFoundation, deregisterTerminatedTargetsMeanwhile, localBaseAmi, localClients, localEndpoints, localEnv, standin, useLocalAws, type AppFoundation } from './harness';

useLocalAws();

const STACK = 'patch-dev-app';
const scratch = mkdtempSync(join(tmpdir(), 'replace-window-'));
console.log(`replace-window: step logs in ${scratch}`);

/** The only failures tolerated: a request the load generator cut off after its timeout (php on a busy two-core machine). */
const MACHINE_LOAD = /^timed out after \d+ ms$/;

let dataPlane: DataPlane;
let url: string;
let foundation: AppFoundation;

const until = async <T>(description: string, check: () => Promise<T>, isDone: (value: T) => boolean) =>
  (await poll({ description, check, isDone, clock: systemClock, timeoutMs: 30_000, schedule: { firstDelayMs: 100, steadyMs: 200 } })).observation;

const buildAmi = (options: { spoil?: boolean } = {}) => buildLocalAmi(LOCAL_PIPELINE_ARN, options);

/** The stack's group now (its name) and that group's instances. */
async function appGroup(): Promise<{ name: string; instances: string[] }> {
  const { cloudFormation, autoScaling } = localClients();
  const { StackResourceDetail } = await cloudFormation.send(new DescribeStackResourceCommand({ StackName: STACK, LogicalResourceId: 'AppAutoScalingGroup' }));
  const name = StackResourceDetail!.PhysicalResourceId!;
  const { AutoScalingGroups = [] } = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return { name, instances: (AutoScalingGroups[0]?.Instances ?? []).map((i) => i.InstanceId!).sort() };
}

async function groupExists(name: string): Promise<boolean> {
  const { AutoScalingGroups = [] } = await localClients().autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return AutoScalingGroups.length > 0;
}

async function stackAmi(): Promise<string | undefined> {
  const stack = (await localClients().cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0];
  return stack.Parameters?.find((p) => p.ParameterKey === 'AmazonMachineImage')?.ParameterValue;
}

/**
 * The deploy job's update step for a replace environment: the verify inputs deploy-environment.yml
 * passes, a two-minute window. The watch samples once a second through the listener, which sends
 * each request to blue or green in turn among everyone else's: a 3 s watch got all its samples from
 * blue about one run in eight ("None of the 0 HTTP samples"), so green was never judged. Ten samples
 * make that about one in a thousand, and a 10 s watch needs a two-minute window
 * (planWindowVerification: the watch, the cancel margin and the wait for healthy targets).
 */
async function deploy(ami: string) {
  const file = join(scratch, `dev-${ami}.json`);
  writeFileSync(file, replaceDevParameters(ami));
  const users = new LoadGenerator({ url, ratePerSecond: 20, maxSeconds: 300 });
  users.start();
  const from = Date.now();
  const run = await runBundledAction(
    'update-app-stack',
    { 'stack-name': STACK, 'parameters-file': file, template: 'templates/app.yaml', 'rollback-monitoring-minutes': '2', 'timeout-minutes': '5', 'verify-url': url, 'verify-seconds': '10' },
    { ...localEnv(), AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: dataPlane.elbv2Endpoint },
    { timeoutMs: 300_000 },
  );
  const to = Date.now();
  // A few seconds of users after the step, on whatever it left serving; the first second is the
  // data plane's own lag (it follows moto by polling) in stopping a deleted group's instances.
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  await users.stop();
  writeFileSync(join(scratch, `${ami}.log`), run.stdout);
  // The window ends where the cleanup starts: moto then deletes blue's group and its instances at
  // once, cutting off requests in flight to them (docs/moto.md #6: no deregistration, no draining;
  // on AWS the group deregisters them and they drain first), so that instant is not judged.
  const events = (await localClients().cloudFormation.send(new DescribeStackEventsCommand({ StackName: STACK }))).StackEvents ?? [];
  // A stack's own events carry stack statuses, which the SDK's ResourceStatus type does not list.
  const cleanup = events.find((e) => (e.ResourceStatus as string | undefined) === 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS' && (e.Timestamp?.getTime() ?? 0) >= from)?.Timestamp?.getTime();
  return { run, during: users.window(from, cleanup ?? to), after: users.window(to + 1_000, Date.now()) };
}

beforeAll(async () => {
  await standin.registerPipeline(LOCAL_PIPELINE_ARN);
  foundation = await deployAppFoundation({ ami: await localBaseAmi() });
  dataPlane = await startDataPlane({ motoEndpoint: localEndpoints().moto, imageBuilderEndpoint: localEndpoints().imageBuilder, timeScale: 10, syncMs: 200 });
  url = await until('the listener', async () => dataPlane.listenerUrl(foundation.app.outputs.LoadBalancerDnsName) ?? '', (u) => u !== '');
  await until('blue serving', async () => (await fetch(`${url}/details.json`).catch(() => ({ status: 0 }))).status, (status) => status === 200);
}, 120_000);
afterAll(() => dataPlane?.stop());

describe('update-app-stack (bundle), strategy replace: green verified inside the rollback-trigger window', () => {
  it('a spoiled AMI fails there: the update is cancelled, CloudFormation rolls back to blue, blue never stopped serving', async () => {
    const badAmi = await buildAmi({ spoil: true });
    const blue = await appGroup();
    const { run, during, after } = await deploy(badAmi);

    expect(run.exitCode).toBe(1);
    const error = run.annotations.filter((a) => a.level === 'error').pop()?.message ?? run.stdout;
    expect(error).toContain(`Update of stack ${STACK} cancelled: green (${badAmi}) failed verification inside the rollback-trigger window, while blue (${foundation.ami}) still served`);
    expect(error).toMatch(/HTTP error rate 100 %/);
    expect(run.stdout).toContain(`Cancelled the update of ${STACK} (CancelUpdateStack): CloudFormation rolls back to blue (${blue.name})`);
    expect(run.stdout).toMatch(/patch-dev-app \(stack\)\s+UPDATE_ROLLBACK_COMPLETE/);
    expect(run.outputs).toMatchObject({ 'stack-status': 'UPDATE_ROLLBACK_COMPLETE', 'previous-ami-id': foundation.ami, 'ami-id': foundation.ami, 'failed-step': 'window', 'flipped-back-to': 'blue' });
    // Blue is what it was: the same group and the same instances, not a second replacement.
    expect(await stackAmi()).toBe(foundation.ami);
    expect(await appGroup()).toEqual(blue);
    // Users: the spoiled AMI shared the target group with blue until the cancel; after it only blue answered.
    expect(during.byAmi.map((a) => a.amiId)).toContain(foundation.ami);
    expect(after.byAmi.map((a) => a.amiId)).toEqual([foundation.ami]);
    expect(Object.keys(after.failures).filter((kind) => !MACHINE_LOAD.test(kind))).toEqual([]);
  }, 420_000);

  it('a good AMI passes there: the update completes and blue is deleted only after the window', async () => {
    const goodAmi = await buildAmi();
    const blue = await appGroup();
    const stopFixUp = deregisterTerminatedTargetsMeanwhile(STACK);
    try {
      const { run, during, after } = await deploy(goodAmi);

      expect({ exit: run.exitCode, out: run.exitCode ? run.stdout.slice(-3000) : '' }).toEqual({ exit: 0, out: '' });
      expect(run.stdout).toContain(`Green (${goodAmi}) verified while blue (${blue.name}) still exists`);
      expect(run.stdout).toMatch(/patch-dev-app \(stack\)\s+UPDATE_COMPLETE_CLEANUP_IN_PROGRESS/);
      expect(run.outputs).toMatchObject({ 'stack-status': 'UPDATE_COMPLETE', 'previous-ami-id': foundation.ami, 'ami-id': goodAmi, 'failed-step': '' });
      expect(await stackAmi()).toBe(goodAmi);
      expect(await groupExists(blue.name)).toBe(false);
      // Users met both AMIs inside the window (blue until the cleanup) and no request failed there but those the machine's load timed out.
      expect(during.byAmi.map((a) => a.amiId).sort()).toEqual([foundation.ami, goodAmi].sort());
      expect(Object.keys(during.failures).filter((kind) => !MACHINE_LOAD.test(kind))).toEqual([]);
      expect(after.byAmi.map((a) => a.amiId)).toEqual([goodAmi]);
    } finally {
      await stopFixUp();
    }
  }, 420_000);
});
