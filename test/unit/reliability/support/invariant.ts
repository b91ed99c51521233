/**
 * The one invariant every fault test ends with (issue 6): git says what runs, or the run says
 * loudly that it does not, what differs, and how to reconcile.
 *
 *   either  the AMI in the environment's parameters file on the default branch
 *           == the app stack's AmazonMachineImage parameter,
 *   or      the run failed, and ONE of its statements (an error message, a paragraph of a job
 *           summary) names both AMIs and the command or workflow that reconciles them.
 *
 * "One statement" on purpose: an AMI in a table row and the other in an unrelated log line do not
 * tell a person that git and AWS disagree.
 */

/** The ways the product tells a person to bring git and AWS back together, by name. */
export const RECONCILERS = {
  'continue-update-rollback': /aws cloudformation continue-update-rollback --stack-name \S+/,
  // The exact command (gh run rerun <this run's ID> --failed), or a step's own "re-run the job".
  're-run': /\bgh run rerun \d+ --failed\b|\bre-run\b/i,
  'revert the parameters file': /revert the change to \S+/i,
  'Failback workflow': /\bFailback workflow\b|\bgh workflow run failback\.yml /,
  'merge the record PR': /merge it so git says what runs/i,
  'resume with image-arn': /image-arn: arn:aws[a-z-]*:imagebuilder:/,
} as const;

export type Reconciler = keyof typeof RECONCILERS;

export interface RunObservation {
  /** The AMI git names for the environment (parameters file on the default branch). */
  gitAmi: string;
  /** The AMI the app stack runs once the run is over. */
  runningAmi: string;
  /** Whether the run (step or job) failed. */
  failed: boolean;
  /** What the run said: error messages, job summaries (split into paragraphs here), annotations. */
  said: readonly string[];
}

export type InvariantVerdict = { holds: 'git says what runs' } | { holds: 'failed loudly'; reconciler: Reconciler; statement: string };

/** Paragraphs (blank-line separated) of every text, so a summary is judged statement by statement. */
export function statementsOf(texts: readonly string[]): string[] {
  return texts.flatMap((t) => t.split(/\n\s*\n/)).map((s) => s.trim()).filter(Boolean);
}

/**
 * Checks the invariant and returns which side of it held (tests assert on that too, so a case
 * that should keep git and AWS equal cannot pass by failing loudly, nor the reverse).
 */
export function checkGitSaysWhatRuns(run: RunObservation): InvariantVerdict {
  if (run.gitAmi === run.runningAmi) return { holds: 'git says what runs' };
  if (!run.failed) {
    throw new Error(`Invariant broken: git says ${run.gitAmi}, the stack runs ${run.runningAmi}, and the run succeeded without saying so.`);
  }
  for (const statement of statementsOf(run.said)) {
    if (!statement.includes(run.gitAmi) || !statement.includes(run.runningAmi)) continue;
    const reconciler = (Object.keys(RECONCILERS) as Reconciler[]).find((name) => RECONCILERS[name].test(statement));
    if (reconciler) return { holds: 'failed loudly', reconciler, statement };
  }
  const close = statementsOf(run.said).filter((s) => s.includes(run.gitAmi) || s.includes(run.runningAmi));
  throw new Error(
    `Invariant broken: git says ${run.gitAmi}, the stack runs ${run.runningAmi}, and no statement of the failed run names both with a way to reconcile ` +
      `(${Object.keys(RECONCILERS).join(', ')}).\nStatements naming one of them:\n${close.map((s) => `  - ${s.replace(/\n/g, ' ')}`).join('\n') || '  (none)'}`,
  );
}

/** The shared assertion: the invariant holds, on the expected side. */
export function expectGitSaysWhatRuns(run: RunObservation, expected: InvariantVerdict['holds'], reconciler?: Reconciler): InvariantVerdict {
  const verdict = checkGitSaysWhatRuns(run);
  expect(verdict.holds).toBe(expected);
  if (reconciler && verdict.holds === 'failed loudly') expect(verdict.reconciler).toBe(reconciler);
  return verdict;
}
