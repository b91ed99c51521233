/**
 * JSON-schema violations (from ajv) in words, each at the line of the offending key: shared by the
 * files of parameters/ that have a schema (the wiring, the revocation list).
 */
import type { ErrorObject } from 'ajv/dist/2020';

import { closestName, quote, type FileProblem } from './file-problems';
import type { JsonSource } from './json-source';

/**
 * Each key that appears twice in one object, at the second one's line: JSON readers keep the last
 * value, while a person reading the file (or reviewing its pull request) sees the first.
 */
export function duplicateKeyProblems(source: JsonSource, fix = 'Delete one of them'): FileProblem[] {
  return source.duplicates.map((d) => ({
    line: d.line,
    message: `key ${quote(d.key)} appears twice${d.objectPath.length ? ` in ${d.objectPath.join('.')}` : ''} (first on line ${d.firstLine}); JSON readers silently keep the last one. ${fix}.`,
  }));
}

/**
 * Schema violations in words, each at the line of the offending key. Missing keys of one object are
 * merged into one problem; ajv's generic "property name is invalid" is dropped in favour of the
 * specific error it comes with.
 */
export function describeSchemaErrors(errors: ErrorObject[], source: JsonSource): FileProblem[] {
  const missing = new Map<string, string[]>();
  const problems: FileProblem[] = [];
  for (const error of errors) {
    if (error.keyword === 'propertyNames') continue;
    if (error.keyword === 'required') {
      const keys = missing.get(error.instancePath) ?? [];
      if (keys.length === 0) missing.set(error.instancePath, keys);
      keys.push(`"${String((error.params as { missingProperty: string }).missingProperty)}"`);
      continue;
    }
    problems.push(describeSchemaError(error, source));
  }
  for (const [pointer, keys] of missing) {
    const at = pathOf(pointer);
    problems.push({ line: source.lineOf(at), message: `${where(at)} is missing ${keys.join(', ')}. Add ${keys.length > 1 ? 'them' : 'it'} (see docs/parameters.md for the shape).` });
  }
  return problems;
}

function describeSchemaError(error: ErrorObject, source: JsonSource): FileProblem {
  const at = pathOf(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = closestName(extra, allowed);
      return {
        line: source.lineOf([...at, extra]),
        message: `${where(at)} has an unknown key ${quote(extra)}; allowed: ${allowed.join(', ')}. ${guess ? `Rename it to "${guess}"` : 'Remove it'}.`,
      };
    }
    case 'uniqueItems':
      return { line: source.lineOf(at), message: `${where(at)} lists the same value twice (items ${Number(params.j) + 1} and ${Number(params.i) + 1}). Remove the duplicate.` };
    default: {
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      const why = `${error.message ?? 'is invalid'}${description ? ` (${description.replace(/\.$/, '')})` : ''}`;
      if (error.propertyName !== undefined) {
        return { line: source.lineOf([...at, error.propertyName]), message: `key ${quote(error.propertyName)} in ${where(at)} ${why}. Rename it.` };
      }
      const value = error.data === undefined || typeof error.data === 'object' ? '' : ` = ${quote(String(error.data))}`;
      return { line: source.lineOf(at), message: `${where(at)}${value} ${why}. Fix the value.` };
    }
  }
}

/** A JSON pointer from ajv as a path; array indexes become numbers, as the parse tree wants. */
function pathOf(pointer: string): (string | number)[] {
  return pointer
    .split('/')
    .slice(1)
    .map(unescapePointer)
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

function where(path: (string | number)[]): string {
  return path.length ? path.join('.') : 'the top level';
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
