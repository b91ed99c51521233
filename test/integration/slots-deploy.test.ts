/**
 * The slots deploy through the real bundled update-app-stack, as a runner runs it, against moto
 * (with the launcher's ForwardConfig patch) and the local data plane, while a load generator plays
 * the users: a patch goes stage → prove (through the slot header) → canary → switch with the
 * canary share visible in the users' counts; a spoiled AMI fails its own verification before any
 * user reaches it, traffic stays on the live slot, and the step fails naming the cause and what
 * the stack runs. Zero failed user requests is not claimed on moto (see the first test).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetImageCommand, StartImagePipelineExecutionCommand } from '@aws-sdk/client-imagebuilder';

import { systemClock } from '../../actions/lib/clock';
import { poll } from '../../actions/lib/poll';
import { startDataPlane, type DataPlane } from '../../local/data-plane';
import { LoadGenerator } from '../../local/data-plane/load-generator';
import { LOCAL_PIPELINE_ARN, REPO_ROOT } from '../../local/env';
import { runBundledAction } from '../../local/run-action';
import { deployStack, localBaseAmi, localClients, localEndpoints, localEnv, standin, useLocalAws } from './harness';

useLocalAws();

const STACK = 'patch-dev-app';
const fixture = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/slots/dev.json'), 'utf8')) as { Parameters: Record<string, string>; Tags: Record<string, string> };
const scratch = mkdtempSync(join(tmpdir(), 'slots-deploy-'));
console.log(`slots-deploy: step logs in ${scratch}`);

/** What users meet while moto rebuilds the live slot's group (see the first test): never an instance's own answer. */
const MOTO_REPLACEMENT_GAP = /^(HTTP 50[23] from the load balancer|timed out after \d+ ms)$/;

let dataPlane: DataPlane;
let url: string;
let baseAmi: string;
let outputs: Record<string, string>;

const until = async <T>(description: string, check: () => Promise<T>, isDone: (value: T) => boolean) =>
  (await poll({ description, check, isDone, clock: systemClock, timeoutMs: 30_000, schedule: { firstDelayMs: 100, steadyMs: 200 } })).observation;

async function buildAmi(options: { spoil?: boolean } = {}): Promise<string> {
  const { imageBuilder } = localClients();
  await standin.configure({ buildSeconds: 0, spoilNext: options.spoil ?? false });
  const { imageBuildVersionArn } = await imageBuilder.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: LOCAL_PIPELINE_ARN }));
  const image = await until('the build', async () => (await imageBuilder.send(new GetImageCommand({ imageBuildVersionArn }))).image, (i) => i?.state?.status === 'AVAILABLE');
  return image!.outputResources!.amis![0].image!;
}

async function stackParameters(): Promise<Record<string, string>> {
  const stack = (await localClients().cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0];
  return Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey!, p.ParameterValue!]));
}

