/**
 * STAND-IN: the Application Load Balancer's data plane, for the load balancers moto holds (moto
 * has none: its ALB DNS names do not resolve and nothing answers behind them). Each HTTP listener
 * moto has gets a port on 127.0.0.1; requests are routed by the listener's rules as moto holds
 * them (rules.ts), to targets as registered in moto, whose health this stand-in checks itself
 * with real HTTP requests to the instance processes (health.ts), with each target group's path,
 * port, interval, timeout, thresholds and matcher.
 *
 * Modelled: rule conditions and actions (rules.ts); weighted forwards; round robin among the
 * healthy targets of a group; fail-open (no healthy target: every registered target that is
 * initial or unhealthy gets traffic, as ALB documents); 503 when a group has no target to send to;
 * 502 when a target refuses the connection or dies mid-request, 504 when it does not answer
 * within the idle timeout; deregistration: a target that leaves its group is `draining` for the
 * deregistration delay, gets no new requests, finishes those in flight until the delay ends and
 * is then cut off; targets whose instance is not running are `unused` (Target.InvalidState);
 * groups no listener forwards to are not health-checked (Target.NotInUse).
 * Not modelled: HTTPS listeners (TLS), multiple load balancer nodes and zones (one node checks and
 * routes), cross-zone settings, slow start, least-outstanding-requests, stickiness, target group
 * health thresholds (minimum healthy targets for fail-open), connection reuse, HTTP/2, WebSockets,
 * access logs and CloudWatch metrics, ip and lambda targets.
 *
 * Time scale: with `timeScale` N above 1, every target-group duration (health-check interval and
 * timeout, deregistration delay) runs N times faster; thresholds stay counts. The local cycle runs
 * at a scale so that a cutover takes seconds; the log says so at start.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { errorMessage } from '../../actions/lib/errors';
import type { Elbv2State, ListenerState, TargetGroupState } from './elbv2-state';
import { describeFailure, matcherAccepts, newHealthRecord, recordCheck, REGISTRATION_IN_PROGRESS, type CheckOutcome, type HealthRecord, type TargetHealth } from './health';
import { chooseTargetGroup, resolveAction, selectRule, type RequestFacts } from './rules';

/** Where an instance's port answers on this machine, and what EC2 says about the instance. */
export interface TargetResolver {
  endpointOf(instanceId: string, port: number): string | undefined;
  instanceState(instanceId: string): string | undefined;
}

export interface LoadBalancerOptions {
  timeScale: number;
  log: (line: string) => void;
  /** Upstream timeout: ALB's idle timeout (60 s by default), not scaled (it is about requests, not the cutover). */
  idleTimeoutMs?: number;
}

interface TrackedTarget {
  targetGroupArn: string;
  id: string;
  port: number;
  health: HealthRecord;
  /** Epoch ms when the deregistration delay ends; set while draining. */
  drainingUntil?: number;
  timer?: NodeJS.Timeout;
  checking: boolean;
  inFlight: Set<ClientRequest>;
}

interface ListenerServer {
  listener: ListenerState;
  server: Server;
  url: string;
  dnsName: string;
}

const STANDIN_SERVER_HEADER = 'awselb/2.0 (local data plane STAND-IN)';

export class LoadBalancerStandin {
  private state: Elbv2State = { loadBalancers: [], targetGroups: new Map() };
  private readonly targets = new Map<string, TrackedTarget>();
  private readonly listeners = new Map<string, ListenerServer>();
  private readonly roundRobin = new Map<string, number>();
  private readonly weights = new Map<string, Map<string, number>>();
  private stopped = false;

  constructor(
    private readonly resolver: TargetResolver,
    private readonly options: LoadBalancerOptions,
  ) {}

  /** The loopback URL of a listener, by the load balancer's DNS name or ARN and the listener port. */
  listenerUrl(loadBalancer: string, port = 80): string | undefined {
    return [...this.listeners.values()].find((l) => (l.dnsName === loadBalancer || l.listener.loadBalancerArn === loadBalancer) && l.listener.port === port)?.url;
  }

  /** Every listener served: load balancer DNS name, listener port, loopback URL. */
  listenerUrls(): { dnsName: string; port: number; url: string }[] {
    return [...this.listeners.values()].map((l) => ({ dnsName: l.dnsName, port: l.listener.port, url: l.url }));
  }

