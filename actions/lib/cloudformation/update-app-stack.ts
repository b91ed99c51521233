/**
 * The update-app-stack logic (issue 3): validate the parameters file, make sure the stack can be
 * updated, create an UPDATE change set, render it, then stop (preview) or execute it and follow
 * the stack to its end (deploy). A deploy that moves only a slots stack's weights, on the template
 * it already runs, skips the change set: one UpdateStack (direct-update.ts). It fills an `UpdateReport` as it goes, so the caller can write
 * outputs and a summary whether it succeeds or fails.
 */
import type { CloudFormationClient, Parameter, RollbackConfiguration, Tag } from '@aws-sdk/client-cloudformation';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';

import { accountOfArn, inputAmiPolicy } from '../ami-policy';
import type { AwsTime } from '../aws/aws-clock';
import type { Deps } from '../deps';
import type { StagedSlot } from '../slots/deploy-slots';
import { isExpiredCredentialsError, isTransientError } from '../aws/errors';
import { AwsOperationError, errorMessage, PollTimeoutError } from '../errors';
import { describeTimeoutMinutes, NoAnswerBeforeDeadlineError, withStepDeadline } from '../step-deadline';
import {
  AMI_PARAMETER,
  liveAmiIn,
  loadParametersFile,
  loadRevocations,
  loadValidatedParametersFile,
  type ParametersFile,
  parseTemplateParameters,
  type SlotsSettings,
  readTemplateText,
  REVOCATIONS_FILE,
  type TemplateParameters,
  validateParameters,
} from '../parameters';
import { changeSetName, createChangeSet, deleteChangeSet, waitForChangeSet } from './change-set';
import { describeParameterChanges, renderChangesMarkdown } from './change-set-markdown';
import { planChangeSetParameters, type ParameterChange } from './change-set-parameters';
import { readDeployedTemplate } from './deployed-template';
import { directUpdateToken, isSameTemplate, updateStackAndWait, valuesNotHeld, weightOnlyChanges } from './direct-update';
import { executeChangeSetAndWait, type ExecutionResult, followStackOperation, type PauseWhen } from './execute-change-set';
import { checkNewImages } from './image-parameters';
import { refuseRevokedImages } from './revoked-images';
import { planRollbackTriggers } from './rollback-triggers';
import { findRootCause, type StackEventRecord } from './stack-events';
import { continueRollbackAdvice, describeStack, listFailedResources, waitForStackReady } from './stack-state';
import { planTemplateSource, resolveTemplateSource, type TemplatePlan } from './template-source';
import { cancelUpdate, type GreenVerdict, type GreenVerifier, isGreenInService, planWindowVerification, readAppGroup, type WindowPlan } from './window-verification';

/** The app template's AMI parameter (a contract: templates/app.yaml and parameters/<env>.json). */
export { AMI_PARAMETER };

export type UpdateMode = 'deploy' | 'preview';

export interface UpdateAppStackInputs {
  stackName: string;
  region: string;
  parametersFile: string;
  /** Local template file; undefined keeps the deployed template. */
  templateFile?: string;
  /** S3 bucket for a template over the inline limit (template-source.ts); absent: none. */
  templateBucket?: string;
  mode: UpdateMode;
  timeoutMinutes: number;
  /** Rollback-trigger monitoring window after the update (0–180). */
  rollbackMonitoringMinutes: number;
  /** The stack outputs naming this update's rollback-trigger alarms; absent: templates/app.yaml's two (a slots step names one slot's). */
  rollbackAlarmOutputs?: readonly string[];
  /** Who may own a new AMI (ami-policy.ts): account IDs and `self` (the stack's account). Absent: the stack's own account. */
  amiOwners?: readonly string[];
  /** Who is deploying, for the change set's name and description (GITHUB_RUN_ID, attempt, sha). */
  run: { id?: string; attempt?: string; commit?: string };
  /** The revocation list (parameters/revoked.json); a missing file revokes nothing. */
  revocationsFile?: string;
  /** The slots steps' settings, used when the template is a slots template and mode is deploy. */
  slots?: SlotsStepSettings;
  /**
   * Parameters that may change without a change set (a slots step's weights and LiveSlot): a
   * deploy that changes only these, on the template the stack already runs, is one UpdateStack
   * (direct-update.ts). Absent: every update is a change set.
   */
  weightParameters?: readonly string[];
}

