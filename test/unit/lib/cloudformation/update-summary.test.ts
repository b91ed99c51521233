import { createUpdateReport, type UpdateReport } from '../../../../actions/lib/cloudformation/update-app-stack';
import { renderEventGantt, renderUpdateSummary, updateAppStackOutputs } from '../../../../actions/lib/cloudformation/update-summary';
import { NEW_AMI, OLD_AMI, STACK } from './fixtures';
import { leadOf } from '../../../support/summary-lead';

function report(overrides: Partial<UpdateReport>): UpdateReport {
  const base = createUpdateReport(
    { stackName: STACK, region: 'us-east-1', parametersFile: 'parameters/dev.json', templateFile: 'templates/app.yaml', mode: 'deploy', timeoutMinutes: 60, rollbackMonitoringMinutes: 5, run: {} },
    Date.UTC(2026, 0, 1, 10, 0, 0),
  );
  return { ...base, finishedAt: base.startedAt + 312_000, ...overrides };
}

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 10, 0, s));
const events = [
  { id: '1', timestamp: at(0), logicalId: STACK, resourceType: 'AWS::CloudFormation::Stack', status: 'UPDATE_IN_PROGRESS', reason: 'User Initiated', isStack: true },
  { id: '2', timestamp: at(5), logicalId: 'AppAutoScalingGroup', resourceType: 'AWS::AutoScaling::AutoScalingGroup', status: 'UPDATE_IN_PROGRESS', isStack: false },
  { id: '3', timestamp: at(200), logicalId: 'AppAutoScalingGroup', resourceType: 'AWS::AutoScaling::AutoScalingGroup', status: 'UPDATE_FAILED', reason: 'Received 0 SUCCESS signal(s) | timeout', isStack: false },
  { id: '4', timestamp: at(300), logicalId: STACK, resourceType: 'AWS::CloudFormation::Stack', status: 'UPDATE_ROLLBACK_COMPLETE', isStack: true },
];

describe('updateAppStackOutputs', () => {
  it('sets every output, including on no change', () => {
    expect(updateAppStackOutputs(report({ outcome: 'no-changes', changed: false, stackStatus: 'UPDATE_COMPLETE', previousAmiId: OLD_AMI, amiId: OLD_AMI, changesMarkdown: 'No changes' }))).toEqual({
      changed: 'false',
      'change-set-id': '',
      'stack-status': 'UPDATE_COMPLETE',
      'previous-ami-id': OLD_AMI,
      'ami-id': OLD_AMI,
      'changes-markdown': 'No changes',
      'failed-step': '',
      'flipped-back-to': '',
      'stage-evidence': '',
      'stage-failed': '',
    });
  });

  it('names where a slots deploy failed and the slot users are back on', () => {
    expect(updateAppStackOutputs(report({ outcome: 'failed', flippedBack: { failedStep: 'canary', liveSlot: 'blue' } }))).toMatchObject({ 'failed-step': 'canary', 'flipped-back-to': 'blue' });
  });

  it('staging ahead: the stage-only deploy’s proof, or where its prove failed, as JSON for the next steps', () => {
    const failed = { slot: 'green', previousAmiId: OLD_AMI, amiId: 'ami-0bbbbbbbbbbbbbbb2', restored: true };
    expect(JSON.parse(updateAppStackOutputs(report({ outcome: 'failed', stageFailed: failed }))['stage-failed']!)).toEqual(failed);
  });
});

