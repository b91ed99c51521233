import { describeFailure, matcherAccepts, newHealthRecord, recordCheck, type CheckOutcome, type HealthRecord } from '../../../local/data-plane/health';

const ok: CheckOutcome = { ok: true };
const bad = describeFailure('status', '503');
const thresholds = { healthy: 3, unhealthy: 2 };
const run = (outcomes: CheckOutcome[], start: HealthRecord = newHealthRecord()) => outcomes.reduce((r, o) => recordCheck(r, o, thresholds), start);

describe('target health (STAND-IN of ALB health checks)', () => {
  it('a new target is initial until its first passing check', () => {
    expect(newHealthRecord()).toMatchObject({ state: 'initial', reason: 'Elb.RegistrationInProgress' });
    expect(run([ok]).state).toBe('healthy');
  });

  it('a new target failing UnhealthyThresholdCount checks in a row is unhealthy, with the reason', () => {
    expect(run([bad])).toMatchObject({ state: 'initial', reason: 'Elb.InitialHealthChecking' });
    expect(run([bad, bad])).toMatchObject({ state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [503]' });
  });

  it('healthy turns unhealthy only after UnhealthyThresholdCount consecutive failures', () => {
    expect(run([ok, bad]).state).toBe('healthy');
    expect(run([ok, bad, ok, bad]).state).toBe('healthy');
    expect(run([ok, bad, bad]).state).toBe('unhealthy');
  });

  it('unhealthy turns healthy only after HealthyThresholdCount consecutive successes', () => {
    const unhealthy = run([bad, bad]);
    expect(run([ok, ok], unhealthy)).toMatchObject({ state: 'unhealthy', reason: 'Target.ResponseCodeMismatch' });
    expect(run([ok, ok, bad, ok, ok], unhealthy).state).toBe('unhealthy');
    expect(run([ok, ok, ok], unhealthy)).toEqual({ state: 'healthy', successes: 3, failures: 0, checks: 5 });
  });

  it.each([
    ['200', 200, true],
    ['200', 204, false],
    ['200,202', 202, true],
    ['200-299', 299, true],
    ['200-299', 302, false],
    ['200-399,404', 404, true],
  ])('matcher %s accepts %i: %s', (matcher, status, expected) => {
    expect(matcherAccepts(matcher, status)).toBe(expected);
  });
});