/** What update-app-stack's slots deploy needs beyond a single update (see actions/lib/slots/). */
export interface SlotsStepSettings {
  verifyUrl?: string;
  verifyPath: string;
  proveSeconds: number;
  maxErrorRate: number;
  settings: Omit<SlotsSettings, 'stageAhead'>;
  failback: boolean;
  /** The stage deploy's proof of the slot a switch makes live (update-app-stack's staged-proof input). */
  stagedProof?: { amiId: string; provenAt: Date };
  /** The AMI git says is staged in the idle slot, not switched to yet (update-app-stack's staged-ami-id input). */
  restage?: string;
}

export type UpdateOutcome = 'no-changes' | 'previewed' | 'updated' | 'failed';

/**
 * How far a run got in AWS, so a failure can say what it may have changed: `reading` (only reads
 * so far: nothing changed), `change-set` (CreateChangeSet sent: a change set may exist, the stack
 * is untouched), `executing` (ExecuteChangeSet sent: the update may be running).
 */
export type UpdateProgress = 'reading' | 'change-set' | 'executing';

/** Everything known about one run, filled in as it goes (so a failure still has a summary). */
export interface UpdateReport {
  stackName: string;
  mode: UpdateMode;
  parametersFile: string;
  templateSource: string;
  outcome?: UpdateOutcome;
  progress: UpdateProgress;
  changed?: boolean;
  changeSetId?: string;
  changeSetName?: string;
  /** A weight-only update sent as UpdateStack (no change set): its ClientRequestToken. */
  requestToken?: string;
  stackStatus?: string;
  previousAmiId?: string;
  amiId?: string;
  /** The AMI users get once the parameters file is deployed (the live slot's, for slots): what a preview would deploy. */
  requestedAmiId?: string;
  parameterChanges: ParameterChange[];
  keptFromStack: string[];
  rollbackAlarms: string[];
  changesMarkdown?: string;
  /** A slots deploy that failed and flipped traffic back: where the new slot failed, and the slot live again. */
  flippedBack?: { failedStep: string; liveSlot: string };
  /** A slots deploy that staged the idle slot and proved it (stage ahead): the switch PR's evidence. */
  staged?: StagedSlot;
  /** A stage-only slots deploy whose prove failed: the slot, both AMIs, and whether the slot went back. */
  stageFailed?: { slot: string; previousAmiId: string; amiId: string; restored: boolean };
  events: StackEventRecord[];
  startedAt: number;
  finishedAt?: number;
}

export function createUpdateReport(inputs: UpdateAppStackInputs, startedAt: number): UpdateReport {
  return {
    stackName: inputs.stackName,
    mode: inputs.mode,
    parametersFile: inputs.parametersFile,
    templateSource: inputs.templateFile ?? 'deployed template (UsePreviousTemplate)',
    progress: 'reading',
    parameterChanges: [],
    keptFromStack: [],
    rollbackAlarms: [],
    events: [],
    startedAt,
  };
}

/**
 * `s3` is needed only for a template over the inline limit (template-source.ts). `greenVerifier`:
 * strategy replace verifies green inside the rollback-trigger window (window-verification.ts);
 * without it the update is followed to its end and verified afterwards.
 */
type UpdateDeps = Deps<{ cloudFormation: CloudFormationClient; ec2: EC2Client; awsClock: AwsTime; s3?: S3Client }> & { greenVerifier?: GreenVerifier };

/** Reads a local template and decides how it is sent, refusing what cannot be sent before any AWS call. */
async function readTemplateFile(file: string, inputs: UpdateAppStackInputs): Promise<TemplatePlan> {
  const body = await readTemplateText(file);
  return planTemplateSource({ file, body, stackName: inputs.stackName, purpose: inputs.mode, bucket: inputs.templateBucket, bucketSetting: 'the template-bucket input (templateBucket in parameters/environments.json)' });
}

