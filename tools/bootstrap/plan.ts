/**
 * The plan: for each stack of the environment, in order, what bootstrap would do and why. It only
 * reads, except for change sets, which it creates for existing stacks so the plan shows exactly
 * what CloudFormation would change (they are executed by apply.ts, or deleted if the user says no).
 * A re-run of a finished environment plans "no changes" everywhere; a re-run after a failure finds
 * the finished stacks unchanged and picks up at the one that failed.
 */
import type { Change, CloudFormationClient, Tag } from '@aws-sdk/client-cloudformation';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { STSClient } from '@aws-sdk/client-sts';

import { environmentAmiPolicy } from '../../actions/lib/ami-policy';
import type { AwsTime } from '../../actions/lib/aws/aws-clock';
import { changeSetName, createChangeSet, deleteChangeSet, waitForChangeSet } from '../../actions/lib/cloudformation/change-set';
import { planChangeSetParameters } from '../../actions/lib/cloudformation/change-set-parameters';
import { checkNewImages } from '../../actions/lib/cloudformation/image-parameters';
import { resolveTemplateSource } from '../../actions/lib/cloudformation/template-source';
import { classifyStackStatus, continueRollbackAdvice, describeStack, listFailedResources, type StackSnapshot } from '../../actions/lib/cloudformation/stack-state';
import type { Deps } from './deps';
import { AwsOperationError, InputError } from '../../actions/lib/errors';
import { environmentStackNames, type EnvironmentConfig } from '../../actions/lib/parameters';
import { poll } from '../../actions/lib/poll';
import { findGithubOidcProvider, lookUpPipelineArn, readCallerAccount, type CallerAccount, type OidcProvider } from './account';
import { DISPATCH_TOKEN_VARIABLE, dispatchSecretName, readDispatchSecret, type SecretVersion } from './dispatch-token';
import type { RepositoryFiles } from './inputs';
import { STACK_OPERATION_TIMEOUT_MS } from './stack-operations';
import { appServiceRole, environmentStackSpecs, OPTIONAL_ROLES, stackParameters, type StackRole, type StackSpec, type WiringContext } from './stack-specs';

export type PlanClients = {
  cloudFormation: CloudFormationClient;
  iam: IAMClient;
  sts: STSClient;
  imageBuilder: ImagebuilderClient;
  secretsManager: SecretsManagerClient;
  /** Uploads an app template over CloudFormation's inline limit (template-source.ts). */
  s3?: S3Client;
  /** DescribeImages: the app stack's AMIs are checked as every deploy checks them. */
  ec2: EC2Client;
  awsClock: AwsTime;
};
export type PlanDeps = Deps<PlanClients>;

export interface BootstrapRequest {
  environment: EnvironmentConfig;
  repository: string;
  files: RepositoryFiles;
  /** The optional stacks asked for; one that already exists is planned whether asked for or not. */
  include: { automation: boolean; githubDispatch: boolean };
  /** The event path's GitHub token (from GITHUB_DISPATCH_TOKEN); never logged. */
  dispatchToken?: string;
  /** What to run to try again, for failure messages ("npm run bootstrap -- --env dev"). */
  rerun: string;
  /** Distinguishes this run's change sets from earlier ones'. */
  runId: string;
}

export type StackAction =
  | { kind: 'create' }
  /** A creation that failed earlier (ROLLBACK_COMPLETE, …): nothing in it works; delete, then create. */
  | { kind: 'recreate'; status: string }
  | { kind: 'update'; changeSetId: string; changes: Change[] }
  | { kind: 'no-changes' }
  /** Exists, but its parameters depend on stacks this run creates or changes first. */
  | { kind: 'update-after-upstream'; pending: string[] }
  | { kind: 'skip'; why: string };

export interface PlannedStack {
  spec: StackSpec;
  /** The stack's status before the run (undefined: no such stack). */
  status?: string;
  action: StackAction;
  /** Parameters as far as known when planning (pending ones are filled in while applying). */
  parameters: Record<string, string>;
  pending: string[];
}

export interface BootstrapPlan {
  request: BootstrapRequest;
  region: string;
  account: CallerAccount;
  oidcProvider: { existing?: OidcProvider; create: boolean };
  dispatchSecret?: { name: string; existing?: SecretVersion; store: boolean };
  stacks: PlannedStack[];
  tags: Tag[];
}

/** True when applying the plan would change something in AWS. */
export function planChangesSomething(plan: BootstrapPlan): boolean {
  return plan.oidcProvider.create || Boolean(plan.dispatchSecret?.store) || plan.stacks.some((s) => !['no-changes', 'skip'].includes(s.action.kind));
}

