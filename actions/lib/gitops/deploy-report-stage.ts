/**
 * The deploy report's sentences for staging ahead (docs/parameters.md, "Staging ahead"): a stage
 * deploy that proved the idle slot and proposed the switch PR, or one whose prove failed. Both
 * name the staged AMI and the one users are on; the second says where the slot is now.
 */
import type { StageWaitReport } from '../slots/stage-window';
import type { StepOutcome } from './deploy-report';

export interface StageReport {
  /** update-app-stack's stage-evidence: what was staged and proven. */
  staged?: { slot: string; amiId: string; previousAmiId: string; liveSlot: string; liveAmiId: string; samples: number; errorRate: number };
  /** update-app-stack's stage-failed. */
  failed?: { slot: string; previousAmiId: string; amiId: string; restored: boolean };
  /** The propose-switch step. */
  proposeStep: StepOutcome;
  switchPullRequestUrl?: string;
}

interface Ids {
  id(value: string): string;
  command(value: string): string;
}

/** The switch PR is part of a stage deploy's success: without it nobody is asked to decide. */
export function stageIncomplete(stage: StageReport | undefined): boolean {
  return stage?.staged !== undefined && (stage.proposeStep !== 'success' || !stage.switchPullRequestUrl);
}

/** `f.rerun`: the re-run of this run's failed jobs, formatted (rerun-command.ts). */
export function stagedSentence(env: string, stage: StageReport & { staged: NonNullable<StageReport['staged']> }, f: Ids & { rerun: string }): string {
  const s = stage.staged;
  const proven = `Staged ${f.id(s.amiId)} in ${s.slot} of ${env} (it held ${f.id(s.previousAmiId)}) and proved it on its own target group (${s.samples} samples, ${(s.errorRate * 100).toFixed(1)} % errors), with no user traffic: users stay on ${s.liveSlot} (${f.id(s.liveAmiId)}).`;
  if (!stageIncomplete(stage)) return `${proven} The switch PR ${stage.switchPullRequestUrl} moves them from ${f.id(s.liveAmiId)} to ${f.id(s.amiId)} when merged.`;
  return `${proven} But the switch PR could not be proposed (see the "Propose the switch" step), so nobody is asked to switch yet; git and the stack agree. This one command re-runs the job, which proposes it (the stack already matches, so it changes nothing in AWS): ${f.rerun}`;
}

export function stageFailedSentence(env: string, failed: NonNullable<StageReport['failed']>, liveAmiId: string | undefined, where: string, f: Ids): string {
  const live = liveAmiId ? ` (${f.id(liveAmiId)})` : '';
  const now = failed.restored ? `${failed.slot} is back on ${f.id(failed.previousAmiId)}, as before the stage` : `putting ${failed.slot} back failed, so it still runs ${f.id(failed.amiId)} at weight 0, no user traffic`;
  return `Staging ${f.id(failed.amiId)} in ${failed.slot} of ${env} failed its prove on its own target group: no user request reached it, users stayed on the live slot${live} throughout; ${now}. No switch PR. ${where}`.trim();
}

/**
 * A stage check-switch held back: the idle slot is still the way back of the live AMI's bake window
 * (slots/stage-window.ts). Nothing changed in AWS; git stages the new AMI while the stack keeps the
 * old one warm there until the window ends, and then the re-run stages it.
 */
export function stageWaitSentence(env: string, wait: StageWaitReport, f: Ids & { rerun: string }): string {
  return (
    `The stage of ${f.id(wait.stagedAmiId)} in ${wait.slot} of ${env} waits for the bake window of ${f.id(wait.liveAmiId)}: ${wait.slot} is its way back, warm on ${f.id(wait.warmAmiId)} one weight flip from the users, until ${wait.endsAt} (AWS's clock). ` +
    `Nothing changed in AWS: users stay on ${f.id(wait.liveAmiId)}; git stages ${f.id(wait.stagedAmiId)} in ${wait.slot} while the stack keeps ${f.id(wait.warmAmiId)} there. ` +
    `After ${wait.endsAt}, this one command stages it in place of ${f.id(wait.warmAmiId)}, proves it at weight 0 and proposes its switch PR: ${f.rerun}`
  );
}
