/**
 * The five real templates deploy into moto in the order docs/templates.md gives for AWS, and wire
 * together: the network's exports are imported by the app, the image pipeline and (through the
 * pipeline ARN and app stack name) the automation runbook and the GitHub roles. The app stack is
 * templates/app.yaml (strategy replace) with the replace example test/fixtures/replace/dev.json as
 * it is in git, and its launch template and instances carry that AMI. (The shipped dev runs
 * templates/app-slots.yaml: harness.test.ts deploys it with parameters/dev.json, app-slots.test.ts
 * checks its resources.)
 *
 * What moto cannot check here (docs/moto.md), and so this test does not claim:
 */
const NOT_CHECKABLE_IN_MOTO = [
  'AWS::ImageBuilder::* (component, recipe, infrastructure and distribution configurations, pipeline): moto skips them, so the pipeline ARN output is empty',
  'AWS::CloudWatch::Alarm (the rollback-trigger alarms): skipped by moto',
  'UpdatePolicy / CreationPolicy / cfn-signal: ignored by moto; instances never boot and UserData never runs',
  'security-group egress rules: moto reports allow-all egress whatever the template says',
  'IAM policy enforcement and the OIDC trust conditions: moto stores policies but does not evaluate them',
  'instance metadata options on the instances (moto reports IMDS optional); the launch template is checked instead',
];

import { DescribeStacksCommand, ListExportsCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { DescribeInstancesCommand, DescribeLaunchTemplateVersionsCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateOpenIDConnectProviderCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { DescribeDocumentCommand, SSMClient } from '@aws-sdk/client-ssm';

import { loadParametersFile } from '../../actions/lib/parameters';
import { REPLACE_DEV_EXAMPLE } from '../support/replace-environment';
import { deployAppFoundation, deployStack, localClients, useLocalAws, type AppFoundation } from './harness';

useLocalAws();

const REGION = 'us-east-1';
const PIPELINE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/patch-dev-app';
const REPOSITORY = 'example-org/ami-patch-gitops';

/**
 * A resource's physical id. ListStackResources rather than DescribeStackResource: moto answers the
 * latter with HTTP 500 for any resource listed after one it skipped (an Image Builder type, or a
 * resource whose condition is false).
 */
async function physicalId(stackName: string, logicalId: string): Promise<string> {
  const { StackResourceSummaries = [] } = await localClients().cloudFormation.send(new ListStackResourcesCommand({ StackName: stackName }));
  const id = StackResourceSummaries.find((r) => r.LogicalResourceId === logicalId)?.PhysicalResourceId;
  if (!id) throw new Error(`${stackName} has no ${logicalId}`);
  return id;
}

async function stackStatus(name: string): Promise<string | undefined> {
  const { Stacks } = await localClients().cloudFormation.send(new DescribeStacksCommand({ StackName: name }));
  return Stacks?.[0]?.StackStatus;
}

async function rolePolicyText(roleName: string): Promise<string> {
  const iam = new IAMClient({ region: REGION });
  const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  const documents = await Promise.all(PolicyNames.map((PolicyName) => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }))));
  return documents.map((d) => decodeURIComponent(d.PolicyDocument ?? '')).join('\n');
}

