/**
 * bootstrap and a template over CloudFormation's inline limit: refused before any AWS call without
 * the wiring's templateBucket, planned as an upload under the app stack's deploy prefix with it,
 * and the bucket handed to the github-oidc stack so the roles may write there.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InputError } from '../../../actions/lib/errors';
import { getEnvironment, loadEnvironments, type EnvironmentConfig } from '../../../actions/lib/parameters';
import { REPO_ROOT } from '../../../local/env';
import { readRepositoryFiles } from '../../../tools/bootstrap/inputs';
import { stackParameters } from '../../../tools/bootstrap/stack-specs';

/** A copy of the repository's parameters and templates, dev's app template grown past the inline limit. */
function grownRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bootstrap-upload-'));
  for (const sub of ['parameters', 'templates']) cpSync(join(REPO_ROOT, sub), join(dir, sub), { recursive: true });
  const wiring = JSON.parse(readFileSync(join(dir, 'parameters/environments.json'), 'utf8')) as { environments: Record<string, { appTemplate: string }> };
  const app = join(dir, wiring.environments.dev.appTemplate);
  writeFileSync(app, `${readFileSync(app, 'utf8')}${'# grown past the inline limit\n'.repeat(2000)}`);
  return dir;
}

async function devOf(dir: string, templateBucket?: string): Promise<EnvironmentConfig> {
  const dev = getEnvironment(await loadEnvironments(join(dir, 'parameters/environments.json'), { rootDir: dir }), 'dev');
  return templateBucket ? { ...dev, templateBucket } : dev;
}

describe('bootstrap with an app template over the inline limit', () => {
  const dir = grownRepository();

  it('refuses it without templateBucket, naming the wiring key to set', async () => {
    const error = await readRepositoryFiles(dir, await devOf(dir), 'acme/fleet', 'parameters/environments.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/over the 51200-byte limit of an inline TemplateBody, and no S3 bucket is configured .*Set environments\.dev\.templateBucket in parameters\/environments\.json/);
  });

  it('plans an upload of the app template alone, under the app stack’s deploy prefix, with it', async () => {
    const dev = await devOf(dir, 'acme-templates');
    const files = await readRepositoryFiles(dir, dev, 'acme/fleet', 'parameters/environments.json');
    expect(files.templates.app).toMatchObject({ kind: 'upload', bucket: 'acme-templates', key: expect.stringMatching(/^patch-dev-app\/deploy\/[0-9a-f]{64}\.yaml$/) });
    expect(Object.entries(files.templates).filter(([, plan]) => plan.kind === 'upload').map(([role]) => role)).toEqual(['app']);
  });

  it('gives the bucket to the github-oidc stack (TemplateBucketName), empty without one', async () => {
    const context = (environment: EnvironmentConfig) => ({ environment, repository: 'acme/fleet', parametersFile: undefined as never, outputs: {}, pipelineArn: 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/p' });
    expect(stackParameters('githubOidc', context(await devOf(dir, 'acme-templates'))).parameters.TemplateBucketName).toBe('acme-templates');
    expect(stackParameters('githubOidc', context(await devOf(dir))).parameters.TemplateBucketName).toBe('');
  });
});
