/**
 * A small, stateful AWS for the fault catalogue, on top of aws-sdk-client-mock: one app stack that
 * moves through time (the shared VirtualClock), change sets, stack events, AMIs, and the faults
 * no emulator produces (a busy stack, a rollback, a failed rollback, a failed change set,
 * throttling, credentials that expire). It answers the product's real logic, which runs unchanged
 * against it; what the stack runs at the end is the truth the invariant is checked against.
 *
 * CloudFormation semantics modelled (and why they matter here):
 * - During an update DescribeStacks shows the NEW parameter values; after UPDATE_ROLLBACK_COMPLETE
 *   the old ones again (what the instances run).
 * - The stack carries on by itself whatever happens to the caller (expired credentials, a caller
 *   that stopped waiting): state is a function of time, not of who is polling.
 * - A change set that changes nothing is FAILED with "The submitted information didn't contain
 *   changes", as CloudFormation does.
 */
import {
  CancelUpdateStackCommand,
  CreateChangeSetCommand,
  type CreateChangeSetCommandInput,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandInput,
  DescribeStackEventsCommand,
  DescribeStackResourceCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type ExecuteChangeSetCommandInput,
  GetTemplateCommand,
  type Stack,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, type DescribeImagesCommandInput, type Image } from '@aws-sdk/client-ec2';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { VirtualClock } from '../../../../actions/lib/clock';
import type { AwsMocks } from './no-mutation';

export const REPO_ROOT = join(__dirname, '../../../..');
export const STACK = 'patch-dev-app';
const STACK_ID = `arn:aws:cloudformation:us-east-1:123456789012:stack/${STACK}/0d7c5a40-0000-11f0-8000-0a1b2c3d4e5f`;
const ALARMS = {
  Http5xxAlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:patch-dev-app-http5xx',
  UnhealthyHostsAlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:patch-dev-app-unhealthy',
};

/** One phase of a stack operation: from `atMs` after it started, the stack shows `status` (and these events happened). */
export interface Phase {
  atMs: number;
  status: string;
  events?: Array<{ logicalId: string; status: string; reason?: string; resourceType?: string }>;
  /** From this phase on, the stack's AppAutoScalingGroup is this group (green), in this status. */
  appGroup?: { name: string; status: string };
}

/** The app stack's group before any update (blue), and the one a replacing update makes (green). */
export const BLUE_GROUP = 'patch-dev-app-AppAutoScalingGroup-BLUE0000';
export const GREEN_GROUP = 'patch-dev-app-AppAutoScalingGroup-GREEN000';

/** How the next executed change set plays out. The last phase is terminal. */
export interface UpdateScript {
  phases: Phase[];
  /** CancelUpdateStack while the stack is UPDATE_IN_PROGRESS plays these instead (times from the cancel); absent: a cancel rolls back cleanly in 90 s. */
  onCancel?: Phase[];
  /** Resources left UPDATE_FAILED (what DescribeStackResources shows after UPDATE_ROLLBACK_FAILED). */
  failedResources?: Array<{ logicalId: string; reason: string }>;
}