describe('renderUpdateSummary', () => {
  it('has a heading with the AMI move, a key/value table and the changes', () => {
    const markdown = renderUpdateSummary(
      report({ outcome: 'updated', changed: true, stackStatus: 'UPDATE_COMPLETE', previousAmiId: OLD_AMI, amiId: NEW_AMI, changeSetName: 'patch-1-1-x', changesMarkdown: '**Parameter changes:** x', keptFromStack: ['DesiredCapacity'], rollbackAlarms: ['a', 'b'] }),
    );
    expect(markdown.split('\n')[0]).toBe(`## update-app-stack: ${STACK} updated`);
    expect(markdown).toContain('| Stack status | UPDATE_COMPLETE |');
    expect(markdown.split('\n\n')[1]).toBe(`\`${STACK}\` updated from \`${OLD_AMI}\` to \`${NEW_AMI}\`; the stack is UPDATE_COMPLETE.`);
    expect(markdown).toContain(`| AMI before | \`${OLD_AMI}\` |`);
    expect(markdown).toContain(`| AMI now | \`${NEW_AMI}\` |`);
    // Internals below the fold.
    expect(markdown.indexOf('<details><summary>Run details</summary>')).toBeLessThan(markdown.indexOf('| Kept from the stack |'));
    expect(markdown).toContain('| Kept from the stack | DesiredCapacity |');
    expect(markdown).toContain('| Rollback alarms | 2 |');
    expect(markdown).toContain('| Duration | 5 min 12 s |');
    expect(markdown).toContain('### Changes\n\n**Parameter changes:** x');
    expect(markdown).not.toContain('### What went wrong');
  });

  it('previews with both AMIs: heading, lead, what runs now and what would deploy (the stack still runs the old one)', () => {
    const markdown = renderUpdateSummary(
      report({
        mode: 'preview',
        outcome: 'previewed',
        changed: true,
        stackStatus: 'UPDATE_COMPLETE',
        previousAmiId: OLD_AMI,
        amiId: OLD_AMI,
        parameterChanges: [{ key: 'AmazonMachineImage', previous: OLD_AMI, next: NEW_AMI }],
      }),
    );
    expect(markdown.split('\n')[0]).toBe(`## update-app-stack: ${STACK} preview`);
    expect(markdown.split('\n\n')[1]).toBe(`Deploying would move \`${STACK}\` from \`${OLD_AMI}\` to \`${NEW_AMI}\`; nothing was changed (preview).`);
    expect(markdown).toContain(`| Runs now | \`${OLD_AMI}\` |`);
    expect(markdown).toContain(`| Would deploy | \`${NEW_AMI}\` |`);
    expect(markdown).not.toContain('| AMI now |');
  });

  it("previews a slots file by the AMI its live slot names: the AMI parameter there is the new slot's, not AmazonMachineImage", () => {
    const markdown = renderUpdateSummary(
      report({
        mode: 'preview',
        outcome: 'previewed',
        changed: true,
        previousAmiId: OLD_AMI,
        amiId: OLD_AMI,
        requestedAmiId: NEW_AMI,
        parameterChanges: [
          { key: 'LiveSlot', previous: 'blue', next: 'green' },
          { key: 'GreenAmazonMachineImage', previous: OLD_AMI, next: NEW_AMI },
        ],
      }),
    );
    expect(markdown.split('\n\n')[1]).toBe(`Deploying would move \`${STACK}\` from \`${OLD_AMI}\` to \`${NEW_AMI}\`; nothing was changed (preview).`);
    expect(markdown).toContain(`| Would deploy | \`${NEW_AMI}\` |`);
  });

  it('shows the failure, a gantt of the resources and the event table on a rollback', () => {
    const markdown = renderUpdateSummary(report({ outcome: 'failed', stackStatus: 'UPDATE_ROLLBACK_COMPLETE', events }), 'Update of stack patch-dev-app failed: …');
    expect(markdown).toContain(`## update-app-stack: ${STACK} FAILED`);
    expect(markdown).toContain('### What went wrong\n\nUpdate of stack patch-dev-app failed: …');
    expect(markdown).toContain('```mermaid\ngantt');
    expect(markdown).toContain('    AppAutoScalingGroup UPDATE_FAILED :crit, t1, ');
    expect(markdown).toContain('| 10:03:20 | AppAutoScalingGroup | AWS::AutoScaling::AutoScalingGroup | UPDATE_FAILED | Received 0 SUCCESS signal(s) \\| timeout |');
  });

  it('leads a rolled-back update with the stack status, the AMI it runs and the first sentence of the failure', () => {
    const markdown = renderUpdateSummary(
      report({ outcome: 'failed', progress: 'executing', stackStatus: 'UPDATE_ROLLBACK_COMPLETE', previousAmiId: OLD_AMI, amiId: OLD_AMI, parameterChanges: [{ key: 'AmazonMachineImage', previous: OLD_AMI, next: NEW_AMI }], events }),
      'Update of stack patch-dev-app failed: AppAutoScalingGroup timed out. More detail.',
    );
    expect(leadOf(markdown).lead).toBe(`The update of \`${STACK}\` to \`${NEW_AMI}\` failed; the stack is UPDATE_ROLLBACK_COMPLETE and runs \`${OLD_AMI}\`. Update of stack patch-dev-app failed: AppAutoScalingGroup timed out.`);
  });

  it('leads a replace update cancelled inside its window with blue serving again, and shows the failure with its AMI IDs as code spans', () => {
    const failure = `Update of stack ${STACK} cancelled: green (${NEW_AMI}) failed verification inside the rollback-trigger window, while blue (${OLD_AMI}) still served: 3 of 3 samples failed. More.`;
    const markdown = renderUpdateSummary(
      report({
        outcome: 'failed',
        progress: 'executing',
        stackStatus: 'UPDATE_ROLLBACK_COMPLETE',
        previousAmiId: OLD_AMI,
        amiId: OLD_AMI,
        flippedBack: { failedStep: 'window', liveSlot: 'blue' },
        parameterChanges: [{ key: 'AmazonMachineImage', previous: OLD_AMI, next: NEW_AMI }],
      }),
      failure,
    );
    expect(leadOf(markdown)).toEqual({
      heading: `update-app-stack: ${STACK} FAILED`,
      lead: `Green (\`${NEW_AMI}\`) failed verification inside the rollback-trigger window, so the update of \`${STACK}\` was cancelled: CloudFormation rolled it back to blue, which runs \`${OLD_AMI}\` (UPDATE_ROLLBACK_COMPLETE). No second replacement was needed.`,
    });
    expect(markdown).toContain(`### What went wrong\n\nUpdate of stack ${STACK} cancelled: green (\`${NEW_AMI}\`) failed verification inside the rollback-trigger window, while blue (\`${OLD_AMI}\`) still served`);
  });

  it('leads a refusal before any change with "not touched", never with an unknown state', () => {
    const refused = 'Parameters file invalid for parameters/dev.json: line 5: InstanceType = "t3.mirco" is not one of the AllowedValues. Did you mean "t3.micro"?';
    const markdown = renderUpdateSummary(report({}), refused);
    expect(leadOf(markdown)).toEqual({
      heading: `update-app-stack: ${STACK} FAILED`,
      lead: `Update of \`${STACK}\` stopped before any change: the stack was not touched. Parameters file invalid for parameters/dev.json: line 5: InstanceType = "t3.mirco" is not one of the AllowedValues.`,
    });
    const executed = renderUpdateSummary(report({ progress: 'change-set', previousAmiId: OLD_AMI }), `${'x'.repeat(300)}.`);
    expect(leadOf(executed).lead).toBe(`Update of \`${STACK}\` stopped before any change: the stack was not touched and still runs \`${OLD_AMI}\`. ${'x'.repeat(199)}… (all of it below).`);
    const preview = renderUpdateSummary(report({ mode: 'preview', progress: 'change-set' }), 'No.');
    expect(leadOf(preview).lead).toBe(`Preview of \`${STACK}\` stopped before any change: the stack was not touched. No.`);
  });

  it('reports failure even without an outcome (a bug thrown before one was set)', () => {
    expect(renderUpdateSummary(report({}), 'Unexpected')).toContain('FAILED');
  });
});

describe('renderEventGantt', () => {
  it('draws one bar per resource from its first to its last event', () => {
    expect(renderEventGantt(events)).toBe(
      [
        '```mermaid',
        'gantt',
        '    dateFormat x',
        '    axisFormat %H:%M:%S',
        '    tickInterval 30second',
        '    section Resources',
        `    ${STACK} UPDATE_ROLLBACK_COMPLETE :t0, 1767261600000, 1767261900000`,
        '    AppAutoScalingGroup UPDATE_FAILED :crit, t1, 1767261605000, 1767261800000',
        '```',
      ].join('\n'),
    );
  });

  it('needs at least two events', () => {
    expect(renderEventGantt(events.slice(0, 1))).toBeUndefined();
  });
});
