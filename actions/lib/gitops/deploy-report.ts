import { AS_TEXT, IN_CELL, IN_SENTENCE, keyValueTable, type Quoting } from '../markdown';
import type { NotificationEvent, NotificationInput } from '../notify/notification';
import { isAmiId } from '../parameters';
import { bakeRan, retirementFailed, retirementRows, retirementSentence, type RetirementReport } from './deploy-report-retirement';
import { stagedSentence, stageFailedSentence, stageIncomplete, stageWaitSentence, type StageReport } from './deploy-report-stage';
import type { StageWaitReport } from '../slots/stage-window';
import { describeSupersededFailback, failbackCommand, rerunDeployCommand } from './failback-request';
import { rerunThisRun } from './rerun-command';

/** A step's `outcome` in a workflow (`''` when the step never ran, e.g. an earlier one failed). */
export type StepOutcome = 'success' | 'failure' | 'cancelled' | 'skipped' | '';

/** Everything the deploy job learned, as its steps' outcomes and outputs. */
export interface DeployReportInputs {
  environment: string;
  /** The AMI git named at HEAD when the job started. */
  requestedAmiId: string;
  /** True for a deploy started by the Failback workflow: no automatic failback from a failback. */
  isFailback: boolean;
  steps: {
    /** Everything before the stack update: checkout, record of a requested failback, credentials. */
    prepare: StepOutcome;
    update: StepOutcome;
    verify: StepOutcome;
    failbackUpdate: StepOutcome;
    failbackVerify: StepOutcome;
    sync: StepOutcome;
  };
  /** update-app-stack's `changed` ('false' when the stack already ran this AMI). */
  changed?: string;
  stackStatus?: string;
  failbackAmiId?: string;
  /** What the sync step did: unchanged | pushed | pull-request | superseded | failed (read the stack, could not push). */
  syncOutcome?: string;
  syncCommit?: string;
  syncPullRequestUrl?: string;
  /** When superseded: the newer commit that changed the environment's file, and the AMI it names. */
  syncSupersededBy?: string;
  syncSupersededByAmiId?: string;
  /** The AMI the stack runs after everything, as the sync step read it. */
  liveAmiId?: string;
  /** update-app-stack's previous-ami-id: what the stack ran when this deploy read it, before any change. */
  stackPreviousAmiId?: string;
  /**
   * The AMI before HEAD's in git history (resolve-environment): what the stack ran before this
   * deploy if every earlier deploy succeeded or was recorded. Named only when AWS could not be
   * asked, and said so.
   */
  previousAmiId?: string;
  /**
   * Strategy slots: the deploy failed and update-app-stack flipped traffic back (its failed-step
   * and flipped-back-to outputs). The stack never left a *_COMPLETE status, so without this the
   * report would read as an update that did not start.
   */
  flipBack?: SlotsFlipBack;
  /** e.g. https://github.com/acme/fleet, for commit links. */
  repositoryUrl?: string;
  /** The branch git records on (for the command a superseded failback ends with). */
  defaultBranch: string;
  /** A failback asked for through the Failback workflow: what was asked, and how git took the record. */
  failback?: FailbackRequestReport;
  /** Strategy slots: the bake window's steps (check-retirement, the retirement's update, its record and re-verification). */
  retirement?: RetirementReport;
  /** Strategy slots, staging ahead: what a stage-only deploy staged and proved (or where it failed), and the switch PR. */
  stage?: StageReport;
  /** Staging ahead: check-switch refused the switch (merged onto another AMI than it names) before any AWS change. */
  switchRefused?: { switchAmiId?: string };
  /** Staging ahead: check-switch held a stage back, the idle slot being the way back of an open bake window. */
  stageWait?: StageWaitReport;
  /** This workflow run's ID (github.run_id): every verdict that asks for a re-run names the exact command. */
  runId?: string;
}

/** Where the new slot failed (prove, canary or switch) and the slot users are on again. */
export interface SlotsFlipBack {
  failedStep: string;
  liveSlot: string;
}

/** The requested failback, as the Failback workflow passed it and its record step wrote it. */
export interface FailbackRequestReport {
  targetAmiId?: string;
  reason?: string;
  requestedBy?: string;
  /** The record step's outcome (`''` when it never ran). */
  recordStep: StepOutcome;
  /** What the record did: pushed | pull-request | superseded | unchanged. */
  recordResult?: string;
  recordCommit?: string;
  recordPullRequestUrl?: string;
  /** The AMI the parameters file named before the record: what the failback moves away from. */
  replacedAmiId?: string;
  /** When superseded: the newer commit that changed the environment's file, and the AMI it names. */
  supersededBy?: string;
  supersededByAmiId?: string;
}

