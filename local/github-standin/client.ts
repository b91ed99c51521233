/**
 * How the cycle looks at the GitHub API stand-in's pull requests: through the list endpoint it
 * serves (GET /repos/{owner}/{repo}/pulls), as a person's tool would read GitHub, not through the
 * stand-in's memory.
 */
import type { simplePullRequest } from './shapes';

export type ListedPullRequest = ReturnType<typeof simplePullRequest>;

export async function listPullRequests(apiUrl: string, repository: string, token: string, query: { state?: 'open' | 'closed' | 'all'; head?: string; base?: string }): Promise<ListedPullRequest[]> {
  const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
  const response = await fetch(`${apiUrl}/repos/${repository}/pulls?${params.toString()}`, { headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json' } });
  if (!response.ok) throw new Error(`GitHub stand-in: GET pulls answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as ListedPullRequest[];
}
