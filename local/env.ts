/**
 * The fixed facts of local mode: region, account, credentials, the local pipeline ARN, and the
 * environment variables that point the SDK (and so the real actions) at moto and the Image Builder
 * stand-in. Everything in local/ and test/integration/ takes these from here.
 */
import { resolve } from 'node:path';

import { EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

/** Local mode's region: the stand-in pipeline's and dev's (prod runs in LOCAL_SECOND_REGION in the cycle). */
export const LOCAL_REGION = 'us-east-1';
/**
 * Where the cycle runs prod: another region than dev, so the promotion makes and deploys a copy
 * (local/cycle/second-region.ts). Its network stack needs the Fn::GetAZs patch
 * (local/moto-patches/cloudformation_get_azs.py).
 */
export const LOCAL_SECOND_REGION = 'us-west-2';
/** The account moto answers as (STS GetCallerIdentity, OwnerId of minted AMIs). */
export const LOCAL_ACCOUNT_ID = '123456789012';
/** moto checks no signature; the SDK only needs some credentials to sign with. */
export const LOCAL_CREDENTIALS = Object.freeze({ accessKeyId: 'test', secretAccessKey: 'test' });
/** The dev pipeline as the image-pipeline stack would name it (COMMON.md "Local endpoints"). */
export const LOCAL_PIPELINE_ARN = `arn:aws:imagebuilder:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:image-pipeline/patch-dev-app`;
/** The public parameter the image recipe starts from; moto ships its value for every region. */
export const AL2023_AMI_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

export const REPO_ROOT = resolve(__dirname, '..');
/** Scratch space of local mode (git-ignored): logs, the cycle's scratch clone. */
export const LOCAL_DIR = resolve(REPO_ROOT, '.local');

export interface LocalEndpoints {
  /** moto server, e.g. http://127.0.0.1:40123 */
  moto: string;
  /** The Image Builder stand-in, e.g. http://127.0.0.1:40124 */
  imageBuilder: string;
  /** The local data plane's ELBv2 front (target health from real health checks), when one runs. */
  elbv2?: string;
}

/**
 * The environment that sends every SDK call to the local servers: `AWS_ENDPOINT_URL` for all
 * services (moto), `AWS_ENDPOINT_URL_IMAGEBUILDER` for Image Builder (the stand-in),
 * `AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2` for ELBv2 when a local data plane runs, test
 * credentials, us-east-1. `undefined` means "remove this variable": a profile, a session token or
 * another service's endpoint inherited from the caller's shell must not leak into local runs
 * (and never send a call to real AWS).
 */
export function localAwsEnv(endpoints: LocalEndpoints, inherited: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of Object.keys(inherited)) {
    if (name.startsWith('AWS_')) env[name] = undefined;
  }
  return {
    ...env,
    AWS_ENDPOINT_URL: endpoints.moto,
    AWS_ENDPOINT_URL_IMAGEBUILDER: endpoints.imageBuilder,
    ...(endpoints.elbv2 ? { AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: endpoints.elbv2 } : {}),
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // No instance metadata lookups on a developer machine: they only add timeouts.
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Applies `localAwsEnv`-style changes to an env object; returns a function that undoes them. */
export function applyEnv(changes: Record<string, string | undefined>, target: NodeJS.ProcessEnv = process.env): () => void {
  const saved = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(changes)) {
    saved.set(name, target[name]);
    if (value === undefined) delete target[name];
    else target[name] = value;
  }
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete target[name];
      else target[name] = value;
    }
  };
}

/**
 * Clients bound to moto by an explicit endpoint, for local/ itself (the stand-in minting AMIs,
 * the harness reading moto's public parameters). The actions never use these: they build their
 * clients with `createAwsClients` and find moto through the environment, as on a runner.
 */
export function createMotoClients(motoEndpoint: string): { ec2: EC2Client; ssm: SSMClient } {
  const config = { region: LOCAL_REGION, endpoint: motoEndpoint, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 2 };
  return { ec2: new EC2Client(config), ssm: new SSMClient(config) };
}

/** The Amazon Linux 2023 AMI moto knows (its copy of the public SSM parameter). */
export async function resolveLocalBaseAmi(ssm: SSMClient): Promise<string> {
  const answer = await ssm.send(new GetParameterCommand({ Name: AL2023_AMI_PARAMETER }));
  const ami = answer.Parameter?.Value;
  if (!ami) throw new Error(`moto returned no value for ${AL2023_AMI_PARAMETER}; is this moto 5.2 with its bundled SSM parameters?`);
  return ami;
}
