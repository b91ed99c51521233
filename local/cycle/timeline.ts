/**
 * The local cycle's timeline: each phase with what it ran on (emulated by moto, the Image
 * Builder stand-in, the scratch git clone, or this machine), its duration and its result,
 * printed as it completes, so the reader sees the cycle unfold and where it stopped.
 */

import { wrapNote } from './wrap';

/** What a phase exercised, so nobody mistakes an emulated step for AWS. */
export type PhaseKind = 'local' | 'git' | 'git + github' | 'moto' | 'stand-in' | 'stand-in + moto' | 'data plane' | 'moto + data plane' | 'moto + webhook';

const KIND_LABEL: Record<PhaseKind, string> = {
  local: 'local',
  git: 'git (scratch clone)',
  // A push to the scratch clone and a pull request through the GitHub API stand-in (local/github-standin/).
  'git + github': 'git + GitHub STAND-IN',
  moto: 'moto (emulated AWS)',
  'stand-in': 'Image Builder STAND-IN',
  'stand-in + moto': 'STAND-IN + moto',
  // The load balancer stand-in and the php -S instances (local/data-plane/).
  'data plane': 'data plane (LB STAND-IN)',
  'moto + data plane': 'moto + data plane',
  // moto's SNS and the loopback webhook stand-in (local/cycle/notify-phase.ts).
  'moto + webhook': 'moto + webhook STAND-IN',
};

/** A check of the cycle failed: the phase did not do what the workflow needs. */
export class CycleCheckError extends Error {
  override readonly name = 'CycleCheckError';
  constructor(
    message: string,
    /** Extra lines to show under the phase (an action's error annotations, a log tail). */
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

export interface PhaseRecord {
  index: number;
  title: string;
  kind: PhaseKind;
  ms: number;
  ok: boolean;
  notes: string[];
}

/** What a phase body may report: notes shown under its line. */
export interface PhaseContext {
  note(line: string): void;
}

/** Notes sit under the phase title. */
const NOTE_INDENT = ' '.repeat(8);

export class Timeline {
  readonly phases: PhaseRecord[] = [];
  private readonly started = Date.now();

  /**
   * `width`: the terminal's columns, which notes wrap to. Output that is not a terminal (a CI log,
   * a pipe, a test) is not wrapped: its reader's viewer wraps, and a grep finds a whole line.
   */
  constructor(
    private readonly write: (line: string) => void,
    private readonly width: number = process.stdout.isTTY ? process.stdout.columns || 100 : Number.POSITIVE_INFINITY,
  ) {}

  /**
   * Runs one phase and prints its line when it ends. A failure is recorded and rethrown: the
   * cycle stops at the first phase that does not hold.
   */
  async phase<T>(title: string, kind: PhaseKind, body: (ctx: PhaseContext) => Promise<T>): Promise<T> {
    const record: PhaseRecord = { index: this.phases.length + 1, title, kind, ms: 0, ok: false, notes: [] };
    this.phases.push(record);
    const begin = Date.now();
    try {
      const result = await body({ note: (line) => record.notes.push(line) });
      record.ok = true;
      return result;
    } catch (error) {
      record.notes.push(`✗ ${error instanceof Error ? error.message : String(error)}`);
      if (error instanceof CycleCheckError) record.notes.push(...error.details);
      throw error;
    } finally {
      record.ms = Date.now() - begin;
      this.print(record);
    }
  }

  /** A heading between phases: which workflow the next phases come from. */
  section(title: string): void {
    this.write(`── ${title}`);
  }

  /** The phase that stopped the cycle, if one did (its reason is printed under it). */
  failedPhase(): PhaseRecord | undefined {
    return this.phases.find((p) => !p.ok);
  }

  elapsedMs(): number {
    return Date.now() - this.started;
  }

  private print(record: PhaseRecord): void {
    const mark = record.ok ? '✓' : '✗';
    const index = String(record.index).padStart(2);
    const seconds = `${(record.ms / 1000).toFixed(1)} s`.padStart(7);
    this.write(`${mark} ${index}  ${record.title.padEnd(52)} ${KIND_LABEL[record.kind].padEnd(24)} ${seconds}`);
    for (const note of record.notes) for (const line of note.split('\n')) for (const wrapped of wrapNote(line, NOTE_INDENT, this.width)) this.write(wrapped);
  }
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
