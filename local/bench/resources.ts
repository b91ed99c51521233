/**
 * The four kinds of thing a deploy waits on, as the benchmark's scripted API serves them: which SDK
 * command observes each, what the answer looks like, which statuses end the wait, which SDK v3
 * waiter a developer would reach for, and what the AWS CLI waiter accepts.
 */
import {
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  waitUntilChangeSetCreateComplete,
  waitUntilStackUpdateComplete,
  type CloudFormationClient,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeTargetHealthCommand,
  waitUntilTargetInService,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetImageCommand, type ImagebuilderClient } from '@aws-sdk/client-imagebuilder';

import type { SmithyClientModule } from './virtual-smithy';

/** What the scripted API exposes: the one method the pollers and the SDK waiters call. */
export interface ScriptedClient {
  send(command: object): Promise<unknown>;
}

/** The acceptors of an AWS CLI (botocore) waiter, from botocore's `waiters-2.json`. */
export interface CliWaiter {
  name: string;
  /** botocore's `delay` for this waiter (seconds between attempts, fixed). */
  delaySeconds: number;
  maxAttempts: number;
  success: readonly string[];
  failure: readonly string[];
  /** Error codes an acceptor matches with state `retry`; any other error fails the CLI waiter. */
  retryErrors: readonly string[];
}

export interface ResourceKind {
  id: 'stack' | 'change-set' | 'image' | 'target-group';
  /** The SDK call each observation makes (also what a call count counts). */
  operation: string;
  command: () => object;
  /** Builds the API's answer for a scripted status. */
  respond: (status: string) => unknown;
  /** Reads the status back out of an answer (what the project's poller looks at). */
  statusOf: (response: unknown) => string;
  isTerminal: (status: string) => boolean;
  /** How the service says "slow down": CloudFormation and ELBv2 `Throttling` (400), Image Builder 429. */
  throttle: { name: string; httpStatusCode: number };
  /** The SDK v3 waiter (its real acceptors and service defaults), run through `createWaiter`. */
  sdkWaiter: {
    label: string;
    minDelaySeconds: number;
    maxDelaySeconds: number;
    /** Resolves when the waiter succeeds; throws (as `waitUntil*` do) on failure or timeout. */
    run: (client: ScriptedClient, maxWaitTimeSeconds: number, smithy: SmithyClientModule) => Promise<unknown>;
  };
  cliWaiter: CliWaiter;
}

const STACK_NAME = 'patch-dev-app';

