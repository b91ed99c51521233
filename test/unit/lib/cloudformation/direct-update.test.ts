/**
 * update-app-stack's direct path (actions/lib/cloudformation/direct-update.ts): a deploy that
 * moves only a slots stack's weights, on the template the stack runs, is one UpdateStack with
 * UsePreviousTemplate, the same parameters, tags and rollback triggers a change set would carry,
 * and a ClientRequestToken; anything else (an AMI, another template, a preview) is a change set.
 * Plus the fault rows F170-F172 of the catalogue.
 */
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  type Stack,
  type StackEvent,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'aws-sdk-client-mock-jest';

import { directUpdateToken, isSameTemplate, weightOnlyChanges } from '../../../../actions/lib/cloudformation/direct-update';
import { updateAppStack, type UpdateAppStackInputs } from '../../../../actions/lib/cloudformation/update-app-stack';
import { AwsOperationError } from '../../../../actions/lib/errors';
import { WEIGHT_PARAMETERS } from '../../../../actions/lib/slots/slots-update';
import { describeCatalogueRows } from '../../reliability/support/catalogue-suite';
import { makeDeps, newestFirst, STACK, STACK_ID, validationError } from './fixtures';

const cfn = mockClient(CloudFormationClient);
const ec2 = mockClient(EC2Client);

const OLD_AMI = 'ami-0aaaaaaaaaaaaaaa1';
const NEW_AMI = 'ami-0bbbbbbbbbbbbbbb2';
const GREEN_5XX = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:patch-dev-app-green-http5xx';
const GREEN_UNHEALTHY = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:patch-dev-app-green-unhealthy';

/** A slots template's parameter shapes (templates/app-slots.yaml's names), enough to plan an update. */
const SLOTS_TEMPLATE = `# the slots template, cut down
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  LiveSlot:
    Type: String
    AllowedValues: [blue, green]
  BlueAmazonMachineImage:
    Type: AWS::EC2::Image::Id
  BlueCapacity:
    Type: Number
  BlueWeight:
    Type: Number
  GreenAmazonMachineImage:
    Type: AWS::EC2::Image::Id
  GreenCapacity:
    Type: Number
  GreenWeight:
    Type: Number
Resources:
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      Port: 80
      Protocol: HTTP
      DefaultActions:
        - Type: forward
          ForwardConfig:
            TargetGroups:
              - { TargetGroupArn: blue, Weight: !Ref BlueWeight }
              - { TargetGroupArn: green, Weight: !Ref GreenWeight }
`;

/** Blue live, green warm at weight 0: the bake window after a canary that passed would be the other way round. */
const BLUE_LIVE = { LiveSlot: 'blue', BlueAmazonMachineImage: OLD_AMI, BlueCapacity: '2', BlueWeight: '100', GreenAmazonMachineImage: NEW_AMI, GreenCapacity: '2', GreenWeight: '0' };
const CANARY = { ...BLUE_LIVE, BlueWeight: '90', GreenWeight: '10' };

let eventCounter = 0;
function stackEvent(status: string, logicalId = STACK, reason?: string, token?: string): StackEvent {
  eventCounter += 1;
  return {
    StackId: STACK_ID,
    StackName: STACK,
    EventId: `d-${String(eventCounter).padStart(4, '0')}`,
    LogicalResourceId: logicalId,
    ResourceType: logicalId === STACK ? 'AWS::CloudFormation::Stack' : 'AWS::ElasticLoadBalancingV2::Listener',
    ResourceStatus: status as StackEvent['ResourceStatus'],
    ResourceStatusReason: reason,
    ClientRequestToken: token,
    Timestamp: new Date(Date.UTC(2026, 0, 1, 0, 1, eventCounter)),
  };
}

