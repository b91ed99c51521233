/**
 * STAND-IN for ALB listener rules (local data plane): which rule a request matches and what its
 * action does, on the ELBv2 API's own shapes (as moto returns them from DescribeRules). Pure
 * functions; the load balancer stand-in applies them per request.
 *
 * Modelled as documented for Application Load Balancers: rules in priority order, the default
 * rule last; every condition of a rule must match, any value of a condition may; conditions
 * host-header (case-insensitive), path-pattern (case-sensitive, the path without the query),
 * http-header (name and values case-insensitive), http-request-method (exact), query-string
 * (key/value pairs, key optional) and source-ip (CIDR), each with the wildcards `*` and `?`;
 * actions forward (one target group or several with weights), redirect (with the #{protocol},
 * #{host}, #{port}, #{path}, #{query} placeholders) and fixed-response.
 * Not modelled: authenticate-oidc/cognito actions, target group stickiness, rule limits.
 */
import type { Action, FixedResponseActionConfig, RedirectActionConfig, Rule, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';

/** What the rules look at in a request. */
export interface RequestFacts {
  method: string;
  /** The Host header without the port. */
  host: string;
  /** The path, without the query string. */
  path: string;
  /** The query string without "?", as sent (still URL-encoded). */
  query: string;
  /** Header names lower-case. */
  headers: Record<string, string | string[] | undefined>;
  sourceIp: string;
  /** The listener's protocol and port: what #{protocol} and #{port} stand for. */
  protocol: 'HTTP' | 'HTTPS';
  port: number;
}

/** A terminal action the load balancer carries out. */
export type RoutedAction =
  | { type: 'forward'; targetGroups: { arn: string; weight: number }[] }
  | { type: 'redirect'; status: number; location: string }
  | { type: 'fixed-response'; status: number; contentType?: string; body: string };

/** `*` is any run of characters, `?` exactly one; everything else literal. */
export function wildcardMatches(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's').test(value);
}

/** The rules of a listener in evaluation order: by priority, the default rule last. */
export function orderRules(rules: readonly Rule[]): Rule[] {
  const rank = (rule: Rule) => (rule.IsDefault || rule.Priority === 'default' ? Number.POSITIVE_INFINITY : Number(rule.Priority));
  return [...rules].sort((a, b) => rank(a) - rank(b));
}

/** The first rule (in order) whose conditions all match the request. */
export function selectRule(rules: readonly Rule[], request: RequestFacts): Rule | undefined {
  return orderRules(rules).find((rule) => (rule.Conditions ?? []).every((condition) => conditionMatches(condition, request)));
}

export function conditionMatches(condition: RuleCondition, request: RequestFacts): boolean {
  switch (condition.Field) {
    case 'host-header':
      return anyOf(condition.HostHeaderConfig?.Values ?? condition.Values, (v) => wildcardMatches(v, request.host, true));
    case 'path-pattern':
      return anyOf(condition.PathPatternConfig?.Values ?? condition.Values, (v) => wildcardMatches(v, request.path, false));
    case 'http-header': {
      const name = condition.HttpHeaderConfig?.HttpHeaderName?.toLowerCase() ?? '';
      const raw = request.headers[name];
      const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      return anyOf(condition.HttpHeaderConfig?.Values, (v) => values.some((h) => wildcardMatches(v, h, true)));
    }
    case 'http-request-method':
      return anyOf(condition.HttpRequestMethodConfig?.Values, (v) => v === request.method);
    case 'query-string': {
      const pairs = [...new URLSearchParams(request.query)];
      return (condition.QueryStringConfig?.Values ?? []).some((want) =>
        pairs.some(([key, value]) => (want.Key === undefined || wildcardMatches(want.Key, key, true)) && wildcardMatches(want.Value ?? '', value, true)),
      );
    }
    case 'source-ip':
      return anyOf(condition.SourceIpConfig?.Values, (cidr) => ipv4InCidr(request.sourceIp, cidr));
    default:
      // A condition the stand-in does not know must not match silently: nothing would reveal the gap.
      throw new Error(`STAND-IN load balancer: rule condition ${condition.Field} is not modelled`);
  }
}