/** Reads the environment as it stands and works out each step. */
export async function planBootstrap(request: BootstrapRequest, deps: PlanDeps): Promise<BootstrapPlan> {
  const { environment } = request;
  const names = environmentStackNames(environment);
  const account = await readCallerAccount(deps);
  await checkAppStackImages(request, await settledStack(names.app, deps), account.account, deps);
  const existingProvider = await findGithubOidcProvider(deps);
  const tags = Object.entries(request.files.parametersFile.tags).map(([Key, Value]) => ({ Key, Value }));

  const context: WiringContext = { environment, repository: request.repository, parametersFile: request.files.parametersFile, outputs: {} };
  const planned: PlannedStack[] = [];
  /** Roles whose outputs this run may still change (created or updated before the later stacks). */
  const changing = new Set<StackRole>();

  let dispatchSecret: BootstrapPlan['dispatchSecret'];
  for (const spec of environmentStackSpecs(environment)) {
    const stack = await settledStack(spec.name, deps);
    if (OPTIONAL_ROLES.has(spec.role) && !stack && !request.include[spec.role as 'automation' | 'githubDispatch']) {
      planned.push({ spec, action: { kind: 'skip', why: spec.role === 'automation' ? 'optional: pass --runbook to add it' : 'optional: pass --dispatch to add it' }, parameters: {}, pending: [] });
      continue;
    }
    if (spec.role === 'githubDispatch') {
      dispatchSecret = await planDispatchSecret(names.githubDispatch, request, deps);
      if (dispatchSecret.existing && !dispatchSecret.store) context.dispatchToken = dispatchSecret.existing;
    }
    if (spec.role === 'githubOidc' && stack) context.existingCreateOidcProvider = stack.parameters.CreateOidcProvider;
    if (stack) context.outputs[spec.role] = stack.outputs;
    if (spec.role === 'imagePipeline' && stack) {
      context.pipelineArn = (await lookUpPipelineArn(stack.outputs, { region: environment.region, ...account }, deps))?.arn;
    }

    const { parameters, pending } = stackParameters(spec.role, context);
    if (spec.role === 'app') pending.push(...appServiceRole(context).pending);
    if (spec.role === 'githubDispatch' && dispatchSecret?.store) pending.push('GitHubTokenVersion (the token this run stores)');
    const dependsOnChange = dependsOnChangingStack(spec.role, changing);
    const action = await planStackAction(spec, stack, { parameters, pending, dependsOnChange, request, tags }, deps);
    if (!['no-changes', 'skip'].includes(action.kind)) changing.add(spec.role);
    planned.push({ spec, status: stack?.status, action, parameters, pending });
  }

  return {
    request,
    region: environment.region,
    account,
    oidcProvider: { existing: existingProvider, create: !existingProvider },
    dispatchSecret,
    stacks: planned,
    tags,
  };
}

/**
 * Bootstrap deploys the app stack, so the AMIs in its parameters file pass the check every deploy
 * passes (update-app-stack's checkNewImages: the AMI exists here, is available, is not deprecated on
 * AWS's time, and its owner is on the environment's allowlist, `self` being the account bootstrap
 * deploys into). Before anything else is planned: no change set exists yet, so nothing was changed.
 * An AMI the stack already runs is not checked again, as in a deploy.
 */
async function checkAppStackImages(request: BootstrapRequest, stack: StackSnapshot | undefined, account: string, deps: PlanDeps): Promise<void> {
  const { parametersFile, appTemplate } = request.files;
  const running = stack && !FAILED_CREATION.has(stack.status) ? stack.parameters : {};
  const { changes } = planChangeSetParameters([...appTemplate.parameters.keys()], parametersFile.parameters, running);
  await checkNewImages({ changes, template: appTemplate, file: parametersFile, region: request.environment.region, policy: environmentAmiPolicy(request.environment, account) }, deps);
}

/** Which stacks' outputs feed which: a stack planned after a changing upstream is re-planned when applied. */
const UPSTREAM: Readonly<Record<StackRole, readonly StackRole[]>> = {
  network: [],
  imagePipeline: ['network'],
  githubOidc: ['imagePipeline'],
  app: ['network', 'githubOidc'],
  automation: ['imagePipeline', 'app'],
  githubDispatch: ['imagePipeline'],
};

function dependsOnChangingStack(role: StackRole, changing: ReadonlySet<StackRole>): boolean {
  return UPSTREAM[role].some((upstream) => changing.has(upstream));
}