function slotsStack(status: string, parameters: Record<string, string>): Stack {
  return {
    StackName: STACK,
    StackId: STACK_ID,
    StackStatus: status as Stack['StackStatus'],
    CreationTime: new Date('2026-01-01T00:00:00Z'),
    Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    Outputs: Object.entries({ GreenHttp5xxAlarmArn: GREEN_5XX, GreenUnhealthyHostsAlarmArn: GREEN_UNHEALTHY }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
  };
}

/**
 * A slots stack CloudFormation updates when asked: UpdateStack (or an executed change set) runs
 * `outcome` over two polls: the listener modified, then the stack's end. `deployedTemplate` is
 * what GetTemplate answers. `onUpdate` may throw instead of answering (after or before starting).
 */
function world(options: { deployedTemplate?: string; outcome?: 'complete' | 'alarm'; onUpdate?: (call: number) => 'start' | Error | { startThen: Error } } = {}) {
  const state = { parameters: { ...BLUE_LIVE } as Record<string, string>, status: 'UPDATE_COMPLETE', updates: 0, polls: 0 };
  const history: StackEvent[] = [stackEvent('UPDATE_COMPLETE')];
  let pending: Record<string, string> | undefined;
  let token: string | undefined;
  const start = (parameters: Record<string, string>, requestToken?: string) => {
    state.updates += 1;
    pending = parameters;
    token = requestToken;
    state.status = 'UPDATE_IN_PROGRESS';
    history.push(stackEvent('UPDATE_IN_PROGRESS', STACK, 'User Initiated', token));
  };
  const resolve = (sent: Array<{ ParameterKey?: string; ParameterValue?: string; UsePreviousValue?: boolean }>) =>
    Object.fromEntries(sent.map((p) => [p.ParameterKey!, p.UsePreviousValue ? state.parameters[p.ParameterKey!] : p.ParameterValue!]));

  cfn.on(DescribeStacksCommand).callsFake(() => {
    if (state.status === 'UPDATE_IN_PROGRESS' && pending) {
      state.polls += 1;
      if (state.polls === 1) history.push(stackEvent('UPDATE_COMPLETE', 'Listener', undefined, token));
      else if (options.outcome === 'alarm') {
        history.push(stackEvent('UPDATE_ROLLBACK_IN_PROGRESS', STACK, `Stack rollback triggered by alarm: ${GREEN_5XX}`, token), stackEvent('UPDATE_ROLLBACK_COMPLETE', STACK, undefined, token));
        state.status = 'UPDATE_ROLLBACK_COMPLETE';
        pending = undefined;
      } else {
        history.push(stackEvent('UPDATE_COMPLETE', STACK, undefined, token));
        state.status = 'UPDATE_COMPLETE';
        state.parameters = pending;
        pending = undefined;
      }
    }
    return { Stacks: [slotsStack(state.status, state.parameters)] };
  });
  cfn.on(DescribeStackEventsCommand).callsFake(() => newestFirst(history));
  cfn.on(GetTemplateCommand).callsFake(() => ({ TemplateBody: options.deployedTemplate ?? SLOTS_TEMPLATE }));
  let calls = 0;
  cfn.on(UpdateStackCommand).callsFake((input: { Parameters: Parameters<typeof resolve>[0]; ClientRequestToken: string }) => {
    calls += 1;
    const act = options.onUpdate?.(calls) ?? 'start';
    if (act instanceof Error) throw act;
    if (state.status.endsWith('_IN_PROGRESS')) throw validationError(`Stack:${STACK_ID} is in UPDATE_IN_PROGRESS state and can not be updated.`);
    start(resolve(input.Parameters), input.ClientRequestToken);
    if (act !== 'start') throw act.startThen;
    return { StackId: STACK_ID };
  });
  let changeSetParameters: Record<string, string> = {};
  cfn.on(CreateChangeSetCommand).callsFake((input: { Parameters: Parameters<typeof resolve>[0] }) => {
    changeSetParameters = resolve(input.Parameters);
    return { Id: 'arn:aws:cloudformation:us-east-1:123456789012:changeSet/patch/1', StackId: STACK_ID };
  });
  cfn.on(DescribeChangeSetCommand).resolves({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [] });
  cfn.on(DeleteChangeSetCommand).resolves({});
  cfn.on(ExecuteChangeSetCommand).callsFake(() => {
    start(changeSetParameters);
    return {};
  });
  return state;
}

function files(parameters: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'direct-update-'));
  const templateFile = join(dir, 'app-slots.yaml');
  const parametersFile = join(dir, 'canary.json');
  writeFileSync(templateFile, SLOTS_TEMPLATE);
  writeFileSync(parametersFile, `${JSON.stringify({ Parameters: parameters, Tags: { Environment: 'dev' } }, null, 2)}\n`);
  return { templateFile, parametersFile };
}

