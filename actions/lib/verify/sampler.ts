import type { Clock } from '../clock';
import { errorMessage } from '../errors';
import { parseDetailsJson } from './details';

/**
 * The slice of the global `fetch` the sampler uses, so tests pass a fake and the action passes
 * Node's own (undici) fetch.
 */
export type FetchLike = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string>; redirect: 'follow' },
) => Promise<{ status: number; text(): Promise<string> }>;

/** One HTTP probe: when, what came back, how long it took, and which AMI answered. */
export interface Sample {
  /** Epoch milliseconds on the sampler's clock when the request was sent. */
  at: number;
  /** HTTP status, absent when no response arrived (timeout, connection refused). */
  status?: number;
  latencyMs: number;
  /** From details.json; absent on error samples. */
  amiId?: string;
  instanceId?: string;
  /** Why this sample counts as an error: no response, a non-2xx status, or an unusable body. */
  error?: string;
}

/** What the sampler needs besides its options; injected so unit tests run on a fake fetch and clock. */
export interface SamplerDeps {
  fetch: FetchLike;
  clock: Clock;
}

/** One sample per second: the seed's watchscript.sh cadence, fine enough to see a cutover. */
export const SAMPLE_INTERVAL_MS = 1_000;

/**
 * A details page behind a healthy ALB answers in milliseconds; two seconds means something is
 * wrong. Kept short because samples are sequential: a slow answer delays the next sample (missed
 * ticks are skipped, requests never pile up), so a long timeout would hide an outage behind few
 * samples.
 */
export const REQUEST_TIMEOUT_MS = 2_000;

const HEADERS = {
  // Anything between us and the instance (a CDN, a proxy) must not answer from cache: every
  // sample has to come from an instance, or the AMI it reports proves nothing.
  'cache-control': 'no-cache',
  'user-agent': 'ami-patch-gitops-verify-alb/0.1',
  accept: 'application/json',
};

/**
 * Sends one request to `url` and records the outcome. Never throws: every failure becomes an
 * error sample, since counting failures is the point.
 */
export async function takeSample(url: string, deps: SamplerDeps, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Sample> {
  const at = deps.clock.now();
  const elapsed = () => Math.max(0, Math.round(deps.clock.now() - at));
  let status: number | undefined;
  try {
    const response = await deps.fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: HEADERS, redirect: 'follow' });
    status = response.status;
    const body = await response.text();
    if (status < 200 || status > 299) return { at, status, latencyMs: elapsed(), error: `HTTP ${status}` };
    const details = parseDetailsJson(body);
    return { at, status, latencyMs: elapsed(), amiId: details.amiId, instanceId: details.instanceId };
  } catch (error) {
    return { at, status, latencyMs: elapsed(), error: describeFetchError(error, timeoutMs, url) };
  }
}

/**
 * Turns undici's "fetch failed" into its cause (ECONNREFUSED, ENOTFOUND…), and an abort into "timed
 * out". When something answered but not in HTTP (an SSH or SMTP banner, TLS on an http:// URL),
 * or not in TLS on an https:// URL, the parser's code alone (HPE_INVALID_CONSTANT) tells a person
 * nothing: say what was reached and what was expected instead.
 */