/** Statuses in which a stack update has ended, one way or the other. */
const STACK_UPDATE_TERMINAL = new Set(['UPDATE_COMPLETE', 'UPDATE_FAILED', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_FAILED']);

export const STACK_UPDATE: ResourceKind = {
  id: 'stack',
  operation: 'DescribeStacks',
  command: () => new DescribeStacksCommand({ StackName: STACK_NAME }),
  respond: (status) => ({ Stacks: [{ StackName: STACK_NAME, StackStatus: status, CreationTime: new Date(0) }] }),
  statusOf: (response) => (response as { Stacks: Array<{ StackStatus: string }> }).Stacks[0].StackStatus,
  isTerminal: (status) => STACK_UPDATE_TERMINAL.has(status),
  throttle: { name: 'Throttling', httpStatusCode: 400 },
  sdkWaiter: {
    label: 'waitUntilStackUpdateComplete',
    minDelaySeconds: 30,
    maxDelaySeconds: 120,
    run: (client, maxWaitTime) =>
      waitUntilStackUpdateComplete({ client: client as CloudFormationClient, maxWaitTime }, { StackName: STACK_NAME }),
  },
  // botocore/data/cloudformation/2010-05-15/waiters-2.json "StackUpdateComplete".
  cliWaiter: {
    name: 'aws cloudformation wait stack-update-complete',
    delaySeconds: 30,
    maxAttempts: 120,
    success: ['UPDATE_COMPLETE'],
    failure: ['UPDATE_FAILED', 'UPDATE_ROLLBACK_FAILED', 'UPDATE_ROLLBACK_COMPLETE'],
    retryErrors: [],
  },
};

export const CHANGE_SET_CREATION: ResourceKind = {
  id: 'change-set',
  operation: 'DescribeChangeSet',
  command: () => new DescribeChangeSetCommand({ StackName: STACK_NAME, ChangeSetName: 'patch-ami' }),
  respond: (status) => ({ Status: status, ExecutionStatus: status === 'CREATE_COMPLETE' ? 'AVAILABLE' : 'UNAVAILABLE', Changes: [] }),
  statusOf: (response) => (response as { Status: string }).Status,
  isTerminal: (status) => status === 'CREATE_COMPLETE' || status === 'FAILED',
  throttle: { name: 'Throttling', httpStatusCode: 400 },
  sdkWaiter: {
    label: 'waitUntilChangeSetCreateComplete',
    minDelaySeconds: 30,
    maxDelaySeconds: 120,
    run: (client, maxWaitTime) =>
      waitUntilChangeSetCreateComplete({ client: client as CloudFormationClient, maxWaitTime }, { StackName: STACK_NAME, ChangeSetName: 'patch-ami' }),
  },
  // waiters-2.json "ChangeSetCreateComplete".
  cliWaiter: {
    name: 'aws cloudformation wait change-set-create-complete',
    delaySeconds: 30,
    maxAttempts: 120,
    success: ['CREATE_COMPLETE'],
    failure: ['FAILED'],
    retryErrors: [],
  },
};

const IMAGE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.0/1';
const IMAGE_TERMINAL = new Set(['AVAILABLE', 'FAILED', 'CANCELLED', 'DEPRECATED', 'DISABLED', 'DELETED']);

/**
 * Image Builder ships no waiter (neither in SDK v3 nor in botocore), so the "SDK default" here is
 * what `createWaiter` does with smithy's own defaults (`waiterServiceDefaults`: 2 s to 120 s) and
 * the obvious acceptor, and the CLI column is a 30 s `sleep` loop over `aws imagebuilder get-image`
 * that gives up on an error, as the CLI waiters do.
 */
export const IMAGE_BUILD: ResourceKind = {
  id: 'image',
  operation: 'GetImage',
  command: () => new GetImageCommand({ imageBuildVersionArn: IMAGE_ARN }),
  respond: (status) => ({ image: { arn: IMAGE_ARN, state: { status } } }),
  statusOf: (response) => (response as { image: { state: { status: string } } }).image.state.status,
  isTerminal: (status) => IMAGE_TERMINAL.has(status),
  throttle: { name: 'TooManyRequestsException', httpStatusCode: 429 },
  sdkWaiter: {
    label: 'createWaiter defaults (no Image Builder waiter)',
    minDelaySeconds: 2,
    maxDelaySeconds: 120,
    run: async (client, maxWaitTime, { createWaiter, checkExceptions }) => {
      const result = await createWaiter({ client: client as ImagebuilderClient, maxWaitTime, minDelay: 2, maxDelay: 120 }, IMAGE_ARN, async (c) => {
        try {
          const status = IMAGE_BUILD.statusOf(await (c as ScriptedClient).send(IMAGE_BUILD.command()));
          if (status === 'AVAILABLE') return { state: 'SUCCESS' as never };
          if (IMAGE_TERMINAL.has(status)) return { state: 'FAILURE' as never };
        } catch {
          // Like the generated acceptors: an error that no acceptor names means "try again".
        }
        return { state: 'RETRY' as never };
      });
      return checkExceptions(result);
    },
  },
  cliWaiter: {
    name: 'a 30 s loop over aws imagebuilder get-image',
    delaySeconds: 30,
    maxAttempts: 240,
    success: ['AVAILABLE'],
    failure: ['FAILED', 'CANCELLED', 'DEPRECATED', 'DISABLED', 'DELETED'],
    retryErrors: [],
  },
};

const TARGET_GROUP_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/patch-dev-app/0123456789abcdef';

/** Two targets that share one scripted state, e.g. `initial` then `healthy`. */
export const TARGET_GROUP_HEALTH: ResourceKind = {
  id: 'target-group',
  operation: 'DescribeTargetHealth',
  command: () => new DescribeTargetHealthCommand({ TargetGroupArn: TARGET_GROUP_ARN }),
  respond: (status) => ({
    TargetHealthDescriptions: ['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2'].map((Id) => ({ Target: { Id, Port: 80 }, TargetHealth: { State: status } })),
  }),
  statusOf: (response) => (response as { TargetHealthDescriptions: Array<{ TargetHealth: { State: string } }> }).TargetHealthDescriptions[0].TargetHealth.State,
  // The deploy waits for all targets healthy; a target that went unhealthy is judged by the caller.
  isTerminal: (status) => status === 'healthy',
  throttle: { name: 'Throttling', httpStatusCode: 400 },
  sdkWaiter: {
    label: 'waitUntilTargetInService',
    minDelaySeconds: 15,
    maxDelaySeconds: 120,
    run: (client, maxWaitTime) =>
      waitUntilTargetInService({ client: client as ElasticLoadBalancingV2Client, maxWaitTime }, { TargetGroupArn: TARGET_GROUP_ARN }),
  },
  // botocore/data/elbv2/2015-12-01/waiters-2.json "TargetInService": delay 15, not 30.
  cliWaiter: {
    name: 'aws elbv2 wait target-in-service',
    delaySeconds: 15,
    maxAttempts: 40,
    success: ['healthy'],
    failure: [],
    retryErrors: ['InvalidInstance'],
  },
};
