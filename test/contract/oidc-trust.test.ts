/**
 * The GitHub roles' trust against the workflows that use them: every job that assumes a role of
 * templates/github-oidc.yaml presents a subject that role trusts (under both OidcSubjectClaims
 * settings), and the pinned trust names exactly the workflow files that use each role, so a new or
 * renamed workflow file fails here rather than at its first AssumeRoleWithWebIdentity on GitHub.
 * How GitHub writes the subject (context and job_workflow_ref) is modelled in
 * tools/bootstrap/oidc-subjects.ts; the deployed policy is checked on moto in
 * test/integration/github-oidc-trust.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

import {
  DEFAULT_SUBJECT_CLAIMS,
  PINNED_SUBJECT_CLAIMS,
  ROLE_USERS,
  subjectMatches,
  subjectOf,
  trustedSubjects,
  type GithubRoleOutput,
  type JobClaims,
} from '../../tools/bootstrap/oidc-subjects';

const ROOT = join(__dirname, '../..');
const WORKFLOWS = join(ROOT, '.github/workflows');
const REPOSITORY = 'acme/fleet';
const SCOPE = { repository: REPOSITORY, branch: 'main', environment: 'dev' };

/** The variable a job's role-to-assume reads → the github-oidc output it holds. */
const ROLE_VARIABLES: [RegExp, GithubRoleOutput | 'not in github-oidc.yaml'][] = [
  [/AWS_BUILD_ROLE_ARN/, 'BuildAmiRoleArn'],
  [/AWS_PREVIEW_ROLE_ARN/, 'PreviewRoleArn'],
  [/AWS_DEPLOY_ROLE_ARN/, 'DeployRoleArn'],
  [/AWS_LIFECYCLE_ROLE_ARN/, 'AmiLifecycleRoleArn'],
  [/AWS_PROMOTION_ROLE_ARN/, 'AmiPromotionRoleArn'],
  // The end-to-end role is made by hand on a sandbox account (docs/workflows.md).
  [/AWS_E2E_ROLE_ARN/, 'not in github-oidc.yaml'],
];

interface Job {
  environment?: unknown;
  permissions?: Record<string, string>;
  steps?: { with?: Record<string, unknown> }[];
}

/** Each job of the repository's workflows that assumes a role, with the claims GitHub would give it (run from main, or a pull request). */
function roleUsers(): { file: string; job: string; role: GithubRoleOutput; claims: JobClaims }[] {
  const users: ReturnType<typeof roleUsers> = [];
  for (const file of readdirSync(WORKFLOWS).filter((f) => f.endsWith('.yml'))) {
    const workflow = parse(readFileSync(join(WORKFLOWS, file), 'utf8')) as { on: Record<string, unknown>; jobs: Record<string, Job> };
    const pullRequest = 'pull_request' in workflow.on;
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const roleVariable of job.steps?.map((s) => s.with?.['role-to-assume']).filter((v): v is string => typeof v === 'string') ?? []) {
        expect({ file, name, idToken: job.permissions?.['id-token'] }).toEqual({ file, name, idToken: 'write' });
        const role = ROLE_VARIABLES.find(([pattern]) => pattern.test(roleVariable))?.[1];
        if (!role) throw new Error(`${file} job ${name} assumes ${roleVariable}, which no github-oidc output is known to hold: add it to ROLE_VARIABLES`);
        if (role === 'not in github-oidc.yaml') continue;
        // A job that names an environment gets that context whatever the event; a reusable workflow's
        // ref is its caller's (main for deploy.yml and failback.yml).
        const context = job.environment ? 'environment:dev' : pullRequest ? 'pull_request' : 'ref:refs/heads/main';
        const ref = pullRequest ? 'refs/pull/17/merge' : 'refs/heads/main';
        users.push({ file, job: name, role, claims: { repository: REPOSITORY, context, jobWorkflowRef: `${REPOSITORY}/.github/workflows/${file}@${ref}` } });
      }
    }
  }
  return users;
}

describe('the GitHub roles trust the jobs that use them', () => {
  const users = roleUsers();

  it('finds the jobs that assume a role (so the checks below check something)', () => {
    expect(new Set(users.map((u) => u.role))).toEqual(new Set(Object.keys(ROLE_USERS)));
  });

  it.each([PINNED_SUBJECT_CLAIMS, DEFAULT_SUBJECT_CLAIMS] as const)('with OidcSubjectClaims=%s, each job presents a subject its role trusts', (claims) => {
    const refused = users.filter(({ role, claims: job }) => !trustedSubjects(role, { ...SCOPE, claims }).some((pattern) => subjectMatches(pattern, subjectOf(job, claims))));
    expect(refused.map((u) => `${u.file} ${u.job} → ${u.role}: ${subjectOf(u.claims, claims)}`)).toEqual([]);
  });

  it('the pinned trust names exactly the workflow files that use each role', () => {
    for (const role of Object.keys(ROLE_USERS) as GithubRoleOutput[]) {
      const used = [...new Set(users.filter((u) => u.role === role).map((u) => u.file))].sort();
      const { branch = [], pullRequest = [], environment = [] } = ROLE_USERS[role];
      expect({ role, files: [...new Set([...branch, ...pullRequest, ...environment])].sort() }).toEqual({ role, files: used });
    }
  });
});

describe('subjectMatches (IAM StringLike)', () => {
  it.each([
    ['repo:a/b:pull_request:job_workflow_ref:a/b/.github/workflows/pr-checks.yml@refs/pull/*/merge', 'repo:a/b:pull_request:job_workflow_ref:a/b/.github/workflows/pr-checks.yml@refs/pull/17/merge', true],
    ['repo:a/b:pull_request:job_workflow_ref:a/b/.github/workflows/pr-checks.yml@refs/pull/*/merge', 'repo:a/b:pull_request:job_workflow_ref:a/b/.github/workflows/evil.yml@refs/pull/17/merge', false],
    ['repo:a/b:ref:refs/heads/main', 'repo:a/b:ref:refs/heads/main', true],
    // Literal characters stay literal, and case counts.
    ['repo:a/b.c:ref:refs/heads/main', 'repo:a/bxc:ref:refs/heads/main', false],
    ['repo:a/b:ref:refs/heads/main', 'repo:A/b:ref:refs/heads/main', false],
    ['repo:a/b:ref:refs/heads/v?', 'repo:a/b:ref:refs/heads/v1', true],
  ])('%s ~ %s: %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});
