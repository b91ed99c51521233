/**
 * doctor: checks one environment as it stands, read-only, and says for each check what is wrong
 * and the one thing that fixes it. The stacks and their states, the outputs wired into the next
 * stacks' parameters (and the app stack's service role), the OIDC provider and the roles' trust,
 * the AMI git names, the event path, and (with --github) what GitHub holds.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { DescribeApiDestinationCommand, DescribeConnectionCommand, DescribeRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetRoleCommand } from '@aws-sdk/client-iam';

import { isNotFoundError, isStackNotFoundError } from '../../actions/lib/aws/errors';
import { classifyStackStatus, toStackSnapshot, type StackSnapshot } from '../../actions/lib/cloudformation/stack-state';
import { environmentAmiPolicy, findAmiPolicyProblem } from '../../actions/lib/ami-policy';
import type { SetupClients } from './clients';
import type { Deps } from './deps';
import { errorMessage } from '../../actions/lib/errors';
import { environmentStackNames, liveAmiIn, liveAmiParameter, type EnvironmentConfig, type EnvironmentsConfig, type ParametersFile } from '../../actions/lib/parameters';
import { findGithubOidcProvider, GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST, KNOWN_GITHUB_THUMBPRINTS, lookUpPipelineArn, readCallerAccount } from './account';
import { checkGithubSettings, type GhRunner } from './github-cli';
import { githubSettings } from './github-settings';
import { oidcSubjectClaimsOf, trustedSubjects, type GithubRoleOutput, type TrustScope } from './oidc-subjects';
import { environmentStackSpecs, OPTIONAL_ROLES, type StackRole } from './stack-specs';

/** doctor only reads, so it gets every setup client but Secrets Manager (it never sees the token). */
export type DoctorDeps = Deps<Omit<SetupClients, 'secretsManager' | 's3' | 'awsClock'>>;

export interface DoctorInputs {
  environment: EnvironmentConfig;
  wiring: EnvironmentsConfig;
  repository: string;
  parametersFile: ParametersFile;
  defaultBranch: string;
  /** Compare with GitHub through gh (else that check is skipped and says so). */
  gh?: GhRunner;
  /** The command that repairs the environment, named in fixes. */
  bootstrapCommand: string;
}

export type CheckStatus = 'ok' | 'fail' | 'warn' | 'skip';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

type DeployedStack = StackSnapshot & { roleArn?: string };

