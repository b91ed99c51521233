/**
 * The end of a slots deploy's bake window (docs/templates.md, "The bake window"): the deploy job
 * and the scheduled Retire old slots workflow run check-retirement after the fleet is verified;
 * when the window ended quiet it points the working tree at the old slot scaled to zero, the job's
 * update-app-stack applies that as one CloudFormation update, and record-retirement commits what
 * the stack then runs. The stack changes first and git second, both inside one job, as with every
 * record; a run that stops between the two leaves a retirement whose record the next run completes.
 */
import { z } from 'zod';

import { wholeNumberInput } from '../../action/number-inputs';
import { AwsOperationError, errorMessage, PollTimeoutError } from '../../errors';
import { AS_TEXT, codeAmiIds, IN_SENTENCE, keyValueTable, type Quoting } from '../../markdown';
import { isSlotsParameters, liveAmiIn, otherSlot, parseParametersFile, readSlotPlan, setParameterInFile, setStackStateInFile, slotParameters, type EnvironmentConfig } from '../../parameters';
import { poll } from '../../poll';
import { judgeRetirement, stagedIdleAmi, type RetirementVerdict } from '../../slots/retirement';
import { readRetirementFacts, type RetirementDeps } from '../../slots/retirement-facts';
import { readAmiHistory } from '../ami-history';
import { composeCommitMessage, REVERTING_UPDATE_TYPES } from '../commit-metadata';
import { failbackCommand, patchForwardCommand, rerunDeployCommand } from '../failback-request';
import { readDeployedAmi } from '../deployed-ami';
import { GitError } from '../git';
import { recordAmiChange, type RecordOutcome } from '../record-change';
import { defineCommand, loadEnvironment, loadWiring, metadataParameter, recordOutputs, workspaceFiles, type CommandResult, type GitopsContext } from './context';
import { environmentName, minutes } from './inputs';

/**
 * While the deploy job waits for the window's end it reads the stack and the alarms this often:
 * an alarm that fires is acted on within a poll (the flip back follows in the same job), at six
 * reads a poll (the stack, its events, the alarms and their four histories) every 15 s.
 */
const BAKE_POLL_MS = 15_000;

/** The most a job waits: the wiring's longest window (slots.bakeSeconds is at most 3600). */
const MAX_WAIT_SECONDS = 3600;

/**
 * After the fleet is verified (deploy job; scheduled run): judge the bake window and, when it
 * ended quiet, write the old slot at capacity 0 into the working tree (no commit) for
 * update-app-stack. Waits for the window's end when it is at most `wait-seconds` away, reading the
 * alarms as it waits. Fails (output failed-in-window = true) when an alarm fired inside the
 * window, so the deploy job flips traffic back; fails too when the stack moved since git's HEAD.
 */
