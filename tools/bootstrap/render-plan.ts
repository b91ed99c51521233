/** The plan as the user reads it before saying yes: one line per step, then each change set's changes. */
import type { Change } from '@aws-sdk/client-cloudformation';

import { GITHUB_OIDC_HOST } from './account';
import type { BootstrapPlan, StackAction } from './plan';

export function renderPlan(plan: BootstrapPlan): string[] {
  const { request, account } = plan;
  const lines = [
    `Bootstrap plan for ${request.environment.name}: account ${account.account} (${account.callerArn}), ${plan.region}, repository ${request.repository}`,
    plan.oidcProvider.create
      ? `  + create    GitHub OIDC provider ${GITHUB_OIDC_HOST} (account-wide, audience sts.amazonaws.com; none exists yet)`
      : `  = reuse     GitHub OIDC provider ${plan.oidcProvider.existing?.arn}`,
  ];
  if (plan.dispatchSecret) {
    const { name, existing, store } = plan.dispatchSecret;
    lines.push(store ? `  ${existing ? '~ update   ' : '+ create   '} secret ${name} with the token from GITHUB_DISPATCH_TOKEN (value not shown)` : `  = keep      secret ${name}`);
  }
  for (const stack of plan.stacks) {
    const waits = ['create', 'recreate'].includes(stack.action.kind) && stack.pending.length > 0 ? `; takes ${stack.pending.join(', ')} once it exists` : '';
    lines.push(`  ${symbol(stack.action)} ${stack.spec.name.padEnd(28)} ${stack.spec.template.padEnd(30)} ${describeAction(stack.action, stack.status)}${waits}`);
    if (stack.action.kind === 'update') lines.push(...stack.action.changes.map((c) => `        ${describeChange(c)}`));
  }
  return lines;
}

function symbol(action: StackAction): string {
  const symbols: Record<StackAction['kind'], string> = {
    create: '+ create   ',
    recreate: '± recreate ',
    update: '~ update   ',
    'update-after-upstream': '~ update?  ',
    'no-changes': '= no change',
    skip: '- skip     ',
  };
  return symbols[action.kind];
}

function describeAction(action: StackAction, status: string | undefined): string {
  switch (action.kind) {
    case 'create':
      return 'new stack';
    case 'recreate':
      return `${action.status} after a failed creation: delete it, create it again`;
    case 'update':
      return `${status}; change set with ${action.changes.length} change(s)`;
    case 'update-after-upstream':
      return `${status}; a change set is made once ${action.pending.join(', ')} ${action.pending.length > 1 ? 'are' : 'is'} known`;
    case 'no-changes':
      return `${status}; no changes`;
    case 'skip':
      return action.why;
  }
}

function describeChange(change: Change): string {
  const r = change.ResourceChange;
  if (!r) return change.Type ?? 'change';
  const replacement = r.Replacement === 'True' ? ' (replacement)' : r.Replacement === 'Conditional' ? ' (may be replaced)' : '';
  return `${r.Action ?? 'Modify'} ${r.LogicalResourceId ?? '?'} [${r.ResourceType ?? '?'}]${replacement}`;
}
