/**
 * The deploy report's part on the bake window (strategy slots, deploy-environment.yml's bake,
 * retire, record and re-verify steps): what happened to the old slot, in one sentence, and its
 * rows of the report's table. The sentence names the old slot and the AMI that left, the slot and
 * AMI that stay live, and the record commit; anything that failed comes first, with what to do.
 */
import type { StepOutcome } from './deploy-report';
import { failbackCommand, patchForwardCommand } from './failback-request';

/** The bake window's steps, as the deploy job passes their outcomes and outputs. */
export interface RetirementReport {
  /** check-retirement's outcome ('' or 'skipped' when it did not run: strategy replace, a requested failback). */
  bake: StepOutcome;
  /** Its verdict: none | kept | wait | retire | record | moved | refuse. */
  verdict?: string;
  /** The old slot (blue or green) and the AMI it holds. */
  slot?: string;
  retiredAmiId?: string;
  /** When an open window ends (ISO, AWS's clock). */
  endsAt?: string;
  /** With verdict moved: the AMI the stack's live slot runs (git's is HEAD's). */
  stackAmiId?: string;
  /** The "Retire the old slot" update. */
  update: StepOutcome;
  /** The "Record the retirement" step and what it did: pushed | pull-request | superseded | unchanged | failed. */
  record: StepOutcome;
  recordResult?: string;
  recordCommit?: string;
  recordPullRequestUrl?: string;
  recordSupersededBy?: string;
  /** verify-alb on the live slot after the retirement's update. */
  verify: StepOutcome;
}

/** How the report shows an ID, a commit and a command (code spans and links in the summary, plain in the headline). */
export interface RetirementFormat {
  id(value: string): string;
  commit(sha: string): string;
  command(value: string): string;
  /** The re-run of this run's failed jobs, formatted (rerun-command.ts). */
  rerun: string;
}

/** Which environment the report is about, and the branch git records on: what the sentence's commands need. */
export interface RetirementContext {
  environment: string;
  branch: string;
}

/** Whether the bake window's steps ran at all (a skipped step's `if` was false). */
export function bakeRan(r: RetirementReport | undefined): r is RetirementReport {
  return Boolean(r) && r!.bake !== '' && r!.bake !== 'skipped';
}

/** Something after the deploy's own verification failed: the job fails, and the sentence leads. */
export function retirementFailed(r: RetirementReport | undefined): boolean {
  if (!bakeRan(r)) return false;
  return [r.bake, r.update, r.record, r.verify].some((o) => o === 'failure' || o === 'cancelled') || r.recordResult === 'failed';
}

const other = (slot: string) => (slot === 'blue' ? 'green' : slot === 'green' ? 'blue' : 'the live slot');

/**
 * One sentence on the old slot, or '' when there is nothing to say (nothing to retire). `liveAmi`
 * is the AMI HEAD names, which the live slot runs once the deploy verified.
 */
export function retirementSentence(r: RetirementReport | undefined, liveAmi: string, f: RetirementFormat, where: RetirementContext): string {
  if (!bakeRan(r)) return '';
  const slot = r.slot ?? 'the old slot';
  const old = r.retiredAmiId ? ` (${f.id(r.retiredAmiId)})` : '';
  const live = `${other(slot)}${liveAmi ? ` (${f.id(liveAmi)})` : ''}`;
  switch (r.verdict) {
    case 'wait':
      return `${slot} stays warm${old}${r.endsAt ? ` until ${r.endsAt}` : ''}, one weight flip away: a later run (the Retire old slots workflow, or the next deploy) scales it to zero only if nothing failed meanwhile.`;
    case 'kept':
      return (
        `${slot} keeps${old} for a look and is not retired: ${live} went live by a failback, and git and the stack agree. ` +
        `No retirement after a failure: this one command patches forward (it bakes a new AMI and opens its patch PR, whose deploy puts it into ${slot}): ${f.command(patchForwardCommand(where.environment, where.branch))}`
      );
    case 'moved':
      return movedSentence(r, liveAmi, f, where);
    case 'refuse':
      // An alarm inside the window is reported as the failed verification it is (the failback ran for it).
      return r.bake === 'failure' ? `The bake window was NOT ended (see the bake step): nothing was retired, ${slot}${old} stays warm.` : '';
    case 'retire':
      if (r.update !== 'success') {
        return `The bake window ended quiet, but scaling ${slot}${old} to zero FAILED (see the "Retire the old slot" step): ${live} stays live, and the next run judges the window again (the next Retire old slots run, or now: ${f.rerun}).`;
      }
      return `${afterRetirement(r, live)} ${recordSentence(r, f)}`.trim();
    case 'record':
      return `${slot}${old} was at capacity 0 in the stack already (a run stopped before its record); ${live} stays live. ${recordSentence(r, f)}`.trim();
    default:
      return '';
  }

  function afterRetirement(report: RetirementReport, liveSlot: string): string {
    const retired = `The bake window ended quiet: ${slot}${old} is scaled to zero`;
    if (report.verify === 'success') return `${retired}, and ${liveSlot} stays live, verified healthy again after the retirement.`;
    if (report.verify === 'failure') {
      return `${retired}, but ${liveSlot} FAILED verification after the retirement: investigate now. With ${slot} at zero a failback scales it up, proves it, then flips (the Failback workflow).`;
    }
    return `${retired}; ${liveSlot} stays live (not verified after the retirement: see the steps).`;
  }
}