export interface DeployReport {
  ok: boolean;
  /** One sentence: what runs now, and what git says about it. Plain text (annotations show Markdown raw). */
  headline: string;
  markdown: string;
  /** What the notify step sends: the headline, both AMIs, and the record to act on. */
  notification: NotificationInput;
}

/** Commit references as Markdown links (the summary) or as plain text (the headline, for annotations and notifications). */
type Style = 'markdown' | 'text';

/**
 * How a sentence shows what it quotes. In the summary, IDs and commands are code spans (read and
 * copied whole, as in the table below the lead) and a person's free text is shown as typed; the
 * headline is plain text, because annotations and notifications show Markdown raw.
 */
interface Format extends Quoting {
  style: Style;
}

const FORMATS: Record<Style, Format> = {
  text: { style: 'text', ...AS_TEXT },
  markdown: { style: 'markdown', ...IN_SENTENCE },
};

/**
 * Turns the deploy job's step outcomes into one verdict a person can act on. Every failure path
 * ends by saying what the environment runs now and whether git says the same.
 */
export function summariseDeploy(inputs: DeployReportInputs): DeployReport {
  // The deploy itself verified; the bake window's steps after it can still fail the job.
  const deployed = inputs.steps.prepare === 'success' && inputs.steps.update === 'success' && inputs.steps.verify === 'success';
  const ok = deployed && !retirementFailed(inputs.retirement) && !stageIncomplete(inputs.stage);
  const headline = lead(inputs, deployed, FORMATS.text);
  // No AMI IDs in the heading: its large type wraps an ID at its hyphen; the verdict under it names them.
  const markdown = [`## ${ok ? '✅' : '❌'} ${inputs.isFailback ? 'Failback' : 'Deploy'} ${inputs.environment}`, `**${lead(inputs, deployed, FORMATS.markdown)}**`, keyValueTable(facts(inputs, deployed))].join('\n\n');
  return { ok, headline, markdown, notification: { event: notificationEvent(inputs), ok, environment: inputs.environment, verdict: headline, amis: notificationAmis(inputs, deployed), links: recordLinks(inputs) } };
}

/**
 * The verdict on the deploy, and after a verified one what the bake window did with the old
 * slot: a retirement step that failed leads, since it is what the job failed on.
 */
function lead(inputs: DeployReportInputs, deployed: boolean, f: Format): string {
  const deploy = verdict(inputs, f);
  const retirement = deployed
    ? retirementSentence(inputs.retirement, inputs.requestedAmiId, { id: f.id, commit: (sha) => commitRef(inputs, sha, f.style), command: f.command, rerun: rerunThisRun(inputs.runId, f.command) }, { environment: inputs.environment, branch: inputs.defaultBranch })
    : '';
  if (!retirement) return deploy;
  // The retirement's sentence may open with a slot's name ("blue stays warm"): it starts a sentence here.
  const sentence = `${retirement.charAt(0).toUpperCase()}${retirement.slice(1)}`;
  return retirementFailed(inputs.retirement) ? `${sentence} ${deploy}` : `${deploy} ${sentence}`;
}

/** Which outcome this was, for the notification's title: a requested failback, ours, AWS's rollback, a stage, or a deploy. */
function notificationEvent(inputs: DeployReportInputs): NotificationEvent {
  if (inputs.isFailback) return 'failback';
  if (ran(inputs.steps.failbackUpdate) || inputs.flipBack) return 'auto-failback';
  if (inputs.stackStatus?.startsWith('UPDATE_ROLLBACK_')) return 'rollback';
  if (inputs.stage?.staged || inputs.stage?.failed) return 'stage';
  return 'deploy';
}

/**
 * From, To and (when it is neither) what runs now; only AMIs that were read, never a guess. A
 * stage names the AMI it staged and the one users stay on: HEAD's live AMI did not move.
 */
