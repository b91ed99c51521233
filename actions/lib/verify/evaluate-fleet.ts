import type { FleetObservation, InstanceObservation, TargetObservation } from './fleet';

/** One target, judged. */
export interface TargetRow {
  id: string;
  health: string;
  reason?: string;
  description?: string;
  instanceState?: string;
  imageId?: string;
  autoScalingGroupName?: string;
  inCurrentGroup: boolean;
  /**
   * ok: counts toward the pass; leaving: draining, ignored; previous: an instance of the group the
   * update replaces, still registered inside the rollback-trigger window (listed, not judged);
   * problem: blocks the pass.
   */
  verdict: 'ok' | 'leaving' | 'previous' | 'problem';
  /** Why it is a problem, as phrases: "unhealthy (Target.FailedHealthChecks: …)". */
  issues: string[];
}

/** The control-plane verdict on one observation. */
export interface FleetEvaluation {
  /** pass: all checks hold; wait: not yet, may settle; fail: waiting cannot fix it. */
  status: 'pass' | 'wait' | 'fail';
  rows: TargetRow[];
  /** Targets the load balancer reports healthy whose instance EC2 reports running. */
  healthyTargets: number;
  /** Registered targets, draining ones excluded (they no longer receive requests). */
  totalTargets: number;
  drainingTargets: number;
  autoScalingGroupName: string;
  desiredCapacity: number;
  /** The current ASG's instances and the AMI EC2 says each runs: the only ones an HTTP sample may come from. */
  currentInstances: ReadonlyMap<string, string | undefined>;
  /** With `previousGroup`: that group's registered instances (blue, until CloudFormation's cleanup); their samples are set aside. */
  previousInstances?: ReadonlySet<string>;
  /** One sentence per problem, naming the target or instance and why. */
  problems: string[];
}

/**
 * Judges one fleet observation against the expected AMI. Passes only when every registered target
 * is healthy, is a running instance of the stack's current ASG on `expectedAmiId`, and their count
 * reaches the ASG's desired capacity.
 *
 * The ALB's word is cross-checked with EC2 because target health alone can lie: moto reports
 * terminated instances as healthy forever (docs/moto.md #6), and on AWS a target can pass
 * health checks while running yesterday's AMI.
 *
 * Draining targets are ignored, neither counted nor blocking. During a blue/green cutover the old
 * ASG's targets drain for the deregistration delay after CloudFormation has already reported
 * UPDATE_COMPLETE; the ALB sends them no new requests, so they cannot serve the old AMI to anyone
 * new. Waiting for them would only add the deregistration delay to every deploy, and counting them
 * as failures would fail every healthy cutover. They are still listed in the report.
 *
 * A current-ASG instance on the wrong AMI fails at once: its launch template says so, and no
 * amount of waiting changes the AMI of a running instance. Everything else (initial, unhealthy,
 * old-ASG targets not yet deregistered, a short count) may settle, so the caller waits.
 */
export function evaluateFleet(observation: FleetObservation, expectedAmiId: string, previousGroup?: string): FleetEvaluation {
  const group = observation.autoScalingGroup;
  const current = new Set(group.instanceIds);
  const rows = observation.targets.map((t) => judgeTarget(t, observation.instances[t.id], current, group.name, expectedAmiId, previousGroup));
  const registered = rows.filter((r) => r.verdict !== 'leaving' && r.verdict !== 'previous');
  const problems = rows.filter((r) => r.verdict === 'problem').map((r) => `Target ${r.id}: ${r.issues.join('; ')}`);
  let permanent = rows.some((r) => r.verdict === 'problem' && r.inCurrentGroup && r.imageId !== undefined && r.imageId !== expectedAmiId);

  // Instances of the current ASG not (yet) registered: a wrong AMI there is as final as on a target.
  const targetIds = new Set(observation.targets.map((t) => t.id));
  for (const id of group.instanceIds.filter((i) => !targetIds.has(i))) {
    const imageId = observation.instances[id]?.imageId;
    if (imageId !== undefined && imageId !== expectedAmiId) {
      problems.push(`Instance ${id} of ASG ${group.name} (not registered yet) runs ${imageId}, expected ${expectedAmiId}`);
      permanent = true;
    }
  }

  const good = rows.filter((r) => r.verdict === 'ok').length;
  if (group.desiredCapacity === 0) {
    problems.push(`ASG ${group.name} has desired capacity 0, so there is no fleet to verify`);
    permanent = true;
  } else if (good < group.desiredCapacity) {
    problems.push(
      `${good} of ${group.desiredCapacity} desired targets are healthy, running instances of ASG ${group.name} on ${expectedAmiId} (${registered.length} registered)`,
    );
  }

  return {
    status: permanent ? 'fail' : problems.length > 0 ? 'wait' : 'pass',
    rows,
    healthyTargets: registered.filter((r) => r.health === 'healthy' && r.instanceState === 'running').length,
    totalTargets: registered.length,
    drainingTargets: rows.filter((r) => r.verdict === 'leaving').length,
    autoScalingGroupName: group.name,
    desiredCapacity: group.desiredCapacity,
    currentInstances: new Map(group.instanceIds.map((id) => [id, observation.instances[id]?.imageId])),
    previousInstances: new Set(rows.filter((r) => r.verdict === 'previous').map((r) => r.id)),
    problems,
  };
}

function judgeTarget(
  target: TargetObservation,
  instance: InstanceObservation | undefined,
  current: Set<string>,
  currentGroup: string,
  expectedAmiId: string,
  previousGroup: string | undefined,
): TargetRow {
  const row: TargetRow = {
    id: target.id,
    health: target.health,
    reason: target.reason,
    description: target.description,
    instanceState: instance?.state,
    imageId: instance?.imageId,
    autoScalingGroupName: instance?.autoScalingGroupName,
    inCurrentGroup: current.has(target.id),
    verdict: 'ok',
    issues: [],
  };
  if (target.health === 'draining') return { ...row, verdict: 'leaving' };
  // Inside the rollback-trigger window of a replacing update the old group still serves beside the
  // new one: it is what a cancel falls back to, not what is being verified.
  if (previousGroup !== undefined && !row.inCurrentGroup && instance?.autoScalingGroupName === previousGroup) return { ...row, verdict: 'previous' };

  const issues = row.issues;
  if (!target.id.startsWith('i-')) {
    issues.push('not an EC2 instance; verify-alb vouches only for instance targets');
  } else if (instance === undefined) {
    issues.push(`${target.health}, but EC2 does not know the instance (terminated long ago?)`);
  } else if (instance.state !== 'running') {
    // moto's lie (docs/moto.md #6): terminated ASG instances stay registered and "healthy".
    issues.push(`${target.health} per the load balancer, but EC2 says the instance is ${instance.state}: a stale registration that serves nothing`);
  } else if (target.health !== 'healthy') {
    issues.push(`${target.health}${target.reason ? ` (${target.reason}${target.description ? `: ${target.description}` : ''})` : ''}`);
  }
  if (instance !== undefined && !row.inCurrentGroup) {
    issues.push(`belongs to ${instance.autoScalingGroupName ? `ASG ${instance.autoScalingGroupName}` : 'no ASG'}, not the stack's current ASG ${currentGroup}`);
  }
  if (instance?.imageId !== undefined && instance.imageId !== expectedAmiId) {
    issues.push(`runs ${instance.imageId}, expected ${expectedAmiId}`);
  }
  return issues.length > 0 ? { ...row, verdict: 'problem' } : row;
}
