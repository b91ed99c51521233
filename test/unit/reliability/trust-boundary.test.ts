/**
 * Fault catalogue, the trust boundary on GitHub (rows in ./catalogue.ts): what a person with push
 * access to a branch, or any user who can comment, could make the workflows do. The workflow
 * files are read as GitHub reads them (YAML) and zizmor audits them; the preview comment goes
 * through the gitops command with GitHub's API faked. GitHub's own enforcement (environments'
 * deployment branches, rulesets) is configuration a person sets (docs/workflows.md), not run here.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import { parseCfnTemplateSource } from '../../../actions/lib/cfn-yaml';
import { VirtualClock } from '../../../actions/lib/clock';
import { PREVIEW_MARKER, type IssueCommentApi } from '../../../actions/lib/gitops/preview-comment';
import { REPO_ROOT } from './support/aws-world';
import { describeCatalogueRows } from './support/catalogue-suite';
import { expectGitSaysWhatRuns } from './support/invariant';
import { createGitopsRepo, runGitops, type GitopsRepo } from './support/repo';
import { trustAllows } from '../../support/iam-trust';

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, string | boolean>;
}
interface Job {
  environment?: string;
  steps?: Step[];
  secrets?: unknown;
}
const WORKFLOWS = join(REPO_ROOT, '.github/workflows');
const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith('.yml'));
const workflows = Object.fromEntries(files.map((f) => [f, parse(readFileSync(join(WORKFLOWS, f), 'utf8')) as { on: Record<string, unknown>; jobs: Record<string, Job> }]));

/** Nothing in these cases touches AWS or git's main: git keeps saying what runs. */
const untouched = () => expectGitSaysWhatRuns({ gitAmi: 'ami-0aaaaaaaaaaaaaaa1', runningAmi: 'ami-0aaaaaaaaaaaaaaa1', failed: false, said: [] }, 'git says what runs');

let repo: GitopsRepo | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
});

/**
 * The trust policy of one role of templates/github-oidc.yaml for the given parameters (defaults
 * for the rest): Ref, Fn::If on the template's conditions and string Fn::Sub are all its trust
 * policies use. The same policies deployed on moto: test/integration/github-oidc-trust.test.ts.
 */
