/**
 * The OIDC subjects the GitHub roles of templates/github-oidc.yaml trust, as doctor expects them and
 * the tests check the template against: which workflow file uses which role, from which context,
 * and how GitHub writes the `sub` claim for the repository's subject template (OidcSubjectClaims).
 *
 * With GitHub's default template the subject is `repo:<owner>/<repo>:<context>`; with the
 * customisation `include_claim_keys: [repo, context, job_workflow_ref]` (one PUT on the repository,
 * /repos/<owner>/<repo>/actions/oidc/customization/sub) GitHub appends
 * `:job_workflow_ref:<owner>/<repo>/.github/workflows/<file>@<ref>`, the workflow file (for a
 * reusable workflow, the called one) and the ref it was read from.
 */

/** The template's default: each role trusts only the workflow files that use it. */
export const PINNED_SUBJECT_CLAIMS = 'repo,context,job_workflow_ref';
/** GitHub's default subject, for a repository whose subject template cannot be customised. */
export const DEFAULT_SUBJECT_CLAIMS = 'repo,context';
export type OidcSubjectClaims = typeof PINNED_SUBJECT_CLAIMS | typeof DEFAULT_SUBJECT_CLAIMS;

/** The role outputs of the github-oidc stack whose trust is a GitHub subject. */
export type GithubRoleOutput = 'BuildAmiRoleArn' | 'PreviewRoleArn' | 'DeployRoleArn' | 'AmiLifecycleRoleArn' | 'AmiPromotionRoleArn';

/** Where each role is used: workflow files on the protected branch, in a pull request, in the GitHub environment. */
export const ROLE_USERS: Readonly<Record<GithubRoleOutput, { branch?: readonly string[]; pullRequest?: readonly string[]; environment?: readonly string[] }>> = {
  // check-environment.yml is the reusable workflow drift.yml calls per environment: its own path is job_workflow_ref.
  BuildAmiRoleArn: { branch: ['patch-pr.yml', 'check-environment.yml'] },
  PreviewRoleArn: { pullRequest: ['pr-checks.yml'], branch: ['patch-pr.yml', 'check-environment.yml'] },
  // Reusable workflows: deploy.yml and failback.yml call deploy-environment.yml; check-environment.yml's
  // notify job publishes to the notification topic with this role.
  DeployRoleArn: { environment: ['deploy-environment.yml', 'check-environment.yml'] },
  AmiLifecycleRoleArn: { branch: ['ami-lifecycle.yml'] },
  // promote.yml calls promote-wave.yml per wave; its decide job assumes the role (job_workflow_ref is the called file).
  AmiPromotionRoleArn: { branch: ['promote-wave.yml'] },
};

export interface TrustScope {
  repository: string;
  /** The protected branch (BuildBranch). */
  branch: string;
  /** The GitHub environment of the deploy role (DeployEnvironment). */
  environment: string;
  claims: OidcSubjectClaims;
}

/** The `sub` values (IAM StringLike patterns: `*` is a pull request's number) a role trusts. */
export function trustedSubjects(role: GithubRoleOutput, scope: TrustScope): string[] {
  const { repository, branch, environment, claims } = scope;
  const users = ROLE_USERS[role];
  // GitHub's default subject names the context only: one subject per context, whichever files use it.
  const each = (files: readonly string[] | undefined, context: string, ref: string): string[] => {
    if (!files?.length) return [];
    if (claims !== PINNED_SUBJECT_CLAIMS) return [`repo:${repository}:${context}`];
    return files.map((file) => `repo:${repository}:${context}:job_workflow_ref:${repository}/.github/workflows/${file}@${ref}`);
  };
  return [
    ...each(users.pullRequest, 'pull_request', 'refs/pull/*/merge'),
    ...each(users.branch, `ref:refs/heads/${branch}`, `refs/heads/${branch}`),
    ...each(users.environment, `environment:${environment}`, `refs/heads/${branch}`),
  ];
}

/** The claims of one job that decide its subject. */
export interface JobClaims {
  repository: string;
  /** `ref:refs/heads/main`, `pull_request` or `environment:dev`, as GitHub derives it. */
  context: string;
  /** `<owner>/<repo>/.github/workflows/<file>@<ref>`. */
  jobWorkflowRef: string;
}

/** The `sub` GitHub writes for a job under the repository's subject template. */
export function subjectOf(job: JobClaims, claims: OidcSubjectClaims): string {
  return `repo:${job.repository}:${job.context}${claims === PINNED_SUBJECT_CLAIMS ? `:job_workflow_ref:${job.jobWorkflowRef}` : ''}`;
}

/** IAM's StringLike: `*` any run of characters, `?` one character, everything else literal and case-sensitive. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(subject);
}

/** The repository setting the pinned subjects need, as the REST API takes it. */
export const PINNED_SUBJECT_TEMPLATE = { use_default: false, include_claim_keys: PINNED_SUBJECT_CLAIMS.split(',') } as const;

/** Whether the repository's subject template (GET …/actions/oidc/customization/sub) writes the subjects the stack trusts. */
export function subjectTemplateFits(actual: { use_default?: boolean; include_claim_keys?: string[] }, claims: OidcSubjectClaims): boolean {
  const keys = actual.use_default ? DEFAULT_SUBJECT_CLAIMS : (actual.include_claim_keys ?? []).join(',');
  return keys === claims;
}

/**
 * The subject template a github-oidc stack was deployed for: its OidcSubjectClaims parameter, or
 * GitHub's default for a stack made before the template had that parameter.
 */
export function oidcSubjectClaimsOf(stack: { parameters: Record<string, string | undefined> } | undefined): OidcSubjectClaims {
  const value = stack?.parameters.OidcSubjectClaims;
  return value === PINNED_SUBJECT_CLAIMS || value === DEFAULT_SUBJECT_CLAIMS ? value : DEFAULT_SUBJECT_CLAIMS;
}
