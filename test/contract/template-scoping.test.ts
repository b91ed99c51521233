/**
 * What checkov cannot say about the templates' IAM and logging: the CloudFormation service role
 * may delete or modify only the load balancers and target groups CloudFormation created for its
 * stack (scoped by the stack tag, like its EC2 statements), and the app template offers the ALB's
 * access logs, which record which target served each request (verification evidence).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseCfnTemplateSource } from '../../actions/lib/cfn-yaml';

const ROOT = join(__dirname, '../..');
const template = (file: string) => parseCfnTemplateSource(readFileSync(join(ROOT, file), 'utf8'), file).value as { Resources: Record<string, { Properties: Record<string, unknown> }>; Parameters: Record<string, unknown>; Conditions: Record<string, unknown> };

interface Statement {
  Sid: string;
  Action: string[] | string;
  Condition?: { StringEquals?: Record<string, unknown> };
}

describe('templates/github-oidc.yaml: the CloudFormation service role', () => {
  const role = template('templates/github-oidc.yaml').Resources.CloudFormationRole.Properties as { Policies: { PolicyDocument: { Statement: Statement[] } }[] };
  const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
  const stackScoped = (s: Statement) => s.Condition?.StringEquals?.['aws:ResourceTag/aws:cloudformation:stack-name'] !== undefined;

  it('deletes and modifies load balancers and target groups only under the stack tag, as it does EC2 resources', () => {
    const elbChanges = statements.flatMap((s) => [s.Action].flat().filter((a) => /^elasticloadbalancing:(Delete|Modify|Set|RemoveTags)/.test(a)).map((action) => ({ action, scoped: stackScoped(s) })));
    const unscoped = elbChanges.filter((c) => !c.scoped).map((c) => c.action);
    // Listeners carry no stack tag (their resource type takes no Tags): the one exception.
    expect(unscoped.sort()).toEqual(['elasticloadbalancing:DeleteListener', 'elasticloadbalancing:ModifyListener']);
    expect(elbChanges.filter((c) => c.scoped).map((c) => c.action)).toEqual(expect.arrayContaining(['elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:DeleteTargetGroup', 'elasticloadbalancing:ModifyLoadBalancerAttributes']));
  });
});

describe.each(['templates/app.yaml', 'templates/app-slots.yaml'])('%s: ALB access logs as an option', (file) => {
  const app = template(file);

  it('takes a bucket (empty = off) and turns the logs on, under the stack name, only with one', () => {
    expect(app.Parameters.AccessLogsBucket).toMatchObject({ Type: 'String', Default: '' });
    expect(app.Conditions.HasAccessLogs).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AccessLogsBucket' }, ''] }] });
    const attributes = app.Resources.AppLoadBalancer.Properties.LoadBalancerAttributes as unknown[];
    expect(attributes).toEqual(
      expect.arrayContaining([
        { Key: 'access_logs.s3.enabled', Value: { 'Fn::If': ['HasAccessLogs', 'true', 'false'] } },
        { 'Fn::If': ['HasAccessLogs', { Key: 'access_logs.s3.bucket', Value: { Ref: 'AccessLogsBucket' } }, { Ref: 'AWS::NoValue' }] },
        { 'Fn::If': ['HasAccessLogs', { Key: 'access_logs.s3.prefix', Value: { Ref: 'AWS::StackName' } }, { Ref: 'AWS::NoValue' }] },
      ]),
    );
  });
});

describe('templates/github-oidc.yaml: publishing notifications', () => {
  const oidc = template('templates/github-oidc.yaml');
  const policy = oidc.Resources.DeployRoleNotifyPolicy as unknown as { Condition: string; Properties: { Roles: unknown[]; PolicyDocument: { Statement: { Effect: string; Action: unknown; Resource: unknown; Condition?: unknown }[] } } };

  it('lets the deploy role publish to the one configured topic, and exists only when a topic is given', () => {
    expect(oidc.Parameters.NotificationTopicArn).toMatchObject({ Type: 'String', Default: '' });
    expect(oidc.Conditions.Notify).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'NotificationTopicArn' }, ''] }] });
    expect(policy.Condition).toBe('Notify');
    expect(policy.Properties.Roles).toEqual([{ Ref: 'DeployRole' }]);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([{ Sid: 'PublishToTheNotificationTopicOnly', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'NotificationTopicArn' } }]);
  });

  it('grants no other role anything of SNS', () => {
    const others = Object.entries(oidc.Resources).filter(([name]) => name !== 'DeployRoleNotifyPolicy');
    expect(others.filter(([, resource]) => JSON.stringify(resource).includes('sns:')).map(([name]) => name)).toEqual([]);
  });
});

describe('templates/github-oidc.yaml: the share for a copy into another account', () => {
  const oidc = template('templates/github-oidc.yaml');
  const share = oidc.Resources.AmiPromotionSharePolicy as unknown as { Condition: string; Properties: { PolicyDocument: { Statement: (Statement & { Effect: string; Resource: unknown; Condition?: Record<string, Record<string, unknown>> })[] } } };
  const statements = share.Properties.PolicyDocument.Statement;
  const grantsOf = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));

  it('takes the copy accounts as a list, empty by default, next to the copy roles', () => {
    expect(oidc.Parameters.PromotionCopyAccounts).toMatchObject({ Type: 'CommaDelimitedList', Default: '' });
    expect(share.Condition).toBe('ShareWithOtherAccounts');
  });

  it('adds create-volume permission for exactly the copy accounts, never a group, and takes back any', () => {
    const [add, remove, ...others] = grantsOf('ec2:ModifySnapshotAttribute');
    expect(others).toEqual([]);
    expect(add.Condition).toEqual({
      'ForAllValues:StringEquals': { 'ec2:Add/userId': { Ref: 'PromotionCopyAccounts' } },
      Null: { 'ec2:Add/userId': 'false', 'ec2:Add/group': 'true' },
    });
    // A call that adds anything does not match the take-back statement: it must name no Add key at all.
    expect(remove.Condition).toEqual({ Null: { 'ec2:Remove/userId': 'false', 'ec2:Add/userId': 'true', 'ec2:Add/group': 'true' } });
    for (const statement of [add, remove]) expect(statement.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:snapshot/*' });
  });

  it('is the only policy of the template that may change who reads a snapshot or an AMI', () => {
    const others = Object.entries(oidc.Resources).filter(([name]) => name !== 'AmiPromotionSharePolicy');
    expect(others.filter(([, resource]) => /ec2:Modify(Snapshot|Image)Attribute/.test(JSON.stringify(resource))).map(([name]) => name)).toEqual([]);
    // The AMI itself: EC2 offers no condition key for the account a launch permission names; its tag and region scope it.
    expect(grantsOf('ec2:ModifyImageAttribute').map((s) => s.Condition)).toEqual([{ Null: { 'ec2:ResourceTag/Ec2ImageBuilderArn': 'false' } }]);
  });
});

describe('the keys of a copy into another account (image-pipeline.yaml AmiKey, github-oidc.yaml AmiCopyKey and AmiCopyRole)', () => {
  const pipeline = template('templates/image-pipeline.yaml');
  const oidc = template('templates/github-oidc.yaml');
  type KeyStatement = { Sid: string; Principal: { AWS: unknown }; Action: unknown; Condition?: unknown };
  const keyStatements = (resource: { Properties: Record<string, unknown> }) => (resource.Properties.KeyPolicy as { Statement: unknown[] }).Statement;
  // The statements written under Fn::If HasCopyRoles, as they are when copy roles are given.
  const whenCopyRoles = (statements: unknown[]) => statements.map((st) => ((st as { 'Fn::If'?: unknown[] })['Fn::If'] ? ((st as { 'Fn::If': unknown[] })['Fn::If'][1] as KeyStatement) : (st as KeyStatement)));
  /** What AWS requires of another account's principal to copy an AMI with encrypted snapshots. */
  const COPY_ACTIONS = ['kms:DescribeKey', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext'];

  it('encrypts the recipe’s volume and the distributed AMI with AmiKey, not the AWS managed aws/ebs key', () => {
    const recipe = pipeline.Resources.ImageRecipe.Properties as { BlockDeviceMappings: { Ebs: Record<string, unknown> }[] };
    expect(recipe.BlockDeviceMappings.map((m) => m.Ebs)).toEqual([expect.objectContaining({ Encrypted: true, KmsKeyId: { 'Fn::GetAtt': ['AmiKey', 'Arn'] } })]);
    const distribution = pipeline.Resources.DistributionConfiguration.Properties as { Distributions: { AmiDistributionConfiguration: Record<string, unknown> }[] };
    expect(distribution.Distributions.map((d) => d.AmiDistributionConfiguration.KmsKeyId)).toEqual([{ 'Fn::GetAtt': ['AmiKey', 'Arn'] }]);
    expect(pipeline.Resources.AmiKey.Properties).toMatchObject({ EnableKeyRotation: true });
  });

  it('lets exactly the copy roles use AmiKey for a copy, and create grants only for an AWS service', () => {
    const statements = whenCopyRoles(keyStatements(pipeline.Resources.AmiKey));
    const forCopyRoles = statements.filter((st) => JSON.stringify(st.Principal) === JSON.stringify({ AWS: { Ref: 'PromotionCopyRoleArns' } }));
    expect(forCopyRoles.map((st) => [st.Action, st.Condition])).toEqual([
      [COPY_ACTIONS, undefined],
      ['kms:CreateGrant', { Bool: { 'kms:GrantIsForAWSResource': 'true' } }],
    ]);
    // Every other principal is this account's: its root (IAM decides), or its Auto Scaling service-linked role by condition.
    const others = statements.filter((st) => !forCopyRoles.includes(st));
    expect(others.map((st) => st.Principal.AWS)).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' }, '*', '*']);
    for (const st of others.filter((o) => o.Principal.AWS === '*')) {
      expect(st.Condition).toMatchObject({ StringEquals: { 'aws:PrincipalArn': { 'Fn::Sub': expect.stringContaining(':role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling') }, 'kms:CallerAccount': { Ref: 'AWS::AccountId' } } });
    }
  });

  it('lets the copy role use the source key and its own AmiCopyKey, each for a copy only, and the promotion role only describe keys', () => {
    const role = oidc.Resources.AmiCopyRole.Properties as { Policies: { PolicyDocument: { Statement: (Statement & { Resource: unknown; Condition?: unknown })[] } }[] };
    const kmsOnCopyKey = role.Policies.flatMap((p) => p.PolicyDocument.Statement).filter((st) => [st.Action].flat().some((a) => a.startsWith('kms:')));
    expect(kmsOnCopyKey.map((st) => [st.Resource, st.Condition])).toEqual([
      [{ 'Fn::GetAtt': ['AmiCopyKey', 'Arn'] }, undefined],
      [{ 'Fn::GetAtt': ['AmiCopyKey', 'Arn'] }, { Bool: { 'kms:GrantIsForAWSResource': 'true' } }],
    ]);
    const source = oidc.Resources.AmiCopySourceKeyPolicy as unknown as { Condition: string; Properties: { Roles: unknown[]; PolicyDocument: { Statement: (Statement & { Resource: unknown; Condition?: unknown })[] } } };
    expect(source.Condition).toBe('CopyWithSourceKey');
    expect(source.Properties.Roles).toEqual([{ Ref: 'AmiCopyRole' }]);
    expect(source.Properties.PolicyDocument.Statement.map((st) => [st.Action, st.Resource, st.Condition])).toEqual([
      [COPY_ACTIONS, { Ref: 'PromotionSourceKeyArn' }, undefined],
      ['kms:CreateGrant', { Ref: 'PromotionSourceKeyArn' }, { Bool: { 'kms:GrantIsForAWSResource': 'true' } }],
    ]);
    const share = oidc.Resources.AmiPromotionSharePolicy as unknown as { Properties: { PolicyDocument: { Statement: (Statement & { Resource: unknown })[] } } };
    expect(share.Properties.PolicyDocument.Statement.filter((st) => [st.Action].flat().some((a) => a.startsWith('kms:'))).map((st) => st.Action)).toEqual(['kms:DescribeKey']);
    // No other resource of the template grants anything of KMS.
    const kmsUsers = Object.entries(oidc.Resources).filter(([, r]) => JSON.stringify(r).includes('"kms:')).map(([name]) => name);
    expect(kmsUsers.sort()).toEqual(['AmiCopyKey', 'AmiCopyRole', 'AmiCopySourceKeyPolicy', 'AmiPromotionSharePolicy']);
  });
});
