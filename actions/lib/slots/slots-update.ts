/**
 * update-app-stack's deploy of a slots template: reads what the stack runs, then runs deploySlots
 * with the real steps. Each update is update-app-stack's own path (validation, revoked and new-AMI
 * checks, events, root cause): a change set for the stage step and a retirement, one UpdateStack
 * for a step that moves only weights (WEIGHT_PARAMETERS), on a parameters file written for that step into a work
 * directory, never into the repository: those intermediate states are the deploy job's alone, and
 * the job ends with the stack equal to HEAD or, after a flip back, with the error carrying what the
 * stack runs for git to record. Each verification is verify-alb's logic on one slot's target
 * group, its HTTP samples sent with the slot header.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { S3Client } from '@aws-sdk/client-s3';

import type { AwsClients } from '../aws/clients';
import { updateAppStack, type SlotsStepSettings, type UpdateAppStackInputs, type UpdateReport } from '../cloudformation/update-app-stack';
import type { Deps } from '../deps';
import { slotAlarmOutputs } from '../cloudformation/rollback-triggers';
import { AwsOperationError } from '../errors';
import { codeAmiIds } from '../markdown';
import {
  isSlotsTemplate,
  LIVE_SLOT_PARAMETER,
  liveAmiOf,
  loadValidatedParametersFile,
  readSlotPlan,
  readTemplateParameters,
  slotParameters,
  slotPrefix,
  type SlotName,
  type SlotsSettings,
} from '../parameters';
import type { FetchLike } from '../verify/sampler';
import { evaluateFleet } from '../verify/evaluate-fleet';
import { observeFleet } from '../verify/fleet';
import { verifyAlb } from '../verify/verify-alb';
import { deploySlots, SlotsFlippedBackError, SlotsStageFailedError, type SlotAlarm, type SlotsDeployResult, type SlotStepRunner, type SlotVerdict } from './deploy-slots';

/**
 * The parameters a slots step may change without a change set: which slot is live and the
 * listener's weights. An AMI or a capacity (the stage step, a retirement) always goes through one.
 */
export const WEIGHT_PARAMETERS: readonly string[] = [LIVE_SLOT_PARAMETER, slotParameters('blue').weight, slotParameters('green').weight];

/** The request header the slots template's listener rules match (Mappings.Slots.Header.Name). */
export const SLOT_HEADER = 'x-patch-slot';

export interface SlotsUpdateInputs {
  stackName: string;
  parametersFile: string;
  templateFile: string;
  settings: Omit<SlotsSettings, 'stageAhead'>;
  /** Base URL of the listener; default the stack's LoadBalancerUrl output. */
  verifyUrl?: string;
  verifyPath: string;
  proveSeconds: number;
  maxErrorRate: number;
  failback: boolean;
  /** The stage deploy's proof of the slot a switch makes live (see deploySlots). */
  stagedProof?: { amiId: string; provenAt: Date };
  /** The AMI git says is staged in the idle slot, not switched to yet (see deploySlots). */
  restage?: string;
  timeoutMinutes: number;
  /** Runs one CloudFormation update from a parameters file (update-app-stack's deploy path), its rollback triggers the alarms these outputs name. */
  updateFrom(parametersFile: string, rollbackAlarmOutputs: readonly string[]): Promise<void>;
}

/** `s3` uploads a template over CloudFormation's inline limit (cloudformation/template-source.ts). */
export type SlotsUpdateDeps = Deps<Pick<AwsClients, 'cloudFormation' | 'autoScaling' | 'elbv2' | 'ec2' | 'cloudWatch' | 'awsClock'> & { s3?: S3Client }> & { fetch: FetchLike };

