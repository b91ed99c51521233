import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { KMSClient } from '@aws-sdk/client-kms';

import { createCoreLogger, readInputs, runAction, writeJobSummary } from '../../lib/action/runtime';
import { createAssumedRoleClients, type AssumedRoleClients } from '../../lib/aws/assumed-role';
import { createAwsClients, createSnsClient, sdkClientConfig } from '../../lib/aws/clients';
import { systemClock } from '../../lib/clock';
import { InputError } from '../../lib/errors';
import { COMMANDS, inputNames, isCommandName, type GitopsContext } from '../../lib/gitops/commands';
import { GitError, GitRepository, tokenAuthEnv } from '../../lib/gitops/git';
import { createGitHubApi } from '../../lib/gitops/github-api';
import { ACTIONS_BOT } from '../../lib/gitops/record-change';

/**
 * gitops: the repository-side logic of the workflows (which environments changed, the previous AMI
 * from git history, the PR text, failback records), one subcommand per `command` input, so that no
 * workflow carries logic in shell.
 */
export async function run(): Promise<void> {
  await runAction(async (outputs) => {
    const name = core.getInput('command', { required: true });
    if (!isCommandName(name)) {
      throw new InputError(`Unknown gitops command "${name}": use one of ${Object.keys(COMMANDS).join(', ')}. Fix the step's "with: command".`);
    }
    // A webhook URL is a credential: masked in every log line before anything can print it.
    const webhookUrl = core.getInput('webhook-url');
    if (webhookUrl) core.setSecret(webhookUrl);
    const command = COMMANDS[name];
    outputs.declare(command.outputs);
    const inputs = readInputs(command.inputs, inputNames(command));
    try {
      const result = await command.run(inputs as never, createContext());
      outputs.set(result.outputs);
      if (result.summary) await writeJobSummary(result.summary);
      if (result.failure) core.setFailed(result.failure);
    } catch (error) {
      // A refused push or a failed rebase is an operational failure with git's own words, not a bug.
      if (!(error instanceof GitError)) throw error;
      core.setFailed(error.message);
    }
  });
}

function createContext(): GitopsContext {
  const env = process.env;
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  const serverUrl = env.GITHUB_SERVER_URL || 'https://github.com';
  const repository = env.GITHUB_REPOSITORY ?? '';
  const token = core.getInput('github-token');
  const logger = createCoreLogger();
  const clients = new Map<string, ReturnType<typeof createAwsClients>>();
  const assumed = new Map<string, AssumedRoleClients>();
  const kms = new Map<string, KMSClient>();
  const needToken = (what: string) => {
    if (!token) throw new InputError(`No github-token for ${what}: the input is empty. Pass github-token (the default is the job's GITHUB_TOKEN).`);
    return token;
  };
  return {
    workspace,
    git: new GitRepository(workspace),
    logger,
    clock: systemClock,
    environmentsFile: core.getInput('environments-file') || 'parameters/environments.json',
    aws(region) {
      if (!clients.has(region)) clients.set(region, createAwsClients({ region, userAgentSuffix: 'gitops' }));
      return clients.get(region)!;
    },
    kms(region) {
      if (!kms.has(region)) kms.set(region, new KMSClient(sdkClientConfig({ region, userAgentSuffix: 'gitops' })));
      return kms.get(region)!;
    },
    awsAs(region, roleArn) {
      const key = `${roleArn} ${region}`;
      if (!assumed.has(key)) assumed.set(key, createAssumedRoleClients({ region, roleArn, sessionName: `gitops-${env.GITHUB_RUN_ID ?? 'local'}`, userAgentSuffix: 'gitops' }));
      return assumed.get(key)!;
    },
    sns(region) {
      return createSnsClient({ region, userAgentSuffix: 'gitops' });
    },
    fetch: globalThis.fetch,
    github() {
      const [owner, repo] = repository.split('/');
      return createGitHubApi(getOctokit(needToken('the GitHub API')), { owner, repo });
    },
    gitAuth() {
      const auth = tokenAuthEnv(needToken('git push'), serverUrl);
      core.setSecret(auth.secret);
      return auth.env;
    },
    identity: { name: core.getInput('committer-name') || ACTIONS_BOT.name, email: core.getInput('committer-email') || ACTIONS_BOT.email },
    runUrl: repository && env.GITHUB_RUN_ID ? `${serverUrl}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
    repositoryUrl: repository ? `${serverUrl}/${repository}` : undefined,
    defaultBranch: core.getInput('default-branch') || 'main',
  };
}
