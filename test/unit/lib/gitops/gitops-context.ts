import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMSClient } from '@aws-sdk/client-kms';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { SNSClient } from '@aws-sdk/client-sns';

import { VirtualClock } from '../../../../actions/lib/clock';
import { COMMANDS, type GitopsContext } from '../../../../actions/lib/gitops/commands';
import { GitRepository } from '../../../../actions/lib/gitops/git';
import { ACTIONS_BOT } from '../../../../actions/lib/gitops/record-change';
import { RecordingLogger } from '../../../../actions/lib/logger';
import { isolatedGitEnv } from './git-fixture';
import { awsClockOn } from '../../support/aws-time';

/** A context the way the action's main.ts builds one, over a checkout in `workDir`, a virtual clock (1 June 2026) and the given GitHub API. */
type GitHubApi = ReturnType<GitopsContext['github']>;

/** Every GitHub call the commands make, as jest mocks; a test passes the ones it scripts. */
export function fakeGitHub(overrides: Partial<GitHubApi> = {}): GitHubApi {
  return { openPullRequest: jest.fn(), listComments: jest.fn(async () => []), createComment: jest.fn(), updateComment: jest.fn(), upsertIssue: jest.fn(), ...overrides };
}

export function gitopsTestContext(workDir: string, github: Partial<GitHubApi> = {}): { ctx: GitopsContext; logger: RecordingLogger } {
  const logger = new RecordingLogger();
  const clock = new VirtualClock(Date.UTC(2026, 5, 1));
  const ctx: GitopsContext = {
    workspace: workDir,
    git: new GitRepository(workDir, isolatedGitEnv()),
    logger,
    clock,
    environmentsFile: 'parameters/environments.json',
    aws: () => ({ cloudFormation: new CloudFormationClient({ region: 'us-east-1' }), ec2: new EC2Client({ region: 'us-east-1' }), imageBuilder: new ImagebuilderClient({ region: 'us-east-1' }), cloudWatch: new CloudWatchClient({ region: 'us-east-1' }), awsClock: awsClockOn(ctx.clock) }),
    // Another account's EC2: a client of its own (aws-sdk-client-mock answers every EC2Client alike; tests tell them apart by `credentials`).
    kms: (region) => new KMSClient({ region }),
    // The other account's clients carry its account in their credentials, so a test can tell the two sides apart.
    awsAs: (region, roleArn) => {
      const credentials = { accessKeyId: `as-${roleArn.split(':')[4]}`, secretAccessKey: 'x' };
      return { ec2: new EC2Client({ region, credentials }), kms: new KMSClient({ region, credentials }) };
    },
    sns: (region) => new SNSClient({ region }),
    fetch: jest.fn(async () => {
      throw new Error('no webhook is scripted in this test');
    }) as unknown as typeof fetch,
    github: () => fakeGitHub(github),
    gitAuth: () => ({}),
    identity: ACTIONS_BOT,
    runUrl: 'https://github.com/acme/fleet/actions/runs/42',
    repositoryUrl: 'https://github.com/acme/fleet',
    defaultBranch: 'main',
  };
  return { ctx, logger };
}

/** Runs a command the way the action's main.ts does: its schema parses the raw strings first. */
export async function runCommand(name: keyof typeof COMMANDS, raw: Record<string, string>, ctx: GitopsContext) {
  const command = COMMANDS[name];
  return command.run(command.inputs.parse(raw) as never, ctx);
}
