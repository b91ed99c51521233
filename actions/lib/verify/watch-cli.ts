import { parseArgs } from 'node:util';

import { parseWholeNumber } from '../action/number-inputs';
import { InputError } from '../errors';
import { quote } from '../untrusted-text';
import { detailsUrl, formatSampleLine, REQUEST_TIMEOUT_MS, type Sample, sampleEverySecond, type SamplerDeps, summariseSamples } from './sampler';

/**
 * The terminal watcher: the seed's `watchscript.sh` (curl once a second, print URL, status and
 * time) grown up. Each line adds an ISO timestamp and the AMI and instance that answered, read from
 * details.json, so a cutover is visible as the AMI column changing; stopping it prints a one-line
 * tally. The process wiring (signals, stdout) lives in actions/verify-alb/src/watch.ts.
 */

export const WATCH_USAGE = `Usage: node actions/verify-alb/dist/watch.js <url> [--path /details.json] [--seconds N] [--timeout-ms ${REQUEST_TIMEOUT_MS}]

Requests <url><path> once a second and prints one line per sample:
  <ISO time>  <status>  <latency>  <AMI>  <instance>   (or "error: <why>")
until Ctrl-C (or for --seconds N), then one summary line: samples, errors, AMIs seen.
<url> is the load balancer URL, e.g. the app stack's LoadBalancerUrl output; a bare DNS name
gets http://. Exit status: 0 when no sample failed, 1 otherwise, 2 on bad arguments.`;

export interface WatchArgs {
  url: string;
  path: string;
  /** Stop after this many seconds; 0 = until interrupted. */
  seconds: number;
  timeoutMs: number;
}

/** Parses the watcher's command line. Returns undefined for --help; throws InputError on bad arguments. */
export function parseWatchArgs(argv: string[]): WatchArgs | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        path: { type: 'string', default: '/details.json' },
        seconds: { type: 'string', default: '0' },
        'timeout-ms': { type: 'string', default: String(REQUEST_TIMEOUT_MS) },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new InputError(`${(error as Error).message.replace(/\.+$/, '')}.`);
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  if (positionals.length !== 1) throw new InputError(`Expected exactly one URL, got ${positionals.length}.`);

  const raw = /^[a-z][a-z0-9+.-]*:\/\//i.test(positionals[0]) ? positionals[0] : `http://${positionals[0]}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(`${quote(positionals[0])} is not a URL. Pass the load balancer URL, e.g. http://my-alb-123.us-east-1.elb.amazonaws.com.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError(`${quote(positionals[0])} is not an http(s) URL.`);
  if (!values.path.startsWith('/')) throw new InputError(`--path ${quote(values.path)} must start with "/".`);
  return {
    url: raw,
    path: values.path,
    seconds: wholeNumber('--seconds', values.seconds, 0),
    timeoutMs: wholeNumber('--timeout-ms', values['timeout-ms'], 1),
  };
}

function wholeNumber(flag: string, value: string, min: number): number {
  const n = parseWholeNumber(value);
  if (n === undefined || n < min) throw new InputError(`${flag} ${quote(value)} must be a whole number of at least ${min}.`);
  return n;
}

/** Collects samples and renders the one-line tally printed when the watcher stops. */
export class WatchTally {
  private readonly samples: Sample[] = [];

  add(sample: Sample): void {
    this.samples.push(sample);
  }

  get errors(): number {
    return summariseSamples(this.samples).errors;
  }

  /** "42 samples, 1 error (2.4 %), AMIs seen: ami-a (30), ami-b (11)". */
  summaryLine(): string {
    const s = summariseSamples(this.samples);
    const amis = s.servedAmis.map((a) => `${a.amiId} (${a.samples})`).join(', ') || 'none';
    const percent = (s.errorRate * 100).toFixed(1);
    return `${s.samples} sample${s.samples === 1 ? '' : 's'}, ${s.errors} error${s.errors === 1 ? '' : 's'} (${percent} %), AMIs seen: ${amis}`;
  }
}

export interface WatchDeps extends SamplerDeps {
  /** Writes one line (no newline included). */
  write: (line: string) => void;
}

/**
 * Runs the watcher for `args.seconds`, or forever when 0 (the process ends it on a signal); every
 * sample goes to `tally` and one line to `write`.
 */
export async function runWatch(args: WatchArgs, tally: WatchTally, deps: WatchDeps): Promise<void> {
  const url = detailsUrl(args.url, args.path);
  const end = args.seconds > 0 ? deps.clock.now() + args.seconds * 1_000 : Number.POSITIVE_INFINITY;
  deps.write(`Watching ${url} once a second${args.seconds > 0 ? ` for ${args.seconds} s` : ''}; Ctrl-C stops.`);
  await sampleEverySecond(
    {
      url,
      timeoutMs: args.timeoutMs,
      shouldContinue: (tickAt) => tickAt < end,
      onSample: (sample) => {
        tally.add(sample);
        deps.write(formatSampleLine(sample));
      },
    },
    deps,
  );
}
