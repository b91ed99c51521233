/**
 * `parameters/environments.json`: which environments exist, their promotion order, and each one's
 * region, parameters file, app template and stack names (DESIGN.md §3.1). Validated by
 * `parameters/environments.schema.json` (draft 2020-12, bundled into the action so a loosened copy
 * in a checkout cannot weaken it) plus the checks a schema cannot express.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import schema from '../../../parameters/environments.schema.json';
import { InputError } from '../errors';
import { closestName, quote, throwIfProblems, type FileProblem } from './file-problems';
import type { JsonSource } from './json-source';
import { findRepositoryFileProblem } from './repository-file';
import { checkSchemaFile, loadSchemaFile, type CheckedSchemaFile, type SchemaFileRules } from './schema-file';
import { isSlotsTemplate } from './slots';
import { parseTemplateParameters } from './template-parameters';

/** Where the wiring file lives, relative to the repository root. */
export const ENVIRONMENTS_FILE = 'parameters/environments.json';

/** The message head for every problem of the wiring file. */
const WIRING_INVALID = 'Environment wiring invalid';

const RULES: SchemaFileRules = {
  whatFailed: WIRING_INVALID,
  what: 'Environment wiring file',
  schema,
  maxBytes: 64 * 1024,
  missingFix: `Create it (see docs/parameters.md) or pass the right path; workflows read ${ENVIRONMENTS_FILE} from the repository root`,
  emptyFix: 'Write the wiring object (see docs/parameters.md)',
  duplicateFix: 'Delete or rename one of them',
};

/** The stacks of one environment, by role. */
export interface EnvironmentStacks {
  network: string;
  app: string;
  imagePipeline: string;
  automation: string;
  /** templates/github-oidc.yaml; optional in the file, see {@link environmentStackNames}. */
  githubOidc?: string;
  /** templates/github-dispatch.yaml (the optional AWS → GitHub event path); optional in the file. */
  githubDispatch?: string;
}

/** The stacks bootstrap passes parameters to (the app stack's come from its parameters file). */
export type StackParameterRole = 'network' | 'imagePipeline' | 'githubOidc' | 'automation' | 'githubDispatch';

/** One environment's wiring. Paths are repository-relative, as written in the file. */
export interface EnvironmentConfig {
  name: string;
  region: string;
  parametersFile: string;
  appTemplate: string;
  stacks: EnvironmentStacks;
  verify: { path: string; watchSeconds: number; maxErrorRate: number };
  /** How a new AMI reaches users (default `replace`); `slots` needs a slots app template. */
  strategy: DeployStrategy;
  /** The slots deploy's steps, defaults filled in (present for every environment; used by `slots`). */
  slots: SlotsSettings;
  /** Extra parameter values for the stacks bootstrap deploys, by stack role. */
  stackParameters?: Partial<Record<StackParameterRole, Record<string, string>>>;
  /** How long an AMI must run verified here before the next wave may get it; see {@link soakMinutesOf}. */
  soakMinutes?: number;
  /** Who is told about deploy verdicts and the checks' findings; absent means nothing is sent. */
  notify?: NotifySettings;
  /** Who may own an AMI the environment deploys (see actions/lib/ami-policy.ts); absent: {@link defaultAmiOwners}. */
  amiOwners?: readonly string[];
  /** The account its image pipeline runs in when that is not the environment's own (a central build account). */
  imagePipelineAccount?: string;
  /**
   * The allowlist when amiOwners is absent, filled in by loadEnvironments: the environment's own
   * account and the accounts that build its images (see {@link defaultAmiOwnersOf}). Absent in an
   * EnvironmentConfig made by hand: `["self"]`.
   */
  defaultAmiOwners?: readonly string[];
  /** S3 bucket for an app template over the inline limit (cloudformation/template-source.ts); absent: none. */
  templateBucket?: string;
  /** In another account than the promotion role's: the role there that makes the environment's copy of a promoted AMI. */
  copyRoleArn?: string;
  /** With copyRoleArn: the key (of that account, in the environment's region) an encrypted AMI's copy is re-encrypted with. */
  copyKmsKeyArn?: string;
}

