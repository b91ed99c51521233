/**
 * A scripted account for bootstrap's unit tests: aws-sdk-client-mock handlers over a small state
 * (stacks with status, parameters, outputs and events; the OIDC provider; secrets), so plan and
 * apply run against CloudFormation's real answers for states moto never produces (a failed
 * creation left in ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED, a stack still busy, per-resource
 * failure events).
 */
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type Parameter,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { EC2Client, DescribeImagesCommand, type Image } from '@aws-sdk/client-ec2';
import { CreateOpenIDConnectProviderCommand, GetOpenIDConnectProviderCommand, IAMClient, ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';
import { GetImagePipelineCommand, ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { CreateSecretCommand, DescribeSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';

import { VirtualClock } from '../../../actions/lib/clock';
import { RecordingLogger } from '../../../actions/lib/logger';
import { awsClockOn } from '../support/aws-time';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';

export interface FakeStack {
  name: string;
  status: string;
  parameters: Record<string, string>;
  outputs: Record<string, string>;
  roleArn?: string;
  events: StackEvent[];
  /** Statuses DescribeStacks reports on the next calls (then `status` stays). */
  upcoming: string[];
}

/** What a created stack's outputs are, by stack name (CloudFormation computes them; here they are given). */
export type OutputsFor = (name: string, parameters: Record<string, string>) => Record<string, string>;

export function defaultOutputs(name: string): Record<string, string> {
  if (name.endsWith('-image-pipeline')) return { ImagePipelineArn: `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image-pipeline/${name}`, ImagePipelineName: name, ImageRecipeName: `${name}-web`, LogBucketName: `${name}-logs` };
  if (name.endsWith('-github-oidc')) {
    const role = (r: string) => `arn:aws:iam::${ACCOUNT}:role/${name}-${r}`;
    return { BuildAmiRoleArn: role('BuildAmiRole'), PreviewRoleArn: role('PreviewRole'), DeployRoleArn: role('DeployRole'), CloudFormationRoleArn: role('CloudFormationRole') };
  }
  return {};
}

export class FakeAccount {
  readonly stacks = new Map<string, FakeStack>();
  readonly changeSets = new Map<string, { stackName: string; parameters: Record<string, string> }>();
  oidcProvider?: string;
  /** Who owns every AMI the fake is asked about; undefined: no AMI exists. */
  imageOwner?: string;
  /** AMIs answered as given instead. */
  readonly images = new Map<string, Image>();
  /** CreateStack of this stack name fails: the stack ends ROLLBACK_COMPLETE with this resource's failure. */
  failCreate?: { stackName: string; logicalId: string; reason: string };
  readonly cfn = mockClient(CloudFormationClient);
  readonly iam = mockClient(IAMClient);
  readonly sts = mockClient(STSClient);
  readonly imageBuilder = mockClient(ImagebuilderClient);
  readonly secrets = mockClient(SecretsManagerClient);
  readonly ec2 = mockClient(EC2Client);
  private eventSeq = 0;

  constructor(private readonly outputsFor: OutputsFor = defaultOutputs) {
    this.reset();
  }

  reset(): void {
    for (const mock of [this.cfn, this.iam, this.sts, this.imageBuilder, this.secrets, this.ec2]) mock.reset();
    this.stacks.clear();
    this.changeSets.clear();
    this.oidcProvider = undefined;
    this.failCreate = undefined;
    this.imageOwner = undefined;
    this.images.clear();
    this.install();
  }

  /** A stack as if an earlier run (or a person) had deployed it. */
  givenStack(name: string, status: string, parameters: Record<string, string> = {}, extra: Partial<FakeStack> = {}): FakeStack {
    const stack: FakeStack = { name, status, parameters, outputs: this.outputsFor(name, parameters), events: [], upcoming: [], ...extra };
    this.stacks.set(name, stack);
    return stack;
  }

  private event(stack: FakeStack, logicalId: string, status: string, reason?: string, type = 'AWS::CloudFormation::Stack'): void {
    this.eventSeq += 1;
    stack.events.unshift({
      EventId: `e${this.eventSeq}`,
      StackName: stack.name,
      StackId: stack.name,
      LogicalResourceId: logicalId,
      ResourceType: logicalId === stack.name ? 'AWS::CloudFormation::Stack' : type,
      ResourceStatus: status as StackEvent["ResourceStatus"],
      ResourceStatusReason: reason,
      Timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, this.eventSeq)),
    });
  }

  private install(): void {
    const notFound = (name: string) => Object.assign(new Error(`Stack with id ${name} does not exist`), { name: 'ValidationError' });
    const params = (list: Parameter[] | undefined) => Object.fromEntries((list ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
    this.sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/admin` });
    this.iam.on(ListOpenIDConnectProvidersCommand).callsFake(() => ({ OpenIDConnectProviderList: this.oidcProvider ? [{ Arn: this.oidcProvider }] : [] }));
    this.iam.on(GetOpenIDConnectProviderCommand).resolves({ ClientIDList: ['sts.amazonaws.com'], ThumbprintList: [] });
    this.iam.on(CreateOpenIDConnectProviderCommand).callsFake(() => {
      this.oidcProvider = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
      return { OpenIDConnectProviderArn: this.oidcProvider };
    });
    this.imageBuilder.on(GetImagePipelineCommand).rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
    this.secrets.on(DescribeSecretCommand).rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
    this.secrets.on(CreateSecretCommand).resolves({ ARN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:x-AbCdEf`, VersionId: '0123456789abcdef0123456789abcdef' });
    this.secrets.on(PutSecretValueCommand).resolves({ VersionId: 'fedcba9876543210fedcba9876543210' });
    // The AMIs in `images` as given; with an imageOwner, every other AMI exists, available, owned by it; else none does.
    this.ec2.on(DescribeImagesCommand).callsFake(async ({ ImageIds = [] }: { ImageIds?: string[] }) => ({
      Images: ImageIds.flatMap((id): Image[] => { const given = this.images.get(id); if (given) return [given]; return this.imageOwner ? [{ ImageId: id, OwnerId: this.imageOwner, State: 'available' }] : []; }),
    }));

    this.cfn.on(DescribeStacksCommand).callsFake(({ StackName }: { StackName: string }) => {
      const stack = this.stacks.get(StackName);
      if (!stack) throw notFound(StackName);
      if (stack.upcoming.length > 0) stack.status = stack.upcoming.shift() ?? stack.status;
      return {
        Stacks: [
          {
            StackName: stack.name,
            StackId: stack.name,
            StackStatus: stack.status,
            CreationTime: new Date(0),
            RoleARN: stack.roleArn,
            Parameters: Object.entries(stack.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
            Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
          },
        ],
      };
    });
    this.cfn.on(DescribeStackEventsCommand).callsFake(({ StackName }: { StackName: string }) => ({ StackEvents: this.stacks.get(StackName)?.events ?? [] }));
    this.cfn.on(DescribeStackResourcesCommand).resolves({ StackResources: [] });
    this.cfn.on(CreateStackCommand).callsFake((input: { StackName: string; Parameters?: Parameter[]; RoleARN?: string }) => {
      if (this.stacks.has(input.StackName)) throw Object.assign(new Error(`Stack [${input.StackName}] already exists`), { name: 'AlreadyExistsException' });
      const stack = this.givenStack(input.StackName, 'CREATE_IN_PROGRESS', params(input.Parameters), { roleArn: input.RoleARN });
      this.event(stack, stack.name, 'CREATE_IN_PROGRESS', 'User Initiated');
      if (this.failCreate?.stackName === input.StackName) {
        this.event(stack, this.failCreate.logicalId, 'CREATE_FAILED', this.failCreate.reason, 'AWS::AutoScaling::AutoScalingGroup');
        this.event(stack, stack.name, 'ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to create: [AppAutoScalingGroup].');
        this.event(stack, stack.name, 'ROLLBACK_COMPLETE');
        stack.upcoming = ['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE'];
        stack.outputs = {};
      } else {
        this.event(stack, stack.name, 'CREATE_COMPLETE');
        stack.upcoming = ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'];
      }
      return { StackId: stack.name };
    });
    this.cfn.on(DeleteStackCommand).callsFake(({ StackName }: { StackName: string }) => {
      const stack = this.stacks.get(StackName);
      if (stack) {
        this.event(stack, stack.name, 'DELETE_COMPLETE');
        this.stacks.delete(StackName);
      }
      return {};
    });
    this.cfn.on(CreateChangeSetCommand).callsFake((input: { StackName: string; ChangeSetName: string; Parameters?: Parameter[] }) => {
      const stack = this.stacks.get(input.StackName);
      if (!stack) throw notFound(input.StackName);
      const wanted = params(input.Parameters);
      const same = Object.keys({ ...wanted, ...stack.parameters }).every((k) => wanted[k] === stack.parameters[k]);
      if (same) throw Object.assign(new Error('No updates are to be performed.'), { name: 'ValidationError' });
      const id = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:changeSet/${input.ChangeSetName}/1`;
      this.changeSets.set(id, { stackName: input.StackName, parameters: wanted });
      return { Id: id };
    });
    this.cfn.on(DescribeChangeSetCommand).callsFake(({ ChangeSetName }: { ChangeSetName: string }) => {
      const changed = this.changeSets.get(ChangeSetName);
      const stack = changed && this.stacks.get(changed.stackName);
      const keys = changed && stack ? Object.keys(changed.parameters).filter((k) => changed.parameters[k] !== stack.parameters[k]) : [];
      return {
        Status: 'CREATE_COMPLETE',
        ExecutionStatus: 'AVAILABLE',
        Changes: [{ Type: 'Resource', ResourceChange: { Action: 'Modify', LogicalResourceId: `Parameters:${keys.join(',')}`, ResourceType: 'AWS::IAM::Role', Replacement: 'False' } }],
      };
    });
    this.cfn.on(DeleteChangeSetCommand).callsFake(({ ChangeSetName }: { ChangeSetName: string }) => {
      this.changeSets.delete(ChangeSetName);
      return {};
    });
    this.cfn.on(ExecuteChangeSetCommand).callsFake(({ ChangeSetName }: { ChangeSetName: string }) => {
      const changed = this.changeSets.get(ChangeSetName);
      const stack = changed && this.stacks.get(changed.stackName);
      if (!changed || !stack) throw Object.assign(new Error('ChangeSet does not exist'), { name: 'ChangeSetNotFoundException' });
      stack.parameters = changed.parameters;
      stack.status = 'UPDATE_COMPLETE';
      this.event(stack, stack.name, 'UPDATE_COMPLETE');
      this.changeSets.delete(ChangeSetName);
      return {};
    });
  }

  clients() {
    return {
      cloudFormation: new CloudFormationClient({ region: REGION }),
      iam: new IAMClient({ region: REGION }),
      sts: new STSClient({ region: REGION }),
      imageBuilder: new ImagebuilderClient({ region: REGION }),
      secretsManager: new SecretsManagerClient({ region: REGION }),
      ec2: new EC2Client({ region: REGION }),
    };
  }

  deps() {
    const clock = new VirtualClock();
    return { clients: { ...this.clients(), awsClock: awsClockOn(clock) }, logger: new RecordingLogger(), clock };
  }

  /** Names of the stacks CreateStack was called for, in order. */
  created(): string[] {
    return this.cfn.commandCalls(CreateStackCommand).map((c) => c.args[0].input.StackName ?? '');
  }
}