/** The file's Tags for CreateChangeSet; none leaves the stack's tags as they are (CloudFormation
 *  keeps them when the call carries no Tags). */
function toTags(file: ParametersFile): Tag[] | undefined {
  const entries = Object.entries(file.tags);
  return entries.length === 0 ? undefined : entries.map(([Key, Value]) => ({ Key, Value }));
}

/**
 * Updates (deploy) or previews (preview) the app stack from a parameters file. Returns the
 * filled report on success; throws InputError (nothing touched), AwsOperationError (a refusal, a
 * failed change set, a rolled-back update) or PollTimeoutError, with `report` filled as far as the
 * run got. The only AWS mutations are CreateChangeSet, DeleteChangeSet and ExecuteChangeSet, or
 * for a weight-only update of the template the stack runs (inputs.weightParameters) one UpdateStack
 * with UsePreviousTemplate (direct-update.ts), and none happens before the parameters file has been
 * validated against the template and every new AMI checked (exists here, available, not deprecated).
 */
export async function updateAppStack(
  inputs: UpdateAppStackInputs,
  deps: UpdateDeps,
  report: UpdateReport = createUpdateReport(inputs, deps.clock.now()),
): Promise<UpdateReport> {
  // timeout-minutes bounds the step, not only its waits: the one-shot calls around them (the
  // template, the AMIs, the change set's creation and pages, its execution) end by it too
  // (step-deadline.ts), whatever an endpoint does.
  const deadline = { atMs: deps.clock.now() + inputs.timeoutMinutes * 60_000, describe: describeTimeoutMinutes(inputs.timeoutMinutes) };
  try {
    return await runUpdate(inputs, { ...deps, clients: withStepDeadline(deps.clients, deadline, deps.clock) }, report, deadline.atMs);
  } catch (error) {
    report.outcome = 'failed';
    if (error instanceof NoAnswerBeforeDeadlineError) {
      throw unreachable(error.message, report);
    }
    // A refusal happens before the stack status is recorded; the error carries it.
    if (report.stackStatus === undefined && error instanceof AwsOperationError) report.stackStatus = error.status;
    if (isTransientError(error)) throw unreachable(`AWS could not be reached or kept failing after the SDK's retries (${errorMessage(error)})`, report);
    throw error;
  } finally {
    report.finishedAt = deps.clock.now();
  }
}

/**
 * AWS stopped answering (a refused or dropped connection, a timeout, 5xx or throttling that
 * outlasted the SDK's retries; waits ride these out, single calls do not). What that means for
 * the stack depends on how far the run got, and the message says exactly that, so the deploy
 * job can tell "nothing changed" from "an update may be running".
 */
function unreachable(cause: string, report: UpdateReport): AwsOperationError {
  const { stackName } = report;
  if (report.progress === 'executing') {
    // ExecuteChangeSet may have reached CloudFormation even though its answer did not reach us.
    report.stackStatus = 'unknown';
    return new AwsOperationError(
      `Update of stack ${stackName} stopped: ${cause} after ${report.requestToken ? `UpdateStack (request ${report.requestToken}) was sent` : 'the change set was sent for execution'}. The update may have started; its outcome is unknown: ` +
        `check the stack with \`aws cloudformation describe-stacks --stack-name ${stackName}\`. Re-run the job once AWS answers: ` +
        `it waits for an update in progress to end, then reports no changes if it succeeded or deploys again if it rolled back.`,
      stackName,
      report.stackStatus,
    );
  }
  const changed =
    report.progress === 'change-set'
      ? `The stack was not changed by this run; change set ${report.changeSetName} may be left on it (harmless: nothing executes it, and a re-run makes its own).`
      : 'Nothing was changed in AWS by this run.';
  return new AwsOperationError(`Update of stack ${stackName} did not start: ${cause}. ${changed} Re-run the job once AWS answers.`, stackName, report.stackStatus);
}