/** HEAD's parameters file, written like a commit would leave it. */
function headFile(name: string, parameters: Record<string, string>): string {
  const file = join(scratch, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ Parameters: parameters, Tags: fixture.Tags }, null, 2)}\n`);
  return file;
}

/**
 * moto fix-up (docs/moto.md #6, #12): moto replaces a slot's group on changes AWS applies in place,
 * and leaves the old group's terminated instances registered, which verify-alb rightly refuses. On
 * AWS the Auto Scaling group deregisters them itself; here a loop does it for the duration of a run.
 */
function deregisterTerminatedTargets(targetGroups: string[]): () => Promise<void> {
  const { elbv2, ec2 } = localClients();
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const TargetGroupArn of targetGroups) {
        const targets = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn }))).TargetHealthDescriptions ?? [];
        const ids = targets.map((t) => t.Target!.Id!);
        if (ids.length === 0) continue;
        const reservations = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations ?? [];
        const gone = reservations.flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name !== 'running').map((i) => ({ Id: i.InstanceId! }));
        if (gone.length > 0) await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn, Targets: gone }));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

async function deploy(file: string, extra: Record<string, string> = {}) {
  const users = new LoadGenerator({ url, ratePerSecond: 20, maxSeconds: 120 });
  const stopFixUp = deregisterTerminatedTargets([outputs.BlueTargetGroupArn, outputs.GreenTargetGroupArn]);
  users.start();
  const from = Date.now();
  const run = await runBundledAction(
    'update-app-stack',
    { 'stack-name': STACK, 'parameters-file': file, template: 'templates/app-slots.yaml', 'verify-url': url, 'verify-seconds': '2', 'canary-weight': '25', 'canary-seconds': '4', ...extra },
    { ...localEnv(), AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: dataPlane.elbv2Endpoint },
    { timeoutMs: 180_000 },
  );
  await users.stop();
  await stopFixUp();
  writeFileSync(join(scratch, `${file.split('/').pop()}.log`), run.stdout);
  return { run, traffic: users.window(from, Date.now()) };
}

beforeAll(async () => {
  await standin.registerPipeline(LOCAL_PIPELINE_ARN);
  baseAmi = await localBaseAmi();
  await deployStack('patch-dev-network', 'templates/network.yaml', {});
  ({ outputs } = await deployStack(STACK, 'templates/app-slots.yaml', { ...fixture.Parameters, BlueAmazonMachineImage: baseAmi, GreenAmazonMachineImage: baseAmi }, fixture.Tags));
  dataPlane = await startDataPlane({ motoEndpoint: localEndpoints().moto, imageBuilderEndpoint: localEndpoints().imageBuilder, timeScale: 10, syncMs: 200 });
  url = await until('the slots listener', async () => dataPlane.listenerUrl(outputs.LoadBalancerDnsName) ?? '', (u) => u !== '');
  await until('blue serving', async () => (await fetch(`${url}/details.json`)).status, (status) => status === 200);
});
afterAll(() => dataPlane?.stop());

describe('update-app-stack (bundle) with templates/app-slots.yaml', () => {
  let patchAmi: string;

  it('deploys a patch in steps: green proven through its header, a canary share users saw, then all traffic', async () => {
    patchAmi = await buildAmi();
    const head = { ...fixture.Parameters, BlueAmazonMachineImage: baseAmi, LiveSlot: 'green', GreenAmazonMachineImage: patchAmi, GreenCapacity: '2', GreenWeight: '100', BlueWeight: '0' };
    const { run, traffic } = await deploy(headFile('patch', head));

    expect({ exit: run.exitCode, stderr: run.exitCode ? run.stdout.slice(-3000) : '' }).toEqual({ exit: 0, stderr: '' });
    expect(run.outputs).toMatchObject({ changed: 'true', 'previous-ami-id': baseAmi, 'ami-id': patchAmi });
    expect(run.outputs['changes-markdown']).toMatch(/\*\*stage\*\*.*\n.*\*\*prove\*\*.*through the slot header.*\n.*\*\*canary\*\*: green at 25 %.*\n.*\*\*switch\*\*/);
    expect(await stackParameters()).toMatchObject(head);
    // What users saw: the new AMI answered them (the canary share, then all). Not claimed here: zero
    // failed requests. moto's ExecuteChangeSet replaces the slot groups on the weight steps (AWS
    // changes only the listener), deleting the live group before its replacement exists, so users
    // meet an empty or dying target group for a moment (docs/moto.md #12): only those answers of
    // the load balancer (and a user's request cut off by it: the generator's timeout) are
    // tolerated, nothing an instance answered.
    expect(Object.keys(traffic.failures).filter((kind) => !MOTO_REPLACEMENT_GAP.test(kind))).toEqual([]);
    const served = Object.fromEntries(traffic.byAmi.map((a) => [a.amiId, a.requests]));
    expect(served[baseAmi]).toBeGreaterThan(0);
    expect(served[patchAmi]).toBeGreaterThan(0);
  }, 300_000);

  it('a spoiled AMI fails on its own target group: traffic stays on green, the step fails naming the cause and what runs', async () => {
    const badAmi = await buildAmi({ spoil: true });
    const before = await stackParameters();
    const head = { ...before, LiveSlot: 'blue', BlueAmazonMachineImage: badAmi, BlueCapacity: '2', BlueWeight: '100', GreenWeight: '0' };
    const { run, traffic } = await deploy(headFile('bad', head));

    expect(run.exitCode).toBe(1);
    const error = run.annotations.filter((a) => a.level === 'error').pop()?.message ?? run.stdout;
    expect(error).toMatch(/blue did not pass on its own target group: .*HTTP error rate 100 %/);
    expect(error).toMatch(new RegExp(`Traffic is back on green \\(${patchAmi}\\); green proven again`));
    expect(run.outputs).toMatchObject({ 'previous-ami-id': patchAmi, 'ami-id': patchAmi });
    expect(await stackParameters()).toMatchObject({ LiveSlot: 'green', GreenWeight: '100', BlueWeight: '0', BlueAmazonMachineImage: badAmi });
    // No user ever reached the spoiled AMI: its weight never left 0. (The load balancer's own 502/503s
    // while moto replaces the live group are moto's, as above.)
    expect(traffic.byAmi.map((a) => a.amiId)).toEqual([patchAmi]);
    expect(Object.keys(traffic.failures).filter((kind) => !MOTO_REPLACEMENT_GAP.test(kind))).toEqual([]);
  }, 300_000);
});
