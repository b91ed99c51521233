import { z } from 'zod';

import { describeStack } from '../../cloudformation/stack-state';
import { InputError } from '../../errors';
import { codeAmiIds, markdownTable } from '../../markdown';
import { accountOfRoleArn, bumpAmiInFile, getEnvironment, liveAmiIn, parseParametersFile, warmIdleAmiIn, type EnvironmentConfig, type EnvironmentsConfig, type Wave } from '../../parameters';
import { readBuildEvidence } from '../../promotion/build-evidence';
import { assertDeployAllowed, judgeDeployOfAmi } from '../../promotion/promotion-gate';
import { ensureImageCopy, readCopyOrigin, readCopySource } from '../../promotion/image-copy';
import { planCopyEncryption, type CopyEncryption } from '../../promotion/copy-encryption';
import { shareForCopy } from '../../promotion/source-share';
import { amiFor, composePromotionText, needsBump, promotionBranch, type PromotionTarget } from '../../promotion/promotion-pr';
import { readSoakEvidence } from '../../promotion/soak-evidence';
import { judgeSoak, type SoakVerdict } from '../../promotion/soak-verdict';
import { readAmiHistory } from '../ami-history';
import { assertAmiAllowed, readEnvironmentAmiPolicy } from '../image-check';
import { findFileMoveOnBranch } from '../record-change';
import { assertAmiNotRevoked } from '../revocation-check';
import { defineCommand, loadEnvironment, loadWiring, metadataParameter, readCurrentAmi, workspaceFiles, type GitopsContext } from './context';
import { amiId as amiIdInput, commitish, environmentName, wiringNumberOverride } from './inputs';

/** Promote workflow, plan: every wave that can receive a promotion (all but the first), for a matrix. */
export const listPromotionWaves = defineCommand({
  description: 'List the waves a promotion can go to (every wave after the first, or the one asked for), in order.',
  inputs: z.object({ wave: environmentName.optional() }),
  outputs: ['waves', 'any'],
  async run(inputs, ctx) {
    const wiring = await loadWiring(ctx);
    // A dispatch naming one wave is checked here, before any job assumes a role.
    const waves = inputs.wave ? [wavePair(wiring, inputs.wave).to.name] : wiring.waves.slice(1).map((w) => w.name);
    return { outputs: { waves: JSON.stringify(waves), any: waves.length > 0 } };
  },
});

/** The receiving wave and the one before it; an InputError for the first wave or an unknown name. */
function wavePair(wiring: EnvironmentsConfig, name: string): { from: Wave; to: Wave } {
  const index = wiring.waves.findIndex((w) => w.name === name);
  if (index < 0) throw new InputError(`Unknown wave "${name}" for ${wiring.file}: the waves are ${wiring.waves.map((w) => w.name).join(', ')}. Use one of them.`, { file: wiring.file });
  if (index === 0) throw new InputError(`No promotion to wave "${name}" in ${wiring.file}: it is the first wave, which the patch PR bakes for. Promote to a later wave (${wiring.waves.slice(1).map((w) => w.name).join(', ') || 'there is none'}).`, { file: wiring.file });
  return { from: wiring.waves[index - 1], to: wiring.waves[index] };
}

/** Whether a target runs a copy rather than the proven AMI itself: it is in another region, or (with a copy role) another account. */
function getsCopy(target: PromotionTarget, sourceRegion: string): boolean {
  return target.copyRoleArn !== undefined || target.region !== sourceRegion;
}

/** EC2 where the target's copy lives: its region, through its copy role when it is in another account. */
function targetEc2(ctx: GitopsContext, target: PromotionTarget) {
  return target.copyRoleArn ? ctx.awsAs(target.region, target.copyRoleArn).ec2 : ctx.aws(target.region).ec2;
}

/**
 * Whether every target already runs `amiId` (or, staging ahead, stages it for its switch), or (in
 * another region or account) a copy tagged as made from it; `staged`: the targets that only stage it.
 */
