import type { Change, ResourceChange } from '@aws-sdk/client-cloudformation';

import { codeSpan, markdownTable } from '../markdown';
import { isAmiId } from '../parameters';
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

/** "AmazonMachineImage `ami-old` → `ami-new`, InstanceType t3.micro → t3.small": IDs and ARNs in code spans. */
export function describeParameterChanges(changes: readonly ParameterChange[]): string {
  return changes.map((c) => `${c.key} ${showValue(c.previous) ?? '(not set)'} → ${showValue(c.next)}`).join(', ');
}

/** An AMI ID or an ARN as a code span (read and copied whole); any other value as it is. */
function showValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return isAmiId(value) || value.startsWith('arn:') ? codeSpan(value) : value;
}

/** One AMI parameter's move, as the verdict names it. */
export interface AmiMove {
  key: string;
  /** Undefined when the parameter was not set before. */
  from?: string;
  to: string;
}

/**
 * The AMI moves a rendered change set's verdict names ("moves AmazonMachineImage from `ami-a` to
 * `ami-b`"): the preview comment keeps only each environment's Markdown, and its lead names them.
 */
export function amiMovesIn(markdown: string): AmiMove[] {
  const verdict = markdown.split('\n').find((line) => line.startsWith('Deploying this moves ')) ?? '';
  return [...verdict.matchAll(/(\w+) from (?:`(ami-[0-9a-f]+)`|\(not set\)) to `(ami-[0-9a-f]+)`/g)].map((m) => ({ key: m[1], from: m[2], to: m[3] }));
}

/** How the verdict starts its warning, and says its listing is incomplete: the preview comment's lead counts on them. */
export const CHECK_BEFORE_MERGING = '⚠️ Check before merging';
export const LISTING_INCOMPLETE = 'The resource listing is incomplete';

/** Replacing the Auto Scaling group is the blue/green cutover itself; any other replacement or removal is news. */
const EXPECTED_REPLACEMENT = 'AWS::AutoScaling::AutoScalingGroup';

/**
 * The answer a reviewer needs first: which AMI the deploy moves from and to, and whether it is
 * safe: what it removes or replaces beyond the blue/green cutover (or that the listing cannot say).
 */
export function describeChangeSetVerdict(resources: readonly ResourceChange[], parameterChanges: readonly ParameterChange[]): string {
  const amis = parameterChanges.filter((c) => isAmiId(c.next));
  const others = parameterChanges.length - amis.length;
  const otherText = others > 0 ? `${amis.length ? ' and' : ''} changes ${others} ${amis.length ? 'other ' : ''}parameter${others === 1 ? '' : 's'}` : '';
  const moves = amis.map((c) => `${c.key} from ${showValue(c.previous) ?? '(not set)'} to ${showValue(c.next)}`).join(' and ');
  const what = amis.length || others ? `Deploying this ${amis.length ? `moves ${moves}` : ''}${otherText}` : 'Deploying this changes no parameter';
  if (resources.length === 0) {
    return parameterChanges.length
      ? `${what}. ${LISTING_INCOMPLETE} (below), so it cannot say what is replaced.`
      : `${what} and CloudFormation listed no resource changes: nothing happens.`;
  }
  const removed = resources.filter((rc) => rc.Action === 'Remove').map((rc) => rc.LogicalResourceId ?? '?');
  const replaced = resources
    .filter((rc) => rc.Action === 'Modify' && (rc.Replacement === 'True' || rc.Replacement === 'Conditional') && rc.ResourceType !== EXPECTED_REPLACEMENT)
    .map((rc) => `${rc.LogicalResourceId ?? '?'}${rc.Replacement === 'Conditional' ? ' (maybe)' : ''}`);
  const count = `${resources.length} resource${resources.length === 1 ? '' : 's'} change${resources.length === 1 ? 's' : ''}`;
  if (removed.length || replaced.length) {
    const risks = [removed.length ? `removes ${removed.join(', ')}` : '', replaced.length ? `replaces ${replaced.join(', ')}` : ''].filter(Boolean).join(' and ');
    return `${what}. ${CHECK_BEFORE_MERGING}: ${count}, and it ${risks}, beyond the Auto Scaling group's blue/green cutover.`;
  }
  const asg = resources.some((rc) => rc.ResourceType === EXPECTED_REPLACEMENT && (rc.Replacement === 'True' || rc.Replacement === 'Conditional'));
  return `${what}. ${count}; nothing is removed${asg ? ', and the only replacement is the Auto Scaling group\'s blue/green cutover' : ' or replaced'}.`;
}

/**
 * Renders a change set for a PR body or job summary: the verdict first (the AMI move, and what
 * is removed or replaced), then the parameter diff, one row per resource (action, logical id,
 * type, replacement, scope, and the cause when any row has one), and the blue/green sentence when the Auto Scaling group is
 * replaced. The parameter line comes from our own diff, not from CloudFormation: it is useful
 * where the change list is thin (moto lists no changes at all for a parameter-only update;
 * docs/moto.md #8).
 */
export function renderChangesMarkdown(changes: readonly Change[], parameterChanges: readonly ParameterChange[]): string {
  const resources = changes.map((c) => c.ResourceChange).filter((rc): rc is ResourceChange => rc !== undefined);
  const lines: string[] = [describeChangeSetVerdict(resources, parameterChanges), ''];
  if (parameterChanges.length > 0) lines.push(`**Parameter changes:** ${describeParameterChanges(parameterChanges)}`, '');

  if (resources.length === 0 && parameterChanges.length > 0) {
    // AWS lists every resource a changed parameter feeds; an emulator (moto) lists none for a
    // parameter-only update (docs/moto.md #8). An empty list must not read as "nothing happens".
    lines.push(
      'CloudFormation listed no resource changes although parameters change, so this listing is incomplete: AWS lists every resource a changed parameter feeds ' +
        '(for the AMI, the launch template and the Auto Scaling group), and an emulator such as moto computes none for a parameter-only update. ' +
        'It does not mean nothing happens: deploying applies the parameter changes above.',
    );
  } else if (resources.length > 0) {
    const rows = resources.map((rc) => [rc.Action ?? '', rc.LogicalResourceId ?? '', rc.ResourceType ?? '', rc.Action === 'Modify' ? (rc.Replacement ?? '') : '', (rc.Scope ?? []).join(', ')]);
    const causes = resources.map(describeCauses);
    // A change set created without details (moto's, or AWS's for an added resource) has no cause on any row: no empty column then.
    if (causes.some(Boolean)) lines.push(markdownTable(['Action', 'Logical ID', 'Type', 'Replacement', 'Scope', 'Cause'], rows.map((row, i) => [...row, causes[i]])));
    else lines.push(markdownTable(['Action', 'Logical ID', 'Type', 'Replacement', 'Scope'], rows));
    const sentences = resources.map(describeAsgReplacement).filter((s): s is string => s !== undefined);
    if (sentences.length > 0) lines.push('', ...sentences);
  }
  return lines.join('\n').trim();
}
