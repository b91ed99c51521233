/**
 * The GitHub wiring through gh, with a fake gh executable first on PATH (fake-gh.ts): what is set
 * at which scope, that it is read back, that secrets travel on standard input only and are never
 * logged, and that an unauthenticated gh stops everything before the first change.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InputError } from '../../../actions/lib/errors';
import { RecordingLogger } from '../../../actions/lib/logger';
import { loadEnvironments, type EnvironmentsConfig } from '../../../actions/lib/parameters';
import { REPO_ROOT } from '../../../local/env';
import { applyGithubSettings, checkGithubSettings, createGhRunner } from '../../../tools/bootstrap/github-cli';
import { githubSettings, renderGithubInstructions } from '../../../tools/bootstrap/github-settings';
import { DEFAULT_SUBJECT_CLAIMS, PINNED_SUBJECT_CLAIMS } from '../../../tools/bootstrap/oidc-subjects';
import { installFakeGh } from './fake-gh';

const REPOSITORY = 'acme/fleet';
const ROLES = {
  DeployRoleArn: 'arn:aws:iam::111122223333:role/patch-prod-github-oidc-DeployRole-A',
  BuildAmiRoleArn: 'arn:aws:iam::111122223333:role/patch-prod-github-oidc-BuildAmiRole-B',
  PreviewRoleArn: 'arn:aws:iam::111122223333:role/patch-prod-github-oidc-PreviewRole-C',
};
const PRIVATE_KEY = '-----BEGIN RSA PRIVATE KEY-----\nMIIEfakeKEYmaterial\n-----END RSA PRIVATE KEY-----\n';

let wiring: EnvironmentsConfig;
let keyFile: string;
beforeAll(async () => {
  wiring = await loadEnvironments(`${REPO_ROOT}/parameters/environments.json`, { rootDir: REPO_ROOT });
  keyFile = join(mkdtempSync(join(tmpdir(), 'app-key-')), 'app.pem');
  writeFileSync(keyFile, PRIVATE_KEY);
});

const prodSettings = (app = true) =>
  githubSettings({ repository: REPOSITORY, wiring, environment: 'prod', roles: ROLES, reviewers: ['alice'], defaultBranch: 'main', app: app ? { id: '424242', keyFile } : undefined, oidcSubjectClaims: PINNED_SUBJECT_CLAIMS });

describe('GitHub wiring with gh', () => {
  it('sets the environment (reviewers, main only), the variables at their scopes and the App secret (on stdin, never logged), then reads them all back', async () => {
    const gh = installFakeGh({ users: { alice: 7 } });
    const logger = new RecordingLogger();
    await applyGithubSettings(prodSettings(), createGhRunner(gh.env), logger);
    const secretCall = gh.calls().find((c) => c.args[0] === 'secret' && c.args[1] === 'set');
    expect(secretCall?.stdin).toBe(PRIVATE_KEY);
    for (const call of gh.calls()) expect(call.args.join(' ')).not.toContain('MIIEfakeKEYmaterial');
    expect(logger.text()).not.toContain('MIIEfakeKEYmaterial');
    expect(logger.text()).toContain('GitHub secret PATCH_APP_PRIVATE_KEY set (value not shown).');

    const state = gh.state();
    expect(state.environments.prod).toEqual({ reviewers: [{ type: 'User', id: 7 }], branchPolicies: ['main'] });
    expect(state.variables).toEqual({
      'env:prod:AWS_DEPLOY_ROLE_ARN': ROLES.DeployRoleArn,
      'repo:AWS_BUILD_ROLE_ARN_PROD': ROLES.BuildAmiRoleArn,
      'repo:AWS_PREVIEW_ROLE_ARN_PROD': ROLES.PreviewRoleArn,
      'repo:PATCH_APP_ID': '424242',
    });
    expect(state.secrets).toEqual({ PATCH_APP_PRIVATE_KEY: PRIVATE_KEY });
    expect(state.oidcSubject).toEqual({ use_default: false, include_claim_keys: ['repo', 'context', 'job_workflow_ref'] });

    const checks = await checkGithubSettings(prodSettings(), createGhRunner(gh.env));
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual([
      'GitHub environment prod',
      'GitHub OIDC subject template',
      'GitHub variable AWS_DEPLOY_ROLE_ARN (environment prod)',
      'GitHub variable AWS_BUILD_ROLE_ARN_PROD (repository)',
      'GitHub variable AWS_PREVIEW_ROLE_ARN_PROD (repository)',
      'GitHub variable PATCH_APP_ID (repository)',
      'GitHub secret PATCH_APP_PRIVATE_KEY',
    ]);
  });

  it('is idempotent: a second run adds no second branch policy', async () => {
    const gh = installFakeGh({ users: { alice: 7 } });
    await applyGithubSettings(prodSettings(false), createGhRunner(gh.env), new RecordingLogger());
    await applyGithubSettings(prodSettings(false), createGhRunner(gh.env), new RecordingLogger());
    expect(gh.state().environments.prod.branchPolicies).toEqual(['main']);
    expect(gh.calls().filter((c) => c.args.includes('POST'))).toHaveLength(1);
  });

  it('stops before any change when gh is not logged in', async () => {
    const gh = installFakeGh({ authenticated: false });
    const error = await applyGithubSettings(prodSettings(), createGhRunner(gh.env), new RecordingLogger()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      'GitHub CLI not authenticated: run gh auth login (with admin rights on the repository), or leave out --github and set what bootstrap prints by hand. Nothing was changed on GitHub.',
    );
    expect(gh.calls().map((c) => c.args.slice(0, 2).join(' '))).toEqual(['auth status']);
  });

  it('reads back a variable that differs, an unprotected prod and a missing secret, each with its fix', async () => {
    const gh = installFakeGh({
      environments: { prod: { reviewers: [], branchPolicies: ['main'] } },
      variables: { 'env:prod:AWS_DEPLOY_ROLE_ARN': 'arn:aws:iam::111122223333:role/old', 'repo:AWS_BUILD_ROLE_ARN_PROD': ROLES.BuildAmiRoleArn, 'repo:PATCH_APP_ID': '424242' },
    });
    const failed = (await checkGithubSettings(prodSettings(), createGhRunner(gh.env))).filter((c) => !c.ok);
    expect(failed.map((c) => `${c.name}: ${c.detail}. Fix: ${c.fix}`)).toEqual([
      'GitHub environment prod: has no required reviewers, so a merge deploys it unreviewed. Fix: add required reviewers (bootstrap --github --reviewers <login>, or Settings → Environments → prod)',
      `GitHub OIDC subject template: is GitHub's default (repo, context), but the github-oidc stack trusts subjects made of repo,context,job_workflow_ref: every role refuses the workflows' tokens. Fix: gh api --method PUT repos/acme/fleet/actions/oidc/customization/sub --input - <<< '{"use_default":false,"include_claim_keys":["repo","context","job_workflow_ref"]}'`,
      `GitHub variable AWS_DEPLOY_ROLE_ARN (environment prod): is arn:aws:iam::111122223333:role/old, the stack says ${ROLES.DeployRoleArn}. Fix: gh variable set AWS_DEPLOY_ROLE_ARN --repo acme/fleet --env prod --body '${ROLES.DeployRoleArn}'`,
      `GitHub variable AWS_PREVIEW_ROLE_ARN_PROD (repository): is not set. Fix: gh variable set AWS_PREVIEW_ROLE_ARN_PROD --repo acme/fleet --body '${ROLES.PreviewRoleArn}'`,
      'GitHub secret PATCH_APP_PRIVATE_KEY: is not set. Fix: gh secret set PATCH_APP_PRIVATE_KEY --repo acme/fleet < <key file>',
    ]);
  });

  it('reads back a subject template that does not write the subjects the roles trust, with the call that fixes it', async () => {
    const gh = installFakeGh({ users: { alice: 7 } });
    const [pinned] = (await checkGithubSettings(prodSettings(false), createGhRunner(gh.env))).filter((c) => c.name === 'GitHub OIDC subject template');
    expect(`${pinned.detail}. Fix: ${pinned.fix}`).toBe(
      "is GitHub's default (repo, context), but the github-oidc stack trusts subjects made of repo,context,job_workflow_ref: every role refuses the workflows' tokens. " +
        `Fix: gh api --method PUT repos/acme/fleet/actions/oidc/customization/sub --input - <<< '{"use_default":false,"include_claim_keys":["repo","context","job_workflow_ref"]}'`,
    );

    // A stack on GitHub's default subject, in a repository customised with other keys.
    gh.setState((state) => (state.oidcSubject = { use_default: false, include_claim_keys: ['repository_owner', 'context'] }));
    const defaultSettings = { ...prodSettings(false), oidcSubjectClaims: DEFAULT_SUBJECT_CLAIMS } as const;
    const [other] = (await checkGithubSettings(defaultSettings, createGhRunner(gh.env))).filter((c) => c.name === 'GitHub OIDC subject template');
    expect(other).toMatchObject({ ok: false, detail: expect.stringMatching(/^is repository_owner, context, but the github-oidc stack trusts subjects made of repo,context:/) });
    // …and bootstrap leaves a repository on GitHub's default alone.
    await applyGithubSettings(defaultSettings, createGhRunner(gh.env), new RecordingLogger());
    expect(gh.calls().some((c) => c.args.join(' ').includes('oidc/customization/sub') && c.args.includes('PUT'))).toBe(false);
  });

  it('without --github, prints each setting with the gh line that sets it, and the key only as a file to read', () => {
    const text = renderGithubInstructions(prodSettings()).join('\n');
    expect(text).toContain(`Variable AWS_DEPLOY_ROLE_ARN = ${ROLES.DeployRoleArn}  (environment prod;`);
    expect(text).toContain(`gh variable set AWS_BUILD_ROLE_ARN_PROD --repo acme/fleet --body '${ROLES.BuildAmiRoleArn}'`);
    expect(text).toContain('required reviewers: alice, "Prevent self-review".');
    expect(text).toContain(`gh secret set PATCH_APP_PRIVATE_KEY --repo acme/fleet < ${keyFile}`);
    expect(text).toContain(`gh api --method PUT repos/acme/fleet/actions/oidc/customization/sub --input - <<< '{"use_default":false,"include_claim_keys":["repo","context","job_workflow_ref"]}'`);
    expect(text).not.toContain('MIIEfakeKEYmaterial');
  });
});
