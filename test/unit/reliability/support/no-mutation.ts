/**
 * The "no AWS mutation" assertion of the bad-inputs catalogue (issue 6): every command any mocked
 * client received must be a read. AWS names its read-only API calls Describe*, Get* and List*
 * across CloudFormation, EC2, Image Builder, ELBv2 and Auto Scaling; everything else (Create*,
 * Execute*, Delete*, Start*, Update*, RunInstances, …) can change something.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';

/** The read-only allowlist: a command name (without the `Command` suffix) that may run on bad input. */
export const READ_ONLY_COMMAND = /^(Describe|Get|List)/;

// aws-sdk-client-mock's stub type is generic over each client's own input/output unions; the
// assertion only reads command names, so any stub will do.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStub = AwsStub<any, any, any>;

/** One mock per client class the actions use; every instance of the class (however built) is intercepted. */
export interface AwsMocks {
  cloudFormation: AnyStub;
  ec2: AnyStub;
  imageBuilder: AnyStub;
  elbv2: AnyStub;
  autoScaling: AnyStub;
}

let mocks: AwsMocks | undefined;

/**
 * The mocks of this test file, created once (mockClient wraps each class's `send`, and wrapping it
 * twice fails). Call `resetAwsMocks()` in beforeEach.
 */
export function awsMocks(): AwsMocks {
  mocks ??= {
    cloudFormation: mockClient(CloudFormationClient),
    ec2: mockClient(EC2Client),
    imageBuilder: mockClient(ImagebuilderClient),
    elbv2: mockClient(ElasticLoadBalancingV2Client),
    autoScaling: mockClient(AutoScalingClient),
  };
  return mocks;
}

export function resetAwsMocks(): void {
  for (const mock of Object.values(awsMocks())) mock.reset();
}

/** Every command the mocks received, as `Service:CommandName` (without the `Command` suffix), in order per service. */
export function receivedCommands(all: AwsMocks = awsMocks()): string[] {
  return Object.entries(all).flatMap(([service, mock]) =>
    mock.calls().map((call: { args: unknown[] }) => `${service}:${(call.args[0] as object).constructor.name.replace(/Command$/, '')}`),
  );
}

/**
 * Fails when any mocked client received a command outside the read-only allowlist, naming each
 * one. Returns the read-only commands that were made (bad input may still be checked against AWS,
 * e.g. DescribeImages for an AMI that does not exist).
 */
export function expectNoMutatingCalls(all: AwsMocks = awsMocks()): string[] {
  const received = receivedCommands(all);
  const mutating = received.filter((name) => !READ_ONLY_COMMAND.test(name.split(':')[1]));
  expect({ mutatingAwsCalls: mutating }).toEqual({ mutatingAwsCalls: [] });
  return received;
}
