/**
 * The failback's workflow side, step by step: failback.yml is one job, the environment's deploy
 * job (.github/workflows/deploy-environment.yml), and on a failback every step before "Update the
 * app stack" runs. Its time from the job's first step (after the environment's approval, which the
 * model does not count) to update-app-stack's start is the sum of these assumed durations. The
 * step names are the workflow's own, in its order, and test/unit/bench/failback-job.test.ts keeps
 * them so: a step added to the workflow fails that test until it is given a duration here.
 *
 * Each is an assumption about GitHub's hosted runners, not a measurement: a JavaScript action's
 * step starts Node on its bundle (about a second) before its own work; the local cycle times the
 * same steps on this machine without GitHub's network (docs/performance.md).
 */
export interface FailbackJobStep {
  /** The step's name in deploy-environment.yml. */
  name: string;
  seconds: number;
  /** What the duration is made of. */
  why: string;
}

export const FAILBACK_JOB_STEPS: readonly FailbackJobStep[] = Object.freeze([
  { name: 'Mint a GitHub App token', seconds: 2, why: 'one GitHub API call (only with an App; counted anyway)' },
  { name: "Check out the default branch's HEAD", seconds: 4, why: 'full history, for the default target and the record' },
  { name: 'Validate the failback request and choose the target', seconds: 2, why: 'git only: the wiring file and the git log of one parameters file' },
  { name: 'Assume the deploy role for the failback', seconds: 3, why: 'the OIDC token and AssumeRoleWithWebIdentity' },
  { name: 'Check the failback target AMI', seconds: 2, why: 'DescribeStacks (whose account is self) and DescribeImages' },
  { name: 'Record the requested failback', seconds: 5, why: 'commit, then fetch and push: one round trip to GitHub' },
  { name: 'Resolve what HEAD says', seconds: 2, why: 'git only' },
  // "Assume the deploy role" and "Check the switch" (staging ahead) are skipped on a failback.
  { name: 'Check the wave gate', seconds: 2, why: 'git only' },
]);

/**
 * The update step's own start before the slots steps run (their durations are the strategy
 * model's): Node on the update-app-stack bundle, the parameters file checked against the template,
 * DescribeStacks for what the stack runs.
 */
export const UPDATE_STEP_START: FailbackJobStep = Object.freeze({ name: 'Update the app stack', seconds: 2, why: "its start: Node on the bundle, the parameters file checked against the template, DescribeStacks" });

/** The steps a failback skips before the update (their `if:` excludes it). */
export const SKIPPED_ON_FAILBACK: readonly string[] = Object.freeze(['Assume the deploy role', 'Check the switch']);

/** The job's first step → the slots steps of update-app-stack begin. */
export const failbackJobSeconds = (steps: readonly FailbackJobStep[] = FAILBACK_JOB_STEPS): number => steps.reduce((sum, s) => sum + s.seconds, UPDATE_STEP_START.seconds);