function notificationAmis(inputs: DeployReportInputs, ok: boolean): { label: string; amiId: string }[] {
  const staged = inputs.stage?.staged;
  const failedStage = inputs.stage?.failed;
  if (staged || failedStage) {
    const stagedAmi = staged?.amiId ?? failedStage?.amiId;
    const usersOn = staged?.liveAmiId ?? inputs.liveAmiId;
    const amis = [...(stagedAmi ? [{ label: 'Staged', amiId: stagedAmi }] : []), ...(usersOn ? [{ label: 'Users on', amiId: usersOn }] : [])];
    return amis.filter((a) => isAmiId(a.amiId));
  }
  const { from, to } = amiMove(inputs);
  const runsNow = inputs.liveAmiId ?? (ok ? to : undefined);
  const amis: { label: string; amiId: string }[] = [];
  if (from && from !== to) amis.push({ label: 'From', amiId: from });
  if (to) amis.push({ label: 'To', amiId: to });
  if (runsNow && runsNow !== to) amis.push({ label: 'Runs now', amiId: runsNow });
  return amis.filter((a) => isAmiId(a.amiId));
}

/** The commit or pull request that records the outcome in git, as links. */
function recordLinks(inputs: DeployReportInputs): { label: string; url: string }[] {
  const links: { label: string; url: string }[] = [];
  const commit = (label: string, sha: string | undefined) => {
    if (sha && inputs.repositoryUrl) links.push({ label, url: `${inputs.repositoryUrl}/commit/${sha}` });
  };
  const failback = inputs.failback;
  if (failback?.recordResult === 'pushed') commit('Failback record', failback.recordCommit);
  if (failback?.recordResult === 'pull-request' && failback.recordPullRequestUrl) links.push({ label: 'Failback pull request', url: failback.recordPullRequestUrl });
  if (inputs.syncOutcome === 'pushed') commit('Record commit', inputs.syncCommit);
  if (inputs.syncOutcome === 'pull-request' && inputs.syncPullRequestUrl) links.push({ label: 'Record pull request', url: inputs.syncPullRequestUrl });
  // A stage's decision is the switch PR: merging it moves the users.
  if (inputs.stage?.switchPullRequestUrl) links.push({ label: 'Switch pull request', url: inputs.stage.switchPullRequestUrl });
  const retirement = inputs.retirement;
  if (bakeRan(retirement) && retirement.recordResult === 'pushed') commit('Retirement record', retirement.recordCommit);
  if (bakeRan(retirement) && retirement.recordResult === 'pull-request' && retirement.recordPullRequestUrl) links.push({ label: 'Retirement pull request', url: retirement.recordPullRequestUrl });
  return links;
}

/** Where the environment moves from and to: the failback's request, else what the stack ran and HEAD. */
function amiMove(inputs: DeployReportInputs): { from?: string; to?: string } {
  return {
    from: inputs.failback?.replacedAmiId ?? inputs.stackPreviousAmiId,
    to: inputs.requestedAmiId || inputs.failback?.targetAmiId,
  };
}

function facts(inputs: DeployReportInputs, ok: boolean): [string, string][] {
  const { steps, failback } = inputs;
  const { from, to } = amiMove(inputs);
  const where = recordedWhere(inputs, FORMATS.markdown);
  const rows: [string, string][] = [['Environment', `\`${inputs.environment}\``]];
  if (failback) {
    rows.push(
      ['Failback', `requested by ${failback.requestedBy ? `@${failback.requestedBy}` : 'an unknown actor'}`],
      ['Reason', failback.reason ? IN_CELL.typed(failback.reason) : 'not given'],
      ['From', from ? `\`${from}\`` : 'not read'],
      ['To', to ? `\`${to}\`` : 'not given'],
      ['Failback record', describeFailbackRecord(inputs, FORMATS.markdown)],
    );
  } else {
    rows.push(['AMI requested (HEAD)', inputs.requestedAmiId ? `\`${inputs.requestedAmiId}\`` : 'not read: the job stopped before it read HEAD']);
    if (from && from !== inputs.requestedAmiId) rows.push(['Ran before', `\`${from}\``]);
  }
  rows.push(['Stack update', describe(steps.update, inputs.stackStatus)]);
  if (inputs.flipBack) {
    // Strategy replace's words already say the stack rolled back to blue: no flip to add.
    const window = inputs.flipBack.failedStep === 'window';
    rows.push([window ? 'Replace deploy' : 'Slots deploy', `❌ ${newSlotOf(inputs.flipBack)} ${failedAt(inputs.flipBack.failedStep)}${window ? '' : `; traffic flipped back to ${inputs.flipBack.liveSlot}`}`]);
  }
  rows.push(['Verification', describe(steps.verify)]);
  rows.push(...retirementRows(inputs.retirement, { id: FORMATS.markdown.id, commit: (sha) => commitRef(inputs, sha, 'markdown'), command: FORMATS.markdown.command, rerun: rerunThisRun(inputs.runId, FORMATS.markdown.command) }));
  if (ran(steps.failbackUpdate)) {
    rows.push(['Automatic failback', `${describe(steps.failbackUpdate)} → \`${inputs.failbackAmiId ?? '?'}\``], ['Failback verification', describe(steps.failbackVerify)]);
  }
  const unrecordedRetirement = bakeRan(inputs.retirement) && (inputs.retirement.record === 'failure' || inputs.retirement.recordResult === 'failed');
  rows.push(['Runs now', runsNowCell(inputs, ok)], ['Git', where || (unrecordedRetirement ? "HEAD names what runs but the old slot's capacity 0: the retirement is not recorded yet (above)" : ok ? 'HEAD names what runs' : gitCell(inputs))]);
  return rows;
}

