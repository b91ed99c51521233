import { overlayTargetHealth, type HealthSource } from '../../../local/data-plane/elbv2-front';
import type { TargetHealth } from '../../../local/data-plane/health';

const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef';

/** moto 5.2's DescribeTargetHealth answer, as it serialises it. */
const motoAnswer = (ids: string[]) =>
  `<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeTargetHealthResult>${
    ids.length
      ? `<TargetHealthDescriptions>${ids.map((id) => `<member><Target><Id>${id}</Id><Port>80</Port></Target><HealthCheckPort>traffic-port</HealthCheckPort><TargetHealth><State>healthy</State></TargetHealth></member>`).join('')}</TargetHealthDescriptions>`
      : '<TargetHealthDescriptions/>'
  }</DescribeTargetHealthResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeTargetHealthResponse>`;

function source(health: Record<string, TargetHealth>, draining: string[] = []): HealthSource {
  return { healthOf: (_tg, id) => health[id], drainingTargets: () => draining.map((id) => ({ id, port: 80 })) };
}

const states = (xml: string) => [...xml.matchAll(/<Id>([^<]+)<\/Id>[\s\S]*?<State>([^<]+)<\/State>(?:<Reason>([^<]+)<\/Reason>)?/g)].map((m) => [m[1], m[2], m[3]]);

describe("the data plane's ELBv2 front: DescribeTargetHealth from the stand-in's health checks", () => {
  it("replaces moto's 'healthy' with what the checks measured, reason and description included", () => {
    const xml = overlayTargetHealth(motoAnswer(['i-a', 'i-b']), new URLSearchParams({ TargetGroupArn: TG }), source({
      'i-a': { state: 'healthy' },
      'i-b': { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [503] & more' },
    }));
    expect(states(xml)).toEqual([['i-a', 'healthy', undefined], ['i-b', 'unhealthy', 'Target.ResponseCodeMismatch']]);
    expect(xml).toContain('<Description>Health checks failed with these codes: [503] &amp; more</Description>');
    expect(xml).toContain('<HealthCheckPort>traffic-port</HealthCheckPort>');
  });

  it('lists targets still draining that moto has already forgotten, also into an empty list', () => {
    const draining = { state: 'draining', reason: 'Target.DeregistrationInProgress' } as TargetHealth;
    expect(states(overlayTargetHealth(motoAnswer(['i-a']), new URLSearchParams({ TargetGroupArn: TG }), source({ 'i-a': { state: 'healthy' }, 'i-old': draining }, ['i-old'])))).toEqual([
      ['i-a', 'healthy', undefined],
      ['i-old', 'draining', 'Target.DeregistrationInProgress'],
    ]);
    expect(states(overlayTargetHealth(motoAnswer([]), new URLSearchParams({ TargetGroupArn: TG }), source({ 'i-old': draining }, ['i-old'])))).toEqual([['i-old', 'draining', 'Target.DeregistrationInProgress']]);
  });

  it('adds nothing when the call asked about particular targets', () => {
    const params = new URLSearchParams({ TargetGroupArn: TG, 'Targets.member.1.Id': 'i-a' });
    expect(states(overlayTargetHealth(motoAnswer(['i-a']), params, source({ 'i-a': { state: 'initial', reason: 'Elb.RegistrationInProgress' } }, ['i-old'])))).toEqual([['i-a', 'initial', 'Elb.RegistrationInProgress']]);
  });
});
