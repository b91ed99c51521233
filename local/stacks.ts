/**
 * Creating the environment's stacks from the real templates, and snapshots that prove "nothing
 * changed". Shared by the integration harness and the local cycle.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import {
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListChangeSetsCommand,
  type CloudFormationClient,
  type Stack,
} from '@aws-sdk/client-cloudformation';

import { systemClock } from '../actions/lib/clock';
import { amiParametersOf, getEnvironment, liveAmiIn, loadEnvironments, loadParametersFile, type EnvironmentConfig } from '../actions/lib/parameters';
import { poll } from '../actions/lib/poll';

export interface DeployedStack {
  stackId: string;
  outputs: Record<string, string>;
}

const IN_PROGRESS = /_IN_PROGRESS$/;

/**
 * Creates a stack from a template file and waits until it is done. Throws with the status, the
 * reason and the failed resources when it does not end CREATE_COMPLETE. (moto creates stacks
 * synchronously and reports resource failures as API errors, which are thrown as they are.)
 */
export async function deployStack(
  cloudFormation: CloudFormationClient,
  stack: { name: string; templatePath: string; parameters: Record<string, string>; tags?: Record<string, string> },
): Promise<DeployedStack> {
  const created = await cloudFormation.send(
    new CreateStackCommand({
      StackName: stack.name,
      TemplateBody: readFileSync(stack.templatePath, 'utf8'),
      Parameters: Object.entries(stack.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      Tags: Object.entries(stack.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
    }),
  );
  const { observation: done } = await poll<Stack>({
    description: `stack ${stack.name} to be created`,
    check: async (): Promise<Stack> => (await cloudFormation.send(new DescribeStacksCommand({ StackName: created.StackId }))).Stacks?.[0] ?? ({} as Stack),
    isDone: (s) => !IN_PROGRESS.test(s.StackStatus ?? 'CREATE_IN_PROGRESS'),
    clock: systemClock,
    timeoutMs: 120_000,
  });
  if (done.StackStatus !== 'CREATE_COMPLETE') {
    const events = (await cloudFormation.send(new DescribeStackEventsCommand({ StackName: created.StackId }))).StackEvents ?? [];
    const failures = events.filter((e) => /FAILED/.test(e.ResourceStatus ?? '')).map((e) => `${e.LogicalResourceId} ${e.ResourceStatus} (${e.ResourceStatusReason})`);
    throw new Error(`Stack ${stack.name} from ${stack.templatePath} ended ${done.StackStatus}: ${done.StackStatusReason ?? 'no reason'}${failures.length ? `; ${failures.join('; ')}` : ''}`);
  }
  return { stackId: created.StackId ?? '', outputs: Object.fromEntries((done.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? ''])) };
}

export interface EnvironmentStacks {
  environment: EnvironmentConfig;
  network: DeployedStack & { name: string };
  app: DeployedStack & { name: string };
  /** The AMI the app stack was deployed with. */
  ami: string;
  /** The parameters the app stack got (the environment's parameters file, AMI possibly overridden). */
  parameters: Record<string, string>;
}

/**
 * Deploys an environment as its wiring says (parameters/environments.json in `repoDir`): the
 * network stack from templates/network.yaml with its defaults, then the app stack from the
 * environment's app template with its parameters file, the AMI overridden when `ami` is given.
 * `as` deploys it with another app template and parameters file (paths in `repoDir`) than the
 * wiring names: the tests of strategy replace deploy dev that way while the shipped dev runs slots.
 */
export async function deployEnvironmentStacks(
  cloudFormation: CloudFormationClient,
  options: { repoDir: string; environment?: string; ami?: string; as?: Pick<EnvironmentConfig, 'appTemplate' | 'parametersFile' | 'strategy'> },
): Promise<EnvironmentStacks> {
  const wiring = await loadEnvironments(resolve(options.repoDir, 'parameters/environments.json'), { rootDir: options.repoDir });
  const wired = getEnvironment(wiring, options.environment ?? wiring.promotionOrder[0]);
  const environment: EnvironmentConfig = options.as ? { ...wired, ...options.as } : wired;
  const file = await loadParametersFile(resolve(options.repoDir, environment.parametersFile));
  // `ami` goes into every AMI parameter: AmazonMachineImage, or both slots' in the slots shape.
  const parameters: Record<string, string> = { ...file.parameters, ...(options.ami ? Object.fromEntries(amiParametersOf(file.parameters).map((k) => [k, options.ami!])) : {}) };
  const network = await deployStack(cloudFormation, {
    name: environment.stacks.network,
    templatePath: resolve(options.repoDir, 'templates/network.yaml'),
    parameters: {},
    tags: file.tags,
  });
  const app = await deployStack(cloudFormation, {
    name: environment.stacks.app,
    templatePath: resolve(options.repoDir, environment.appTemplate),
    parameters,
    tags: file.tags,
  });
  return {
    environment,
    network: { name: environment.stacks.network, ...network },
    app: { name: environment.stacks.app, ...app },
    ami: liveAmiIn(parameters) ?? '',
    parameters,
  };
}

/** What "the stack did not change" is judged on: status, last update, parameters, change sets. */
export interface StackSnapshot {
  status: string;
  lastUpdated: string;
  parameters: Record<string, string>;
  changeSets: string[];
}

export async function snapshotStack(cloudFormation: CloudFormationClient, name: string): Promise<StackSnapshot> {
  const stack = (await cloudFormation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  const { Summaries = [] } = await cloudFormation.send(new ListChangeSetsCommand({ StackName: name }));
  return {
    status: stack?.StackStatus ?? 'MISSING',
    lastUpdated: stack?.LastUpdatedTime?.toISOString() ?? stack?.CreationTime?.toISOString() ?? '',
    parameters: Object.fromEntries((stack?.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? ''])),
    changeSets: Summaries.map((s) => `${s.ChangeSetName} ${s.Status}`),
  };
}

/** The differences between two snapshots, as readable lines (none = nothing changed). */
export function diffSnapshots(before: StackSnapshot, after: StackSnapshot): string[] {
  const changes: string[] = [];
  if (before.status !== after.status) changes.push(`status ${before.status} → ${after.status}`);
  if (before.lastUpdated !== after.lastUpdated) changes.push(`last updated ${before.lastUpdated} → ${after.lastUpdated}`);
  for (const key of new Set([...Object.keys(before.parameters), ...Object.keys(after.parameters)])) {
    if (before.parameters[key] !== after.parameters[key]) changes.push(`${key} ${before.parameters[key]} → ${after.parameters[key]}`);
  }
  if (before.changeSets.join() !== after.changeSets.join()) changes.push(`change sets [${before.changeSets.join(', ')}] → [${after.changeSets.join(', ')}]`);
  return changes;
}
