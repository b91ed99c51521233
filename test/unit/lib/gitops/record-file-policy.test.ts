/**
 * The record path follows the repository's one file policy (parameters/repository-file.ts): a
 * parameters file that is a link in git is refused by name before anything is written, so a
 * record can neither commit through a link nor rewrite the file a link points at.
 */
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { VirtualClock } from '../../../../actions/lib/clock';
import { InputError } from '../../../../actions/lib/errors';
import { ACTIONS_BOT, recordAmiChange } from '../../../../actions/lib/gitops/record-change';
import { RecordingLogger } from '../../../../actions/lib/logger';
import { createGitFixture, parametersJson, type GitFixture } from './git-fixture';

const OLD = 'ami-00000000000000001';
const NEW = 'ami-00000000000000002';

describe('recordAmiChange refuses a linked parameters file', () => {
  let fixtures: GitFixture[];
  afterEach(() => fixtures.forEach((f) => f.remove()));

  it('names the link and its target, writes nothing and pushes nothing', async () => {
    const seed = createGitFixture();
    seed.commit('Initial', { 'parameters/dev.json': parametersJson(OLD) });
    // prod.json as a link to dev.json, committed the way a careless "dedupe" PR would.
    symlinkSync('dev.json', join(seed.dir, 'parameters/prod.json'));
    seed.commit('Share dev parameters with prod', {});
    const origin = createGitFixture({ bare: true, cloneFrom: seed.dir });
    const clone = createGitFixture({ cloneFrom: origin.dir });
    fixtures = [seed, origin, clone];
    const before = origin.git('rev-parse', 'main');

    const outcome = recordAmiChange(
      { file: 'parameters/prod.json', amiId: NEW, message: `Record prod on ${NEW}\n`, branch: 'main', pullRequestBranch: 'gitops/record-prod', allowPullRequest: false },
      { git: clone.repo, logger: new RecordingLogger(), auth: {}, identity: ACTIONS_BOT, clock: new VirtualClock() },
    );

    await expect(outcome).rejects.toThrow(InputError);
    await expect(outcome).rejects.toThrow(/^Cannot record ami-00000000000000002 for \S+\/parameters\/prod\.json: it is a symbolic link \(to "dev\.json"\)/);
    expect(readFileSync(join(clone.dir, 'parameters/dev.json'), 'utf8')).toBe(parametersJson(OLD));
    expect(clone.git('status', '--porcelain')).toBe('');
    expect(origin.git('rev-parse', 'main')).toBe(before);
  });

  it('a regular file is recorded as before (the policy refuses links, not files)', async () => {
    const seed = createGitFixture();
    seed.commit('Initial', { 'parameters/dev.json': parametersJson(OLD) });
    const origin = createGitFixture({ bare: true, cloneFrom: seed.dir });
    const clone = createGitFixture({ cloneFrom: origin.dir });
    fixtures = [seed, origin, clone];
    const outcome = await recordAmiChange(
      { file: 'parameters/dev.json', amiId: NEW, message: `Record dev on ${NEW}\n`, branch: 'main', pullRequestBranch: 'gitops/record-dev', allowPullRequest: false },
      { git: clone.repo, logger: new RecordingLogger(), auth: {}, identity: ACTIONS_BOT, clock: new VirtualClock() },
    );
    expect(outcome.outcome).toBe('pushed');
    expect(origin.git('show', 'main:parameters/dev.json')).toContain(NEW);
  });
});
