import { chooseFailbackTarget, readAmiHistory, type AmiChange } from '../../../../actions/lib/gitops/ami-history';
import { composeCommitMessage, type UpdateType } from '../../../../actions/lib/gitops/commit-metadata';
import { InputError } from '../../../../actions/lib/errors';
import { createGitFixture, parametersJson, type GitFixture } from './git-fixture';

const FILE = 'parameters/dev.json';
const AMI = (n: number) => `ami-${String(n).padStart(17, '0')}`;

/** A commit message the workflows would write for this AMI change. */
function recorded(type: UpdateType, from: number, to: number): string {
  return composeCommitMessage({
    subject: `${type} dev ${AMI(from)} -> ${AMI(to)}`,
    updates: [
      { environment: 'dev', 'parameters-file': FILE, parameter: 'AmazonMachineImage', 'previous-ami-id': AMI(from), 'ami-id': AMI(to), 'update-type': type },
    ],
  });
}

describe('readAmiHistory (real git repository)', () => {
  let fx: GitFixture;
  const commits: Record<string, string> = {};

  beforeAll(() => {
    fx = createGitFixture();
    commits.a = fx.commit('Start with AMI 1', { [FILE]: parametersJson(AMI(1)), 'parameters/prod.json': parametersJson(AMI(1)) });
    commits.b = fx.commit(recorded('patch', 1, 2), { [FILE]: parametersJson(AMI(2)) });
    commits.size = fx.commit('Bigger instances', { [FILE]: parametersJson(AMI(2), { InstanceType: 't3.small' }) });
    commits.prod = fx.commit('Prod only', { 'parameters/prod.json': parametersJson(AMI(2)) });
    commits.broken = fx.commit('Oops', { [FILE]: '{ "Parameters": ' });
    commits.c = fx.commit(recorded('patch', 2, 3), { [FILE]: parametersJson(AMI(3)) });
    // A merged PR: the side branch's commit is not on the first-parent line; the merge is.
    fx.git('checkout', '--quiet', '-b', 'bump');
    fx.commit(recorded('patch', 3, 4), { [FILE]: parametersJson(AMI(4)) });
    fx.git('checkout', '--quiet', 'main');
    fx.git('merge', '--quiet', '--no-ff', '-m', 'Merge pull request #7 from acme/bump', 'bump');
    commits.merge = fx.git('rev-parse', 'HEAD').trim();
    commits.failback = fx.commit(recorded('failback', 4, 3), { [FILE]: parametersJson(AMI(3)) });
  });
  afterAll(() => fx.remove());

  it('lists one entry per AMI change on the main line, newest first', async () => {
    const history = await readAmiHistory(fx.repo, FILE);
    expect(history.map((h) => [h.commit, h.amiId])).toEqual([
      [commits.failback, AMI(3)],
      [commits.merge, AMI(4)],
      [commits.c, AMI(3)],
      [commits.b, AMI(2)],
      [commits.a, AMI(1)],
    ]);
  });

  it('carries the subject, author, date and the metadata block of our own commits', async () => {
    const [failback, merge] = await readAmiHistory(fx.repo, FILE);
    expect(failback.subject).toBe(`failback dev ${AMI(4)} -> ${AMI(3)}`);
    expect(failback.author).toBe('Test Author');
    expect(failback.date).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(failback.update).toMatchObject({ 'update-type': 'failback', 'previous-ami-id': AMI(4) });
    expect(merge.update).toBeUndefined();
  });

  it('reads history as of an older revision', async () => {
    expect((await readAmiHistory(fx.repo, FILE, commits.c)).map((h) => h.amiId)).toEqual([AMI(3), AMI(2), AMI(1)]);
  });

  it('is empty for a file git never saw', async () => {
    expect(await readAmiHistory(fx.repo, 'parameters/staging.json')).toEqual([]);
  });

  it('chooses the AMI before the current one, passing over the one a failback fled', async () => {
    const history = await readAmiHistory(fx.repo, FILE);
    const target = chooseFailbackTarget(history, AMI(3), FILE);
    expect(target).toMatchObject({ amiId: AMI(2), skipped: [AMI(4)] });
    expect(target.change.commit).toBe(commits.b);
  });
});

describe('chooseFailbackTarget', () => {
  const change = (ami: number, type?: UpdateType, from?: number): AmiChange => ({
    commit: `c${ami}`,
    date: '2026-01-01T00:00:00Z',
    author: 'a',
    subject: 's',
    amiId: AMI(ami),
    update: type
      ? { environment: 'dev', 'parameters-file': FILE, parameter: 'AmazonMachineImage', 'ami-id': AMI(ami), 'previous-ami-id': from ? AMI(from) : undefined, 'update-type': type }
      : undefined,
  });

  it.each<[string, AmiChange[], number, number]>([
    ['the previous AMI', [change(3), change(2), change(1)], 3, 2],
    ['the newest other AMI when the current one is not the newest entry', [change(3), change(2), change(1)], 9, 3],
    ['past an AMI a CloudFormation rollback was recorded against', [change(2, 'rollback-sync', 3), change(3), change(2), change(1)], 2, 1],
    ['past an AMI an auto-failback fled', [change(2, 'auto-failback', 3), change(3), change(2), change(1)], 2, 1],
    ['a patched AMI is not marked bad by its own bump', [change(3, 'patch', 2), change(2), change(1)], 3, 2],
  ])('picks %s', (_name, history, current, expected) => {
    expect(chooseFailbackTarget(history, AMI(current), FILE).amiId).toBe(AMI(expected));
  });

  it('says what to do when there is no earlier AMI', () => {
    const attempt = () => chooseFailbackTarget([change(2, 'failback', 1), change(1)], AMI(2), FILE);
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(/No failback target for parameters\/dev.json.*passed over ami-00000000000000001.*Give target-ami explicitly/);
  });
});
