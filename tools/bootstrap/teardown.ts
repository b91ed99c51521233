/**
 * teardown: an environment's stacks deleted in the reverse of the deploy order (the app stack
 * before the github-oidc stack that holds its service role, the pipeline before the network it
 * builds in). Refuses any environment after the first in promotion order without --force, and
 * says what it leaves and why.
 */
import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import { describeStack } from '../../actions/lib/cloudformation/stack-state';
import type { Deps } from './deps';
import { InputError } from '../../actions/lib/errors';
import { environmentStackNames, type EnvironmentConfig, type EnvironmentsConfig } from '../../actions/lib/parameters';
import { GITHUB_OIDC_HOST } from './account';
import { deleteDispatchSecret, dispatchSecretName } from './dispatch-token';
import { deleteStackAndWait, type CfnDeps } from './stack-operations';
import { environmentStackSpecs, STACK_ORDER } from './stack-specs';

export type TeardownDeps = CfnDeps & Deps<{ ec2: EC2Client; secretsManager: SecretsManagerClient }> & { confirm: (question: string) => Promise<boolean> };

export interface TeardownInputs {
  environment: EnvironmentConfig;
  wiring: EnvironmentsConfig;
  force: boolean;
  yes: boolean;
  rerun: string;
}

export interface TeardownResult {
  deleted: string[];
  /** What stays, each with why and how to remove it. */
  left: string[];
  declined?: boolean;
}

export async function teardownEnvironment(inputs: TeardownInputs, deps: TeardownDeps): Promise<TeardownResult> {
  const { environment, wiring } = inputs;
  const protectedEnvironment = wiring.promotionOrder.indexOf(environment.name) > 0;
  if (protectedEnvironment && !inputs.force) {
    throw new InputError(
      `Teardown refused for ${environment.name}: it comes after ${wiring.promotionOrder[0]} in the promotion order, so it serves promoted, verified AMIs (production). ` +
        `If you really mean to delete its fleet, run it again with --force. Nothing was changed.`,
    );
  }
  const names = environmentStackNames(environment);
  const specs = environmentStackSpecs(environment).sort((a, b) => STACK_ORDER.indexOf(b.role) - STACK_ORDER.indexOf(a.role));
  const existing = [];
  for (const spec of specs) {
    const stack = await describeStack(spec.name, deps);
    if (stack && stack.status !== 'DELETE_COMPLETE') existing.push({ spec, stack });
  }
  const pipelineName = existing.find((e) => e.spec.role === 'imagePipeline')?.stack.outputs.ImagePipelineName ?? names.imagePipeline;
  const logBucket = existing.find((e) => e.spec.role === 'imagePipeline')?.stack.outputs.LogBucketName;
  const amis = await listPipelineAmis(pipelineName, deps);
  const left = [
    `the image pipeline's log bucket${logBucket ? ` ${logBucket}` : ''}: DeletionPolicy Retain, because build logs are the evidence behind every AMI; it expires objects by itself (LogRetentionDays). To remove it: empty it (all versions) and delete it.`,
    `${amis.length} AMI(s) of pipeline ${pipelineName}${amis.length ? ` (${amis.slice(0, 5).join(', ')}${amis.length > 5 ? ', …' : ''})` : ''}: AMIs and their snapshots are not stack resources, and git may still name them for a failback. Deregister them (with their snapshots) when no environment can go back to them.`,
    `the account's GitHub OIDC provider (${GITHUB_OIDC_HOST}): shared by every environment of the account. Delete it with aws iam delete-open-id-connect-provider only when no environment is left.`,
    `the GitHub environment ${environment.name} and its variables: remove them in Settings (or gh variable delete …) if the environment is gone for good.`,
  ];

  deps.logger.info(`Teardown of ${environment.name} (${environment.region}) deletes, in this order: ${existing.map((e) => e.spec.name).join(', ') || 'nothing (no stack exists)'}.`);
  for (const line of left) deps.logger.info(`  leaves ${line}`);
  if (existing.length === 0) return { deleted: [], left };
  if (!inputs.yes && !(await deps.confirm(`Delete these ${existing.length} stack(s)${protectedEnvironment ? ` of ${environment.name}` : ''}?`))) {
    deps.logger.notice('Nothing was deleted.');
    return { deleted: [], left, declined: true };
  }

  const deleted: string[] = [];
  for (const { spec } of existing) {
    await deleteStackAndWait({ stackName: spec.name, template: spec.template }, inputs.rerun, deps);
    deleted.push(spec.name);
    deps.logger.info(`  ${spec.name}: deleted`);
  }
  // The event path's token: a live credential is not left behind (recoverable for 7 days).
  const secret = dispatchSecretName(names.githubDispatch);
  if (await deleteDispatchSecret(secret, deps)) deps.logger.info(`  ${secret}: scheduled for deletion in 7 days. Revoke the token on GitHub too.`);
  return { deleted, left };
}

async function listPipelineAmis(pipelineName: string, deps: TeardownDeps): Promise<string[]> {
  const { Images = [] } = await deps.clients.ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:PatchPipeline', Values: [pipelineName] }] }));
  return Images.map((i) => i.ImageId ?? '').filter(Boolean);
}
