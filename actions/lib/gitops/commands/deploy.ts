import { z } from 'zod';

import { chooseFailbackTarget, readAmiHistory } from '../ami-history';
import { composeCommitMessage } from '../commit-metadata';
import { readDeployedAmi } from '../deployed-ami';
import { summariseDeploy, type StepOutcome } from '../deploy-report';
import { GitError } from '../git';
import { encodeNotification } from '../../notify/notification';
import { assertImageUsable, readEnvironmentAmiPolicy } from '../image-check';
import { recordAmiChange, type RecordOutcome } from '../record-change';
import { describeRevocation, findRevocation, revokedAmiIds, setLiveAmiInFile, setStackStateInFile, warmIdleAmiIn } from '../../parameters';
import { loadWorkspaceRevocations } from '../revocation-check';
import { defineCommand, loadEnvironment, metadataParameter, readCurrentAmi, recordOutputs, workspaceFiles } from './context';
import { amiId, environmentName, flag, jsonOutputOf, minutes, workflowRunId } from './inputs';

/**
 * Deploy, after a failed verification: point the working tree's parameters file at the AMI the
 * stack ran before this deploy (update-app-stack's `previous-ami-id`, else the one before HEAD's
 * in git history), for a second update-app-stack run. The target gets the failback pre-flight
 * first (available, not deprecated, an allowed owner): a refusal leaves the file and the stack as
 * they are. Nothing is committed here: the sync step records what actually runs once the failback
 * has settled.
 */
export const prepareFailback = defineCommand({
  description: 'Point the working tree at the AMI to fail back to after a failed verification (no commit).',
  inputs: z.object({ environment: environmentName, 'previous-ami-id': amiId.optional() }),
  outputs: ['ami-id', 'source'],
  async run(inputs, ctx) {
    const { environment } = await loadEnvironment(ctx, inputs.environment);
    const file = environment.parametersFile;
    const current = await readCurrentAmi(ctx, environment);
    const revocations = await loadWorkspaceRevocations(ctx.workspace);
    let target = inputs['previous-ami-id'];
    let source = 'the AMI the stack ran before this deploy';
    const revokedPrevious = target ? findRevocation(revocations, { amiId: target }) : undefined;
    if (revokedPrevious) ctx.logger.warning(`Not failing back to ${target}: ${describeRevocation(revokedPrevious, revocations)}.`);
    if (!target || target === current || revokedPrevious) {
      const chosen = chooseFailbackTarget(await readAmiHistory(ctx.git, file), current, file, revokedAmiIds(revocations));
      target = chosen.amiId;
      source = `the AMI before HEAD in git history${chosen.revoked.length ? ` (passed over revoked ${chosen.revoked.join(', ')})` : ''}`;
    }
    const deps = { clients: ctx.aws(environment.region), logger: ctx.logger, clock: ctx.clock };
    await assertImageUsable(target, environment.region, await readEnvironmentAmiPolicy(environment, deps), deps);
    await workspaceFiles.write(ctx, file, setLiveAmiInFile(await workspaceFiles.read(ctx, file), target, file));
    ctx.logger.warning(`Failing back ${environment.name} from ${current} to ${target} (${source}).`);
    return { outputs: { 'ami-id': target, source } };
  },
});

/**
 * Deploy, when anything went wrong after the stack was touched: read the AMI the stack runs once
 * it has settled and, if HEAD names another, commit and push the AMI that runs, so git stays the
 * true history of what ran where. Covers both an automatic failback and a CloudFormation rollback.
 */
/** update-app-stack's stage-evidence output, the fields the report names. */
const stageEvidenceJson = jsonOutputOf("update-app-stack's stage-evidence output").pipe(
  z.object({ slot: z.string(), amiId: z.string(), previousAmiId: z.string(), liveSlot: z.string(), liveAmiId: z.string(), samples: z.number(), errorRate: z.number() }).optional(),
);

/** update-app-stack's stage-failed output: the staged slot, both AMIs, whether the slot went back. */
const stageFailed = jsonOutputOf("update-app-stack's stage-failed output", 4096).pipe(
  z.object({ slot: z.string(), previousAmiId: z.string(), amiId: z.string(), restored: z.boolean() }).optional(),
);