/** The 12-digit account of an IAM role ARN (`arn:aws:iam::<account>:role/<name>`, as the schema admits it). */
export function accountOfRoleArn(roleArn: string): string {
  return roleArn.split(':')[4];
}

/**
 * Where an environment's notifications go (docs/parameters.md). The webhook's URL is a secret of
 * the GitHub environment (NOTIFY_WEBHOOK_URL), so the file only says which chat's JSON it takes.
 */
export interface NotifySettings {
  snsTopicArn?: string;
  webhook?: WebhookKind;
}

export type WebhookKind = 'slack' | 'teams';

/** One wave of the promotion order: environments that deploy in parallel, gated on the wave before. */
export interface Wave {
  name: string;
  /** In the order the file lists them. */
  environments: readonly string[];
  /** How many deploy at once; all of them when the file says nothing. */
  maxParallel: number;
}

export type DeployStrategy = 'replace' | 'slots';

/** One environment as the file has it: the optional strategy and slots settings may be absent. */
type RawEnvironment = Omit<EnvironmentConfig, 'name' | 'strategy' | 'slots' | 'defaultAmiOwners'> & { strategy?: DeployStrategy; slots?: Partial<SlotsSettings> };

/** The slots deploy's step settings (docs/parameters.md). */
export interface SlotsSettings {
  canaryWeight: number;
  canarySeconds: number;
  bakeSeconds: number;
  /**
   * Two PRs per patch (docs/parameters.md, "Staging ahead"): the patch PR stages the new AMI in the
   * idle slot at weight 0 (its deploy proves it and proposes the switch), and the switch PR moves
   * the traffic. False: one patch PR proposes the switch, and its deploy stages, proves and switches.
   */
  stageAhead: boolean;
}

/** The slots settings when the wiring leaves them out (documented in the schema). */
export const SLOTS_DEFAULTS: SlotsSettings = { canaryWeight: 10, canarySeconds: 120, bakeSeconds: 300, stageAhead: false };

/** The whole wiring file, validated. */
export interface EnvironmentsConfig {
  file: string;
  /** Every environment, once, in the order an AMI is promoted through them (the waves, flattened). */
  promotionOrder: readonly string[];
  /** The waves; a file with only promotionOrder has a wave of one per environment, named after it. */
  waves: readonly Wave[];
  environments: Readonly<Record<string, EnvironmentConfig>>;
  /** The AMI lifecycle job's limits, defaults filled in. */
  lifecycle: { keepFailbackAmis: number; retireAfterDays: number };
  /** The patch-debt check's limits, defaults filled in. */
  patchDebt: { maxAmiAgeDays: number; maxCriticalOpenDays: number };
}

/** The wiring's optional limits when the file leaves them out (documented in the schema). */
export const LIFECYCLE_DEFAULTS = { keepFailbackAmis: 3, retireAfterDays: 30 } as const;
export const PATCH_DEBT_DEFAULTS = { maxAmiAgeDays: 30, maxCriticalOpenDays: 7 } as const;
/** An environment's soak when its wiring sets none: a day of quiet alarms before the next wave. */
export const DEFAULT_SOAK_MINUTES = 1440;

/** The environment's soak time in minutes, the default filled in. */
export function soakMinutesOf(environment: Pick<EnvironmentConfig, 'soakMinutes'>): number {
  return environment.soakMinutes ?? DEFAULT_SOAK_MINUTES;
}

/** The index of the wave an environment belongs to (every environment is in exactly one). */
export function waveIndexOf(config: Pick<EnvironmentsConfig, 'waves'>, environment: string): number {
  return config.waves.findIndex((wave) => wave.environments.includes(environment));
}

/**
 * Loads and validates the wiring file: the schema, then that promotionOrder lists exactly the
 * environments there are, that no stack name or parameters file is shared by two roles or
 * environments, and that each parametersFile and appTemplate exists. Paths in the file are
 * relative to `rootDir`, by default the directory above the one holding the file (the repository
 * root for parameters/environments.json). All problems are reported together in one InputError.
 */
