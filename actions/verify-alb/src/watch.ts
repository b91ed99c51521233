/**
 * Terminal watcher (dist/watch.js): `node actions/verify-alb/dist/watch.js <url> [--path …]`.
 * One line per second until Ctrl-C, then a one-line tally. The logic is in
 * actions/lib/verify/watch-cli.ts; this file only wires it to the process.
 */
import { systemClock } from '../../lib/clock';
import { errorMessage, InputError } from '../../lib/errors';
import { parseWatchArgs, runWatch, WATCH_USAGE, WatchTally } from '../../lib/verify/watch-cli';

const write = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const args = parseWatchArgs(process.argv.slice(2));
  if (args === undefined) {
    write(WATCH_USAGE);
    return 0;
  }
  const tally = new WatchTally();
  const finish = () => {
    write(tally.summaryLine());
    return tally.errors === 0 ? 0 : 1;
  };
  // Ctrl-C (or a supervisor's SIGTERM) ends at once: the tally is the point, not the request in flight.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stdout.write('\n');
      process.exit(finish());
    });
  }
  await runWatch(args, tally, { fetch: globalThis.fetch, clock: systemClock, write });
  return finish();
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof InputError ? `${errorMessage(error)}\n\n${WATCH_USAGE}` : `Unexpected error: ${errorMessage(error)}`}\n`);
    process.exitCode = 2;
  },
);