function runsNowCell(inputs: DeployReportInputs, ok: boolean): string {
  if (inputs.liveAmiId) return `\`${inputs.liveAmiId}\``;
  if (ok) return `\`${inputs.requestedAmiId}\``;
  const unconfirmedAmi = unconfirmed(inputs);
  if (unconfirmedAmi) return unconfirmedAmi;
  // Superseded: the newer commit's own deploy decides what runs, and this run cannot know how far it got.
  if (inputs.failback?.recordResult === 'superseded') return 'not read: this run stopped before AWS and changed nothing there';
  // Nothing reached AWS: the stack still runs what it ran, which the failback record named.
  if (inputs.steps.prepare !== 'success' && inputs.failback?.replacedAmiId) return `\`${inputs.failback.replacedAmiId}\` (nothing changed in AWS)`;
  if (inputs.steps.prepare !== 'success') return 'unchanged: nothing changed in AWS';
  return 'could not be read: check the stack';
}

function gitCell(inputs: DeployReportInputs): string {
  if (inputs.steps.prepare !== 'success') {
    const failback = inputs.failback;
    if (failback?.recordResult === 'pull-request') return 'the failback waits in its pull request (above)';
    if (failback?.recordResult === 'superseded' && failback.supersededByAmiId) return `unchanged: the default branch names \`${failback.supersededByAmiId}\``;
    return 'unchanged';
  }
  return inputs.steps.sync === 'skipped' || inputs.steps.sync === '' ? 'not recorded: the "Record what runs" step did not run' : 'not recorded (see the "Record what runs" step)';
}

/** The record of a requested failback: the commit, the pull request it became, or why there is none. */
function describeFailbackRecord(inputs: DeployReportInputs, f: Format): string {
  const failback = inputs.failback;
  if (!failback) return '';
  switch (failback.recordResult) {
    case 'pushed':
      return `${commitRef(inputs, failback.recordCommit ?? '', f.style)} on the default branch, before the deploy`;
    case 'unchanged':
      return 'the default branch already named the target';
    case 'pull-request':
      return `${failback.recordPullRequestUrl ?? 'a pull request'} (the default branch only accepts pull requests): not deployed until it is merged`;
    case 'superseded': {
      const by = failback.supersededBy ? ` ${commitRef(inputs, failback.supersededBy, f.style)}` : '';
      const names = failback.supersededByAmiId ? `, which names ${f.id(failback.supersededByAmiId)},` : '';
      return `not written: a newer commit${by}${names} changed the file since the request`;
    }
    default:
      return failback.recordStep === 'failure' ? '❌ failed (see the "Record the requested failback" step)' : 'not written';
  }
}

