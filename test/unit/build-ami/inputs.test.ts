import { BUILD_AMI_INPUT_NAMES, buildAmiInputSchema, DEFAULT_TIMEOUT_MINUTES, toBuildAmiInputs } from '../../../actions/build-ami/src/inputs';
import { readInputs } from '../../../actions/lib/action/runtime';
import { IMAGE_ARN, PIPELINE_ARN } from '../lib/image-builder/fixtures';

const parse = (inputs: Record<string, string>, env: NodeJS.ProcessEnv = { AWS_REGION: 'us-east-1', GITHUB_RUN_ID: '123', GITHUB_RUN_ATTEMPT: '2' }) =>
  toBuildAmiInputs(readInputs(buildAmiInputSchema, BUILD_AMI_INPUT_NAMES, (name) => inputs[name] ?? ''), env);

describe('build-ami inputs', () => {
  it('applies the defaults and takes the token from the workflow run and attempt', () => {
    expect(parse({ 'pipeline-arn': PIPELINE_ARN })).toEqual({
      source: { kind: 'pipeline', pipelineArn: PIPELINE_ARN, token: { kind: 'workflow-run', runId: '123', runAttempt: 2 } },
      region: 'us-east-1',
      timeoutMinutes: DEFAULT_TIMEOUT_MINUTES,
      previousAmiId: undefined,
      failOnSeverity: 'none',
    });
  });

  it('prefers an explicit client-token and reads the rest as typed values', () => {
    const parsed = parse({
      'pipeline-arn': PIPELINE_ARN,
      'client-token': 'nightly-2026-01-01',
      region: 'eu-west-1',
      'timeout-minutes': ' 45 ',
      'previous-ami-id': 'ami-0123456789abcdef0',
      'fail-on-severity': 'HIGH',
    });
    expect(parsed).toMatchObject({
      source: { token: { kind: 'explicit', token: 'nightly-2026-01-01' } },
      region: 'eu-west-1',
      timeoutMinutes: 45,
      previousAmiId: 'ami-0123456789abcdef0',
      failOnSeverity: 'high',
    });
  });

  it('waits on image-arn without needing a run id', () => {
    expect(parse({ 'image-arn': IMAGE_ARN }, { AWS_DEFAULT_REGION: 'us-west-2' })).toMatchObject({
      source: { kind: 'image', imageArn: IMAGE_ARN },
      region: 'us-west-2',
    });
  });

  it('treats a missing or odd GITHUB_RUN_ATTEMPT as the first attempt', () => {
    expect(parse({ 'pipeline-arn': PIPELINE_ARN }, { AWS_REGION: 'us-east-1', GITHUB_RUN_ID: '9' }).source).toMatchObject({ token: { runAttempt: 1 } });
    expect(parse({ 'pipeline-arn': PIPELINE_ARN }, { AWS_REGION: 'us-east-1', GITHUB_RUN_ID: '9', GITHUB_RUN_ATTEMPT: 'x' }).source).toMatchObject({ token: { runAttempt: 1 } });
  });

  it.each(['ami-01234567', 'ami-0123456789abcdef0'])('accepts the AMI ID %s (old 8 and new 17 hex digits)', (ami) => {
    expect(parse({ 'pipeline-arn': PIPELINE_ARN, 'previous-ami-id': ami }).previousAmiId).toBe(ami);
  });
});
