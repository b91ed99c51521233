/**
 * Facts about the account the user's credentials reach, read before anything is planned: the
 * account, the partition (ARNs are built from it), the caller (shown in the plan so nobody
 * bootstraps the wrong account), the GitHub OIDC provider and the image pipeline's ARN.
 */
import { CreateOpenIDConnectProviderCommand, GetOpenIDConnectProviderCommand, ListOpenIDConnectProvidersCommand, type IAMClient } from '@aws-sdk/client-iam';
import { GetImagePipelineCommand, type ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';

import { isNotFoundError } from '../../actions/lib/aws/errors';
import type { Deps } from './deps';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';
/**
 * The thumbprints of GitHub's OIDC certificate chain that AWS and GitHub have published. IAM no
 * longer uses them for token.actions.githubusercontent.com (it trusts GitHub's root CAs), so doctor
 * only reports an unexpected list; it never fails on it.
 */
export const KNOWN_GITHUB_THUMBPRINTS = ['6938fd4d98bab03faadb97b34396831e3780aea1', '1c58a3a8518e8759bf075b76b750d4f2df264fcd'];

export interface CallerAccount {
  account: string;
  partition: string;
  callerArn: string;
}

export async function readCallerAccount(deps: Deps<{ sts: STSClient }>): Promise<CallerAccount> {
  const identity = await deps.clients.sts.send(new GetCallerIdentityCommand({}));
  const callerArn = identity.Arn ?? '';
  return { account: identity.Account ?? '', partition: callerArn.split(':')[1] || 'aws', callerArn };
}

export interface OidcProvider {
  arn: string;
  audiences: string[];
  thumbprints: string[];
}

/** The account's provider for GitHub Actions, if there is one (an account can hold only one per URL). */
export async function findGithubOidcProvider(deps: Deps<{ iam: IAMClient }>): Promise<OidcProvider | undefined> {
  const { OpenIDConnectProviderList = [] } = await deps.clients.iam.send(new ListOpenIDConnectProvidersCommand({}));
  const arn = OpenIDConnectProviderList.map((p) => p.Arn ?? '').find((a) => a.endsWith(`:oidc-provider/${GITHUB_OIDC_HOST}`));
  if (!arn) return undefined;
  const provider = await deps.clients.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
  return { arn, audiences: provider.ClientIDList ?? [], thumbprints: provider.ThumbprintList ?? [] };
}

/**
 * Creates the account's GitHub OIDC provider with IAM, outside any stack: it is shared by every
 * environment of the account, so tearing one environment down must not delete it. No thumbprint
 * list: IAM trusts GitHub's endpoint through its own root CAs.
 */
export async function createGithubOidcProvider(deps: Deps<{ iam: IAMClient }>): Promise<string> {
  const created = await deps.clients.iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: `https://${GITHUB_OIDC_HOST}`,
      ClientIDList: [GITHUB_OIDC_AUDIENCE],
      Tags: [{ Key: 'ManagedBy', Value: 'ami-patch-gitops' }],
    }),
  );
  deps.logger.info(`Created the account's GitHub OIDC provider ${created.OpenIDConnectProviderArn}.`);
  return created.OpenIDConnectProviderArn ?? '';
}

export interface PipelineArnLookup {
  arn: string;
  /** `output`: the stack's ImagePipelineArn output. `image-builder`: found by name (see below). */
  source: 'output' | 'image-builder';
}

/**
 * The image pipeline's ARN: the image-pipeline stack's `ImagePipelineArn` output. When a stack
 * has no such output but names its pipeline (`ImagePipelineName`), Image Builder is asked for the
 * pipeline of that name and its ARN is used only if it exists. That is the case in moto, which
 * creates no Image Builder resources and so drops the output; there the project's Image Builder
 * stand-in answers (docs/local.md).
 */
export async function lookUpPipelineArn(
  outputs: Record<string, string> | undefined,
  where: { region: string; account: string; partition: string },
  deps: Deps<{ imageBuilder: ImagebuilderClient }>,
): Promise<PipelineArnLookup | undefined> {
  if (!outputs) return undefined;
  if (outputs.ImagePipelineArn) return { arn: outputs.ImagePipelineArn, source: 'output' };
  const name = outputs.ImagePipelineName;
  if (!name) return undefined;
  const arn = `arn:${where.partition}:imagebuilder:${where.region}:${where.account}:image-pipeline/${name.toLowerCase()}`;
  try {
    const { imagePipeline } = await deps.clients.imageBuilder.send(new GetImagePipelineCommand({ imagePipelineArn: arn }));
    return imagePipeline?.arn ? { arn: imagePipeline.arn, source: 'image-builder' } : undefined;
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  }
}
