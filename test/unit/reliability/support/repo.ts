/**
 * A throw-away copy of this repository's GitOps side: the real wiring file and schema, the real
 * parameters files and app template, in a real git repository (dev as a replace environment: the
 * shipped wiring with dev on templates/app.yaml and the replace example for its file, see
 * test/support/replace-environment.ts; the slots deploy's faults are in test/unit/lib/slots) with a bare "origin" (GitHub) and a
 * clone (the runner's workspace). Commits are made the way a merged patch PR makes them, so the
 * invariant reads "what git says" exactly as a person would: the parameters file on origin/main.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMSClient } from '@aws-sdk/client-kms';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { SNSClient } from '@aws-sdk/client-sns';

import type { VirtualClock } from '../../../../actions/lib/clock';
import { COMMANDS, inputNames, type CommandResult, type GitopsContext } from '../../../../actions/lib/gitops/commands';
import { GitRepository } from '../../../../actions/lib/gitops/git';
import { ACTIONS_BOT } from '../../../../actions/lib/gitops/record-change';
import { RecordingLogger } from '../../../../actions/lib/logger';
import { createGitFixture, isolatedGitEnv, type GitFixture } from '../../lib/gitops/git-fixture';
import { replaceDevParameters, replaceWiring } from '../../../support/replace-environment';
import { REPO_ROOT } from './aws-world';
import { awsClockOn } from '../../support/aws-time';

/** Two AMIs that look real: what the stack runs before the merge, and what the merged PR asks for. */
export const OLD_AMI = 'ami-0aaaaaaaaaaaaaaa1';
export const NEW_AMI = 'ami-0bbbbbbbbbbbbbbb2';
export const NEWER_AMI = 'ami-0ccccccccccccccc3';

export const DEV_FILE = 'parameters/dev.json';
const COPIED = ['parameters/environments.schema.json', 'parameters/prod.json', 'templates/app.yaml'];

/** dev's replace-shaped parameters file with another AMI on its line (the one-line diff of a patch PR). */
export function devParameters(ami: string): string {
  return replaceDevParameters(ami);
}

/** The parameter values of devParameters(ami), as the stack holds them. */
export function devStackParameters(ami: string): Record<string, string> {
  return (JSON.parse(devParameters(ami)) as { Parameters: Record<string, string> }).Parameters;
}

export interface GitopsRepo {
  seed: GitFixture;
  origin: GitFixture;
  workspace: GitFixture;
  /** The AMI the environment's parameters file names on origin/main: what git says. */
  gitAmi(file?: string): string;
  /** A merge to main from elsewhere (another PR), pushed to origin. */
  merge(message: string, ami: string): string;
  /** actions/checkout of the default branch's HEAD in the workspace, as a job starting now sees it. */
  checkout(): void;
  context(clock: VirtualClock, logger?: RecordingLogger): GitopsContext;
  /**
   * origin's pre-receive hook lets another clone's push of `files` land while the next push waits
   * for the hook (what GitHub's slower hooks let happen when two pushes meet): git then refuses
   * that push with "[remote rejected] … (failed to update ref)". Once.
   */
  landDuringNextPush(message: string, files: Record<string, string>): void;
  /** origin's pre-receive hook declines every push, printing `message` (a remote that will not take it). */
  declinePushes(message: string): void;
  /** origin's pre-receive hook declines pushes to main with GitHub's branch-protection message (GH006); other branches land. */
  protectMain(): void;
  remove(): void;
}

/**
 * dev on `baseAmi`, then the merged bump to `mergedAmi` (default NEW_AMI): the state right after a
 * patch PR is merged and before Deploy runs. `null`: no bump yet (git names `baseAmi`).
 */
