/**
 * The stacks of one environment, in the order they depend on each other (docs/templates.md,
 * "Deploy order on AWS"), and the parameters each one gets: the wiring bootstrap does by hand in
 * the long form (stack names, the pipeline ARN, the repository, the service role) plus the
 * environment's `stackParameters` from parameters/environments.json.
 */
import { environmentStackNames, type EnvironmentConfig, type ParametersFile, type StackParameterRole } from '../../actions/lib/parameters';

export type StackRole = StackParameterRole | 'app';

/** Deploy order; teardown goes the other way. */
export const STACK_ORDER: readonly StackRole[] = ['network', 'imagePipeline', 'githubOidc', 'app', 'automation', 'githubDispatch'];

/** The stacks that exist only when asked for (bootstrap --runbook / --dispatch) or already exist. */
export const OPTIONAL_ROLES: ReadonlySet<StackRole> = new Set(['automation', 'githubDispatch']);

export const TEMPLATES: Readonly<Record<StackRole, string>> = {
  network: 'templates/network.yaml',
  imagePipeline: 'templates/image-pipeline.yaml',
  githubOidc: 'templates/github-oidc.yaml',
  app: 'templates/app.yaml',
  automation: 'templates/automation.yaml',
  githubDispatch: 'templates/github-dispatch.yaml',
};

/** One stack of the environment, by role. */
export interface StackSpec {
  role: StackRole;
  name: string;
  /** Repository-relative template path. */
  template: string;
}

export function environmentStackSpecs(environment: EnvironmentConfig): StackSpec[] {
  const names = environmentStackNames(environment);
  return STACK_ORDER.map((role) => ({ role, name: names[role], template: role === 'app' ? environment.appTemplate : TEMPLATES[role] }));
}

/** What the parameters of a stack are computed from. */
export interface WiringContext {
  environment: EnvironmentConfig;
  /** owner/name on GitHub. */
  repository: string;
  /** The app stack's parameters file. */
  parametersFile: ParametersFile;
  /** Outputs of the stacks read or deployed so far, by role. */
  outputs: Partial<Record<StackRole, Record<string, string>>>;
  /** The image pipeline's ARN, once known (output, or looked up; see pipeline-arn.ts). */
  pipelineArn?: string;
  /** The github-oidc stack's current CreateOidcProvider, when the stack exists (kept as it is). */
  existingCreateOidcProvider?: string;
  /** The Secrets Manager secret holding the dispatch token, and its version (githubDispatch only). */
  dispatchToken?: { secretArn: string; versionId: string };
}

export interface StackParameters {
  parameters: Record<string, string>;
  /** Values that are not known yet, each as "Parameter (from where)": the stack waits for them. */
  pending: string[];
}

/** The parameter names bootstrap sets itself; `stackParameters` may not override them. */
export const WIRED_PARAMETERS: Readonly<Record<StackParameterRole, readonly string[]>> = {
  network: [],
  imagePipeline: ['NetworkStackName'],
  githubOidc: ['GitHubRepository', 'DeployEnvironment', 'AppStackName', 'ImagePipelineArn', 'CreateOidcProvider', 'NotificationTopicArn', 'TemplateBucketName'],
  automation: ['ImagePipelineArn', 'AppStackName'],
  githubDispatch: ['GitHubRepository', 'PatchEnvironment', 'ImageRecipeName', 'GitHubTokenSecretArn', 'GitHubTokenVersion'],
};

/**
 * The parameters of one stack. The app stack's are its parameters file, as the deploy workflow
 * passes them; every other stack gets its wiring plus the environment's `stackParameters`.
 */
export function stackParameters(role: StackRole, context: WiringContext): StackParameters {
  if (role === 'app') return { parameters: { ...context.parametersFile.parameters }, pending: [] };
  const names = environmentStackNames(context.environment);
  const pending: string[] = [];
  const need = (value: string | undefined, what: string): string => {
    if (value === undefined || value === '') pending.push(what);
    return value ?? '';
  };
  const pipelineArn = () => need(context.pipelineArn, `ImagePipelineArn (output of ${names.imagePipeline})`);
  const wired: Record<StackParameterRole, () => Record<string, string>> = {
    network: () => ({}),
    imagePipeline: () => ({ NetworkStackName: names.network }),
    githubOidc: () => ({
      GitHubRepository: context.repository,
      DeployEnvironment: context.environment.name,
      AppStackName: names.app,
      ImagePipelineArn: pipelineArn(),
      // bootstrap makes the account's provider with IAM (oidc-provider.ts), so a new stack never
      // owns it; a stack created by hand with 'true' keeps it, or the update would delete it.
      CreateOidcProvider: context.existingCreateOidcProvider ?? 'false',
      // The deploy role may publish to the wiring's notification topic, and to nothing without one.
      NotificationTopicArn: context.environment.notify?.snsTopicArn ?? '',
      TemplateBucketName: context.environment.templateBucket ?? '',
    }),
    automation: () => ({ ImagePipelineArn: pipelineArn(), AppStackName: names.app }),
    githubDispatch: () => ({
      GitHubRepository: context.repository,
      PatchEnvironment: context.environment.name,
      // Image ARNs carry the recipe name in lower case.
      ImageRecipeName: need(context.outputs.imagePipeline?.ImageRecipeName, `ImageRecipeName (output of ${names.imagePipeline})`).toLowerCase(),
      GitHubTokenSecretArn: need(context.dispatchToken?.secretArn, 'GitHubTokenSecretArn (the dispatch token secret)'),
      GitHubTokenVersion: need(context.dispatchToken?.versionId, 'GitHubTokenVersion (the dispatch token secret)'),
    }),
  };
  const extra = context.environment.stackParameters?.[role] ?? {};
  return { parameters: { ...extra, ...wired[role]() }, pending };
}

/** The app stack's service role: CloudFormation performs every update of the app stack with it. */
export function appServiceRole(context: WiringContext): StackParameters & { roleArn: string } {
  const names = environmentStackNames(context.environment);
  const roleArn = context.outputs.githubOidc?.CloudFormationRoleArn;
  return { parameters: {}, pending: roleArn ? [] : [`CloudFormationRoleArn (output of ${names.githubOidc})`], roleArn: roleArn ?? '' };
}