/** A replacing update that takes four minutes and completes: green comes up, blue goes away. */
export const COMPLETES: UpdateScript = {
  phases: [
    { atMs: 0, status: 'UPDATE_IN_PROGRESS', events: [{ logicalId: STACK, status: 'UPDATE_IN_PROGRESS', reason: 'User Initiated' }] },
    {
      atMs: 60_000,
      status: 'UPDATE_IN_PROGRESS',
      events: [{ logicalId: 'AppAutoScalingGroup', status: 'UPDATE_IN_PROGRESS', reason: 'Requested update requires the creation of a new physical resource; hence creating one.' }],
    },
    { atMs: 180_000, status: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', events: [{ logicalId: 'AppAutoScalingGroup', status: 'UPDATE_COMPLETE' }] },
    { atMs: 240_000, status: 'UPDATE_COMPLETE', events: [{ logicalId: STACK, status: 'UPDATE_COMPLETE' }] },
  ],
};

/**
 * A replacing update with a five-minute rollback-trigger window: green is in service at 3:00 while
 * the stack stays UPDATE_IN_PROGRESS with blue still there; the cleanup deletes blue at 8:00.
 */
export const WINDOWED: UpdateScript = {
  phases: [
    { atMs: 0, status: 'UPDATE_IN_PROGRESS', events: [{ logicalId: STACK, status: 'UPDATE_IN_PROGRESS', reason: 'User Initiated' }] },
    {
      atMs: 60_000,
      status: 'UPDATE_IN_PROGRESS',
      events: [{ logicalId: 'AppAutoScalingGroup', status: 'UPDATE_IN_PROGRESS', reason: 'Requested update requires the creation of a new physical resource; hence creating one.' }],
      appGroup: { name: GREEN_GROUP, status: 'UPDATE_IN_PROGRESS' },
    },
    { atMs: 180_000, status: 'UPDATE_IN_PROGRESS', events: [{ logicalId: 'AppAutoScalingGroup', status: 'UPDATE_COMPLETE' }], appGroup: { name: GREEN_GROUP, status: 'UPDATE_COMPLETE' } },
    { atMs: 480_000, status: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', events: [{ logicalId: STACK, status: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS' }] },
    { atMs: 540_000, status: 'UPDATE_COMPLETE', events: [{ logicalId: STACK, status: 'UPDATE_COMPLETE' }] },
  ],
};

/** What a cancel inside the window plays by default: CloudFormation rolls back to blue, deleting green in the cleanup. */
const CANCEL_ROLLS_BACK: Phase[] = [
  { atMs: 0, status: 'UPDATE_ROLLBACK_IN_PROGRESS', events: [{ logicalId: STACK, status: 'UPDATE_ROLLBACK_IN_PROGRESS', reason: 'Stack update cancelled' }], appGroup: { name: BLUE_GROUP, status: 'UPDATE_COMPLETE' } },
  { atMs: 60_000, status: 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', events: [{ logicalId: STACK, status: 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS' }] },
  { atMs: 90_000, status: 'UPDATE_ROLLBACK_COMPLETE', events: [{ logicalId: STACK, status: 'UPDATE_ROLLBACK_COMPLETE' }] },
];

const SIGNAL_FAILURE = 'Received 0 SUCCESS signal(s) out of 2.  Unable to satisfy 100% MinSuccessfulInstancesPercent requirement';

/** The first ten minutes of a replacing update whose green group never signals; CloudFormation then rolls back. */
const GREEN_NEVER_SIGNALS: Phase[] = [
  { atMs: 0, status: 'UPDATE_IN_PROGRESS', events: [{ logicalId: STACK, status: 'UPDATE_IN_PROGRESS', reason: 'User Initiated' }] },
  {
    atMs: 600_000,
    status: 'UPDATE_ROLLBACK_IN_PROGRESS',
    events: [
      { logicalId: 'AppAutoScalingGroup', status: 'UPDATE_FAILED', reason: SIGNAL_FAILURE },
      { logicalId: 'AppListener', status: 'UPDATE_FAILED', reason: 'Resource update cancelled', resourceType: 'AWS::ElasticLoadBalancingV2::Listener' },
      { logicalId: STACK, status: 'UPDATE_ROLLBACK_IN_PROGRESS', reason: 'The following resource(s) failed to update: [AppAutoScalingGroup].' },
    ],
  },
];

/** The green group never signals: CloudFormation rolls back to blue. */
export const ROLLS_BACK: UpdateScript = {
  phases: [...GREEN_NEVER_SIGNALS, { atMs: 720_000, status: 'UPDATE_ROLLBACK_COMPLETE', events: [{ logicalId: STACK, status: 'UPDATE_ROLLBACK_COMPLETE' }] }],
};