describe('the five templates, deployed in order into moto', () => {
  let foundation: AppFoundation;
  let devAmi: string;

  beforeAll(async () => {
    console.log(`Not checkable in moto (see docs/local.md):\n- ${NOT_CHECKABLE_IN_MOTO.join('\n- ')}`);
    devAmi = (await loadParametersFile(REPLACE_DEV_EXAMPLE)).parameters.AmazonMachineImage;
    // 1-2. network, then the app stack with the replace example exactly as it is in git.
    foundation = await deployAppFoundation();
  });

  it('exports the network for the other stacks, and the app imports it', async () => {
    const { Exports = [] } = await localClients().cloudFormation.send(new ListExportsCommand({}));
    const exported = new Map(Exports.map((e) => [e.Name, e.Value]));
    const network = foundation.network.name;
    const privateSubnets = exported.get(`${network}-PrivateSubnets`)?.split(',') ?? [];
    expect(exported.get(`${network}-VpcId`)).toMatch(/^vpc-/);
    expect(privateSubnets).toHaveLength(2);
    expect(exported.get(`${network}-PublicSubnets`)?.split(',')).toHaveLength(2);

    // The ASG runs in the network's private subnets: the import resolved to real subnets.
    const asgName = await physicalId(foundation.app.name, 'AppAutoScalingGroup');
    const { AutoScalingGroups = [] } = await localClients().autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }));
    expect(AutoScalingGroups[0]?.VPCZoneIdentifier?.split(',').sort()).toEqual([...privateSubnets].sort());
    const { Subnets = [] } = await localClients().ec2.send(new DescribeSubnetsCommand({ SubnetIds: privateSubnets }));
    expect(new Set(Subnets.map((s) => s.VpcId))).toEqual(new Set([exported.get(`${network}-VpcId`)]));
    expect(Subnets.every((s) => s.MapPublicIpOnLaunch === false)).toBe(true);
  });

  it('puts the AMI from the parameters file into the launch template (IMDSv2, encrypted gp3) and onto every instance', async () => {
    expect(foundation.ami).toBe(devAmi);
    const templateId = await physicalId(foundation.app.name, 'AppLaunchTemplate');
    const { LaunchTemplateVersions = [] } = await localClients().ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: ['$Latest'] }),
    );
    const data = LaunchTemplateVersions[0]?.LaunchTemplateData;
    expect(data?.ImageId).toBe(devAmi);
    expect(data?.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(data?.BlockDeviceMappings?.[0]?.Ebs).toMatchObject({ Encrypted: true, VolumeType: 'gp3' });

    const asgName = await physicalId(foundation.app.name, 'AppAutoScalingGroup');
    const { Reservations = [] } = await localClients().ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:aws:autoscaling:groupName', Values: [asgName] }] }),
    );
    const instances = Reservations.flatMap((r) => r.Instances ?? []);
    expect(instances.length).toBe(Number(foundation.parameters.DesiredCapacity));
    expect(new Set(instances.map((i) => i.ImageId))).toEqual(new Set([devAmi]));
  });

  it('lets instances in only from the load balancer', async () => {
    const lbGroupIds = new Set<string>();
    const { SecurityGroups = [] } = await localClients().ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:aws:cloudformation:stack-name', Values: [foundation.app.name] }] }),
    );
    for (const group of SecurityGroups) {
      if ((group.IpPermissions ?? []).some((p) => (p.IpRanges ?? []).length > 0)) lbGroupIds.add(group.GroupId!);
    }
    const instanceGroups = SecurityGroups.filter((g) => !lbGroupIds.has(g.GroupId!));
    expect(lbGroupIds.size).toBe(1);
    expect(instanceGroups.length).toBeGreaterThan(0);
    for (const group of instanceGroups) {
      for (const permission of group.IpPermissions ?? []) {
        expect(permission.IpRanges ?? []).toEqual([]);
        expect((permission.UserIdGroupPairs ?? []).map((p) => p.GroupId)).toEqual([...lbGroupIds]);
      }
    }
  });

  it('deploys the image pipeline into the network, with a no-ingress build security group', async () => {
    const name = 'patch-dev-image-pipeline';
    await deployStack(name, 'templates/image-pipeline.yaml', { NetworkStackName: foundation.network.name });
    expect(await stackStatus(name)).toBe('CREATE_COMPLETE');
    const groupId = await physicalId(name, 'BuildSecurityGroup');
    const { SecurityGroups = [] } = await localClients().ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    expect(SecurityGroups[0]?.IpPermissions ?? []).toEqual([]);
    const { Exports = [] } = await localClients().cloudFormation.send(new ListExportsCommand({}));
    expect(SecurityGroups[0]?.VpcId).toBe(Exports.find((e) => e.Name === `${foundation.network.name}-VpcId`)?.Value);
  });

  it('deploys the automation runbook as an SSM Automation document bound to the pipeline and the app stack', async () => {
    const name = 'patch-dev-automation';
    await deployStack(name, 'templates/automation.yaml', { ImagePipelineArn: PIPELINE_ARN, AppStackName: foundation.app.name });
    expect(await stackStatus(name)).toBe('CREATE_COMPLETE');
    const documentName = await physicalId(name, 'PatchRunbook');
    const { Document } = await new SSMClient({ region: REGION }).send(new DescribeDocumentCommand({ Name: documentName }));
    expect(Document?.DocumentType).toBe('Automation');
    const automationPolicy = await rolePolicyText(await physicalId(name, 'AutomationRole'));
    expect(automationPolicy).toContain(PIPELINE_ARN);
    expect(automationPolicy).toContain(`stack/${foundation.app.name}/`);
  });

  it('deploys the GitHub roles scoped to this repository, the pipeline and the app stack', async () => {
    const name = 'patch-dev-github-oidc';
    // moto skips AWS::IAM::OIDCProvider, so the provider is made with IAM directly and the stack
    // reuses it, as a second environment in one account does on AWS.
    await new IAMClient({ region: REGION }).send(
      new CreateOpenIDConnectProviderCommand({ Url: 'https://token.actions.githubusercontent.com', ClientIDList: ['sts.amazonaws.com'] }),
    );
    await deployStack(name, 'templates/github-oidc.yaml', {
      GitHubRepository: REPOSITORY,
      DeployEnvironment: 'dev',
      CreateOidcProvider: 'false',
      AppStackName: foundation.app.name,
      ImagePipelineArn: PIPELINE_ARN,
    });
    expect(await stackStatus(name)).toBe('CREATE_COMPLETE');

    const iam = new IAMClient({ region: REGION });
    const deployRole = await physicalId(name, 'DeployRole');
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: deployRole }));
    const trust = decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '');
    expect(trust).toContain(`repo:${REPOSITORY}:environment:dev`);
    expect(trust).toContain('oidc-provider/token.actions.githubusercontent.com');
    expect(await rolePolicyText(deployRole)).toContain(`stack/${foundation.app.name}/`);
    expect(await rolePolicyText(await physicalId(name, 'BuildAmiRole'))).toContain(PIPELINE_ARN);
  });
});