/** The one sentence a person acts on. Every failure path ends by saying what runs now and whether git says the same. */
function verdict(inputs: DeployReportInputs, f: Format): string {
  const { environment: env, steps, failback } = inputs;
  const ami = f.id(inputs.requestedAmiId);
  const where = recordedWhere(inputs, f);
  if (steps.prepare !== 'success') {
    if (failback?.recordResult === 'pull-request') {
      const target = failback.targetAmiId ? f.id(failback.targetAmiId) : 'the target AMI';
      const stillRuns = failback.replacedAmiId ? `${env} still runs ${f.id(failback.replacedAmiId)}` : `${env} runs what it ran`;
      return (
        `Failback of ${env} to ${target} NOT deployed: the default branch only accepts pull requests, so the failback is ${failback.recordPullRequestUrl ?? 'a pull request'}. ` +
        `Merge it and Deploy on merge deploys it. Nothing changed in AWS: ${stillRuns}.`
      );
    }
    if (failback?.recordResult === 'superseded') return supersededHeadline(inputs, failback, f);
    if (inputs.switchRefused) return switchRefusedHeadline(inputs, inputs.switchRefused, where, f);
    if (inputs.stageWait) return stageWaitSentence(env, inputs.stageWait, { ...f, rerun: rerunThisRun(inputs.runId, f.command) });
    return `The ${failback ? 'failback' : 'deploy'} of ${env} did not start: a step before the stack update failed (see the steps above); nothing changed in AWS.`;
  }
  if (steps.update === 'success' && steps.verify === 'success') {
    if (failback) {
      const from = amiMove(inputs).from;
      const record = failback.recordResult === 'pushed' ? ` Git records it: ${describeFailbackRecord(inputs, f)}.` : '';
      return `Failed back ${env}${from ? ` from ${f.id(from)}` : ''} to ${ami}${failback.reason ? ` (${f.typed(failback.reason)})` : ''}; the fleet verified healthy through the load balancer.${record}`;
    }
    if (inputs.stage?.staged) return stagedSentence(env, { ...inputs.stage, staged: inputs.stage.staged }, { ...f, rerun: rerunThisRun(inputs.runId, f.command) });
    const from = amiMove(inputs).from;
    const inPlaceOf = from && from !== inputs.requestedAmiId ? ` in place of ${f.id(from)}` : '';
    return inputs.changed === 'false' ? `${env} already ran ${ami}; the fleet verified healthy.` : `Deployed ${ami} to ${env}${inPlaceOf}; the fleet verified healthy through the load balancer.`;
  }
  if (steps.update !== 'success' && inputs.stage?.failed) return stageFailedSentence(env, inputs.stage.failed, inputs.liveAmiId, where, f);
  if (steps.update !== 'success' && inputs.flipBack) return flippedBackHeadline(inputs, inputs.flipBack, where, f);
  if (steps.update !== 'success' && neverReachedAws(inputs)) return unreachedHeadline(inputs, f);
  if (steps.update !== 'success' && inputs.stackStatus === 'unknown' && !inputs.liveAmiId) return lostAfterExecuteHeadline(inputs, f);
  if (steps.update !== 'success') return `${describeUpdateFailure(inputs, f)}; ${runsNow(inputs, where, f)}`;
  if (inputs.isFailback) return failedFailbackHeadline(inputs, f);
  const prev = inputs.failbackAmiId ? f.id(inputs.failbackAmiId) : 'the previous AMI';
  const failed = `${ami} failed verification in ${env}`;
  if (steps.failbackUpdate === 'success' && steps.failbackVerify === 'success') return `${failed}; failed back to ${prev}, which verified healthy. ${where}`;
  if (steps.failbackUpdate === 'success') {
    // Both AMIs failed here: which one is good is for a person to find out; the command that puts it in place is known.
    return `${failed}; failed back to ${prev}, but it failed verification too: the fleet is unhealthy on ${prev}, investigate now. ${where} ${chosenFailback(inputs, f)}`;
  }
  if (steps.failbackUpdate === 'failure') return `${failed}, and the failback to ${prev} failed as well; ${runsNow(inputs, where, f)}`;
  return `${failed}, and no failback was attempted (no previous AMI known); ${runsNow(inputs, where, f)}`;
}

/**
 * A requested failback that deployed (its record is on the default branch, before the deploy) and
 * whose fleet then failed verification: git and the stack agree on the target, which is
 * unhealthy. No automatic failback from a failback; the AMI it moved away from is named, with the
 * one command that puts it back if it is the better of the two.
 */
function failedFailbackHeadline(inputs: DeployReportInputs, f: Format): string {
  const { environment: env } = inputs;
  const ami = f.id(inputs.requestedAmiId);
  const from = amiMove(inputs).from;
  const runs = f.id(inputs.liveAmiId ?? inputs.requestedAmiId);
  const head = `The failback of ${env}${from && from !== inputs.requestedAmiId ? ` from ${f.id(from)}` : ''} to ${ami} deployed, and git records ${ami}, but the fleet failed verification on it: ${env} runs ${runs}, unhealthy.`;
  const next = 'No automatic failback from a failback: investigate now.';
  if (!from || from === inputs.requestedAmiId) {
    return `${head} ${next} ${chosenFailback(inputs, f)}`;
  }
  const command = failbackCommand(env, from, `${inputs.requestedAmiId} failed verification after the failback`, inputs.defaultBranch);
  return `${head} ${next} If ${f.id(from)}, which ran before the failback, is the better of the two, this one command puts it back and records it: ${f.command(command)}`;
}

