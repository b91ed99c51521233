/**
 * `parameters/<env>.json`: loading and structural validation (DESIGN.md §3.1). The shape is
 * CloudFormation's template configuration, `{ "Parameters": {…}, "Tags": {…} }`, string values
 * only, which `aws cloudformation deploy --parameter-overrides file://…` also reads.
 * Checks against a template live in validate.ts.
 */
import { InputError } from '../errors';
import { closestName, quote, throwIfProblems, type FileProblem } from './file-problems';
import { parseJsonSource } from './json-source';
import { readSmallTextFile } from './repository-file';

/**
 * Largest parameters file accepted. A real one is a dozen short strings (well under 1 KiB);
 * anything this big is the wrong file, and refusing it early keeps a mistaken path from being
 * parsed and echoed into logs.
 */
export const MAX_PARAMETERS_FILE_BYTES = 64 * 1024;

/** CloudFormation's own limits, checked here so the error names the line instead of arriving as a
 *  ValidationError from the API. */
const LIMITS = { parameterValueLength: 4096, stackTags: 50, tagKeyLength: 128, tagValueLength: 256 };

/** The message head for every structural problem of a parameters file. */
export const PARAMETERS_FILE_INVALID = 'Parameters file invalid';

const SECTIONS = ['Parameters', 'Tags'] as const;
type Section = (typeof SECTIONS)[number];

/** A loaded, structurally valid parameters file. */
export interface ParametersFile {
  /** The path as given (repository-relative in workflows), used in every message. */
  file: string;
  /** Parameter values by key, in file order. */
  parameters: Readonly<Record<string, string>>;
  /** Stack tags by key, in file order (empty when the file has no Tags). */
  tags: Readonly<Record<string, string>>;
  /** 1-based line of `key` in `section` (of the section itself without a key), for annotations. */
  lineOf(section: Section, key?: string): number;
}

/** Structural findings: the file as far as it is usable, every problem, and the keys already
 *  reported (so template checks do not report them a second time). */
export interface ParametersFileInspection {
  parametersFile: ParametersFile;
  problems: FileProblem[];
  reportedKeys: Set<string>;
  /** False when there is no usable "Parameters" object: checking it against a template would only
   *  repeat "missing parameter" for every required key. */
  hasParametersObject: boolean;
}

/**
 * Reads and structurally validates a parameters file. Every problem in the file is reported in one
 * InputError (a FileProblemsError) located at the first offending line.
 */
export async function loadParametersFile(file: string): Promise<ParametersFile> {
  return parseParametersFile(await readParametersText(file), file);
}

/** Structural validation of a parameters file's text; see {@link loadParametersFile}. */
export function parseParametersFile(text: string, file: string): ParametersFile {
  const inspection = inspectParametersFile(text, file);
  throwIfProblems(PARAMETERS_FILE_INVALID, file, inspection.problems);
  return inspection.parametersFile;
}

/** Reads a parameters file's text; see {@link readSmallTextFile} for what it refuses. */
export function readParametersText(file: string, root?: string): Promise<string> {
  return readSmallTextFile(file, {
    whatFailed: PARAMETERS_FILE_INVALID,
    root,
    maxBytes: MAX_PARAMETERS_FILE_BYTES,
    missingFix: 'Check the path (parametersFile in parameters/environments.json, or the parameters-file input); paths are relative to the repository root',
    emptyFix: 'Write {"Parameters": {"AmazonMachineImage": "ami-…", …}} with one key per line (see docs/parameters.md)',
  });
}

/**
 * Finds every structural problem in a parameters file's text without stopping at the first. Only
 * unusable input (invalid JSON, a top level that is not an object) throws at once.
 */