/** A slots step as slots-update.ts runs it: no monitoring window, the new slot's alarms as rollback triggers, the weight parameters allowed direct. */
function step(parameters: Record<string, string>, overrides: Partial<UpdateAppStackInputs> = {}): UpdateAppStackInputs {
  return {
    stackName: STACK,
    region: 'us-east-1',
    ...files(parameters),
    mode: 'deploy',
    timeoutMinutes: 60,
    rollbackMonitoringMinutes: 0,
    rollbackAlarmOutputs: ['GreenHttp5xxAlarmArn', 'GreenUnhealthyHostsAlarmArn'],
    run: { id: '987654', attempt: '2' },
    weightParameters: WEIGHT_PARAMETERS,
    ...overrides,
  };
}

const connectionReset = () => Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET', $metadata: {} });

beforeEach(() => {
  cfn.reset();
  ec2.reset();
  ec2.on(DescribeImagesCommand).callsFake(({ ImageIds }: { ImageIds: string[] }) => ({ Images: [{ ImageId: ImageIds[0], OwnerId: '123456789012', State: 'available' }] }));
});

describe('update-app-stack: a weight-only step of the template the stack runs is one UpdateStack', () => {
  it('sends UpdateStack on the deployed template, with the change set path\'s parameters, tags and rollback triggers, and a request token', async () => {
    const state = world();
    const deps = makeDeps();
    const report = await updateAppStack(step(CANARY), deps);

    expect(cfn).toHaveReceivedCommandTimes(UpdateStackCommand, 1);
    expect(cfn).not.toHaveReceivedCommand(CreateChangeSetCommand);
    expect(cfn).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
    const sent = cfn.commandCalls(UpdateStackCommand)[0].args[0].input;
    expect(sent).toEqual({
      StackName: STACK,
      UsePreviousTemplate: true,
      Parameters: [
        { ParameterKey: 'LiveSlot', UsePreviousValue: true },
        { ParameterKey: 'BlueAmazonMachineImage', UsePreviousValue: true },
        { ParameterKey: 'BlueCapacity', UsePreviousValue: true },
        { ParameterKey: 'BlueWeight', ParameterValue: '90' },
        { ParameterKey: 'GreenAmazonMachineImage', UsePreviousValue: true },
        { ParameterKey: 'GreenCapacity', UsePreviousValue: true },
        { ParameterKey: 'GreenWeight', ParameterValue: '10' },
      ],
      Tags: [{ Key: 'Environment', Value: 'dev' }],
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      RollbackConfiguration: {
        RollbackTriggers: [
          { Arn: GREEN_5XX, Type: 'AWS::CloudWatch::Alarm' },
          { Arn: GREEN_UNHEALTHY, Type: 'AWS::CloudWatch::Alarm' },
        ],
        MonitoringTimeInMinutes: 0,
      },
      ClientRequestToken: 'weights-987654-2-20260101T000000000Z',
    });
    expect(state.parameters).toEqual(CANARY);
    expect(report).toMatchObject({ outcome: 'updated', changed: true, stackStatus: 'UPDATE_COMPLETE', requestToken: 'weights-987654-2-20260101T000000000Z' });
    expect(report.changeSetId).toBeUndefined();
    expect(report.parameterChanges).toEqual([
      { key: 'BlueWeight', previous: '100', next: '90' },
      { key: 'GreenWeight', previous: '0', next: '10' },
    ]);
    expect(report.changesMarkdown).toBe('Weights only, on the template the stack runs (UpdateStack weights-987654-2-20260101T000000000Z, no change set): BlueWeight 100 → 90, GreenWeight 0 → 10.');
    expect(report.events.map((e) => e.status)).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE', 'UPDATE_COMPLETE']);
  });

  it('a switch of the live slot (LiveSlot and both weights) goes direct too', async () => {
    const state = world();
    await updateAppStack(step({ ...BLUE_LIVE, LiveSlot: 'green', BlueWeight: '0', GreenWeight: '100' }), makeDeps());
    expect(cfn).toHaveReceivedCommandTimes(UpdateStackCommand, 1);
    expect(state.parameters).toMatchObject({ LiveSlot: 'green', BlueWeight: '0', GreenWeight: '100' });
  });

  it('anything beyond the weights (the stage step\'s AMI and capacity) is a change set, never UpdateStack', async () => {
    const state = world();
    await updateAppStack(step({ ...BLUE_LIVE, GreenAmazonMachineImage: 'ami-0ccccccccccccccc3' }), makeDeps());
    expect(cfn).not.toHaveReceivedCommand(UpdateStackCommand);
    expect(cfn).toHaveReceivedCommandTimes(ExecuteChangeSetCommand, 1);
    expect(state.parameters.GreenAmazonMachineImage).toBe('ami-0ccccccccccccccc3');
  });

  it('a preview of a weight change is still a change set (created, rendered, deleted)', async () => {
    world();
    const report = await updateAppStack(step(CANARY, { mode: 'preview' }), makeDeps());
    expect(report.outcome).toBe('previewed');
    expect(cfn).not.toHaveReceivedCommand(UpdateStackCommand);
    expect(cfn).toHaveReceivedCommandTimes(DeleteChangeSetCommand, 1);
  });

  it('without weightParameters (strategy replace, any other caller) every update is a change set', async () => {
    world();
    await updateAppStack(step(CANARY, { weightParameters: undefined }), makeDeps());
    expect(cfn).not.toHaveReceivedCommand(UpdateStackCommand);
    expect(cfn).toHaveReceivedCommandTimes(ExecuteChangeSetCommand, 1);
  });

  it('the same template in another layout (comments, flow style, JSON) counts as the same', () => {
    const json = JSON.stringify({ AWSTemplateFormatVersion: '2010-09-09', Parameters: { A: { Type: 'String' } } });
    expect(isSameTemplate(json, "AWSTemplateFormatVersion: '2010-09-09'\n# a comment\nParameters: { A: { Type: String } }\n", 't.yaml')).toBe(true);
    expect(isSameTemplate(json, "AWSTemplateFormatVersion: '2010-09-09'\nParameters: { A: { Type: Number } }\n", 't.yaml')).toBe(false);
    expect(isSameTemplate('{ not: [a template', 'A: 1\n', 't.yaml')).toBe(false);
  });

  it('weightOnlyChanges: only when every changed key is a weight key, and something changes', () => {
    expect(weightOnlyChanges(['BlueWeight', 'GreenWeight'], WEIGHT_PARAMETERS)).toEqual(['BlueWeight', 'GreenWeight']);
    expect(weightOnlyChanges(['BlueWeight', 'GreenCapacity'], WEIGHT_PARAMETERS)).toBeUndefined();
    expect(weightOnlyChanges([], WEIGHT_PARAMETERS)).toBeUndefined();
    expect(weightOnlyChanges(['BlueWeight'], undefined)).toBeUndefined();
  });

  it('request tokens follow CloudFormation\'s pattern and differ between two steps of one run', () => {
    const first = directUpdateToken({ id: '987654', attempt: '2' }, Date.UTC(2026, 0, 1, 0, 0, 0, 1));
    const second = directUpdateToken({ id: '987654', attempt: '2' }, Date.UTC(2026, 0, 1, 0, 0, 0, 2));
    for (const token of [first, second, directUpdateToken({ id: 'a/b c' }, 0)]) expect(token).toMatch(/^[a-zA-Z][-a-zA-Z0-9]{0,127}$/);
    expect(first).not.toBe(second);
  });
});