export const checkRetirement = defineCommand({
  description: "Judge the slots bake window; when it ended quiet, point the working tree at the old slot scaled to zero (no commit).",
  inputs: z.object({
    environment: environmentName,
    'wait-seconds': wholeNumberInput('seconds', 0, { min: 0, max: MAX_WAIT_SECONDS, maxWhy: "the wiring's longest bake window" }),
  }),
  outputs: ['verdict', 'retire', 'record', 'slot', 'retired-ami-id', 'ends-at', 'failed-in-window', 'stack-ami-id'],
  async run(inputs, ctx) {
    const { environment } = await loadEnvironment(ctx, inputs.environment);
    const deps = retirementDeps(ctx, environment);
    const awsNow = () => deps.clients.awsClock.now(`the bake window of ${environment.name}`);
    const waitMs = inputs['wait-seconds'] * 1000;
    // The job waits here for a window that ends by then (AWS's clock at the first answer + wait-seconds).
    let waitUntil: number | undefined;
    const judge = async (signal: AbortSignal): Promise<RetirementVerdict> => {
      const verdict = judgeRetirement(await readRetirementFacts(environment, deps, signal), awsNow());
      waitUntil ??= awsNow() + waitMs;
      return verdict;
    };
    // Every read, the first one included, is a poll of one wait, whose deadline (the longest the
    // job waits, plus two polls) is handed to each AWS call: a call that hangs, and the SDK's own
    // retries of it, end at the deadline instead of holding the job past it.
    let verdict: RetirementVerdict;
    try {
      verdict = (
        await poll<RetirementVerdict>({
          description: `the bake window of ${environment.name} to end`,
          check: judge,
          // A window that ends later than the job waits is left to a later run.
          isDone: (v) => v.action !== 'wait' || v.endsAtMs > waitUntil!,
          onChange: (v, previous) => {
            if (!previous && v.action === 'wait' && v.endsAtMs <= waitUntil!) ctx.logger.info(`${environment.name}: ${v.reason}. Waiting for it here, reading the alarms every ${BAKE_POLL_MS / 1000} s.`);
          },
          clock: ctx.clock,
          // The window's end plus two polls: the last read comes after it on AWS's clock.
          timeoutMs: waitMs + 2 * BAKE_POLL_MS,
          schedule: { firstDelayMs: BAKE_POLL_MS, steadyMs: BAKE_POLL_MS },
          progressKey: (v) => v.action,
        })
      ).observation;
    } catch (error) {
      if (!(error instanceof PollTimeoutError)) throw error;
      return notJudged(error as PollTimeoutError<RetirementVerdict>, environment);
    }
    return act(verdict, environment, ctx);
  },
});

/**
 * The wait reached its deadline without a verdict (AWS stopped answering, or answered too slowly):
 * nothing was changed, so the old slot stays warm, and a later run judges the window again.
 */
function notJudged(error: PollTimeoutError<RetirementVerdict>, environment: EnvironmentConfig): CommandResult {
  const last = error.lastObservation;
  const slot = last && 'slot' in last ? last.slot : undefined;
  const amiId = last && 'amiId' in last ? last.amiId : undefined;
  const what = (q: Quoting) => {
    const warm = slot ? `${slot}${amiId ? ` stays warm on ${q.id(amiId)}` : ' stays warm'}` : 'the old slot stays as it is';
    return `the window could not be judged to its end: ${error.message.replace(/ Raise timeout-minutes.*$/, '')} Nothing was changed: ${warm}; a re-run of this job, or the next scheduled Retire old slots run, judges it again`;
  };
  return {
    outputs: { verdict: 'refuse', retire: false, record: false, slot, 'retired-ami-id': amiId, 'failed-in-window': false },
    summary: `### Bake window: ${environment.name}\n\n**Not retired**, ${codeAmiIds(what(IN_SENTENCE))}.\n`,
    failure: `Bake window of ${environment.name} NOT ended: ${what(AS_TEXT)}.`,
  };
}