export async function loadEnvironments(file: string = ENVIRONMENTS_FILE, options: { rootDir?: string } = {}): Promise<EnvironmentsConfig> {
  const rootDir = options.rootDir ?? path.dirname(path.dirname(path.resolve(file)));
  // Read where the path points (relative to the process's directory), named as it was given.
  return wiringOf(await loadSchemaFile({ file, root: rootDir, readFrom: file }, RULES), file, rootDir);
}

/** Validates the wiring file's text; see {@link loadEnvironments}. */
export function parseEnvironments(text: string, file: string, rootDir: string): EnvironmentsConfig {
  return wiringOf(checkSchemaFile(text, file, RULES), file, rootDir);
}

/** The schema-valid wiring checked for what a schema cannot say, defaults filled in. */
function wiringOf({ source, problems }: CheckedSchemaFile, file: string, rootDir: string): EnvironmentsConfig {
  const given = source.value as RawWiring;
  problems.push(...checkOrderGiven(given, source));
  throwIfProblems(WIRING_INVALID, file, problems);
  const waves = wavesOf(given);
  const raw = { ...given, promotionOrder: waves.flatMap((w) => w.environments) };
  const missing = checkFilesExist(raw, source, rootDir);
  problems.push(
    ...checkWaves(given, source),
    ...checkPromotionOrder(raw, source, given.waves ? 'waves' : 'promotionOrder'),
    ...checkUniqueness(raw, source),
    ...checkAmiOwnersTrustPipeline(raw, source),
    ...checkCopyKeys(raw, source),
    ...checkStageAhead(raw, source),
    ...missing,
  );
  if (missing.length === 0) problems.push(...checkStrategyTemplates(raw, source, rootDir));
  throwIfProblems(WIRING_INVALID, file, problems);

  const environments: Record<string, EnvironmentConfig> = {};
  for (const [name, environment] of Object.entries(raw.environments)) {
    environments[name] = {
      name,
      ...environment,
      strategy: environment.strategy ?? 'replace',
      slots: { ...SLOTS_DEFAULTS, ...environment.slots },
      defaultAmiOwners: defaultAmiOwnersOf(name, raw.environments, waves),
    };
  }
  return {
    file,
    promotionOrder: raw.promotionOrder,
    waves,
    environments,
    lifecycle: { ...LIFECYCLE_DEFAULTS, ...raw.lifecycle },
    patchDebt: { ...PATCH_DEBT_DEFAULTS, ...raw.patchDebt },
  };
}

/** The named environment, or an InputError that lists the known ones. */
export function getEnvironment(config: EnvironmentsConfig, name: string): EnvironmentConfig {
  const environment = Object.prototype.hasOwnProperty.call(config.environments, name) ? config.environments[name] : undefined;
  if (environment) return environment;
  const guess = closestName(name, Object.keys(config.environments));
  throw new InputError(
    `Unknown environment ${quote(name)} for ${config.file}: the environments are ${config.promotionOrder.join(', ')}. ${guess ? `Did you mean "${guess}"? ` : ''}Use one of them, or add the environment to ${config.file}.`,
    { file: config.file },
  );
}

/**
 * Every stack name of an environment, the optional ones filled in with their defaults
 * (`patch-<env>-github-oidc`, `patch-<env>-github-dispatch`, the names docs/templates.md uses).
 */
export function environmentStackNames(environment: EnvironmentConfig): Required<EnvironmentStacks> {
  return {
    ...environment.stacks,
    githubOidc: environment.stacks.githubOidc ?? `patch-${environment.name}-github-oidc`,
    githubDispatch: environment.stacks.githubDispatch ?? `patch-${environment.name}-github-dispatch`,
  };
}

/**
 * "The environment's own account and the accounts that build its images": `self`, its own
 * imagePipelineAccount, and that of every environment in an earlier wave. Promotion proposes a
 * later wave the very AMI the wave before ran when both are in one account and region, and that
 * AMI is owned by the account whose pipeline built it; a copy (another region, another account)
 * is owned by the receiving account, which `self` covers. `self` is spelled out here: ami-policy.ts
 * (SELF_OWNER) imports this module.
 */
