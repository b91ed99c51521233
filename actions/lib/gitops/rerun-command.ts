/**
 * The re-run a verdict asks for, as the one command to copy: this workflow run's failed jobs again
 * (`gh run rerun <run ID> --failed`, gh's "rerun only failed jobs, including dependencies"). The
 * deploy job checks out the default branch's HEAD, so the re-run deploys what git names now (after
 * the job's own record, when it wrote one). The run ID is the workflow's `github.run_id`, which the
 * workflow passes as the `run-id` input: a command with a placeholder in it is one more thing a
 * person gets wrong at the worst moment.
 */
export function rerunFailedJobsCommand(runId: string): string {
  return `gh run rerun ${runId} --failed`;
}

/**
 * The re-run as a verdict says it: the command (through `command`, the caller's formatting), or,
 * for a caller that passes no run ID, the button on the run's page: never a made-up ID.
 */
export function rerunThisRun(runId: string | undefined, command: (value: string) => string): string {
  return runId ? command(rerunFailedJobsCommand(runId)) : '"Re-run failed jobs" on this run\'s page';
}
