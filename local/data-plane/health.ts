/**
 * STAND-IN for ALB target health (local data plane): the state of one registered target as the
 * load balancer's health checks move it, with the states, reason codes and descriptions
 * DescribeTargetHealth uses. Pure; the load balancer stand-in runs the checks and feeds the results.
 *
 * As documented for Application Load Balancers: a newly registered target is `initial` until it
 * passes one check (then `healthy`) or fails UnhealthyThresholdCount in a row (then `unhealthy`);
 * a healthy target turns unhealthy after UnhealthyThresholdCount consecutive failures, an
 * unhealthy one healthy after HealthyThresholdCount consecutive successes. The matcher is the
 * target group's HttpCode: "200", "200,202" or "200-299".
 */

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused' | 'unavailable';

export interface TargetHealth {
  state: TargetState;
  reason?: string;
  description?: string;
}

/** One target's health and its run of consecutive results. */
export interface HealthRecord extends TargetHealth {
  successes: number;
  failures: number;
  checks: number;
}

/** The outcome of one health check request. */
export type CheckOutcome = { ok: true } | { ok: false; reason: 'Target.ResponseCodeMismatch' | 'Target.Timeout' | 'Target.FailedHealthChecks'; description: string };

export interface Thresholds {
  healthy: number;
  unhealthy: number;
}

export const REGISTRATION_IN_PROGRESS: TargetHealth = {
  state: 'initial',
  reason: 'Elb.RegistrationInProgress',
  description: 'Target registration is in progress',
};

export function newHealthRecord(): HealthRecord {
  return { ...REGISTRATION_IN_PROGRESS, successes: 0, failures: 0, checks: 0 };
}

/** The record after one more check. */
export function recordCheck(record: HealthRecord, outcome: CheckOutcome, thresholds: Thresholds): HealthRecord {
  const successes = outcome.ok ? record.successes + 1 : 0;
  const failures = outcome.ok ? 0 : record.failures + 1;
  const next = { successes, failures, checks: record.checks + 1 };
  const failed = outcome.ok ? undefined : { reason: outcome.reason, description: outcome.description };
  if (record.state === 'initial') {
    if (outcome.ok) return { ...next, state: 'healthy' };
    if (failures >= thresholds.unhealthy) return { ...next, state: 'unhealthy', ...failed };
    return { ...next, state: 'initial', reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress' };
  }
  if (record.state === 'healthy') {
    return failures >= thresholds.unhealthy ? { ...next, state: 'unhealthy', ...failed } : { ...next, state: 'healthy' };
  }
  // unhealthy
  if (successes >= thresholds.healthy) return { ...next, state: 'healthy' };
  return { ...next, state: 'unhealthy', ...(failed ?? { reason: record.reason, description: record.description }) };
}

/** Whether a status code satisfies a matcher such as "200", "200,202" or "200-299". */
export function matcherAccepts(matcher: string, status: number): boolean {
  return matcher.split(',').some((part) => {
    const [low, high] = part.trim().split('-').map(Number);
    return high === undefined ? status === low : status >= low && status <= high;
  });
}

/** DescribeTargetHealth's words for a failed check. */
export function describeFailure(kind: 'status' | 'timeout' | 'connection', detail: string): CheckOutcome {
  if (kind === 'status') return { ok: false, reason: 'Target.ResponseCodeMismatch', description: `Health checks failed with these codes: [${detail}]` };
  if (kind === 'timeout') return { ok: false, reason: 'Target.Timeout', description: 'Request timed out' };
  return { ok: false, reason: 'Target.FailedHealthChecks', description: `Health checks failed (${detail})` };
}
