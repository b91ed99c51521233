import type { Rule } from '@aws-sdk/client-elastic-load-balancing-v2';

import { chooseTargetGroup, resolveAction, selectRule, wildcardMatches, type RequestFacts } from '../../../local/data-plane/rules';

const request = (overrides: Partial<RequestFacts> = {}): RequestFacts => ({
  method: 'GET',
  host: 'app.example.com',
  path: '/details.json',
  query: '',
  headers: {},
  sourceIp: '127.0.0.1',
  protocol: 'HTTP',
  port: 80,
  ...overrides,
});

const forward = (arn: string) => [{ Type: 'forward' as const, TargetGroupArn: arn }];
const rules: Rule[] = [
  { RuleArn: 'default', Priority: 'default', IsDefault: true, Conditions: [], Actions: forward('blue') },
  { RuleArn: 'header', Priority: '10', Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Slot', Values: ['green'] } }], Actions: forward('green') },
  { RuleArn: 'path', Priority: '5', Conditions: [{ Field: 'path-pattern', Values: ['/admin/*'] }, { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['POST'] } }], Actions: forward('admin') },
  { RuleArn: 'host', Priority: '20', Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['*.internal'] } }], Actions: forward('internal') },
  { RuleArn: 'query', Priority: '30', Conditions: [{ Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'slot', Value: 'g*' }] } }], Actions: forward('query') },
  { RuleArn: 'ip', Priority: '40', Conditions: [{ Field: 'source-ip', SourceIpConfig: { Values: ['10.1.0.0/16'] } }], Actions: forward('ip') },
];

describe('listener rules (STAND-IN of ALB rule evaluation)', () => {
  it.each([
    ['no condition matches: the default rule', request(), 'default'],
    ['a header condition, case-insensitive on name and value', request({ headers: { 'x-slot': 'GREEN' } }), 'header'],
    ['a header with another value does not match', request({ headers: { 'x-slot': 'blue' } }), 'default'],
    ['every condition of a rule must match (path and method)', request({ path: '/admin/users', method: 'POST' }), 'path'],
    ['one failing condition sends it on (GET on the admin path)', request({ path: '/admin/users' }), 'default'],
    ['lower priority numbers win', request({ path: '/admin/x', method: 'POST', headers: { 'x-slot': 'green' } }), 'path'],
    ['host wildcards, case-insensitive', request({ host: 'API.Internal' }), 'host'],
    ['query-string key and value wildcard', request({ query: 'a=1&slot=green' }), 'query'],
    ['source-ip CIDR', request({ sourceIp: '10.1.200.3' }), 'ip'],
    ['source-ip outside the CIDR', request({ sourceIp: '10.2.0.1' }), 'default'],
  ])('%s', (_name, facts, expected) => {
    expect(selectRule(rules, facts)?.RuleArn).toBe(expected);
  });

  it('path patterns are case-sensitive and ignore the query string', () => {
    expect(wildcardMatches('/Admin/*', '/admin/x', false)).toBe(false);
    expect(selectRule(rules, request({ path: '/admin/x', method: 'POST', query: 'q=1' }))?.RuleArn).toBe('path');
  });

  it('refuses a condition it does not model instead of silently not matching', () => {
    expect(() => selectRule([{ RuleArn: 'x', Priority: '1', Conditions: [{ Field: 'geo-match' }], Actions: forward('a') }], request())).toThrow(/not modelled/);
  });
});

describe('actions', () => {
  it('a forward with ForwardConfig carries every group and weight', () => {
    expect(resolveAction([{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'blue', Weight: 90 }, { TargetGroupArn: 'green', Weight: 10 }] } }], request())).toEqual({
      type: 'forward',
      targetGroups: [{ arn: 'blue', weight: 90 }, { arn: 'green', weight: 10 }],
    });
  });

  it('a redirect fills the placeholders and drops default ports', () => {
    const action = resolveAction(
      [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', Host: '#{host}', Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_301' } }],
      request({ path: '/details.php', query: 'x=1' }),
    );
    expect(action).toEqual({ type: 'redirect', status: 301, location: 'https://app.example.com/details.php?x=1' });
  });

  it('a fixed response', () => {
    expect(resolveAction([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '418', ContentType: 'text/plain', MessageBody: 'teapot' } }], request())).toEqual({
      type: 'fixed-response',
      status: 418,
      contentType: 'text/plain',
      body: 'teapot',
    });
  });
});

describe('weighted target groups', () => {
  it('splits exactly by weight over each run of requests, interleaved', () => {
    const state = new Map<string, number>();
    const picks = Array.from({ length: 20 }, () => chooseTargetGroup([{ arn: 'blue', weight: 3 }, { arn: 'green', weight: 1 }], state));
    expect(picks.filter((p) => p === 'blue')).toHaveLength(15);
    expect(picks.slice(0, 4).sort()).toEqual(['blue', 'blue', 'blue', 'green']);
  });

  it('a group of weight 0 gets nothing; all at 0 means no group', () => {
    const state = new Map<string, number>();
    expect(new Set(Array.from({ length: 10 }, () => chooseTargetGroup([{ arn: 'blue', weight: 0 }, { arn: 'green', weight: 5 }], state)))).toEqual(new Set(['green']));
    expect(chooseTargetGroup([{ arn: 'blue', weight: 0 }], new Map())).toBeUndefined();
  });
});