async function everyTargetHolds(ctx: GitopsContext, targets: readonly PromotionTarget[], amiId: string, sourceRegion: string): Promise<{ all: boolean; staged: string[] }> {
  const staged: string[] = [];
  for (const t of targets) {
    const isIt = async (held: string | undefined) => held !== undefined && (held === amiId || (getsCopy(t, sourceRegion) && (await readCopySource(held, targetEc2(ctx, t))) === amiId));
    if (await isIt(t.currentAmiId)) continue;
    if (!(await isIt(t.stagedAmiId))) return { all: false, staged };
    staged.push(t.environment);
  }
  return { all: true, staged };
}

/** A receiving environment as the promotion sees it: what its file makes live and, staging ahead, what it stages. */
async function promotionTarget(ctx: GitopsContext, name: string, environment: EnvironmentConfig): Promise<PromotionTarget> {
  const stageAhead = environment.slots.stageAhead;
  const parameters = stageAhead ? parseParametersFile(await workspaceFiles.read(ctx, environment.parametersFile), environment.parametersFile).parameters : undefined;
  return {
    environment: name,
    parametersFile: environment.parametersFile,
    region: environment.region,
    copyRoleArn: environment.copyRoleArn,
    copyKmsKeyArn: environment.copyKmsKeyArn,
    currentAmiId: await readCurrentAmi(ctx, environment),
    stageAhead,
    stagedAmiId: parameters && warmIdleAmiIn(parameters),
  };
}

/** The patch PR's rewrite (bumpAmiInFile) of one file in the working tree: made live, or staged ahead; returns the metadata's parameter. */
async function writeBump(ctx: GitopsContext, file: string, amiId: string, stageAhead: boolean): Promise<string> {
  const text = await workspaceFiles.read(ctx, file);
  const bumped = bumpAmiInFile(text, amiId, file, stageAhead);
  await workspaceFiles.write(ctx, file, bumped.text);
  return metadataParameter(text, bumped.text, file);
}

/** The AMI the open promotion PR proposes for the wave's first environment (the source, for a copy), read from its branch (fetched by a full checkout). */
async function proposedOnBranch(ctx: GitopsContext, branch: string, target: PromotionTarget, sourceRegion: string): Promise<string | undefined> {
  const ref = `refs/remotes/origin/${branch}`;
  if (!(await ctx.git.hasCommit(ref))) return undefined;
  const text = await ctx.git.readFileAt(ref, target.parametersFile);
  if (text === undefined) return undefined;
  const parameters = parseParametersFile(text, target.parametersFile).parameters;
  // Staging ahead, the branch's bump is the AMI its idle slot holds, not the live one.
  const ami = target.stageAhead ? warmIdleAmiIn(parameters) : liveAmiIn(parameters);
  if (!ami || ami === target.currentAmiId || ami === target.stagedAmiId) return undefined;
  // In another region or account the branch names a copy: what it proposes is the copy's source.
  return getsCopy(target, sourceRegion) ? ((await readCopySource(ami, targetEc2(ctx, target))) ?? ami) : ami;
}

function verdictTable(verdict: SoakVerdict): string {
  return markdownTable(
    ['Environment', 'Verdict', 'Soak ends'],
    verdict.environments.map((e) => [e.environment, e.ok ? '✅ proven' : `⏳ ${codeAmiIds(e.blockers.join('; '))}`, e.soakEndsAtMs === undefined ? '-' : new Date(e.soakEndsAtMs).toISOString()]),
  );
}

/**
 * Promote workflow, per receiving wave: has every environment of the wave before it run one AMI
 * verified for its soak (no failback record, stack settled on it, rollback alarms quiet through
 * the soak)? If so, and it is not revoked, rewrite the AMI line of each environment of the wave in
 * the working tree for create-pull-request, with the evidence as the PR body. When the open PR
 * proposes an AMI the wave has moved on from, `close-stale` says so (the workflow then lets
 * create-pull-request close it: the working tree has no change).
 */
