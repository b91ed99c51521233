/**
 * A template over CloudFormation's 51,200-byte inline limit, deployed by the bundled
 * update-app-stack (run as a runner runs it) against moto: with a template bucket it is uploaded
 * to moto's S3 under its content hash and the change set names it by TemplateURL (moto reads the
 * object back from its own S3, as CloudFormation reads it from S3); without one the action refuses
 * before any AWS call. moto does not enforce the inline limit itself, so the refusal is the
 * action's own.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { DescribeStacksCommand, GetTemplateCommand, ListChangeSetsCommand } from '@aws-sdk/client-cloudformation';
import { RegisterImageCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

import { sdkClientConfig } from '../../actions/lib/aws/clients';
import { REPO_ROOT } from '../../local/env';
import { runBundledAction } from '../../local/run-action';
import { replaceDevParameters } from '../support/replace-environment';
import { deployAppFoundation, localBaseAmi, localClients, localEnv, useLocalAws, type AppFoundation } from './harness';

useLocalAws();

const STACK = 'patch-dev-app';
const BUCKET = 'patch-dev-templates';
const scratch = mkdtempSync(join(tmpdir(), 'template-upload-it-'));
let foundation: AppFoundation;
let newAmi: string;

/** templates/app.yaml with a trailing comment that takes it over the inline limit: the same stack, a larger file. */
const bigTemplate = `${readFileSync(resolve(REPO_ROOT, 'templates/app.yaml'), 'utf8')}\n${'# padding over the inline TemplateBody limit\n'.repeat(500)}`;
const bigTemplateFile = join(scratch, 'app-big.yaml');
writeFileSync(bigTemplateFile, bigTemplate);

const s3 = () => new S3Client({ ...sdkClientConfig({ region: 'us-east-1' }), forcePathStyle: true });

function parametersWithAmi(ami: string): string {
  const file = join(scratch, `dev-${ami}.json`);
  // The big template is app.yaml's (strategy replace), so dev's parameters are the replace example's.
  writeFileSync(file, replaceDevParameters(ami));
  return file;
}

async function stackAmi(): Promise<string | undefined> {
  const { Stacks } = await localClients().cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }));
  return Stacks?.[0]?.Parameters?.find((p) => p.ParameterKey === 'AmazonMachineImage')?.ParameterValue;
}

const run = (inputs: Record<string, string>) =>
  runBundledAction('update-app-stack', { 'stack-name': STACK, template: bigTemplateFile, ...inputs }, localEnv(), { timeoutMs: 90_000 });

beforeAll(async () => {
  expect(Buffer.byteLength(bigTemplate)).toBeGreaterThan(51_200);
  foundation = await deployAppFoundation({ ami: await localBaseAmi() });
  const registered = await localClients().ec2.send(new RegisterImageCommand({ Name: `patched-${Date.now()}`, RootDeviceName: '/dev/xvda', Architecture: 'x86_64', VirtualizationType: 'hvm' }));
  newAmi = registered.ImageId ?? '';
  await s3().send(new CreateBucketCommand({ Bucket: BUCKET }));
});

describe('update-app-stack (bundled) with a template over the inline limit, on moto', () => {
  it('refuses without a template bucket: exit 1, what to set, nothing uploaded, no change set', async () => {
    const result = await run({ 'parameters-file': parametersWithAmi(newAmi) });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/over the 51200-byte limit of an inline TemplateBody, and no S3 bucket is configured/);
    expect(result.stdout).toContain('template-bucket input');
    expect(await stackAmi()).toBe(foundation.ami);
    expect((await s3().send(new ListObjectsV2Command({ Bucket: BUCKET }))).KeyCount ?? 0).toBe(0);
    expect((await localClients().cloudFormation.send(new ListChangeSetsCommand({ StackName: STACK }))).Summaries ?? []).toEqual([]);
  });

  it('uploads it under the content hash and deploys it from its TemplateURL', async () => {
    const result = await run({ 'parameters-file': parametersWithAmi(newAmi), 'template-bucket': BUCKET, 'rollback-monitoring-minutes': '0' });
    expect(result.stderr + result.stdout).not.toMatch(/::error/);
    expect(result.exitCode).toBe(0);
    const key = `${STACK}/deploy/${createHash('sha256').update(bigTemplate).digest('hex')}.yaml`;
    expect(result.stdout).toContain(`uploaded to s3://${BUCKET}/${key}`);
    const object = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await object.Body?.transformToString()).toBe(bigTemplate);
    expect(await stackAmi()).toBe(newAmi);
    // The stack now runs the uploaded template, padding and all: CloudFormation (moto) read it from S3.
    const { TemplateBody } = await localClients().cloudFormation.send(new GetTemplateCommand({ StackName: STACK }));
    expect(TemplateBody).toBe(bigTemplate);
  });
});
