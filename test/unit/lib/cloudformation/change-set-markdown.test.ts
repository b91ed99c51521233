import type { Change } from '@aws-sdk/client-cloudformation';

import { renderChangesMarkdown } from '../../../../actions/lib/cloudformation/change-set-markdown';
import { NEW_AMI, OLD_AMI } from './fixtures';

const amiChange = [{ key: 'AmazonMachineImage', previous: OLD_AMI, next: NEW_AMI }];

const awsChanges: Change[] = [
  {
    Type: 'Resource',
    ResourceChange: {
      Action: 'Modify',
      LogicalResourceId: 'AppLaunchTemplate',
      ResourceType: 'AWS::EC2::LaunchTemplate',
      Replacement: 'False',
      Scope: ['Properties'],
      Details: [{ Target: { Attribute: 'Properties', Name: 'LaunchTemplateData', RequiresRecreation: 'Never' }, ChangeSource: 'ParameterReference', CausingEntity: 'AmazonMachineImage' }],
    },
  },
  {
    Type: 'Resource',
    ResourceChange: {
      Action: 'Modify',
      LogicalResourceId: 'AppAutoScalingGroup',
      ResourceType: 'AWS::AutoScaling::AutoScalingGroup',
      Replacement: 'True',
      Scope: ['Properties', 'Tags'],
      Details: [
        { Target: { Attribute: 'Properties', Name: 'LaunchTemplate', RequiresRecreation: 'Conditionally' }, ChangeSource: 'ResourceAttribute', CausingEntity: 'AppLaunchTemplate.LatestVersionNumber' },
        { Target: { Attribute: 'Tags', RequiresRecreation: 'Never' }, ChangeSource: 'ParameterReference', CausingEntity: 'AmazonMachineImage' },
      ],
    },
  },
];

describe('renderChangesMarkdown', () => {
  it('renders the AWS change set as a table with the parameter diff and the blue/green sentence', () => {
    expect(renderChangesMarkdown(awsChanges, amiChange)).toBe(
      [
        `Deploying this moves AmazonMachineImage from \`${OLD_AMI}\` to \`${NEW_AMI}\`. 2 resources change; nothing is removed, and the only replacement is the Auto Scaling group's blue/green cutover.`,
        '',
        `**Parameter changes:** AmazonMachineImage \`${OLD_AMI}\` → \`${NEW_AMI}\``,
        '',
        '| Action | Logical ID | Type | Replacement | Scope | Cause |',
        '|---|---|---|---|---|---|',
        '| Modify | AppLaunchTemplate | AWS::EC2::LaunchTemplate | False | Properties | Properties.LaunchTemplateData ← AmazonMachineImage |',
        '| Modify | AppAutoScalingGroup | AWS::AutoScaling::AutoScalingGroup | True | Properties, Tags | Properties.LaunchTemplate ← AppLaunchTemplate.LatestVersionNumber; Tags ← AmazonMachineImage |',
        '',
        'The Auto Scaling group (AppAutoScalingGroup) will be replaced: blue/green — a new group is created, must signal healthy, then the old one is deleted.',
      ].join('\n'),
    );
  });

  it('drops the Cause column when no row has a cause (a change set without details), and keeps it when one has', () => {
    const withoutDetails: Change[] = awsChanges.map((c) => ({ ResourceChange: { ...c.ResourceChange, Details: [] } }));
    const table = renderChangesMarkdown(withoutDetails, amiChange).split('\n').filter((line) => line.startsWith('|'));
    expect(table.slice(0, 3)).toEqual(['| Action | Logical ID | Type | Replacement | Scope |', '|---|---|---|---|---|', '| Modify | AppLaunchTemplate | AWS::EC2::LaunchTemplate | False | Properties |']);
    const oneCause: Change[] = [withoutDetails[0], awsChanges[1]];
    expect(renderChangesMarkdown(oneCause, amiChange)).toContain('| Modify | AppLaunchTemplate | AWS::EC2::LaunchTemplate | False | Properties |  |');
  });

  it('says the group may be replaced when CloudFormation reports Conditional', () => {
    const conditional: Change[] = [{ ResourceChange: { ...awsChanges[1].ResourceChange, Replacement: 'Conditional' } }];
    expect(renderChangesMarkdown(conditional, [])).toContain('The Auto Scaling group (AppAutoScalingGroup) may be replaced');
  });

  it('renders the parameter diff even when the change list is empty (moto, parameter-only change)', () => {
    expect(renderChangesMarkdown([], amiChange)).toBe(
      `Deploying this moves AmazonMachineImage from \`${OLD_AMI}\` to \`${NEW_AMI}\`. The resource listing is incomplete (below), so it cannot say what is replaced.\n\n` +
        `**Parameter changes:** AmazonMachineImage \`${OLD_AMI}\` → \`${NEW_AMI}\`\n\nCloudFormation listed no resource changes although parameters change, so this listing is incomplete: ` +
        'AWS lists every resource a changed parameter feeds (for the AMI, the launch template and the Auto Scaling group), and an emulator such as moto computes none for a parameter-only update. ' +
        'It does not mean nothing happens: deploying applies the parameter changes above.',
    );
    expect(renderChangesMarkdown([], [])).toBe('Deploying this changes no parameter and CloudFormation listed no resource changes: nothing happens.');
  });

  it('leads with a warning when the change set removes or replaces more than the Auto Scaling group', () => {
    const risky: Change[] = [
      ...awsChanges,
      { ResourceChange: { Action: 'Remove', LogicalResourceId: 'AppAlarm', ResourceType: 'AWS::CloudWatch::Alarm' } },
      { ResourceChange: { Action: 'Modify', LogicalResourceId: 'AppSecurityGroup', ResourceType: 'AWS::EC2::SecurityGroup', Replacement: 'Conditional' } },
    ];
    expect(renderChangesMarkdown(risky, [...amiChange, { key: 'InstanceType', previous: 't3.micro', next: 't3.small' }]).split('\n')[0]).toBe(
      `Deploying this moves AmazonMachineImage from \`${OLD_AMI}\` to \`${NEW_AMI}\` and changes 1 other parameter. ⚠️ Check before merging: 4 resources change, and it removes AppAlarm and replaces AppSecurityGroup (maybe), beyond the Auto Scaling group's blue/green cutover.`,
    );
  });

  it('escapes cell content that would break the table', () => {
    const odd: Change[] = [{ ResourceChange: { Action: 'Add', LogicalResourceId: 'A|B', ResourceType: '<script>' } }];
    const markdown = renderChangesMarkdown(odd, []);
    expect(markdown).toContain('A\\|B');
    expect(markdown).toContain('&lt;script&gt;');
    expect(markdown).not.toContain('will be replaced');
  });
});
