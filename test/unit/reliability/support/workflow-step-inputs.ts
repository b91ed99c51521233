/**
 * A step's `with:` from a workflow file, evaluated as GitHub evaluates it, for the few expression
 * forms the deploy job uses: `steps.<id>.outputs.<name>`, `steps.<id>.outcome`, `inputs.<name>`,
 * `inputs.<name> != ''`, `github.event.repository.default_branch`, `github.sha`, `github.token`,
 * `a || b` and `a == 'x' && 'y'` (GitHub's conditional value: 'y' when a is 'x', else false, which
 * `||` passes over). Anything else throws, so a
 * new kind of expression in the workflow cannot be evaluated wrongly here without a test noticing.
 * Tests feed one action's real outputs into the next action exactly as the workflow wires them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

import { REPO_ROOT } from './aws-world';

export interface WorkflowRunContext {
  inputs: Record<string, string>;
  /** Steps that ran (or were skipped: outcome `skipped`, no outputs); a step not listed was skipped. */
  steps: Record<string, { outcome: 'success' | 'failure' | 'skipped'; outputs?: Record<string, string> }>;
  defaultBranch: string;
  /** github.sha (the commit the run was started on) and github.token. */
  sha?: string;
  token?: string;
}

interface WorkflowFile {
  jobs: Record<string, { steps: { id?: string; with?: Record<string, string | number | boolean> }[] }>;
}

/** Evaluates `${{ … }}` in every input of step `stepId`; the runner passes an unset output as ''. */
export function workflowStepInputs(file: string, job: string, stepId: string, ctx: WorkflowRunContext): Record<string, string> {
  const workflow = parse(readFileSync(join(REPO_ROOT, '.github/workflows', file), 'utf8')) as WorkflowFile;
  const step = workflow.jobs[job]?.steps.find((s) => s.id === stepId);
  if (!step) throw new Error(`${file}: job ${job} has no step with id ${stepId}`);
  return Object.fromEntries(Object.entries(step.with ?? {}).map(([name, raw]) => [name, String(raw).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => evaluate(expr, ctx, `${file} ${stepId}.with.${name}`))]));
}

function evaluate(expr: string, ctx: WorkflowRunContext, where: string): string {
  const or = expr.split(' || ');
  // `a || b`: the first operand that is not empty (every value here is a string).
  if (or.length > 1) return or.map((e) => evaluate(e.trim(), ctx, where)).find((v) => v !== '') ?? '';
  const conditional = /^(.+?) == '([^']*)' && '([^']*)'$/.exec(expr);
  if (conditional) return evaluate(conditional[1], ctx, where) === conditional[2] ? conditional[3] : '';
  let m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr);
  if (m) return ctx.steps[m[1]]?.outputs?.[m[2]] ?? '';
  m = /^steps\.([\w-]+)\.outcome$/.exec(expr);
  if (m) return ctx.steps[m[1]]?.outcome ?? 'skipped';
  m = /^inputs\.([\w-]+)$/.exec(expr);
  if (m) return ctx.inputs[m[1]] ?? '';
  m = /^inputs\.([\w-]+) != ''$/.exec(expr);
  if (m) return String((ctx.inputs[m[1]] ?? '') !== '');
  if (expr === 'github.event.repository.default_branch') return ctx.defaultBranch;
  if (expr === 'github.sha') return ctx.sha ?? '';
  if (expr === 'github.token') return ctx.token ?? '';
  throw new Error(`${where}: the expression \${{ ${expr} }} is not one this evaluator knows; teach it (workflow-step-inputs.ts).`);
}
