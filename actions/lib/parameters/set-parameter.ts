/**
 * The one-line rewrite behind every AMI bump and failback (DESIGN.md §3.1: "an AMI bump is a
 * one-line diff in one file"). It edits the text, not a re-serialised object, so indentation, key
 * order, line endings and every other line stay byte-for-byte what they were.
 */
import type { Node } from 'jsonc-parser';

import { InputError } from '../errors';
import { quote } from './file-problems';
import { parseJsonSource, type JsonSource } from './json-source';

/**
 * Returns `text` with `Parameters.<key>` set to `value`, changing exactly one line (or nothing when
 * the value is already `value`). Refuses, with an InputError, when the key is not in the file, when
 * its current value is not a string, and when the file is not in one-key-per-line shape (the
 * change would not be a one-line diff). `file` names the file in messages.
 */
export function setParameterInFile(text: string, key: string, value: string, file = 'the parameters file'): string {
  const fail = (why: string, fix: string, line?: number): never => {
    throw new InputError(`Cannot set Parameters.${key} for ${file}: ${why}. ${fix}.`, { file, line });
  };
  if (typeof value !== 'string') fail(`the new value is ${typeof value}, not a string`, 'Pass the value as a string');

  const source = parseJsonSource(text, file, 'Parameters file');
  const parameters = propertyValue(source.root, 'Parameters');
  if (parameters?.type !== 'object') fail('the file has no "Parameters" object', 'Fix the file first (see docs/parameters.md)', 1);

  const crowded = findCrowdedLine(source, parameters!);
  if (crowded !== undefined) {
    fail(
      `the file is not in one-key-per-line shape (line ${crowded} does not hold exactly one "Key": "value" pair), so the change would not be a one-line diff`,
      `Reformat it with one key per line (\`jq . ${file}\` prints that shape), commit that, then run again`,
      crowded,
    );
  }

  const matches = (parameters!.children ?? []).filter((property) => property.children?.[0]?.value === key);
  if (matches.length === 0) {
    fail('the key is not in the file', `Add a line "${key}": "…" under Parameters by hand (the rewrite only changes existing lines), then run again`, source.lineOf(['Parameters']));
  }
  const line = source.lineAt(matches[0].offset);
  if (matches.length > 1) fail(`the key appears ${matches.length} times`, 'Delete all but one of them', source.lineAt(matches[1].offset));
  const current = matches[0].children![1];
  if (current.type !== 'string') fail(`its current value is not a string (line ${line})`, `Write it as a string first, e.g. "${key}": "…"`, line);
  if (current.value === value) return text;

  const updated = text.slice(0, current.offset) + JSON.stringify(value) + text.slice(current.offset + current.length);
  assertOneLineChanged(text, updated, file, key);
  return updated;
}

/** The value node of `name` in the root object, if any. */
function propertyValue(root: Node, name: string): Node | undefined {
  if (root.type !== 'object') return undefined;
  return root.children?.find((property) => property.children?.[0]?.value === name)?.children?.[1];
}

/**
 * The first line in the Parameters object that does not hold exactly one whole property: a pair
 * spread over lines, two pairs on a line, or a pair sharing a line with the object's braces.
 */
function findCrowdedLine(source: JsonSource, parameters: Node): number | undefined {
  const open = source.lineAt(parameters.offset);
  const close = source.lineAt(parameters.offset + parameters.length - 1);
  const used = new Set<number>();
  for (const property of parameters.children ?? []) {
    const first = source.lineAt(property.offset);
    const last = source.lineAt(property.offset + property.length - 1);
    if (first !== last || first === open || first === close || used.has(first)) return first;
    used.add(first);
  }
  return undefined;
}

/** A guard on this module's own promise: a rewrite that touched more than one line is a bug. */
function assertOneLineChanged(before: string, after: string, file: string, key: string): void {
  const a = before.split('\n');
  const b = after.split('\n');
  const changed = a.length === b.length ? a.filter((line, i) => line !== b[i]).length : Infinity;
  if (changed !== 1) throw new Error(`setParameterInFile changed ${changed} lines of ${file} for ${quote(key)}; expected exactly one.`);
}
