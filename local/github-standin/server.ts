/**
 * The GitHub API STAND-IN for local mode: nothing emulates GitHub's REST API, so the cycle brings
 * this loopback server for the pull-request endpoints the bundled gitops action calls
 * (actions/lib/gitops/github-api.ts: list the open PR of a branch, update it, create one). The
 * action reaches it exactly as it reaches GitHub, through GITHUB_API_URL (the variable a runner
 * sets, which @actions/github's Octokit reads); the action has no local path of its own.
 *
 * What it models: the three endpoints' requests, validation errors and answers in the shapes of
 * GitHub's REST description (shapes.ts), backed by the scratch repository (pull-store.ts): a PR's
 * head commit is its branch's, and it is merged once its head reaches the base, as GitHub marks a
 * PR merged when its head is pushed into the base. What it does not: authentication (an
 * Authorization header is required, the token is never checked), permissions, rate limits, checks
 * and statuses, reviews, comments, labels, issues, forks, webhooks, and every other endpoint (404,
 * logged). It says so in every log line it writes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

import { systemClock, type Clock } from '../../actions/lib/clock';
import { GitRepository } from '../../actions/lib/gitops/git';
import { PullRequestStore, type StoredPullRequest } from './pull-store';
import { errorBody, fullPullRequest, simplePullRequest, type RepositoryIdentity } from './shapes';

export interface GitHubStandinOptions {
  /** The repository playing GitHub's (the scratch clone's bare origin). */
  repositoryDir: string;
  /** owner/name, as GITHUB_REPOSITORY says it to the actions. */
  repository: string;
  /** GITHUB_SERVER_URL of the runs: where html_url links point. */
  serverUrl: string;
  /** Who the stand-in says opened and merged PRs (it reads no token). Default: the Actions bot. */
  actor?: string;
  port?: number;
  clock?: Clock;
  log?: (line: string) => void;
}

export interface GitHubStandin {
  /** http://127.0.0.1:<port>: the value for GITHUB_API_URL. */
  apiUrl: string;
  store: PullRequestStore;
  stop(): Promise<void>;
}

const LABEL = 'STAND-IN: GitHub API';
const DOCS = { list: 'pulls/pulls#list-pull-requests', create: 'pulls/pulls#create-a-pull-request', update: 'pulls/pulls#update-a-pull-request', any: 'overview' } as const;

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

const fail = (status: number, message: string, docs: string, errors?: ReadonlyArray<Record<string, string>>) => new HttpAnswer(status, errorBody(status, message, docs, errors));
const invalid = (docs: string, ...errors: Record<string, string>[]) => fail(422, 'Validation Failed', docs, errors.map((e) => ({ resource: 'PullRequest', ...e })));