async function runUpdate(inputs: UpdateAppStackInputs, deps: UpdateDeps, report: UpdateReport, deadline: number): Promise<UpdateReport> {
  const { stackName, parametersFile } = inputs;
  const { logger, clock } = deps;
  // One budget for the whole step: waiting for a busy stack, the change set, and the update.
  const remaining = () => Math.max(0, deadline - clock.now());

  // 1. The parameters file, checked against the template before anything in AWS is touched. With a
  //    template input, structural and template problems are reported together in one error.
  const templatePlan = inputs.templateFile === undefined ? undefined : await readTemplateFile(inputs.templateFile, inputs);
  const templateBody = templatePlan?.body;
  let template: TemplateParameters | undefined;
  let file: ParametersFile;
  if (templateBody !== undefined && inputs.templateFile !== undefined) {
    file = await loadValidatedParametersFile(parametersFile, inputs.templateFile);
    template = parseTemplateParameters(templateBody, inputs.templateFile);
  } else {
    file = await loadParametersFile(parametersFile);
  }
  report.requestedAmiId = liveAmiIn(file.parameters);

  // 2. The stack: wait while it is busy, refuse when it needs a person or does not exist.
  const before = await logger.group(`Stack ${stackName}`, async () => {
    const ready = await waitForStackReady({ stackName, timeoutMs: remaining(), parametersFile, templateFile: inputs.templateFile }, deps);
    logger.info(`Stack ${stackName} is ${ready.status}; it runs ${liveAmiIn(ready.parameters) ?? `no ${AMI_PARAMETER} parameter`}.`);
    return ready;
  });
  report.stackStatus = before.status;
  report.previousAmiId = liveAmiIn(before.parameters);
  report.amiId = report.previousAmiId;

  // Keeping the deployed template: its Parameters are what the file must match. Read-only calls only.
  if (template === undefined) {
    template = parseTemplateParameters(await readDeployedTemplate(stackName, deps), `the template deployed in stack ${stackName}`);
    validateParameters(file, template);
  }

  // 3. The change set.
  const plan = planChangeSetParameters([...template.parameters.keys()], file.parameters, before.parameters);
  // NoEcho values never reach logs, summaries or PR bodies (DescribeStacks shows them as ****).
  const hidden = (c: ParameterChange): ParameterChange =>
    template.parameters.get(c.key)?.noEcho ? { key: c.key, previous: '(NoEcho)', next: '(NoEcho, changed or not: CloudFormation cannot tell us)' } : c;
  report.parameterChanges = plan.changes.map(hidden);
  report.keptFromStack = plan.keptFromStack;
  const revocations = await loadRevocations(inputs.revocationsFile ?? REVOCATIONS_FILE);
  await refuseRevokedImages({ file, template, revocations, stackName, mode: inputs.mode }, deps);
  const amiPolicy = inputAmiPolicy(inputs.amiOwners, accountOfArn(before.stackId));
  await checkNewImages({ changes: plan.changes, template, file, region: inputs.region, policy: amiPolicy }, deps);
  if (plan.keptFromStack.length > 0) logger.info(`Not in ${parametersFile}, kept at the stack's current value: ${plan.keptFromStack.join(', ')}.`);
  // Rollback triggers matter only to an executed change set. A preview leaves them out: the preview
  // role need not read alarms, and nothing it makes is ever executed.
  const window = inputs.mode === 'deploy' ? planWindow(inputs, deps, plan.changes) : undefined;
  const rollback =
    inputs.mode === 'deploy' ? planRollbackTriggers(before.outputs, inputs.rollbackMonitoringMinutes, inputs.rollbackAlarmOutputs, { holdWindow: window?.verify }) : undefined;
  report.rollbackAlarms = rollback?.alarmArns ?? [];
  if (rollback && rollback.missingOutputs.length > 0) {
    logger.warning(
      `Stack ${stackName} has no ${rollback.missingOutputs.join(' or ')} output, so that alarm cannot roll this update back. ` +
        `Deploy the stack from ${inputs.templateFile ?? 'templates/app.yaml'}, which declares those alarms and outputs.`,
    );
  }

  // A weight-only step of the template the stack runs: one UpdateStack, no change set to wait for.
  const weights = inputs.mode === 'deploy' ? weightOnlyChanges(plan.changes.map((c) => c.key), inputs.weightParameters) : undefined;
  if (weights) {
    const deployed = templateBody === undefined ? undefined : await readDeployedTemplate(stackName, deps);
    if (deployed === undefined || isSameTemplate(deployed, templateBody!, inputs.templateFile!)) {
      return logger.group(`Update ${stackName}: ${weights.join(', ')} only (UpdateStack, no change set)`, () =>
        deployDirect(inputs, deps, report, { parameters: plan.parameters, tags: toTags(file), rollback: rollback?.configuration, timeoutMs: remaining() }),
      );
    }
    logger.info(
      `Only ${weights.join(', ')} change, but stack ${stackName} runs another template than ${inputs.templateFile}: a change set deploys ${inputs.templateFile} with them, so the template change shows in its preview.`,
    );
  }

  const name = changeSetName(inputs.run.id, inputs.run.attempt, clock.now());
  report.changeSetName = name;
  const templateSource = templatePlan && (await resolveTemplateSource({ plan: templatePlan, region: inputs.region, expectedBucketOwner: accountOfArn(before.stackId) }, deps));
  report.progress = 'change-set';
  const created = await logger.group('Change set', async () => {
    const result = await createChangeSet(
      {
        stackName,
        changeSetName: name,
        description: `update-app-stack from ${parametersFile}${inputs.run.commit ? ` at ${inputs.run.commit.slice(0, 12)}` : ''}${inputs.run.id ? ` (run ${inputs.run.id}, attempt ${inputs.run.attempt ?? '1'})` : ''}`,
        ...templateSource,
        parameters: plan.parameters,
        tags: toTags(file),
        rollbackConfiguration: rollback?.configuration,
      },
      deps,
    );
    if (result.kind === 'no-changes') return result;
    report.changeSetId = result.changeSetId;
    logger.info(`Created change set ${name}; waiting for CloudFormation to compute it.`);
    try {
      const outcome = await waitForChangeSet({ stackName, changeSetId: result.changeSetId, timeoutMs: remaining() }, deps);
      if (outcome.kind === 'no-changes') await deleteChangeSet({ stackName, changeSetId: result.changeSetId }, deps);
      return outcome;
    } catch (error) {
      // A failed change set changes nothing; leaving it would only clutter the stack's list.
      if (error instanceof AwsOperationError) await deleteChangeSet({ stackName, changeSetId: result.changeSetId }, deps);
      throw error;
    }
  });

  if (created.kind === 'no-changes') {
    report.outcome = 'no-changes';
    report.changed = false;
    report.changesMarkdown = `No changes: stack ${stackName} already matches ${parametersFile}.`;
    logger.notice(`No changes for stack ${stackName}: it already matches ${parametersFile} (CloudFormation: ${created.reason}).`);
    return report;
  }

  report.changed = true;
  report.changesMarkdown = renderChangesMarkdown(created.changes, report.parameterChanges);
  logger.info(report.changesMarkdown);

  if (inputs.mode === 'preview') {
    await deleteChangeSet({ stackName, changeSetId: report.changeSetId! }, deps);
    report.outcome = 'previewed';
    logger.info(`Preview only: change set deleted, stack ${stackName} untouched.`);
    return report;
  }

  // 4. Deploy.
  if (created.executionStatus !== 'AVAILABLE') {
    throw new AwsOperationError(
      `Change set for stack ${stackName} cannot be executed: its execution status is ${created.executionStatus} ` +
        `(another change set was executed after it was made, or the stack changed). Re-run to make a fresh one.`,
      stackName,
      created.executionStatus,
    );
  }
  const changeSetId = report.changeSetId!;
  const start: StartUpdate = async (timeoutMs, pauseWhen) =>
    executeChangeSetAndWait({ stackName, changeSetId, clientRequestToken: name, timeoutMs, pauseWhen }, deps, (events) => report.events.push(...events));
  return logger.group(`Update ${stackName}`, () => deploy(inputs, deps, report, remaining(), window, start));
}

