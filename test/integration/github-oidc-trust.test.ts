/**
 * templates/github-oidc.yaml deployed on moto with each OidcSubjectClaims setting: the trust policy
 * of every GitHub role, as CloudFormation rendered it, is exactly the subjects doctor expects
 * (tools/bootstrap/oidc-subjects.ts), and GitHub tokens of the jobs that use a role get in while
 * tokens of any other workflow file, branch, environment or repository do not. moto never
 * evaluates trust policies, so the decision is judged by test/support/iam-trust.ts, a model of IAM's
 * StringEquals/StringLike; only AWS can prove the real AssumeRoleWithWebIdentity.
 */
import { ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CreateOpenIDConnectProviderCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';

import { DEFAULT_SUBJECT_CLAIMS, PINNED_SUBJECT_CLAIMS, trustedSubjects, type GithubRoleOutput, type OidcSubjectClaims } from '../../tools/bootstrap/oidc-subjects';
import { trustAllows } from '../support/iam-trust';
import { deployStack, localClients, useLocalAws } from './harness';

useLocalAws();

const REPOSITORY = 'acme/fleet';
const PIPELINE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/patch-dev-app';
const ROLES: [GithubRoleOutput, string][] = [
  ['BuildAmiRoleArn', 'BuildAmiRole'],
  ['PreviewRoleArn', 'PreviewRole'],
  ['DeployRoleArn', 'DeployRole'],
  ['AmiLifecycleRoleArn', 'AmiLifecycleRole'],
  ['AmiPromotionRoleArn', 'AmiPromotionRole'],
];

/** The claims GitHub puts in a job's token, and its `sub` under the repository's subject template. */
function token(claims: OidcSubjectClaims, job: { repository?: string; context: string; workflow: string; ref: string }) {
  const repository = job.repository ?? REPOSITORY;
  const jobWorkflowRef = `${repository}/.github/workflows/${job.workflow}@${job.ref}`;
  const sub = `repo:${repository}:${job.context}${claims === PINNED_SUBJECT_CLAIMS ? `:job_workflow_ref:${jobWorkflowRef}` : ''}`;
  return { aud: 'sts.amazonaws.com', sub, job_workflow_ref: jobWorkflowRef };
}

const MAIN = { context: 'ref:refs/heads/main', ref: 'refs/heads/main' };
const PULL_REQUEST = { context: 'pull_request', ref: 'refs/pull/17/merge' };
const DEV = { context: 'environment:dev', ref: 'refs/heads/main' };

/** Who asks, and which roles a careful trust lets in under the pinned subject. */
const CASES: { who: string; job: Parameters<typeof token>[1]; pinned: GithubRoleOutput[]; default: GithubRoleOutput[] }[] = [
  { who: 'patch-pr.yml on main', job: { ...MAIN, workflow: 'patch-pr.yml' }, pinned: ['BuildAmiRoleArn', 'PreviewRoleArn'], default: ['BuildAmiRoleArn', 'PreviewRoleArn', 'AmiLifecycleRoleArn', 'AmiPromotionRoleArn'] },
  { who: 'pr-checks.yml in a pull request', job: { ...PULL_REQUEST, workflow: 'pr-checks.yml' }, pinned: ['PreviewRoleArn'], default: ['PreviewRoleArn'] },
  { who: 'deploy-environment.yml in environment dev, from main', job: { ...DEV, workflow: 'deploy-environment.yml' }, pinned: ['DeployRoleArn'], default: ['DeployRoleArn'] },
  { who: 'ami-lifecycle.yml on main', job: { ...MAIN, workflow: 'ami-lifecycle.yml' }, pinned: ['AmiLifecycleRoleArn'], default: ['BuildAmiRoleArn', 'PreviewRoleArn', 'AmiLifecycleRoleArn', 'AmiPromotionRoleArn'] },
  { who: "promote-wave.yml's decide job on main (promote.yml calls it)", job: { ...MAIN, workflow: 'promote-wave.yml' }, pinned: ['AmiPromotionRoleArn'], default: ['BuildAmiRoleArn', 'PreviewRoleArn', 'AmiLifecycleRoleArn', 'AmiPromotionRoleArn'] },
  // The caller's own file is not the subject of the called job: the role does not trust it.
  { who: 'promote.yml on main', job: { ...MAIN, workflow: 'promote.yml' }, pinned: [], default: ['BuildAmiRoleArn', 'PreviewRoleArn', 'AmiLifecycleRoleArn', 'AmiPromotionRoleArn'] },
  // promote-wave.yml's propose job runs in the patch-pr environment: no role trusts that subject.
  { who: "promote-wave.yml's propose job in environment patch-pr", job: { context: 'environment:patch-pr', ref: 'refs/heads/main', workflow: 'promote-wave.yml' }, pinned: [], default: [] },
  // What the pinned subject is for: a workflow file the roles were not made for.
  { who: 'a new workflow file merged to main', job: { ...MAIN, workflow: 'new.yml' }, pinned: [], default: ['BuildAmiRoleArn', 'PreviewRoleArn', 'AmiLifecycleRoleArn', 'AmiPromotionRoleArn'] },
  { who: 'a workflow file a pull request adds', job: { ...PULL_REQUEST, workflow: 'new.yml' }, pinned: [], default: ['PreviewRoleArn'] },
  { who: 'another workflow naming environment dev', job: { ...DEV, workflow: 'new.yml' }, pinned: [], default: ['DeployRoleArn'] },
  // The environment's branch rule is the only guard of GitHub's default subject.
  { who: 'deploy-environment.yml from another branch in environment dev', job: { ...DEV, workflow: 'deploy-environment.yml', ref: 'refs/heads/feature' }, pinned: [], default: ['DeployRoleArn'] },
  { who: 'patch-pr.yml on another branch', job: { context: 'ref:refs/heads/feature', ref: 'refs/heads/feature', workflow: 'patch-pr.yml' }, pinned: [], default: [] },
  { who: 'pr-checks.yml of another repository', job: { ...PULL_REQUEST, workflow: 'pr-checks.yml', repository: 'acme/other' }, pinned: [], default: [] },
];

describe.each([PINNED_SUBJECT_CLAIMS, DEFAULT_SUBJECT_CLAIMS] as const)('github-oidc.yaml with OidcSubjectClaims=%s', (claims) => {
  const stackName = claims === PINNED_SUBJECT_CLAIMS ? 'patch-dev-github-oidc' : 'patch-dev-github-oidc-default';
  const trust: Partial<Record<GithubRoleOutput, string>> = {};

  beforeAll(async () => {
    // moto skips AWS::IAM::OIDCProvider (docs/moto.md), so the account's provider is made with IAM, as bootstrap does.
    const iam = new IAMClient({});
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'https://token.actions.githubusercontent.com', ClientIDList: ['sts.amazonaws.com'] })).catch(() => undefined);
    await deployStack(stackName, 'templates/github-oidc.yaml', {
      GitHubRepository: REPOSITORY,
      DeployEnvironment: 'dev',
      CreateOidcProvider: 'false',
      CreateLifecycleRole: 'true',
      CreatePromotionRole: 'true',
      AppStackName: 'patch-dev-app',
      ImagePipelineArn: PIPELINE_ARN,
      ...(claims === DEFAULT_SUBJECT_CLAIMS ? { OidcSubjectClaims: claims } : {}),
    });
    const { StackResourceSummaries = [] } = await localClients().cloudFormation.send(new ListStackResourcesCommand({ StackName: stackName }));
    for (const [output, logicalId] of ROLES) {
      const { Role } = await iam.send(new GetRoleCommand({ RoleName: StackResourceSummaries.find((r) => r.LogicalResourceId === logicalId)?.PhysicalResourceId }));
      trust[output] = decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '');
    }
  });

  it.each(ROLES.map(([output]) => output))('%s trusts exactly the subjects doctor expects', (output) => {
    const statement = (JSON.parse(trust[output] ?? '{}') as { Statement: { Condition: Record<string, Record<string, string | string[]>> }[] }).Statement[0];
    const subjects = Object.values(statement.Condition).flatMap((keys) => ([] as string[]).concat(keys['token.actions.githubusercontent.com:sub'] ?? []));
    expect(subjects.sort()).toEqual(trustedSubjects(output, { repository: REPOSITORY, branch: 'main', environment: 'dev', claims }).sort());
    expect(statement.Condition.StringEquals['token.actions.githubusercontent.com:aud']).toBe('sts.amazonaws.com');
  });

  it.each(CASES)('a token of $who gets into exactly the roles it should', ({ job, pinned, default: byDefault }) => {
    const claimsOfJob = token(claims, job);
    const admitted = ROLES.map(([output]) => output).filter((output) => trustAllows(trust[output] ?? '', claimsOfJob));
    expect(admitted).toEqual(claims === PINNED_SUBJECT_CLAIMS ? pinned : byDefault);
  });

  it('refuses a token for another audience', () => {
    expect(trustAllows(trust.PreviewRoleArn ?? '', { ...token(claims, { ...PULL_REQUEST, workflow: 'pr-checks.yml' }), aud: 'https://github.com/acme' })).toBe(false);
  });
});