export async function startGitHubStandin(options: GitHubStandinOptions): Promise<GitHubStandin> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const clock = options.clock ?? systemClock;
  const [owner, repo] = options.repository.split('/');
  if (!owner || !repo) throw new Error(`GitHub stand-in: repository "${options.repository}" is not owner/name.`);
  const store = new PullRequestStore(new GitRepository(options.repositoryDir));
  let apiUrl = '';
  const identity = (): RepositoryIdentity => ({ owner, repo, serverUrl: options.serverUrl, apiUrl, actor: options.actor ?? 'github-actions[bot]' });
  const now = () => new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');

  async function route(request: IncomingMessage, url: URL): Promise<HttpAnswer> {
    // GitHub answers a private repository's endpoints to a caller without a token as if they did not exist, and a write with 401.
    if (!request.headers.authorization) return fail(401, 'Requires authentication', DOCS.any);
    const match = /^\/repos\/([^/]+)\/([^/]+)\/pulls(?:\/(\d+))?\/?$/.exec(url.pathname);
    if (!match || match[1] !== owner || match[2] !== repo) return fail(404, 'Not Found', DOCS.any);
    const number = match[3] === undefined ? undefined : Number(match[3]);
    if (number === undefined && request.method === 'GET') return list(url.searchParams);
    if (number === undefined && request.method === 'POST') return create(await readJson(request));
    if (number !== undefined && request.method === 'PATCH') return update(number, await readJson(request));
    return fail(404, 'Not Found', DOCS.any);
  }

  async function list(query: URLSearchParams): Promise<HttpAnswer> {
    const state = query.get('state') ?? 'open';
    if (!['open', 'closed', 'all'].includes(state)) return invalid(DOCS.list, { field: 'state', code: 'invalid' });
    // "user:ref-name": the stand-in has no forks, so another owner's branch matches nothing. A
    // head without the owner is ignored, as GitHub ignores it (every PR matches): a caller that
    // forgets the owner meets here what it would meet there.
    const head = query.get('head');
    const headFilter = head?.includes(':') ? head : undefined;
    const base = query.get('base');
    const perPage = Math.min(Math.max(Number(query.get('per_page') ?? 30) || 30, 1), 100);
    const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
    const sort = query.get('sort') === 'updated' ? 'updatedAt' : 'createdAt';
    const direction = query.get('direction') ?? (sort === 'createdAt' ? 'desc' : 'asc');

    const rows: ReturnType<typeof simplePullRequest>[] = [];
    for (const pull of store.all()) {
      if (headFilter && headFilter !== `${owner}:${pull.head}`) continue;
      if (base && base !== pull.base) continue;
      const row = simplePullRequest(pull, await store.gitState(pull), identity());
      if (state === 'all' || row.state === state) rows.push(row);
    }
    const key = sort === 'createdAt' ? 'created_at' : 'updated_at';
    rows.sort((a, b) => (a[key] === b[key] ? a.number - b.number : a[key] < b[key] ? -1 : 1) * (direction === 'asc' ? 1 : -1));
    const last = Math.max(Math.ceil(rows.length / perPage), 1);
    return new HttpAnswer(200, rows.slice((page - 1) * perPage, page * perPage), linkHeader(query, page, last));
  }

  /** GitHub's Link header for a paged list: next and last while there are more, prev and first after the first page. */
  function linkHeader(query: URLSearchParams, page: number, last: number): Record<string, string> {
    const at = (n: number) => {
      const q = new URLSearchParams(query);
      q.set('page', String(n));
      return `<${apiUrl}/repos/${owner}/${repo}/pulls?${q.toString()}>`;
    };
    const links = [...(page < last ? [`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`] : []), ...(page > 1 ? [`${at(page - 1)}; rel="prev"`, `${at(1)}; rel="first"`] : [])];
    return links.length ? { link: links.join(', ') } : {};
  }

  async function create(body: Record<string, unknown> | HttpAnswer): Promise<HttpAnswer> {
    if (body instanceof HttpAnswer) return body;
    for (const field of ['head', 'base'] as const) if (typeof body[field] !== 'string' || body[field] === '') return invalid(DOCS.create, { field, code: 'missing_field' });
    const head = branchOf(String(body.head));
    const base = String(body.base);
    if (head === undefined) return invalid(DOCS.create, { field: 'head', code: 'invalid' });
    if (!(await store.branchSha(base))) return invalid(DOCS.create, { field: 'base', code: 'invalid' });
    const headSha = await store.branchSha(head);
    if (!headSha) return invalid(DOCS.create, { field: 'head', code: 'invalid' });
    for (const open of store.all().filter((p) => p.head === head && p.base === base)) {
      const state = await store.gitState(open);
      if (!state.merged && !open.closedAt) return invalid(DOCS.create, { code: 'custom', message: `A pull request already exists for ${owner}:${head}.` });
    }
    if (typeof body.title !== 'string' || body.title === '') return invalid(DOCS.create, { field: 'title', code: 'missing_field' });
    const probe: StoredPullRequest = { number: 0, title: '', body: null, head, base, maintainerCanModify: false, draft: false, createdAt: '', updatedAt: '', closedAt: null };
    if ((await store.gitState(probe)).merged) return invalid(DOCS.create, { code: 'custom', message: `No commits between ${base} and ${head}` });
    const at = now();
    const pull = store.add({
      title: body.title,
      body: typeof body.body === 'string' ? body.body : null,
      head,
      base,
      maintainerCanModify: body.maintainer_can_modify !== false,
      draft: body.draft === true,
      createdAt: at,
      updatedAt: at,
      closedAt: null,
    });
    const answer = fullPullRequest(pull, await store.gitState(pull), identity());
    log(`${LABEL}: opened #${pull.number} "${pull.title}" (${head} → ${base}, head ${headSha.slice(0, 12)}); nothing was sent to GitHub`);
    return new HttpAnswer(201, answer, { location: answer.url });
  }

  async function update(number: number, body: Record<string, unknown> | HttpAnswer): Promise<HttpAnswer> {
    const pull = store.find(number);
    if (!pull) return fail(404, 'Not Found', DOCS.update);
    if (body instanceof HttpAnswer) return body;
    if (body.state !== undefined && body.state !== 'open' && body.state !== 'closed') return invalid(DOCS.update, { field: 'state', code: 'invalid' });
    if (typeof body.base === 'string' && !(await store.branchSha(body.base))) return invalid(DOCS.update, { field: 'base', code: 'invalid' });
    const at = now();
    if (typeof body.title === 'string') pull.title = body.title;
    if (typeof body.body === 'string' || body.body === null) pull.body = body.body;
    if (typeof body.base === 'string') pull.base = body.base;
    if (typeof body.maintainer_can_modify === 'boolean') pull.maintainerCanModify = body.maintainer_can_modify;
    if (body.state === 'closed' && !pull.closedAt) pull.closedAt = at;
    if (body.state === 'open') pull.closedAt = null;
    pull.updatedAt = at;
    const state = await store.gitState(pull);
    log(`${LABEL}: updated #${pull.number} "${pull.title}" (${pull.head} → ${pull.base}, head ${state.headSha.slice(0, 12)}); nothing was sent to GitHub`);
    return new HttpAnswer(200, fullPullRequest(pull, state, identity()));
  }

  /** A create's head: "branch", or "owner:branch" of this repository (forks are not modelled). */
  function branchOf(head: string): string | undefined {
    const [who, ...rest] = head.split(':');
    if (rest.length === 0) return head;
    return who === owner ? rest.join(':') : undefined;
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    route(request, url)
      .then((answer) => {
        if (answer.status >= 400) log(`${LABEL}: ${request.method} ${url.pathname}${url.search} → ${answer.status} ${(answer.body as { message?: string }).message ?? ''} (the stand-in serves only the pull-request endpoints the gitops action uses)`);
        const text = JSON.stringify(answer.body);
        response.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3; format=json', 'x-standin': 'github-api', ...answer.headers });
        response.end(text);
      })
      .catch((error: unknown) => {
        log(`${LABEL}: could not answer ${request.method} ${url.pathname}: ${error instanceof Error ? error.message : String(error)}`);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify(errorBody(500, 'Server Error', DOCS.any)));
      });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    // Loopback only: the stand-in checks no token and must not be reachable from elsewhere.
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  log(`${LABEL} listening on ${apiUrl} for ${options.repository} (backed by ${options.repositoryDir}): list, create and update pull requests only; no auth check, rate limits, checks or reviews.`);
  return {
    apiUrl,
    store,
    stop: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        // An Octokit in this process keeps its connection alive; close() alone would wait for it.
        server.closeAllConnections();
      }),
  };
}

/** A request's JSON body, or GitHub's 400 for one that does not parse (an empty body is an empty object). */
async function readJson(request: IncomingMessage): Promise<Record<string, unknown> | HttpAnswer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Falls through to GitHub's answer for a body that is not a JSON object.
  }
  return fail(400, 'Problems parsing JSON', DOCS.any);
}