/** F170-F172: faults on the direct weight update (update-app-stack on a mocked CloudFormation). */
const IMPLEMENTATIONS: Record<string, () => Promise<void>> = {
  async F170() {
    const state = world({ outcome: 'alarm' });
    const error = await updateAppStack(step(CANARY), makeDeps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as Error).message).toMatch(
      new RegExp(`^Update of stack ${STACK} failed: .*Stack rollback triggered by alarm: ${GREEN_5XX.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*CloudFormation rolled the stack back to how it was \\(UPDATE_ROLLBACK_COMPLETE\\)`),
    );
    // The rollback trigger was the update's own (RollbackConfiguration on UpdateStack), and the stack kept its weights.
    expect(cfn.commandCalls(UpdateStackCommand)[0].args[0].input.RollbackConfiguration?.RollbackTriggers?.map((t) => t.Arn)).toEqual([GREEN_5XX, GREEN_UNHEALTHY]);
    expect(state.parameters).toEqual(BLUE_LIVE);
    expect(state.updates).toBe(1);
  },

  async F171() {
    // CloudFormation starts the update, but its answer is lost on the way back; the re-send carries the same token.
    const state = world({ onUpdate: (call) => (call === 1 ? { startThen: connectionReset() } : Object.assign(new Error('Request token already used'), { name: 'TokenAlreadyExistsException', $metadata: { httpStatusCode: 400 } })) });
    const deps = makeDeps();
    const report = await updateAppStack(step(CANARY), deps);
    const tokens = cfn.commandCalls(UpdateStackCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens).toEqual(['weights-987654-2-20260101T000000000Z', 'weights-987654-2-20260101T000000000Z']);
    expect(state.updates).toBe(1);
    expect(state.parameters).toEqual(CANARY);
    expect(report).toMatchObject({ outcome: 'updated', stackStatus: 'UPDATE_COMPLETE' });
    expect(deps.logger.entries.map((e) => e.message).join('\n')).toMatch(/sending it again with the same request token in 1 s[\s\S]*already has request weights-987654-2-20260101T000000000Z/);
  },

  async F172() {
    // Someone deployed another template by hand since the stage step: a weight change must not keep it silently.
    const changed = SLOTS_TEMPLATE.replace('Port: 80', 'Port: 8080');
    const state = world({ deployedTemplate: changed });
    const deps = makeDeps();
    await updateAppStack(step(CANARY), deps);
    expect(cfn).not.toHaveReceivedCommand(UpdateStackCommand);
    expect(cfn).toHaveReceivedCommandTimes(CreateChangeSetCommand, 1);
    expect(cfn.commandCalls(CreateChangeSetCommand)[0].args[0].input.TemplateBody).toBe(SLOTS_TEMPLATE);
    expect(state.parameters).toEqual(CANARY);
    expect(deps.logger.entries.map((e) => e.message)).toContainEqual(expect.stringMatching(/^Only BlueWeight, GreenWeight change, but stack patch-dev-app runs another template than .*app-slots\.yaml: a change set deploys/));
  },
};

