/**
 * What integration tests stand on: the moto server and Image Builder stand-in that global-setup.ts
 * started for this jest worker, the environment that points the SDK (and bundled actions) at them,
 * and helpers that deploy the real templates. Call `useLocalAws()` at the top of a test file.
 *
 *   useLocalAws();
 *   it('…', async () => {
 *     const { app } = await deployAppFoundation();
 *     const run = await runBundledAction('verify-alb', { 'stack-name': 'patch-dev-app', … });
 *   });
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { GetImageCommand, StartImagePipelineExecutionCommand } from '@aws-sdk/client-imagebuilder';

import { createAwsClients, type AwsClients } from '../../actions/lib/aws/clients';
import { systemClock } from '../../actions/lib/clock';
import { poll } from '../../actions/lib/poll';
import { deregisterTerminatedTargets } from '../../local/cycle/fleet';
import { applyEnv, createMotoClients, LOCAL_REGION, localAwsEnv, REPO_ROOT, resolveLocalBaseAmi, type LocalEndpoints } from '../../local/env';
import { createStandinControl, type StandinControl } from '../../local/imagebuilder-standin/client';
import { resetMoto } from '../../local/moto';
import { deployEnvironmentStacks, deployStack as deployStackWith, type DeployedStack, type EnvironmentStacks } from '../../local/stacks';
import { REPLACE_DEV_EXAMPLE, REPLACE_TEMPLATE } from '../support/replace-environment';

export type { DeployedStack } from '../../local/stacks';

const SERVERS_ENV = 'LOCAL_AWS_SERVERS';

/**
 * This worker's servers. Jest numbers its workers 1..maxWorkers (JEST_WORKER_ID, also 1 when
 * running in band); global setup started one pair per worker, in that order.
 */
export function localEndpoints(): LocalEndpoints {
  const raw = process.env[SERVERS_ENV];
  if (!raw) {
    throw new Error(
      `${SERVERS_ENV} is not set: the integration project's globalSetup (test/integration/global-setup.ts) did not run. Run the tests with jest --selectProjects integration (or npx jest test/integration/...).`,
    );
  }
  const pairs = JSON.parse(raw) as LocalEndpoints[];
  const worker = Number(process.env.JEST_WORKER_ID ?? '1');
  const pair = pairs[worker - 1];
  if (!pair) throw new Error(`Jest worker ${worker} has no local servers (global setup started ${pairs.length}). Run with --maxWorkers=${pairs.length} or fewer.`);
  return pair;
}

/** The environment a bundled action needs to reach this worker's moto and stand-in. */
export function localEnv(): Record<string, string | undefined> {
  return localAwsEnv(localEndpoints());
}

/**
 * Points this test file at the local servers: in beforeAll it sets process.env (endpoints,
 * us-east-1, test credentials; every other AWS_* variable removed) and resets moto and the
 * stand-in, so each file starts from an empty account; afterAll restores the environment.
 */
export function useLocalAws(): void {
  // The project's testTimeout in jest.config.js does not reach the tests (jest reads it only from
  // the global config), so integration files set theirs here: stacks and action runs take seconds.
  jest.setTimeout(120_000);
  let restore: (() => void) | undefined;
  beforeAll(async () => {
    restore = applyEnv(localAwsEnv(localEndpoints()));
    await resetLocalAws();
  });
  afterAll(() => restore?.());
}

/** Empties moto (every resource) and the stand-in (pipelines, builds, configuration), e.g. between two scenarios of one file. */
export async function resetLocalAws(): Promise<void> {
  await Promise.all([resetMoto(localEndpoints().moto), standin.reset()]);
}

/** SDK clients for moto and the stand-in, built the way the actions build theirs (call after useLocalAws set the env). */
export function localClients(): AwsClients {
  return createAwsClients({ region: LOCAL_REGION });
}

/** The control API of this worker's Image Builder stand-in (see local/imagebuilder-standin/client.ts). */
export const standin: StandinControl = createStandinControl(() => localEndpoints().imageBuilder);

