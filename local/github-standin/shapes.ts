/**
 * The JSON the GitHub stand-in answers with, in the shapes of GitHub's REST description
 * (`pull-request-simple` for a list, `pull-request` for a create or an update; the
 * `@octokit/openapi-types` package Octokit is typed with is generated from that description, and
 * test/integration/github-standin.test.ts checks every required key against it). The values the
 * stand-in cannot know are the ones a fresh PR in a quiet repository has: no labels, reviewers,
 * milestone or comments; `mergeable` is GitHub's "not computed yet" (null) while open.
 */
import type { PullRequestGitState, StoredPullRequest } from './pull-store';

export interface RepositoryIdentity {
  owner: string;
  repo: string;
  /** Where html_url links point (GITHUB_SERVER_URL of the runs). */
  serverUrl: string;
  /** This server's base URL (GITHUB_API_URL of the runs). */
  apiUrl: string;
  /** Who the stand-in says opened every PR: it does not read tokens, so it cannot tell who called. */
  actor: string;
}

/** Stable made-up IDs: GitHub's are database IDs, opaque to every caller. */
const REPOSITORY_ID = 1_000_001;
const PULL_ID_BASE = 2_000_000_000;

function user(login: string, id: RepositoryIdentity) {
  const url = `${id.apiUrl}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id: 41898282,
    node_id: 'MDM6Qm90NDE4OTgyODI=',
    avatar_url: '',
    gravatar_id: '',
    url,
    html_url: `${id.serverUrl}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
    site_admin: false,
  };
}

/** The repository's identifying fields (GitHub's full `repository` object has some 80 more, which nothing here reads). */
function repository(id: RepositoryIdentity) {
  const url = `${id.apiUrl}/repos/${id.owner}/${id.repo}`;
  return {
    id: REPOSITORY_ID,
    node_id: 'R_standin',
    name: id.repo,
    full_name: `${id.owner}/${id.repo}`,
    private: true,
    owner: user(id.owner, id),
    html_url: `${id.serverUrl}/${id.owner}/${id.repo}`,
    url,
    fork: false,
    default_branch: 'main',
  };
}

function branchRef(ref: string, sha: string, id: RepositoryIdentity) {
  return { label: `${id.owner}:${ref}`, ref, sha, user: user(id.owner, id), repo: repository(id) };
}

/** `pull-request-simple`: one entry of GET /repos/{owner}/{repo}/pulls. */
export function simplePullRequest(pull: StoredPullRequest, git: PullRequestGitState, id: RepositoryIdentity) {
  const url = `${id.apiUrl}/repos/${id.owner}/${id.repo}/pulls/${pull.number}`;
  const issueUrl = `${id.apiUrl}/repos/${id.owner}/${id.repo}/issues/${pull.number}`;
  const html = `${id.serverUrl}/${id.owner}/${id.repo}/pull/${pull.number}`;
  const closedAt = git.merged ? (git.mergedAt ?? pull.updatedAt) : pull.closedAt;
  const statuses = `${id.apiUrl}/repos/${id.owner}/${id.repo}/statuses/${git.headSha}`;
  return {
    url,
    id: PULL_ID_BASE + pull.number,
    node_id: `PR_standin${pull.number}`,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueUrl,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${id.apiUrl}/repos/${id.owner}/${id.repo}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: statuses,
    number: pull.number,
    state: closedAt ? 'closed' : 'open',
    locked: false,
    title: pull.title,
    user: user(id.actor, id),
    body: pull.body,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: closedAt,
    merged_at: git.merged ? git.mergedAt : null,
    merge_commit_sha: git.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: branchRef(pull.head, git.headSha, id),
    base: branchRef(pull.base, git.baseSha, id),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issueUrl },
      comments: { href: `${issueUrl}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${id.apiUrl}/repos/${id.owner}/${id.repo}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: statuses },
    },
    author_association: 'CONTRIBUTOR',
    auto_merge: null,
    draft: pull.draft,
  };
}

/** `pull-request`: the answer of POST /repos/{owner}/{repo}/pulls and PATCH .../pulls/{number}. */
export function fullPullRequest(pull: StoredPullRequest, git: PullRequestGitState, id: RepositoryIdentity) {
  const open = !git.merged && !pull.closedAt;
  return {
    ...simplePullRequest(pull, git, id),
    merged: git.merged,
    // GitHub computes mergeability in the background and answers null until it has; the stand-in never computes it.
    mergeable: open ? null : false,
    rebaseable: null,
    mergeable_state: 'unknown',
    merged_by: git.merged ? user(id.actor, id) : null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: pull.maintainerCanModify,
    commits: git.commits,
    additions: git.additions,
    deletions: git.deletions,
    changed_files: git.changedFiles,
  };
}

/** GitHub's error body: a message, where the docs are and the status as a string; 422s add what was wrong. */
export function errorBody(status: number, message: string, documentation: string, errors?: ReadonlyArray<Record<string, string>>) {
  return { message, ...(errors ? { errors } : {}), documentation_url: `https://docs.github.com/rest/${documentation}`, status: String(status) };
}
