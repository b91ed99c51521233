/**
 * The workflow executions of a stand-in build, for ListWorkflowExecutions and
 * ListWorkflowStepExecutions. Image Builder runs each image through AWS-managed workflows (build,
 * then test), and a failed build's failed step carries the message operators look for first.
 * The stand-in derives them from the build's phase, so an injected failure shows up where a real
 * one would: in the FAILED step of the BUILD or TEST workflow.
 */
import { createHash } from 'node:crypto';

import { IN_PROGRESS_STATUSES, phaseEndMs, type InProgressStatus } from './lifecycle';
import type { BuildRecord, Observed } from './store';

interface WorkflowDefinition {
  type: 'BUILD' | 'TEST';
  name: string;
  /** The phases of the image during which this workflow runs. */
  phases: readonly InProgressStatus[];
  steps: readonly string[];
}

// Step names of the AWS-managed build-image and test-image workflows.
const WORKFLOWS: readonly WorkflowDefinition[] = [
  {
    type: 'BUILD',
    name: 'build-image',
    phases: ['CREATING', 'BUILDING'],
    steps: ['LaunchBuildInstance', 'ApplyBuildComponents', 'InventoryCollection', 'RunSanitizeScript', 'CreateOutputAMI', 'TerminateBuildInstance'],
  },
  { type: 'TEST', name: 'test-image', phases: ['TESTING'], steps: ['LaunchTestInstance', 'RunTestSuite', 'TerminateTestInstance'] },
];

type RunStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'SKIPPED';

export interface WorkflowExecution {
  workflowExecutionId: string;
  workflowBuildVersionArn: string;
  type: WorkflowDefinition['type'];
  status: RunStatus;
  message?: string;
  startTime: string;
  endTime?: string;
  steps: { stepExecutionId: string; name: string; action: string; status: RunStatus; message?: string; startTime?: string; endTime?: string }[];
}

function id(prefix: string, seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${prefix}-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The phase a build has reached, and how it stands there. */
function progress(observed: Observed, build: BuildRecord): { phaseIndex: number; ending?: 'FAILED' | 'CANCELLED' } {
  if (observed.status === 'AVAILABLE') return { phaseIndex: IN_PROGRESS_STATUSES.length };
  if (observed.status === 'FAILED' || observed.status === 'CANCELLED') {
    const at = build.cancelled?.atStatus ?? (build.plan.outcome === 'AVAILABLE' ? 'DISTRIBUTING' : build.plan.atStatus);
    return { phaseIndex: IN_PROGRESS_STATUSES.indexOf(at), ending: observed.status };
  }
  return { phaseIndex: IN_PROGRESS_STATUSES.indexOf(observed.status) };
}

export function workflowExecutions(build: BuildRecord, observed: Observed, region: string): WorkflowExecution[] {
  const { phaseIndex, ending } = progress(observed, build);
  const at = (ms: number) => new Date(build.startedMs + ms).toISOString();
  const executions: WorkflowExecution[] = [];
  for (const workflow of WORKFLOWS) {
    const first = IN_PROGRESS_STATUSES.indexOf(workflow.phases[0]);
    const last = IN_PROGRESS_STATUSES.indexOf(workflow.phases[workflow.phases.length - 1]);
    if (phaseIndex < first) break;
    const startMs = first === 0 ? 0 : phaseEndMs(IN_PROGRESS_STATUSES[first - 1], build.buildMs);
    const endMs = phaseEndMs(workflow.phases[workflow.phases.length - 1], build.buildMs);
    const done = phaseIndex > last;
    // Where inside the workflow it stands: a launch failure fails the first step, anything later the second.
    const current = done ? workflow.steps.length : phaseIndex === first && workflow.phases.length > 1 ? 0 : 1;
    const status: RunStatus = done ? 'COMPLETED' : (ending ?? 'RUNNING');
    const executionId = id('wf', `${build.arn}#${workflow.type}`);
    executions.push({
      workflowExecutionId: executionId,
      workflowBuildVersionArn: `arn:aws:imagebuilder:${region}:aws:workflow/${workflow.type.toLowerCase()}/${workflow.name}/1.0.0/1`,
      type: workflow.type,
      status,
      ...(ending && !done ? { message: observed.reason } : {}),
      startTime: at(startMs),
      ...(done || ending ? { endTime: at(endMs) } : {}),
      steps: workflow.steps.map((name, index) => {
        const stepStatus: RunStatus =
          index < current ? 'COMPLETED' : index > current ? (ending ? 'SKIPPED' : 'PENDING') : ending ? ending : 'RUNNING';
        return {
          stepExecutionId: id('step', `${executionId}#${name}`),
          name,
          action: name,
          status: stepStatus,
          ...(index === current && ending ? { message: observed.reason } : {}),
          ...(index <= current ? { startTime: at(startMs) } : {}),
          ...(index < current ? { endTime: at(endMs) } : {}),
        };
      }),
    });
    if (!done) break;
  }
  return executions;
}
