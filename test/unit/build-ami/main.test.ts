import 'aws-sdk-client-mock-jest';

import * as core from '@actions/core';
import { EC2Client } from '@aws-sdk/client-ec2';
import { GetImageCommand, ImagebuilderClient, ListImageScanFindingsCommand, StartImagePipelineExecutionCommand } from '@aws-sdk/client-imagebuilder';
import { mockClient } from 'aws-sdk-client-mock';

import { BUILD_AMI_OUTPUT_NAMES } from '../../../actions/build-ami/src/inputs';
import { run } from '../../../actions/build-ami/src/main';
import { deriveClientToken } from '../../../actions/lib/image-builder/client-token';
import { AMI_ID, IMAGE_ARN, image, PIPELINE_ARN, givenOutputAmiExists } from '../lib/image-builder/fixtures';
import { givenInputs, outputs, resetActionsCoreMock } from '../support/actions-core';

// @actions/core is mocked only in main.ts tests (STYLE.md).
jest.mock('@actions/core', () => jest.requireActual('../support/actions-core').createActionsCoreMock());
const mocked = jest.mocked(core);

const ib = mockClient(ImagebuilderClient);
const ec2 = mockClient(EC2Client);
const savedEnv = { ...process.env };

beforeEach(() => {
  resetActionsCoreMock();
  ib.reset();
  ec2.reset();
  givenOutputAmiExists(ec2);
  process.env = { ...savedEnv, AWS_REGION: 'us-east-1', GITHUB_RUN_ID: '777', GITHUB_RUN_ATTEMPT: '1', GITHUB_STEP_SUMMARY: '/dev/null' };
});
afterAll(() => {
  process.env = savedEnv;
});

