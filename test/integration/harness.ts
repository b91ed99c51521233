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

import { CreateStackCommand, DescribeStackEventsCommand, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';

import { createAwsClients, type AwsClients } from '../../actions/lib/aws/clients';
import { systemClock } from '../../actions/lib/clock';
import { getEnvironment, loadEnvironments, loadParametersFile } from '../../actions/lib/parameters';
import { poll } from '../../actions/lib/poll';
import { applyEnv, createMotoClients, LOCAL_REGION, localAwsEnv, REPO_ROOT, resolveLocalBaseAmi, type LocalEndpoints } from '../../local/env';
import { createStandinControl, type StandinControl } from '../../local/imagebuilder-standin/client';
import { resetMoto } from '../../local/moto';

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

/** The Amazon Linux 2023 AMI that moto knows (its copy of the public SSM parameter). */
export async function localBaseAmi(): Promise<string> {
  const { ssm } = createMotoClients(localEndpoints().moto);
  try {
    return await resolveLocalBaseAmi(ssm);
  } finally {
    ssm.destroy();
  }
}

export interface DeployedStack {
  stackId: string;
  outputs: Record<string, string>;
}

const IN_PROGRESS = /_IN_PROGRESS$/;

/**
 * Creates a stack from a template file and waits until it is done. Throws with the status and
 * reason when it does not end CREATE_COMPLETE. (moto creates stacks synchronously and reports
 * failures as API errors, which are thrown as they are.)
 */
export async function deployStack(name: string, templatePath: string, parameters: Record<string, string>, tags: Record<string, string> = {}): Promise<DeployedStack> {
  const { cloudFormation } = localClients();
  const created = await cloudFormation.send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: readFileSync(resolve(REPO_ROOT, templatePath), 'utf8'),
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
    }),
  );
  const { observation: stack } = await poll<Stack>({
    description: `stack ${name} to be created`,
    check: async (): Promise<Stack> => (await cloudFormation.send(new DescribeStacksCommand({ StackName: created.StackId }))).Stacks?.[0] ?? ({} as Stack),
    isDone: (s) => !IN_PROGRESS.test(s.StackStatus ?? 'CREATE_IN_PROGRESS'),
    clock: systemClock,
    timeoutMs: 60_000,
  });
  if (stack.StackStatus !== 'CREATE_COMPLETE') {
    const events = (await cloudFormation.send(new DescribeStackEventsCommand({ StackName: created.StackId }))).StackEvents ?? [];
    const failures = events.filter((e) => /FAILED/.test(e.ResourceStatus ?? '')).map((e) => `${e.LogicalResourceId} ${e.ResourceStatus} (${e.ResourceStatusReason})`);
    throw new Error(`Stack ${name} from ${templatePath} ended ${stack.StackStatus}: ${stack.StackStatusReason ?? 'no reason'}${failures.length ? `; ${failures.join('; ')}` : ''}`);
  }
  const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  return { stackId: created.StackId ?? '', outputs };
}

export interface AppFoundation {
  network: DeployedStack & { name: string };
  app: DeployedStack & { name: string };
  /** The AMI the app stack was deployed with. */
  ami: string;
  /** The parameters the app stack got (parameters/dev.json, AMI possibly overridden). */
  parameters: Record<string, string>;
}

/**
 * Deploys the dev environment as its wiring says (parameters/environments.json): the network stack
 * from templates/network.yaml with its defaults, then the app stack from the environment's app
 * template with parameters/dev.json, the AMI overridden when `ami` is given.
 */
export async function deployAppFoundation(options: { ami?: string; environment?: string } = {}): Promise<AppFoundation> {
  const wiring = await loadEnvironments(resolve(REPO_ROOT, 'parameters/environments.json'));
  const environment = getEnvironment(wiring, options.environment ?? 'dev');
  const parametersFile = await loadParametersFile(resolve(REPO_ROOT, environment.parametersFile));
  const parameters: Record<string, string> = { ...parametersFile.parameters, ...(options.ami ? { AmazonMachineImage: options.ami } : {}) };
  const network = await deployStack(environment.stacks.network, 'templates/network.yaml', {}, parametersFile.tags);
  const app = await deployStack(environment.stacks.app, environment.appTemplate, parameters, parametersFile.tags);
  return {
    network: { name: environment.stacks.network, ...network },
    app: { name: environment.stacks.app, ...app },
    ami: parameters.AmazonMachineImage,
    parameters,
  };
}