function describeFetchError(error: unknown, timeoutMs: number, url: string): string {
  // Duck-typed, not instanceof: fetch's errors may come from another realm (a test runner's VM).
  const failure = typeof error === 'object' && error !== null ? (error as { name?: string; cause?: { code?: string; message?: string } }) : {};
  if (failure.name === 'TimeoutError' || failure.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const cause = typeof failure.cause === 'object' && failure.cause !== null ? failure.cause : undefined;
  const code = cause?.code;
  if (code !== undefined && (code.startsWith('HPE_') || code.startsWith('ERR_SSL_') || code === 'EPROTO')) return describeWrongProtocol(code, cause?.message, url);
  if (code) return code;
  if (cause?.message) return cause.message;
  return errorMessage(error);
}

function describeWrongProtocol(code: string, detail: string | undefined, url: string): string {
  const { protocol, host, pathname } = new URL(url);
  const why = detail ? ` (${detail.split('\n')[0].slice(0, 120)})` : '';
  if (protocol === 'https:') {
    return `${code}: reached ${host}, but the TLS handshake failed${why}; expected an HTTPS listener there. If the port serves plain HTTP, use an http:// url`;
  }
  return (
    `${code}: reached ${host}, but what answered does not speak HTTP${why}; expected an HTTP server answering GET ${pathname} with the app's details.json. ` +
    'Check the url: its port may belong to another service, or need https://'
  );
}

export interface SampleLoopOptions {
  url: string;
  /** Asked before each tick with the tick's scheduled time; false ends the loop. */
  shouldContinue: (tickAt: number) => boolean;
  onSample: (sample: Sample) => void;
  timeoutMs?: number;
}

/**
 * Samples `url` once per tick of SAMPLE_INTERVAL_MS on the injected clock, one request at a time,
 * until `shouldContinue` says stop. Ticks missed while a request was slow are skipped, not
 * replayed in a burst. Used by the action (for watch-seconds) and by the terminal watcher (until
 * Ctrl-C).
 */
export async function sampleEverySecond(options: SampleLoopOptions, deps: SamplerDeps): Promise<void> {
  const first = deps.clock.now();
  let tick = 0;
  for (;;) {
    const tickAt = first + tick * SAMPLE_INTERVAL_MS;
    if (!options.shouldContinue(tickAt)) return;
    const wait = tickAt - deps.clock.now();
    if (wait > 0) await deps.clock.sleep(wait);
    options.onSample(await takeSample(options.url, deps, options.timeoutMs));
    tick = Math.max(tick + 1, Math.ceil((deps.clock.now() - first) / SAMPLE_INTERVAL_MS));
  }
}

/** Samples for `watchSeconds` seconds: one per second, so about `watchSeconds` samples. */
export async function sampleFor(
  url: string,
  watchSeconds: number,
  deps: SamplerDeps,
  onSample: (sample: Sample) => void = () => undefined,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  const end = deps.clock.now() + watchSeconds * 1_000;
  await sampleEverySecond(
    {
      url,
      shouldContinue: (tickAt) => tickAt < end,
      onSample: (sample) => {
        samples.push(sample);
        onSample(sample);
      },
    },
    deps,
  );
  return samples;
}

/**
 * The URL a sample requests: the load balancer's base URL plus the details path. A trailing slash
 * on the base is dropped so "http://alb/" + "/details.json" does not become "//details.json".
 */
export function detailsUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

/** Totals over a run of samples. */
export interface SampleSummary {
  samples: number;
  errors: number;
  /** errors / samples; 0 when there were no samples. */
  errorRate: number;
  /** Every AMI that answered, in order of first appearance, with how many samples each served. */
  servedAmis: { amiId: string; samples: number }[];
}

export function summariseSamples(samples: readonly Sample[]): SampleSummary {
  const counts = new Map<string, number>();
  let errors = 0;
  for (const sample of samples) {
    if (sample.error !== undefined) errors += 1;
    if (sample.amiId !== undefined) counts.set(sample.amiId, (counts.get(sample.amiId) ?? 0) + 1);
  }
  return {
    samples: samples.length,
    errors,
    errorRate: samples.length === 0 ? 0 : errors / samples.length,
    servedAmis: [...counts].map(([amiId, n]) => ({ amiId, samples: n })),
  };
}

/** "2026-01-01T00:00:01.000Z  200    12 ms  ami-…  i-…" or "…  503     3 ms  error: HTTP 503": one line per sample. */
export function formatSampleLine(sample: Sample): string {
  const status = String(sample.status ?? '---').padEnd(3);
  const latency = `${sample.latencyMs} ms`.padStart(8);
  const what = sample.error === undefined ? `${sample.amiId}  ${sample.instanceId}` : `error: ${sample.error}`;
  return `${new Date(sample.at).toISOString()}  ${status}  ${latency}  ${what}`;
}
