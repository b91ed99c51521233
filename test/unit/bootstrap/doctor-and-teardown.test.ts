/**
 * doctor's checks that moto cannot exercise (the event path: moto's CloudFormation cannot create
 * it; IAM trust that names another repository; an app stack created without its service role),
 * and teardown's refusals, on the scripted account.
 */
import { DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { DescribeApiDestinationCommand, DescribeConnectionCommand, DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { DeleteSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

import { InputError } from '../../../actions/lib/errors';
import { getEnvironment, liveAmiIn, loadEnvironments, loadParametersFile, type EnvironmentsConfig, type ParametersFile } from '../../../actions/lib/parameters';
import { REPO_ROOT } from '../../../local/env';
import { renderChecks, runDoctor } from '../../../tools/bootstrap/doctor';
import { teardownEnvironment } from '../../../tools/bootstrap/teardown';
import { describeCatalogueRows } from '../reliability/support/catalogue-suite';
import { ACCOUNT, FakeAccount } from './fake-account';

const REPOSITORY = 'acme/fleet';
const account = new FakeAccount();
const events = mockClient(EventBridgeClient);
let wiring: EnvironmentsConfig;
let devFile: ParametersFile;

beforeAll(async () => {
  wiring = await loadEnvironments(`${REPO_ROOT}/parameters/environments.json`, { rootDir: REPO_ROOT });
  devFile = await loadParametersFile(`${REPO_ROOT}/parameters/dev.json`);
});
beforeEach(() => {
  account.reset();
  events.reset();
});

const PIPELINE = `arn:aws:imagebuilder:us-east-1:${ACCOUNT}:image-pipeline/patch-dev-image-pipeline`;

function trust(subjects: string[]) {
  return encodeURIComponent(
    JSON.stringify({
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRoleWithWebIdentity',
          Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
          Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': subjects } },
        },
      ],
    }),
  );
}

function givenDev(options: { appRole?: string; deployTrust?: string[]; oidcSubjectClaims?: string } = {}): void {
  account.oidcProvider = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
  account.givenStack('patch-dev-network', 'CREATE_COMPLETE', { NatGatewayMode: 'Single' });
  account.givenStack('patch-dev-image-pipeline', 'CREATE_COMPLETE', { NetworkStackName: 'patch-dev-network' });
  account.givenStack('patch-dev-github-oidc', 'CREATE_COMPLETE', {
    GitHubRepository: REPOSITORY,
    DeployEnvironment: 'dev',
    AppStackName: 'patch-dev-app',
    ImagePipelineArn: PIPELINE,
    CreateOidcProvider: 'false',
    ...(options.oidcSubjectClaims ? { OidcSubjectClaims: options.oidcSubjectClaims } : {}),
  });
  account.givenStack('patch-dev-app', 'CREATE_COMPLETE', { ...devFile.parameters }, { roleArn: options.appRole });
  account.iam.on(GetRoleCommand).callsFake(({ RoleName }: { RoleName: string }) => {
    const subjects = RoleName.includes('DeployRole')
      ? (options.deployTrust ?? [`repo:${REPOSITORY}:environment:dev`])
      : RoleName.includes('BuildAmi')
        ? [`repo:${REPOSITORY}:ref:refs/heads/main`]
        : [`repo:${REPOSITORY}:pull_request`, `repo:${REPOSITORY}:ref:refs/heads/main`];
    return { Role: { RoleName, Arn: `arn:aws:iam::${ACCOUNT}:role/${RoleName}`, Path: '/', RoleId: 'x', CreateDate: new Date(0), AssumeRolePolicyDocument: trust(subjects) } };
  });
}

async function doctor() {
  const deps = { ...account.deps(), clients: { ...account.clients(), eventBridge: new EventBridgeClient({ region: 'us-east-1' }) } };
  const checks = await runDoctor(
    { environment: getEnvironment(wiring, 'dev'), wiring, repository: REPOSITORY, parametersFile: devFile, defaultBranch: 'main', bootstrapCommand: 'npm run bootstrap -- --env dev' },
    deps,
  );
  return { checks, text: renderChecks(checks).join('\n'), failed: checks.filter((c) => c.status === 'fail') };
}

describe('doctor', () => {
  // doctor judges the AMI git names with the deploys' own rule, so "usable" means a deploy takes it.
  describeCatalogueRows("doctor's AMI check (catalogue row)", 'doctor-and-teardown.test.ts', {
    async B87() {
    givenDev({ appRole: `arn:aws:iam::${ACCOUNT}:role/patch-dev-github-oidc-CloudFormationRole` });
    const ami = liveAmiIn(devFile.parameters) ?? '';
    account.images.set(ami, { ImageId: ami, OwnerId: '099720109477', State: 'available', Name: 'ubuntu' });
    const { failed, text } = await doctor();
    expect(failed.map((c) => c.name)).toEqual([`AMI ${ami}`]);
    expect(text).toContain(`✘ AMI ${ami}: is owned by account 099720109477, which is not on the AMI owner allowlist (self (${ACCOUNT}), 137112412989; environments.dev.amiOwners in parameters/environments.json)`);
    account.images.set(ami, { ImageId: ami, OwnerId: '137112412989', State: 'available', Name: 'al2023' });
    expect((await doctor()).failed).toEqual([]);
  },
  });

  it('fails an app stack created without its service role, with the command that attaches it', async () => {
    givenDev();
    const { text } = await doctor();
    expect(text).toContain(
      `✘ patch-dev-app service role: none: the stack was created without --role-arn, so the deploy role cannot update it. Fix: aws cloudformation update-stack --stack-name patch-dev-app --use-previous-template --role-arn arn:aws:iam::${ACCOUNT}:role/patch-dev-github-oidc-CloudFormationRole`,
    );
  });

  it('fails a deploy role that trusts another repository or environment, and says which subjects are wrong', async () => {
    givenDev({ appRole: `arn:aws:iam::${ACCOUNT}:role/patch-dev-github-oidc-CloudFormationRole`, deployTrust: ['repo:someone/else:environment:dev'] });
    const { failed, text } = await doctor();
    expect(failed.map((c) => c.name)).toEqual(['DeployRole trust', `AMI ${liveAmiIn(devFile.parameters) ?? ''}`]);
    expect(text).toContain(`✘ DeployRole trust: does not trust repo:${REPOSITORY}:environment:dev; also trusts repo:someone/else:environment:dev. Fix: redeploy the github-oidc stack with bootstrap`);
    expect(text).toContain('✔ BuildAmiRole trust');
  });

  it('judges the trust by the subject template the stack was deployed for: a pinned stack whose roles trust the default subject fails', async () => {
    givenDev({ appRole: `arn:aws:iam::${ACCOUNT}:role/patch-dev-github-oidc-CloudFormationRole`, oidcSubjectClaims: 'repo,context,job_workflow_ref' });
    const { failed, text } = await doctor();
    expect(failed.map((c) => c.name)).toEqual(['DeployRole trust', 'BuildAmiRole trust', 'PreviewRole trust', `AMI ${liveAmiIn(devFile.parameters) ?? ''}`]);
    expect(text).toContain(
      `✘ DeployRole trust: does not trust repo:${REPOSITORY}:environment:dev:job_workflow_ref:${REPOSITORY}/.github/workflows/deploy-environment.yml@refs/heads/main; does not trust repo:${REPOSITORY}:environment:dev:job_workflow_ref:${REPOSITORY}/.github/workflows/check-environment.yml@refs/heads/main; also trusts repo:${REPOSITORY}:environment:dev.`,
    );
  });

  it('checks the event path when it is deployed: a connection GitHub no longer authorizes is a failure with its fix', async () => {
    givenDev({ appRole: `arn:aws:iam::${ACCOUNT}:role/patch-dev-github-oidc-CloudFormationRole` });
    account.givenStack('patch-dev-github-dispatch', 'CREATE_COMPLETE', { GitHubRepository: REPOSITORY, PatchEnvironment: 'dev', ImageRecipeName: 'patch-dev-image-pipeline-web' });
    Object.assign(account.stacks.get('patch-dev-github-dispatch')!.outputs, {
      ConnectionArn: `arn:aws:events:us-east-1:${ACCOUNT}:connection/GitHubConnection-abc/0f1e`,
      ApiDestinationArn: `arn:aws:events:us-east-1:${ACCOUNT}:api-destination/DispatchDestination-def/9a8b`,
      RuleName: 'patch-dev-github-dispatch-ImageAvailableRule-X',
    });
    events.on(DescribeConnectionCommand, { Name: 'GitHubConnection-abc' }).resolves({ Name: 'GitHubConnection-abc', ConnectionState: 'DEAUTHORIZED', StateReason: 'Unauthorized (401)' });
    events.on(DescribeApiDestinationCommand, { Name: 'DispatchDestination-def' }).resolves({ HttpMethod: 'POST', InvocationEndpoint: 'https://api.github.com/repos/acme/fleet/dispatches', ApiDestinationState: 'ACTIVE' });
    events.on(DescribeRuleCommand).resolves({ Name: 'patch-dev-github-dispatch-ImageAvailableRule-X', State: 'ENABLED' });
    const { text } = await doctor();
    expect(text).toContain('✔ patch-dev-github-dispatch ImageRecipeName: = the recipe of patch-dev-image-pipeline');
    expect(text).toContain('✘ event path connection: GitHubConnection-abc is DEAUTHORIZED (Unauthorized (401)). Fix: store a valid token: GITHUB_DISPATCH_TOKEN=… npm run bootstrap -- --env dev --dispatch');
    expect(text).toContain('✔ event path API destination: POST https://api.github.com/repos/acme/fleet/dispatches ACTIVE');
    expect(text).toContain('✔ event path rule: patch-dev-github-dispatch-ImageAvailableRule-X ENABLED');
  });

  it('says a missing stack is bootstrap\'s to create, and an optional one is only optional', async () => {
    const { text } = await doctor();
    expect(text).toContain('✘ stack patch-dev-network: does not exist in us-east-1. Fix: npm run bootstrap -- --env dev creates it');
    expect(text).toContain('- stack patch-dev-github-dispatch: not deployed (optional: bootstrap --dispatch adds it)');
    expect(text).toContain('✘ GitHub OIDC provider: the account has no provider for token.actions.githubusercontent.com. Fix: npm run bootstrap -- --env dev creates it');
  });
});

describe('teardown', () => {
  const deps = (answer: boolean) => ({ ...account.deps(), confirm: jest.fn(async () => answer) });

  it('refuses an environment after the first in promotion order without --force, before reading anything', async () => {
    const d = deps(true);
    const error = await teardownEnvironment({ environment: getEnvironment(wiring, 'prod'), wiring, force: false, yes: true, rerun: 'x' }, d).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/^Teardown refused for prod: it comes after dev in the promotion order.*run it again with --force\. Nothing was changed\.$/);
    expect(account.cfn.calls()).toHaveLength(0);
  });

  it('deletes nothing when the user says no, and deletes the dispatch token secret with the stacks when yes', async () => {
    givenDev();
    const declined = await teardownEnvironment({ environment: getEnvironment(wiring, 'dev'), wiring, force: false, yes: false, rerun: 'x' }, deps(false));
    expect(declined).toMatchObject({ declined: true, deleted: [] });
    expect(account.cfn).not.toHaveReceivedCommand(DeleteStackCommand);

    account.secrets.on(DescribeSecretCommand).resolves({ ARN: 'arn:s', VersionIdsToStages: { v1: ['AWSCURRENT'] } });
    account.secrets.on(DeleteSecretCommand).resolves({});
    const done = await teardownEnvironment({ environment: getEnvironment(wiring, 'dev'), wiring, force: false, yes: false, rerun: 'x' }, deps(true));
    expect(done.deleted).toEqual(['patch-dev-app', 'patch-dev-github-oidc', 'patch-dev-image-pipeline', 'patch-dev-network']);
    expect(account.secrets).toHaveReceivedCommandWith(DeleteSecretCommand, { SecretId: 'patch-dev-github-dispatch/github-token', RecoveryWindowInDays: 7 });
  });
});
