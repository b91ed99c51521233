/**
 * Strict JSON with positions. `JSON.parse` says neither where a key sits nor that a key appears
 * twice (it silently keeps the last one), and both matter here: errors are annotated on the line
 * of the offending key, and a duplicate AmazonMachineImage would deploy whichever came last.
 */
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';

import { InputError } from '../errors';

/** A key that appears twice in one object. */
export interface DuplicateKey {
  /** Path of the object holding the key, e.g. ["Parameters"]. */
  objectPath: (string | number)[];
  key: string;
  line: number;
  firstLine: number;
}

/** A parsed JSON document that can say on which line any path sits. */
export interface JsonSource {
  value: unknown;
  duplicates: DuplicateKey[];
  /** 1-based line of the key at `path` (of the element, for array indexes); the closest existing
   *  ancestor's line if the path does not exist; 1 for the root. */
  lineOf(path: (string | number)[]): number;
  /** 1-based line of a character offset. */
  lineAt(offset: number): number;
  /** The parse tree (jsonc-parser nodes with offsets), for callers that need exact spans. */
  root: Node;
}

// Keyed by printParseErrorCode's names: ParseErrorCode is a const enum, which isolatedModules cannot read.
const WHY: Record<string, string> = {
  InvalidSymbol: 'unexpected character (JSON strings and keys take double quotes; NaN, undefined and bare words are not JSON)',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a key in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':' after the key",
  CommaExpected: "expected ',' between entries",
  CloseBraceExpected: "expected '}' (an object is not closed)",
  CloseBracketExpected: "expected ']' (an array is not closed)",
  EndOfFileExpected: 'unexpected content after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape sequence (only \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX exist)',
  InvalidCharacter: 'raw control character (a tab or newline) inside a string; write it as \\t or \\n',
};

/**
 * Deepest nesting accepted. A parameters file is two levels deep and the wiring file four; the
 * limit sits far above both and far below what the recursive parser and the checks after it can
 * take (twenty thousand brackets overflow the stack).
 */
export const MAX_JSON_DEPTH = 32;

/** Largest text parsed by default, whatever it came from (a file is checked before reading; text
 *  read from git is checked here): parameters and wiring files are a few short strings. */
export const MAX_JSON_BYTES = 64 * 1024;

/**
 * Parses `text` as strict JSON (RFC 8259: no comments, no trailing commas, no byte-order mark,
 * which is what `aws cloudformation deploy` and Python's json module accept). A syntax error is an
 * InputError at its line and column; `what` names the file's role in the message.
 */
export function parseJsonSource(text: string, file: string, what: string, limits: { maxBytes?: number } = {}): JsonSource {
  const maxBytes = limits.maxBytes ?? MAX_JSON_BYTES;
  const lineStarts = computeLineStarts(text);
  const lineAt = (offset: number) => upperBound(lineStarts, offset);
  const fail = (offset: number, why: string): never => {
    const line = lineAt(offset);
    const column = offset - lineStarts[line - 1] + 1;
    throw new InputError(
      `${what} is not valid JSON for ${file}: line ${line}, column ${column}: ${why}. Fix the syntax there (\`jq . ${file}\` shows the same spot).`,
      { file, line, column },
    );
  };

  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new InputError(`${what} is too large for ${file}: ${bytes} bytes, over the ${maxBytes}-byte (${maxBytes / 1024} KiB) limit. This file holds a few short strings: check that the path names the right file.`, {
      file,
      line: 1,
    });
  }
  if (text.charCodeAt(0) === 0xfeff) fail(0, 'the file starts with a byte-order mark; save it as UTF-8 without BOM');
  // Before the parser: it and every check after it recurse, and a deep enough text overflows the stack.
  const tooDeep = findTooDeep(text, MAX_JSON_DEPTH);
  if (tooDeep !== undefined) {
    const line = lineAt(tooDeep);
    throw new InputError(
      `${what} is nested too deeply for ${file}: line ${line}, column ${tooDeep - lineStarts[line - 1] + 1} opens level ${MAX_JSON_DEPTH + 1}, and at most ${MAX_JSON_DEPTH} are read. This file is a shallow object of strings: check that the path names the right file.`,
      { file, line, column: tooDeep - lineStarts[line - 1] + 1 },
    );
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0) fail(errors[0].offset, describe(errors[0], text));
  let value: unknown;
  try {
    // Same decoding the AWS CLI's json module applies; jsonc-parser already vouched for the syntax.
    value = JSON.parse(text);
  } catch (error) {
    fail(0, (error as Error).message);
  }

  return {
    value,
    root: root!,
    duplicates: findDuplicates(root!, lineAt),
    lineAt,
    lineOf: (path) => {
      for (let depth = path.length; depth > 0; depth--) {
        const node = findNodeAtLocation(root!, path.slice(0, depth));
        if (node) return lineAt(node.parent?.type === 'property' ? node.parent.offset : node.offset);
      }
      return 1;
    },
  };
}

function describe(error: ParseError, text: string): string {
  const at = text[error.offset];
  const before = text.slice(0, error.offset).trimEnd();
  const code = printParseErrorCode(error.error);
  const trailingComma = (code === 'PropertyNameExpected' || code === 'ValueExpected') && (at === '}' || at === ']') && before.endsWith(',');
  if (trailingComma) return `trailing comma before '${at}' (JSON allows none)`;
  return WHY[code] ?? 'syntax error';
}

function findDuplicates(root: Node, lineAt: (offset: number) => number): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const walk = (node: Node, path: (string | number)[]) => {
    if (node.type === 'object') {
      const seen = new Map<string, number>();
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        const key = String(keyNode?.value);
        const line = lineAt(property.offset);
        const firstLine = seen.get(key);
        if (firstLine !== undefined) found.push({ objectPath: path, key, line, firstLine });
        else seen.set(key, line);
        if (valueNode) walk(valueNode, [...path, key]);
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((child, index) => walk(child, [...path, index]));
    }
  };
  walk(root, []);
  return found;
}

/** Offset of the first bracket that opens level `max + 1`, outside strings; undefined if none does. */
function findTooDeep(text: string, max: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** Number of line starts ≤ offset, i.e. the 1-based line holding `offset`. */
function upperBound(starts: number[], offset: number): number {
  let low = 0;
  let high = starts.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (starts[mid] <= offset) low = mid + 1;
    else high = mid;
  }
  return low;
}
