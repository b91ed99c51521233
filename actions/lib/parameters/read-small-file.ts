import { readFile, stat } from 'node:fs/promises';

import { InputError } from '../errors';

/** How to word the refusals of {@link readSmallTextFile} for one kind of file. */
export interface SmallFileRules {
  /** Message head, e.g. "Parameters file invalid". */
  whatFailed: string;
  maxBytes: number;
  /** What to do when the file does not exist. */
  missingFix: string;
  /** What to do when it is empty. */
  emptyFix: string;
}

/**
 * Reads a small UTF-8 text file from the repository, refusing a missing file, a directory, a file
 * over `maxBytes` (checked before reading it), bytes that are not UTF-8 and an empty file, each
 * with its own InputError at line 1.
 */
export async function readSmallTextFile(file: string, rules: SmallFileRules): Promise<string> {
  const fail = (why: string, fix: string): never => {
    throw new InputError(`${rules.whatFailed} for ${file}: ${why}. ${fix}.`, { file, line: 1 });
  };
  const info = await stat(file).catch((error: NodeJS.ErrnoException) =>
    error.code === 'ENOENT' ? fail('no such file', rules.missingFix) : fail(`cannot read it (${error.code ?? error.message})`, 'Check the path and its permissions'),
  );
  if (info.isDirectory()) fail('it is a directory', 'Point at the JSON file itself');
  if (info.size > rules.maxBytes) {
    fail(
      `${info.size} bytes, over the ${rules.maxBytes}-byte (${rules.maxBytes / 1024} KiB) limit`,
      'This file holds a few short strings: check that the path names the right file',
    );
  }
  let text = '';
  try {
    // ignoreBOM keeps a byte-order mark in the text, so the JSON parser can refuse it by name.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(await readFile(file));
  } catch {
    fail('the file is not UTF-8 text', 'Save it as UTF-8 JSON');
  }
  if (text.trim() === '') fail('the file is empty', rules.emptyFix);
  return text;
}
