/**
 * The bundled update-app-stack (dist/index.js, run the way a runner does) against the real
 * templates in moto. What moto cannot show (rollback, busy stacks, per-resource events,
 * throttling) is covered by the unit tests; see docs/moto.md.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeStackResourceCommand, DescribeStacksCommand, ListChangeSetsCommand } from '@aws-sdk/client-cloudformation';
import { DescribeInstancesCommand, DescribeLaunchTemplateVersionsCommand, RegisterImageCommand } from '@aws-sdk/client-ec2';

import { runBundledAction } from '../../local/run-action';
import { replaceDevParameters } from '../support/replace-environment';
import { deployAppFoundation, localBaseAmi, localClients, localEnv, useLocalAws, type AppFoundation } from './harness';

useLocalAws();

const STACK = 'patch-dev-app';
let foundation: AppFoundation;
let newAmi: string;
const scratch = mkdtempSync(join(tmpdir(), 'update-app-stack-it-'));

/** dev's replace-shaped parameters file with the AMI line changed: the one-line diff a patch PR makes. */
function parametersWithAmi(ami: string, name = `dev-${ami}.json`): string {
  const text = replaceDevParameters(ami);
  const file = join(scratch, name);
  writeFileSync(file, text);
  return file;
}

async function stackAmi(): Promise<string | undefined> {
  const { Stacks } = await localClients().cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }));
  return Stacks?.[0]?.Parameters?.find((p) => p.ParameterKey === 'AmazonMachineImage')?.ParameterValue;
}

/** Change sets still listed for the stack, other than executed ones (AWS drops those from the list; moto keeps them). */
async function pendingChangeSets(): Promise<string[]> {
  const { Summaries } = await localClients().cloudFormation.send(new ListChangeSetsCommand({ StackName: STACK }));
  return (Summaries ?? []).filter((s) => s.ExecutionStatus !== 'EXECUTE_COMPLETE').map((s) => `${s.ChangeSetName} ${s.Status} ${s.ExecutionStatus}`);
}

const run = (inputs: Record<string, string>) =>
  runBundledAction('update-app-stack', { 'stack-name': STACK, template: 'templates/app.yaml', ...inputs }, localEnv(), { timeoutMs: 90_000 });

beforeAll(async () => {
  const base = await localBaseAmi();
  foundation = await deployAppFoundation({ ami: base });
  // A second AMI moto knows, standing in for the one build-ami would produce.
  const registered = await localClients().ec2.send(
    new RegisterImageCommand({ Name: `patched-${Date.now()}`, RootDeviceName: '/dev/xvda', Architecture: 'x86_64', VirtualizationType: 'hvm' }),
  );
  newAmi = registered.ImageId ?? '';
  expect(newAmi).toMatch(/^ami-/);
  expect(newAmi).not.toBe(base);
});

