import { CreateChangeSetCommand, CreateStackCommand, DeleteStackCommand, ExecuteChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { CreateOpenIDConnectProviderCommand } from '@aws-sdk/client-iam';
import 'aws-sdk-client-mock-jest';

import { AwsOperationError, errorMessage, InputError } from '../../../actions/lib/errors';
import { getEnvironment, liveAmiIn, liveAmiParameter, loadEnvironments, type EnvironmentConfig, type EnvironmentsConfig } from '../../../actions/lib/parameters';
import { REPO_ROOT } from '../../../local/env';
import { applyPlan } from '../../../tools/bootstrap/apply';
import { readRepositoryFiles, type RepositoryFiles } from '../../../tools/bootstrap/inputs';
import { planBootstrap, planChangesSomething, type BootstrapPlan, type BootstrapRequest } from '../../../tools/bootstrap/plan';
import { renderPlan } from '../../../tools/bootstrap/render-plan';
import { stackParameters } from '../../../tools/bootstrap/stack-specs';
import { describeCatalogueRows } from '../reliability/support/catalogue-suite';
import { ACCOUNT, FakeAccount } from './fake-account';

const REPOSITORY = 'acme/fleet';
const AMAZON = '137112412989';
/** Canonical's account: a public AMI of it is anyone's to name, and no environment lists it. */
const CANONICAL = '099720109477';
const account = new FakeAccount();
let wiring: EnvironmentsConfig;
let dev: EnvironmentConfig;
let files: RepositoryFiles;

beforeAll(async () => {
  wiring = await loadEnvironments(`${REPO_ROOT}/parameters/environments.json`, { rootDir: REPO_ROOT });
  dev = getEnvironment(wiring, 'dev');
  files = await readRepositoryFiles(REPO_ROOT, dev, REPOSITORY, 'parameters/environments.json');
});
beforeEach(() => {
  account.reset();
  // The parameters file's AMIs: Amazon Linux's, whose publisher (137112412989) the shipped amiOwners lists.
  account.imageOwner = AMAZON;
});

function request(overrides: Partial<BootstrapRequest> = {}): BootstrapRequest {
  return { environment: dev, repository: REPOSITORY, files, include: { automation: false, githubDispatch: false }, rerun: 'npm run bootstrap -- --env dev', runId: 'r1', ...overrides };
}

const kinds = (plan: BootstrapPlan) => Object.fromEntries(plan.stacks.map((s) => [s.spec.name, s.action.kind]));

/** The whole environment as a finished bootstrap leaves it: what plan and apply compute themselves. */
function givenFinishedEnvironment(): void {
  account.oidcProvider = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
  const context = { environment: dev, repository: REPOSITORY, parametersFile: files.parametersFile, outputs: {}, pipelineArn: `arn:aws:imagebuilder:us-east-1:${ACCOUNT}:image-pipeline/patch-dev-image-pipeline` };
  account.givenStack('patch-dev-network', 'CREATE_COMPLETE', stackParameters('network', context).parameters);
  account.givenStack('patch-dev-image-pipeline', 'CREATE_COMPLETE', stackParameters('imagePipeline', context).parameters);
  account.givenStack('patch-dev-github-oidc', 'UPDATE_COMPLETE', stackParameters('githubOidc', context).parameters);
  account.givenStack('patch-dev-app', 'UPDATE_COMPLETE', { ...files.parametersFile.parameters }, { roleArn: `arn:aws:iam::${ACCOUNT}:role/patch-dev-github-oidc-CloudFormationRole` });
}

describe('planBootstrap', () => {
  // Bootstrap's own check before any stack: the deploys' check of new AMIs (owner, existence, deprecation).
  describeCatalogueRows("bootstrap checks the app stack's AMIs before any stack or change set (catalogue rows)", 'plan-and-apply.test.ts', {
    async B85() {
    account.imageOwner = CANONICAL;
    const error = await planBootstrap(request(), account.deps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    const ami = liveAmiIn(files.parametersFile.parameters);
    const key = liveAmiParameter(files.parametersFile.parameters);
    const line = files.parametersFile.lineOf('Parameters', key);
    expect(errorMessage(error)).toBe(
      `AMI check failed for ${files.parametersFile.file}: line ${line}: ${key} = "${ami}" is owned by account ${CANONICAL}, which is not on the AMI owner allowlist (self (${ACCOUNT}), ${AMAZON}; environments.dev.amiOwners in parameters/environments.json). ` +
        `Use an AMI your own pipeline built, or, if you trust every AMI account ${CANONICAL} publishes, add "${CANONICAL}" to environments.dev.amiOwners in parameters/environments.json. Nothing was changed.`,
    );
    expect(error).toMatchObject({ location: { file: files.parametersFile.file, line } });
    expect(account.cfn).not.toHaveReceivedCommand(CreateStackCommand);
    expect(account.cfn).not.toHaveReceivedCommand(CreateChangeSetCommand);
    expect(account.iam).not.toHaveReceivedCommand(CreateOpenIDConnectProviderCommand);
  },
    async B86() {
      account.imageOwner = undefined;
      const error = await planBootstrap(request(), account.deps()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      const key = liveAmiParameter(files.parametersFile.parameters);
      const line = files.parametersFile.lineOf('Parameters', key);
      expect(errorMessage(error)).toMatch(new RegExp(`^AMI check failed for ${files.parametersFile.file}: line ${line}: ${key} = "${liveAmiIn(files.parametersFile.parameters)}" does not exist in us-east-1.* Nothing was changed\\.$`, 's'));
      expect(account.cfn).not.toHaveReceivedCommand(CreateStackCommand);
      expect(account.cfn).not.toHaveReceivedCommand(CreateChangeSetCommand);
      expect(account.iam).not.toHaveReceivedCommand(CreateOpenIDConnectProviderCommand);
    },
  });

  it('does not judge again an AMI the app stack already runs, as a deploy does not', async () => {
    givenFinishedEnvironment();
    account.imageOwner = CANONICAL;
    const plan = await planBootstrap(request(), account.deps());
    expect(kinds(plan)['patch-dev-app']).toBe('no-changes');
  });

  it('plans every stack as new in an empty account, with the OIDC provider, and changes nothing while planning', async () => {
    const plan = await planBootstrap(request(), account.deps());
    expect(kinds(plan)).toEqual({
      'patch-dev-network': 'create',
      'patch-dev-image-pipeline': 'create',
      'patch-dev-github-oidc': 'create',
      'patch-dev-app': 'create',
      'patch-dev-automation': 'skip',
      'patch-dev-github-dispatch': 'skip',
    });
    expect(plan.oidcProvider.create).toBe(true);
    expect(plan.stacks.find((s) => s.spec.role === 'githubOidc')?.pending).toEqual(['ImagePipelineArn (output of patch-dev-image-pipeline)']);
    expect(account.cfn).not.toHaveReceivedCommand(CreateStackCommand);
    expect(account.cfn).not.toHaveReceivedCommand(CreateChangeSetCommand);
    expect(account.iam).not.toHaveReceivedCommand(CreateOpenIDConnectProviderCommand);
    const text = renderPlan(plan).join('\n');
    expect(text).toContain('+ create    GitHub OIDC provider token.actions.githubusercontent.com');
    expect(text).toMatch(/\+ create +patch-dev-github-oidc .*new stack; takes ImagePipelineArn \(output of patch-dev-image-pipeline\) once it exists/);
  });

  it('plans "no changes" for a finished environment (and deletes nothing it did not make)', async () => {
    givenFinishedEnvironment();
    const plan = await planBootstrap(request(), account.deps());
    expect(new Set(Object.values(kinds(plan)))).toEqual(new Set(['no-changes', 'skip']));
    expect(planChangesSomething(plan)).toBe(false);
    expect(account.cfn).toHaveReceivedCommandTimes(CreateChangeSetCommand, 4);
  });

  it('shows an existing stack\'s change set, and plans the stacks fed by it for after it is applied', async () => {
    givenFinishedEnvironment();
    account.stacks.get('patch-dev-github-oidc')!.parameters.AppStackName = 'patch-prod-app';
    const plan = await planBootstrap(request(), account.deps());
    expect(kinds(plan)).toMatchObject({ 'patch-dev-network': 'no-changes', 'patch-dev-github-oidc': 'update', 'patch-dev-app': 'update-after-upstream' });
    expect(renderPlan(plan).join('\n')).toMatch(/~ update +patch-dev-github-oidc .*change set with 1 change\(s\)\n +Modify Parameters:AppStackName/);
  });

  it('keeps CreateOidcProvider of a github-oidc stack that owns the account\'s provider, so an update cannot delete it', async () => {
    givenFinishedEnvironment();
    account.stacks.get('patch-dev-github-oidc')!.parameters.CreateOidcProvider = 'true';
    const plan = await planBootstrap(request(), account.deps());
    expect(plan.stacks.find((s) => s.spec.role === 'githubOidc')?.parameters.CreateOidcProvider).toBe('true');
    expect(kinds(plan)['patch-dev-github-oidc']).toBe('no-changes');
  });

  it('waits for a stack that is busy (another deploy) before planning it', async () => {
    givenFinishedEnvironment();
    account.stacks.get('patch-dev-app')!.upcoming = ['UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'];
    account.stacks.get('patch-dev-app')!.status = 'UPDATE_IN_PROGRESS';
    const deps = account.deps();
    const plan = await planBootstrap(request(), deps);
    expect(kinds(plan)['patch-dev-app']).toBe('no-changes');
    expect(deps.clock.sleeps.length).toBeGreaterThan(0);
    expect(deps.logger.text()).toContain('patch-dev-app is UPDATE_IN_PROGRESS: waiting for that operation to end before planning.');
  });

  it('refuses a stack left UPDATE_ROLLBACK_FAILED with the command that gets it out, before changing anything', async () => {
    givenFinishedEnvironment();
    account.stacks.get('patch-dev-github-oidc')!.status = 'UPDATE_ROLLBACK_FAILED';
    const error = await planBootstrap(request(), account.deps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as Error).message).toContain('Bootstrap cannot plan stack patch-dev-github-oidc (templates/github-oidc.yaml): it is UPDATE_ROLLBACK_FAILED');
    expect((error as Error).message).toContain('aws cloudformation continue-update-rollback --stack-name patch-dev-github-oidc');
    expect((error as Error).message).toContain('then npm run bootstrap -- --env dev. Nothing was changed.');
    expect(account.cfn).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
  });

  it('asks for the dispatch token before anything is changed, when the event path is asked for and has no secret yet', async () => {
    givenFinishedEnvironment();
    const error = await planBootstrap(request({ include: { automation: false, githubDispatch: true } }), account.deps()).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Dispatch token missing for patch-dev-github-dispatch: .*put it in GITHUB_DISPATCH_TOKEN .*Nothing was changed\.$/);
  });
});

describe('applyPlan', () => {
  it('creates the stacks in order, feeding each one the outputs it needs, and the app stack with its service role', async () => {
    const deps = account.deps();
    const result = await applyPlan(await planBootstrap(request(), deps), deps);
    expect(account.created()).toEqual(['patch-dev-network', 'patch-dev-image-pipeline', 'patch-dev-github-oidc', 'patch-dev-app']);
    expect(account.iam).toHaveReceivedCommandWith(CreateOpenIDConnectProviderCommand, { Url: 'https://token.actions.githubusercontent.com', ClientIDList: ['sts.amazonaws.com'] });
    expect(account.stacks.get('patch-dev-github-oidc')?.parameters).toMatchObject({
      ImagePipelineArn: `arn:aws:imagebuilder:us-east-1:${ACCOUNT}:image-pipeline/patch-dev-image-pipeline`,
      AppStackName: 'patch-dev-app',
      DeployEnvironment: 'dev',
      GitHubRepository: REPOSITORY,
      CreateOidcProvider: 'false',
    });
    expect(account.stacks.get('patch-dev-network')?.parameters).toEqual({ NatGatewayMode: 'Single' });
    expect(account.stacks.get('patch-dev-app')?.roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/patch-dev-github-oidc-CloudFormationRole`);
    expect(result.outcomes.map((o) => o.outcome)).toEqual(['created', 'created', 'created', 'created', 'skipped', 'skipped']);
  });

  it('resumes after a failure: the error names stack, resource and fix; the re-run keeps the finished stacks and recreates the failed one', async () => {
    // The shipped dev runs strategy slots: its app stack is templates/app-slots.yaml, blue's group the first to fail on a quota.
    account.failCreate = { stackName: 'patch-dev-app', logicalId: 'BlueAutoScalingGroup', reason: 'You have requested more instances (2) than your current instance limit of 0 allows' };
    const first = account.deps();
    const error = await applyPlan(await planBootstrap(request(), first), first).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as Error).message).toBe(
      'Stack patch-dev-app (templates/app-slots.yaml) ended ROLLBACK_COMPLETE: BlueAutoScalingGroup (AWS::AutoScaling::AutoScalingGroup) CREATE_FAILED: ' +
        'You have requested more instances (2) than your current instance limit of 0 allows. Fix the cause of BlueAutoScalingGroup (the template, its parameters, a quota or a permission), ' +
        'then npm run bootstrap -- --env dev: stacks already complete are kept and the run continues from this one.',
    );
    expect(account.created()).toEqual(['patch-dev-network', 'patch-dev-image-pipeline', 'patch-dev-github-oidc', 'patch-dev-app']);

    account.failCreate = undefined;
    account.cfn.resetHistory();
    const again = account.deps();
    const plan = await planBootstrap(request(), again);
    expect(kinds(plan)).toMatchObject({ 'patch-dev-network': 'no-changes', 'patch-dev-image-pipeline': 'no-changes', 'patch-dev-github-oidc': 'no-changes', 'patch-dev-app': 'recreate' });
    expect(plan.oidcProvider.create).toBe(false);
    await applyPlan(plan, again);
    expect(account.cfn).toHaveReceivedCommandWith(DeleteStackCommand, { StackName: 'patch-dev-app' });
    expect(account.created()).toEqual(['patch-dev-app']);
    expect(account.stacks.get('patch-dev-app')?.status).toBe('CREATE_COMPLETE');
    expect(account.iam).toHaveReceivedCommandTimes(CreateOpenIDConnectProviderCommand, 1);
  });

  it('executes the planned change set, then re-plans the stack that depended on it', async () => {
    givenFinishedEnvironment();
    account.stacks.get('patch-dev-github-oidc')!.parameters.AppStackName = 'patch-prod-app';
    const deps = account.deps();
    const result = await applyPlan(await planBootstrap(request(), deps), deps);
    expect(account.cfn).toHaveReceivedCommandTimes(ExecuteChangeSetCommand, 1);
    expect(account.stacks.get('patch-dev-github-oidc')?.parameters.AppStackName).toBe('patch-dev-app');
    expect(result.outcomes.find((o) => o.role === 'app')?.outcome).toBe('unchanged');
    expect(account.created()).toEqual([]);
  });

  it('stores the dispatch token in Secrets Manager without logging it, and passes only its ARN and version to the stack', async () => {
    givenFinishedEnvironment();
    const deps = account.deps();
    const token = 'github_pat_SECRET_VALUE_123';
    const plan = await planBootstrap(request({ include: { automation: false, githubDispatch: true }, dispatchToken: token }), deps);
    expect(kinds(plan)['patch-dev-github-dispatch']).toBe('create');
    await applyPlan(plan, deps);
    expect(account.stacks.get('patch-dev-github-dispatch')?.parameters).toEqual({
      GitHubRepository: REPOSITORY,
      PatchEnvironment: 'dev',
      ImageRecipeName: 'patch-dev-image-pipeline-web',
      GitHubTokenSecretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:x-AbCdEf`,
      GitHubTokenVersion: '0123456789abcdef0123456789abcdef',
    });
    expect(JSON.stringify(account.cfn.calls().map((c) => c.args[0].input))).not.toContain(token);
    expect(deps.logger.text()).not.toContain(token);
    expect(renderPlan(plan).join('\n')).not.toContain(token);
  });
});
