/**
 * A step's `with:` from a workflow file, evaluated as GitHub evaluates it, for the few expression
 * forms the deploy job uses: `steps.<id>.outputs.<name>`, `steps.<id>.outcome`, `inputs.<name>`,
 * `inputs.<name> != ''`, `github.event.repository.default_branch`, `github.sha`, `github.token`, `github.run_id`,
 * `a || b` and `a == 'x' && 'y'` (GitHub's conditional value: 'y' when a is 'x', else false, which
 * `||` passes over). Anything else throws, so a
 * new kind of expression in the workflow cannot be evaluated wrongly here without a test noticing.
 * Tests feed one action's real outputs into the next action exactly as the workflow wires them.
 *
 * What a test hands in must exist in the files, or this throws naming it: every input is one the
 * workflow declares (on.workflow_call / on.workflow_dispatch), every step is a step of the job, and
 * every step output is one that step's action declares. Otherwise a test written for an older
 * workflow goes on passing an input nobody reads (session 8's F63 passed `failback-ami` after the
 * workflow dropped it, and nothing noticed until its verdict read wrong). The step's own `with:`
 * must name only inputs its action declares, as GitHub would warn.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

import { type ActionFile, readActionFile, refuseUndeclaredInputs } from '../../../../local/action-file';
import { REPO_ROOT } from './aws-world';

export interface WorkflowRunContext {
  inputs: Record<string, string>;
  /** Steps that ran (or were skipped: outcome `skipped`, no outputs); a step not listed was skipped. */
  steps: Record<string, { outcome: 'success' | 'failure' | 'skipped'; outputs?: Record<string, string> }>;
  defaultBranch: string;
  /** github.sha (the commit the run was started on) and github.token. */
  sha?: string;
  token?: string;
  /** github.run_id. */
  runId?: string;
}

interface WorkflowStep {
  id?: string;
  uses?: string;
  with?: Record<string, string | number | boolean>;
}

interface WorkflowFile {
  on?: Record<string, { inputs?: Record<string, unknown> } | null>;
  jobs: Record<string, { steps: WorkflowStep[] }>;
}

/** Evaluates `${{ … }}` in every input of step `stepId`; the runner passes an unset output as ''. */
export function workflowStepInputs(file: string, job: string, stepId: string, ctx: WorkflowRunContext): Record<string, string> {
  const workflow = parse(readFileSync(join(REPO_ROOT, '.github/workflows', file), 'utf8')) as WorkflowFile;
  const steps = workflow.jobs[job]?.steps ?? [];
  const step = steps.find((s) => s.id === stepId);
  if (!step) throw new Error(`${file}: job ${job} has no step with id ${stepId}`);
  refuseUndeclared(file, job, workflow, steps, step, ctx);
  return Object.fromEntries(Object.entries(step.with ?? {}).map(([name, raw]) => [name, String(raw).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => evaluate(expr, ctx, `${file} ${stepId}.with.${name}`))]));
}

/** The inputs the workflow declares, over every trigger that takes inputs. */
function workflowInputs(workflow: WorkflowFile): Set<string> {
  return new Set(Object.values(workflow.on ?? {}).flatMap((trigger) => Object.keys(trigger?.inputs ?? {})));
}

/** action.yml of a step's `uses: ./actions/<name>`; undefined for a marketplace action (its file is not here). */
function localAction(step: WorkflowStep): { name: string; file: ActionFile } | undefined {
  const local = /^\.\/actions\/([\w-]+)$/.exec(step.uses ?? '');
  if (!local) return undefined;
  return { name: local[1], file: readActionFile(local[1]) };
}

function refuseUndeclared(file: string, job: string, workflow: WorkflowFile, steps: WorkflowStep[], step: WorkflowStep, ctx: WorkflowRunContext): void {
  const declared = workflowInputs(workflow);
  for (const name of Object.keys(ctx.inputs)) {
    if (!declared.has(name)) {
      throw new Error(`${file}: the test passes the workflow input "${name}", which ${file} does not declare (it declares: ${[...declared].join(', ') || 'none'}). Use the workflow's input names.`);
    }
  }
  for (const [id, ran] of Object.entries(ctx.steps)) {
    const other = steps.find((s) => s.id === id);
    if (!other) throw new Error(`${file}: the test passes the step "${id}", which job ${job} does not have (its steps: ${steps.flatMap((s) => (s.id ? [s.id] : [])).join(', ')}).`);
    const action = localAction(other);
    if (!action) continue;
    for (const output of Object.keys(ran.outputs ?? {})) {
      if (!Object.hasOwn(action.file.outputs, output)) {
        throw new Error(`${file}: the test passes output "${output}" of step ${id}, which actions/${action.name}/action.yml does not declare. Use the action's output names.`);
      }
    }
  }
  const action = localAction(step);
  if (action) refuseUndeclaredInputs(action.file, Object.keys(step.with ?? {}), `${file}: step ${step.id}`);
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
  if (expr === 'github.run_id') return ctx.runId ?? '';
  throw new Error(`${where}: the expression \${{ ${expr} }} is not one this evaluator knows; teach it (workflow-step-inputs.ts).`);
}