export function inspectParametersFile(text: string, file: string): ParametersFileInspection {
  const source = parseJsonSource(text, file, 'Parameters file');
  const root = source.value;
  if (!isObject(root)) {
    throw new InputError(
      `${PARAMETERS_FILE_INVALID} for ${file}: the top level is ${describeType(root)}, not an object. Write {"Parameters": {"Key": "value", …}, "Tags": {…}} (see docs/parameters.md).`,
      { file, line: 1 },
    );
  }

  const problems: FileProblem[] = [];
  const reportedKeys = new Set<string>();
  for (const duplicate of source.duplicates) {
    const where = duplicate.objectPath.length ? ` in ${duplicate.objectPath.join('.')}` : '';
    problems.push({
      line: duplicate.line,
      message: `key ${quote(duplicate.key)} appears twice${where} (first on line ${duplicate.firstLine}); JSON readers silently keep the last one. Delete one of the two lines.`,
    });
    if (duplicate.objectPath.join('.') === 'Parameters') reportedKeys.add(duplicate.key);
  }

  for (const key of Object.keys(root)) {
    if ((SECTIONS as readonly string[]).includes(key)) continue;
    problems.push({ line: source.lineOf([key]), message: unknownTopLevelKey(key) });
  }
  const record = root;
  if (!('Parameters' in record)) {
    problems.push({ line: 1, message: 'there is no "Parameters" object. Put the values under "Parameters": {"AmazonMachineImage": "ami-…", …}.' });
  }

  const sections = {} as Record<Section, Record<string, string>>;
  for (const section of SECTIONS) {
    // No prototype: a key named "__proto__" is then a key like any other (and refused like any
    // unknown one), where a plain object would swallow it as its prototype.
    sections[section] = Object.create(null) as Record<string, string>;
    const value = record[section];
    if (value === undefined) continue;
    if (!isObject(value)) {
      problems.push({
        line: source.lineOf([section]),
        message: `"${section}" is ${describeType(value)}, not an object. Write "${section}": {"Key": "value", …}.`,
      });
      continue;
    }
    for (const [key, entry] of Object.entries(value)) {
      const line = source.lineOf([section, key]);
      if (typeof entry !== 'string') {
        problems.push({ line, message: nonStringValue(section, key, entry) });
        if (section === 'Parameters') reportedKeys.add(key);
        continue;
      }
      sections[section][key] = entry;
      const limit = section === 'Parameters' ? checkParameterLimits(key, entry) : checkTagLimits(key, entry);
      if (limit) problems.push({ line, message: limit });
    }
  }
  const tagCount = Object.keys(sections.Tags).length;
  if (tagCount > LIMITS.stackTags) {
    problems.push({
      line: source.lineOf(['Tags']),
      message: `Tags has ${tagCount} entries; CloudFormation allows ${LIMITS.stackTags} per stack. Remove ${tagCount - LIMITS.stackTags}.`,
    });
  }

  return {
    parametersFile: {
      file,
      parameters: sections.Parameters,
      tags: sections.Tags,
      lineOf: (section, key) => source.lineOf(key === undefined ? [section] : [section, key]),
    },
    problems,
    reportedKeys,
    hasParametersObject: isObject(record.Parameters),
  };
}

function unknownTopLevelKey(key: string): string {
  if (key === 'StackPolicy') {
    return (
      '"StackPolicy" is not supported in a parameters file: neither update-app-stack nor `aws cloudformation deploy` applies it from here, ' +
      'so it would be silently ignored. Remove it and set the policy on the stack (aws cloudformation set-stack-policy).'
    );
  }
  const guess = closestName(key, SECTIONS);
  return `unknown top-level key ${quote(key)}: only "Parameters" and "Tags" belong here. ${guess ? `Rename it to "${guess}"` : 'Remove it'}.`;
}

function nonStringValue(section: Section, key: string, value: unknown): string {
  const what = `${section}.${key} is ${describeType(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') {
    return `${what}, not a string; CloudFormation ${section === 'Parameters' ? 'parameter' : 'tag'} values are strings. Write "${String(value)}" in quotes.`;
  }
  if (Array.isArray(value)) {
    return `${what}, not a string. Write a list as one comma-separated string, e.g. "${value.map(String).join(',')}".`;
  }
  if (value === null) return `${what}, not a string. Write "" for an empty value, or remove the key to use the template's Default.`;
  return `${what}, not a string. Write the value as a string.`;
}

function checkParameterLimits(key: string, value: string): string | undefined {
  if (value.length <= LIMITS.parameterValueLength) return undefined;
  return `Parameters.${key} is ${value.length} characters; CloudFormation accepts at most ${LIMITS.parameterValueLength}. Shorten it.`;
}

function checkTagLimits(key: string, value: string): string | undefined {
  if (key.length === 0 || key.length > LIMITS.tagKeyLength) {
    return `tag key ${quote(key)} has ${key.length} characters; AWS allows 1 to ${LIMITS.tagKeyLength}. Use a shorter key.`;
  }
  if (key.toLowerCase().startsWith('aws:')) {
    return `tag key ${quote(key)} uses the "aws:" prefix, which AWS reserves for itself. Rename the tag.`;
  }
  if (value.length > LIMITS.tagValueLength) {
    return `Tags.${key} is ${value.length} characters; AWS allows at most ${LIMITS.tagValueLength} in a tag value. Shorten it.`;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "the number 2", "an array", "null" … for messages. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (typeof value === 'string') return `the string ${quote(value)}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}
