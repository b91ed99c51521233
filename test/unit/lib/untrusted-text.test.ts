import { parseDecimal, parseWholeNumber } from '../../../actions/lib/action/number-inputs';
import { describeCharacter, findUnsafeTextCharacter, quote } from '../../../actions/lib/untrusted-text';

describe('quote: how a value from outside is echoed', () => {
  it.each([
    ['plain ASCII, as it is', 'ami-0123', '"ami-0123"'],
    ['quotes and backslashes escaped', 'a"b\\c', '"a\\"b\\\\c"'],
    ['a Cyrillic a, escaped and named', 'ami-0\u0430', '"ami-0\\u0430" (character 6 is U+0430 CYRILLIC SMALL LETTER A, not ASCII)'],
    ['a zero-width space, visible', 'dev\u200b', '"dev\\u200b" (character 4 is U+200B ZERO WIDTH SPACE, not ASCII)'],
    ['a right-to-left override, visible', '\u202eexe', '"\\u202eexe" (character 1 is U+202E RIGHT-TO-LEFT OVERRIDE, not ASCII)'],
    ['a character outside the basic plane', 'x\u{1d5ba}', '"x\\u{1d5ba}" (character 2 is U+1D5BA (a letter), not ASCII)'],
  ])('%s', (_name, value, shown) => {
    expect(quote(value)).toBe(shown);
  });

  it('cuts a long value and says how long it was', () => {
    expect(quote('x'.repeat(100_000))).toBe(`"${'x'.repeat(80)}…" (100000 characters; first 80 shown)`);
  });

  it('names the first odd character even when it lies past the cut', () => {
    expect(quote(`${'a'.repeat(100)}\u0435`, 10)).toMatch(/\(character 101 is U\+0435 CYRILLIC SMALL LETTER IE, not ASCII\)$/);
  });
});

describe('describeCharacter', () => {
  it.each([
    [0x0441, 'U+0441 CYRILLIC SMALL LETTER ES'],
    [0x04bb, 'U+04BB (a Cyrillic character)'],
    [0x03c1, 'U+03C1 (a Greek character)'],
    [0xff11, 'U+FF11 FULLWIDTH DIGIT ONE'],
    [0x2062, 'U+2062 (an invisible formatting character)'],
    [0x3000, 'U+3000 (a space character that is not ASCII)'],
  ])('U+%s', (codePoint, description) => {
    expect(describeCharacter(codePoint)).toBe(description);
  });
});

describe('findUnsafeTextCharacter: what human text may not carry into git', () => {
  it.each([
    ['a line feed', 'a\nb', 2, 'U+000A LINE FEED (a line break)'],
    ['a tab', 'a\tb', 2, 'U+0009 CHARACTER TABULATION (tab)'],
    ['an escape sequence', '\u001b[2K', 1, 'U+001B ESCAPE (starts a terminal control sequence)'],
    ['a left-to-right isolate', 'x\u2066y', 2, 'U+2066 LEFT-TO-RIGHT ISOLATE'],
    ['a paragraph separator', 'x\u2029', 2, 'U+2029 PARAGRAPH SEPARATOR'],
    ['a zero-width joiner', 'x\u200dy', 2, 'U+200D ZERO WIDTH JOINER'],
  ])('refuses %s', (_name, text, position, description) => {
    expect(findUnsafeTextCharacter(text)).toMatchObject({ position, description });
  });

  it('accepts visible text in any script, shell metacharacters included (they are text, written through stdin)', () => {
    expect(findUnsafeTextCharacter('p99 doubled — rollback $(curl x) `y` Ünïcödé 日本')).toBeUndefined();
  });
});

describe('the one number grammar of every action', () => {
  it.each(['0x3', '1e3', '0b11', 'Infinity', ' 3', '3 ', '+3', '-3', '3.0', '', '٣'])('refuses %j as a whole number', (text) => {
    expect(parseWholeNumber(text)).toBeUndefined();
  });
  it.each([
    ['0', 0],
    ['60', 60],
    ['007', 7],
  ])('reads %j as %d', (text, n) => {
    expect(parseWholeNumber(text)).toBe(n);
  });
  it.each(['1e-1', '0x1', '.', '1.', '-0.1', 'NaN', '0,5'])('refuses %j as a decimal', (text) => {
    expect(parseDecimal(text)).toBeUndefined();
  });
  it.each([
    ['0.05', 0.05],
    ['.5', 0.5],
    ['1', 1],
  ])('reads %j as the decimal %d', (text, n) => {
    expect(parseDecimal(text)).toBe(n);
  });
});