/** The Failback workflow for an AMI a person has yet to choose (AMI_ID in the command), when no AMI known here verified. */
function chosenFailback(inputs: DeployReportInputs, f: Format): string {
  return `Once you know which AMI is good here, this one command deploys it and records it, with AMI_ID that AMI: ${f.command(failbackCommand(inputs.environment, 'AMI_ID', '', inputs.defaultBranch))}`;
}

/**
 * A failback whose record lost to a newer commit: both AMIs, and the one command (the record
 * step's own words). Without the newer commit (a workflow that does not pass it) only what is
 * certain: nothing changed.
 */
function supersededHeadline(inputs: DeployReportInputs, failback: FailbackRequestReport, f: Format): string {
  const { environment: env } = inputs;
  const target = failback.targetAmiId ? f.id(failback.targetAmiId) : 'the target AMI';
  const head = `Failback of ${env} to ${target} NOT recorded or deployed`;
  if (!failback.supersededBy || !failback.targetAmiId) {
    return `${head}: a newer commit changed the environment's file since the request (see the record step). Nothing changed in AWS or git.`;
  }
  const superseded = {
    environment: env,
    targetAmiId: failback.targetAmiId,
    reason: failback.reason ?? '',
    branch: inputs.defaultBranch,
    newerCommit: failback.supersededBy,
    newerAmiId: failback.supersededByAmiId,
  };
  return `${head}: a newer commit changed ${env}'s parameters file since the request, and recording ${target} over it would undo that newer decision. ${describeSupersededFailback(superseded, f)}`;
}

/**
 * Staging ahead: check-switch refused a switch merged onto another AMI than it names, before any
 * AWS change; the record step then wrote what the stack runs. Once git names that (the record was
 * pushed, or there was nothing to record), re-running the job deploys HEAD: the stack already
 * matches, so a slot HEAD stages is proven again and its switch PR proposed, the one way to move
 * users that a person approves with its proof in front of them.
 */
function switchRefusedHeadline(inputs: DeployReportInputs, refused: { switchAmiId?: string }, where: string, f: Format): string {
  const { environment: env } = inputs;
  const named = refused.switchAmiId ? ` for ${f.id(refused.switchAmiId)}` : '';
  const head =
    `The switch of ${env} was refused before any AWS change: the switch PR was approved${named}, but HEAD makes ${f.id(inputs.requestedAmiId)} live ` +
    `(the file changed on the default branch after the switch was proposed; see the "Check the switch" step). Users stay where they were.`;
  const recorded = inputs.syncOutcome === 'pushed' || inputs.syncOutcome === 'unchanged';
  const rerun = rerunThisRun(inputs.runId, f.command);
  const next = recorded
    ? `To switch, this one command deploys what git names now (nothing changes in AWS): a slot it stages is proven again and its switch PR proposed, for you to merge: ${rerun}`
    : inputs.syncOutcome === 'pull-request'
      ? `Merge the record PR first; then this one command proposes the switch again for what git stages: ${rerun}`
      : '';
  return [head, where, next].filter(Boolean).join(' ');
}

/**
 * What went wrong with the stack update, from the status the stack was left in: a rollback that
 * failed needs a person first; a rollback means AWS undid it; a status that is still busy or
 * still the previous `*_COMPLETE` means this run changed nothing (a change set that failed, or a
 * stack that stayed busy past the timeout).
 */
function describeUpdateFailure({ environment: env, requestedAmiId, stackStatus: status, steps }: DeployReportInputs, f: Format): string {
  const ami = f.id(requestedAmiId);
  if (status === 'UPDATE_ROLLBACK_FAILED') {
    return `The update of ${env} to ${ami} failed and CloudFormation could not roll back (UPDATE_ROLLBACK_FAILED): continue the rollback (${f.command('aws cloudformation continue-update-rollback')}) before anything else`;
  }
  if (status?.startsWith('UPDATE_ROLLBACK_')) return `CloudFormation rolled back the update of ${env} to ${ami}`;
  if (status?.endsWith('_IN_PROGRESS')) return `The update of ${env} to ${ami} did not start: the stack stayed busy (${status})`;
  if (status?.endsWith('_COMPLETE')) return `The update of ${env} to ${ami} did not start: the stack is still ${status} (the update step says why)`;
  return `The update of ${env} to ${ami} failed (${status || `update step: ${steps.update || 'not run'}`})`;
}