describeCatalogueRows('the direct weight update rows of the fault catalogue (unit, a mocked CloudFormation)', 'direct-update.test.ts', IMPLEMENTATIONS);

describe('the direct weight update when the stack moved meanwhile', () => {
  it('a re-send answered "already being updated" follows that update and judges the stack by what it holds', async () => {
    // The first send started ours and its answer was lost; the re-send finds the stack busy with it.
    const state = world({ onUpdate: (call) => (call === 1 ? { startThen: connectionReset() } : 'start') });
    const report = await updateAppStack(step(CANARY), makeDeps());
    expect(state.updates).toBe(1);
    expect(report.outcome).toBe('updated');
  });

  it('an update that ends UPDATE_COMPLETE without the values asked for fails, naming what the stack holds', async () => {
    const state = world();
    cfn.on(UpdateStackCommand).callsFake(() => {
      // Another update won the race: the stack ends complete, on other weights.
      state.status = 'UPDATE_COMPLETE';
      state.parameters = { ...BLUE_LIVE, BlueWeight: '75', GreenWeight: '25' };
      return { StackId: STACK_ID };
    });
    const error = await updateAppStack(step(CANARY), makeDeps()).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Weight update of stack patch-dev-app ended UPDATE_COMPLETE, but the stack does not hold what was asked: BlueWeight is 75, not 90, GreenWeight is 25, not 10\. Another update ran on it meanwhile\./);
  });

  it('UpdateStack refused (a ValidationError) changes nothing and says so', async () => {
    const state = world({ onUpdate: () => validationError('Parameter BlueWeight failed to satisfy constraint') });
    const error = await updateAppStack(step(CANARY), makeDeps()).catch((e: unknown) => e);
    expect((error as Error).message).toBe('Weight update of stack patch-dev-app refused: Parameter BlueWeight failed to satisfy constraint. The stack was not changed; fix what it names and re-run.');
    expect(state.updates).toBe(0);
  });
});
