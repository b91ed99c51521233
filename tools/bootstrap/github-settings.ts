/**
 * What GitHub must hold for the workflows to reach an environment's stacks: the variables at their
 * scopes (docs/workflows.md §3-4), the GitHub environment and its protection, and the optional
 * patch App's settings. Derived from the stacks' outputs; bootstrap prints it, or sets it with gh.
 */
import { variableSuffix } from '../../actions/lib/gitops/commands/environment';
import type { EnvironmentsConfig } from '../../actions/lib/parameters';
import { PINNED_SUBJECT_CLAIMS, PINNED_SUBJECT_TEMPLATE, type OidcSubjectClaims } from './oidc-subjects';

export interface GithubVariable {
  name: string;
  value: string;
  /** undefined: a repository variable; otherwise the GitHub environment it belongs to. */
  environment?: string;
  why: string;
}

export interface GithubEnvironmentSettings {
  name: string;
  /** Required reviewers (GitHub logins); none for the first environment of the promotion order. */
  reviewers: string[];
  /** Whether this environment should have reviewers at all (every environment after the first). */
  needsReviewers: boolean;
  /** Only the default branch may deploy to it. */
  deploymentBranch: string;
}

export interface GithubSettings {
  repository: string;
  environment: GithubEnvironmentSettings;
  variables: GithubVariable[];
  /** The patch App, when its ID and key were given. */
  app?: { id: string; keyFile: string };
  /** The repository's OIDC subject template the roles' trust is written for (the stack's OidcSubjectClaims). */
  oidcSubjectClaims: OidcSubjectClaims;
}

/** The role outputs of the github-oidc stack. */
export interface RoleOutputs {
  BuildAmiRoleArn?: string;
  PreviewRoleArn?: string;
  DeployRoleArn?: string;
}

export function githubSettings(input: {
  repository: string;
  wiring: EnvironmentsConfig;
  environment: string;
  roles: RoleOutputs;
  reviewers: string[];
  defaultBranch: string;
  app?: { id: string; keyFile: string };
  oidcSubjectClaims: OidcSubjectClaims;
}): GithubSettings {
  const suffix = variableSuffix(input.environment);
  const first = input.wiring.promotionOrder[0] === input.environment;
  const variables: GithubVariable[] = [
    { name: 'AWS_DEPLOY_ROLE_ARN', value: input.roles.DeployRoleArn ?? '', environment: input.environment, why: 'deploy-environment.yml assumes it in the GitHub environment' },
    { name: `AWS_BUILD_ROLE_ARN_${suffix}`, value: input.roles.BuildAmiRoleArn ?? '', why: 'patch-pr.yml (repository level: an environment would change the job\'s OIDC subject)' },
    { name: `AWS_PREVIEW_ROLE_ARN_${suffix}`, value: input.roles.PreviewRoleArn ?? '', why: 'PR previews, drift (repository level)' },
  ];
  if (input.app) variables.push({ name: 'PATCH_APP_ID', value: input.app.id, why: 'patch PRs opened as the GitHub App, so their checks run' });
  return {
    repository: input.repository,
    environment: { name: input.environment, reviewers: input.reviewers, needsReviewers: !first, deploymentBranch: input.defaultBranch },
    variables,
    app: input.app,
    oidcSubjectClaims: input.oidcSubjectClaims,
  };
}

/** The settings as instructions for someone setting them by hand (or with the gh lines shown). */
export function renderGithubInstructions(settings: GithubSettings): string[] {
  const { repository, environment } = settings;
  const lines = [
    `GitHub settings for ${environment.name} (repository ${repository}); bootstrap --github sets them with gh:`,
    `  Environment "${environment.name}" (Settings → Environments): deployment branches: ${environment.deploymentBranch} only; ` +
      (environment.needsReviewers
        ? `required reviewers${environment.reviewers.length ? `: ${environment.reviewers.join(', ')}` : ' (pass --reviewers <login,…> or add them by hand)'}, "Prevent self-review".`
        : 'no reviewers (the first environment deploys right after the merge).'),
  ];
  lines.push(...oidcSubjectInstructions(settings));
  for (const variable of settings.variables) {
    const scope = variable.environment ? `--env ${variable.environment}` : '';
    lines.push(`  Variable ${variable.name} = ${variable.value || '<missing output>'}  (${variable.environment ? `environment ${variable.environment}` : 'repository'}; ${variable.why})`);
    lines.push(`    ${`gh variable set ${variable.name} --repo ${repository} ${scope} --body '${variable.value}'`.replace(/ {2,}/g, ' ')}`);
  }
  if (settings.app) {
    lines.push(`  Secret PATCH_APP_PRIVATE_KEY (repository): the App's private key`, `    gh secret set PATCH_APP_PRIVATE_KEY --repo ${repository} < ${settings.app.keyFile}`);
  } else {
    lines.push('  Optional: a GitHub App for the patch PRs (PATCH_APP_ID variable + PATCH_APP_PRIVATE_KEY secret; docs/workflows.md §5). Pass --app-id and --app-key-file to set them.');
  }
  lines.push('  Settings → Actions → General: tick "Allow GitHub Actions to create and approve pull requests".');
  return lines;
}

/** The one-time repository setting the roles' trust needs: GitHub writes job_workflow_ref into the subject. */
export function subjectTemplateCommand(repository: string): string {
  return `gh api --method PUT repos/${repository}/actions/oidc/customization/sub --input - <<< '${JSON.stringify(PINNED_SUBJECT_TEMPLATE)}'`;
}

function oidcSubjectInstructions(settings: GithubSettings): string[] {
  if (settings.oidcSubjectClaims !== PINNED_SUBJECT_CLAIMS) {
    return [`  OIDC subject: GitHub's default (the github-oidc stack has OidcSubjectClaims=${settings.oidcSubjectClaims}); the repository's subject template must stay the default.`];
  }
  return [
    `  OIDC subject template (repository, once; it changes the subject of every workflow of ${settings.repository}): ${PINNED_SUBJECT_CLAIMS.split(',').join(', ')}, so each role trusts only the workflow files that use it`,
    `    ${subjectTemplateCommand(settings.repository)}`,
  ];
}