/** The slot that was being deployed: the other one of the two. */
function newSlotOf(flipBack: SlotsFlipBack): string {
  return flipBack.liveSlot === 'blue' ? 'green' : flipBack.liveSlot === 'green' ? 'blue' : 'the new slot';
}

/** Where the new slot failed, as a person reads it: what users saw of it follows from the step. */
function failedAt(step: string): string {
  switch (step) {
    case 'prove':
      return 'failed verification on its own target group, before it took any user traffic';
    case 'canary':
      return 'did worse than the live slot during the canary, so users met it only at the canary share';
    case 'switch':
      return 'was proven and passed the canary, but the switch of all traffic to it failed';
    case 'window':
      // Strategy replace: green shared the target group with blue until the update was cancelled.
      return 'failed verification inside the rollback-trigger window, while blue still served beside it; the update was cancelled and CloudFormation rolled the stack back to blue';
    default:
      return `failed at the ${step} step`;
  }
}

/**
 * A slots deploy that failed and flipped traffic back inside the update step: name where the new
 * slot failed, the slot (and AMI) users are on again, the AMI that failed, and the record.
 */
function flippedBackHeadline(inputs: DeployReportInputs, flipBack: SlotsFlipBack, where: string, f: Format): string {
  const { environment: env, liveAmiId: live } = inputs;
  const back = live ? `${flipBack.liveSlot} (${f.id(live)})` : flipBack.liveSlot;
  const record = where || (inputs.steps.sync === 'success' ? '' : 'Git does not record it yet (see the "Record what runs" step).');
  return `${f.id(inputs.requestedAmiId)} failed in ${env}: ${newSlotOf(flipBack)} ${failedAt(flipBack.failedStep)}. Traffic is back on ${back}, the AMI it ran before. ${record}`.trim();
}

/**
 * The update failed before AWS told this job anything (no stack status from the update, no live
 * AMI from the record step): AWS could not be reached. HEAD's AMI is certainly not deployed by this
 * run; what the stack runs can only come from git history.
 */
function neverReachedAws(inputs: DeployReportInputs): boolean {
  return !inputs.stackStatus && !inputs.liveAmiId && inputs.steps.update === 'failure';
}

function unreachedHeadline({ environment: env, requestedAmiId, previousAmiId: previous, runId }: DeployReportInputs, f: Format): string {
  const ami = f.id(requestedAmiId);
  const runs = previous
    ? `by git history ${env} still runs ${f.id(previous)} (the AMI before HEAD's; this could not be confirmed with AWS)`
    : `git history names no AMI before it, so what ${env} runs is unknown`;
  return (
    `The update of ${env} to ${ami} never reached AWS (see the update step), so ${ami} is not deployed; ${runs}. ` +
    `Git says ${ami} until then: once AWS answers, this one command deploys HEAD: ${rerunThisRun(runId, f.command)} (or run the Drift workflow to check what ${env} runs).`
  );
}

/**
 * ExecuteChangeSet was sent, then AWS stopped answering (update-app-stack reports the stack status
 * as `unknown`) and the record step could not read the stack either: the update may have
 * completed, rolled back or still be running. Both AMIs are possible; neither is claimed.
 */
function lostAfterExecuteHeadline({ environment: env, requestedAmiId, stackPreviousAmiId, previousAmiId, runId }: DeployReportInputs, f: Format): string {
  const before = stackPreviousAmiId ?? previousAmiId;
  const ami = f.id(requestedAmiId);
  const either = before && before !== requestedAmiId ? `${env} runs ${ami} if the update completed, or still ${f.id(before)} if it rolled back` : `what ${env} runs could not be confirmed`;
  return (
    `The update of ${env} to ${ami} was sent to CloudFormation, then AWS stopped answering (see the update step), so its outcome is unknown: ${either}. ` +
    `Git says ${ami}: once AWS answers, this one command waits for the update to end, then finds no changes if ${ami} runs, or deploys it again and records what runs: ${rerunThisRun(runId, f.command)}`
  );
}

/** What git history says runs, when AWS could not be asked. */
function unconfirmed(inputs: DeployReportInputs): string | undefined {
  return inputs.previousAmiId && neverReachedAws(inputs) ? `\`${inputs.previousAmiId}\` by git history (not confirmed with AWS)` : undefined;
}

function runsNow(inputs: DeployReportInputs, where: string, f: Format): string {
  return inputs.liveAmiId ? `${inputs.environment} runs ${f.id(inputs.liveAmiId)}. ${where}` : `what ${inputs.environment} runs could not be read: check the stack before anything else. ${where}`;
}

