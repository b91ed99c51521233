/**
 * The git story of strategy `slots` through the gitops commands the workflows run (real git, a bare
 * origin, mocked AWS): the patch PR switches to the idle slot, a failback inside the bake window is
 * one commit "live: the other slot", and after a flipped-back deploy git records the stack's slots.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseMetadataBlock } from '../../../../actions/lib/gitops/commit-metadata';
import { runCommand } from './gitops-context';
import { AMI, setupSlotsRepo, SLOTS_FILE, slotsJson } from './slots-repo-fixture';

const cfn = mockClient(CloudFormationClient);
const ec2 = mockClient(EC2Client);
const FILE = SLOTS_FILE;

const setup = setupSlotsRepo;

let env: ReturnType<typeof setup>;
const workFile = () => readFileSync(join(env.work.dir, FILE), 'utf8');
/** The changed Parameters lines between two revisions, as "Key: before → after". */
function diff(from: string, to: string): string[] {
  const value = (text: string) => Object.fromEntries([...text.matchAll(/^ {4}"([^"]+)": "([^"]*)"/gm)].map((m) => [m[1], m[2]]));
  const a = value(from);
  const b = value(to);
  return Object.keys(a).filter((k) => a[k] !== b[k]).map((k) => `${k}: ${a[k]} → ${b[k]}`);
}
const stackWith = (parameters: Record<string, string>) =>
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: 'patch-dev-app', StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/patch-dev-app/1', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0), Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })) }],
  });
const parametersOf = (text: string) => (JSON.parse(text) as { Parameters: Record<string, string> }).Parameters;

beforeEach(() => {
  cfn.reset();
  ec2.reset();
  // The failback pre-flight: the stack's account, and every AMI available in it.
  stackWith(parametersOf(slotsJson({})));
  ec2.on(DescribeImagesCommand).callsFake(({ ImageIds }: { ImageIds: string[] }) => ({
    Images: [{ ImageId: ImageIds[0], OwnerId: '123456789012', State: 'available', Name: 'n', CreationDate: 'c', DeregistrationProtection: 'enabled' }],
  }));
  env = setup();
});
afterEach(() => env.remove());

/** set-ami as the patch PR runs it, then the merge (a commit on main, pushed). */
async function patchAndMerge(ami: string): Promise<string> {
  const before = workFile();
  const set = await runCommand('set-ami', { 'ami-id': ami }, env.ctx);
  expect(set.outputs).toMatchObject({ changed: true, 'ami-id': ami });
  env.work.git('commit', '--quiet', '-am', `Patch dev: ${ami}`);
  env.work.git('push', '--quiet', 'origin', 'HEAD:main');
  return before;
}