function anyOf(values: readonly string[] | undefined, test: (value: string) => boolean): boolean {
  return (values ?? []).some(test);
}

function ipv4InCidr(ip: string, cidr: string): boolean {
  const [base, bits = '32'] = cidr.split('/');
  const toNumber = (address: string) => address.replace(/^::ffff:/, '').split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const block = 2 ** (32 - Number(bits));
  return Math.floor(toNumber(ip) / block) === Math.floor(toNumber(base) / block);
}

/**
 * The action that answers the request: the rule's actions in Order, the first terminal one
 * (forward, redirect, fixed-response). Authenticate actions, which would come first, are refused.
 */
export function resolveAction(actions: readonly Action[], request: RequestFacts): RoutedAction {
  const ordered = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
  for (const action of ordered) {
    if (action.Type === 'forward') {
      const groups = action.ForwardConfig?.TargetGroups?.length
        ? action.ForwardConfig.TargetGroups.map((g) => ({ arn: g.TargetGroupArn ?? '', weight: g.Weight ?? 1 }))
        : [{ arn: action.TargetGroupArn ?? '', weight: 1 }];
      return { type: 'forward', targetGroups: groups };
    }
    if (action.Type === 'redirect') return redirect(action, request);
    if (action.Type === 'fixed-response') {
      const config: Partial<FixedResponseActionConfig> = action.FixedResponseConfig ?? {};
      return { type: 'fixed-response', status: Number(config.StatusCode ?? 200), contentType: config.ContentType, body: config.MessageBody ?? '' };
    }
    throw new Error(`STAND-IN load balancer: action ${action.Type} is not modelled`);
  }
  throw new Error('STAND-IN load balancer: the rule has no terminal action');
}

function redirect(action: Action, request: RequestFacts): RoutedAction {
  const config: Partial<RedirectActionConfig> = action.RedirectConfig ?? {};
  const fill = (template: string | undefined, fallback: string) =>
    (template ?? fallback)
      .replace(/#\{protocol\}/g, request.protocol.toLowerCase())
      .replace(/#\{host\}/g, request.host)
      .replace(/#\{port\}/g, String(request.port))
      .replace(/#\{path\}/g, request.path.replace(/^\//, ''))
      .replace(/#\{query\}/g, request.query);
  const protocol = fill(config.Protocol, '#{protocol}').toLowerCase();
  const host = fill(config.Host, '#{host}');
  const port = fill(config.Port, '#{port}');
  const path = fill(config.Path, '/#{path}');
  const query = fill(config.Query, '#{query}');
  const defaultPort = (protocol === 'https' && port === '443') || (protocol === 'http' && port === '80');
  const location = `${protocol}://${host}${defaultPort ? '' : `:${port}`}${path.startsWith('/') ? path : `/${path}`}${query ? `?${query}` : ''}`;
  return { type: 'redirect', status: config.StatusCode === 'HTTP_302' ? 302 : 301, location };
}

/**
 * Weighted choice among a forward's target groups: smooth weighted round robin (each group gets
 * its weight's share of every run of requests, interleaved), so a 90/10 split is exact over ten
 * requests instead of only on average. Groups of weight 0 get nothing. `state` is kept per forward.
 */
export function chooseTargetGroup(groups: readonly { arn: string; weight: number }[], state: Map<string, number>): string | undefined {
  const live = groups.filter((g) => g.weight > 0);
  if (live.length === 0) return undefined;
  const total = live.reduce((sum, g) => sum + g.weight, 0);
  let best: { arn: string; score: number } | undefined;
  for (const group of live) {
    const score = (state.get(group.arn) ?? 0) + group.weight;
    state.set(group.arn, score);
    if (!best || score > best.score) best = { arn: group.arn, score };
  }
  state.set(best!.arn, best!.score - total);
  return best!.arn;
}
