/**
 * A model of the blue/green cutover on AWS (`AutoScalingReplacingUpdate` behind one target group):
 * when green serves, when blue is gone, when the deploy job knows, and how long a bad AMI takes to
 * roll back, from the settings that bound it (deregistration delay, health-check
 * interval × threshold, CreationPolicy timeout, poll lag) plus a few stated assumptions.
 *
 * The formula, all times in seconds after the change set is executed:
 *   registered  = changeSet + launch                        (ASG registers green once InService)
 *   appReady    = registered + boot                         (boot + cfn-init + app start, local check passes)
 *   signalled   = appReady + signalDelay                    (the bootstrap's wait before cfn-signal, if any)
 *   checks run at registered + k × interval, k = 1, 2, …
 *   failed      = checks before appReady; if failed ≥ unhealthyThreshold the target went unhealthy
 *   greenHealthy = first check ≥ appReady, + (healthyThreshold − 1) × interval if it went unhealthy
 *                  (a newly registered target needs one passing check, ELB user guide)
 *   blueLeaves  = signalled + monitoring + cfnCleanup       (signals received, rollback-trigger window
 *                                                            over → old ASG deleted)
 *   gap         = max(0, greenHealthy − blueLeaves)         (no healthy target: the ALB fails open)
 *   complete    = blueLeaves + deregistrationDelay + terminate
 *   noticed     = complete + waiter lag (poll() ≤ 5 s; SDK waiter ≤ 120 s)
 *   badAmiRolledBack = changeSet + signalTimeout + terminate   (green never signals, never served: no drain)
 */

/** The template settings the cutover depends on. */
export interface CutoverSettings {
  healthCheckIntervalSeconds: number;
  healthCheckTimeoutSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
  deregistrationDelaySeconds: number;
  /** CreationPolicy ResourceSignal Timeout, in seconds. */
  signalTimeoutSeconds: number;
  healthCheckGracePeriodSeconds: number;
  healthCheckType: string;
  /**
   * How long the instance bootstrap waits between its local check and cfn-signal, so that the ALB
   * counts green healthy before CloudFormation deletes blue (app.yaml: `AlbSettleSeconds`). 0 when
   * the bootstrap signals at once, as most templates (and the seed lab) do.
   */
  signalDelaySeconds: number;
}

/**
 * What AWS does when a template says nothing: ALB target group HTTP defaults (interval 30 s,
 * timeout 5 s, healthy 5, unhealthy 2, deregistration delay 300 s), CreationPolicy Timeout PT5M,
 * ASG HealthCheckType EC2 and grace period 0 (CLI/SDK/CloudFormation; the console uses 300).
 */
export const AWS_DEFAULT_SETTINGS: Readonly<CutoverSettings> = Object.freeze({
  healthCheckIntervalSeconds: 30,
  healthCheckTimeoutSeconds: 5,
  healthyThresholdCount: 5,
  unhealthyThresholdCount: 2,
  deregistrationDelaySeconds: 300,
  signalTimeoutSeconds: 300,
  healthCheckGracePeriodSeconds: 0,
  healthCheckType: 'EC2',
  signalDelaySeconds: 0,
});

/** Durations the template does not decide. Each is an assumption, printed with the table. */
export interface CutoverAssumptions {
  /** CreateChangeSet + ExecuteChangeSet until CloudFormation starts the new ASG (typically 10–30 s). */
  changeSetSeconds: number;
  /** EC2 pending → running and InService (typically 30–60 s). */
  launchSeconds: number;
  /** Boot + cfn-init + app start until the local health check passes (pre-baked AMI: 45–120 s). */
  bootSeconds: number;
  /** From the last signal to CloudFormation deleting the old ASG (resource bookkeeping). */
  cfnCleanupSeconds: number;
  /**
   * The rollback-trigger monitoring window (update-app-stack `rollback-monitoring-minutes`):
   * CloudFormation keeps the old resources until it is over, so blue serves that much longer.
   */
  monitoringMinutes: number;
  /** From deregistration done to the old instances terminated and the ASG deleted (~1 min). */
  terminateSeconds: number;
  /** Worst detection lag of the deploy job's waiter, from the waiting benchmark. */
  pollLagSeconds: number;
  sdkWaiterLagSeconds: number;
}

export const DEFAULT_ASSUMPTIONS: Readonly<CutoverAssumptions> = Object.freeze({
  changeSetSeconds: 20,
  launchSeconds: 45,
  bootSeconds: 90,
  cfnCleanupSeconds: 10,
  monitoringMinutes: 0,
  terminateSeconds: 60,
  pollLagSeconds: 5,
  sdkWaiterLagSeconds: 120,
});

export interface CutoverTimeline {
  registered: number;
  appReady: number;
  signalled: number;
  /** Health checks green failed before its app answered, and whether that made it `unhealthy`. */
  failedChecks: number;
  wentUnhealthy: boolean;
  greenHealthy: number;
  blueLeaves: number;
  /** Seconds with no healthy target after blue stopped taking requests (0 when green was ready). */
  gap: number;
  complete: number;
  noticedByPoll: number;
  noticedBySdkWaiter: number;
  badAmiRolledBack: number;
  /**
   * With HealthCheckType ELB, a green instance that went unhealthy and is still unhealthy when its
   * grace period ends is replaced by the ASG: the boot starts over and may never finish.
   */
  asgReplacesBootingInstances: boolean;
}

export function modelCutover(settings: CutoverSettings, assumptions: CutoverAssumptions = DEFAULT_ASSUMPTIONS): CutoverTimeline {
  const interval = settings.healthCheckIntervalSeconds;
  const registered = assumptions.changeSetSeconds + assumptions.launchSeconds;
  const appReady = registered + assumptions.bootSeconds;

  const firstPassingCheck = Math.max(1, Math.ceil((appReady - registered) / interval));
  const failedChecks = firstPassingCheck - 1;
  const wentUnhealthy = failedChecks >= settings.unhealthyThresholdCount;
  const passesNeeded = wentUnhealthy ? settings.healthyThresholdCount : 1;
  const greenHealthy = registered + (firstPassingCheck + passesNeeded - 1) * interval;

  const signalled = appReady + settings.signalDelaySeconds;
  const blueLeaves = signalled + assumptions.monitoringMinutes * 60 + assumptions.cfnCleanupSeconds;
  const complete = blueLeaves + settings.deregistrationDelaySeconds + assumptions.terminateSeconds;
  return {
    registered,
    appReady,
    signalled,
    failedChecks,
    wentUnhealthy,
    greenHealthy,
    blueLeaves,
    gap: Math.max(0, greenHealthy - blueLeaves),
    complete,
    noticedByPoll: complete + assumptions.pollLagSeconds,
    noticedBySdkWaiter: complete + assumptions.sdkWaiterLagSeconds,
    badAmiRolledBack: assumptions.changeSetSeconds + settings.signalTimeoutSeconds + assumptions.terminateSeconds,
    asgReplacesBootingInstances:
      settings.healthCheckType === 'ELB' && wentUnhealthy && greenHealthy > registered + settings.healthCheckGracePeriodSeconds,
  };
}