describe('gitops commands on a slots parameters file', () => {
  it('set-ami: the new AMI goes to the idle slot, which becomes live; the old slot stays warm; previous-ami-id is the live AMI', async () => {
    const before = workFile();
    const set = await runCommand('set-ami', { 'ami-id': AMI(2) }, env.ctx);
    expect(set.outputs).toEqual({ changed: true, 'previous-ami-id': AMI(1), 'ami-id': AMI(2), 'parameters-file': FILE });
    expect(diff(before, workFile())).toEqual(['LiveSlot: blue → green', 'BlueWeight: 100 → 0', `GreenAmazonMachineImage: ${AMI(1)} → ${AMI(2)}`, 'GreenCapacity: 0 → 2', 'GreenWeight: 0 → 100']);
    expect(env.logger.text()).toContain(`${FILE}: ${AMI(1)} → ${AMI(2)} (LiveSlot = green, GreenAmazonMachineImage = ${AMI(2)}, GreenCapacity = 2, GreenWeight = 100, BlueWeight = 0).`);
  });

  it('compose-patch-pr after set-ami: the metadata names the switch\'s lines, not AmazonMachineImage', async () => {
    await runCommand('set-ami', { 'ami-id': AMI(2) }, env.ctx);
    const composed = await runCommand('compose-patch-pr', { 'previous-ami-id': AMI(1), 'ami-id': AMI(2) }, env.ctx);
    expect(parseMetadataBlock(String(composed.outputs['commit-message']))?.[0]).toMatchObject({
      'update-type': 'patch',
      parameter: 'LiveSlot, BlueWeight, GreenAmazonMachineImage, GreenCapacity, GreenWeight',
      'previous-ami-id': AMI(1),
      'ami-id': AMI(2),
    });
  });

  it('resolve-environment names the live slot\'s AMI; resolve-failback picks the AMI before it from git history', async () => {
    await patchAndMerge(AMI(2));
    expect((await runCommand('resolve-environment', { environment: 'dev' }, env.ctx)).outputs['ami-id']).toBe(AMI(2));
    expect((await runCommand('resolve-failback', { environment: 'dev', reason: 'p99 doubled' }, env.ctx)).outputs).toMatchObject({ 'current-ami-id': AMI(2), 'target-ami-id': AMI(1) });
  });

  it('record-failback inside the bake window: one commit that names the other slot live and swaps the weights, nothing else', async () => {
    await patchAndMerge(AMI(2));
    const head = env.work.git('show', `main:${FILE}`);
    const result = await runCommand('record-failback', { environment: 'dev', 'target-ami': AMI(1), reason: 'p99 doubled', 'requested-by': 'octocat' }, env.ctx);
    expect(result.outputs).toMatchObject({ outcome: 'pushed', 'replaced-ami-id': AMI(2) });
    const recorded = env.origin.git('show', `main:${FILE}`);
    expect(diff(head, recorded)).toEqual(['LiveSlot: green → blue', 'BlueWeight: 0 → 100', 'GreenWeight: 100 → 0']);
    expect(parseMetadataBlock(env.origin.git('log', '-1', '--format=%B', 'main'))?.[0]).toMatchObject({ 'update-type': 'failback', 'previous-ami-id': AMI(2), 'ami-id': AMI(1) });
    // The metadata names what the commit changed: a weight flip, not an AMI line.
    expect(parseMetadataBlock(env.origin.git('log', '-1', '--format=%B', 'main'))?.[0].parameter).toBe('LiveSlot, BlueWeight, GreenWeight');
  });

  it('prepare-failback after a failed verification flips the working tree back (no commit)', async () => {
    await patchAndMerge(AMI(2));
    const head = workFile();
    expect((await runCommand('prepare-failback', { environment: 'dev', 'previous-ami-id': AMI(1) }, env.ctx)).outputs).toMatchObject({ 'ami-id': AMI(1) });
    expect(diff(head, workFile())).toEqual(['LiveSlot: green → blue', 'BlueWeight: 0 → 100', 'GreenWeight: 100 → 0']);
    expect(env.origin.git('log', '--oneline', 'main').trim().split('\n')).toHaveLength(2);
  });

  it("sync-from-stack after update-app-stack flipped back: records the stack's slots (blue live, the staged AMI idle) as an auto-failback", async () => {
    await patchAndMerge(AMI(2));
    const head = env.work.git('show', `main:${FILE}`);
    // What update-app-stack leaves after a failed prove step: green staged with AMI 2, blue live.
    const stack = { ...parametersOf(head), LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' };
    stackWith(stack);
    const synced = await runCommand('sync-from-stack', { environment: 'dev', 'requested-ami-id': AMI(2) }, env.ctx);
    expect(synced.outputs).toMatchObject({ outcome: 'pushed', 'live-ami-id': AMI(1) });
    const recorded = env.origin.git('show', `main:${FILE}`);
    expect(parametersOf(recorded)).toEqual(stack);
    expect(diff(head, recorded)).toEqual(['LiveSlot: green → blue', 'BlueWeight: 0 → 100', 'GreenWeight: 100 → 0']);
    const message = env.origin.git('log', '-1', '--format=%B', 'main');
    expect(message.split('\n')[0]).toBe(`Fail back dev to ${AMI(1)}: ${AMI(2)} failed verification`);
    expect(parseMetadataBlock(message)?.[0]).toMatchObject({ 'update-type': 'auto-failback', 'previous-ami-id': AMI(2), 'ami-id': AMI(1), parameter: 'LiveSlot, BlueWeight, GreenWeight' });
  });

  it('sync-from-stack after the stage step was rolled back: git takes every slot value from the stack, not only the live AMI', async () => {
    const atRest = await patchAndMerge(AMI(2));
    const head = env.work.git('show', `main:${FILE}`);
    // CloudFormation rolled the stage update back: the stack is as it was before the deploy.
    stackWith(parametersOf(atRest));
    const synced = await runCommand('sync-from-stack', { environment: 'dev', 'requested-ami-id': AMI(2) }, env.ctx);
    expect(synced.outputs).toMatchObject({ outcome: 'pushed', 'live-ami-id': AMI(1) });
    const recorded = env.origin.git('show', `main:${FILE}`);
    expect(recorded).toBe(atRest);
    expect(diff(head, recorded)).toEqual(['LiveSlot: green → blue', 'BlueWeight: 0 → 100', `GreenAmazonMachineImage: ${AMI(2)} → ${AMI(1)}`, 'GreenCapacity: 2 → 0', 'GreenWeight: 100 → 0']);
    expect(env.origin.git('log', '-1', '--format=%s', 'main').trim()).toBe(`Record that dev still runs ${AMI(1)}`);
    expect(parseMetadataBlock(env.origin.git('log', '-1', '--format=%B', 'main'))?.[0].parameter).toBe('LiveSlot, BlueWeight, GreenAmazonMachineImage, GreenCapacity, GreenWeight');
  });

  it('sync-from-stack: nothing to record when the stack runs exactly what HEAD says', async () => {
    await patchAndMerge(AMI(2));
    stackWith(parametersOf(workFile()));
    expect((await runCommand('sync-from-stack', { environment: 'dev', 'requested-ami-id': AMI(2) }, env.ctx)).outputs).toMatchObject({ outcome: 'unchanged', 'live-ami-id': AMI(2) });
  });
});
