/**
 * The one policy for the files the pipeline reads from and writes into the repository (parameters
 * files, the wiring file, app templates): each must be a regular file reached through real
 * directories. A symbolic link is refused, naming the link and where it points, on read and on
 * write alike, and so is a link in any directory on the way inside the repository; a FIFO, a
 * device or a socket is refused before it is opened.
 *
 * Why refuse rather than follow: git stores a link as a path, not as the file. Followed on read
 * and refused on record, a link makes the deploy and the record disagree; a link from
 * parameters/prod.json to parameters/dev.json makes prod deploy dev's AMI while every check that
 * compares file names sees two files; a FIFO blocks the step forever on open.
 */
import { constants, lstatSync, readlinkSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';

import { InputError } from '../errors';

/** How to word the refusals for one kind of file. */
export interface RepositoryFileRules {
  /** Message head, e.g. "Parameters file invalid". */
  whatFailed: string;
  /**
   * The repository root: every directory between it and the file is checked for links too.
   * Default: the process's directory (the workspace on a runner). A file outside it is checked
   * itself only.
   */
  root?: string;
  /**
   * How messages and annotations name the file: its repository-relative path when it is read
   * under a checkout elsewhere (a runner's workspace, a test's directory). Default: the path as given.
   */
  shownAs?: string;
}

/** Rules for reading one kind of file with {@link readSmallTextFile}. */
export interface SmallFileRules extends RepositoryFileRules {
  maxBytes: number;
  /** What to do when the file does not exist. */
  missingFix: string;
  /** What to do when it is empty. */
  emptyFix: string;
}

const NOT_REGULAR: readonly [(s: Stats) => boolean, string][] = [
  [(s) => s.isDirectory(), 'it is a directory'],
  [(s) => s.isFIFO(), 'it is a named pipe (FIFO), not a regular file'],
  [(s) => s.isCharacterDevice(), 'it is a character device, not a regular file'],
  [(s) => s.isBlockDevice(), 'it is a block device, not a regular file'],
  [(s) => s.isSocket(), 'it is a socket, not a regular file'],
];

/** Why a path breaks the policy: what it is, and what to do. */
export interface RepositoryFileProblem {
  why: string;
  fix: string;
}

/**
 * What is wrong with `file` under the policy: a link on its way from `root` or as the file itself,
 * a special file, a directory; `'missing'` when there is nothing there; undefined for a regular
 * file reached through real directories.
 */
export function findRepositoryFileProblem(file: string, root: string = process.cwd()): RepositoryFileProblem | 'missing' | undefined {
  const target = path.resolve(file);
  for (const step of stepsFromRoot(file, root)) {
    let info: Stats;
    try {
      info = lstatSync(step);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
      return { why: `cannot read it (${code ?? (error as Error).message})`, fix: 'Check the path and its permissions' };
    }
    if (info.isSymbolicLink()) {
      const which = step === target ? 'it is a symbolic link' : `${JSON.stringify(path.relative(root, step))} on its path is a symbolic link`;
      return {
        why: `${which} (to ${JSON.stringify(readTarget(step))}); links are refused because git stores a link, not the file, and a link can make one environment read another's`,
        fix: 'Replace the link with a copy of the file itself (git rm the link, add the file), or point at the real file',
      };
    }
    if (step !== target) continue;
    for (const [is, why] of NOT_REGULAR) {
      if (is(info)) return { why, fix: info.isDirectory() ? 'Point at the file itself' : 'Point at a regular file in the repository' };
    }
  }
  return undefined;
}

/**
 * Throws an InputError (`<whatFailed> for <file>: <why>. <fix>.`) when `file` breaks the policy.
 * A missing file is for the caller to report (it may be fine to create one): false for it, true
 * for a file that is there.
 */
export function checkRepositoryFile(file: string, rules: RepositoryFileRules): boolean {
  const problem = findRepositoryFileProblem(file, rules.root);
  if (problem === 'missing') return false;
  const shown = rules.shownAs ?? file;
  if (problem) throw new InputError(`${rules.whatFailed} for ${shown}: ${problem.why}. ${problem.fix}.`, { file: shown, line: 1 });
  return true;
}

/**
 * Reads a small UTF-8 text file from the repository, refusing (each with an InputError at line 1)
 * what {@link checkRepositoryFile} refuses, a missing file, a file over `maxBytes` (checked before
 * reading it), bytes that are not UTF-8, and an empty file. The file is opened without following
 * a link and without blocking, so a link or a FIFO swapped in after the check is refused too.
 */
export async function readSmallTextFile(file: string, rules: SmallFileRules): Promise<string> {
  const shown = rules.shownAs ?? file;
  const fail = (why: string, fix: string): never => {
    throw new InputError(`${rules.whatFailed} for ${shown}: ${why}. ${fix}.`, { file: shown, line: 1 });
  };
  if (!checkRepositoryFile(file, rules)) fail('no such file', rules.missingFix);
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) =>
    fail(`cannot open it (${error.code ?? error.message})`, 'Check the path and its permissions; links are not followed'),
  );
  let bytes: Buffer;
  try {
    const info = await handle.stat();
    if (!info.isFile()) fail('it is not a regular file', 'Point at a regular file in the repository');
    if (info.size > rules.maxBytes) {
      fail(
        `${info.size} bytes, over the ${rules.maxBytes}-byte (${rules.maxBytes / 1024} KiB) limit`,
        'This file holds a few short strings: check that the path names the right file',
      );
    }
    // Never more than the limit, even if the file grows between the size check and the read.
    const buffer = Buffer.alloc(rules.maxBytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > rules.maxBytes) fail(`over the ${rules.maxBytes}-byte limit`, 'Check that the path names the right file');
    bytes = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  let text = '';
  try {
    // ignoreBOM keeps a byte-order mark in the text, so the JSON parser can refuse it by name.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    fail('the file is not UTF-8 text', 'Save it as UTF-8 JSON');
  }
  if (text.trim() === '') fail('the file is empty', rules.emptyFix);
  return text;
}

/**
 * Writes a repository file (creating it when missing), under the same policy as reading it: a
 * link (the file or a directory on its way) or a special file is refused, and the file is opened
 * without following a link, so a record can never write through a link into another file.
 */
export async function writeRepositoryFile(file: string, text: string, rules: RepositoryFileRules): Promise<void> {
  // A missing file is created (O_EXCL: never through a link that appeared meanwhile); one that is
  // there must pass the policy, and is rewritten without following a link.
  const exists = checkRepositoryFile(file, rules);
  const flags = exists ? constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK : constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(file, flags, 0o644);
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

function readTarget(link: string): string {
  try {
    return readlinkSync(link);
  } catch {
    return '?';
  }
}

/**
 * The paths to check, shallowest first: each directory below `root` on the way to `file`, then
 * the file. A file outside `root` is its own only step (its directories are not the repository's).
 */
function stepsFromRoot(file: string, root: string): string[] {
  const absolute = path.resolve(file);
  const relative = path.relative(path.resolve(root), absolute);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return [absolute];
  const parts = relative.split(path.sep);
  return parts.map((_, i) => path.join(path.resolve(root), ...parts.slice(0, i + 1)));
}
