/**
 * Carries out a plan, stack by stack in order, reading each stack's outputs before the next one
 * needs them. It stops at the first failure with the stack, the resource and the fix; everything
 * finished before it stays, so the same command run again continues from there.
 */
import { describeStack } from '../../actions/lib/cloudformation/stack-state';
import { resolveTemplateSource } from '../../actions/lib/cloudformation/template-source';
import type { Deps } from './deps';
import { AwsOperationError } from '../../actions/lib/errors';
import { environmentStackNames } from '../../actions/lib/parameters';
import { createGithubOidcProvider, findGithubOidcProvider, lookUpPipelineArn } from './account';
import { storeDispatchToken } from './dispatch-token';
import { planChangeSet, type BootstrapPlan, type PlanClients, type PlannedStack } from './plan';
import { createStackAndWait, deleteStackAndWait, executeAndWait } from './stack-operations';
import { appServiceRole, stackParameters, type StackRole, type WiringContext } from './stack-specs';

export type ApplyDeps = Deps<PlanClients>;

export type StackOutcome = 'created' | 'updated' | 'unchanged' | 'skipped';

export interface ApplyResult {
  outcomes: { stackName: string; role: StackRole; outcome: StackOutcome }[];
  outputs: Partial<Record<StackRole, Record<string, string>>>;
  pipelineArn?: string;
}

export async function applyPlan(plan: BootstrapPlan, deps: ApplyDeps): Promise<ApplyResult> {
  const { request } = plan;
  const names = environmentStackNames(request.environment);
  if (plan.oidcProvider.create && !(await findGithubOidcProvider(deps))) await createGithubOidcProvider(deps);

  const context: WiringContext = { environment: request.environment, repository: request.repository, parametersFile: request.files.parametersFile, outputs: {} };
  const outcomes: ApplyResult['outcomes'] = [];
  for (const step of plan.stacks) {
    const { spec } = step;
    if (step.action.kind === 'skip') {
      outcomes.push({ stackName: spec.name, role: spec.role, outcome: 'skipped' });
      continue;
    }
    if (spec.role === 'githubDispatch' && plan.dispatchSecret) {
      context.dispatchToken =
        plan.dispatchSecret.store && request.dispatchToken
          ? await storeDispatchToken(plan.dispatchSecret.name, request.dispatchToken, plan.dispatchSecret.existing, request.repository, deps)
          : plan.dispatchSecret.existing;
    }
    if (spec.role === 'githubOidc') context.existingCreateOidcProvider = (await describeStack(spec.name, deps))?.parameters.CreateOidcProvider;

    const { parameters, pending } = stackParameters(spec.role, context);
    const service = spec.role === 'app' ? appServiceRole(context) : undefined;
    const missing = [...pending, ...(service?.pending ?? [])];
    if (missing.length > 0) throw missingWiring(step, missing, names.imagePipeline, request.rerun);

    const outcome = await applyStep(step, parameters, service?.roleArn, plan, deps);
    outcomes.push({ stackName: spec.name, role: spec.role, outcome });
    const after = await describeStack(spec.name, deps);
    context.outputs[spec.role] = after?.outputs ?? {};
    if (spec.role === 'imagePipeline') {
      context.pipelineArn = (await lookUpPipelineArn(after?.outputs, { region: plan.region, ...plan.account }, deps))?.arn;
    }
  }
  return { outcomes, outputs: context.outputs, pipelineArn: context.pipelineArn };
}

async function applyStep(step: PlannedStack, parameters: Record<string, string>, roleArn: string | undefined, plan: BootstrapPlan, deps: ApplyDeps): Promise<StackOutcome> {
  const { spec, action } = step;
  const { request } = plan;
  const create = async () => {
    await createStackAndWait(
      {
        stackName: spec.name,
        template: spec.template,
        source: await resolveTemplateSource({ plan: request.files.templates[spec.role], region: plan.region, expectedBucketOwner: plan.account.account }, deps),
        parameters,
        tags: plan.tags,
        roleArn,
      },
      request.rerun,
      deps,
    );
    return 'created' as const;
  };
  const execute = async (changeSetId: string) => {
    await executeAndWait({ stackName: spec.name, template: spec.template, changeSetId, clientRequestToken: `bootstrap-${request.runId}-${spec.role}` }, request.rerun, deps);
    return 'updated' as const;
  };

  switch (action.kind) {
    case 'create':
      return create();
    case 'recreate':
      deps.logger.info(`${spec.name} is ${action.status} from an earlier failed creation: deleting it, then creating it again.`);
      await deleteStackAndWait({ stackName: spec.name, template: spec.template }, request.rerun, deps);
      return create();
    case 'update':
      if (sameParameters(step.parameters, parameters)) return execute(action.changeSetId);
      return replanAndExecute();
    case 'update-after-upstream':
      return replanAndExecute();
    case 'no-changes':
    case 'skip':
      return 'unchanged';
  }

  async function replanAndExecute(): Promise<StackOutcome> {
    const fresh = await planChangeSet(spec, parameters, request, plan.tags, deps);
    if (fresh.kind === 'update') {
      deps.logger.info(`${spec.name}: ${fresh.changes.length} change(s) now that the stacks before it are deployed.`);
      return execute(fresh.changeSetId);
    }
    return 'unchanged';
  }
}

function sameParameters(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

/** A parameter that should have come from an earlier stack did not: name the stack and the fix. */
function missingWiring(step: PlannedStack, missing: string[], pipelineStack: string, rerun: string): AwsOperationError {
  const pipeline = missing.some((m) => m.startsWith('ImagePipelineArn'))
    ? ` Stack ${pipelineStack} has no ImagePipelineArn output, and Image Builder has no pipeline named by its ImagePipelineName output: look at that stack's resources (ImagePipeline) in the console.`
    : '';
  return new AwsOperationError(
    `Stack ${step.spec.name} (${step.spec.template}) cannot be deployed: it needs ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not there.${pipeline} Fix the stack it comes from, then ${rerun}.`,
    step.spec.name,
  );
}