/** Starts the update and follows it (an executed change set, or a direct UpdateStack); 'no-changes' when CloudFormation found nothing to do. */
type StartUpdate = (timeoutMs: number, pauseWhen: PauseWhen | undefined) => Promise<ExecutionResult | 'no-changes'>;

/**
 * The direct path of a weight-only update (direct-update.ts): UpdateStack on the deployed
 * template with the change set path's parameters, tags and rollback triggers, followed and judged
 * like an executed change set, then checked: the stack must hold the values asked for (a re-sent
 * request that found the stack already updated is judged by what the stack holds, not assumed).
 */
async function deployDirect(
  inputs: UpdateAppStackInputs,
  deps: UpdateDeps,
  report: UpdateReport,
  request: { parameters: Parameter[]; tags?: Tag[]; rollback?: RollbackConfiguration; timeoutMs: number },
): Promise<UpdateReport> {
  const { stackName } = inputs;
  const token = directUpdateToken(inputs.run, deps.clock.now());
  report.requestToken = token;
  report.changed = true;
  report.changesMarkdown = `Weights only, on the template the stack runs (UpdateStack ${token}, no change set): ${describeParameterChanges(report.parameterChanges)}.`;
  deps.logger.info(report.changesMarkdown);
  const start: StartUpdate = async (timeoutMs) => {
    const result = await updateStackAndWait(
      { stackName, parameters: request.parameters, tags: request.tags, rollbackConfiguration: request.rollback, clientRequestToken: token, timeoutMs },
      deps,
      (events) => report.events.push(...events),
    );
    return result.kind === 'no-changes' ? 'no-changes' : result.execution;
  };
  const done = await deploy(inputs, deps, report, request.timeoutMs, undefined, start);
  const wanted = Object.fromEntries(report.parameterChanges.map((c) => [c.key, c.next]));
  const after = await describeStack(stackName, deps);
  const missing = valuesNotHeld(wanted, after?.parameters ?? {});
  if (missing.length > 0) {
    report.outcome = 'failed';
    throw new AwsOperationError(
      `Weight update of stack ${stackName} ended ${after?.status ?? 'with the stack gone'}, but the stack does not hold what was asked: ${missing.map((k) => `${k} is ${after?.parameters[k] ?? '(none)'}, not ${wanted[k]}`).join(', ')}. ` +
        `Another update ran on it meanwhile. Check its events (\`aws cloudformation describe-stack-events --stack-name ${stackName}\`) and re-run.`,
      stackName,
      after?.status,
    );
  }
  return done;
}