/** The green group never signals, and the rollback fails too: only a person can finish it. */
export const ROLLBACK_FAILS: UpdateScript = {
  phases: [
    ...GREEN_NEVER_SIGNALS,
    {
      atMs: 900_000,
      status: 'UPDATE_ROLLBACK_FAILED',
      events: [
        { logicalId: 'AppTargetGroup', status: 'UPDATE_FAILED', reason: 'Target group is currently in use by a listener', resourceType: 'AWS::ElasticLoadBalancingV2::TargetGroup' },
        { logicalId: STACK, status: 'UPDATE_ROLLBACK_FAILED', reason: 'The following resource(s) failed to update: [AppTargetGroup].' },
      ],
    },
  ],
  failedResources: [{ logicalId: 'AppTargetGroup', reason: 'Target group is currently in use by a listener' }],
};

const ERRORS = {
  throttling: () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }),
  expired: () => Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredToken', $metadata: { httpStatusCode: 403 } }),
  amiNotFound: (id: string) => Object.assign(new Error(`The image id '[${id}]' does not exist`), { name: 'InvalidAMIID.NotFound', $metadata: { httpStatusCode: 400 } }),
  // What node:net throws when nothing listens (the endpoint, a proxy or the network is down); the
  // SDK retries it, then passes it on unchanged.
  refused: () => Object.assign(new Error('connect ECONNREFUSED 198.51.100.7:443'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', $metadata: {} }),
  validation: (message: string) => Object.assign(new Error(message), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }),
};

interface ChangeSet {
  id: string;
  parameters: Record<string, string>;
  status: 'CREATE_COMPLETE' | 'FAILED';
  reason?: string;
  executionStatus: string;
}

interface Operation {
  startedMs: number;
  script: UpdateScript;
  from: Record<string, string>;
  to: Record<string, string>;
  applied: number;
  fromGroup?: { name: string; status: string };
}

/** The stack and everything around it; `install()` wires it into the mocks. */
export class AwsWorld {
  status = 'UPDATE_COMPLETE';
  parameters: Record<string, string>;
  /** Oldest first (DescribeStackEvents answers newest first). */
  readonly events: StackEvent[] = [];
  readonly changeSets = new Map<string, ChangeSet>();
  /** Executed change sets take these in order; when empty, updates complete (COMPLETES). */
  readonly scripts: UpdateScript[] = [];
  /** Another operation (someone else's deploy) running when the test starts. */
  private operation?: Operation;
  /** The next change set fails with this reason (once). */
  failNextChangeSet?: string;
  /** Called right after a change set is executed: where a test injects what happens mid-update. */
  afterExecute?: () => void;
  /** The AmazonMachineImage of every executed change set, in order. */
  readonly executedAmis: string[] = [];
  /** The next `count` calls of these commands answer Throttling. */
  private throttled = new Map<string, number>();
  /** From this clock time on, every call fails with ExpiredToken until `refreshCredentials()`. */
  credentialsExpireAtMs?: number;
  /** While true, every call fails as a refused connection: AWS cannot be reached at all. */
  unreachable = false;
  readonly images = new Map<string, Image>();
  /** The stack's AppAutoScalingGroup (DescribeStackResource). */
  appGroup = { name: BLUE_GROUP, status: 'UPDATE_COMPLETE' };
  /** Every CancelUpdateStack call, accepted or not, by clock time. */
  readonly cancels: Array<{ atMs: number; accepted: boolean }> = [];
  /** What DescribeStackResources lists as UPDATE_FAILED (set by the last executed script). */
  private failedResources: Array<{ logicalId: string; reason: string }> = [];
  private eventCounter = 0;
  private changeSetCounter = 0;

  constructor(
    readonly clock: VirtualClock,
    initialParameters: Record<string, string>,
  ) {
    this.parameters = { ...initialParameters };
    this.pushEvent({ logicalId: STACK, status: 'UPDATE_COMPLETE' });
  }

