import { CancelUpdateStackCommand, CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

import { VirtualClock } from '../../../../actions/lib/clock';
import { cancelUpdate, isGreenInService, planWindowVerification, readAppGroup } from '../../../../actions/lib/cloudformation/window-verification';
import { RecordingLogger } from '../../../../actions/lib/logger';

const cfn = mockClient(CloudFormationClient);
const deps = () => ({ clients: { cloudFormation: new CloudFormationClient({ region: 'us-east-1' }) }, logger: new RecordingLogger(), clock: new VirtualClock() });
beforeEach(() => cfn.reset());

describe('planWindowVerification', () => {
  it('verifies when the window holds the watch, the cancel and a wait for green’s targets', () => {
    // 5 min = 300 s: 60 s watch, 30 s for the cancel, 210 s left to wait for healthy targets.
    expect(planWindowVerification(5, 60)).toEqual({ verify: true, healthWaitMs: 210_000 });
    expect(planWindowVerification(1, 10)).toEqual({ verify: true, healthWaitMs: 20_000 });
  });

  it('does not when there is no window, or the watch does not fit, and says what to change', () => {
    expect(planWindowVerification(0, 60)).toEqual({ verify: false, why: expect.stringContaining('rollback-monitoring-minutes is 0') });
    expect(planWindowVerification(1, 60)).toEqual({ verify: false, why: expect.stringMatching(/raise rollback-monitoring-minutes to at least 2 or shorten verify-seconds$/) });
  });
});

describe('isGreenInService', () => {
  it('only for another group than blue, created and signalled', () => {
    expect(isGreenInService({ name: 'green', status: 'UPDATE_COMPLETE' }, 'blue')).toBe(true);
    expect(isGreenInService({ name: 'green', status: 'UPDATE_IN_PROGRESS' }, 'blue')).toBe(false);
    expect(isGreenInService({ name: 'blue', status: 'UPDATE_COMPLETE' }, 'blue')).toBe(false);
    expect(isGreenInService({ status: 'UPDATE_COMPLETE' }, 'blue')).toBe(false);
  });

  it('reads the group the stack names now', async () => {
    cfn.on(DescribeStackResourceCommand).resolves({ StackResourceDetail: { LogicalResourceId: 'AppAutoScalingGroup', PhysicalResourceId: 'green', ResourceStatus: 'UPDATE_COMPLETE', ResourceType: 'AWS::AutoScaling::AutoScalingGroup', LastUpdatedTimestamp: new Date() } });
    expect(await readAppGroup('patch-dev-app', deps())).toEqual({ name: 'green', status: 'UPDATE_COMPLETE' });
    expect(cfn).toHaveReceivedCommandWith(DescribeStackResourceCommand, { StackName: 'patch-dev-app', LogicalResourceId: 'AppAutoScalingGroup' });
  });
});

describe('cancelUpdate', () => {
  it('cancels while the stack is UPDATE_IN_PROGRESS', async () => {
    cfn.on(CancelUpdateStackCommand).resolves({});
    expect(await cancelUpdate('patch-dev-app', deps())).toBe('cancelled');
  });

  it('is too late once CloudFormation refuses (the window ended)', async () => {
    cfn.on(CancelUpdateStackCommand).rejects(Object.assign(new Error('CancelUpdateStack cannot be called from current stack status'), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }));
    expect(await cancelUpdate('patch-dev-app', deps())).toBe('too-late');
  });

  it('passes any other error on', async () => {
    cfn.on(CancelUpdateStackCommand).rejects(Object.assign(new Error('User is not authorized to perform: cloudformation:CancelUpdateStack'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    await expect(cancelUpdate('patch-dev-app', deps())).rejects.toThrow('not authorized');
  });
});