export async function runDoctor(inputs: DoctorInputs, deps: DoctorDeps): Promise<DoctorCheck[]> {
  const { environment, repository, bootstrapCommand } = inputs;
  const names = environmentStackNames(environment);
  const checks: DoctorCheck[] = [];
  const ok = (name: string, detail: string) => checks.push({ name, status: 'ok', detail });
  const fail = (name: string, detail: string, fix: string) => checks.push({ name, status: 'fail', detail, fix });

  const account = await readCallerAccount(deps);
  ok('credentials', `account ${account.account} as ${account.callerArn}, region ${environment.region}`);

  // 1. The stacks, and whether each is in a state an update can start from.
  const stacks: Partial<Record<StackRole, DeployedStack>> = {};
  for (const spec of environmentStackSpecs(environment)) {
    const stack = await readStack(spec.name, deps);
    const name = `stack ${spec.name}`;
    if (!stack) {
      if (OPTIONAL_ROLES.has(spec.role)) checks.push({ name, status: 'skip', detail: `not deployed (optional: bootstrap ${spec.role === 'automation' ? '--runbook' : '--dispatch'} adds it)` });
      else fail(name, `does not exist in ${environment.region}`, `${bootstrapCommand} creates it`);
      continue;
    }
    stacks[spec.role] = stack;
    const readiness = classifyStackStatus(stack.status);
    if (readiness === 'ready') ok(name, stack.status);
    else if (readiness === 'busy') checks.push({ name, status: 'warn', detail: `${stack.status}: an operation is running`, fix: 'wait for it to end, then run doctor again' });
    else if (readiness === 'continue-rollback') fail(name, stack.status, `aws cloudformation continue-update-rollback --stack-name ${spec.name}, then ${bootstrapCommand}`);
    else fail(name, `${stack.status}: it never finished being created`, `${bootstrapCommand} deletes it and creates it again`);
  }

  // 2. The wiring: each stack's parameters are the outputs and names of the others.
  const expect = (role: StackRole, parameter: string, expected: string | undefined, from: string) => {
    const stack = stacks[role];
    if (!stack || expected === undefined) return;
    const actual = stack.parameters[parameter];
    const name = `${stack.stackName} ${parameter}`;
    if (actual === expected) ok(name, `= ${from}`);
    else fail(name, `is ${JSON.stringify(actual ?? '')}, but ${from} is ${JSON.stringify(expected)}`, `${bootstrapCommand} updates it to the wiring`);
  };
  const pipelineArn = stacks.imagePipeline ? (await lookUpPipelineArn(stacks.imagePipeline.outputs, { region: environment.region, ...account }, deps))?.arn : undefined;
  if (stacks.imagePipeline && !pipelineArn) {
    fail(`${names.imagePipeline} ImagePipelineArn`, 'the stack has no ImagePipelineArn output and Image Builder knows no pipeline by its name', `look at the stack's ImagePipeline resource; ${bootstrapCommand} once it is fixed`);
  }
  expect('imagePipeline', 'NetworkStackName', names.network, 'the network stack');
  expect('app', 'NetworkStackName', names.network, 'the network stack');
  expect('githubOidc', 'GitHubRepository', repository, 'this repository');
  expect('githubOidc', 'DeployEnvironment', environment.name, 'the environment');
  expect('githubOidc', 'AppStackName', names.app, 'the app stack');
  expect('githubOidc', 'ImagePipelineArn', pipelineArn, `the pipeline of ${names.imagePipeline}`);
  // A stack from before notifications has no such parameter, which is the same as none.
  if (environment.notify?.snsTopicArn || stacks.githubOidc?.parameters.NotificationTopicArn) {
    expect('githubOidc', 'NotificationTopicArn', environment.notify?.snsTopicArn ?? '', "the wiring's notify.snsTopicArn");
  }
  expect('automation', 'ImagePipelineArn', pipelineArn, `the pipeline of ${names.imagePipeline}`);
  expect('automation', 'AppStackName', names.app, 'the app stack');
  expect('githubDispatch', 'GitHubRepository', repository, 'this repository');
  expect('githubDispatch', 'PatchEnvironment', environment.name, 'the environment');
  expect('githubDispatch', 'ImageRecipeName', stacks.imagePipeline?.outputs.ImageRecipeName?.toLowerCase(), `the recipe of ${names.imagePipeline}`);
  const serviceRole = stacks.githubOidc?.outputs.CloudFormationRoleArn;
  if (stacks.app && serviceRole) {
    if (stacks.app.roleArn === serviceRole) ok(`${names.app} service role`, `= CloudFormationRoleArn of ${names.githubOidc}`);
    else
      fail(
        `${names.app} service role`,
        stacks.app.roleArn ? `is ${stacks.app.roleArn}, not ${serviceRole}` : 'none: the stack was created without --role-arn, so the deploy role cannot update it',
        `aws cloudformation update-stack --stack-name ${names.app} --use-previous-template --role-arn ${serviceRole} --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM (every parameter with UsePreviousValue=true)`,
      );
  }
  // The AMI users are on: AmazonMachineImage, or in the slots shape the live slot's.
  const gitAmi = liveAmiIn(inputs.parametersFile.parameters);
  if (stacks.app && gitAmi) {
    const running = liveAmiIn(stacks.app.parameters);
    const check = `${names.app} ${liveAmiParameter(inputs.parametersFile.parameters)}`;
    if (running === gitAmi) ok(check, `= ${environment.parametersFile} (${gitAmi})`);
    else fail(check, `runs ${running}, ${environment.parametersFile} says ${gitAmi}`, 'reconcile as drift.yml says: Failback with target-ami = the running AMI, or re-run the last Deploy');
  }

  // 3. The OIDC provider and the roles' trust.
  const provider = await findGithubOidcProvider(deps);
  if (!provider) fail('GitHub OIDC provider', `the account has no provider for ${GITHUB_OIDC_HOST}`, `${bootstrapCommand} creates it`);
  else {
    if (provider.audiences.includes(GITHUB_OIDC_AUDIENCE)) ok('GitHub OIDC provider audience', `${provider.arn} accepts ${GITHUB_OIDC_AUDIENCE}`);
    else fail('GitHub OIDC provider audience', `${provider.arn} accepts ${provider.audiences.join(', ') || 'nothing'}`, `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${provider.arn} --client-id ${GITHUB_OIDC_AUDIENCE}`);
    const unknown = provider.thumbprints.filter((t) => !KNOWN_GITHUB_THUMBPRINTS.includes(t.toLowerCase()));
    if (unknown.length === 0) ok('GitHub OIDC provider thumbprints', provider.thumbprints.length ? `${provider.thumbprints.length} known GitHub thumbprint(s)` : 'none (IAM trusts GitHub through its root CAs)');
    else checks.push({ name: 'GitHub OIDC provider thumbprints', status: 'warn', detail: `unknown thumbprint(s) ${unknown.join(', ')}; IAM ignores thumbprints for ${GITHUB_OIDC_HOST}, so this breaks nothing`, fix: 'none needed' });
  }
  const subjectClaims = oidcSubjectClaimsOf(stacks.githubOidc);
  if (stacks.githubOidc) await checkTrust(stacks.githubOidc, { repository, environment: environment.name, branch: inputs.defaultBranch, claims: subjectClaims, provider: provider?.arn }, deps, checks);

  // 4. The AMI git names must exist and be usable, or the first deploy fails.
  if (gitAmi) {
    const { Images = [] } = await deps.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [gitAmi], IncludeDeprecated: true })).catch((error: unknown) => {
      if (isNotFoundError(error)) return { Images: [] };
      throw error;
    });
    const image = Images[0];
    // The deploys' own owner rule (ami-policy.ts): an AMI they would refuse is not "usable" here either.
    const ownerProblem = image && findAmiPolicyProblem(image, environmentAmiPolicy(environment, account.account));
    if (image?.State === 'available' && ownerProblem) fail(`AMI ${gitAmi}`, ownerProblem, `put an AMI of an account on the list in ${environment.parametersFile}, or add the account as the message says`);
    else if (image?.State === 'available') ok(`AMI ${gitAmi}`, `available (${image.Name ?? 'no name'})${image.DeprecationTime ? `, deprecated from ${image.DeprecationTime}` : ''}`);
    else fail(`AMI ${gitAmi}`, image ? `is ${image.State}` : `not found in ${environment.region}`, `put an available AMI in ${environment.parametersFile} (e.g. the latest AL2023: aws ssm get-parameter --name /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64)`);
  }

  // 5. The event path, when deployed.
  if (stacks.githubDispatch) await checkDispatch(stacks.githubDispatch, deps, checks, bootstrapCommand);

  // 6. GitHub.
  if (inputs.gh) {
    const settings = githubSettings({ repository, wiring: inputs.wiring, environment: environment.name, roles: stacks.githubOidc?.outputs ?? {}, reviewers: [], defaultBranch: inputs.defaultBranch, oidcSubjectClaims: subjectClaims });
    for (const check of await checkGithubSettings(settings, inputs.gh)) checks.push({ name: check.name, status: check.ok ? 'ok' : 'fail', detail: check.detail, fix: check.fix });
  } else {
    checks.push({ name: 'GitHub variables and environment', status: 'skip', detail: 'not compared (pass --github to read them with gh)' });
  }
  return checks;
}