async function act(verdict: RetirementVerdict, environment: EnvironmentConfig, ctx: GitopsContext) {
  const file = environment.parametersFile;
  const base = { verdict: verdict.action, retire: false, record: false, slot: 'slot' in verdict ? verdict.slot : undefined, 'retired-ami-id': 'amiId' in verdict ? verdict.amiId : undefined };
  // The verdict's reasons are plain text (log lines, the failure): the summary shows the AMI IDs they name as code spans, and commands as code spans of their own.
  const summary = (headline: string) => `### Bake window: ${environment.name}\n\n${headline}\n\n${keyValueTable([['Environment', `\`${environment.name}\` (\`${file}\`)`], ['Verdict', verdict.action], ['Old slot', base.slot ? `${base.slot} on \`${base['retired-ami-id']}\`` : '-']])}\n`;
  switch (verdict.action) {
    case 'none':
      ctx.logger.info(`${environment.name}: ${verdict.reason}.`);
      return { outputs: base, summary: summary(`Nothing to retire: ${codeAmiIds(verdict.reason)}.`) };
    case 'kept': {
      const next = (q: Quoting) =>
        `This one command patches forward (it bakes a new AMI and opens its patch PR, whose deploy puts it into ${verdict.slot} in place of ${q.id(verdict.amiId)}): ${q.command(patchForwardCommand(environment.name, ctx.defaultBranch))}`;
      ctx.logger.notice(`${environment.name}: ${verdict.reason}. ${next(AS_TEXT)}.`);
      return { outputs: base, summary: summary(`Not retired: ${codeAmiIds(verdict.reason)}. ${next(IN_SENTENCE)}.`) };
    }
    case 'moved': {
      const what = (reason: string, q: Quoting) => `${reason}. ${reconcileMovedStack(verdict, environment, ctx, q)}`;
      return {
        outputs: { ...base, 'failed-in-window': false, 'stack-ami-id': verdict.stackLiveAmiId },
        summary: summary(`**Not retired**, ${what(codeAmiIds(verdict.reason), IN_SENTENCE)}`),
        failure: `Bake window of ${environment.name} NOT ended: ${what(verdict.reason, AS_TEXT)}`,
      };
    }
    case 'wait': {
      const endsAt = new Date(verdict.endsAtMs).toISOString();
      ctx.logger.notice(`${environment.name}: ${verdict.reason}. A later run ends it: the scheduled Retire old slots workflow (retire-slots.yml), or the next deploy.`);
      return { outputs: { ...base, 'ends-at': endsAt }, summary: summary(`${sentence(codeAmiIds(verdict.reason))}. A later run (the scheduled Retire old slots workflow, or the next deploy) retires it only if nothing failed meanwhile.`) };
    }
    case 'record':
      ctx.logger.warning(`${environment.name}: ${verdict.reason}; recording it.`);
      return { outputs: { ...base, record: true }, summary: summary(`${sentence(codeAmiIds(verdict.reason))}: recording it.`) };
    case 'retire': {
      const keys = slotParameters(verdict.slot);
      await workspaceFiles.write(ctx, file, setParameterInFile(await workspaceFiles.read(ctx, file), keys.capacity, '0', file));
      ctx.logger.info(`${environment.name}: ${verdict.reason}. ${file} (working tree, not committed): ${keys.capacity} = "0"; the next step scales ${verdict.slot} to zero.`);
      return { outputs: { ...base, retire: true, record: true }, summary: summary(`Retiring ${verdict.slot} (\`${verdict.amiId}\`): ${codeAmiIds(verdict.reason)}.`) };
    }
    case 'refuse': {
      const why = verdict.reasons.join('; ');
      const what = verdict.alarm
        ? `a failure inside the bake window: ${why}. ${verdict.slot ?? 'The old slot'} is kept warm; the deploy job flips traffic back to it (the Failback workflow does the same by hand)`
        : `${why}. Nothing was changed`;
      return { outputs: { ...base, 'failed-in-window': verdict.alarm }, summary: summary(`**Not retired**, ${codeAmiIds(what)}.`), failure: `Bake window of ${environment.name} NOT ended: ${what}.` };
    }
  }
}

/**
 * What to do about a stack that moved since HEAD, as the drift check says it: both AMIs, then the
 * one command that records what runs (when the live AMI differs: the Failback workflow, which
 * checks the AMI first) or that puts git's state back (the Deploy run of the file's last commit).
 */
function reconcileMovedStack(verdict: Extract<RetirementVerdict, { action: 'moved' }>, environment: EnvironmentConfig, ctx: GitopsContext, q: Quoting): string {
  const { gitLiveAmiId: git, stackLiveAmiId: stack } = verdict;
  // Which slot is live is what moved: no claim about either slot beyond both AMIs.
  const nothing = 'Nothing was changed by this run.';
  const putBack = q.command(rerunDeployCommand(verdict.fileCommit));
  if (!stack || stack === git) {
    return `${nothing} Git makes ${q.id(git)} live, and the stack's live slot runs ${stack ? q.id(stack) : 'no AMI this check can read'}; the rest of the slots differ. This one command puts git's state back (the Deploy run of ${environment.parametersFile}'s last commit, run again, deploys HEAD): ${putBack}`;
  }
  const record = q.command(failbackCommand(environment.name, stack, `record what ${environment.name} runs: its stack moved from ${git}`, ctx.defaultBranch));
  return (
    `${nothing} Git makes ${q.id(git)} live while the stack's live slot runs ${q.id(stack)}. To keep what runs, this one command records ${q.id(stack)} in git through the Failback workflow (its pre-flight checks the AMI first): ${record}. ` +
    `To put git's ${q.id(git)} back instead, re-run the Deploy of ${environment.parametersFile}'s last commit: ${putBack}`
  );
}