export async function deploySlotsStack(inputs: SlotsUpdateInputs, deps: SlotsUpdateDeps): Promise<SlotsDeployResult> {
  const file = await loadValidatedParametersFile(inputs.parametersFile, inputs.templateFile);
  const stack = (await deps.clients.cloudFormation.send(new DescribeStacksCommand({ StackName: inputs.stackName }))).Stacks?.[0];
  if (!stack) throw new AwsOperationError(`Stack ${inputs.stackName} was not found. Create it first (bootstrap) from ${inputs.templateFile}.`, inputs.stackName);
  const current = Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
  const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const url = inputs.verifyUrl ?? outputs.LoadBalancerUrl;
  if (!url) throw new AwsOperationError(`Stack ${inputs.stackName} has no LoadBalancerUrl output. Deploy ${inputs.templateFile} to it, or pass verify-url.`, inputs.stackName);
  deps.logger.info(`Slots: the stack has ${describePlan(current)}; ${inputs.parametersFile} says ${describePlan(file.parameters)}.`);

  const workDir = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'slots-steps-'));
  const runner: SlotStepRunner = {
    update: async (step, parameters, alarmsOf) =>
      deps.logger.group(`Slots step ${step}`, async () => {
        const stepFile = join(workDir, `${step}.json`);
        writeFileSync(stepFile, `${JSON.stringify({ Parameters: parameters, Tags: file.tags }, null, 2)}\n`);
        const alarms = alarmsOf ? slotAlarmOutputs(slotPrefix(alarmsOf)) : [];
        deps.logger.info(
          alarmsOf
            ? `Rollback triggers of this step: ${alarmsOf}'s alarms (${alarms.map((key) => outputs[key] ?? `no ${key} output`).join(', ')}), while the update runs.`
            : 'Rollback triggers of this step: none (see rollbackAlarmsOf in actions/lib/slots/deploy-slots.ts).',
        );
        await inputs.updateFrom(stepFile, alarms);
      }),
    check: async ({ slot, amiId }) =>
      deps.logger.group(`Slots check: ${slot}'s targets, one look`, async () => {
        const target = { targetGroupArn: outputs[`${capitalised(slot)}TargetGroupArn`], autoScalingGroup: { kind: 'attached-to-target-group' as const } };
        const fleet = evaluateFleet(await observeFleet(target, deps), amiId);
        deps.logger.info(`${slot}: ${fleet.healthyTargets} of ${fleet.desiredCapacity} wanted targets healthy on ${amiId}${fleet.problems.length ? `; ${fleet.problems.join('; ')}` : ''}.`);
        return { healthy: fleet.status === 'pass', failures: fleet.problems, samples: 0, errorRate: 0 };
      }),
    verify: async (request) =>
      deps.logger.group(`Slots ${request.step}: verify ${request.slot} through ${SLOT_HEADER}: ${request.slot}`, async () => {
        const targetGroupArn = outputs[`${capitalised(request.slot)}TargetGroupArn`];
        const report = await verifyAlb(
          { targetGroupArn, url, path: inputs.verifyPath, expectedAmiId: request.amiId, watchSeconds: request.seconds, maxErrorRate: inputs.maxErrorRate, timeoutMinutes: inputs.timeoutMinutes, stackName: undefined, region: undefined },
          { ...deps, fetch: withSlotHeader(deps.fetch, request.slot) },
        );
        for (const failure of report.failures) deps.logger.warning(`${request.slot}: ${failure}`);
        const verdict = { ...toVerdict(report.healthy, report.failures, report.http.samples), instances: [...report.fleet.currentInstances].map(([instanceId, amiId]) => ({ instanceId, amiId })) };
        // The canary's users are seen only by the slot's alarms: read them at the end of its watch.
        return request.step === 'canary' ? { ...verdict, alarms: await alarmsInAlarm(request.slot, outputs, deps) } : verdict;
      }),
    now: () => new Date(deps.clock.now()),
  };
  return deploySlots(
    {
      stackName: inputs.stackName,
      parametersFile: inputs.parametersFile,
      current,
      target: file.parameters,
      settings: inputs.settings,
      proveSeconds: inputs.proveSeconds,
      maxErrorRate: inputs.maxErrorRate,
      failback: inputs.failback,
      stagedProof: inputs.stagedProof,
      restage: inputs.restage,
    },
    runner,
    deps.logger,
  );
}

/**
 * The slot's alarms (its ...AlarmArn outputs) that are in ALARM now. The deploy role may read
 * them (templates/github-oidc.yaml, UseTheAppAlarmsAsRollbackTriggers). An output the stack does
 * not have is said in the log, not guessed.
 */
async function alarmsInAlarm(slot: SlotName, outputs: Readonly<Record<string, string>>, deps: SlotsUpdateDeps): Promise<SlotAlarm[]> {
  const named = slotAlarmOutputs(slotPrefix(slot)).flatMap((key) => {
    const arn = outputs[key];
    if (!arn) deps.logger.warning(`The stack has no ${key} output, so the canary cannot read that alarm of ${slot}.`);
    return arn ? [{ kind: key.slice(slotPrefix(slot).length), name: arn.slice(arn.indexOf(':alarm:') + ':alarm:'.length) }] : [];
  });
  if (named.length === 0) return [];
  const found = (await deps.clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: named.map((a) => a.name), AlarmTypes: ['MetricAlarm'] }))).MetricAlarms ?? [];
  const states = named.map((a) => ({ ...a, alarm: found.find((f) => f.AlarmName === a.name) }));
  deps.logger.info(`${slot}'s alarms: ${states.map((a) => `${a.name} ${a.alarm?.StateValue ?? 'not found'}`).join(', ')}.`);
  return states.filter((a) => a.alarm?.StateValue === 'ALARM').map((a) => ({ kind: a.kind, name: a.name, reason: a.alarm?.StateReason }));
}

