import { type CloudFormationClient, DescribeStackEventsCommand, type StackEvent } from '@aws-sdk/client-cloudformation';

import { isCancelledResourceReason } from '../aws/errors';
import type { Deps } from '../deps';

type CfnDeps = Deps<{ cloudFormation: CloudFormationClient }>;

/** A stack event reduced to what the log, the summary and root-cause reporting use. */
export interface StackEventRecord {
  id: string;
  timestamp: Date;
  logicalId: string;
  resourceType: string;
  status: string;
  reason?: string;
  /** True for the stack's own events (LogicalResourceId = stack name, type AWS::CloudFormation::Stack). */
  isStack: boolean;
}

function toRecord(event: StackEvent): StackEventRecord {
  return {
    id: event.EventId ?? '',
    timestamp: event.Timestamp ?? new Date(0),
    logicalId: event.LogicalResourceId ?? '',
    resourceType: event.ResourceType ?? '',
    status: event.ResourceStatus ?? '',
    reason: event.ResourceStatusReason || undefined,
    isStack: event.ResourceType === 'AWS::CloudFormation::Stack' && event.LogicalResourceId === event.StackName,
  };
}

/**
 * A stack's history is long (years of events), and DescribeStackEvents pages it newest first. A
 * reader that has a marker stops at it; one without (a stack with no events) would otherwise walk
 * the whole history, so it stops after this many pages.
 */
const MAX_PAGES_WITHOUT_MARKER = 3;

/**
 * Reads the events newer than `afterEventId`, oldest first. Pages newest-first until the marker
 * is found; with no marker, reads a few pages. One DescribeStackEvents call in the common case.
 */
export async function readStackEventsSince(stackName: string, afterEventId: string | undefined, deps: CfnDeps, signal?: AbortSignal): Promise<StackEventRecord[]> {
  const newestFirst: StackEventRecord[] = [];
  let token: string | undefined;
  for (let page = 1; ; page += 1) {
    const response = await deps.clients.cloudFormation.send(new DescribeStackEventsCommand({ StackName: stackName, NextToken: token }), { abortSignal: signal });
    for (const event of response.StackEvents ?? []) {
      if (afterEventId !== undefined && event.EventId === afterEventId) return newestFirst.reverse();
      newestFirst.push(toRecord(event));
    }
    token = response.NextToken;
    if (!token || (afterEventId === undefined && page >= MAX_PAGES_WITHOUT_MARKER)) return newestFirst.reverse();
  }
}

/** The id of the stack's newest event: the marker before an operation starts. */
export async function readNewestStackEventId(stackName: string, deps: CfnDeps): Promise<string | undefined> {
  const response = await deps.clients.cloudFormation.send(new DescribeStackEventsCommand({ StackName: stackName }));
  return response.StackEvents?.[0]?.EventId;
}

/** One log line per event: time, resource, status, reason. */
export function formatStackEvent(event: StackEventRecord): string {
  const time = event.timestamp.toISOString().slice(11, 19);
  const resource = event.isStack ? `${event.logicalId} (stack)` : `${event.logicalId} [${event.resourceType}]`;
  return `${time}  ${resource}  ${event.status}${event.reason ? `  ${event.reason}` : ''}`;
}

export interface RootCause {
  logicalId: string;
  resourceType: string;
  status: string;
  reason: string;
}

/**
 * The first thing that went wrong in an operation's events (oldest first): the earliest
 * `*_FAILED` resource event with a reason, skipping "Resource update cancelled" (a consequence:
 * CloudFormation cancels everything in flight once one resource fails). If no resource failed —
 * a rollback trigger's alarm fired, or the stack timed out — the stack's own rollback event
 * carries the reason ("Stack rollback triggered by alarm(s): …").
 */
export function findRootCause(events: readonly StackEventRecord[]): RootCause | undefined {
  const failed = events.find((e) => !e.isStack && e.status.endsWith('_FAILED') && e.reason && !isCancelledResourceReason(e.reason));
  const stackRollback = events.find((e) => e.isStack && /ROLLBACK_IN_PROGRESS$|_FAILED$/.test(e.status) && e.reason);
  const cause = failed ?? stackRollback;
  return cause && { logicalId: cause.logicalId, resourceType: cause.resourceType, status: cause.status, reason: cause.reason ?? '' };
}
