/**
 * Strategy `replace`: green is verified inside the rollback-trigger window, while blue still
 * exists. AutoScalingReplacingUpdate keeps the old group until the update's cleanup, and
 * CloudFormation starts the cleanup only after MonitoringTimeInMinutes; until then the stack is
 * UPDATE_IN_PROGRESS and CancelUpdateStack rolls it back to blue without replacing anything again.
 * So update-app-stack pauses following the update once green's group is in service, verifies it
 * (verify-alb's logic, blue's targets and samples set aside), and on a failed verdict cancels.
 */
import { CancelUpdateStackCommand, type CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';

import { isCancelNotAllowedError } from '../aws/errors';
import type { Deps } from '../deps';

/** The replace template's group (templates/app.yaml): the resource a replacing update replaces. */
export const APP_GROUP_LOGICAL_ID = 'AppAutoScalingGroup';

/**
 * What the cancel needs after the verdict, from CloudFormation: a CancelUpdateStack call, and the
 * poll that sees its answer. The verdict must come this much before the window ends.
 */
export const CANCEL_MARGIN_MS = 30_000;

/**
 * A wait for green's targets shorter than this is no wait at all: templates/app.yaml judges a target
 * healthy after HealthyThresholdCount x HealthCheckIntervalSeconds = 20 s (and green signals only
 * after AlbSettleSeconds, so usually it is healthy already).
 */
export const MIN_HEALTH_WAIT_MS = 20_000;

export interface GreenRequest {
  /** The AMI green must run. */
  amiId: string;
  /** Blue: the group being replaced, still registered in the target group. */
  previousGroup: string;
  /** How long the wait for green's targets may take, so the verdict comes inside the window. */
  healthWaitMs: number;
}

export interface GreenVerdict {
  healthy: boolean;
  /** One sentence per reason it is not healthy. */
  failures: string[];
}

/** verify-alb's checks on green, as update-app-stack runs them (built in the action's main.ts). */
export interface GreenVerifier {
  /** The HTTP watch, which the window must hold besides the wait for healthy targets. */
  watchSeconds: number;
  verify(request: GreenRequest): Promise<GreenVerdict>;
}

export type WindowPlan = { verify: true; healthWaitMs: number } | { verify: false; why: string };

/** Whether green's verification fits inside the window, and how long its wait for healthy targets may take. */
export function planWindowVerification(monitoringMinutes: number, watchSeconds: number): WindowPlan {
  if (monitoringMinutes === 0) return { verify: false, why: 'rollback-monitoring-minutes is 0, so the update has no window while blue still exists' };
  const healthWaitMs = monitoringMinutes * 60_000 - watchSeconds * 1_000 - CANCEL_MARGIN_MS;
  if (healthWaitMs < MIN_HEALTH_WAIT_MS) {
    const needed = Math.ceil((watchSeconds * 1_000 + CANCEL_MARGIN_MS + MIN_HEALTH_WAIT_MS) / 60_000);
    return {
      verify: false,
      why: `a ${watchSeconds} s HTTP watch does not fit in a ${monitoringMinutes}-minute window with time to wait for healthy targets; raise rollback-monitoring-minutes to at least ${needed} or shorten verify-seconds`,
    };
  }
  return { verify: true, healthWaitMs };
}

type CfnDeps = Deps<{ cloudFormation: CloudFormationClient }>;

/** The app group as the stack sees it now: its physical ID (the group's name) and status. */
export async function readAppGroup(stackName: string, deps: CfnDeps, abortSignal?: AbortSignal): Promise<{ name?: string; status?: string }> {
  const { StackResourceDetail } = await deps.clients.cloudFormation.send(new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: APP_GROUP_LOGICAL_ID }), { abortSignal });
  return { name: StackResourceDetail?.PhysicalResourceId, status: StackResourceDetail?.ResourceStatus };
}

/** Green is in service: the stack names a group other than blue, created and signalled (its CreationPolicy met). */
export function isGreenInService(group: { name?: string; status?: string }, blueGroup: string): boolean {
  return group.name !== undefined && group.name !== blueGroup && group.status === 'UPDATE_COMPLETE';
}

/**
 * CancelUpdateStack. `too-late` when CloudFormation refuses because the stack left
 * UPDATE_IN_PROGRESS (the window ended and the cleanup deletes blue): nothing to cancel any more.
 */
export async function cancelUpdate(stackName: string, deps: CfnDeps): Promise<'cancelled' | 'too-late'> {
  try {
    await deps.clients.cloudFormation.send(new CancelUpdateStackCommand({ StackName: stackName }));
    return 'cancelled';
  } catch (error) {
    if (isCancelNotAllowedError(error)) return 'too-late';
    throw error;
  }
}
