import { deployParallelism, listChangedFiles, selectChangedEnvironments, type EnvironmentFiles } from '../../../../actions/lib/gitops/changed-environments';
import { createGitFixture, parametersJson, type GitFixture } from './git-fixture';

const wiring: EnvironmentFiles = {
  promotionOrder: ['dev', 'prod'],
  environments: {
    prod: { parametersFile: 'parameters/prod.json', appTemplate: 'templates/app.yaml' },
    dev: { parametersFile: './parameters/dev.json', appTemplate: 'templates/app.yaml' },
  },
};

describe('selectChangedEnvironments', () => {
  it.each([
    [['parameters/dev.json'], ['dev']],
    [['parameters/prod.json', 'parameters/dev.json'], ['dev', 'prod']],
    [['templates/app.yaml'], ['dev', 'prod']],
    [['templates/network.yaml', 'parameters/environments.json', 'README.md'], []],
    [['parameters/staging.json'], []],
  ])('%j deploys %j, in promotion order', (files, expected) => {
    expect(selectChangedEnvironments(files, wiring)).toEqual(expected);
  });
});

describe('listChangedFiles (real git repository)', () => {
  let fx: GitFixture;
  let first: string;
  let second: string;
  let third: string;

  beforeAll(() => {
    fx = createGitFixture();
    first = fx.commit('Initial layout', { 'parameters/dev.json': parametersJson('ami-00000000000000001'), 'README.md': 'x\n' });
    second = fx.commit('Bump dev', { 'parameters/dev.json': parametersJson('ami-00000000000000002') });
    third = fx.commit('Docs and template', { 'README.md': 'y\n', 'templates/app.yaml': 'Resources: {}\n' });
  });
  afterAll(() => fx.remove());

  it('lists what a push of several commits changed, net', async () => {
    expect((await listChangedFiles(fx.repo, first, third)).sort()).toEqual(['README.md', 'parameters/dev.json', 'templates/app.yaml']);
  });

  it('lists only the tip commit for a new branch (before is all zeros)', async () => {
    expect((await listChangedFiles(fx.repo, '0'.repeat(40), third)).sort()).toEqual(['README.md', 'templates/app.yaml']);
  });

  it('falls back to the tip commit when before is not in the clone (force-push)', async () => {
    expect(await listChangedFiles(fx.repo, 'f'.repeat(40), second)).toEqual(['parameters/dev.json']);
  });

  it('lists every file of a root commit', async () => {
    expect((await listChangedFiles(fx.repo, undefined, first)).sort()).toEqual(['README.md', 'parameters/dev.json']);
  });

  it('fails with git’s reason when after is not a commit', async () => {
    await expect(listChangedFiles(fx.repo, first, 'no-such-ref')).rejects.toThrow(/git rev-parse failed/);
  });
});

describe('deployParallelism', () => {
  const waves = [
    { environments: ['dev'], maxParallel: 1 },
    { environments: ['eu', 'us', 'ap'], maxParallel: 2 },
  ];

  it.each([
    ['a promotion inside one wave: its maxParallel', ['eu', 'us', 'ap'], 2],
    ['fewer changed than the wave allows', ['eu'], 1],
    ['a change spanning waves (a template): one at a time, in promotion order', ['dev', 'eu', 'us'], 1],
    ['nothing changed', [], 1],
  ])('%s', (_what, changed, expected) => {
    expect(deployParallelism(waves, changed)).toBe(expected);
  });
});
