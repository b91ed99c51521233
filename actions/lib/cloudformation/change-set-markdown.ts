import type { Change, ResourceChange } from '@aws-sdk/client-cloudformation';

import { markdownTable } from '../markdown';
import type { ParameterChange } from './change-set-parameters';

/** "Properties.ImageId ← AmazonMachineImage": which attribute changes, and what caused it. */
function describeCauses(change: ResourceChange): string {
  const causes = (change.Details ?? []).map((detail) => {
    const target = detail.Target?.Name ? `${detail.Target.Attribute ?? ''}.${detail.Target.Name}` : (detail.Target?.Attribute ?? '');
    const source = detail.CausingEntity ?? detail.ChangeSource ?? '';
    return source ? `${target} ← ${source}` : target;
  });
  return [...new Set(causes.filter(Boolean))].join('; ');
}

/**
 * The plain sentence a reviewer needs when the Auto Scaling group is replaced: with
 * AutoScalingReplacingUpdate that replacement IS the blue/green cutover.
 */
export function describeAsgReplacement(change: ResourceChange): string | undefined {
  if (change.ResourceType !== 'AWS::AutoScaling::AutoScalingGroup') return undefined;
  const id = change.LogicalResourceId ?? 'the Auto Scaling group';
  const blueGreen = 'blue/green — a new group is created, must signal healthy, then the old one is deleted';
  if (change.Replacement === 'True') return `The Auto Scaling group (${id}) will be replaced: ${blueGreen}.`;
  if (change.Replacement === 'Conditional') {
    return `The Auto Scaling group (${id}) may be replaced (CloudFormation decides during the update); if it is: ${blueGreen}.`;
  }
  return undefined;
}

/** "AmazonMachineImage ami-old → ami-new, InstanceType t3.micro → t3.small". */
export function describeParameterChanges(changes: readonly ParameterChange[]): string {
  return changes.map((c) => `${c.key} ${c.previous ?? '(not set)'} → ${c.next}`).join(', ');
}

/**
 * Renders a change set for a PR body or job summary: one row per resource (action, logical id,
 * type, replacement, scope, cause), the parameter diff, and the blue/green sentence when the
 * Auto Scaling group is replaced. The parameter line comes from our own diff, not from
 * CloudFormation: it is useful where the change list is thin (moto lists no changes at all for
 * a parameter-only update; docs/moto.md #8).
 */
export function renderChangesMarkdown(changes: readonly Change[], parameterChanges: readonly ParameterChange[]): string {
  const lines: string[] = [];
  if (parameterChanges.length > 0) lines.push(`**Parameter changes:** ${describeParameterChanges(parameterChanges)}`, '');

  const resources = changes.map((c) => c.ResourceChange).filter((rc): rc is ResourceChange => rc !== undefined);
  if (resources.length === 0 && parameterChanges.length > 0) {
    // AWS lists every resource a changed parameter feeds; an emulator (moto) lists none for a
    // parameter-only update (docs/moto.md #8). An empty list must not read as "nothing happens".
    lines.push(
      'CloudFormation listed no resource changes although parameters change, so this listing is incomplete: AWS lists every resource a changed parameter feeds ' +
        '(for the AMI, the launch template and the Auto Scaling group), and an emulator such as moto computes none for a parameter-only update. ' +
        'It does not mean nothing happens: deploying applies the parameter changes above.',
    );
  } else if (resources.length === 0) {
    lines.push('CloudFormation listed no resource changes.');
  } else {
    const rows = resources.map((rc) => [
      rc.Action ?? '',
      rc.LogicalResourceId ?? '',
      rc.ResourceType ?? '',
      rc.Action === 'Modify' ? (rc.Replacement ?? '') : '',
      (rc.Scope ?? []).join(', '),
      describeCauses(rc),
    ]);
    lines.push(markdownTable(['Action', 'Logical ID', 'Type', 'Replacement', 'Scope', 'Cause'], rows));
  }
  const sentences = resources.map(describeAsgReplacement).filter((s): s is string => s !== undefined);
  if (sentences.length > 0) lines.push('', ...sentences);
  return lines.join('\n');
}