export function defaultAmiOwnersOf(name: string, environments: Readonly<Record<string, Pick<EnvironmentConfig, 'imagePipelineAccount'>>>, waves: readonly Wave[]): readonly string[] {
  const wave = waves.findIndex((w) => w.environments.includes(name));
  const builders = [name, ...waves.slice(0, Math.max(0, wave)).flatMap((w) => w.environments)];
  const accounts = builders.map((builder) => environments[builder]?.imagePipelineAccount).filter((a): a is string => a !== undefined);
  return ['self', ...new Set(accounts)];
}

/**
 * An amiOwners list written out must trust the environment's own image pipeline: without its
 * account every patch AMI the pipeline bakes would be refused by build-ami, so no patch PR would
 * ever be opened, and the cause would be far from the line that made it.
 */
function checkAmiOwnersTrustPipeline(raw: { environments: Record<string, RawEnvironment> }, source: JsonSource): FileProblem[] {
  return Object.entries(raw.environments).flatMap(([name, environment]) => {
    const pipeline = environment.imagePipelineAccount;
    if (!environment.amiOwners || pipeline === undefined || environment.amiOwners.includes(pipeline)) return [];
    return [
      {
        line: source.lineOf(['environments', name, 'amiOwners']),
        message:
          `environments.${name}.amiOwners does not list "${pipeline}", the imagePipelineAccount of ${name}: every AMI its image pipeline builds would be refused, so no patch PR could propose one. ` +
          `Add "${pipeline}" to amiOwners, or delete amiOwners to use the default (self and the accounts that build its images).`,
      },
    ];
  });
}

/**
 * A copy's key must be where the copy is made: EC2 encrypts a copy only with a key of the copying
 * account in the copy's region, and takes any other at CopyImage only to fail the copy later. The
 * copying account is copyRoleArn's, so a key without a copy role has no account to be checked by.
 */
function checkCopyKeys(raw: { environments: Record<string, RawEnvironment> }, source: JsonSource): FileProblem[] {
  return Object.entries(raw.environments).flatMap(([name, environment]) => {
    const key = environment.copyKmsKeyArn;
    if (key === undefined) return [];
    const line = source.lineOf(['environments', name, 'copyKmsKeyArn']);
    if (environment.copyRoleArn === undefined) {
      return [{ line, message: `environments.${name}.copyKmsKeyArn is set without copyRoleArn: a copy key is for an environment in another account, whose copy role makes the copy. Add copyRoleArn (that account's AmiCopyRoleArn), or delete copyKmsKeyArn.` }];
    }
    const [, , , keyRegion, keyAccount] = key.split(':');
    const roleAccount = accountOfRoleArn(environment.copyRoleArn);
    const problems: FileProblem[] = [];
    if (keyAccount !== roleAccount) {
      problems.push({ line, message: `environments.${name}.copyKmsKeyArn is a key of account ${keyAccount}, but copyRoleArn makes the copy in account ${roleAccount}: EC2 encrypts a copy only with a key of the copying account. Use the AmiCopyKeyArn output of account ${roleAccount}'s github-oidc stack.` });
    }
    if (keyRegion !== environment.region) {
      problems.push({ line, message: `environments.${name}.copyKmsKeyArn is a key of ${keyRegion}, but the environment (and so its copy) is in ${environment.region}: KMS keys are regional. Use a key of ${environment.region}.` });
    }
    return problems;
  });
}

/**
 * Staging ahead needs a slot to stage in: a replace environment has one Auto Scaling group, so its
 * patch PR can only be the replacement itself.
 */
function checkStageAhead(raw: { environments: Record<string, RawEnvironment> }, source: JsonSource): FileProblem[] {
  return Object.entries(raw.environments).flatMap(([name, environment]) =>
    environment.slots?.stageAhead === true && (environment.strategy ?? 'replace') !== 'slots'
      ? [
          {
            line: source.lineOf(['environments', name, 'slots', 'stageAhead']),
            message: `environments.${name}.slots.stageAhead is true, but its strategy is "${environment.strategy ?? 'replace'}": staging ahead puts the new AMI in the idle slot of templates/app-slots.yaml, and a replace environment has no idle slot. Add "strategy": "slots" (with templates/app-slots.yaml), or delete stageAhead.`,
          },
        ]
      : [],
  );
}