  /** The AMI the stack runs now (its AmazonMachineImage parameter). */
  runningAmi(): string {
    this.advance();
    return this.parameters.AmazonMachineImage;
  }

  /** Registers AMIs DescribeImages knows, available unless overridden. */
  withImages(...ids: string[]): this {
    for (const id of ids) this.images.set(id, { ImageId: id, OwnerId: '123456789012', State: 'available', Name: `fleet-${id}`, CreationDate: '2026-01-01T00:00:00.000Z' });
    return this;
  }

  /** Someone else's operation is running: the stack shows `status` until `forMs` from now, then `endStatus` with `endParameters`. */
  busy(status: string, forMs: number, endStatus = 'UPDATE_COMPLETE', endParameters: Record<string, string> = this.parameters): this {
    this.operation = {
      startedMs: this.clock.now(),
      from: { ...this.parameters },
      to: { ...endParameters },
      applied: 0,
      script: { phases: [{ atMs: 0, status }, { atMs: forMs, status: endStatus, events: [{ logicalId: STACK, status: endStatus }] }] },
    };
    this.advance();
    return this;
  }

  /** The next `count` calls of each named command (e.g. 'DescribeStacks') answer Throttling. */
  throttle(count: number, ...commands: string[]): this {
    for (const command of commands) this.throttled.set(command, count);
    return this;
  }

  refreshCredentials(): void {
    this.credentialsExpireAtMs = undefined;
  }

  /** Applies the phases of the running operation whose time has come. */
  private advance(): void {
    const op = this.operation;
    if (!op) return;
    const elapsed = this.clock.now() - op.startedMs;
    while (op.applied < op.script.phases.length && op.script.phases[op.applied].atMs <= elapsed) {
      const phase = op.script.phases[op.applied];
      for (const e of phase.events ?? []) this.pushEvent(e);
      this.status = phase.status;
      // CloudFormation shows the new values while updating and after success; the old ones once rolled back.
      this.parameters = { ...(/ROLLBACK/.test(phase.status) ? op.from : op.to) };
      if (phase.appGroup) this.appGroup = { ...phase.appGroup };
      op.applied += 1;
    }
    if (op.applied === op.script.phases.length) this.operation = undefined;
  }

  private pushEvent(e: { logicalId: string; status: string; reason?: string; resourceType?: string }): void {
    this.eventCounter += 1;
    const isStack = e.logicalId === STACK;
    this.events.push({
      StackId: STACK_ID,
      StackName: STACK,
      EventId: `event-${String(this.eventCounter).padStart(5, '0')}`,
      LogicalResourceId: e.logicalId,
      ResourceType: e.resourceType ?? (isStack ? 'AWS::CloudFormation::Stack' : 'AWS::AutoScaling::AutoScalingGroup'),
      ResourceStatus: e.status as StackEvent['ResourceStatus'],
      ResourceStatusReason: e.reason,
      Timestamp: new Date(this.clock.now()),
    });
  }

