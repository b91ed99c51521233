/**
 * Wraps a timeline note to the terminal's width, continuation lines under the note's own text, so
 * a long verdict reads as a paragraph under its phase instead of running off into the next line's
 * indentation.
 */

/** A note line is never cut at a width narrower than this: long IDs stay whole on their own line. */
const MIN_TEXT_WIDTH = 40;

/**
 * `text` at `indent`, wrapped at word boundaries so no line is wider than `width`. A line that
 * starts with a marker ("✗ ", "- ", "· ") continues under the text after the marker. A word longer
 * than the line (an ARN, a URL) is kept whole rather than broken.
 */
export function wrapNote(text: string, indent: string, width: number): string[] {
  // A line that fits is printed as written: aligned columns (sample rows, tables) keep their spaces.
  if (indent.length + [...text].length <= width) return [`${indent}${text}`];
  const marker = /^(✗ |✓ |- |· |\* )/.exec(text)?.[0] ?? '';
  const hanging = indent + ' '.repeat([...marker].length);
  const room = Math.max(MIN_TEXT_WIDTH, width - hanging.length);
  const lines: string[] = [];
  let line = '';
  for (const word of text.slice(marker.length).split(/ +/)) {
    if (line && [...line].length + 1 + [...word].length > room) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines.map((l, i) => (i === 0 ? `${indent}${marker}${l}` : `${hanging}${l}`));
}
