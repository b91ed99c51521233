/**
 * The repository's one policy for the files it reads and writes (parameters/repository-file.ts):
 * regular files through real directories; links and special files refused by name, on read and
 * on write alike.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InputError } from '../../../actions/lib/errors';
import { findRepositoryFileProblem, readSmallTextFile, writeRepositoryFile } from '../../../actions/lib/parameters';
import { parseJsonSource } from '../../../actions/lib/parameters/json-source';

const RULES = { whatFailed: 'Parameters file invalid', maxBytes: 1024, missingFix: 'Create it', emptyFix: 'Fill it' };

describe('repository file policy', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'repository-file-'));
    mkdirSync(join(root, 'parameters'));
    writeFileSync(join(root, 'parameters/dev.json'), '{"Parameters": {}}\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads a regular file', async () => {
    await expect(readSmallTextFile(join(root, 'parameters/dev.json'), { ...RULES, root })).resolves.toBe('{"Parameters": {}}\n');
    expect(findRepositoryFileProblem(join(root, 'parameters/dev.json'), root)).toBeUndefined();
  });

  it('refuses a link to a file outside the repository, naming where it points', async () => {
    writeFileSync(join(root, '..', `${root.split('/').pop()}-outside.json`), '{}');
    symlinkSync(`../../${root.split('/').pop()}-outside.json`, join(root, 'parameters/prod.json'));
    await expect(readSmallTextFile(join(root, 'parameters/prod.json'), { ...RULES, root })).rejects.toThrow(/it is a symbolic link \(to "\.\.\/\.\.\/repository-file-\w+-outside\.json"\)/);
    rmSync(join(root, '..', `${root.split('/').pop()}-outside.json`));
  });

  it('refuses a dangling link as a link, not as a missing file', () => {
    symlinkSync('nowhere.json', join(root, 'parameters/prod.json'));
    expect(findRepositoryFileProblem(join(root, 'parameters/prod.json'), root)).toMatchObject({ why: expect.stringContaining('it is a symbolic link (to "nowhere.json")') });
  });

  it('refuses to write through a link: the file it points at stays as it was', async () => {
    symlinkSync('dev.json', join(root, 'parameters/prod.json'));
    const write = writeRepositoryFile(join(root, 'parameters/prod.json'), '{"Parameters": {"AmazonMachineImage": "ami-0123456789abcdef0"}}\n', { whatFailed: 'Cannot record', root });
    await expect(write).rejects.toThrow(InputError);
    await expect(write).rejects.toThrow(/Cannot record for \S+prod\.json: it is a symbolic link \(to "dev\.json"\)/);
    expect(readFileSync(join(root, 'parameters/dev.json'), 'utf8')).toBe('{"Parameters": {}}\n');
  });

  it('refuses a named pipe without opening it (opening one blocks until a writer comes)', async () => {
    execFileSync('mkfifo', [join(root, 'parameters/pipe.json')]);
    await expect(readSmallTextFile(join(root, 'parameters/pipe.json'), { ...RULES, root })).rejects.toThrow(/it is a named pipe \(FIFO\), not a regular file/);
    await expect(writeRepositoryFile(join(root, 'parameters/pipe.json'), '{}', { whatFailed: 'Cannot record', root })).rejects.toThrow(/named pipe/);
  });

  it('refuses a character device', async () => {
    await expect(readSmallTextFile('/dev/zero', { ...RULES, root: '/' })).rejects.toThrow(/it is a character device, not a regular file/);
  });

  it('writes a regular file in place', async () => {
    await writeRepositoryFile(join(root, 'parameters/dev.json'), 'new\n', { whatFailed: 'Cannot record', root });
    expect(readFileSync(join(root, 'parameters/dev.json'), 'utf8')).toBe('new\n');
  });
});

describe('parseJsonSource limits, checked before parsing', () => {
  it('refuses nesting past 32 levels at the bracket that opens level 33', () => {
    const text = `{"a":\n${'['.repeat(40)}${']'.repeat(40)}}`;
    expect(() => parseJsonSource(text, 'x.json', 'Parameters file')).toThrow(/Parameters file is nested too deeply for x\.json: line 2, column 32 opens level 33/);
  });
  it('counts no bracket inside a string', () => {
    expect(parseJsonSource(`{"a": "${'['.repeat(100)}"}`, 'x.json', 'Parameters file').value).toEqual({ a: '['.repeat(100) });
  });
  it('refuses text over 64 KiB, whatever it came from (git show has no size check)', () => {
    expect(() => parseJsonSource(`{"a": "${'x'.repeat(70_000)}"}`, 'x.json', 'Parameters file')).toThrow(/Parameters file is too large for x\.json: 70009 bytes/);
  });
});