/** A reason as the start of a sentence. */
function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * After update-app-stack scaled the old slot to zero (or a run found it already at zero): commit
 * what the settled stack runs, so the file on the default branch says the old slot has capacity
 * 0. Its AMI stays in the file: the way back after the window (scale up, prove, flip).
 */
export const recordRetirement = defineCommand({
  description: 'Commit the retirement of the old slot (its capacity 0) once the stack runs it.',
  inputs: z.object({ environment: environmentName, 'timeout-minutes': minutes(30, 180) }),
  outputs: ['outcome', 'commit', 'pull-request-url', 'superseded-by', 'superseded-by-ami-id', 'slot', 'retired-ami-id'],
  async run(inputs, ctx) {
    const { environment } = await loadEnvironment(ctx, inputs.environment);
    const file = environment.parametersFile;
    const deployed = await readDeployedAmi(environment.stacks.app, inputs['timeout-minutes'] * 60_000, { clients: ctx.aws(environment.region), logger: ctx.logger, clock: ctx.clock });
    const headText = (await ctx.git.readFileAt('HEAD', file)) ?? '';
    const head = parseParametersFile(headText, file).parameters;
    if (!isSlotsParameters(head) || !isSlotsParameters(deployed.parameters)) {
      throw new AwsOperationError(`Retirement not recorded for ${environment.name}: ${file} or stack ${deployed.stackName} is not in the slots shape.`, deployed.stackName);
    }
    const plan = readSlotPlan(deployed.parameters);
    const slot = otherSlot(plan.live);
    const keys = slotParameters(slot);
    if (plan.slots[slot].capacity !== 0 || plan.live !== readSlotPlan(head).live) {
      throw new AwsOperationError(
        `Retirement not recorded for ${environment.name}: stack ${deployed.stackName} (${deployed.status}) has ${plan.live} live and ${keys.capacity} = "${plan.slots[slot].capacity}", not a retired ${slot} under HEAD's live slot. Nothing was committed; the deploy job's record step records what runs.`,
        deployed.stackName,
      );
    }
    const retiredAmi = plan.slots[slot].amiId;
    const rewrite = (text: string) => setStackStateInFile(text, deployed.parameters, file);
    const message = composeCommitMessage({
      subject: `Retire ${slot} in ${environment.name}: the bake window of ${deployed.amiId} ended quiet`,
      body: [
        `${slot} (${retiredAmi}) is scaled to zero: ${plan.live} ran ${deployed.amiId} through the bake window (${environment.slots.bakeSeconds} s) with every alarm quiet and no failback.`,
        `${keys.ami} stays ${retiredAmi}: a failback after the window scales ${slot} up, proves it, then flips. Recorded${ctx.runUrl ? ` by ${ctx.runUrl}` : ''} so that git says what runs.`,
      ],
      updates: [
        {
          environment: environment.name,
          'parameters-file': file,
          parameter: metadataParameter(headText, rewrite(headText), file),
          'ami-id': deployed.amiId,
          'update-type': 'retire-slot',
          'retired-ami-id': retiredAmi,
          'run-url': ctx.runUrl,
        },
      ],
    });
    let result: RecordOutcome;
    try {
      result = await recordAmiChange(
        { file, amiId: deployed.amiId, rewrite, message, branch: ctx.defaultBranch, pullRequestBranch: `gitops/record-${environment.name}`, allowPullRequest: true },
        { git: ctx.git, logger: ctx.logger, clock: ctx.clock, auth: ctx.gitAuth(), identity: ctx.identity, github: ctx.github() },
      );
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      return {
        outputs: { outcome: 'failed', slot, 'retired-ami-id': retiredAmi },
        failure: `${error.message} The stack has ${slot} at capacity 0 already: a re-run of this job (or the next scheduled Retire old slots run) records it.`,
      };
    }
    if (result.outcome === 'superseded') ctx.logger.warning(`The retirement of ${slot} is not in git: ${result.reason}. The next deploy of ${file} sets what the stack runs.`);
    return { outputs: { ...recordOutputs(result), slot, 'retired-ami-id': retiredAmi } };
  },
});