/** Every sample carries the slot header, so the listener's slot rule routes it to that slot's target group. */
function withSlotHeader(fetch: FetchLike, slot: SlotName): FetchLike {
  return (url, init) => fetch(url, { ...init, headers: { ...init.headers, [SLOT_HEADER]: slot } });
}

function toVerdict(healthy: boolean, failures: string[], samples: readonly { latencyMs: number; error?: string }[]): SlotVerdict {
  const ok = samples.filter((s) => s.error === undefined).map((s) => s.latencyMs).sort((a, b) => a - b);
  return {
    healthy,
    failures,
    samples: samples.length,
    errorRate: samples.length === 0 ? 0 : (samples.length - ok.length) / samples.length,
    medianLatencyMs: ok.length === 0 ? undefined : ok[Math.floor(ok.length / 2)],
  };
}

function describePlan(parameters: Readonly<Record<string, string>>): string {
  const plan = readSlotPlan(parameters);
  const slot = (name: SlotName) => `${name} ${plan.slots[name].amiId} × ${plan.slots[name].capacity} at ${plan.slots[name].weight} %`;
  return `${plan.live} live (${slot('blue')}, ${slot('green')})`;
}

const capitalised = (slot: SlotName) => `${slot[0].toUpperCase()}${slot.slice(1)}`;

/**
 * update-app-stack deploy mode for a slots template: the steps, each one update-app-stack's own
 * change-set path, its rollback triggers the alarms of the slot that takes users in that step, with
 * no monitoring window after it (the slot verifications are the gate),
 * with `report` filled for the outputs and the summary: the live AMI before and after.
 */
export async function updateSlotsStack(
  inputs: UpdateAppStackInputs & { templateFile: string; slots: SlotsStepSettings },
  deps: SlotsUpdateDeps,
  report: UpdateReport,
): Promise<UpdateReport> {
  const stepDeps = { clients: { cloudFormation: deps.clients.cloudFormation, ec2: deps.clients.ec2, awsClock: deps.clients.awsClock, s3: deps.clients.s3 }, logger: deps.logger, clock: deps.clock };
  const liveAmi = async () => {
    const stack = (await deps.clients.cloudFormation.send(new DescribeStacksCommand({ StackName: inputs.stackName }))).Stacks?.[0];
    const parameters = Object.fromEntries((stack?.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
    report.stackStatus = stack?.StackStatus;
    return parameters.LiveSlot ? liveAmiOf(readSlotPlan(parameters)) : undefined;
  };
  report.previousAmiId = await liveAmi();
  try {
    const result = await deploySlotsStack(
      {
        stackName: inputs.stackName,
        parametersFile: inputs.parametersFile,
        templateFile: inputs.templateFile,
        ...inputs.slots,
        timeoutMinutes: inputs.timeoutMinutes,
        updateFrom: async (stepFile, rollbackAlarmOutputs) => {
          // A step that moves only weights (canary, switch, flip back) is one UpdateStack, no change set.
          const step = await updateAppStack({ ...inputs, parametersFile: stepFile, rollbackMonitoringMinutes: 0, rollbackAlarmOutputs, weightParameters: WEIGHT_PARAMETERS }, stepDeps);
          report.events.push(...step.events);
          report.parameterChanges.push(...step.parameterChanges);
          if (step.changeSetId) report.changeSetId = step.changeSetId;
        },
      },
      deps,
    );
    report.outcome = result.outcome === 'no-changes' ? 'no-changes' : 'updated';
    report.staged = result.staged;
    report.changed = result.outcome !== 'no-changes';
    report.changesMarkdown = result.steps.map((s) => `- **${s.step}**: ${codeAmiIds(s.detail)}`).join('\n') || `No changes: stack ${inputs.stackName} already matches ${inputs.parametersFile}.`;
    return report;
  } catch (error) {
    report.outcome = 'failed';
    report.changed = true;
    if (error instanceof SlotsFlippedBackError) {
      report.changesMarkdown = error.steps.map((s) => `- **${s.step}**: ${codeAmiIds(s.detail)}`).join('\n');
      report.flippedBack = error.flipBack;
    }
    if (error instanceof SlotsStageFailedError) {
      report.changesMarkdown = error.steps.map((s) => `- **${s.step}**: ${codeAmiIds(s.detail)}`).join('\n');
      report.stageFailed = error.staged;
    }
    throw error;
  } finally {
    report.amiId = await liveAmi().catch(() => undefined);
    report.finishedAt = deps.clock.now();
  }
}

/** True when the template file declares LiveSlot (a slots template). */
export async function isSlotsTemplateFile(templateFile: string): Promise<boolean> {
  return isSlotsTemplate(await readTemplateParameters(templateFile));
}
