import { join, relative } from 'node:path';

import type { KMSClient } from '@aws-sdk/client-kms';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { z } from 'zod';

import type { AwsClients } from '../../aws/clients';
import { InputError } from '../../errors';
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import {
  changedParameterKeys,
  getEnvironment,
  liveAmiIn,
  liveAmiParameter,
  loadEnvironments,
  PARAMETERS_FILE_INVALID,
  parseParametersFile,
  readParametersText,
  writeRepositoryFile,
  type EnvironmentConfig,
  type EnvironmentsConfig,
} from '../../parameters';
import type { GitRepository } from '../git';
import type { IssueApi } from '../issue-api';
import type { IssueCommentApi } from '../preview-comment';
import type { GitIdentity, PullRequestApi, RecordOutcome } from '../record-change';

/**
 * What every gitops command may use. Built once by the action's main.ts from the runner's
 * environment; built from fakes and a temporary repository in tests. Nothing here reads
 * process.env or @actions/core.
 */
export interface GitopsContext {
  /** The checked-out repository (GITHUB_WORKSPACE). */
  workspace: string;
  git: GitRepository;
  logger: Logger;
  clock: Clock;
  /** Repository-relative path of the wiring file. */
  environmentsFile: string;
  /** AWS clients for a region, built on first use (most commands make no AWS call). */
  aws(region: string): Pick<AwsClients, 'cloudFormation' | 'ec2' | 'imageBuilder' | 'cloudWatch' | 'awsClock'>;
  /** KMS of the job's own account (the promotion reads which keys encrypt an AMI), built on first use. */
  kms(region: string): KMSClient;
  /** EC2 and KMS of another account, through `roleArn` (a copy role the job's role may assume), built on first use. */
  awsAs(region: string, roleArn: string): Pick<AwsClients, 'ec2'> & { kms: KMSClient };
  /** The SNS client of the notify command, in a topic's region, built on first use. */
  sns(region: string): SNSClient;
  /** HTTP for webhooks: the runtime's fetch in an action, a stand-in in unit tests. */
  fetch: typeof fetch;
  /** The GitHub API, built on first use with the action's token. */
  github(): PullRequestApi & IssueCommentApi & IssueApi;
  /** Environment for git commands that talk to the remote (token auth). */
  gitAuth(): Record<string, string>;
  identity: GitIdentity;
  /** This workflow run's page, for commit messages and PR bodies. */
  runUrl?: string;
  /** https://github.com/<owner>/<repo>, for links. */
  repositoryUrl?: string;
  defaultBranch: string;
}

/** A command's outputs (strings for the runner), an optional job summary, and a failure to report. */
export interface CommandResult {
  outputs: Record<string, string | number | boolean | undefined>;
  summary?: string;
  /** Set when the command did its job but the run must fail (e.g. a deploy that failed back). */
  failure?: string;
}

/** One subcommand of the gitops action: its inputs (a zod object over kebab-case names) and its body. */
export interface GitopsCommand<S extends z.ZodObject = z.ZodObject> {
  description: string;
  inputs: S;
  outputs: readonly string[];
  run(inputs: z.infer<S>, ctx: GitopsContext): Promise<CommandResult>;
}

/** Helps TypeScript infer each command's input type from its schema. */
export function defineCommand<S extends z.ZodObject>(command: GitopsCommand<S>): GitopsCommand<S> {
  return command;
}

/**
 * The validated wiring file. The path is made relative to the process's directory (the workspace,
 * on a runner), so messages and annotations name `parameters/environments.json`, not a runner path.
 */
export async function loadWiring(ctx: GitopsContext): Promise<EnvironmentsConfig> {
  return loadEnvironments(workspacePath(ctx, ctx.environmentsFile), { rootDir: ctx.workspace });
}

/** A repository-relative path as the process sees it (the path itself on a runner, whose directory
 *  is the workspace), so messages and annotations name `parameters/dev.json`, not a runner path. */
function workspacePath(ctx: GitopsContext, file: string): string {
  return relative(process.cwd(), join(ctx.workspace, file));
}

/** The named environment; the first in promotion order when no name is given. */
export async function loadEnvironment(ctx: GitopsContext, name: string | undefined): Promise<{ wiring: EnvironmentsConfig; environment: EnvironmentConfig }> {
  const wiring = await loadWiring(ctx);
  return { wiring, environment: getEnvironment(wiring, name ?? wiring.promotionOrder[0]) };
}

/** The AMI an environment's parameters file names in the working tree. */
export async function readCurrentAmi(ctx: GitopsContext, environment: EnvironmentConfig): Promise<string> {
  const file = environment.parametersFile;
  const parsed = parseParametersFile(await readParametersText(workspacePath(ctx, file), ctx.workspace), file);
  const ami = liveAmiIn(parsed.parameters);
  if (!ami) {
    const key = liveAmiParameter(parsed.parameters);
    throw new InputError(`No AMI for ${file}: it has no Parameters.${key}. Add the line "${key}": "ami-…".`, { file });
  }
  return ami;
}

/**
 * Reads and rewrites a working-tree parameters file (paths are repository-relative) under the
 * repository's file policy (parameters/repository-file.ts): no link, no special file, size capped.
 */
export const workspaceFiles = {
  read: (ctx: GitopsContext, file: string) => readParametersText(workspacePath(ctx, file), ctx.workspace),
  write: (ctx: GitopsContext, file: string, text: string) => writeRepositoryFile(workspacePath(ctx, file), text, { whatFailed: PARAMETERS_FILE_INVALID, root: ctx.workspace }),
};

/** The outputs every record command sets from recordAmiChange's outcome. */
export function recordOutputs(result: RecordOutcome): Record<string, string | undefined> {
  return {
    outcome: result.outcome,
    commit: 'commit' in result ? result.commit : undefined,
    'pull-request-url': result.outcome === 'pull-request' ? result.pullRequestUrl : undefined,
    'superseded-by': result.outcome === 'superseded' ? result.by.commit : undefined,
    'superseded-by-ami-id': result.outcome === 'superseded' ? result.by.amiId : undefined,
  };
}

/**
 * Commit metadata's `parameter` for a record that turns `before` into `after`: the parameters it
 * changes, in the file's order (`AmazonMachineImage` in the replace shape; in the slots shape the
 * switch's or the flip's lines, e.g. `LiveSlot, BlueWeight, GreenWeight`). When nothing changes
 * (the record will be `unchanged`), the parameter that holds the live AMI.
 */
export function metadataParameter(before: string, after: string, file: string): string {
  const keys = changedParameterKeys(before, after, file);
  return keys.length > 0 ? keys.join(', ') : liveAmiParameter(parseParametersFile(after, file).parameters);
}