/**
 * The scheduled Retire old slots workflow's plan, from git alone (no AWS role, no environment):
 * the slots environments whose file at HEAD keeps the idle slot warm, whose live slot got live
 * by a deploy forward, and whose window cannot have ended yet by git's own time. That last test
 * is only a filter, never the decision (the commit lands before the switch, so commit time +
 * window is the earliest the window can end): the deploy job decides on AWS's clock.
 */
export const listRetirements = defineCommand({
  description: 'List the slots environments whose old slot may be due for retirement (git only; the deploy job decides).',
  inputs: z.object({ environment: environmentName.optional() }),
  outputs: ['environments', 'any'],
  async run(inputs, ctx) {
    const wiring = await loadWiring(ctx);
    const names = inputs.environment ? [inputs.environment] : wiring.promotionOrder;
    const due: string[] = [];
    for (const name of names) {
      const environment = wiring.environments[name];
      if (!environment) throw new Error(`Environment ${name} is not in ${ctx.environmentsFile}.`);
      const why = await notDueBecause(ctx, environment);
      if (why) ctx.logger.info(`${name}: skipped, ${why}.`);
      else due.push(name);
    }
    ctx.logger.info(due.length ? `Due for a look at the bake window: ${due.join(', ')}.` : 'No old slot is due for retirement.');
    return { outputs: { environments: JSON.stringify(due), any: due.length > 0 } };
  },
});

async function notDueBecause(ctx: GitopsContext, environment: EnvironmentConfig): Promise<string | undefined> {
  const file = environment.parametersFile;
  let parameters: Readonly<Record<string, string>>;
  try {
    parameters = parseParametersFile((await ctx.git.readFileAt('HEAD', file)) ?? '', file).parameters;
  } catch (error) {
    return `${file} cannot be read at HEAD (${errorMessage(error)})`;
  }
  if (!isSlotsParameters(parameters)) return 'strategy replace (no old slot)';
  const plan = readSlotPlan(parameters);
  const idle = otherSlot(plan.live);
  if (!(plan.slots[idle].capacity > 0)) return `${idle} is retired already`;
  const history = await readAmiHistory(ctx.git, file);
  const [last] = history;
  if (last?.update && REVERTING_UPDATE_TYPES.has(last.update['update-type'])) return `${liveAmiIn(parameters)} went live by a ${last.update['update-type']}: ${idle} is kept for a look`;
  const staged = stagedIdleAmi(parameters, history.find((c) => c.amiId !== last?.amiId)?.amiId);
  if (staged) return `${idle} holds ${staged}, staged for a switch`;
  const committedAt = Date.parse((await ctx.git.run(['log', '-1', '--format=%cI', 'HEAD', '--', file])).stdout.trim());
  const earliestEnd = committedAt + environment.slots.bakeSeconds * 1000;
  if (earliestEnd > ctx.clock.now()) return `its bake window cannot end before ${new Date(earliestEnd).toISOString()}`;
  return undefined;
}

function retirementDeps(ctx: GitopsContext, environment: EnvironmentConfig): RetirementDeps {
  return { clients: ctx.aws(environment.region), logger: ctx.logger, clock: ctx.clock, git: ctx.git };
}
