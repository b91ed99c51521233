/** The GitHub issue call the checks that alert make; an adapter over Octokit in the action, a fake in tests. */
export interface IssueApi {
  /**
   * Opens an issue with `label`, or updates the body of the open one with the same title and label,
   * so a check that keeps failing keeps one issue current instead of opening one a day.
   */
  upsertIssue(request: { title: string; body: string; label: string }): Promise<{ number: number; url: string; created: boolean }>;
}