describe('update-app-stack (bundled) against moto', () => {
  it('refuses a bad parameters file: exit 1, annotation on the file, stack and change sets untouched', async () => {
    const bad = parametersWithAmi(newAmi, 'bad.json');
    writeFileSync(bad, readFileSync(bad, 'utf8').replace('"InstanceType": "t3.micro"', '"InstanceType": "t3.huge"'));
    const result = await run({ 'parameters-file': bad });

    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('InstanceType = "t3.huge" is not one of the AllowedValues of templates/app.yaml');
    expect(result.annotations).toContainEqual(expect.objectContaining({ level: 'error', properties: expect.objectContaining({ file: bad, line: '5' }) }));
    expect(result.summary).toContain('### What went wrong');
    expect(await stackAmi()).toBe(foundation.ami);
    expect(await pendingChangeSets()).toEqual([]);
  });

  it('refuses an AMI that does not exist in the region: exit 1, nothing changed', async () => {
    const missing = parametersWithAmi('ami-0123456789abcdef0', 'missing-ami.json');
    const result = await run({ 'parameters-file': missing, mode: 'preview' });

    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('AmazonMachineImage = "ami-0123456789abcdef0" does not exist in us-east-1');
    expect(result.annotations).toContainEqual(expect.objectContaining({ level: 'error', properties: expect.objectContaining({ file: missing, line: '4' }) }));
    expect(await stackAmi()).toBe(foundation.ami);
    expect(await pendingChangeSets()).toEqual([]);
  });

  it('previews a changed AMI: changed=true, the change rendered, the change set deleted, the stack untouched', async () => {
    const result = await run({ 'parameters-file': parametersWithAmi(newAmi), mode: 'preview' });

    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ changed: 'true', 'stack-status': 'CREATE_COMPLETE', 'previous-ami-id': foundation.ami, 'ami-id': foundation.ami });
    expect(result.outputs['change-set-id']).toMatch(/^arn:aws:cloudformation:us-east-1:123456789012:changeSet\/patch-/);
    expect(result.outputs['changes-markdown']).toContain(`**Parameter changes:** AmazonMachineImage \`${foundation.ami}\` → \`${newAmi}\``);
    expect(result.summary).toContain(`## update-app-stack: ${STACK} preview`);
    expect(await stackAmi()).toBe(foundation.ami);
    expect(await pendingChangeSets()).toEqual([]);
  });

  it('deploys the new AMI: stack parameter, launch template and the Auto Scaling group carry it', async () => {
    const clients = localClients();
    const asgBefore = await clients.cloudFormation.send(new DescribeStackResourceCommand({ StackName: STACK, LogicalResourceId: 'AppAutoScalingGroup' }));

    const result = await run({ 'parameters-file': parametersWithAmi(newAmi), 'rollback-monitoring-minutes': '0' });

    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ changed: 'true', 'stack-status': 'UPDATE_COMPLETE', 'previous-ami-id': foundation.ami, 'ami-id': newAmi });
    expect(result.stdout).toMatch(/patch-dev-app \(stack\)\s+UPDATE_COMPLETE/);
    // The heading names no AMI (its large type wraps an ID at the hyphen); the lead under it does.
    expect(result.summary).toContain(`## update-app-stack: ${STACK} updated\n\n\`${STACK}\` updated from \`${foundation.ami}\` to \`${newAmi}\``);
    expect(await stackAmi()).toBe(newAmi);

    // The launch template's newest version launches the new AMI.
    const ltId = (await clients.cloudFormation.send(new DescribeStackResourceCommand({ StackName: STACK, LogicalResourceId: 'AppLaunchTemplate' }))).StackResourceDetail?.PhysicalResourceId;
    const { LaunchTemplateVersions } = await clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: ltId, Versions: ['$Latest'] }));
    expect(LaunchTemplateVersions?.[0]?.LaunchTemplateData?.ImageId).toBe(newAmi);

    // moto replaces the group (delete old, create new: docs/moto.md #5) because its
    // AmiId tag changed; on AWS, AutoScalingReplacingUpdate does it because the LT version changed.
    const asgAfter = await clients.cloudFormation.send(new DescribeStackResourceCommand({ StackName: STACK, LogicalResourceId: 'AppAutoScalingGroup' }));
    const asgName = asgAfter.StackResourceDetail?.PhysicalResourceId;
    expect(asgName).not.toBe(asgBefore.StackResourceDetail?.PhysicalResourceId);
    const { AutoScalingGroups } = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName!] }));
    const group = AutoScalingGroups?.[0];
    expect(group?.Tags?.find((t) => t.Key === 'AmiId')?.Value).toBe(newAmi);
    const instanceIds = (group?.Instances ?? []).map((i) => i.InstanceId!);
    expect(instanceIds.length).toBe(Number(foundation.parameters.DesiredCapacity));
    const { Reservations } = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: instanceIds }));
    const imageIds = (Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.ImageId);
    expect(imageIds).toEqual(instanceIds.map(() => newAmi));
  });

  it('a second run with the same file changes nothing: changed=false, no change set left', async () => {
    const result = await run({ 'parameters-file': parametersWithAmi(newAmi) });

    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ changed: 'false', 'previous-ami-id': newAmi, 'ami-id': newAmi });
    expect(result.annotations).toContainEqual(expect.objectContaining({ level: 'notice', message: expect.stringContaining('No changes for stack patch-dev-app') }));
    expect(await pendingChangeSets()).toEqual([]);
  });
});