/**
 * Whether this update verifies green inside its rollback-trigger window: only with a verifier
 * (strategy replace in deploy mode) and a new AMI, and only when the verification fits in the
 * window. When it does not fit, it says so: verify-alb then runs after the update, when blue is gone.
 */
function planWindow(inputs: UpdateAppStackInputs, deps: UpdateDeps, changes: readonly ParameterChange[]): WindowPlan | undefined {
  if (!deps.greenVerifier || !changes.some((c) => c.key === AMI_PARAMETER)) return undefined;
  const window = planWindowVerification(inputs.rollbackMonitoringMinutes, deps.greenVerifier.watchSeconds);
  if (!window.verify) {
    deps.logger.warning(`Green is not verified inside the rollback-trigger window: ${window.why}. verify-alb verifies it after the update, when blue is gone, and a failure then means a second replacement.`);
  }
  return window;
}

async function deploy(inputs: UpdateAppStackInputs, deps: UpdateDeps, report: UpdateReport, timeoutMs: number, window: WindowPlan | undefined, start: StartUpdate): Promise<UpdateReport> {
  const { stackName, parametersFile } = inputs;
  const wanted = report.parameterChanges.find((c) => c.key === AMI_PARAMETER)?.next;
  const deadline = deps.clock.now() + timeoutMs;
  let execution: ExecutionResult;
  let gate: WindowGate | undefined;
  // Blue, read before the update: the group green must differ from, and whose targets verification sets aside.
  const blueGroup = window?.verify && deps.greenVerifier && wanted ? (await readAppGroup(stackName, deps)).name : undefined;
  report.progress = 'executing';
  try {
    const started = await start(
      timeoutMs,
      blueGroup ? async (stack, signal) => stack.status === 'UPDATE_IN_PROGRESS' && isGreenInService(await readAppGroup(stackName, deps, signal), blueGroup) : undefined,
    );
    if (started === 'no-changes') {
      report.outcome = 'no-changes';
      report.changed = false;
      report.changesMarkdown = `No changes: stack ${stackName} already matches ${parametersFile}.`;
      deps.logger.notice(`No changes for stack ${stackName}: it already matches ${parametersFile}.`);
      return report;
    }
    execution = started;
    if (execution.paused && window?.verify && deps.greenVerifier && wanted && blueGroup) {
      const verifier = deps.greenVerifier;
      const remaining = () => Math.max(0, deadline - deps.clock.now());
      gate = await deps.logger.group(`Verify green inside the rollback-trigger window (blue ${blueGroup} still serves)`, () =>
        gateInWindow({ stackName, amiId: wanted, blueGroup, healthWaitMs: window.healthWaitMs }, verifier, deps),
      );
      execution = await followStackOperation({ stackName, marker: execution.marker, timeoutMs: remaining() }, deps, (events) => report.events.push(...events));
    }
  } catch (error) {
    if (isExpiredCredentialsError(error)) {
      // OIDC sessions last an hour by default; a long update (or monitoring window) can outlive them.
      report.stackStatus = [...report.events].reverse().find((e) => e.isStack)?.status ?? 'unknown';
      throw new AwsOperationError(
        `Following the update of stack ${stackName} stopped: the AWS credentials expired (${errorMessage(error)}); last status ${report.stackStatus}. ` +
          `CloudFormation carries on without this run. Re-run the job: it waits for the update to end, then reports no changes if it succeeded or deploys again if it rolled back. ` +
          `To avoid this, let the role's session last longer than timeout-minutes (role-duration-seconds and the role's MaxSessionDuration).`,
        stackName,
        report.stackStatus,
      );
    }
    if (!(error instanceof PollTimeoutError)) throw error;
    const last = (error.lastObservation as { stack?: { status?: string } } | undefined)?.stack?.status ?? 'unknown';
    report.stackStatus = last;
    throw new PollTimeoutError(
      `Update of stack ${stackName} did not finish within timeout-minutes (${inputs.timeoutMinutes}); last status ${last}. ` +
        `CloudFormation carries on without this run: follow it with \`aws cloudformation describe-stack-events --stack-name ${stackName}\`, ` +
        `start no other deploy until it ends, and raise timeout-minutes (it must cover the green group's signals plus rollback-monitoring-minutes).`,
      error.lastObservation,
      error.elapsedMs,
    );
  }

  const after = execution.stack;
  report.stackStatus = after.status;
  report.amiId = liveAmiIn(after.parameters);
  if (after.status === 'UPDATE_COMPLETE') {
    report.outcome = 'updated';
    deps.logger.info(`Stack ${stackName} is UPDATE_COMPLETE; it runs ${report.amiId ?? 'no AMI parameter'} (was ${report.previousAmiId ?? 'none'}).`);
    return report;
  }
  if (gate?.cancelled && after.status === 'UPDATE_ROLLBACK_COMPLETE') {
    report.flippedBack = { failedStep: 'window', liveSlot: 'blue' };
    throw new AwsOperationError(
      `Update of stack ${stackName} cancelled: green (${wanted}) failed verification inside the rollback-trigger window, while blue (${report.amiId ?? report.previousAmiId}) still served: ${gate.verdict.failures.join('; ')}. ` +
        `CloudFormation rolled the stack back to blue (UPDATE_ROLLBACK_COMPLETE): it runs ${report.amiId ?? 'the previous AMI'} again and green's group is deleted, so no second replacement was needed. ` +
        `${parametersFile} still says ${wanted}: the deploy job records ${report.amiId ?? 'the AMI the stack runs'} in git (Record what runs), or revert the change to ${parametersFile} so git says what runs. Fix the AMI, then open a new patch PR.`,
      stackName,
      after.status,
    );
  }

  const cause = findRootCause(execution.events);
  const why = cause ? `${cause.logicalId} ${cause.status} (${cause.reason})` : `${after.status}${after.statusReason ? ` (${after.statusReason})` : ''}`;
  const differs =
    wanted && report.amiId !== wanted ? ` It runs ${report.amiId ?? 'an unknown AMI'} while ${parametersFile} says ${wanted}.` : '';
  if (after.status === 'UPDATE_ROLLBACK_FAILED') {
    const failed = await listFailedResources(stackName, deps);
    throw new AwsOperationError(
      `Update of stack ${stackName} failed: ${why}, and the rollback failed too (UPDATE_ROLLBACK_FAILED).${differs} ${continueRollbackAdvice(stackName, failed)}.`,
      stackName,
      after.status,
    );
  }
  const rolledBack = after.status === 'UPDATE_ROLLBACK_COMPLETE' ? ' CloudFormation rolled the stack back to how it was (UPDATE_ROLLBACK_COMPLETE).' : ` The stack is ${after.status}.`;
  throw new AwsOperationError(
    `Update of stack ${stackName} failed: ${why}.${rolledBack}${differs} Fix the cause and re-run, or revert the change to ${parametersFile} so git says what runs.`,
    stackName,
    after.status,
  );
}