/**
 * dev's AMI owner allowlist as the shipped wiring has it, comma-separated the way
 * resolve-environment hands it to update-app-stack's ami-owners: steps run here as the workflows
 * run them. It lists 137112412989, the owner of the base AMI below (docs/parameters.md).
 */
export const DEV_AMI_OWNERS: string = (
  JSON.parse(readFileSync(resolve(REPO_ROOT, 'parameters/environments.json'), 'utf8')) as { environments: { dev: { amiOwners: string[] } } }
).environments.dev.amiOwners.join(',');

/**
 * A build of the local pipeline (LOCAL_PIPELINE_ARN, registered in the stand-in) through the real
 * Image Builder API, finished at once; `spoil` makes the stand-in spoil it (the data plane then
 * serves errors from its instances). Returns the AMI.
 */
export async function buildLocalAmi(pipelineArn: string, options: { spoil?: boolean } = {}): Promise<string> {
  const { imageBuilder } = localClients();
  await standin.configure({ buildSeconds: 0, spoilNext: options.spoil ?? false });
  const { imageBuildVersionArn } = await imageBuilder.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: pipelineArn }));
  const { observation } = await poll({
    description: 'the build',
    check: async () => (await imageBuilder.send(new GetImageCommand({ imageBuildVersionArn }))).image,
    isDone: (image) => image?.state?.status === 'AVAILABLE',
    clock: systemClock,
    timeoutMs: 30_000,
    schedule: { firstDelayMs: 100, steadyMs: 200 },
  });
  return observation!.outputResources!.amis![0].image!;
}

/** The Amazon Linux 2023 AMI that moto knows (its copy of the public SSM parameter). */
export async function localBaseAmi(): Promise<string> {
  const { ssm } = createMotoClients(localEndpoints().moto);
  try {
    return await resolveLocalBaseAmi(ssm);
  } finally {
    ssm.destroy();
  }
}

/** Creates a stack from a template (path relative to the repository) and waits; see local/stacks.ts. */
export async function deployStack(name: string, templatePath: string, parameters: Record<string, string>, tags: Record<string, string> = {}): Promise<DeployedStack> {
  return deployStackWith(localClients().cloudFormation, { name, templatePath: resolve(REPO_ROOT, templatePath), parameters, tags });
}

export type AppFoundation = EnvironmentStacks;

/**
 * Deploys an environment of the shipped wiring (parameters/environments.json): the network stack
 * from templates/network.yaml with its defaults, then the app stack, the AMI overridden when `ami`
 * is given. dev, by default, as a replace environment (templates/app.yaml with the replace example
 * test/fixtures/replace/dev.json): the suites that use this test strategy replace, while the
 * shipped dev runs slots. `shipped: true` deploys it exactly as wired (templates/app-slots.yaml with
 * parameters/dev.json).
 */
export async function deployAppFoundation(options: { ami?: string; environment?: string; shipped?: boolean } = {}): Promise<AppFoundation> {
  const { shipped, ...rest } = options;
  const asReplace = !shipped && (options.environment ?? 'dev') === 'dev';
  return deployEnvironmentStacks(localClients().cloudFormation, {
    repoDir: REPO_ROOT,
    ...rest,
    ...(asReplace ? { as: { appTemplate: REPLACE_TEMPLATE, parametersFile: REPLACE_DEV_EXAMPLE, strategy: 'replace' as const } } : {}),
  });
}

/**
 * moto fix-up (docs/moto.md #6): a deleted or scaled-in group's terminated instances stay
 * registered in moto, which verify-alb rightly refuses; on AWS the group deregisters them itself.
 * The cycle's fix-up, in a loop while a step runs; call the returned function to stop it.
 */
export function deregisterTerminatedTargetsMeanwhile(stackName: string): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      await deregisterTerminatedTargets(localClients(), stackName);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}
