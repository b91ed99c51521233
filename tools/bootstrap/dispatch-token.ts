/**
 * The GitHub token of the event path lives in a Secrets Manager secret of its own, written here
 * from the environment variable the user set, never from a file in the repository and never
 * through a CloudFormation parameter. The value is never logged.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

import { isNotFoundError } from '../../actions/lib/aws/errors';
import type { Deps } from './deps';

type SecretsDeps = Deps<{ secretsManager: SecretsManagerClient }>;

/** The variable bootstrap --dispatch reads the token from. */
export const DISPATCH_TOKEN_VARIABLE = 'GITHUB_DISPATCH_TOKEN';

export interface SecretVersion {
  secretArn: string;
  versionId: string;
}

export function dispatchSecretName(dispatchStack: string): string {
  return `${dispatchStack}/github-token`;
}

/** The secret and its current version, if it exists (and is not scheduled for deletion). */
export async function readDispatchSecret(name: string, deps: SecretsDeps): Promise<SecretVersion | undefined> {
  try {
    const secret = await deps.clients.secretsManager.send(new DescribeSecretCommand({ SecretId: name }));
    if (secret.DeletedDate) return undefined;
    const current = Object.entries(secret.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
    return secret.ARN && current ? { secretArn: secret.ARN, versionId: current } : undefined;
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  }
}

/** Creates the secret, or adds the token as its new current version. */
export async function storeDispatchToken(name: string, token: string, existing: SecretVersion | undefined, repository: string, deps: SecretsDeps): Promise<SecretVersion> {
  if (existing) {
    const put = await deps.clients.secretsManager.send(new PutSecretValueCommand({ SecretId: existing.secretArn, SecretString: token }));
    deps.logger.info(`Stored a new version of the dispatch token in ${name} (value not shown).`);
    return { secretArn: existing.secretArn, versionId: put.VersionId ?? '' };
  }
  const created = await deps.clients.secretsManager.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: token,
      Description: `GitHub token for repository_dispatch on ${repository} (read by the EventBridge connection of the event path)`,
      Tags: [{ Key: 'ManagedBy', Value: 'ami-patch-gitops' }],
    }),
  );
  deps.logger.info(`Stored the dispatch token in a new secret ${name} (value not shown).`);
  return { secretArn: created.ARN ?? '', versionId: created.VersionId ?? '' };
}

/** Schedules the secret's deletion (7 days, the shortest recovery window), for teardown. */
export async function deleteDispatchSecret(name: string, deps: SecretsDeps): Promise<boolean> {
  if (!(await readDispatchSecret(name, deps))) return false;
  await deps.clients.secretsManager.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
  return true;
}