async function readStack(stackName: string, deps: DoctorDeps): Promise<DeployedStack | undefined> {
  try {
    const stack = (await deps.clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    return stack ? { ...toStackSnapshot(stack), roleArn: stack.RoleARN } : undefined;
  } catch (error) {
    if (isStackNotFoundError(error)) return undefined;
    throw error;
  }
}

/** Each GitHub role trusts exactly the subjects of the jobs that use it (oidc-subjects.ts), through the account's provider. */
async function checkTrust(
  oidc: DeployedStack,
  expected: Omit<TrustScope, 'environment'> & { environment: string; provider?: string },
  deps: DoctorDeps,
  checks: DoctorCheck[],
): Promise<void> {
  const optional: GithubRoleOutput[] = ['AmiLifecycleRoleArn', 'AmiPromotionRoleArn'];
  const outputs: GithubRoleOutput[] = ['DeployRoleArn', 'BuildAmiRoleArn', 'PreviewRoleArn', ...optional.filter((o) => oidc.outputs[o])];
  for (const output of outputs) {
    const subjects = trustedSubjects(output, expected);
    const arn = oidc.outputs[output];
    const name = `${output.replace(/Arn$/, '')} trust`;
    if (!arn) {
      checks.push({ name, status: 'fail', detail: `${oidc.stackName} has no ${output} output`, fix: 'redeploy the github-oidc stack with bootstrap' });
      continue;
    }
    try {
      const { Role } = await deps.clients.iam.send(new GetRoleCommand({ RoleName: arn.split('/').pop() }));
      const trust = JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '{}')) as { Statement?: TrustStatement[] };
      const statement = trust.Statement?.find((s) => s.Action === 'sts:AssumeRoleWithWebIdentity' || (Array.isArray(s.Action) && s.Action.includes('sts:AssumeRoleWithWebIdentity')));
      const values = (operator: 'StringEquals' | 'StringLike', key: string) => ([] as string[]).concat(statement?.Condition?.[operator]?.[`${GITHUB_OIDC_HOST}:${key}`] ?? []);
      const sub = [...values('StringEquals', 'sub'), ...values('StringLike', 'sub')];
      const aud = values('StringEquals', 'aud');
      const principal = statement?.Principal?.Federated;
      const problems = [
        ...subjects.filter((s) => !sub.includes(s)).map((s) => `does not trust ${s}`),
        ...sub.filter((s) => !subjects.includes(s)).map((s) => `also trusts ${s}`),
        ...(aud.includes(GITHUB_OIDC_AUDIENCE) ? [] : [`audience is ${aud.join(', ') || 'unchecked'}`]),
        ...(expected.provider && principal !== expected.provider ? [`federated principal is ${principal || 'empty'}, not the account's provider ${expected.provider}`] : []),
      ];
      if (problems.length === 0) checks.push({ name, status: 'ok', detail: `${arn.split('/').pop()} trusts ${subjects.join(' and ')}` });
      else checks.push({ name, status: 'fail', detail: problems.join('; '), fix: 'redeploy the github-oidc stack with bootstrap (GitHubRepository, BuildBranch, DeployEnvironment and OidcSubjectClaims set its trust)' });
    } catch (error) {
      checks.push({ name, status: 'fail', detail: `cannot read ${arn}: ${errorMessage(error)}`, fix: 'redeploy the github-oidc stack with bootstrap' });
    }
  }
}

