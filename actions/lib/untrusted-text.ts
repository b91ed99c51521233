/**
 * How text that came from outside (a file, an action input, a workflow_dispatch form) is shown back
 * in a message, and which characters human text may not carry into git.
 *
 * Two dangers drive it. A look-alike (a Cyrillic "а", a zero-width space, a bidi override) echoed
 * as it is looks identical to the good value, so a person reading "is not an AMI ID" cannot see
 * what is wrong: every echo escapes what is not printable ASCII and names the first such
 * character and where it sits. And an echo of a 100 KB value is not a message: echoes are cut.
 */

/** The most characters of a value a message repeats. */
export const MAX_ECHO_CHARS = 80;

/**
 * Names of the characters people meet in look-alike values. Node ships no Unicode name table;
 * any character not listed here is described by its script or category instead.
 */
const CHARACTER_NAMES: Readonly<Record<number, string>> = {
  0x0000: 'NULL',
  0x0009: 'CHARACTER TABULATION (tab)',
  0x000a: 'LINE FEED (a line break)',
  0x000d: 'CARRIAGE RETURN',
  0x001b: 'ESCAPE (starts a terminal control sequence)',
  0x007f: 'DELETE',
  0x0085: 'NEXT LINE',
  0x00a0: 'NO-BREAK SPACE',
  0x00ad: 'SOFT HYPHEN',
  0x034f: 'COMBINING GRAPHEME JOINER',
  0x061c: 'ARABIC LETTER MARK',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x2028: 'LINE SEPARATOR',
  0x2029: 'PARAGRAPH SEPARATOR',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2060: 'WORD JOINER',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
  0x2212: 'MINUS SIGN',
  0x2010: 'HYPHEN',
  0x2011: 'NON-BREAKING HYPHEN',
  0x2013: 'EN DASH',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE (byte-order mark)',
  // Cyrillic and Greek letters that look like Latin ones (lowercase AMI IDs, stack names).
  0x0430: 'CYRILLIC SMALL LETTER A',
  0x0435: 'CYRILLIC SMALL LETTER IE',
  0x043e: 'CYRILLIC SMALL LETTER O',
  0x0440: 'CYRILLIC SMALL LETTER ER',
  0x0441: 'CYRILLIC SMALL LETTER ES',
  0x0443: 'CYRILLIC SMALL LETTER U',
  0x0445: 'CYRILLIC SMALL LETTER HA',
  0x0455: 'CYRILLIC SMALL LETTER DZE',
  0x0456: 'CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I',
  0x0458: 'CYRILLIC SMALL LETTER JE',
  0x0501: 'CYRILLIC SMALL LETTER KOMI DE',
  0x0410: 'CYRILLIC CAPITAL LETTER A',
  0x0412: 'CYRILLIC CAPITAL LETTER VE',
  0x0415: 'CYRILLIC CAPITAL LETTER IE',
  0x041a: 'CYRILLIC CAPITAL LETTER KA',
  0x041c: 'CYRILLIC CAPITAL LETTER EM',
  0x041d: 'CYRILLIC CAPITAL LETTER EN',
  0x041e: 'CYRILLIC CAPITAL LETTER O',
  0x0420: 'CYRILLIC CAPITAL LETTER ER',
  0x0421: 'CYRILLIC CAPITAL LETTER ES',
  0x0422: 'CYRILLIC CAPITAL LETTER TE',
  0x0425: 'CYRILLIC CAPITAL LETTER HA',
  0x03b1: 'GREEK SMALL LETTER ALPHA',
  0x03bf: 'GREEK SMALL LETTER OMICRON',
  0x039f: 'GREEK CAPITAL LETTER OMICRON',
};

/** A character that is not printable ASCII, where it sits, and what it is. */
export interface UnexpectedCharacter {
  /** 1-based position in the value, counted in characters (code points). */
  position: number;
  codePoint: number;
  /** "U+0430 CYRILLIC SMALL LETTER A" */
  description: string;
}

/** `U+0430 CYRILLIC SMALL LETTER A`, or `U+XXXX (a Cyrillic letter)` when the name is not known here. */
export function describeCharacter(codePoint: number): string {
  const code = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = CHARACTER_NAMES[codePoint];
  if (name) return `${code} ${name}`;
  if (codePoint >= 0xff10 && codePoint <= 0xff19) return `${code} FULLWIDTH DIGIT ${'ZERO ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE'.split(' ')[codePoint - 0xff10]}`;
  return `${code} (${categoryOf(String.fromCodePoint(codePoint))})`;
}

function categoryOf(char: string): string {
  if (/\p{Cc}/u.test(char)) return 'a control character';
  if (/\p{Cf}/u.test(char)) return 'an invisible formatting character';
  if (/\p{Z}/u.test(char)) return 'a space character that is not ASCII';
  for (const script of ['Cyrillic', 'Greek', 'Armenian', 'Cherokee', 'Latin']) {
    if (new RegExp(`\\p{Script=${script}}`, 'u').test(char)) return `a ${script} character`;
  }
  if (/\p{M}/u.test(char)) return 'a combining mark';
  if (/\p{N}/u.test(char)) return 'a digit or number';
  if (/\p{L}/u.test(char)) return 'a letter';
  return 'a symbol or punctuation mark';
}

/** The first character of `value` that is not printable ASCII (space to tilde), if any. */
export function findUnexpectedCharacter(value: string): UnexpectedCharacter | undefined {
  let position = 0;
  for (const char of value) {
    position += 1;
    const codePoint = char.codePointAt(0)!;
    if (codePoint < 0x20 || codePoint > 0x7e) return { position, codePoint, description: describeCharacter(codePoint) };
  }
  return undefined;
}

/**
 * A value for a message: double-quoted, every character that is not printable ASCII written as an
 * escape (`\u0430`), cut to `max` characters; when such a character is present, followed by which
 * one and where (`(character 5 is U+0430 CYRILLIC SMALL LETTER A, not ASCII)`).
 */
export function quote(value: string, max = MAX_ECHO_CHARS): string {
  const chars = [...value];
  const shown = chars.length > max ? `${chars.slice(0, max).join('')}` : value;
  const escaped = [...shown].map(escapeCharacter).join('');
  const cut = chars.length > max ? `…" (${chars.length} characters; first ${max} shown)` : '"';
  const odd = findUnexpectedCharacter(value);
  return `"${escaped}${cut}${odd ? ` (character ${odd.position} is ${odd.description}, not ASCII)` : ''}`;
}

function escapeCharacter(char: string): string {
  const codePoint = char.codePointAt(0)!;
  if (char === '"' || char === '\\') return `\\${char}`;
  if (codePoint >= 0x20 && codePoint <= 0x7e) return char;
  return codePoint > 0xffff ? `\\u{${codePoint.toString(16)}}` : `\\u${codePoint.toString(16).padStart(4, '0')}`;
}

/**
 * The first character that human text going into a commit message, a PR body or a log line may
 * not carry: control characters (a line break could forge a commit trailer), line and paragraph
 * separators, and invisible formatting characters, bidi overrides among them (they make a terminal
 * or a diff show text in another order than git stores it).
 */
export function findUnsafeTextCharacter(text: string): UnexpectedCharacter | undefined {
  let position = 0;
  for (const char of text) {
    position += 1;
    if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(char)) {
      const codePoint = char.codePointAt(0)!;
      return { position, codePoint, description: describeCharacter(codePoint) };
    }
  }
  return undefined;
}
