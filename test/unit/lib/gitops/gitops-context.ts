import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';

import { VirtualClock } from '../../../../actions/lib/clock';
import type { GitopsContext } from '../../../../actions/lib/gitops/commands';
import { GitRepository } from '../../../../actions/lib/gitops/git';
import { ACTIONS_BOT } from '../../../../actions/lib/gitops/record-change';
import { RecordingLogger } from '../../../../actions/lib/logger';
import { isolatedGitEnv } from './git-fixture';

/** A context the way the action's main.ts builds one, over a checkout in `workDir`, a virtual clock (1 June 2026) and the given GitHub API. */
export function gitopsTestContext(workDir: string, github: ReturnType<GitopsContext['github']>): { ctx: GitopsContext; logger: RecordingLogger } {
  const logger = new RecordingLogger();
  const ctx: GitopsContext = {
    workspace: workDir,
    git: new GitRepository(workDir, isolatedGitEnv()),
    logger,
    clock: new VirtualClock(Date.UTC(2026, 5, 1)),
    environmentsFile: 'parameters/environments.json',
    aws: () => ({ cloudFormation: new CloudFormationClient({ region: 'us-east-1' }), ec2: new EC2Client({ region: 'us-east-1' }) }),
    github: () => github,
    gitAuth: () => ({}),
    identity: ACTIONS_BOT,
    runUrl: 'https://github.com/acme/fleet/actions/runs/42',
    repositoryUrl: 'https://github.com/acme/fleet',
    defaultBranch: 'main',
  };
  return { ctx, logger };
}