/** The wiring as the schema admits it: an order given as promotionOrder or as waves. */
interface RawWiring {
  promotionOrder?: string[];
  waves?: { name: string; environments: string[]; maxParallel?: number }[];
  environments: Record<string, RawEnvironment>;
  lifecycle?: Partial<EnvironmentsConfig['lifecycle']>;
  patchDebt?: Partial<EnvironmentsConfig['patchDebt']>;
}

/** Exactly one way of saying the order: two could disagree, none leaves the patch PR no target. */
function checkOrderGiven(raw: RawWiring, source: JsonSource): FileProblem[] {
  if (raw.promotionOrder && raw.waves) {
    return [{ line: source.lineOf(['waves']), message: 'both promotionOrder and waves are set, and they could disagree. Keep waves (a wave per group of environments) and delete promotionOrder.' }];
  }
  if (!raw.promotionOrder && !raw.waves) {
    return [{ line: 1, message: 'neither waves nor promotionOrder is set, so no environment would ever get an AMI. Add "waves": [{"name": "dev", "environments": ["dev"]}, …] (see docs/parameters.md).' }];
  }
  return [];
}

/** The waves as written, or a wave of one per promotionOrder entry, named after its environment. */
function wavesOf(raw: RawWiring): Wave[] {
  if (raw.waves) return raw.waves.map((w) => ({ name: w.name, environments: w.environments, maxParallel: w.maxParallel ?? w.environments.length }));
  return (raw.promotionOrder ?? []).map((name) => ({ name, environments: [name], maxParallel: 1 }));
}

/** Wave names become branch names (ami-promote/<wave>), so two waves of one name would share a PR. */
function checkWaves(raw: RawWiring, source: JsonSource): FileProblem[] {
  const problems: FileProblem[] = [];
  const names = new Map<string, number>();
  const owners = new Map<string, string>();
  (raw.waves ?? []).forEach((wave, index) => {
    const first = names.get(wave.name);
    if (first !== undefined) problems.push({ line: source.lineOf(['waves', index, 'name']), message: `wave name ${quote(wave.name)} is used twice (waves ${first + 1} and ${index + 1}); each wave has its own promotion PR branch. Rename one.` });
    else names.set(wave.name, index);
    wave.environments.forEach((environment, position) => {
      const owner = owners.get(environment);
      if (owner !== undefined) {
        problems.push({
          line: source.lineOf(['waves', index, 'environments', position]),
          message: `environment ${quote(environment)} is in wave ${quote(owner)} and in wave ${quote(wave.name)}; an environment belongs to exactly one wave. Remove it from one of them.`,
        });
      } else owners.set(environment, wave.name);
    });
  });
  return problems;
}

function checkPromotionOrder(raw: { promotionOrder: string[]; environments: Record<string, unknown>; waves?: RawWiring['waves'] }, source: JsonSource, key: 'waves' | 'promotionOrder'): FileProblem[] {
  const problems: FileProblem[] = [];
  const lineOfEntry = (index: number): number => {
    if (key === 'promotionOrder') return source.lineOf(['promotionOrder', index]);
    let rest = index;
    for (const [w, wave] of (raw.waves ?? []).entries()) {
      if (rest < wave.environments.length) return source.lineOf(['waves', w, 'environments', rest]);
      rest -= wave.environments.length;
    }
    return source.lineOf(['waves']);
  };
  raw.promotionOrder.forEach((name, index) => {
    if (Object.prototype.hasOwnProperty.call(raw.environments, name)) return;
    const guess = closestName(name, Object.keys(raw.environments));
    problems.push({
      line: lineOfEntry(index),
      message: `${key} lists ${quote(name)}, which is not under environments. ${guess ? `Did you mean "${guess}"? ` : ''}Fix the name or add the environment.`,
    });
  });
  for (const name of Object.keys(raw.environments)) {
    if (raw.promotionOrder.includes(name)) continue;
    problems.push({
      line: source.lineOf(['environments', name]),
      message: `environment "${name}" is missing from ${key}, so no AMI would ever be promoted to it. Add it to ${key === 'waves' ? 'a wave' : 'promotionOrder'} where it belongs.`,
    });
  }
  return problems;
}