interface TrustStatement {
  Action?: string | string[];
  Principal?: { Federated?: string };
  Condition?: Partial<Record<'StringEquals' | 'StringLike', Record<string, string | string[]>>>;
}

async function checkDispatch(stack: DeployedStack, deps: DoctorDeps, checks: DoctorCheck[], bootstrapCommand: string): Promise<void> {
  const name = (arn: string | undefined) => arn?.split('/')[1] ?? '';
  const { ConnectionArn, ApiDestinationArn, RuleName } = stack.outputs;
  try {
    const connection = await deps.clients.eventBridge.send(new DescribeConnectionCommand({ Name: name(ConnectionArn) }));
    if (connection.ConnectionState === 'AUTHORIZED') checks.push({ name: 'event path connection', status: 'ok', detail: `${connection.Name} AUTHORIZED` });
    else checks.push({ name: 'event path connection', status: 'fail', detail: `${connection.Name} is ${connection.ConnectionState}${connection.StateReason ? ` (${connection.StateReason})` : ''}`, fix: `store a valid token: GITHUB_DISPATCH_TOKEN=… ${bootstrapCommand} --dispatch` });
    const destination = await deps.clients.eventBridge.send(new DescribeApiDestinationCommand({ Name: name(ApiDestinationArn) }));
    const active = destination.ApiDestinationState === 'ACTIVE';
    checks.push({ name: 'event path API destination', status: active ? 'ok' : 'fail', detail: `${destination.HttpMethod} ${destination.InvocationEndpoint} ${destination.ApiDestinationState}`, fix: active ? undefined : `${bootstrapCommand} --dispatch` });
    const rule = await deps.clients.eventBridge.send(new DescribeRuleCommand({ Name: RuleName }));
    const enabled = rule.State === 'ENABLED';
    checks.push({ name: 'event path rule', status: enabled ? 'ok' : 'fail', detail: `${rule.Name} ${rule.State}`, fix: enabled ? undefined : `aws events enable-rule --name ${rule.Name}` });
  } catch (error) {
    checks.push({ name: 'event path', status: 'fail', detail: `cannot read it: ${errorMessage(error)}`, fix: `${bootstrapCommand} --dispatch` });
  }
}

/** One line per check, fix included. */
export function renderChecks(checks: readonly DoctorCheck[]): string[] {
  const mark: Record<CheckStatus, string> = { ok: '✔', fail: '✘', warn: '!', skip: '-' };
  return checks.map((c) => `${mark[c.status]} ${c.name}: ${c.detail}${c.fix && c.status !== 'ok' ? `. Fix: ${c.fix}` : ''}`);
}
