/**
 * Whether a wave has proven an AMI: the pure decision over the facts of readSoakEvidence, so every
 * rule (soak not over, an alarm that fired, a failback, a stack that does not run it) is tested
 * without git or AWS.
 */
import type { SoakEvidence } from './soak-evidence';

/** Stack states in which the stack is settled on what it was last asked to run. */
const SETTLED_STATUSES: ReadonlySet<string> = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);

export interface EnvironmentSoak {
  environment: string;
  ok: boolean;
  /** Why not, one sentence each. */
  blockers: string[];
  /** When the soak ends (or ended), if it has started. */
  soakEndsAtMs?: number;
}

export interface SoakVerdict {
  /** The image the wave's first environment runs (the AMI its file names, or the source of that copy): the one being judged. */
  candidateAmiId?: string;
  promotable: boolean;
  environments: EnvironmentSoak[];
  /** Every blocker, prefixed with its environment. */
  blockers: string[];
}

/** The image an environment runs: the AMI its file names or, for a copy, the AMI it was copied from (a wave may span regions). */
export function imageOf(e: Pick<SoakEvidence, 'headAmiId' | 'copyOf'>): string | undefined {
  return e.copyOf?.amiId ?? e.headAmiId;
}

/** Judges every environment of a wave on one candidate image; promotable only if all of them pass. */
export function judgeSoak(evidence: readonly SoakEvidence[], nowMs: number): SoakVerdict {
  const candidateAmiId = evidence[0] ? imageOf(evidence[0]) : undefined;
  const environments = evidence.map((e) => judgeEnvironment(e, candidateAmiId, evidence[0]?.environment ?? '', nowMs));
  const blockers = environments.flatMap((e) => e.blockers.map((b) => `${e.environment}: ${b}`));
  return { candidateAmiId, promotable: evidence.length > 0 && candidateAmiId !== undefined && blockers.length === 0, environments, blockers };
}

function judgeEnvironment(e: SoakEvidence, candidate: string | undefined, first: string, nowMs: number): EnvironmentSoak {
  const blockers: string[] = [];
  if (!e.headAmiId) return { environment: e.environment, ok: false, blockers: [`${e.parametersFile} names no AMI in its git history`] };
  if (imageOf(e) !== candidate) {
    const names = e.copyOf ? `${e.headAmiId} (a copy of ${e.copyOf.amiId})` : e.headAmiId;
    blockers.push(`${e.parametersFile} names ${names} while ${first} runs ${candidate}: the wave is not on one AMI yet`);
  }
  for (const record of e.fledFrom) {
    blockers.push(`${record.update?.['update-type']} away from ${e.headAmiId} in commit ${record.commit.slice(0, 12)} (${record.date}, "${record.subject}"): it failed here once, so it is not promoted; patch forward with a new build`);
  }
  const { stack } = e;
  if (!stack.exists) blockers.push(`app stack ${stack.stackName} does not exist in ${e.region}`);
  else {
    if (stack.amiId !== e.headAmiId) blockers.push(`app stack ${stack.stackName} runs ${stack.amiId ?? 'no AMI'}, not ${e.headAmiId}: the deploy has not happened, or the stack drifted`);
    if (!SETTLED_STATUSES.has(stack.status ?? '')) blockers.push(`app stack ${stack.stackName} is ${stack.status}, not settled on a successful update`);
    if (stack.alarmNames.length === 0) blockers.push(`app stack ${stack.stackName} names no rollback alarms in its outputs, so a quiet soak cannot be shown`);
  }
  for (const name of e.alarms.missing) blockers.push(`rollback alarm ${name} does not exist in CloudWatch, so its quiet cannot be shown`);
  for (const s of e.alarms.states.filter((a) => a.state === 'ALARM')) blockers.push(`rollback alarm ${s.alarmName} is in ALARM now`);
  for (const f of e.alarms.firings) blockers.push(`rollback alarm ${f.alarmName} went to ALARM at ${f.at}, during the soak (${f.summary})`);
  const soakEndsAtMs = e.soakStartMs === undefined ? undefined : e.soakStartMs + e.soakMinutes * 60_000;
  if (soakEndsAtMs !== undefined && nowMs < soakEndsAtMs) {
    blockers.push(`soak not over: ${Math.ceil((soakEndsAtMs - nowMs) / 60_000)} of ${e.soakMinutes} minutes left (it ends at ${new Date(soakEndsAtMs).toISOString()})`);
  }
  return { environment: e.environment, ok: blockers.length === 0, blockers, soakEndsAtMs };
}
