/**
 * A fake `gh` executable for the GitHub wiring tests: a Node script put first on PATH, which keeps
 * GitHub's side (environments, branch policies, variables, secret names) in a JSON file and logs
 * every call (arguments and standard input) to another, so tests can read back what was set and
 * check that no secret ever appeared on a command line. It models the gh subcommands bootstrap
 * uses and answers anything else with exit 1, as gh does for an unknown command.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface FakeGithubState {
  authenticated: boolean;
  users: Record<string, number>;
  environments: Record<string, { reviewers: { type: string; id: number }[]; branchPolicies: string[] }>;
  variables: Record<string, string>;
  secrets: Record<string, string>;
  /** The repository's OIDC subject template, as GET …/actions/oidc/customization/sub answers (absent: GitHub's default). */
  oidcSubject?: { use_default: boolean; include_claim_keys?: string[] };
}

const SCRIPT = String.raw`#!/usr/bin/env node
const fs = require('fs');
const statePath = process.env.FAKE_GH_STATE, logPath = process.env.FAKE_GH_LOG;
const args = process.argv.slice(2);
const stdin = fs.readFileSync(0, 'utf8');
fs.appendFileSync(logPath, JSON.stringify({ args, stdin }) + '\n');
const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
const save = () => fs.writeFileSync(statePath, JSON.stringify(state));
const flag = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const out = (text) => { process.stdout.write(text); process.exit(0); };
const fail = (text, code = 1) => { process.stderr.write(text + '\n'); process.exit(code); };
if (args[0] === 'auth' && args[1] === 'status') state.authenticated ? out('Logged in to github.com\n') : fail('You are not logged into any GitHub hosts.');
if (!state.authenticated) fail('gh: To use GitHub CLI, please authenticate.', 4);
const scoped = (name) => (flag('--env') ? 'env:' + flag('--env') + ':' : 'repo:') + name;
if (args[0] === 'variable' && args[1] === 'set') { state.variables[scoped(args[2])] = flag('--body'); save(); out(''); }
if (args[0] === 'variable' && args[1] === 'get') { const v = state.variables[scoped(args[2])]; v === undefined ? fail('variable ' + args[2] + ' was not found') : out(v + '\n'); }
if (args[0] === 'secret' && args[1] === 'set') { if (!stdin) fail('no secret value on stdin'); state.secrets[args[2]] = stdin; save(); out(''); }
if (args[0] === 'secret' && args[1] === 'list') out(Object.keys(state.secrets).join('\n') + '\n');
if (args[0] === 'api') {
  const method = flag('--method') || 'GET';
  const path = args.find((a, i) => i > 0 && !a.startsWith('-') && !['GET', 'PUT', 'POST'].includes(a) && args[i - 1] !== '--jq' && args[i - 1] !== '--input' && args[i - 1] !== '-f');
  let m;
  if ((m = /^users\/(.+)$/.exec(path))) { const id = state.users[m[1]]; id === undefined ? fail('HTTP 404: Not Found') : out(id + '\n'); }
  if (/^repos\/[^/]+\/[^/]+\/actions\/oidc\/customization\/sub$/.test(path)) {
    if (method === 'PUT') {
      // As GitHub validates it: use_default required, claim keys of letters, digits and underscores.
      const body = JSON.parse(stdin || '{}');
      if (typeof body.use_default !== 'boolean' || (body.include_claim_keys || []).some((k) => !/^[A-Za-z0-9_]+$/.test(k))) fail('HTTP 422: Invalid request');
      state.oidcSubject = body; save(); out('{}');
    }
    out(JSON.stringify(state.oidcSubject || { use_default: true }));
  }
  if ((m = /^repos\/[^/]+\/[^/]+\/environments\/([^/]+)$/.exec(path))) {
    if (method === 'PUT') { const body = JSON.parse(stdin || '{}'); const env = state.environments[m[1]] || { reviewers: [], branchPolicies: [] }; env.reviewers = body.reviewers || env.reviewers; state.environments[m[1]] = env; save(); out('{}'); }
    const env = state.environments[m[1]];
    if (!env) fail('HTTP 404: Not Found');
    out(JSON.stringify({ name: m[1], protection_rules: env.reviewers.length ? [{ type: 'required_reviewers', reviewers: env.reviewers }] : [] }));
  }
  if ((m = /^repos\/[^/]+\/[^/]+\/environments\/([^/]+)\/deployment-branch-policies$/.exec(path))) {
    const env = state.environments[m[1]];
    if (!env) fail('HTTP 404: Not Found');
    if (method === 'POST') { env.branchPolicies.push(args[args.indexOf('-f') + 1].replace(/^name=/, '')); save(); out('{}'); }
    out(env.branchPolicies.join('\n') + '\n');
  }
}
fail('fake gh: unsupported call ' + args.join(' '));
`;

export interface FakeGh {
  /** Environment for the gh runner: PATH with the fake first, and where it keeps its state. */
  env: NodeJS.ProcessEnv;
  state(): FakeGithubState;
  setState(change: (state: FakeGithubState) => void): void;
  calls(): { args: string[]; stdin: string }[];
}

export function installFakeGh(initial: Partial<FakeGithubState> = {}): FakeGh {
  const dir = mkdtempSync(join(tmpdir(), 'fake-gh-'));
  const statePath = join(dir, 'state.json');
  const logPath = join(dir, 'calls.jsonl');
  writeFileSync(join(dir, 'gh'), SCRIPT);
  chmodSync(join(dir, 'gh'), 0o755);
  writeFileSync(statePath, JSON.stringify({ authenticated: true, users: {}, environments: {}, variables: {}, secrets: {}, ...initial }));
  writeFileSync(logPath, '');
  return {
    env: { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH ?? ''}`, FAKE_GH_STATE: statePath, FAKE_GH_LOG: logPath },
    state: () => JSON.parse(readFileSync(statePath, 'utf8')) as FakeGithubState,
    setState: (change) => {
      const state = JSON.parse(readFileSync(statePath, 'utf8')) as FakeGithubState;
      change(state);
      writeFileSync(statePath, JSON.stringify(state));
    },
    calls: () =>
      readFileSync(logPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { args: string[]; stdin: string }),
  };
}