/** A stack name or parameters file used twice would make two environments (or roles) deploy the
 *  same thing: an AMI bump meant for dev would land in prod. */
function checkUniqueness(raw: { environments: Record<string, RawEnvironment> }, source: JsonSource): FileProblem[] {
  const problems: FileProblem[] = [];
  const stackOwners = new Map<string, string>();
  const fileOwners = new Map<string, string>();
  for (const [name, environment] of Object.entries(raw.environments)) {
    for (const [role, stack] of Object.entries(environment.stacks)) {
      const here = `environments.${name}.stacks.${role}`;
      const owner = stackOwners.get(stack);
      if (owner) {
        problems.push({
          line: source.lineOf(['environments', name, 'stacks', role]),
          message: `stack name ${quote(stack)} is used by both ${owner} and ${here}. Give each stack its own name (e.g. patch-${name}-${kebab(role)}).`,
        });
      } else stackOwners.set(stack, here);
    }
    const owner = fileOwners.get(environment.parametersFile);
    if (owner) {
      problems.push({
        line: source.lineOf(['environments', name, 'parametersFile']),
        message: `parametersFile ${quote(environment.parametersFile)} is shared with environment "${owner}", so an AMI bump for one would deploy both. Give "${name}" its own file (parameters/${name}.json).`,
      });
    } else fileOwners.set(environment.parametersFile, name);
  }
  return problems;
}

function checkFilesExist(raw: { environments: Record<string, RawEnvironment> }, source: JsonSource, rootDir: string): FileProblem[] {
  const problems: FileProblem[] = [];
  for (const [name, environment] of Object.entries(raw.environments)) {
    for (const key of ['parametersFile', 'appTemplate'] as const) {
      const relative = environment[key];
      const line = source.lineOf(['environments', name, key]);
      // The repository's one file policy: a link (e.g. prod.json -> dev.json, which would make prod
      // deploy dev's AMI past the uniqueness check above) or a special file is refused here.
      const problem = findRepositoryFileProblem(path.join(rootDir, relative), rootDir);
      if (problem === undefined) continue;
      if (problem !== 'missing') {
        problems.push({ line, message: `environments.${name}.${key} = ${quote(relative)}: ${problem.why}. ${problem.fix}.` });
        continue;
      }
      problems.push({
        line,
        message: `environments.${name}.${key} = ${quote(relative)} does not exist (paths are relative to the repository root, ${rootDir}). Fix the path or create the file.`,
      });
    }
  }
  return problems;
}

/** A strategy needs the template shaped for it: `slots` a template with LiveSlot, `replace` one without. */
function checkStrategyTemplates(raw: { environments: Record<string, { appTemplate: string; strategy?: DeployStrategy }> }, source: JsonSource, rootDir: string): FileProblem[] {
  const problems: FileProblem[] = [];
  for (const [name, environment] of Object.entries(raw.environments)) {
    const strategy = environment.strategy ?? 'replace';
    const templatePath = path.join(rootDir, environment.appTemplate);
    // Reached only when checkFilesExist found every file a regular file under the file policy.
    const slotsTemplate = isSlotsTemplate(parseTemplateParameters(readFileSync(templatePath, 'utf8'), environment.appTemplate));
    if (slotsTemplate === (strategy === 'slots')) continue;
    const fix = strategy === 'slots' ? 'Use templates/app-slots.yaml (it declares LiveSlot and the slot parameters)' : 'Add "strategy": "slots", or use templates/app.yaml';
    problems.push({
      line: source.lineOf(['environments', name, environment.strategy ? 'strategy' : 'appTemplate']),
      message: `environments.${name}.strategy is "${strategy}", but ${quote(environment.appTemplate)} is ${slotsTemplate ? 'a slots template (it declares LiveSlot)' : 'not a slots template (it declares no LiveSlot)'}. ${fix}.`,
    });
  }
  return problems;
}

function kebab(role: string): string {
  return role.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
