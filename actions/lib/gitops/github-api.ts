import { getOctokit } from '@actions/github';

import type { IssueApi } from './issue-api';
import type { IssueCommentApi } from './preview-comment';
import type { PullRequestApi } from './record-change';

type Octokit = ReturnType<typeof getOctokit>;

/** owner/name of the repository the workflow runs in. */
export interface RepositoryRef {
  owner: string;
  repo: string;
}

/** The GitHub API calls the gitops commands make, over one authenticated Octokit. */
export function createGitHubApi(octokit: Octokit, ref: RepositoryRef): PullRequestApi & IssueCommentApi & IssueApi {
  return {
    async upsertIssue({ title, body, label }) {
      const open = await octokit.paginate(octokit.rest.issues.listForRepo, { ...ref, state: 'open', labels: label, per_page: 100 });
      const existing = open.find((issue) => issue.title === title && !issue.pull_request);
      if (existing) {
        await octokit.rest.issues.update({ ...ref, issue_number: existing.number, body });
        return { number: existing.number, url: existing.html_url, created: false };
      }
      const { data } = await octokit.rest.issues.create({ ...ref, title, body, labels: [label] });
      return { number: data.number, url: data.html_url, created: true };
    },
    async openPullRequest({ head, base, title, body }) {
      const open = await octokit.rest.pulls.list({ ...ref, state: 'open', head: `${ref.owner}:${head}`, base, per_page: 1 });
      if (open.data.length > 0) {
        const pr = open.data[0];
        await octokit.rest.pulls.update({ ...ref, pull_number: pr.number, title, body });
        return { number: pr.number, url: pr.html_url, created: false };
      }
      const created = await octokit.rest.pulls.create({ ...ref, head, base, title, body, maintainer_can_modify: true });
      return { number: created.data.number, url: created.data.html_url, created: true };
    },
    async listComments(issueNumber) {
      const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...ref, issue_number: issueNumber, per_page: 100 });
      return comments.map((c) => ({ id: c.id, body: c.body ?? '', author: c.user?.login ?? '' }));
    },
    async createComment(issueNumber, body) {
      const { data } = await octokit.rest.issues.createComment({ ...ref, issue_number: issueNumber, body });
      return { id: data.id, url: data.html_url };
    },
    async updateComment(commentId, body) {
      const { data } = await octokit.rest.issues.updateComment({ ...ref, comment_id: commentId, body });
      return { id: data.id, url: data.html_url };
    },
  };
}
