import { InputError } from '../errors';

/** One thing wrong in a file, at a line, phrased `<why>. <what to do>.` */
export interface FileProblem {
  line: number;
  column?: number;
  message: string;
}

/**
 * Every problem found in one file, reported together (nobody likes fix-one-rerun loops). It is an
 * InputError located at the first problem, with one annotation per problem, so `runAction`
 * annotates every offending line of the file.
 */
export class FileProblemsError extends InputError {
  constructor(
    message: string,
    file: string,
    readonly problems: readonly FileProblem[],
  ) {
    super(
      message,
      { file, line: problems[0]?.line, column: problems[0]?.column },
      problems.map((p) => ({ message: p.message, location: { file, line: p.line, column: p.column } })),
    );
  }
}

/**
 * Throws one FileProblemsError for `problems` (sorted by line) if there are any. The message keeps
 * the project's shape: `<what failed> for <file>: <why>. <what to do>.` where each listed problem
 * carries its own why and fix.
 */
export function throwIfProblems(whatFailed: string, file: string, problems: readonly FileProblem[]): void {
  if (problems.length === 0) return;
  const sorted = [...problems].sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
  const at = (p: FileProblem) => `line ${p.line}${p.column ? `, column ${p.column}` : ''}`;
  const message =
    sorted.length === 1
      ? `${whatFailed} for ${file}: ${at(sorted[0])}: ${sorted[0].message}`
      : `${whatFailed} for ${file}: ${sorted.length} problems, each with its fix:\n${sorted.map((p) => `- ${at(p)}: ${p.message}`).join('\n')}`;
  throw new FileProblemsError(message, file, sorted);
}

/** A value for a message (see untrusted-text.ts: escaped, cut, look-alike characters named). */
export { quote } from '../untrusted-text';

/** The closest name in `candidates` (case-insensitive edit distance ≤ 2), for "did you mean". */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
