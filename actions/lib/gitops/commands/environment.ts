import { amiOwnersOf } from '../../ami-policy';
import { z } from 'zod';

import { describeStack } from '../../cloudformation/stack-state';
import { AwsOperationError } from '../../errors';
import { IMAGE_BUILD_VERSION_ARN_PATTERN } from '../../image-builder/arns';
import { readAmiHistory } from '../ami-history';
import { deployParallelism, listChangedFiles, selectChangedEnvironments } from '../changed-environments';
import { patchBranch } from '../patch-pull-request';
import { defineCommand, loadEnvironment, loadWiring, readCurrentAmi } from './context';
import { commitish, environmentName } from './inputs';

/** Deploy on merge: which environments the push changed, in promotion order, as a JSON array for a matrix. */
export const changedEnvironments = defineCommand({
  description: 'List the environments whose parameters file or app template changed between two commits.',
  inputs: z.object({ before: commitish.optional(), after: commitish.default('HEAD') }),
  outputs: ['environments', 'any', 'max-parallel'],
  async run(inputs, ctx) {
    const wiring = await loadWiring(ctx);
    const files = await listChangedFiles(ctx.git, inputs.before, inputs.after);
    const environments = selectChangedEnvironments(files, wiring);
    const maxParallel = deployParallelism(wiring.waves, environments);
    ctx.logger.info(`${files.length} file(s) changed; environments to deploy, in promotion order: ${environments.join(', ') || 'none'} (${maxParallel} at a time).`);
    return { outputs: { environments: JSON.stringify(environments), any: environments.length > 0, 'max-parallel': maxParallel } };
  },
});

/** Everything a job needs to know about one environment, from the wiring file and its parameters file at HEAD. */
export const resolveEnvironment = defineCommand({
  description: 'Read one environment (default: the first in promotion order) from the wiring file and its current AMI.',
  inputs: z.object({ environment: environmentName.optional() }),
  outputs: [
    'environment',
    'region',
    'app-stack',
    'image-pipeline-stack',
    'parameters-file',
    'app-template',
    'template-bucket',
    'verify-path',
    'watch-seconds',
    'max-error-rate',
    'strategy',
    'canary-weight',
    'canary-seconds',
    'ami-id',
    'previous-ami-id',
    'head-sha',
    'patch-branch',
    'variable-suffix',
    'notify',
    'notify-sns',
    'ami-owners',
    'image-pipeline-account',
  ],
  async run(inputs, ctx) {
    const { environment } = await loadEnvironment(ctx, inputs.environment);
    const amiId = await readCurrentAmi(ctx, environment);
    const headSha = await ctx.git.resolveCommit('HEAD');
    // What the stack ran before HEAD's AMI, as far as git knows (every earlier deploy succeeded or
    // was recorded): lets the deploy report name both AMIs when AWS cannot be asked. Empty when
    // git has no earlier AMI (a new environment, or a shallow clone).
    const previousAmiId = (await readAmiHistory(ctx.git, environment.parametersFile)).find((change) => change.amiId !== amiId)?.amiId ?? '';
    ctx.logger.info(
      `${environment.name}: ${environment.stacks.app} in ${environment.region}; ${environment.parametersFile} at ${headSha.slice(0, 12)} names ${amiId}` +
        `${previousAmiId ? ` (before it: ${previousAmiId})` : ''}.`,
    );
    return {
      outputs: {
        environment: environment.name,
        region: environment.region,
        'app-stack': environment.stacks.app,
        'image-pipeline-stack': environment.stacks.imagePipeline,
        'parameters-file': environment.parametersFile,
        'app-template': environment.appTemplate,
        'template-bucket': environment.templateBucket ?? '',
        'verify-path': environment.verify.path,
        'watch-seconds': environment.verify.watchSeconds,
        'max-error-rate': environment.verify.maxErrorRate,
        // The slots deploy's steps (update-app-stack ignores them for the replace strategy).
        strategy: environment.strategy,
        'canary-weight': environment.slots.canaryWeight,
        'canary-seconds': environment.slots.canarySeconds,
        'ami-id': amiId,
        'previous-ami-id': previousAmiId,
        'head-sha': headSha,
        'patch-branch': patchBranch(environment.name),
        'variable-suffix': variableSuffix(environment.name),
        // Whether the wiring names a channel (the checks' notify job runs only then), and an SNS
        // topic (the notify job assumes the deploy role only then).
        notify: environment.notify !== undefined,
        'notify-sns': environment.notify?.snsTopicArn !== undefined,
        // For update-app-stack's ami-owners input: who may own an AMI this environment deploys.
        'ami-owners': amiOwnersOf(environment).join(','),
        // For build-ami: with a central pipeline account, its `self` is where the AMI was distributed.
        'image-pipeline-account': environment.imagePipelineAccount ?? '',
      },
    };
  },
});

/**
 * Patch PR: what build-ami should do. With an image ARN (a repository_dispatch from an Image
 * Builder event), wait on that build; otherwise start the environment's pipeline, whose ARN is the
 * image-pipeline stack's `ImagePipelineArn` output (so no ARN is hand-typed in a workflow).
 */
export const resolvePipeline = defineCommand({
  description: "Find the environment's image pipeline ARN (or pass through an image ARN to wait on).",
  inputs: z.object({
    environment: environmentName.optional(),
    'image-arn': z.string().regex(IMAGE_BUILD_VERSION_ARN_PATTERN, 'must be an image build version ARN (…:image/<name>/<x.y.z>/<build>)').optional(),
  }),
  outputs: ['pipeline-arn', 'image-arn'],
  async run(inputs, ctx) {
    if (inputs['image-arn']) {
      ctx.logger.info(`Waiting on the build that was already started: ${inputs['image-arn']}.`);
      return { outputs: { 'pipeline-arn': '', 'image-arn': inputs['image-arn'] } };
    }
    const { environment } = await loadEnvironment(ctx, inputs.environment);
    const stackName = environment.stacks.imagePipeline;
    const stack = await describeStack(stackName, { clients: ctx.aws(environment.region), logger: ctx.logger, clock: ctx.clock });
    const arn = stack?.outputs.ImagePipelineArn;
    if (!arn) {
      throw new AwsOperationError(
        `No image pipeline for ${environment.name}: stack ${stackName} in ${environment.region} ${stack ? 'has no ImagePipelineArn output' : 'does not exist'}. ` +
          'Deploy templates/image-pipeline.yaml under that name first (docs/workflows.md, "Stacks").',
        stackName,
      );
    }
    return { outputs: { 'pipeline-arn': arn, 'image-arn': '' } };
  },
});

/**
 * The suffix of the environment's repository variables (AWS_PREVIEW_ROLE_ARN_<SUFFIX>): its name
 * upper-cased with hyphens as underscores, since variable names allow only [A-Z0-9_]. Jobs that
 * must not run in a GitHub environment (pull requests, the patch build on main) look their role
 * up as vars[format('AWS_PREVIEW_ROLE_ARN_{0}', suffix)].
 */
export function variableSuffix(environment: string): string {
  return environment.toUpperCase().replace(/-/g, '_');
}
