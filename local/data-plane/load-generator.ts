/**
 * The users of the local cycle: a bounded load generator against a load balancer listener of the
 * local data plane. Loopback only, a fixed request rate (open loop, as users arrive whether or not
 * the last one got an answer, with a cap on requests in flight), and it stops by itself after
 * `maxSeconds`. Every answer is read with verify-alb's own sampler (takeSample), so a "failed
 * request" and "the AMI that served it" mean exactly what they mean to verify-alb.
 */
import { systemClock } from '../../actions/lib/clock';
import { detailsUrl, type Sample, takeSample } from '../../actions/lib/verify/sampler';

export interface LoadGeneratorOptions {
  /** The listener's base URL; must be on 127.0.0.1 or localhost. */
  url: string;
  /** Default /details.json. */
  path?: string;
  /** Requests per second. */
  ratePerSecond: number;
  /** Hard stop, whatever happens to the caller. */
  maxSeconds: number;
  /** More than this many unanswered requests and a tick is skipped (and counted). Default 20. */
  maxInFlight?: number;
}

export interface TrafficWindow {
  from: number;
  to: number;
  requests: number;
  failed: number;
  /** Failed requests by what went wrong ("HTTP 503", "ECONNREFUSED"…). */
  failures: Record<string, number>;
  /** Answers per AMI, in order of first answer. */
  byAmi: { amiId: string; requests: number; first: number; last: number }[];
}

export class LoadGenerator {
  readonly samples: Sample[] = [];
  skipped = 0;
  private timer?: NodeJS.Timeout;
  private stopTimer?: NodeJS.Timeout;
  private inFlight = new Set<Promise<void>>();
  private readonly url: string;

  constructor(private readonly options: LoadGeneratorOptions) {
    const { hostname } = new URL(options.url);
    if (hostname !== '127.0.0.1' && hostname !== 'localhost') {
      throw new Error(`The local load generator only sends to loopback; ${options.url} is not (use the data plane's listener URL).`);
    }
    if (!(options.ratePerSecond > 0 && options.ratePerSecond <= 50)) throw new Error(`ratePerSecond must be in (0, 50], got ${options.ratePerSecond}`);
    this.url = detailsUrl(options.url, options.path ?? '/details.json');
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), 1000 / this.options.ratePerSecond);
    this.stopTimer = setTimeout(() => void this.stop(), this.options.maxSeconds * 1000);
  }

  /** Stops sending and waits for the answers still in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.stopTimer);
    this.timer = undefined;
    await Promise.all([...this.inFlight]);
  }

  /** What the users saw between two instants (epoch ms; a request counts where it was sent). */
  window(from: number, to: number): TrafficWindow {
    return summariseTraffic(this.samples.filter((s) => s.at >= from && s.at < to), from, to);
  }

  private tick(): void {
    if (this.inFlight.size >= (this.options.maxInFlight ?? 20)) {
      this.skipped += 1;
      return;
    }
    // Who answered an error: the load balancer itself (no target to send to, a target that refused
    // the connection) or a target (the app's own 5xx). ALB's metrics tell these apart the same way.
    let fromLoadBalancer = false;
    const fetchAndNote = async (url: string, init: Parameters<typeof fetch>[1]) => {
      const response = await fetch(url, init);
      fromLoadBalancer = /^awselb\//.test(response.headers.get('server') ?? '');
      return response;
    };
    const request = takeSample(this.url, { fetch: fetchAndNote, clock: systemClock }).then((sample) => {
      this.samples.push(sample.error !== undefined && sample.status !== undefined ? { ...sample, error: `${sample.error} from the ${fromLoadBalancer ? 'load balancer' : 'target'}` } : sample);
    });
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }
}

export function summariseTraffic(samples: readonly Sample[], from: number, to: number): TrafficWindow {
  const failures: Record<string, number> = {};
  const byAmi = new Map<string, { amiId: string; requests: number; first: number; last: number }>();
  for (const sample of [...samples].sort((a, b) => a.at - b.at)) {
    if (sample.error !== undefined) {
      failures[sample.error] = (failures[sample.error] ?? 0) + 1;
      continue;
    }
    const ami = sample.amiId ?? 'unknown';
    const entry = byAmi.get(ami) ?? { amiId: ami, requests: 0, first: sample.at, last: sample.at };
    entry.requests += 1;
    entry.last = sample.at;
    byAmi.set(ami, entry);
  }
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  return { from, to, requests: samples.length, failed, failures, byAmi: [...byAmi.values()] };
}