export function createGitopsRepo(mergedAmi: string | null = NEW_AMI, baseAmi: string = OLD_AMI): GitopsRepo {
  const seed = createGitFixture();
  const files = Object.fromEntries(COPIED.map((f) => [f, readFileSync(join(REPO_ROOT, f), 'utf8')]));
  seed.commit('Initial layout', { ...files, 'parameters/environments.json': replaceWiring(), [DEV_FILE]: devParameters(baseAmi) });
  if (mergedAmi) seed.commit(`Bump dev AMI from ${baseAmi} to ${mergedAmi}`, { [DEV_FILE]: devParameters(mergedAmi) });
  const origin = createGitFixture({ bare: true, cloneFrom: seed.dir });
  const workspace = createGitFixture({ cloneFrom: origin.dir });
  // Another clone pushes later merges, the way GitHub's merge button does.
  const other = createGitFixture({ cloneFrom: origin.dir });
  return {
    seed,
    origin,
    workspace,
    gitAmi(file = DEV_FILE) {
      const text = origin.git('show', `main:${file}`);
      return /"AmazonMachineImage": "(ami-[0-9a-f]+)"/.exec(text)?.[1] ?? 'none';
    },
    merge(message, ami) {
      other.git('pull', '--quiet', '--ff-only');
      const sha = other.commit(message, { [DEV_FILE]: devParameters(ami) });
      other.git('push', '--quiet', 'origin', 'HEAD:main');
      return sha;
    },
    checkout() {
      workspace.git('fetch', '--quiet', 'origin');
      workspace.git('reset', '--quiet', '--hard', 'origin/main');
    },
    context(clock, logger = new RecordingLogger()) {
      return {
        workspace: workspace.dir,
        git: new GitRepository(workspace.dir, isolatedGitEnv()),
        logger,
        clock,
        environmentsFile: 'parameters/environments.json',
        // The mocked client classes answer these (aws-sdk-client-mock intercepts every instance).
        aws: (region) => ({ cloudFormation: new CloudFormationClient({ region }), ec2: new EC2Client({ region }), imageBuilder: new ImagebuilderClient({ region }), cloudWatch: new CloudWatchClient({ region }), awsClock: awsClockOn(clock) }),
        kms: (region) => new KMSClient({ region }),
        awsAs: (region) => ({ ec2: new EC2Client({ region }), kms: new KMSClient({ region }) }),
        sns: (region) => new SNSClient({ region }),
        // No webhook is ever posted to in the simulation: a call is a bug in the test.
        fetch: async () => {
          throw new Error('the reliability simulation posts no webhook');
        },
        github: () => ({
          openPullRequest: async () => ({ number: 7, url: 'https://github.com/acme/fleet/pull/7', created: true }),
          listComments: async () => [],
          createComment: async () => ({ id: 1, url: 'https://github.com/acme/fleet/pull/7#issuecomment-1' }),
          updateComment: async (id: number) => ({ id, url: `https://github.com/acme/fleet/pull/7#issuecomment-${id}` }),
          upsertIssue: async () => ({ number: 8, url: 'https://github.com/acme/fleet/issues/8', created: true }),
        }),
        gitAuth: () => ({}),
        identity: ACTIONS_BOT,
        runUrl: 'https://github.com/acme/fleet/actions/runs/42',
        repositoryUrl: 'https://github.com/acme/fleet',
        defaultBranch: 'main',
      };
    },
    landDuringNextPush(message, files) {
      other.git('pull', '--quiet', '--ff-only');
      other.commit(message, files);
      const marker = join(origin.dir, 'landed-once');
      writeHook(
        origin,
        `cat >/dev/null\n[ -e '${marker}' ] && exit 0\ntouch '${marker}'\n` +
          `env -i PATH="$PATH" HOME="$HOME" GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C '${other.dir}' push --quiet origin HEAD:main >&2\n`,
      );
    },
    declinePushes(message) {
      writeHook(origin, `cat >/dev/null\necho "${message}" >&2\nexit 1\n`);
    },
    protectMain() {
      writeHook(
        origin,
        `while read old new ref; do\n  if [ "$ref" = refs/heads/main ]; then echo "remote: error: GH006: Protected branch update failed for refs/heads/main." >&2; exit 1; fi\ndone\n`,
      );
    },
    remove() {
      for (const fixture of [seed, origin, workspace, other]) fixture.remove();
    },
  };
}

function writeHook(origin: GitFixture, body: string): void {
  const hook = join(origin.dir, 'hooks', 'pre-receive');
  writeFileSync(hook, `#!/bin/sh\n${body}exit 0\n`);
  chmodSync(hook, 0o755);
}

/** Runs a gitops command the way actions/gitops/src/main.ts does: its schema parses the raw strings first. */
export async function runGitops(name: keyof typeof COMMANDS, raw: Record<string, string>, ctx: GitopsContext): Promise<CommandResult> {
  const command = COMMANDS[name];
  const unknown = Object.keys(raw).filter((key) => !inputNames(command).includes(key));
  if (unknown.length > 0) throw new Error(`gitops ${name} has no input ${unknown.join(', ')}`);
  return command.run(command.inputs.parse(raw) as never, ctx);
}