/** The stack once no operation is running on it (another deploy, a rollback); undefined if absent. */
async function settledStack(stackName: string, deps: PlanDeps): Promise<StackSnapshot | undefined> {
  const now = await describeStack(stackName, deps);
  if (!now || classifyStackStatus(now.status) !== 'busy' || now.status === 'REVIEW_IN_PROGRESS') return now;
  deps.logger.info(`${stackName} is ${now.status}: waiting for that operation to end before planning.`);
  const { observation } = await poll<StackSnapshot | undefined>({
    description: `stack ${stackName} to finish its current operation`,
    check: () => describeStack(stackName, deps),
    isDone: (s) => s === undefined || classifyStackStatus(s.status) !== 'busy',
    clock: deps.clock,
    timeoutMs: STACK_OPERATION_TIMEOUT_MS,
    describe: (s) => s?.status ?? 'deleted',
    progressKey: (s) => s?.status ?? 'deleted',
  });
  return observation;
}

const FAILED_CREATION = new Set(['CREATE_FAILED', 'ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'REVIEW_IN_PROGRESS', 'DELETE_FAILED']);

async function planStackAction(
  spec: StackSpec,
  stack: StackSnapshot | undefined,
  wiring: { parameters: Record<string, string>; pending: string[]; dependsOnChange: boolean; request: BootstrapRequest; tags: Tag[] },
  deps: PlanDeps,
): Promise<StackAction> {
  if (!stack || stack.status === 'DELETE_COMPLETE') return { kind: 'create' };
  if (FAILED_CREATION.has(stack.status)) return { kind: 'recreate', status: stack.status };
  const readiness = classifyStackStatus(stack.status);
  if (readiness !== 'ready') {
    const failed = stack.status === 'UPDATE_ROLLBACK_FAILED' ? await listFailedResources(spec.name, deps) : [];
    throw new AwsOperationError(
      `Bootstrap cannot plan stack ${spec.name} (${spec.template}): it is ${stack.status}${stack.statusReason ? ` (${stack.statusReason})` : ''}. ` +
        `${continueRollbackAdvice(spec.name, failed)}, then ${wiring.request.rerun}. Nothing was changed.`,
      spec.name,
      stack.status,
    );
  }
  if (wiring.pending.length > 0 || wiring.dependsOnChange) {
    return { kind: 'update-after-upstream', pending: wiring.pending.length > 0 ? wiring.pending : ['outputs of the stacks updated before it'] };
  }
  return planChangeSet(spec, wiring.parameters, wiring.request, wiring.tags, deps);
}

/** Creates the change set an update would execute; "no changes" deletes it again. */
export async function planChangeSet(spec: StackSpec, parameters: Record<string, string>, request: BootstrapRequest, tags: Tag[], deps: PlanDeps): Promise<StackAction> {
  const created = await createChangeSet(
    {
      stackName: spec.name,
      changeSetName: changeSetName(`bootstrap-${request.runId}`, undefined, deps.clock.now()),
      description: `bootstrap ${request.environment.name}: ${spec.template} with the wiring of parameters/environments.json`,
      ...(await resolveTemplateSource({ plan: request.files.templates[spec.role], region: request.environment.region }, deps)),
      parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      tags,
    },
    deps,
  );
  if (created.kind === 'no-changes') return { kind: 'no-changes' };
  const outcome = await waitForChangeSet({ stackName: spec.name, changeSetId: created.changeSetId, timeoutMs: 10 * 60_000 }, deps);
  if (outcome.kind === 'no-changes') {
    await deleteChangeSet({ stackName: spec.name, changeSetId: created.changeSetId }, deps);
    return { kind: 'no-changes' };
  }
  return { kind: 'update', changeSetId: created.changeSetId, changes: outcome.changes };
}

async function planDispatchSecret(dispatchStack: string, request: BootstrapRequest, deps: PlanDeps): Promise<NonNullable<BootstrapPlan['dispatchSecret']>> {
  const name = dispatchSecretName(dispatchStack);
  const existing = await readDispatchSecret(name, deps);
  if (!existing && !request.dispatchToken) {
    throw new InputError(
      `Dispatch token missing for ${dispatchStack}: the event path needs a GitHub token that may create repository_dispatch events on ${request.repository}, and secret ${name} does not exist yet. ` +
        `Create a fine-grained token with Contents: Read and write on that repository only, put it in ${DISPATCH_TOKEN_VARIABLE} (export ${DISPATCH_TOKEN_VARIABLE}=…; it is stored in Secrets Manager and never printed), and re-run. Nothing was changed.`,
    );
  }
  return { name, existing, store: Boolean(request.dispatchToken) };
}

/** Deletes the change sets a plan made, when the user declines it. */
export async function discardPlan(plan: BootstrapPlan, deps: PlanDeps): Promise<void> {
  for (const stack of plan.stacks) {
    if (stack.action.kind === 'update') await deleteChangeSet({ stackName: stack.spec.name, changeSetId: stack.action.changeSetId }, deps);
  }
}