export const syncFromStack = defineCommand({
  description: 'Record in git the AMI the app stack really runs, when it differs from HEAD (after a rollback or failback).',
  inputs: z.object({
    environment: environmentName,
    'requested-ami-id': amiId,
    'failed-back': flag.default(false),
    'timeout-minutes': minutes(30, 180),
    // Staging ahead: update-app-stack's stage-failed output (the staged slot failed its prove).
    'stage-failed': stageFailed.optional(),
  }),
  outputs: ['outcome', 'commit', 'pull-request-url', 'superseded-by', 'superseded-by-ami-id', 'live-ami-id', 'stack-status'],
  async run(inputs, ctx) {
    const { environment } = await loadEnvironment(ctx, inputs.environment);
    const requested = inputs['requested-ami-id'];
    const deployed = await readDeployedAmi(environment.stacks.app, inputs['timeout-minutes'] * 60_000, {
      clients: ctx.aws(environment.region),
      logger: ctx.logger,
      clock: ctx.clock,
    });
    // A slots deploy fails back inside update-app-stack (a weight flip): the stack then runs the old
    // slot while the requested AMI sits staged, warm, in the idle one.
    const failedBack = inputs['failed-back'] || (deployed.amiId !== requested && warmIdleAmiIn(deployed.parameters) === requested);
    // Three ways the stack can end up on another AMI than HEAD names: our failback, CloudFormation's
    // own rollback, or an update refused before it started (bad input, a busy stack).
    const stage = inputs['stage-failed'];
    const why = stage
      ? `Staging ${stage.amiId} in ${stage.slot} failed its prove on its own target group (no user traffic); ${stage.restored ? `${stage.slot} is back on ${stage.previousAmiId}` : `putting ${stage.slot} back failed, so it still runs ${stage.amiId} at weight 0`}; users stay on ${deployed.amiId}.`
      : failedBack
      ? `${requested} failed verification through the load balancer, so the deploy failed back to ${deployed.amiId}.`
      : deployed.rolledBack
        ? `CloudFormation rolled back the update to ${requested} (stack ${deployed.stackName} is ${deployed.status}); the stack runs ${deployed.amiId}.`
        : `The update to ${requested} did not happen (stack ${deployed.stackName} is ${deployed.status}); the stack still runs ${deployed.amiId}.`;
    const subject = stage
      ? `Record ${environment.name}'s ${stage.slot} on ${stage.restored ? stage.previousAmiId : stage.amiId}: staging ${stage.amiId} failed its prove`
      : failedBack
      ? `Fail back ${environment.name} to ${deployed.amiId}: ${requested} failed verification`
      : deployed.rolledBack
        ? `Record rollback of ${environment.name} to ${deployed.amiId}`
        : `Record that ${environment.name} still runs ${deployed.amiId}`;
    const file = environment.parametersFile;
    // The whole of what runs: in the slots shape, which slot is live and what each slot holds.
    const rewrite = (text: string) => setStackStateInFile(text, deployed.parameters, file);
    const headText = await workspaceFiles.read(ctx, file);
    const message = composeCommitMessage({
      subject,
      body: [why, `Recorded by the deploy job${ctx.runUrl ? ` ${ctx.runUrl}` : ''} so that git says what runs.`],
      updates: [
        {
          environment: environment.name,
          'parameters-file': environment.parametersFile,
          parameter: metadataParameter(headText, rewrite(headText), file),
          // A failed stage moves away from the staged AMI (so no default failback picks it).
          'previous-ami-id': stage ? stage.amiId : requested,
          'ami-id': deployed.amiId,
          'update-type': failedBack ? 'auto-failback' : 'rollback-sync',
          reason: why,
          'run-url': ctx.runUrl,
        },
      ],
    });
    const readOutputs = { 'live-ami-id': deployed.amiId, 'stack-status': deployed.status };
    let result: RecordOutcome;
    try {
      result = await recordAmiChange(
        {
          file: environment.parametersFile,
          amiId: deployed.amiId,
          rewrite,
          message,
          branch: ctx.defaultBranch,
          pullRequestBranch: `gitops/record-${environment.name}`,
          allowPullRequest: true,
        },
        { git: ctx.git, logger: ctx.logger, clock: ctx.clock, auth: ctx.gitAuth(), identity: ctx.identity, github: ctx.github() },
      );
    } catch (error) {
      // The stack was read: what it runs is a fact the report must keep, even though git could not take it.
      if (!(error instanceof GitError)) throw error;
      return { outputs: { outcome: 'failed', ...readOutputs }, failure: error.message };
    }
    return { outputs: { ...recordOutputs(result), ...readOutputs } };
  },
});