  /** A target's health as DescribeTargetHealth reports it (what the ELBv2 front answers). */
  healthOf(targetGroupArn: string, id: string, port: number): TargetHealth {
    const tracked = this.targets.get(key(targetGroupArn, id, port));
    if (!tracked) return this.state.targetGroups.has(targetGroupArn) ? REGISTRATION_IN_PROGRESS : { state: 'unused', reason: 'Target.NotRegistered', description: 'Target is not registered to the target group' };
    return this.effectiveHealth(tracked);
  }

  /** The checked record (state and the run of results), for tests that count checks. */
  healthRecord(targetGroupArn: string, id: string, port: number): HealthRecord | undefined {
    const tracked = this.targets.get(key(targetGroupArn, id, port));
    return tracked ? { ...tracked.health } : undefined;
  }

  /** Targets of a group in their deregistration delay (moto no longer lists them). */
  drainingTargets(targetGroupArn: string): { id: string; port: number }[] {
    return [...this.targets.values()].filter((t) => t.targetGroupArn === targetGroupArn && t.drainingUntil !== undefined).map((t) => ({ id: t.id, port: t.port }));
  }

  /** Takes a new view of moto's ELBv2 state: listeners opened or closed, targets tracked, drained or forgotten. */
  async apply(state: Elbv2State): Promise<void> {
    if (this.stopped) return;
    this.state = state;
    await this.applyListeners(state);
    const now = Date.now();
    const registered = new Set<string>();
    for (const group of state.targetGroups.values()) {
      for (const target of group.targets) {
        const k = key(group.arn, target.id, target.port);
        registered.add(k);
        const tracked = this.targets.get(k);
        if (!tracked) {
          this.track(group, target);
        } else if (tracked.drainingUntil !== undefined) {
          // Registered again while draining: it starts over as a new registration.
          this.forget(tracked);
          this.track(group, target);
        }
      }
    }
    for (const tracked of [...this.targets.values()]) {
      if (registered.has(key(tracked.targetGroupArn, tracked.id, tracked.port)) || tracked.drainingUntil !== undefined) continue;
      const group = state.targetGroups.get(tracked.targetGroupArn);
      const delayMs = group ? (group.deregistrationDelaySeconds * 1000) / this.options.timeScale : 0;
      if (delayMs <= 0) {
        this.forget(tracked);
        continue;
      }
      tracked.drainingUntil = now + delayMs;
      clearTimeout(tracked.timer);
      tracked.timer = setTimeout(() => this.finishDraining(tracked), delayMs);
      this.options.log(`target ${tracked.id}:${tracked.port} deregistered from ${nameOf(tracked.targetGroupArn)}: draining for ${formatMs(delayMs)} (in flight: ${tracked.inFlight.size})`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const tracked of this.targets.values()) this.forget(tracked);
    await Promise.all([...this.listeners.values()].map((l) => closeServer(l.server)));
    this.listeners.clear();
  }

  // ---- listeners ---------------------------------------------------------------------------

  private async applyListeners(state: Elbv2State): Promise<void> {
    const wanted = new Map<string, { listener: ListenerState; dnsName: string }>();
    for (const lb of state.loadBalancers) {
      for (const listener of lb.listeners) {
        if (listener.protocol !== 'HTTP') continue; // TLS is not modelled; an HTTPS listener is reported once at open time
        wanted.set(listener.arn, { listener, dnsName: lb.dnsName });
      }
    }
    for (const [arn, open] of [...this.listeners]) {
      if (wanted.has(arn)) {
        open.listener = wanted.get(arn)!.listener;
        continue;
      }
      this.listeners.delete(arn);
      await closeServer(open.server);
      this.options.log(`listener ${open.dnsName}:${open.listener.port} closed (gone from moto)`);
    }
    for (const [arn, { listener, dnsName }] of wanted) {
      if (this.listeners.has(arn)) continue;
      const server = createServer((req, res) => this.handle(arn, req, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      this.listeners.set(arn, { listener, server, url, dnsName });
      this.options.log(`listener ${dnsName}:${listener.port} (HTTP) answers on ${url}`);
    }
  }

  // ---- targets and health checks -----------------------------------------------------------

  private track(group: TargetGroupState, target: { id: string; port: number }): void {
    const tracked: TrackedTarget = { targetGroupArn: group.arn, id: target.id, port: target.port, health: newHealthRecord(), checking: false, inFlight: new Set() };
    this.targets.set(key(group.arn, target.id, target.port), tracked);
    this.options.log(`target ${target.id}:${target.port} registered in ${group.name}: initial`);
    // ALB starts checking a target as soon as it is registered.
    tracked.timer = setTimeout(() => void this.check(tracked), 0);
  }

  private forget(tracked: TrackedTarget): void {
    clearTimeout(tracked.timer);
    for (const request of tracked.inFlight) request.destroy(new Error('target deregistered'));
    this.targets.delete(key(tracked.targetGroupArn, tracked.id, tracked.port));
  }

  private finishDraining(tracked: TrackedTarget): void {
    const cut = tracked.inFlight.size;
    this.forget(tracked);
    this.options.log(`target ${tracked.id}:${tracked.port} finished draining from ${nameOf(tracked.targetGroupArn)}${cut ? `; ${cut} request(s) still in flight were cut off` : ''}`);
  }

  /** The health DescribeTargetHealth shows: the checked state, unless the group or instance rules it out. */
  private effectiveHealth(tracked: TrackedTarget): TargetHealth {
    if (tracked.drainingUntil !== undefined) return { state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress' };
    const group = this.state.targetGroups.get(tracked.targetGroupArn);
    if (group && group.loadBalancerArns.length === 0) {
      return { state: 'unused', reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer' };
    }
    if (!tracked.id.startsWith('i-')) return { state: 'unused', reason: 'Target.InvalidState', description: 'STAND-IN: only instance targets are modelled' };
    const instanceState = this.resolver.instanceState(tracked.id);
    if (instanceState !== 'running') return { state: 'unused', reason: 'Target.InvalidState', description: `Target is in the ${instanceState ?? 'unknown'} state` };
    if (group && !group.healthCheck.enabled) return { state: 'unavailable', reason: 'Target.HealthCheckDisabled', description: 'Health checks are disabled' };
    const { state, reason, description } = tracked.health;
    return { state, reason, description };
  }

  private async check(tracked: TrackedTarget): Promise<void> {
    if (this.stopped || tracked.drainingUntil !== undefined || !this.targets.has(key(tracked.targetGroupArn, tracked.id, tracked.port))) return;
    const group = this.state.targetGroups.get(tracked.targetGroupArn);
    if (!group) return;
    const settings = group.healthCheck;
    const intervalMs = (settings.intervalSeconds * 1000) / this.options.timeScale;
    const runs = this.effectiveHealth(tracked).state;
    if (runs !== 'unused' && runs !== 'unavailable' && !tracked.checking) {
      tracked.checking = true;
      const outcome = await this.probe(tracked, group);
      tracked.checking = false;
      if (tracked.drainingUntil !== undefined || !this.targets.has(key(tracked.targetGroupArn, tracked.id, tracked.port))) return;
      const before = tracked.health.state;
      tracked.health = recordCheck(tracked.health, outcome, { healthy: settings.healthyThreshold, unhealthy: settings.unhealthyThreshold });
      if (tracked.health.state !== before) {
        this.options.log(`target ${tracked.id}:${tracked.port} in ${group.name}: ${before} → ${tracked.health.state}${tracked.health.reason ? ` (${tracked.health.reason}: ${tracked.health.description})` : ''}`);
      }
    }
    // The next check is one interval after this one started, whatever it took (as ALB documents).
    tracked.timer = setTimeout(() => void this.check(tracked), intervalMs);
  }

  /** One health check request: GET <path> on the health-check port, with the group's timeout and matcher. */
  private probe(tracked: TrackedTarget, group: TargetGroupState): Promise<CheckOutcome> {
    const settings = group.healthCheck;
    const port = settings.port === 'traffic-port' ? tracked.port : Number(settings.port);
    const endpoint = this.resolver.endpointOf(tracked.id, port);
    if (!endpoint) return Promise.resolve(describeFailure('connection', `connection refused on port ${port}`));
    const timeoutMs = (settings.timeoutSeconds * 1000) / this.options.timeScale;
    return new Promise((resolve) => {
      const request = httpRequest(`${endpoint}${settings.path}`, { method: 'GET', agent: false, headers: { 'user-agent': 'ELB-HealthChecker/2.0', host: tracked.id } }, (response) => {
        response.resume();
        response.once('end', () => {
          const status = response.statusCode ?? 0;
          resolve(matcherAccepts(settings.matcher, status) ? { ok: true } : describeFailure('status', String(status)));
        });
      });
      request.setTimeout(timeoutMs, () => request.destroy(new TimeoutMarker()));
      request.once('error', (error) => resolve(error instanceof TimeoutMarker ? describeFailure('timeout', '') : describeFailure('connection', errorMessage(error))));
      request.end();
    });
  }

  // ---- requests ----------------------------------------------------------------------------

  private handle(listenerArn: string, req: IncomingMessage, res: ServerResponse): void {
    const open = this.listeners.get(listenerArn);
    if (!open) return respond(res, 503, 'Service Temporarily Unavailable');
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const facts: RequestFacts = {
      method: req.method ?? 'GET',
      host: (req.headers.host ?? '').replace(/:\d+$/, ''),
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      headers: req.headers,
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      protocol: 'HTTP',
      port: open.listener.port,
    };
    let action;
    let ruleArn = '';
    try {
      const rule = selectRule(open.listener.rules, facts);
      if (!rule) return respond(res, 503, 'Service Temporarily Unavailable');
      ruleArn = rule.RuleArn ?? '';
      action = resolveAction(rule.Actions ?? [], facts);
    } catch (error) {
      this.options.log(`listener ${open.dnsName}:${open.listener.port}: ${errorMessage(error)}`);
      return respond(res, 500, 'Internal Server Error');
    }
    if (action.type === 'redirect') {
      res.writeHead(action.status, { location: action.location, server: STANDIN_SERVER_HEADER, 'content-length': '0' }).end();
      return;
    }
    if (action.type === 'fixed-response') {
      res.writeHead(action.status, { 'content-type': action.contentType ?? 'text/plain', server: STANDIN_SERVER_HEADER }).end(action.body);
      return;
    }
    const weights = this.weights.get(ruleArn) ?? new Map<string, number>();
    this.weights.set(ruleArn, weights);
    const groupArn = chooseTargetGroup(action.targetGroups, weights);
    const target = groupArn ? this.pickTarget(groupArn) : undefined;
    if (!target) return respond(res, 503, 'Service Temporarily Unavailable');
    this.forward(target, open, req, res);
  }

  /**
   * Round robin among the group's healthy targets; with none healthy, among every registered
   * target that is initial or unhealthy (ALB's fail-open). Draining and unused targets never.
   */
  private pickTarget(groupArn: string): TrackedTarget | undefined {
    const members = [...this.targets.values()].filter((t) => t.targetGroupArn === groupArn).sort((a, b) => a.id.localeCompare(b.id));
    const states = members.map((t) => ({ t, state: this.effectiveHealth(t).state }));
    let eligible = states.filter((s) => s.state === 'healthy' || s.state === 'unavailable').map((s) => s.t);
    if (eligible.length === 0) eligible = states.filter((s) => s.state === 'initial' || s.state === 'unhealthy').map((s) => s.t);
    if (eligible.length === 0) return undefined;
    const turn = this.roundRobin.get(groupArn) ?? 0;
    this.roundRobin.set(groupArn, turn + 1);
    return eligible[turn % eligible.length];
  }

  private forward(target: TrackedTarget, open: ListenerServer, req: IncomingMessage, res: ServerResponse): void {
    const endpoint = this.resolver.endpointOf(target.id, target.port);
    if (!endpoint) return respond(res, 502, 'Bad Gateway');
    const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress?.replace(/^::ffff:/, '')].filter(Boolean).join(', ');
    const headers = {
      ...req.headers,
      'x-forwarded-for': forwardedFor,
      'x-forwarded-proto': 'http',
      'x-forwarded-port': String(open.listener.port),
      'x-amzn-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`,
    };
    const upstream = httpRequest(`${endpoint}${req.url ?? '/'}`, { method: req.method, headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.once('end', () => target.inFlight.delete(upstream));
      answer.once('error', () => res.destroy());
    });
    target.inFlight.add(upstream);
    upstream.setTimeout(this.options.idleTimeoutMs ?? 60_000, () => upstream.destroy(new TimeoutMarker()));
    upstream.once('error', (error) => {
      target.inFlight.delete(upstream);
      if (res.headersSent) return void res.destroy();
      respond(res, error instanceof TimeoutMarker ? 504 : 502, error instanceof TimeoutMarker ? 'Gateway Time-out' : 'Bad Gateway');
    });
    req.pipe(upstream);
  }
}

class TimeoutMarker extends Error {}

function key(targetGroupArn: string, id: string, port: number): string {
  return `${targetGroupArn}|${id}|${port}`;
}

function nameOf(targetGroupArn: string): string {
  return targetGroupArn.split('/').slice(-2, -1)[0] ?? targetGroupArn;
}

function formatMs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** An answer of the load balancer itself, in ALB's words (its error pages are this HTML). */
function respond(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return void res.destroy();
  const body = `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n</body>\r\n</html>\r\n`;
  res.writeHead(status, { 'content-type': 'text/html', server: STANDIN_SERVER_HEADER, 'content-length': Buffer.byteLength(body) }).end(body);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
