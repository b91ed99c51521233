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
 * Parses `text` as strict JSON (RFC 8259: no comments, no trailing commas, no byte-order mark,
 * which is what `aws cloudformation deploy` and Python's json module accept). A syntax error is an
 * InputError at its line and column; `what` names the file's role in the message.
 */
export function parseJsonSource(text: string, file: string, what: string): JsonSource {
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

  if (text.charCodeAt(0) === 0xfeff) fail(0, 'the file starts with a byte-order mark; save it as UTF-8 without BOM');
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