const outcome = z.enum(['success', 'failure', 'cancelled', 'skipped']).optional();

/** check-switch's stage-wait output. */
const stageWaitJson = jsonOutputOf("check-switch's stage-wait output", 4096).pipe(
  z.object({ slot: z.string(), stagedAmiId: amiId, warmAmiId: amiId, liveAmiId: amiId, endsAt: z.iso.datetime() }).optional(),
);

/** Deploy, last step (always runs): one verdict in the job summary; fails the job loudly unless it all went well. */
export const deployReport = defineCommand({
  description: "Summarise the deploy job's outcome in the job summary and fail the job unless it succeeded.",
  inputs: z.object({
    environment: environmentName,
    'requested-ami-id': z.string().optional(),
    'is-failback': flag.default(false),
    'prepare-outcome': outcome,
    'update-outcome': outcome,
    'verify-outcome': outcome,
    'failback-update-outcome': outcome,
    'failback-verify-outcome': outcome,
    'sync-outcome': outcome,
    changed: z.string().optional(),
    'stack-status': z.string().optional(),
    'failback-ami-id': z.string().optional(),
    'sync-result': z.string().optional(),
    'sync-commit': z.string().optional(),
    'sync-pull-request-url': z.string().optional(),
    'sync-superseded-by': z.string().optional(),
    'sync-superseded-by-ami-id': z.string().optional(),
    'stack-previous-ami-id': z.string().optional(),
    'live-ami-id': z.string().optional(),
    'previous-ami-id': z.string().optional(),
    // Strategy slots: update-app-stack's outputs when the deploy failed and flipped traffic back.
    'failed-step': z.string().optional(),
    'flipped-back-to': z.string().optional(),
    // A requested failback (failback.yml): what was asked and how its record step went.
    'failback-target-ami-id': z.string().optional(),
    'failback-reason': z.string().optional(),
    'failback-requested-by': z.string().optional(),
    'record-outcome': outcome,
    'record-result': z.string().optional(),
    'record-commit': z.string().optional(),
    'record-pull-request-url': z.string().optional(),
    'record-replaced-ami-id': z.string().optional(),
    'record-superseded-by': z.string().optional(),
    'record-superseded-by-ami-id': z.string().optional(),
    // Strategy slots: the bake window's steps (check-retirement, the retirement's update, its record, its verification).
    'bake-outcome': outcome,
    'bake-verdict': z.string().optional(),
    'bake-slot': z.string().optional(),
    'bake-retired-ami-id': z.string().optional(),
    'bake-ends-at': z.string().optional(),
    'bake-stack-ami-id': z.string().optional(),
    'retire-outcome': outcome,
    'retire-record-outcome': outcome,
    'retire-record-result': z.string().optional(),
    'retire-record-commit': z.string().optional(),
    'retire-record-pull-request-url': z.string().optional(),
    'retire-record-superseded-by': z.string().optional(),
    'retire-verify-outcome': outcome,
    // Strategy slots, staging ahead: update-app-stack's stage outputs and the propose-switch step.
    'stage-evidence': stageEvidenceJson.optional(),
    'stage-failed': stageFailed.optional(),
    'propose-switch-outcome': outcome,
    'switch-pull-request-url': z.string().optional(),
    // Staging ahead: check-switch's judgement ('refuse': the switch was merged onto another AMI than it names) and that AMI.
    'check-switch-judgement': z.enum(['none', 'proof', 'stale', 'refuse']).optional(),
    'switch-ami-id': amiId.optional(),
    // Staging ahead: check-switch's stage-wait (the stage held back by an open bake window).
    'stage-wait': stageWaitJson.optional(),
    // github.run_id: a verdict that asks for a re-run names the exact command.
    'run-id': workflowRunId.optional(),
  }),
  outputs: ['ok', 'headline', 'notification'],
  async run(inputs, ctx) {
    const step = (value: StepOutcome | undefined): StepOutcome => value ?? '';
    const report = summariseDeploy({
      environment: inputs.environment,
      requestedAmiId: inputs['requested-ami-id'] ?? '',
      isFailback: inputs['is-failback'],
      steps: {
        prepare: step(inputs['prepare-outcome']),
        update: step(inputs['update-outcome']),
        verify: step(inputs['verify-outcome']),
        failbackUpdate: step(inputs['failback-update-outcome']),
        failbackVerify: step(inputs['failback-verify-outcome']),
        sync: step(inputs['sync-outcome']),
      },
      changed: inputs.changed,
      stackStatus: inputs['stack-status'],
      failbackAmiId: inputs['failback-ami-id'],
      syncOutcome: inputs['sync-result'],
      syncCommit: inputs['sync-commit'],
      syncPullRequestUrl: inputs['sync-pull-request-url'],
      syncSupersededBy: inputs['sync-superseded-by'],
      syncSupersededByAmiId: inputs['sync-superseded-by-ami-id'],
      stackPreviousAmiId: inputs['stack-previous-ami-id'],
      liveAmiId: inputs['live-ami-id'],
      previousAmiId: inputs['previous-ami-id'],
      flipBack: inputs['flipped-back-to'] ? { failedStep: inputs['failed-step'] ?? '', liveSlot: inputs['flipped-back-to'] } : undefined,
      stage:
        inputs['stage-evidence'] || inputs['stage-failed']
          ? { staged: inputs['stage-evidence'], failed: inputs['stage-failed'], proposeStep: step(inputs['propose-switch-outcome']), switchPullRequestUrl: inputs['switch-pull-request-url'] || undefined }
          : undefined,
      switchRefused: inputs['check-switch-judgement'] === 'refuse' ? { switchAmiId: inputs['switch-ami-id'] } : undefined,
      stageWait: inputs['stage-wait'],
      runId: inputs['run-id'],
      repositoryUrl: ctx.repositoryUrl,
      defaultBranch: ctx.defaultBranch,
      failback: inputs['is-failback']
        ? {
            targetAmiId: inputs['failback-target-ami-id'],
            reason: inputs['failback-reason'],
            requestedBy: inputs['failback-requested-by'],
            recordStep: step(inputs['record-outcome']),
            recordResult: inputs['record-result'],
            recordCommit: inputs['record-commit'],
            recordPullRequestUrl: inputs['record-pull-request-url'],
            replacedAmiId: inputs['record-replaced-ami-id'],
            supersededBy: inputs['record-superseded-by'],
            supersededByAmiId: inputs['record-superseded-by-ami-id'],
          }
        : undefined,
      retirement: {
        bake: step(inputs['bake-outcome']),
        verdict: inputs['bake-verdict'],
        slot: inputs['bake-slot'],
        retiredAmiId: inputs['bake-retired-ami-id'],
        endsAt: inputs['bake-ends-at'],
        stackAmiId: inputs['bake-stack-ami-id'],
        update: step(inputs['retire-outcome']),
        record: step(inputs['retire-record-outcome']),
        recordResult: inputs['retire-record-result'],
        recordCommit: inputs['retire-record-commit'],
        recordPullRequestUrl: inputs['retire-record-pull-request-url'],
        recordSupersededBy: inputs['retire-record-superseded-by'],
        verify: step(inputs['retire-verify-outcome']),
      },
    });
    if (report.ok) ctx.logger.info(report.headline);
    return {
      outputs: { ok: report.ok, headline: report.headline, notification: encodeNotification(report.notification) },
      summary: report.markdown,
      failure: report.ok ? undefined : report.headline,
    };
  },
});
