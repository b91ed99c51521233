import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

import { VirtualClock } from '../../../../actions/lib/clock';
import { AwsOperationError, PollTimeoutError } from '../../../../actions/lib/errors';
import { readDeployedAmi } from '../../../../actions/lib/gitops/deployed-ami';
import { RecordingLogger } from '../../../../actions/lib/logger';

const cfn = mockClient(CloudFormationClient);
const STACK = 'patch-dev-app';

const stack = (status: string, ami?: string): Stack => ({
  StackName: STACK,
  StackId: `arn:aws:cloudformation:us-east-1:123456789012:stack/${STACK}/1`,
  StackStatus: status as Stack['StackStatus'],
  CreationTime: new Date(0),
  Parameters: ami ? [{ ParameterKey: 'AmazonMachineImage', ParameterValue: ami }, { ParameterKey: 'InstanceType', ParameterValue: 't3.micro' }] : [],
});

function deps() {
  return { clients: { cloudFormation: new CloudFormationClient({ region: 'us-east-1' }) }, logger: new RecordingLogger(), clock: new VirtualClock() };
}

describe('readDeployedAmi', () => {
  beforeEach(() => cfn.reset());

  it.each([
    ['UPDATE_COMPLETE', false],
    ['UPDATE_ROLLBACK_COMPLETE', true],
  ])('reads the AMI of a stack in %s', async (status, rolledBack) => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack(status, 'ami-00000000000000001')] });
    await expect(readDeployedAmi(STACK, 60_000, deps())).resolves.toEqual({
      stackName: STACK,
      amiId: 'ami-00000000000000001',
      status,
      rolledBack,
      parameters: { AmazonMachineImage: 'ami-00000000000000001', InstanceType: 't3.micro' },
    });
  });

  it("reads a slots stack's live slot's AMI, and keeps every slot's state for the record", async () => {
    const slots = { LiveSlot: 'blue', BlueAmazonMachineImage: 'ami-00000000000000001', BlueCapacity: '2', BlueWeight: '100', GreenAmazonMachineImage: 'ami-00000000000000002', GreenCapacity: '2', GreenWeight: '0' };
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ ...stack('UPDATE_COMPLETE'), Parameters: Object.entries(slots).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })) }] });
    await expect(readDeployedAmi(STACK, 60_000, deps())).resolves.toEqual({ stackName: STACK, amiId: 'ami-00000000000000001', status: 'UPDATE_COMPLETE', rolledBack: false, parameters: slots });
  });

  it('waits for a rollback in progress to settle before reading', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack('UPDATE_ROLLBACK_IN_PROGRESS', 'ami-00000000000000002')] })
      .resolvesOnce({ Stacks: [stack('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'ami-00000000000000001')] })
      .resolves({ Stacks: [stack('UPDATE_ROLLBACK_COMPLETE', 'ami-00000000000000001')] });
    const d = deps();
    const result = await readDeployedAmi(STACK, 10 * 60_000, d);
    expect(result).toMatchObject({ amiId: 'ami-00000000000000001', rolledBack: true });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 3);
    expect(d.logger.text()).toContain('UPDATE_ROLLBACK_IN_PROGRESS → UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
  });

  it('gives up, recording nothing, when the stack stays busy', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_IN_PROGRESS', 'ami-00000000000000002')] });
    const attempt = readDeployedAmi(STACK, 60_000, deps());
    await expect(attempt).rejects.toThrow(PollTimeoutError);
    await expect(readDeployedAmi(STACK, 60_000, deps())).rejects.toThrow(/Git not updated for stack patch-dev-app: it is still UPDATE_IN_PROGRESS/);
  });

  it('gives up on a dead endpoint after five failed polls in a row, saying CloudFormation stopped answering (not "busy", not "raise the timeout")', async () => {
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('connect ECONNREFUSED 198.51.100.7:443'), { code: 'ECONNREFUSED' }));
    const clock = new VirtualClock();
    await expect(readDeployedAmi(STACK, 30 * 60_000, { ...deps(), clock })).rejects.toThrow(
      new AwsOperationError(
        'Git not updated for stack patch-dev-app: CloudFormation stopped answering (5 polls in a row failed; last error: connect ECONNREFUSED 198.51.100.7:443), ' +
          'so what it runs could not be read. Re-run the failed deploy job once AWS answers so git records what runs.',
        STACK,
      ),
    );
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(5);
    expect(clock.now() - Date.UTC(2026, 0, 1)).toBeLessThan(60_000);
  });

  it('says so when the stack does not exist', async () => {
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: 'ValidationError' }));
    await expect(readDeployedAmi(STACK, 60_000, deps())).rejects.toThrow(/the stack does not exist/);
  });
});
