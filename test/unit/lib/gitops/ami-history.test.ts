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
    // The merge's own message is GitHub's; its metadata is the block of the commit it merged.
    expect(merge.subject).toBe('Merge pull request #7 from acme/bump');
    expect(merge.update).toMatchObject({ 'update-type': 'patch', 'previous-ami-id': AMI(3), 'ami-id': AMI(4) });
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

/**
 * One history, landed on main the three ways GitHub merges a PR: every reader of `update` must see
 * the same records. A→B→C, then a failback from C to B and a second failback asked for: the default
 * target is A (the first failback fled C), whichever way the failback PR was merged.
 */
describe('readAmiHistory reads a PR the same whichever way it was merged', () => {
  type Merge = 'squash' | 'rebase' | 'merge-commit';
  let fx: GitFixture;
  afterEach(() => fx.remove());

  /** The PR's commits on a branch, then landed on main as GitHub's merge button of that kind would. */
  function landPullRequest(how: Merge, commits: { message: string; ami: number }[]): void {
    fx.git('checkout', '--quiet', '-b', 'pr');
    for (const c of commits) fx.commit(c.message, { [FILE]: parametersJson(AMI(c.ami)) });
    fx.git('checkout', '--quiet', 'main');
    if (how === 'merge-commit') fx.git('merge', '--quiet', '--no-ff', '-m', 'Merge pull request #9 from acme/pr', 'pr');
    else if (how === 'rebase') fx.git('merge', '--quiet', '--ff-only', 'pr');
    else {
      // GitHub's squash message: the PR title, then each commit's message.
      fx.git('merge', '--quiet', '--squash', 'pr');
      fx.git('commit', '--quiet', '-m', ['Fail back dev (#9)', ...commits.map((c) => `* ${c.message}`)].join('\n\n'));
    }
    fx.git('branch', '--quiet', '-D', 'pr');
  }

  function build(how: Merge, prCommits: { message: string; ami: number }[]): void {
    fx = createGitFixture();
    fx.commit('Start with AMI 1', { [FILE]: parametersJson(AMI(1)) });
    fx.commit(recorded('patch', 1, 2), { [FILE]: parametersJson(AMI(2)) });
    fx.commit(recorded('patch', 2, 3), { [FILE]: parametersJson(AMI(3)) });
    landPullRequest(how, prCommits);
  }

  it.each<Merge>(['squash', 'rebase', 'merge-commit'])('a failback PR landed by %s marks the AMI it fled for the next failback', async (how) => {
    build(how, [{ message: recorded('failback', 3, 2), ami: 2 }]);
    const history = await readAmiHistory(fx.repo, FILE);
    expect(history.map((h) => [h.amiId, h.update?.['update-type']])).toEqual([
      [AMI(2), 'failback'],
      [AMI(3), 'patch'],
      [AMI(2), 'patch'],
      [AMI(1), undefined],
    ]);
    expect(chooseFailbackTarget(history, AMI(2), FILE)).toMatchObject({ amiId: AMI(1), skipped: [AMI(3)] });
  });

  it('a merge commit takes the block of the newest merged commit that names the AMI the file ends on, past commits without one', async () => {
    // A PR of two commits: the failback record, then a hand-made follow-up with no block (a typo fix).
    fx = createGitFixture();
    fx.commit('Start with AMI 1', { [FILE]: parametersJson(AMI(1)) });
    fx.commit(recorded('patch', 1, 2), { [FILE]: parametersJson(AMI(2)) });
    fx.git('checkout', '--quiet', '-b', 'pr');
    fx.commit(recorded('failback', 2, 1), { [FILE]: parametersJson(AMI(1)) });
    fx.commit('Fix a typo in the tags', { [FILE]: parametersJson(AMI(1)).replace('"dev"', '"dev "') });
    fx.git('checkout', '--quiet', 'main');
    // main moved on meanwhile (another file), and the branch was brought up to date with it first.
    fx.commit('Unrelated', { 'README.md': 'x\n' });
    fx.git('checkout', '--quiet', 'pr');
    fx.git('merge', '--quiet', '--no-ff', '-m', "Merge branch 'main' into pr", 'main');
    fx.git('checkout', '--quiet', 'main');
    fx.git('merge', '--quiet', '--no-ff', '-m', 'Merge pull request #9 from acme/pr', 'pr');
    const [head] = await readAmiHistory(fx.repo, FILE);
    expect(head).toMatchObject({ amiId: AMI(1), subject: 'Merge pull request #9 from acme/pr' });
    expect(head.update).toMatchObject({ 'update-type': 'failback', 'previous-ami-id': AMI(2), 'ami-id': AMI(1) });
  });

  it('a merge commit of commits without any block records nothing', async () => {
    build('merge-commit', [{ message: 'Hand edit back to AMI 2', ami: 2 }]);
    const [head] = await readAmiHistory(fx.repo, FILE);
    expect(head).toMatchObject({ amiId: AMI(2), update: undefined });
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
