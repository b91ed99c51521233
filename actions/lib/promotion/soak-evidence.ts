/**
 * The facts a promotion is decided on, for one environment of the wave that ran the AMI. Where each
 * fact lives, and why (docs/workflows.md, "Promotion"):
 *
 * - git (the audit trail): which AMI the parameters file names at HEAD, the commit that put it
 *   there and when, and every failback, automatic failback or rollback record that moved the
 *   environment away from it. A failed verification always ends in such a record (the deploy job
 *   commits what runs), so "no record away from it" is git's half of "it ran verified".
 * - AWS: that the app stack really runs that AMI in a settled, non-rollback state, since when
 *   (LastUpdatedTime), and what the stack's rollback alarms did since then (CloudWatch alarm
 *   history). Read-only; nothing is written to AWS to remember a verification.
 */
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand, paginateDescribeAlarmHistory, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

import { isStackNotFoundError } from '../aws/errors';
import { alarmOutputsOf } from '../cloudformation/rollback-triggers';
import type { Deps } from '../deps';
import { readAmiHistory, type AmiChange } from '../gitops/ami-history';
import { REVERTING_UPDATE_TYPES } from '../gitops/commit-metadata';
import type { GitRepository } from '../gitops/git';
import { liveAmiIn, soakMinutesOf, type EnvironmentConfig } from '../parameters';

/** What the app stack says, read once. */
export interface StackFacts {
  stackName: string;
  exists: boolean;
  status?: string;
  amiId?: string;
  /** LastUpdatedTime, else CreationTime (ISO 8601). */
  updatedAt?: string;
  /** The rollback alarms the stack's outputs name. */
  alarmNames: string[];
}

/** One transition of a rollback alarm into ALARM. */
export interface AlarmFiring {
  alarmName: string;
  /** ISO 8601. */
  at: string;
  summary: string;
}

export interface AlarmFacts {
  /** Alarms that exist, with their state now. */
  states: { alarmName: string; state: string }[];
  /** Alarms the stack names that CloudWatch does not have: their quiet cannot be shown. */
  missing: string[];
  /** Transitions into ALARM between the soak's start and now. */
  firings: AlarmFiring[];
  /** The window read, ISO 8601. */
  from?: string;
  to: string;
}

export interface SoakEvidence {
  environment: string;
  region: string;
  parametersFile: string;
  soakMinutes: number;
  /** The AMI the parameters file names at HEAD. */
  headAmiId?: string;
  /** When headAmiId is a copy (an environment in another region than the image's): the AMI and region it was copied from, by its tags. */
  copyOf?: { amiId: string; region: string };
  /** The commit that put headAmiId in place (newest). */
  since?: AmiChange;
  /** Records that moved this environment away from headAmiId at some point (failbacks, rollbacks). */
  fledFrom: AmiChange[];
  stack: StackFacts;
  /** When the soak started: the later of the commit and the stack's last update (ms). */
  soakStartMs?: number;
  alarms: AlarmFacts;
}

export interface SoakDeps extends Deps<{ cloudFormation: CloudFormationClient; cloudWatch: CloudWatchClient }> {
  git: GitRepository;
}

/** Reads git first (no AWS call if the file is unreadable), then the stack, then the alarms over the soak. */
export async function readSoakEvidence(environment: EnvironmentConfig, deps: SoakDeps): Promise<SoakEvidence> {
  const history = await readAmiHistory(deps.git, environment.parametersFile);
  const head = history[0];
  const fledFrom = head ? history.filter((c) => c.update && REVERTING_UPDATE_TYPES.has(c.update['update-type']) && c.update['previous-ami-id'] === head.amiId) : [];
  const stack = await readStackFacts(environment.stacks.app, deps.clients.cloudFormation);
  const starts = [head ? Date.parse(head.date) : NaN, stack.updatedAt ? Date.parse(stack.updatedAt) : NaN].filter((n) => !Number.isNaN(n));
  const soakStartMs = head && starts.length ? Math.max(...starts) : undefined;
  const alarms = await readAlarmFacts(stack.alarmNames, soakStartMs, deps);
  deps.logger.info(
    `${environment.name}: ${environment.parametersFile} names ${head?.amiId ?? 'nothing'}; stack ${stack.stackName} ${stack.exists ? `${stack.status} on ${stack.amiId}` : 'missing'}; ` +
      `${alarms.firings.length} alarm firing(s) since ${alarms.from ?? '-'}.`,
  );
  return {
    environment: environment.name,
    region: environment.region,
    parametersFile: environment.parametersFile,
    soakMinutes: soakMinutesOf(environment),
    headAmiId: head?.amiId,
    since: head,
    fledFrom,
    stack,
    soakStartMs,
    alarms,
  };
}

