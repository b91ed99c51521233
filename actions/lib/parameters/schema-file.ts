/**
 * The files of parameters/ that have a JSON schema (the wiring, the revocation list, the
 * retirement proposal) are read one way, so that what one refuses the others refuse alike:
 * under the one file policy (repository-file.ts: no link, no special file, the size before
 * reading), strict JSON with positions (json-source.ts: the depth before parsing), a key twice
 * refused (a reviewer reads the first, JSON readers keep the last), then the schema, which
 * refuses every key outside it alike, `__proto__` included. Every problem is reported at its
 * line, and messages and annotations name the repository-relative path.
 */
import path from 'node:path';

import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';

import { throwIfProblems, type FileProblem } from './file-problems';
import { parseJsonSource, type JsonSource } from './json-source';
import { findRepositoryFileProblem, readSmallTextFile } from './repository-file';
import { describeSchemaErrors, duplicateKeyProblems } from './schema-problems';

/** How one kind of schema file is read and what its messages say. */
export interface SchemaFileRules {
  /** The message head for every problem: "Revocation list invalid". */
  whatFailed: string;
  /** The file's role in a syntax error: "Revocation list" (is not valid JSON for …). */
  what: string;
  /** The JSON schema (draft 2020-12), bundled with the action. */
  schema: object;
  maxBytes: number;
  /** What to do when the file does not exist (a required file) and when it is empty. */
  missingFix: string;
  emptyFix: string;
  /** What to do about a key that appears twice (default "Delete one of them"). */
  duplicateFix?: string;
}

/** Where a schema file is: as messages name it, and where it is read. */
export interface SchemaFileLocation {
  /** The repository-relative path, as every message and annotation names it. */
  file: string;
  /** The checkout the file policy applies from (links in its directories are refused too). */
  root: string;
  /** Where to read it, when not `file` under `root` (a path given relative to the process's directory). */
  readFrom?: string;
}

/** The checked file: its parsed source, and the problems found so far for its own checks to add to. */
export interface CheckedSchemaFile {
  source: JsonSource;
  problems: FileProblem[];
}

/**
 * Reads and checks a schema file (see the module comment); `undefined` when an optional file is
 * absent (anything else there, a link or a FIFO, is refused by the file policy).
 */
export async function loadSchemaFile(location: SchemaFileLocation, rules: SchemaFileRules, options: { optional: true }): Promise<CheckedSchemaFile | undefined>;
export async function loadSchemaFile(location: SchemaFileLocation, rules: SchemaFileRules, options?: { optional?: false }): Promise<CheckedSchemaFile>;
export async function loadSchemaFile(location: SchemaFileLocation, rules: SchemaFileRules, options: { optional?: boolean } = {}): Promise<CheckedSchemaFile | undefined> {
  const readFrom = location.readFrom ?? path.join(location.root, location.file);
  if (options.optional && findRepositoryFileProblem(readFrom, location.root) === 'missing') return undefined;
  const text = await readSmallTextFile(readFrom, { whatFailed: rules.whatFailed, maxBytes: rules.maxBytes, root: location.root, shownAs: location.file, missingFix: rules.missingFix, emptyFix: rules.emptyFix });
  return checkSchemaFile(text, location.file, rules);
}

/**
 * Checks a schema file's text (read from a file, or from git): the JSON with its size and depth,
 * the keys that appear twice, the schema. When the schema fails, every problem so far is thrown
 * at once; otherwise the duplicate keys come back as problems, so the file's own checks add theirs
 * and throw once with all of them (throwIfProblems).
 */
export function checkSchemaFile(text: string, file: string, rules: SchemaFileRules): CheckedSchemaFile {
  const source = parseJsonSource(text, file, rules.what, { maxBytes: rules.maxBytes });
  const problems: FileProblem[] = duplicateKeyProblems(source, rules.duplicateFix);
  const validate = validatorOf(rules.schema);
  if (!validate(source.value)) {
    problems.push(...describeSchemaErrors(validate.errors ?? [], source));
    throwIfProblems(rules.whatFailed, file, problems);
  }
  return { source, problems };
}

/** One compiled validator per schema: compiling is the costly part, and the schemas never change. */
const validators = new WeakMap<object, ValidateFunction>();

function validatorOf(schema: object): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    validate = new Ajv2020({ allErrors: true, strict: true, verbose: true }).compile(schema);
    validators.set(schema, validate);
  }
  return validate;
}
