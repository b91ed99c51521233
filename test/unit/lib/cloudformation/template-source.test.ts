/**
 * A template over CloudFormation's inline limit goes through S3 (as `aws cloudformation deploy
 * --s3-bucket` does): refused before any AWS call without a bucket, uploaded under a content-hash
 * key of the stack's deploy or preview prefix with one, and sent as TemplateURL.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

import {
  MAX_TEMPLATE_BODY_BYTES,
  MAX_TEMPLATE_URL_BYTES,
  planTemplateSource,
  resolveTemplateSource,
  templateObjectKey,
  templateObjectUrl,
} from '../../../../actions/lib/cloudformation/template-source';
import { updateAppStack, type UpdateAppStackInputs } from '../../../../actions/lib/cloudformation/update-app-stack';
import { AwsOperationError, InputError } from '../../../../actions/lib/errors';
import { RecordingLogger } from '../../../../actions/lib/logger';
import { describeCatalogueRows } from '../../reliability/support/catalogue-suite';
import { CHANGE_SET_ARN, event, makeDeps, NEW_AMI, newestFirst, STACK, stack, TEMPLATE, writeFixtures } from './fixtures';

const cfn = mockClient(CloudFormationClient);
const ec2 = mockClient(EC2Client);
const s3 = mockClient(S3Client);
beforeEach(() => {
  cfn.reset();
  ec2.reset();
  s3.reset();
});

/** The fixture template, padded with a comment to `bytes`. */
const padded = (bytes: number) => `${TEMPLATE}#${'x'.repeat(bytes - Buffer.byteLength(TEMPLATE) - 2)}\n`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const base = { file: 'templates/app-slots.yaml', stackName: 'patch-dev-app', purpose: 'deploy' as const, bucketSetting: 'the template-bucket input' };

describe('planTemplateSource', () => {
  it('sends a template up to the limit inline, whatever the bucket', () => {
    const body = padded(MAX_TEMPLATE_BODY_BYTES);
    expect(planTemplateSource({ ...base, body })).toEqual({ kind: 'inline', body });
    expect(planTemplateSource({ ...base, body, bucket: 'templates-bucket' }).kind).toBe('inline');
  });

  it('uploads one byte over it to the bucket, named by the SHA-256 of its bytes under the stack and the purpose', () => {
    const body = padded(MAX_TEMPLATE_BODY_BYTES + 1);
    expect(planTemplateSource({ ...base, body, bucket: 'templates-bucket' })).toEqual({
      kind: 'upload',
      body,
      bytes: MAX_TEMPLATE_BODY_BYTES + 1,
      bucket: 'templates-bucket',
      key: `patch-dev-app/deploy/${sha256(body)}.yaml`,
      stackName: 'patch-dev-app',
    });
    expect(templateObjectKey('patch-dev-app', 'preview', body)).toBe(`patch-dev-app/preview/${sha256(body)}.yaml`);
    expect(templateObjectKey('patch-dev-app', 'deploy', `${body} `)).not.toBe(templateObjectKey('patch-dev-app', 'deploy', body));
  });

  it.each([undefined, '', '  '])('refuses a template over the limit with bucket %j: what, how big, where to configure one', (bucket) => {
    const body = padded(MAX_TEMPLATE_BODY_BYTES + 100);
    expect(() => planTemplateSource({ ...base, body, bucket })).toThrow(InputError);
    expect(() => planTemplateSource({ ...base, body, bucket })).toThrow(
      /templates\/app-slots\.yaml is 51300 bytes, over the 51200-byte limit of an inline TemplateBody, and no S3 bucket is configured .*Set the template-bucket input .*TemplateBucketName.*Nothing was changed in AWS\./,
    );
  });

  it('refuses a template that even S3 cannot carry to CloudFormation', () => {
    expect(() => planTemplateSource({ ...base, body: padded(MAX_TEMPLATE_URL_BYTES + 1), bucket: 'b-1' })).toThrow(/limited to 1048576\. Split it into stacks/);
  });

  it('builds the path-style URL the AWS CLI builds, in the region and partition', () => {
    expect(templateObjectUrl('my.bucket', 'patch-dev-app/deploy/ab.yaml', 'eu-west-1')).toBe('https://s3.eu-west-1.amazonaws.com/my.bucket/patch-dev-app/deploy/ab.yaml');
    expect(templateObjectUrl('b-1', 'k.yaml', 'cn-north-1')).toBe('https://s3.cn-north-1.amazonaws.com.cn/b-1/k.yaml');
  });
});