interface WindowGate {
  verdict: GreenVerdict;
  /** True when CancelUpdateStack was accepted: CloudFormation rolls back to blue. */
  cancelled: boolean;
}

/**
 * Verifies green while the stack waits out its window; on a failed verdict cancels the update.
 * A verification that cannot finish (AWS or the load balancer failing it) is a failed verdict: a
 * cancel keeps blue, which is the safe side. A cancel CloudFormation refuses because the window
 * already ended leaves green as the only fleet: said, and verify-alb after the update decides.
 */
async function gateInWindow(request: { stackName: string; amiId: string; blueGroup: string; healthWaitMs: number }, verifier: GreenVerifier, deps: UpdateDeps): Promise<WindowGate> {
  const { stackName, amiId, blueGroup } = request;
  const verdict: GreenVerdict = await verifier.verify({ amiId, previousGroup: blueGroup, healthWaitMs: request.healthWaitMs }).catch((error: unknown) => ({
    healthy: false,
    failures: [`the verification could not finish (${errorMessage(error)})`],
  }));
  if (verdict.healthy) {
    deps.logger.info(`Green (${amiId}) verified while blue (${blueGroup}) still exists; CloudFormation deletes blue once the window ends.`);
    return { verdict, cancelled: false };
  }
  for (const failure of verdict.failures) deps.logger.warning(`Green (${amiId}): ${failure}`);
  const outcome = await cancelUpdate(stackName, deps);
  if (outcome === 'too-late') {
    deps.logger.warning(
      `Green (${amiId}) failed verification, but the rollback-trigger window had already ended: CloudFormation refused CancelUpdateStack and deletes blue (${blueGroup}). ` +
        `verify-alb verifies the fleet after the update, and the deploy job fails back from there (a second replacement). Raise rollback-monitoring-minutes so the verdict comes inside the window.`,
    );
    return { verdict, cancelled: false };
  }
  deps.logger.info(`Cancelled the update of ${stackName} (CancelUpdateStack): CloudFormation rolls back to blue (${blueGroup}), which kept serving.`);
  return { verdict, cancelled: true };
}