/**
 * The stack moved since HEAD (between the deploy's update and the bake's read: a flip or deploy
 * nobody recorded): both AMIs, and the one command that records what runs when they differ, or
 * the re-run that deploys HEAD's state again when only the slots' capacities or weights differ.
 */
function movedSentence(r: RetirementReport, gitAmi: string, f: RetirementFormat, where: RetirementContext): string {
  // Which slot is live is what moved: no claim about either slot beyond both AMIs.
  const head = 'The bake window was NOT ended: the stack moved since HEAD (see the bake step), so nothing was retired.';
  const stack = r.stackAmiId;
  if (!stack || !gitAmi || stack === gitAmi) {
    return `${head} Git and the stack's live slot both name ${gitAmi ? f.id(gitAmi) : 'the same AMI'}, but the slots' capacities or weights differ: re-run the job, which deploys HEAD's state again, then judges the window (${f.rerun}).`;
  }
  const command = failbackCommand(where.environment, stack, `record what ${where.environment} runs: its stack moved from ${gitAmi}`, where.branch);
  return (
    `${head} Git makes ${f.id(gitAmi)} live while the stack's live slot runs ${f.id(stack)}: this one command records ${f.id(stack)} in git through the Failback workflow (its pre-flight checks the AMI first): ${f.command(command)}. ` +
    `To put ${f.id(gitAmi)} back instead, re-run the job, which deploys HEAD (${f.rerun}).`
  );
}

/** Where git records the retirement: the commit, the pull request, or why not. */
function recordSentence(r: RetirementReport, f: RetirementFormat): string {
  switch (r.recordResult) {
    case 'pushed':
      return `Git records it: ${f.commit(r.recordCommit ?? '')} on the default branch.`;
    case 'pull-request':
      return `Git records it in ${r.recordPullRequestUrl ?? 'a pull request'} (the branch is protected): merge it so git says what runs.`;
    case 'unchanged':
      return 'Git already says so.';
    case 'superseded':
      return `Not recorded: a newer commit${r.recordSupersededBy ? ` ${f.commit(r.recordSupersededBy)}` : ''} changed the file since, and the next deploy sets what runs.`;
    default:
      return r.record === 'failure' || r.recordResult === 'failed'
        ? `Git does NOT record it yet (see the "Record the retirement" step): the stack has ${r.slot ?? 'the old slot'} at capacity 0 while git names it warm; the next Retire old slots run records it (or now: ${f.rerun}).`
        : 'Git does not record it (the "Record the retirement" step did not run).';
  }
}

/** The report table's rows for the bake window (none when its steps did not run). */
export function retirementRows(r: RetirementReport | undefined, f: RetirementFormat): [string, string][] {
  if (!bakeRan(r)) return [];
  const slot = r.slot ?? 'the old slot';
  const old = r.retiredAmiId ? ` on ${f.id(r.retiredAmiId)}` : '';
  const rows: [string, string][] = [['Bake window', bakeCell(r, slot, old, f)]];
  if (r.verdict === 'retire' || r.verdict === 'record') rows.push(['Retirement record', recordCell(r, f)]);
  if (r.verify !== '' && r.verify !== 'skipped') rows.push(['Verification after the retirement', `${r.verify === 'success' ? '✅' : '❌'} ${r.verify}`]);
  return rows;
}

function bakeCell(r: RetirementReport, slot: string, old: string, f: RetirementFormat): string {
  switch (r.verdict) {
    case 'wait':
      return `⏳ open${r.endsAt ? ` until ${r.endsAt}` : ''}: ${slot} warm${old}`;
    case 'kept':
      return `${slot} kept${old} (live slot by a failback)`;
    case 'moved':
      return `❌ not ended: the stack moved since HEAD${r.stackAmiId ? ` (its live slot runs ${f.id(r.stackAmiId)})` : ''}; nothing retired`;
    case 'retire':
      return r.update === 'success' ? `✅ ended quiet: ${slot}${old} scaled to zero` : `❌ ended quiet, but scaling ${slot}${old} to zero failed`;
    case 'record':
      return `${slot}${old} at zero already: the record only`;
    case 'refuse':
      return `❌ not ended (see the bake step): ${slot} stays warm${old}`;
    default:
      return 'nothing to retire';
  }
}

function recordCell(r: RetirementReport, f: RetirementFormat): string {
  switch (r.recordResult) {
    case 'pushed':
      return `${f.commit(r.recordCommit ?? '')} on the default branch`;
    case 'pull-request':
      return `${r.recordPullRequestUrl ?? 'a pull request'} (protected branch)`;
    case 'unchanged':
      return 'git already says so';
    case 'superseded':
      return 'not written: a newer commit changed the file';
    default:
      return r.record === 'failure' || r.recordResult === 'failed' ? '❌ failed (see the "Record the retirement" step)' : 'not written';
  }
}