export const proposePromotion = defineCommand({
  description: 'Decide whether the wave before `wave` proved an AMI and, if so, write the promotion bump and compose its PR.',
  inputs: z.object({
    wave: environmentName,
    // Overrides every environment's soak for this run (e.g. 0 to rehearse locally); alarms and failbacks are still checked. */
    'soak-minutes': wiringNumberOverride('minutes', { min: 0, max: 43_200, maxWhy: "30 days, the wiring's soakMinutes maximum" }),
  }),
  outputs: ['promotable', 'ami-id', 'blockers', 'close-stale', 'stale-ami-id', 'branch', 'title', 'body', 'commit-message', 'paths', 'bumps', 'base-commit'],
  async run(inputs, ctx) {
    const wiring = await loadWiring(ctx);
    const { from, to } = wavePair(wiring, inputs.wave);
    const branch = promotionBranch(to.name);
    const override = inputs['soak-minutes'];
    const evidence = [];
    const spansRegions = new Set(from.environments.map((name) => getEnvironment(wiring, name).region)).size > 1;
    for (const name of from.environments) {
      const environment = getEnvironment(wiring, name);
      const soakMinutes = override ?? environment.soakMinutes;
      const deps = { git: ctx.git, clients: ctx.aws(environment.region), logger: ctx.logger, clock: ctx.clock };
      const soak = await readSoakEvidence({ ...environment, soakMinutes }, deps);
      // A wave may span regions: an environment away from the image's region runs a copy, judged as its source.
      const copyOf = spansRegions && soak.headAmiId ? await readCopyOrigin(soak.headAmiId, deps.clients.ec2) : undefined;
      evidence.push(copyOf ? { ...soak, copyOf } : soak);
    }
    // AWS's time (aws-clock.ts), from the wave's own region: a runner ahead by hours would end a soak early.
    const soakRegion = getEnvironment(wiring, from.environments[from.environments.length - 1]).region;
    const verdict = judgeSoak(evidence, ctx.aws(soakRegion).awsClock.now(`the soak of wave ${from.name}`));
    const amiId = verdict.candidateAmiId;
    const targets: PromotionTarget[] = [];
    for (const name of to.environments) targets.push(await promotionTarget(ctx, name, getEnvironment(wiring, name)));
    // Where the image itself lives: the environment of the wave that runs it rather than a copy (else the copies' SourceRegion).
    const original = evidence.find((e) => e.headAmiId === amiId);
    const source = getEnvironment(wiring, original?.environment ?? from.environments[0]);
    const sourceRegion = original?.region ?? evidence.find((e) => e.copyOf?.amiId === amiId)?.copyOf?.region ?? source.region;
    const proposed = await proposedOnBranch(ctx, branch, targets[0], sourceRegion);
    const blockers = [...verdict.blockers];
    const held = verdict.promotable && amiId !== undefined ? await everyTargetHolds(ctx, targets, amiId, sourceRegion) : undefined;
    if (held?.all) blockers.push(`wave ${to.name} already runs ${amiId}${held.staged.length ? ` (staged ahead in ${held.staged.join(', ')}: merging the switch PR moves users)` : ''}: nothing to promote`);
    const promotable = blockers.length === 0 && amiId !== undefined;
    const stale = proposed !== undefined && (!promotable || proposed !== amiId) ? proposed : undefined;
    const heading = `## Promotion to wave \`${to.name}\` from wave \`${from.name}\`${override === undefined ? '' : ` (soak overridden to ${override} min for this run)`}`;

    if (!promotable) {
      ctx.logger.notice(`No promotion to wave ${to.name}: ${blockers.join(' | ')}${stale ? `; the open PR's ${stale} is superseded and will be closed` : ''}.`);
      return {
        outputs: { promotable: false, 'ami-id': amiId, blockers: blockers.join('\n'), 'close-stale': stale !== undefined, 'stale-ami-id': stale, branch },
        // The blockers are plain text (an output, the log line above); the summary shows their AMI IDs as code spans.
        // The list only when the lead names one of several (a single blocker is said once, in the lead).
        summary: [
          heading,
          `**${amiId ? `\`${amiId}\`` : 'No AMI'} is not promoted to wave \`${to.name}\`: ${codeAmiIds(blockers[0])}${blockers.length > 1 ? ` (and ${blockers.length - 1} more, below)` : ''}. No file was changed.**`,
          ...(blockers.length > 1 ? [blockers.map((b) => `- ${codeAmiIds(b)}`).join('\n')] : []),
          verdictTable(verdict),
        ].join('\n\n'),
      };
    }

    const sourceClients = ctx.aws(sourceRegion);
    const previous = (await readAmiHistory(ctx.git, source.parametersFile)).find((c) => c.amiId !== amiId)?.amiId;
    const build = await readBuildEvidence(amiId, previous, { clients: { ec2: sourceClients.ec2, imageBuilder: sourceClients.imageBuilder }, logger: ctx.logger, clock: ctx.clock });
    await assertAmiNotRevoked(ctx, { amiId, imageArn: build.imageArn }, `Promotion to wave ${to.name}`);
    // Each receiving environment judges the AMI by its own allowlist (its account may differ from the
    // wave before's) before any copy is made or file written; a copy to another region is judged by
    // its source, the AMI the wave before ran.
    for (const name of to.environments) {
      const environment = getEnvironment(wiring, name);
      const sourceDeps = { clients: sourceClients, logger: ctx.logger, clock: ctx.clock };
      const policy = await readEnvironmentAmiPolicy(environment, { clients: ctx.aws(environment.region), logger: ctx.logger, clock: ctx.clock }, { environment: source, deps: sourceDeps });
      await assertAmiAllowed(amiId, sourceRegion, policy, { clients: sourceClients, logger: ctx.logger, clock: ctx.clock }, `Promotion to ${name} (wave ${to.name}) refused`);
    }
    // Into another account, the keys decide whether a copy can work at all (copy-encryption.ts): for every such environment before any share or copy.
    const encryption = new Map<string, CopyEncryption>();
    for (const t of targets.filter((target) => target.copyRoleArn !== undefined)) {
      const request = { amiId, sourceRegion, environment: t.environment, copyRoleArn: t.copyRoleArn!, account: accountOfRoleArn(t.copyRoleArn!), targetRegion: t.region, copyKmsKeyArn: t.copyKmsKeyArn, wiringFile: wiring.file };
      const sides = { source: { ec2: sourceClients.ec2, kms: ctx.kms(sourceRegion) }, target: { kms: ctx.awsAs(t.region, t.copyRoleArn!).kms } };
      encryption.set(t.environment, await planCopyEncryption(request, sides));
    }
    // Every copy first: a copy that fails ends the run before any file is written. A copy into
    // another account is made there by its copy role, while the source shares the AMI for it; the
    // tags' values (the image ARN above all) come from the source side, which alone can read them.
    for (const t of targets.filter((target) => getsCopy(target, sourceRegion))) {
      const keys = encryption.get(t.environment);
      const request = { sourceAmiId: amiId, sourceRegion, targetRegion: t.region, imageArn: build.imageArn, name: `${amiId}-promoted-${to.name}`, kmsKeyId: keys?.kmsKeyId, sourceKeys: keys?.sourceKeys };
      const share = t.copyRoleArn ? shareForCopy({ amiId, account: accountOfRoleArn(t.copyRoleArn), region: sourceRegion }, { clients: { ec2: sourceClients.ec2 }, logger: ctx.logger, clock: ctx.clock }) : undefined;
      t.copy = await ensureImageCopy(request, { clients: { ec2: targetEc2(ctx, t) }, logger: ctx.logger, clock: ctx.clock }, share);
    }
    for (const t of targets.filter((target) => needsBump(target, amiId))) {
      t.parameter = await writeBump(ctx, t.parametersFile, amiFor(t, amiId), t.stageAhead === true);
    }
    const text = composePromotionText({
      amiId,
      imageArn: build.imageArn,
      from,
      to,
      targets,
      evidence,
      verdict,
      buildEvidenceMarkdown: build.markdown,
      supersedes: proposed !== undefined && proposed !== amiId ? proposed : undefined,
      runUrl: ctx.runUrl,
      note: override === undefined ? undefined : `The soak was overridden to ${override} minutes for this run (the wiring says ${evidence.map((e) => `${e.environment} ${getEnvironment(wiring, e.environment).soakMinutes ?? 'default'}`).join(', ')}).`,
    });
    const bumps = Object.fromEntries(targets.filter((t) => needsBump(t, amiId)).map((t) => [t.parametersFile, amiFor(t, amiId)]));
    const paths = Object.keys(bumps);
    ctx.logger.info(`Promotable: ${amiId} from wave ${from.name} to wave ${to.name} (${paths.join(', ')}); pull request "${text.title}" on ${branch}.`);
    return {
      outputs: { promotable: true, 'ami-id': amiId, blockers: '', 'close-stale': false, branch, title: text.title, body: text.body, 'commit-message': text.commitMessage, paths: paths.join('\n'), bumps: JSON.stringify(bumps), 'base-commit': await ctx.git.resolveCommit('HEAD') },
      summary: `${heading}\n\n**✅ \`${amiId}\` is proven in wave \`${from.name}\`: the pull request on \`${branch}\` moves ${targets.filter((t) => needsBump(t, amiId)).map((t) => `\`${t.environment}\` from \`${t.currentAmiId}\` to \`${amiFor(t, amiId)}\`${t.stageAhead ? ' (staged in its idle slot, a switch PR follows)' : ''}`).join(', ')}; merging it deploys them.**\n\n${verdictTable(verdict)}`,
    };
  },
});

/** `{ "<parameters file>": "<AMI>" }`, as propose-promotion's `bumps` output writes it. */
const bumpsJson = z
  .string()
  .max(65_536)
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON: propose-promotion\'s bumps output, {"<parameters file>": "<AMI>"}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), amiIdInput).refine((b) => Object.keys(b).length > 0, 'must name at least one parameters file'));

/**
 * Promote workflow, the job that opens the PR (it holds the GitHub App's token, not the promotion
 * role): writes again the bumps propose-promotion wrote in the decide job's checkout. Only the
 * parameters files of the wave's own environments may be named, so a promotion PR never touches
 * another environment's file whatever the output says.
 *
 * A compare-and-swap, as every record and failback is (record-change.ts): each file on the default
 * branch, fetched now, must still be what it was at `base-commit`, the commit the decision was made
 * from. A stale run (a re-run of an old job, a queued run) whose file moved since (a failback, a
 * merged promotion, a hand edit) stops and says what moved: its PR would put the older decision
 * back over the newer one. A file that already names its bump (the promotion is merged) is left out.
 */
export const applyPromotion = defineCommand({
  description: "Write propose-promotion's bumps (parameters file → AMI) into the working tree, for the wave's environments only, if no file moved on the default branch since the decision.",
  inputs: z.object({ wave: environmentName, bumps: bumpsJson, 'base-commit': commitish.optional() }),
  outputs: ['paths'],
  async run(inputs, ctx) {
    const wiring = await loadWiring(ctx);
    const { to } = wavePair(wiring, inputs.wave);
    const files = new Map(to.environments.map((name) => [getEnvironment(wiring, name).parametersFile, name]));
    const foreign = Object.keys(inputs.bumps).filter((file) => !files.has(file));
    if (foreign.length > 0) {
      throw new InputError(
        `apply-promotion for wave ${to.name} was given ${foreign.join(', ')}, not a parameters file of the wave's environments (${[...files.keys()].join(', ')}). Pass propose-promotion's bumps output for the same wave.`,
        { file: wiring.file },
      );
    }
    const stagesAhead = (file: string) => getEnvironment(wiring, files.get(file)!).slots.stageAhead;
    const base = await baseCommitOf(ctx, inputs['base-commit']);
    const moved: string[] = [];
    const bumps: [string, string][] = [];
    for (const [file, ami] of Object.entries(inputs.bumps)) {
      const move = await findFileMoveOnBranch(ctx.git, { file, base, branch: ctx.defaultBranch }, ctx.gitAuth());
      if (!move) bumps.push([file, ami]);
      else if (move.amiId === ami || (await bumpedAlready(ctx, move.commit, file, ami, stagesAhead(file)))) ctx.logger.info(`${file} (${files.get(file)}) already names ${ami} on ${ctx.defaultBranch} since ${move.commit.slice(0, 12)} ("${move.subject}"): nothing to propose for it.`);
      else moved.push(`${file} (${files.get(file)}): ${move.commit.slice(0, 12)} ("${move.subject}") ${move.amiId ? `names ${move.amiId}` : 'changed it'}, and proposing ${ami} over it would undo that newer decision`);
    }
    if (moved.length > 0) {
      const failure =
        `Promotion to wave ${to.name} NOT proposed: ${ctx.defaultBranch} changed ${moved.length === 1 ? 'a file' : 'files'} of the wave after ${base.slice(0, 12)}, the commit this promotion was decided from: ${moved.join('; ')}. ` +
        `Nothing was written, so no pull request is opened or updated. The next Promote run decides again from ${ctx.defaultBranch} as it is now (or now: gh workflow run promote.yml --ref ${ctx.defaultBranch} -f wave=${to.name}).`;
      return { outputs: { paths: '' }, failure };
    }
    for (const [file, ami] of bumps) {
      await writeBump(ctx, file, ami, stagesAhead(file));
      ctx.logger.info(`${file} (${files.get(file)}): ${stagesAhead(file) ? 'staged in the idle slot' : 'the live AMI'} → ${ami}.`);
    }
    return { outputs: { paths: bumps.map(([file]) => file).join('\n') } };
  },
});

/** Whether the file as `commit` left it already has the bump (staging ahead: the AMI staged; the merged promotion). */
async function bumpedAlready(ctx: GitopsContext, commit: string, file: string, amiId: string, stageAhead: boolean): Promise<boolean> {
  const text = await ctx.git.readFileAt(commit, file);
  if (text === undefined) return false;
  try {
    return Object.keys(bumpAmiInFile(text, amiId, file, stageAhead).changes).length === 0;
  } catch {
    return false;
  }
}

/** The commit a decision was made from, checked to be in this clone (default: the checkout's HEAD). */
async function baseCommitOf(ctx: GitopsContext, revision = 'HEAD'): Promise<string> {
  if (!(await ctx.git.hasCommit(revision))) {
    throw new InputError(`base-commit ${revision} is not in this clone: pass propose-promotion's base-commit output, and check out the same commit (the workflow run's).`);
  }
  return ctx.git.resolveCommit(revision);
}

/**
 * Deploy, before the stack is touched: refuses to put into an environment of a later wave an AMI
 * that no earlier wave ran without a failback (a bake for the environment itself passes, with a
 * warning). What the stack already runs always passes: a template-only change puts nothing new
 * into service. Reads git; DescribeStacks (the deploy role has it) only when git alone would refuse.
 */
export const checkWaveGate = defineCommand({
  description: 'Refuse to deploy to a later wave an AMI no earlier wave verified (run before the stack update).',
  inputs: z.object({ environment: environmentName }),
  outputs: ['allowed', 'why'],
  async run(inputs, ctx) {
    const { wiring, environment } = await loadEnvironment(ctx, inputs.environment);
    const amiId = await readCurrentAmi(ctx, environment);
    const change = (await readAmiHistory(ctx.git, environment.parametersFile))[0];
    const verdict = await judgeDeployOfAmi(
      {
        wiring,
        environment: environment.name,
        amiId,
        change: change?.amiId === amiId ? change : undefined,
        readStackAmi: () => readStackAmi(ctx, environment.stacks.app, environment.region),
        readCopySource: () => readCopySource(amiId, ctx.aws(environment.region).ec2),
      },
      ctx.git,
    );
    assertDeployAllowed(verdict, environment.name, amiId, environment.parametersFile);
    if (verdict.allowed && verdict.warning) ctx.logger.warning(verdict.warning);
    else ctx.logger.info(`${environment.name} may run ${amiId}: ${verdict.why}.`);
    return { outputs: { allowed: true, why: verdict.why } };
  },
});

/** The AMI the app stack runs, or undefined when it has no stack yet. */
async function readStackAmi(ctx: GitopsContext, stackName: string, region: string): Promise<string | undefined> {
  const stack = await describeStack(stackName, { clients: ctx.aws(region), logger: ctx.logger, clock: ctx.clock });
  return stack ? liveAmiIn(stack.parameters) : undefined;
}