  private stack(): Stack {
    return {
      StackName: STACK,
      StackId: STACK_ID,
      StackStatus: this.status as Stack['StackStatus'],
      CreationTime: new Date('2025-06-01T00:00:00Z'),
      Parameters: Object.entries(this.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      Outputs: Object.entries({ ...ALARMS, LoadBalancerUrl: 'http://patch-dev-app-1234.us-east-1.elb.amazonaws.com' }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    };
  }

  /** Runs before every answer: the faults that hit any call, then time. */
  private gate(command: string): void {
    if (this.unreachable) throw ERRORS.refused();
    if (this.credentialsExpireAtMs !== undefined && this.clock.now() >= this.credentialsExpireAtMs) throw ERRORS.expired();
    const left = this.throttled.get(command) ?? 0;
    if (left > 0) {
      this.throttled.set(command, left - 1);
      throw ERRORS.throttling();
    }
    this.advance();
  }

  private createChangeSet(input: CreateChangeSetCommandInput): { Id: string; StackId: string } {
    if (this.operation || /_IN_PROGRESS$/.test(this.status)) throw ERRORS.validation(`Stack:${STACK_ID} is in ${this.status} state and can not be updated.`);
    const parameters: Record<string, string> = {};
    for (const p of input.Parameters ?? []) parameters[p.ParameterKey ?? ''] = p.UsePreviousValue ? this.parameters[p.ParameterKey ?? ''] : (p.ParameterValue ?? '');
    this.changeSetCounter += 1;
    const id = `arn:aws:cloudformation:us-east-1:123456789012:changeSet/${input.ChangeSetName}/cs-${this.changeSetCounter}`;
    const same = Object.entries(parameters).every(([k, v]) => this.parameters[k] === v);
    const failure = this.failNextChangeSet;
    this.failNextChangeSet = undefined;
    const changeSet: ChangeSet = failure
      ? { id, parameters, status: 'FAILED', reason: failure, executionStatus: 'UNAVAILABLE' }
      : same
        ? { id, parameters, status: 'FAILED', reason: "The submitted information didn't contain changes. Submit different information to create a change set.", executionStatus: 'UNAVAILABLE' }
        : { id, parameters, status: 'CREATE_COMPLETE', executionStatus: 'AVAILABLE' };
    this.changeSets.set(id, changeSet);
    return { Id: id, StackId: STACK_ID };
  }

  private describeChangeSet(input: DescribeChangeSetCommandInput) {
    const cs = this.changeSets.get(input.ChangeSetName ?? '');
    if (!cs) throw Object.assign(new Error(`ChangeSet [${input.ChangeSetName}] does not exist`), { name: 'ChangeSetNotFoundException' });
    const changes =
      cs.status === 'CREATE_COMPLETE'
        ? [
            { Type: 'Resource' as const, ResourceChange: { Action: 'Modify' as const, LogicalResourceId: 'AppLaunchTemplate', ResourceType: 'AWS::EC2::LaunchTemplate', Replacement: 'False' as const } },
            { Type: 'Resource' as const, ResourceChange: { Action: 'Modify' as const, LogicalResourceId: 'AppAutoScalingGroup', ResourceType: 'AWS::AutoScaling::AutoScalingGroup', Replacement: 'True' as const } },
          ]
        : [];
    return { ChangeSetId: cs.id, StackName: STACK, Status: cs.status, StatusReason: cs.reason, ExecutionStatus: cs.executionStatus, Changes: changes };
  }

  private executeChangeSet(input: ExecuteChangeSetCommandInput): object {
    const cs = this.changeSets.get(input.ChangeSetName ?? '');
    if (!cs || cs.executionStatus !== 'AVAILABLE') throw Object.assign(new Error('ChangeSet is not AVAILABLE'), { name: 'InvalidChangeSetStatusException' });
    cs.executionStatus = 'EXECUTE_COMPLETE';
    for (const other of this.changeSets.values()) if (other !== cs && other.executionStatus === 'AVAILABLE') other.executionStatus = 'OBSOLETE';
    const script = this.scripts.shift() ?? COMPLETES;
    this.failedResources = script.failedResources ?? [];
    this.operation = { startedMs: this.clock.now(), script, from: { ...this.parameters }, to: { ...this.parameters, ...cs.parameters }, applied: 0, fromGroup: { ...this.appGroup } };
    this.executedAmis.push(this.operation.to.AmazonMachineImage);
    this.advance();
    this.afterExecute?.();
    return {};
  }

  /** CancelUpdateStack: accepted only while an update is UPDATE_IN_PROGRESS, as CloudFormation does. */
  private cancelUpdateStack(): object {
    const op = this.operation;
    const accepted = op !== undefined && this.status === 'UPDATE_IN_PROGRESS';
    this.cancels.push({ atMs: this.clock.now(), accepted });
    if (!accepted) throw ERRORS.validation('CancelUpdateStack cannot be called from current stack status');
    const phases = op.script.onCancel ?? CANCEL_ROLLS_BACK;
    this.operation = { ...op, startedMs: this.clock.now(), script: { phases, failedResources: op.script.failedResources }, applied: 0 };
    this.advance();
    return {};
  }

  private describeImages(input: DescribeImagesCommandInput) {
    const images = (input.ImageIds ?? []).map((id) => {
      const image = this.images.get(id);
      if (!image) throw ERRORS.amiNotFound(id);
      return image;
    });
    return { Images: images };
  }

  /** Answers the mocked CloudFormation and EC2 clients from this world. */
  install(mocks: AwsMocks): this {
    const cfn = mocks.cloudFormation;
    const answer =
      <I>(command: string, fn: (input: I) => unknown) =>
      (input: I) => {
        this.gate(command);
        return fn(input);
      };
    cfn.on(DescribeStacksCommand).callsFake(answer('DescribeStacks', () => ({ Stacks: [this.stack()] })));
    cfn.on(DescribeStackEventsCommand).callsFake(answer('DescribeStackEvents', () => ({ StackEvents: [...this.events].reverse() })));
    cfn.on(DescribeStackResourcesCommand).callsFake(
      answer('DescribeStackResources', () => ({
        StackResources: this.failedResources.map((r) => ({ LogicalResourceId: r.logicalId, ResourceType: 'AWS::ElasticLoadBalancingV2::TargetGroup', ResourceStatus: 'UPDATE_FAILED', ResourceStatusReason: r.reason, Timestamp: new Date(this.clock.now()) })),
      })),
    );
    cfn.on(DescribeStackResourceCommand).callsFake(
      answer('DescribeStackResource', (input: { LogicalResourceId?: string }) => {
        if (input.LogicalResourceId !== 'AppAutoScalingGroup') throw ERRORS.validation(`Resource ${input.LogicalResourceId} does not exist for stack ${STACK}`);
        return { StackResourceDetail: { StackName: STACK, LogicalResourceId: 'AppAutoScalingGroup', PhysicalResourceId: this.appGroup.name, ResourceType: 'AWS::AutoScaling::AutoScalingGroup', ResourceStatus: this.appGroup.status, LastUpdatedTimestamp: new Date(this.clock.now()) } };
      }),
    );
    cfn.on(CancelUpdateStackCommand).callsFake(answer('CancelUpdateStack', () => this.cancelUpdateStack()));
    cfn.on(GetTemplateCommand).callsFake(answer('GetTemplate', () => ({ TemplateBody: readFileSync(join(REPO_ROOT, 'templates/app.yaml'), 'utf8') })));
    cfn.on(CreateChangeSetCommand).callsFake(answer('CreateChangeSet', (input: CreateChangeSetCommandInput) => this.createChangeSet(input)));
    cfn.on(DescribeChangeSetCommand).callsFake(answer('DescribeChangeSet', (input: DescribeChangeSetCommandInput) => this.describeChangeSet(input)));
    cfn.on(DeleteChangeSetCommand).callsFake(
      answer('DeleteChangeSet', (input: { ChangeSetName?: string }) => {
        this.changeSets.delete(input.ChangeSetName ?? '');
        return {};
      }),
    );
    cfn.on(ExecuteChangeSetCommand).callsFake(answer('ExecuteChangeSet', (input: ExecuteChangeSetCommandInput) => this.executeChangeSet(input)));
    mocks.ec2.on(DescribeImagesCommand).callsFake(answer('DescribeImages', (input: DescribeImagesCommandInput) => this.describeImages(input)));
    return this;
  }

  /** Change sets still listed (not executed): a failed or previewed run must leave none. */
  pendingChangeSets(): string[] {
    return [...this.changeSets.values()].filter((cs) => cs.executionStatus !== 'EXECUTE_COMPLETE').map((cs) => cs.id);
  }
}