describe('resolveTemplateSource', () => {
  const deps = () => ({ clients: { s3: new S3Client({ region: 'us-east-1' }) }, logger: new RecordingLogger() });

  it('sends an inline template as TemplateBody without touching S3', async () => {
    await expect(resolveTemplateSource({ plan: { kind: 'inline', body: TEMPLATE }, region: 'us-east-1' }, deps())).resolves.toEqual({ templateBody: TEMPLATE });
    expect(s3.calls()).toHaveLength(0);
  });

  it('puts an upload in the bucket, refusing a bucket of another account, and returns its URL', async () => {
    s3.on(PutObjectCommand).resolves({});
    const plan = planTemplateSource({ ...base, body: padded(60_000), bucket: 'templates-bucket' });
    const d = deps();
    const source = await resolveTemplateSource({ plan, region: 'us-east-1', expectedBucketOwner: '123456789012' }, d);
    if (plan.kind !== 'upload') throw new Error('expected an upload');
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'templates-bucket', Key: plan.key, Body: plan.body, ExpectedBucketOwner: '123456789012' });
    expect(source).toEqual({ templateUrl: `https://s3.us-east-1.amazonaws.com/templates-bucket/${plan.key}` });
    expect(d.logger.text()).toMatch(/60000 bytes .*uploaded to s3:\/\/templates-bucket\/patch-dev-app\/deploy\//);
  });
});

describe('updateAppStack with a template over the inline limit', () => {
  const BUMP = { NetworkStackName: 'patch-dev-network', AmazonMachineImage: NEW_AMI, InstanceType: 't3.micro' };
  const big = padded(MAX_TEMPLATE_BODY_BYTES + 4_000);

  function files() {
    const written = writeFixtures(BUMP);
    writeFileSync(written.templateFile, big);
    return written;
  }

  function inputs(f: { parametersFile: string; templateFile: string }, overrides: Partial<UpdateAppStackInputs> = {}): UpdateAppStackInputs {
    return { stackName: STACK, region: 'us-east-1', mode: 'preview', timeoutMinutes: 60, rollbackMonitoringMinutes: 0, run: { id: '7', attempt: '1' }, ...f, ...overrides };
  }

  function stackAtRest() {
    ec2.on(DescribeImagesCommand).callsFake(({ ImageIds }: { ImageIds: string[] }) => ({ Images: [{ ImageId: ImageIds[0], OwnerId: '123456789012', State: 'available' }] }));
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    cfn.on(DescribeStackEventsCommand).resolves(newestFirst([event(STACK, 'UPDATE_COMPLETE')]));
    cfn.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ARN });
    cfn.on(DescribeChangeSetCommand).resolves({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [] });
    cfn.on(DeleteChangeSetCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});
  }

  it('without a bucket: refuses before any AWS call, naming the input and the wiring', async () => {
    stackAtRest();
    const error = await updateAppStack(inputs(files()), makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/is 55200 bytes, over the 51200-byte limit .*template-bucket input \(templateBucket in parameters\/environments\.json\)/);
    expect([...cfn.calls(), ...ec2.calls(), ...s3.calls()]).toHaveLength(0);
  });

  it('with a bucket: uploads under the preview prefix (the preview role’s), then creates the change set from its URL', async () => {
    stackAtRest();
    const deps = { ...makeDeps(), clients: { ...makeDeps().clients, s3: new S3Client({ region: 'us-east-1' }) } };
    const report = await updateAppStack(inputs(files(), { templateBucket: 'patch-templates' }), deps);
    const key = `${STACK}/preview/${sha256(big)}.yaml`;
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'patch-templates', Key: key, ExpectedBucketOwner: '123456789012' });
    const sent = cfn.commandCalls(CreateChangeSetCommand)[0].args[0].input;
    expect(sent.TemplateURL).toBe(`https://s3.us-east-1.amazonaws.com/patch-templates/${key}`);
    expect(sent.TemplateBody).toBeUndefined();
    expect(sent.UsePreviousTemplate).toBeUndefined();
    expect(report.outcome).toBe('previewed');
  });

  describeCatalogueRows('the template upload fault row of the catalogue (unit)', 'template-source.test.ts', {
    async F116() {
      stackAtRest();
      s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
      const deps = { ...makeDeps(), clients: { ...makeDeps().clients, s3: new S3Client({ region: 'us-east-1' }) } };
      const error = await updateAppStack(inputs(files(), { templateBucket: 'someone-elses-bucket', mode: 'deploy' }), deps).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AwsOperationError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^Uploading the template to s3://someone-elses-bucket/${STACK}/deploy/[0-9a-f]{64}\\.yaml failed: AccessDenied: Access Denied\\. ` +
            `Check that the bucket exists in us-east-1, belongs to account 123456789012 \\(the stack's\\), and that this role may s3:PutObject under ${STACK}/deploy/ .*Stack ${STACK} was not changed\\.$`,
        ),
      );
      // git = stack: nothing was asked of CloudFormation beyond reads.
      expect(cfn.calls().map((c) => (c.args[0] as object).constructor.name).filter((n) => !/^(Describe|Get|List)/.test(n))).toEqual([]);
    },
  });

  it('a deploy writes under the deploy prefix', async () => {
    stackAtRest();
    const deps = { ...makeDeps(), clients: { ...makeDeps().clients, s3: new S3Client({ region: 'us-east-1' }) } };
    await updateAppStack(inputs(files(), { templateBucket: 'patch-templates', mode: 'deploy' }), deps).catch(() => undefined);
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input.Key).toBe(`${STACK}/deploy/${sha256(big)}.yaml`);
  });
});