/**
 * The record step gave way to a newer commit. What is certain: what the stack runs (read after the
 * update) and what git names since that commit. Whether a run that deploys the newer commit is
 * waiting is not visible from here (a merge starts a Deploy run, a failback's own run deploys its
 * record, and a concurrency group may have replaced a pending run by a newer one), so the text says
 * so and gives the one command that deploys what git names when nothing does: every Deploy run
 * deploys the default branch's HEAD, so re-running the newer commit's is enough.
 */
function supersededRecord(inputs: DeployReportInputs, f: Format): string {
  const { environment: env, liveAmiId: live } = inputs;
  const sha = inputs.syncSupersededBy ?? '';
  const by = sha ? ` ${commitRef(inputs, sha, f.style)}` : '';
  const newer = inputs.syncSupersededByAmiId;
  const names = newer ? `, which names ${f.id(newer)},` : '';
  const moved = `a newer commit${by}${names} changed this environment's file since this deploy started`;
  if (newer && live === newer) return `The record was not needed: ${moved}, and ${env} runs what it names, so git and the stack agree.`;
  const command = f.command(rerunDeployCommand(sha || undefined));
  return (
    `The record was not written: ${moved}, and recording ${live ? f.id(live) : 'what runs'} over it would undo that newer decision. ` +
    `Git names ${newer ? f.id(newer) : `what ${sha.slice(0, 12) || 'that commit'} names`} while ${env} runs ${live ? f.id(live) : 'what this run could not read'}. ` +
    `This run does not deploy the newer commit and cannot see whether another run will (the Deploy run of its merge, or the Failback run that recorded it). ` +
    `If none is queued or running, this one command deploys what git names: ${command}`
  );
}

/** A commit: a link in Markdown, the short SHA and its URL in text. */
function commitRef(inputs: DeployReportInputs, sha: string, style: Style): string {
  if (!inputs.repositoryUrl || !sha) return sha.slice(0, 12);
  const url = `${inputs.repositoryUrl}/commit/${sha}`;
  return style === 'markdown' ? `[${sha.slice(0, 12)}](${url})` : `${sha.slice(0, 12)} (${url})`;
}

function recordedWhere(inputs: DeployReportInputs, f: Format): string {
  const link = (sha: string) => commitRef(inputs, sha, f.style);
  const { environment: env, requestedAmiId: ami, liveAmiId: live } = inputs;
  switch (inputs.syncOutcome) {
    case 'pushed':
      return `Git records it: ${link(inputs.syncCommit ?? '')} on the default branch.`;
    case 'pull-request':
      return `Git records it in ${inputs.syncPullRequestUrl} (the branch is protected): merge it so git says what runs.`;
    case 'unchanged':
      return 'Git already says so.';
    case 'superseded':
      return supersededRecord(inputs, f);
    default:
      if (inputs.steps.sync !== 'failure') return '';
      // The stack was read (live is known) but git would not take the record: name both and the one command.
      if (live && live !== ami) {
        const command = failbackCommand(env, live, `record what ${env} runs after the failed deploy of ${ami}`, inputs.defaultBranch);
        return (
          `Git could NOT record it (see the "Record what runs" step), so git says ${f.id(ami)} while ${env} runs ${f.id(live)}: ` +
          `this one command records ${f.id(live)} in git (the stack already runs it, so it changes nothing in AWS): ${f.command(command)}`
        );
      }
      // Only what is certain: the AMIs agree, or what runs was not read.
      if (live) return `Git could NOT record the stack's state (see the "Record what runs" step), but HEAD already names ${f.id(live)}, which ${env} runs; this one command re-runs the job to record the rest (a slot's capacity or weight): ${rerunThisRun(inputs.runId, f.command)}`;
      return `Git could NOT be updated (see the "Record what runs" step) and what ${env} runs was not read, so whether it still is ${f.id(ami)}, as git says, is not known: once AWS answers, this one command re-runs the job, whose record step reads the stack and records what runs: ${rerunThisRun(inputs.runId, f.command)}`;
  }
}

/** A step that was reached (a skipped step's `if` was false: it is not news). */
function ran(outcome: StepOutcome): boolean {
  return outcome === 'success' || outcome === 'failure' || outcome === 'cancelled';
}

function describe(outcome: StepOutcome, detail?: string): string {
  const icon = { success: '✅', failure: '❌', cancelled: '⏹️', skipped: '⏭️', '': '—' }[outcome];
  return `${icon} ${outcome || 'not run'}${detail ? ` (${detail})` : ''}`;
}