async function readStackFacts(stackName: string, cloudFormation: CloudFormationClient): Promise<StackFacts> {
  try {
    const stack = (await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    if (!stack) return { stackName, exists: false, alarmNames: [] };
    const outputs = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    return {
      stackName,
      exists: true,
      status: stack.StackStatus,
      amiId: liveAmiIn(Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']))),
      updatedAt: (stack.LastUpdatedTime ?? stack.CreationTime)?.toISOString(),
      alarmNames: alarmOutputsOf(outputs).map((key) => outputs.get(key)).flatMap((arn) => (arn ? [alarmNameOf(arn)] : [])),
    };
  } catch (error) {
    if (isStackNotFoundError(error)) return { stackName, exists: false, alarmNames: [] };
    throw error;
  }
}

/** arn:aws:cloudwatch:<region>:<account>:alarm:<name> → <name> (names may contain colons). */
export function alarmNameOf(arn: string): string {
  const marker = ':alarm:';
  const at = arn.indexOf(marker);
  return at >= 0 ? arn.slice(at + marker.length) : arn;
}

/**
 * The alarms' current states (DescribeAlarms) and every StateUpdate into ALARM over the soak
 * (DescribeAlarmHistory, which keeps 30 days: a soak longer than that cannot be proven quiet
 * from history, so the wiring's maximum soak is 30 days). Also the slots bake window's evidence
 * (actions/lib/slots/retirement-facts.ts), from the switch to now. `abortSignal` (a wait's
 * deadline, poll.ts) goes to every call, so it ends a call that hangs and the SDK's retries of it.
 */
export async function readAlarmFacts(
  alarmNames: string[],
  fromMs: number | undefined,
  deps: { clients: { cloudWatch: CloudWatchClient }; clock: Pick<SoakDeps['clock'], 'now'> },
  abortSignal?: AbortSignal,
): Promise<AlarmFacts> {
  const to = new Date(deps.clock.now());
  const facts: AlarmFacts = { states: [], missing: [], firings: [], from: fromMs === undefined ? undefined : new Date(fromMs).toISOString(), to: to.toISOString() };
  if (alarmNames.length === 0 || fromMs === undefined) return facts;
  const { MetricAlarms = [] } = await deps.clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: alarmNames }), { abortSignal });
  facts.states = MetricAlarms.map((a) => ({ alarmName: a.AlarmName ?? '?', state: a.StateValue ?? '?' }));
  facts.missing = alarmNames.filter((name) => !MetricAlarms.some((a) => a.AlarmName === name));
  for (const alarmName of alarmNames.filter((name) => !facts.missing.includes(name))) {
    // A paginator hands its extra arguments to every page's send: the signal reaches each call.
    const pages = paginateDescribeAlarmHistory({ client: deps.clients.cloudWatch }, { AlarmName: alarmName, HistoryItemType: 'StateUpdate', StartDate: new Date(fromMs), EndDate: to }, { abortSignal });
    for await (const page of pages) {
      for (const item of page.AlarmHistoryItems ?? []) {
        if (newStateOf(item.HistoryData, item.HistorySummary) !== 'ALARM') continue;
        facts.firings.push({ alarmName, at: item.Timestamp?.toISOString() ?? '?', summary: item.HistorySummary ?? '' });
      }
    }
  }
  return facts;
}

/**
 * The state a StateUpdate item moved the alarm to: HistoryData is JSON with newState.stateValue;
 * the summary ("Alarm updated from OK to ALARM") is the fallback when it is absent or unreadable.
 */
export function newStateOf(historyData: string | undefined, summary: string | undefined): string | undefined {
  try {
    const state = (JSON.parse(historyData ?? '') as { newState?: { stateValue?: string } }).newState?.stateValue;
    if (state) return state;
  } catch {
    // fall through to the summary
  }
  return / to (OK|ALARM|INSUFFICIENT_DATA)\b/.exec(summary ?? '')?.[1];
}
