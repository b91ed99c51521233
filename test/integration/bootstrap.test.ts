/**
 * bootstrap, doctor and teardown against moto, through the CLI a user runs (tools/bootstrap/cli.ts
 * with the real SDK over HTTP, the real templates and parameters/environments.json): dev from an
 * empty account, a re-run that changes nothing, prod in the same account reusing the OIDC provider,
 * doctor green, a broken wiring caught by doctor with its fix (and repaired by bootstrap), teardown.
 *
 * Not provable in moto, and so not claimed here: Image Builder resources (moto skips them; the
 * pipeline the stack would create is registered in the Image Builder stand-in, which is how
 * bootstrap finds its ARN locally), the event-path stack (moto's CloudFormation has no
 * AWS::Events::Connection or ApiDestination; see the unit and contract tests), IAM trust
 * evaluation, UpdatePolicy and signals.
 */
import { DescribeStacksCommand, GetTemplateCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { IAMClient, ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';

import { LOCAL_ACCOUNT_ID, LOCAL_REGION, REPO_ROOT } from '../../local/env';
import { diffSnapshots, snapshotStack, type StackSnapshot } from '../../local/stacks';
import { runCli } from '../../tools/bootstrap/cli';
import { localClients, standin, useLocalAws } from './harness';

useLocalAws();

const REPOSITORY = 'example-org/ami-patch-gitops';
const DEV_STACKS = ['patch-dev-network', 'patch-dev-image-pipeline', 'patch-dev-github-oidc', 'patch-dev-app'];

async function cli(...argv: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await runCli({ argv, env: process.env, cwd: REPO_ROOT, write: (line) => lines.push(line), isTty: false });
  return { code, output: lines.join('\n') };
}

async function stack(name: string) {
  const { Stacks = [] } = await localClients().cloudFormation.send(new DescribeStacksCommand({ StackName: name }));
  return Stacks[0];
}

async function oidcProviders(): Promise<string[]> {
  const { OpenIDConnectProviderList = [] } = await new IAMClient({ region: LOCAL_REGION }).send(new ListOpenIDConnectProvidersCommand({}));
  return OpenIDConnectProviderList.map((p) => p.Arn ?? '');
}

describe('bootstrap, doctor and teardown against moto', () => {
  beforeAll(async () => {
    // moto creates no Image Builder pipeline; the stand-in plays the one each stack would make.
    for (const env of ['dev', 'prod']) await standin.registerPipeline(`arn:aws:imagebuilder:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:image-pipeline/patch-${env}-image-pipeline`);
  });

  it('bootstraps dev from an empty account: the stacks in order, the OIDC provider, the app stack with its service role', async () => {
    expect(await oidcProviders()).toEqual([]);
    const run = await cli('bootstrap', '--env', 'dev', '--repo', REPOSITORY, '--yes');
    expect(run.output).toContain('+ create    GitHub OIDC provider');
    expect(run.code).toBe(0);
    for (const name of DEV_STACKS) expect((await stack(name))?.StackStatus).toBe('CREATE_COMPLETE');
    expect(await oidcProviders()).toHaveLength(1);

    const oidc = await stack('patch-dev-github-oidc');
    const param = (key: string) => oidc?.Parameters?.find((p) => p.ParameterKey === key)?.ParameterValue;
    expect(param('ImagePipelineArn')).toBe(`arn:aws:imagebuilder:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:image-pipeline/patch-dev-image-pipeline`);
    expect(param('CreateOidcProvider')).toBe('false');
    expect(param('GitHubRepository')).toBe(REPOSITORY);
    const serviceRole = oidc?.Outputs?.find((o) => o.OutputKey === 'CloudFormationRoleArn')?.OutputValue;
    expect((await stack('patch-dev-app'))?.RoleARN).toBe(serviceRole);
    // It printed what to set on GitHub, with the real role ARNs.
    expect(run.output).toMatch(/Variable AWS_DEPLOY_ROLE_ARN = arn:aws:iam::123456789012:role\/\S+ +\(environment dev/);
    expect(run.output).toContain('Variable AWS_BUILD_ROLE_ARN_DEV = arn:aws:iam::');
  });

  it('changes nothing when run again, and says so', async () => {
    const before: StackSnapshot[] = await Promise.all(DEV_STACKS.map((n) => snapshotStack(localClients().cloudFormation, n)));
    const run = await cli('bootstrap', '--env', 'dev', '--repo', REPOSITORY, '--yes');
    expect(run.code).toBe(0);
    expect(run.output).toContain('dev: no changes');
    expect(run.output.match(/= no change/g)).toHaveLength(4);
    const after = await Promise.all(DEV_STACKS.map((n) => snapshotStack(localClients().cloudFormation, n)));
    expect(before.map((b, i) => diffSnapshots(b, after[i]))).toEqual(DEV_STACKS.map(() => []));
  });

  it('bootstraps prod in the same account, reusing the OIDC provider', async () => {
    const provider = await oidcProviders();
    const run = await cli('bootstrap', '--env', 'prod', '--repo', REPOSITORY, '--yes');
    expect(run.code).toBe(0);
    expect(run.output).toContain(`= reuse     GitHub OIDC provider ${provider[0]}`);
    expect(await oidcProviders()).toEqual(provider);
    expect((await stack('patch-prod-app'))?.StackStatus).toBe('CREATE_COMPLETE');
    expect(run.output).toContain('required reviewers (pass --reviewers');
  });

  it('doctor is green on both environments', async () => {
    for (const env of ['dev', 'prod']) {
      const run = await cli('doctor', '--env', env, '--repo', REPOSITORY);
      expect(run.output).not.toContain('✘');
      expect(run.code).toBe(0);
      expect(run.output).toContain(`✔ patch-${env}-github-oidc ImagePipelineArn`);
      expect(run.output).toContain(`✔ patch-${env}-app service role`);
      expect(run.output).toContain('✔ DeployRole trust');
    }
  });

  it('doctor catches a broken output wiring with its fix, and bootstrap repairs it', async () => {
    // Point dev's GitHub roles at prod's app stack, as an update by hand in the console would.
    // (UpdateStack, not a change set: moto compares later change sets with the parameters from
    // before an executed change set, so bootstrap's repair would look like "no changes" there.)
    const cfn = localClients().cloudFormation;
    const current = await stack('patch-dev-github-oidc');
    const { TemplateBody } = await cfn.send(new GetTemplateCommand({ StackName: 'patch-dev-github-oidc' }));
    await cfn.send(
      new UpdateStackCommand({
        StackName: 'patch-dev-github-oidc',
        TemplateBody,
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: (current?.Parameters ?? []).map((p) => (p.ParameterKey === 'AppStackName' ? { ...p, ParameterValue: 'patch-prod-app' } : p)),
      }),
    );

    const broken = await cli('doctor', '--env', 'dev', '--repo', REPOSITORY);
    expect(broken.code).toBe(1);
    expect(broken.output).toContain(
      '✘ patch-dev-github-oidc AppStackName: is "patch-prod-app", but the app stack is "patch-dev-app". Fix: npm run bootstrap -- --env dev updates it to the wiring',
    );
    expect(broken.output).toContain('1 check(s) failed.');

    const repair = await cli('bootstrap', '--env', 'dev', '--repo', REPOSITORY, '--yes');
    expect(repair.output).toMatch(/~ update +patch-dev-github-oidc/);
    expect(repair.code).toBe(0);
    expect((await cli('doctor', '--env', 'dev', '--repo', REPOSITORY)).code).toBe(0);
  });

  it('teardown refuses prod without --force, then deletes dev in reverse order and says what it leaves', async () => {
    const refused = await cli('teardown', '--env', 'prod', '--yes');
    expect(refused.code).toBe(2);
    expect(refused.output).toContain('Teardown refused for prod');
    expect((await stack('patch-prod-app'))?.StackStatus).toBe('CREATE_COMPLETE');

    const run = await cli('teardown', '--env', 'dev', '--yes');
    expect(run.output).toContain('deletes, in this order: patch-dev-app, patch-dev-github-oidc, patch-dev-image-pipeline, patch-dev-network');
    expect(run.output).toMatch(/leaves the image pipeline's log bucket \S+: DeletionPolicy Retain/);
    expect(run.output).toContain("leaves the account's GitHub OIDC provider");
    for (const name of DEV_STACKS.slice(1)) await expect(stack(name)).rejects.toThrow(/does not exist/);
    expect(await oidcProviders()).toHaveLength(1);
    expect((await stack('patch-prod-app'))?.StackStatus).toBe('CREATE_COMPLETE');

    // moto's CloudFormation cannot delete the network stack: it has no delete handler for internet
    // gateways, NAT gateways, route tables, routes or VPC endpoints, so the VPC keeps dependencies
    // (AWS orders deletions by dependency). Teardown must then fail naming the stack and the fix.
    // When moto learns to delete them, this fails: expect exit 0 and every stack gone instead.
    expect(run.output).toContain('error: Deleting stack patch-dev-network (templates/network.yaml) failed: The vpc');
    expect(run.output).toContain('Remove what still depends on it (the error names it), then npm run teardown -- --env dev');
    expect(run.code).toBe(1);
  });
});