describe('build-ami main', () => {
  it('sets every output and writes one summary on success', async () => {
    givenInputs({ 'pipeline-arn': PIPELINE_ARN });
    ib.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
    ib.on(GetImageCommand).resolves({ image: image('AVAILABLE') });

    await run();

    expect(mocked.setFailed).not.toHaveBeenCalled();
    expect(ib).toHaveReceivedCommandWith(StartImagePipelineExecutionCommand, { clientToken: deriveClientToken('777', 1, PIPELINE_ARN) });
    expect(outputs()).toEqual({
      'ami-id': AMI_ID,
      'image-arn': IMAGE_ARN,
      'package-diff-markdown': '',
      'findings-json': expect.stringContaining('"scanned":false'),
      'findings-delta-markdown': '',
    });
    expect(mocked.summary.addRaw).toHaveBeenCalledTimes(1);
    expect(mocked.summary.addRaw).toHaveBeenCalledWith(expect.stringContaining('## build-ami: the AMI is AVAILABLE'));
  });

  it('fails with the reason, still hands on image-arn, and writes a failure summary', async () => {
    givenInputs({ 'pipeline-arn': PIPELINE_ARN });
    ib.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
    ib.on(GetImageCommand).resolves({ image: image('FAILED', { state: { status: 'FAILED', reason: 'UpdateOS exited 1' } }) });

    await run();

    expect(mocked.setFailed).toHaveBeenCalledTimes(1);
    expect(mocked.setFailed.mock.calls[0][0]).toMatch(/^Image build FAILED for .*: UpdateOS exited 1\./);
    // Every output is set on every path: the unknown ones empty.
    expect(outputs()).toEqual({ 'image-arn': IMAGE_ARN, 'ami-id': '', 'package-diff-markdown': '', 'findings-json': '', 'findings-delta-markdown': '' });
    expect(mocked.summary.addRaw).toHaveBeenCalledWith(expect.stringContaining('| State | FAILED |'));
  });

  it('sets the outputs before the severity gate fails the step', async () => {
    givenInputs({ 'image-arn': IMAGE_ARN, 'fail-on-severity': 'high' });
    ib.on(GetImageCommand).resolves({
      image: image('AVAILABLE', { imageScanningConfiguration: { imageScanningEnabled: true }, scanState: { status: 'COMPLETED' } }),
    });
    ib.on(ListImageScanFindingsCommand).resolves({ findings: [{ severity: 'CRITICAL' }] });

    await run();

    expect(mocked.setFailed).toHaveBeenCalledWith(expect.stringMatching(/^Severity gate \(fail-on-severity: high\) failed .*1 CRITICAL/));
    const lastOutput = Math.max(...mocked.setOutput.mock.invocationCallOrder);
    expect(lastOutput).toBeLessThan(mocked.setFailed.mock.invocationCallOrder[0]);
    expect(outputs()['ami-id']).toBe(AMI_ID);
    expect(JSON.parse(outputs()['findings-json'])).toMatchObject({ total: 1, scanned: true, counts: { CRITICAL: 1 } });
  });

  it.each<[string, Record<string, string>, Record<string, string | undefined>, RegExp]>([
    ['neither ARN', {}, {}, /input "pipeline-arn": set exactly one of pipeline-arn/],
    ['both ARNs', { 'pipeline-arn': PIPELINE_ARN, 'image-arn': IMAGE_ARN }, {}, /set exactly one/],
    ['a malformed pipeline ARN', { 'pipeline-arn': 'arn:aws:imagebuilder:us-east-1:123:image-pipeline/x' }, {}, /input "pipeline-arn" = ".*": must be an image pipeline ARN/],
    ['an image ARN without its build number', { 'image-arn': IMAGE_ARN.replace(/\/7$/, '') }, {}, /must be an image build version ARN/],
    ['a pipeline ARN given as image-arn', { 'image-arn': PIPELINE_ARN }, {}, /input "image-arn"/],
    ['timeout-minutes 0', { 'pipeline-arn': PIPELINE_ARN, 'timeout-minutes': '0' }, {}, /input "timeout-minutes" = "0": must be at least 1/],
    ['timeout-minutes 721', { 'pipeline-arn': PIPELINE_ARN, 'timeout-minutes': '721' }, {}, /must be at most 720/],
    ['timeout-minutes -5', { 'pipeline-arn': PIPELINE_ARN, 'timeout-minutes': '-5' }, {}, /must be a whole number of minutes/],
    ['timeout-minutes abc', { 'pipeline-arn': PIPELINE_ARN, 'timeout-minutes': 'abc' }, {}, /must be a whole number of minutes/],
    ['a malformed previous AMI', { 'pipeline-arn': PIPELINE_ARN, 'previous-ami-id': 'ami-xyz' }, {}, /input "previous-ami-id" = "ami-xyz": must be an AMI ID/],
    ['an unknown severity', { 'pipeline-arn': PIPELINE_ARN, 'fail-on-severity': 'severe' }, {}, /input "fail-on-severity" = "severe": must be one of none, low, medium, high, critical/],
    ['a client token with image-arn', { 'image-arn': IMAGE_ARN, 'client-token': 'abc' }, {}, /input "client-token" = "abc": only applies with pipeline-arn/],
    ['a client token too long', { 'pipeline-arn': PIPELINE_ARN, 'client-token': 'x'.repeat(37) }, {}, /must be 1-36 printable characters/],
    ['a bad region', { 'pipeline-arn': PIPELINE_ARN, region: 'us-east' }, {}, /Region "us-east" from input region is not an AWS region name/],
    ['no region anywhere', { 'pipeline-arn': PIPELINE_ARN }, { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined }, /No AWS region/],
    ['no run id and no client-token', { 'pipeline-arn': PIPELINE_ARN }, { GITHUB_RUN_ID: undefined }, /GITHUB_RUN_ID is not set.*Set the client-token input/],
  ])('rejects %s before any AWS call', async (_case, inputs, env, message) => {
    givenInputs(inputs);
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }

    await run();

    expect(mocked.setFailed).toHaveBeenCalledTimes(1);
    expect(mocked.setFailed.mock.calls[0][0]).toMatch(message);
    expect(ib.calls()).toHaveLength(0);
    expect(ec2.calls()).toHaveLength(0);
    // An input error still sets every output, empty, so a later step reads "" rather than nothing.
    expect(outputs()).toEqual(Object.fromEntries(BUILD_AMI_OUTPUT_NAMES.map((name) => [name, ''])));
  });
});
