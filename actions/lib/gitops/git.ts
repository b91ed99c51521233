import { execFile } from 'node:child_process';

/** A git command failed: the message carries the command and git's own words. */
export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    message: string,
    /** git's exit code, when it ran at all. */
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface GitRunOptions {
  /** Written to git's stdin (e.g. object names for `cat-file --batch`). */
  input?: string;
  /** Extra environment for this command only (e.g. `GIT_CONFIG_*` to pass a token without argv). */
  env?: Record<string, string>;
  /** Exit codes that are answers, not failures (e.g. 1 from `diff --quiet`). */
  okExitCodes?: number[];
}

export interface GitResult {
  stdout: string;
  exitCode: number;
}

/**
 * The git working copy the workflow checked out. Every command runs through `execFile` with an
 * argument array: nothing is ever handed to a shell, so no input can become a command.
 */
export class GitRepository {
  constructor(
    /** Absolute path of the working copy (GITHUB_WORKSPACE in a workflow). */
    readonly dir: string,
    private readonly baseEnv: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Runs `git <args>` in the working copy and returns stdout; throws GitError on failure. */
  async run(args: readonly string[], options: GitRunOptions = {}): Promise<GitResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        [...args],
        {
          cwd: this.dir,
          // History of a busy parameters file can be long; 64 MiB is far above any real repository's need.
          maxBuffer: 64 * 1024 * 1024,
          // LC_ALL=C keeps git's messages in English, so error reports read the same everywhere.
          env: { ...this.baseEnv, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', ...options.env },
        },
        (error, stdout, stderr) => {
          const exitCode = error ? (typeof error.code === 'number' ? error.code : undefined) : 0;
          if (!error || (exitCode !== undefined && options.okExitCodes?.includes(exitCode))) {
            resolve({ stdout, exitCode: exitCode ?? 0 });
            return;
          }
          // git's own error lines, without the "hint:" lines that follow them.
          const lines = (stderr || error.message).trim().split('\n').filter((l) => !l.startsWith('hint:'));
          const why = lines.slice(-3).join(' ');
          reject(new GitError(`git ${args[0]} failed in ${this.dir}: ${why}`, exitCode, stderr));
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  /** The full commit ID a revision names (`HEAD`, a branch, a short SHA). */
  async resolveCommit(revision: string): Promise<string> {
    const { stdout } = await this.run(['rev-parse', '--verify', '--end-of-options', `${revision}^{commit}`]);
    return stdout.trim();
  }

  /** True when the revision names a commit that exists in this clone. */
  async hasCommit(revision: string): Promise<boolean> {
    const { exitCode } = await this.run(['cat-file', '-e', `${revision}^{commit}`], { okExitCodes: [1, 128] });
    return exitCode === 0;
  }

  /**
   * One file's content at many commits, through a single `git cat-file --batch` process (one
   * spawn instead of one per commit). Commits where the file does not exist map to undefined.
   */
  async readFileAtEach(revisions: readonly string[], path: string): Promise<Map<string, string | undefined>> {
    const result = new Map<string, string | undefined>();
    if (revisions.length === 0) return result;
    const output = await new Promise<Buffer>((resolve, reject) => {
      const child = execFile(
        'git',
        ['cat-file', '--batch'],
        { cwd: this.dir, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, env: { ...this.baseEnv, LC_ALL: 'C' } },
        (error, stdout, stderr) =>
          error ? reject(new GitError(`git cat-file failed in ${this.dir}: ${stderr.toString().trim()}`, undefined, stderr.toString())) : resolve(stdout),
      );
      child.stdin?.end(revisions.map((rev) => `${rev}:${path}\n`).join(''));
    });
    // Each answer is "<oid> blob <size>\n<size bytes>\n", or "<name> missing\n". Sizes are bytes.
    let offset = 0;
    for (const rev of revisions) {
      const eol = output.indexOf(0x0a, offset);
      const header = output.subarray(offset, eol).toString('utf8');
      offset = eol + 1;
      const object = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
      if (!object) {
        result.set(rev, undefined); // "missing" or "ambiguous": no content follows
        continue;
      }
      const bytes = Number(object[2]);
      result.set(rev, object[1] === 'blob' ? output.subarray(offset, offset + bytes).toString('utf8') : undefined);
      offset += bytes + 1;
    }
    return result;
  }

  /** A file's content at a commit, or undefined when the file does not exist there. */
  async readFileAt(revision: string, path: string): Promise<string | undefined> {
    const { stdout, exitCode } = await this.run(['show', `${revision}:${path}`], { okExitCodes: [128] });
    return exitCode === 0 ? stdout : undefined;
  }
}

/**
 * Environment that lets one git command authenticate to GitHub with a token, the way
 * actions/checkout does, but without writing it to .git/config or putting it on the command line
 * (where other processes can read it): git ≥ 2.31 reads `GIT_CONFIG_COUNT`/`KEY_n`/`VALUE_n`.
 * Returns the header value too, so the caller can mask it in logs.
 */
export function tokenAuthEnv(token: string, serverUrl = 'https://github.com'): { env: Record<string, string>; secret: string } {
  const secret = Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64');
  return {
    env: {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `http.${serverUrl.replace(/\/+$/, '')}/.extraheader`,
      GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${secret}`,
    },
    secret,
  };
}

/**
 * Why a remote refused a push, in the one way every caller decides what to do about it:
 *
 * - `lost-race`: the branch moved under us. Fetching it and building the commit again on its new
 *   tip cures it. git says so in several ways: `! [rejected] … (fetch first)` or
 *   `(non-fast-forward)` when our base is already stale when we connect; `! [remote rejected] …
 *   (failed to update ref)`, `(failed to lock)`, `(cannot lock ref '…': is at X but expected Y)` or
 *   `(incorrect old value provided)` when another push landed while the remote's pre-receive hook
 *   ran on ours (GitHub's hooks take a moment, so two record commits at once meet this one);
 *   `(stale info)` for a lease that no longer holds.
 * - `transient`: the remote or the network failed the request (HTTP 5xx or 429, a dropped
 *   connection, `the remote end hung up unexpectedly`): the same push may go through later.
 * - `protected`: branch protection (GH006) or a ruleset (GH013) refuses direct pushes. Retrying
 *   cannot help; a pull request can.
 * - `refused`: anything else (a hook that declines, no permission, no such repository): a retry
 *   would get the same answer.
 *
 * Matched on git's stderr in the C locale (GitRepository runs git with LC_ALL=C).
 */
export type PushRefusal = 'lost-race' | 'transient' | 'protected' | 'refused';

const PROTECTED = /\bGH006\b|\bGH013\b|protected branch|repository rule violations/i;
const LOST_RACE =
  /\[rejected\][^\n]*\((fetch first|non-fast-forward|stale info)\)|\[remote rejected\][^\n]*\((failed to update ref|failed to lock|cannot lock ref|incorrect old value provided|reference already exists)|cannot lock ref '[^']*': is at [0-9a-f]+ but expected/;
const TRANSIENT =
  /The requested URL returned error: (5\d\d|429)|RPC failed|remote end hung up unexpectedly|early EOF|unexpected disconnect|Connection (reset|timed out|refused)|Operation timed out|Could not resolve host|Failed to connect to|\[remote (rejected|failure)\][^\n]*\((Internal Server Error|internal error|remote unpack failed|unpacker error)/i;

/** Classifies a failed `git push` (or the fetch before it); anything that is not a GitError is `refused`. */
export function classifyPushRefusal(error: unknown): PushRefusal {
  if (!(error instanceof GitError)) return 'refused';
  const text = error.stderr || error.message;
  if (PROTECTED.test(text)) return 'protected';
  if (LOST_RACE.test(text)) return 'lost-race';
  if (TRANSIENT.test(text)) return 'transient';
  return 'refused';
}
