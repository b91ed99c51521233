/**
 * The logging surface logic uses. In an action it is backed by @actions/core (see
 * action/runtime.ts); in tests by RecordingLogger; in local/ by a console logger.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  notice(message: string): void;
  warning(message: string, location?: { file: string; line?: number }): void;
  error(message: string, location?: { file: string; line?: number }): void;
  /** Runs `fn` inside a collapsible group (one level deep; STYLE.md). */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

export interface LogEntry {
  level: 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'group';
  message: string;
  location?: { file: string; line?: number };
}

/** Keeps every entry, for assertions in tests. */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];

  debug(message: string): void {
    this.entries.push({ level: 'debug', message });
  }
  info(message: string): void {
    this.entries.push({ level: 'info', message });
  }
  notice(message: string): void {
    this.entries.push({ level: 'notice', message });
  }
  warning(message: string, location?: { file: string; line?: number }): void {
    this.entries.push({ level: 'warning', message, location });
  }
  error(message: string, location?: { file: string; line?: number }): void {
    this.entries.push({ level: 'error', message, location });
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.entries.push({ level: 'group', message: title });
    return fn();
  }

  /** All messages (any level) joined by newlines: handy for `toContain` assertions. */
  text(): string {
    return this.entries.map((e) => e.message).join('\n');
  }
}

/** Writes to a stream with a level prefix; used by local/ and the terminal entry points. */
export function createStreamLogger(
  write: (line: string) => void,
  options: { debug?: boolean; prefix?: string } = {},
): Logger {
  const p = options.prefix ?? '';
  return {
    debug: (m) => {
      if (options.debug) write(`${p}debug: ${m}`);
    },
    info: (m) => write(`${p}${m}`),
    notice: (m) => write(`${p}notice: ${m}`),
    warning: (m, loc) => write(`${p}warning: ${loc ? `${loc.file}:${loc.line ?? 1}: ` : ''}${m}`),
    error: (m, loc) => write(`${p}error: ${loc ? `${loc.file}:${loc.line ?? 1}: ` : ''}${m}`),
    group: async (title, fn) => {
      write(`${p}── ${title}`);
      return fn();
    },
  };
}
