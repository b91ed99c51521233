import { z } from 'zod';

import { amiOwnersInput } from '../../lib/action/ami-owners-input';
import { parseWholeNumber, wholeNumberInput } from '../../lib/action/number-inputs';
import { InputError } from '../../lib/errors';
import { IMAGE_BUILD_VERSION_ARN_PATTERN, PIPELINE_ARN_PATTERN } from '../../lib/image-builder/arns';
import type { BuildAmiInputs } from '../../lib/image-builder/build-ami';
import { CLIENT_TOKEN_MAX_LENGTH, type ClientTokenSource } from '../../lib/image-builder/client-token';
import { SEVERITY_THRESHOLDS } from '../../lib/image-builder/findings';
import { resolveRegion } from '../../lib/region';

/** The inputs of action.yml, in order (a contract test checks action.yml against this list). */
export const BUILD_AMI_INPUT_NAMES = ['pipeline-arn', 'image-arn', 'client-token', 'region', 'timeout-minutes', 'previous-ami-id', 'fail-on-severity', 'ami-owners', 'image-pipeline-account'] as const;
export const BUILD_AMI_OUTPUT_NAMES = ['ami-id', 'image-arn', 'package-diff-markdown', 'findings-json', 'findings-delta-markdown'] as const;

/**
 * 90 minutes: a single-region Linux build with tests takes 25–45 min, and distribution to more
 * regions adds more (Terraform's aws_imagebuilder_image waits 1 h by default, and users raise it). 720 is Image Builder's own workflow ceiling (12 h).
 */
export const DEFAULT_TIMEOUT_MINUTES = 90;
export const MAX_TIMEOUT_MINUTES = 720;

const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const CLIENT_TOKEN = new RegExp(`^[\\x21-\\x7e]{1,${CLIENT_TOKEN_MAX_LENGTH}}$`);

/** Raw action inputs → typed values; every rule here runs before any AWS call. */
export const buildAmiInputSchema = z
  .object({
    'pipeline-arn': z.string().regex(PIPELINE_ARN_PATTERN, 'must be an image pipeline ARN (arn:aws:imagebuilder:<region>:<account>:image-pipeline/<name>)').optional(),
    'image-arn': z
      .string()
      .regex(IMAGE_BUILD_VERSION_ARN_PATTERN, 'must be an image build version ARN (arn:aws:imagebuilder:<region>:<account>:image/<name>/<x.y.z>/<build>)')
      .optional(),
    'client-token': z.string().regex(CLIENT_TOKEN, `must be 1-${CLIENT_TOKEN_MAX_LENGTH} printable characters without spaces`).optional(),
    region: z.string().optional(),
    'timeout-minutes': wholeNumberInput('minutes', DEFAULT_TIMEOUT_MINUTES, { min: 1, max: MAX_TIMEOUT_MINUTES, maxWhy: "12 h, Image Builder's own limit" }),
    'previous-ami-id': z.string().regex(AMI_ID, 'must be an AMI ID like ami-0123456789abcdef0').optional(),
    'fail-on-severity': z
      .string()
      .default('none')
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(SEVERITY_THRESHOLDS, { message: `must be one of ${SEVERITY_THRESHOLDS.join(', ')}` })),
    'ami-owners': amiOwnersInput,
    'image-pipeline-account': z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account ID (the wiring's imagePipelineAccount, which resolve-environment prints)").optional(),
  })
  .superRefine((v, ctx) => {
    if ((v['pipeline-arn'] === undefined) === (v['image-arn'] === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['pipeline-arn'], message: 'set exactly one of pipeline-arn (start a build) and image-arn (wait on a started one)' });
    }
    if (v['client-token'] !== undefined && v['image-arn'] !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['client-token'], message: 'only applies with pipeline-arn; a build given by image-arn is already started' });
    }
  });

export type BuildAmiRawInputs = z.infer<typeof buildAmiInputSchema>;

/**
 * The logic's inputs. The client token comes from the `client-token` input, else from the workflow
 * run (GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT; see lib/image-builder/client-token.ts for why both).
 */
export function toBuildAmiInputs(raw: BuildAmiRawInputs, env: NodeJS.ProcessEnv): Omit<BuildAmiInputs, 'onImageArn'> {
  const region = resolveRegion(raw.region, env);
  const common = { region, timeoutMinutes: raw['timeout-minutes'], previousAmiId: raw['previous-ami-id'], failOnSeverity: raw['fail-on-severity'], amiOwners: raw['ami-owners'], imagePipelineAccount: raw['image-pipeline-account'] };
  const pipelineArn = raw['pipeline-arn'];
  if (pipelineArn === undefined) return { ...common, source: { kind: 'image', imageArn: raw['image-arn'] as string } };
  return { ...common, source: { kind: 'pipeline', pipelineArn, token: clientTokenSource(raw['client-token'], env) } };
}

function clientTokenSource(explicit: string | undefined, env: NodeJS.ProcessEnv): ClientTokenSource {
  if (explicit !== undefined) return { kind: 'explicit', token: explicit };
  const runId = env.GITHUB_RUN_ID ?? '';
  if (!/^\d+$/.test(runId)) {
    throw new InputError(
      `No client token for the build: GITHUB_RUN_ID is ${runId ? `"${runId}", not a run id` : 'not set'} (not running in GitHub Actions?). Set the client-token input to a value unique to this build.`,
    );
  }
  const attempt = parseWholeNumber(env.GITHUB_RUN_ATTEMPT ?? '1') ?? 1;
  return { kind: 'workflow-run', runId, runAttempt: attempt >= 1 ? attempt : 1 };
}