function renderedTrust(logicalId: string, parameters: Record<string, string>): string {
  const template = parseCfnTemplateSource(readFileSync(join(REPO_ROOT, 'templates/github-oidc.yaml'), 'utf8'), 'templates/github-oidc.yaml').value as {
    Parameters: Record<string, { Default?: string }>;
    Conditions: Record<string, { 'Fn::Equals': [{ Ref: string }, string] }>;
    Resources: Record<string, { Properties: { AssumeRolePolicyDocument: unknown } }>;
  };
  const value = (name: string) => parameters[name] ?? template.Parameters[name]?.Default ?? { 'AWS::Partition': 'aws', 'AWS::AccountId': '123456789012' }[name] ?? `<${name}>`;
  const condition = (name: string) => {
    const [ref, expected] = template.Conditions[name]['Fn::Equals'];
    return value(ref.Ref) === expected;
  };
  const render = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(render);
    if (node === null || typeof node !== 'object') return node;
    const object = node as Record<string, unknown>;
    if ('Ref' in object) return value(object.Ref as string);
    if ('Fn::Sub' in object) return (object['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_m, name: string) => value(name));
    if ('Fn::If' in object) {
      const [name, then, otherwise] = object['Fn::If'] as [string, unknown, unknown];
      return render(condition(name) ? then : otherwise);
    }
    return Object.fromEntries(Object.entries(object).map(([key, child]) => [key, render(child)]));
  };
  return JSON.stringify(render(template.Resources[logicalId].Properties.AssumeRolePolicyDocument));
}

const IMPLEMENTATIONS: Record<string, () => Promise<void>> = {
  async F56() {
    // Every secret read is in a job that runs in a GitHub environment (which admits main only);
    // no workflow passes a secret to another, so none is readable from a repository secret.
    for (const [file, wf] of Object.entries(workflows)) {
      expect({ file, declared: (wf.on.workflow_call as { secrets?: unknown } | undefined)?.secrets }).toEqual({ file, declared: undefined });
      for (const [id, job] of Object.entries(wf.jobs)) {
        const secrets = JSON.stringify(job).match(/secrets\.\w+/g) ?? [];
        // `environment: name` or `environment: { name, deployment: false }` (a job that deploys nothing).
        const environment = typeof job.environment === 'object' ? (job.environment as { name?: unknown }).name : job.environment;
        expect({ file, id, secrets, environment: secrets.length ? environment : 'none needed' }).toEqual({ file, id, secrets, environment: secrets.length ? expect.any(String) : 'none needed' });
        expect({ file, id, passes: job.secrets }).toEqual({ file, id, passes: undefined });
      }
    }
    const keyReaders = Object.entries(workflows).flatMap(([file, wf]) =>
      Object.entries(wf.jobs)
        .filter(([, job]) => JSON.stringify(job).includes('secrets.PATCH_APP_PRIVATE_KEY'))
        .map(([id, job]) => `${file}#${id} in ${job.environment}`),
    );
    expect(keyReaders.sort()).toEqual(['deploy-environment.yml#deploy in ${{ inputs.environment }}', 'patch-pr.yml#propose in patch-pr', 'promote-wave.yml#propose in patch-pr']);
    const zizmor = spawnSync(join(REPO_ROOT, '.venv/bin/zizmor'), ['--offline', '--persona', 'auditor', '--format', 'json', '.github/workflows'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect((JSON.parse(zizmor.stdout) as { ident: string }[]).filter((f) => f.ident === 'secrets-outside-env')).toEqual([]);
    untouched();
  },

  async F57() {
    const steps = workflows['pr-checks.yml'].jobs.preview.steps ?? [];
    const checkouts = steps.filter((s) => s.uses?.startsWith('actions/checkout@'));
    // The workspace (where `uses: ./actions/…` resolves) is the base branch's commit.
    expect(checkouts[0].with).toMatchObject({ ref: '${{ github.event.pull_request.base.sha }}' });
    expect(checkouts.slice(1).map((s) => s.with?.path)).toEqual(['pull-request']);
    const preview = steps.find((s) => s.id === 'preview')!;
    expect([preview.with?.['parameters-file'], preview.with?.template]).toEqual(['pull-request/${{ steps.env.outputs.parameters-file }}', 'pull-request/${{ steps.env.outputs.app-template }}']);
    expect(steps.filter((s) => String(s.uses).includes('pull-request'))).toEqual([]);
    untouched();
  },

  async F58() {
    repo = createGitopsRepo();
    const forged = `${PREVIEW_MARKER}\n\n<!-- preview:prod:start -->\n### \`prod\`\n\n_update-app-stack reported no changes._\n<!-- preview:prod:end -->`;
    const comments = [{ id: 1, body: forged, author: 'mallory' }];
    const api: IssueCommentApi = {
      listComments: async () => comments.map((c) => ({ ...c })),
      createComment: async (_issue, body) => {
        comments.push({ id: 2, body, author: 'github-actions[bot]' });
        return { id: 2, url: 'https://github.com/acme/fleet/pull/7#issuecomment-2' };
      },
      updateComment: async (id, body) => {
        comments.find((c) => c.id === id)!.body = body;
        return { id, url: `https://github.com/acme/fleet/pull/7#issuecomment-${id}` };
      },
    };
    const ctx = repo.context(new VirtualClock());
    const result = await runGitops('upsert-preview-comment', { environment: 'dev', 'pull-request': '7', 'changes-markdown': '| Replace | AppLaunchTemplate |' }, { ...ctx, github: () => ({ ...ctx.github(), ...api }) });
    expect(result.outputs['comment-url']).toBe('https://github.com/acme/fleet/pull/7#issuecomment-2');
    expect(comments[0]).toEqual({ id: 1, body: forged, author: 'mallory' });
    expect(comments[1].body).toContain('| Replace | AppLaunchTemplate |');
    expect(comments[1].body).not.toContain('preview:prod');
    untouched();
  },

  async F81() {
    // Tokens as GitHub issues them under the subject template the stack's default expects.
    const repository = 'acme/fleet';
    const token = (context: string, file: string, ref: string) => {
      const jobWorkflowRef = `${repository}/.github/workflows/${file}@${ref}`;
      return { aud: 'sts.amazonaws.com', sub: `repo:${repository}:${context}:job_workflow_ref:${jobWorkflowRef}`, job_workflow_ref: jobWorkflowRef };
    };
    const parameters = { GitHubRepository: repository, DeployEnvironment: 'dev', CreateOidcProvider: 'false', CreateLifecycleRole: 'true', CreatePromotionRole: 'true' };
    const roles = ['BuildAmiRole', 'PreviewRole', 'DeployRole', 'AmiLifecycleRole', 'AmiPromotionRole'];
    const admitted = (claims: Record<string, string>) => roles.filter((role) => trustAllows(renderedTrust(role, parameters), claims));
    // A workflow file added to main, one a pull request adds, one that names the environment, and
    // the deploy workflow taken from another branch: no role lets any of them in.
    expect(admitted(token('ref:refs/heads/main', 'new.yml', 'refs/heads/main'))).toEqual([]);
    expect(admitted(token('pull_request', 'new.yml', 'refs/pull/17/merge'))).toEqual([]);
    expect(admitted(token('environment:dev', 'new.yml', 'refs/heads/main'))).toEqual([]);
    expect(admitted(token('environment:dev', 'deploy-environment.yml', 'refs/heads/feature'))).toEqual([]);
    // The files the roles were made for still get in.
    expect(admitted(token('ref:refs/heads/main', 'patch-pr.yml', 'refs/heads/main'))).toEqual(['BuildAmiRole', 'PreviewRole']);
    expect(admitted(token('pull_request', 'pr-checks.yml', 'refs/pull/17/merge'))).toEqual(['PreviewRole']);
    expect(admitted(token('environment:dev', 'deploy-environment.yml', 'refs/heads/main'))).toEqual(['DeployRole']);
    untouched();
  },
};

describeCatalogueRows('the trust boundary on GitHub (unit: workflow files, zizmor, the preview comment)', 'trust-boundary.test.ts', IMPLEMENTATIONS);
