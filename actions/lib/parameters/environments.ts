/**
 * `parameters/environments.json`: which environments exist, their promotion order, and each one's
 * region, parameters file, app template and stack names (DESIGN.md §3.1). Validated by
 * `parameters/environments.schema.json` (draft 2020-12, bundled into the action so a loosened copy
 * in a checkout cannot weaken it) plus the checks a schema cannot express.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import Ajv2020 from 'ajv/dist/2020';

import schema from '../../../parameters/environments.schema.json';
import { InputError } from '../errors';
import { closestName, quote, throwIfProblems, type FileProblem } from './file-problems';
import { parseJsonSource, type JsonSource } from './json-source';
import { findRepositoryFileProblem, readSmallTextFile } from './repository-file';
import { describeSchemaErrors } from './schema-problems';
import { isSlotsTemplate } from './slots';
import { parseTemplateParameters } from './template-parameters';

/** Where the wiring file lives, relative to the repository root. */
export const ENVIRONMENTS_FILE = 'parameters/environments.json';

/** The message head for every problem of the wiring file. */
const WIRING_INVALID = 'Environment wiring invalid';

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
}

export type DeployStrategy = 'replace' | 'slots';

/** One environment as the file has it: the optional strategy and slots settings may be absent. */
type RawEnvironment = Omit<EnvironmentConfig, 'name' | 'strategy' | 'slots'> & { strategy?: DeployStrategy; slots?: Partial<SlotsSettings> };

/** The slots deploy's step settings (docs/parameters.md). */
export interface SlotsSettings {
  canaryWeight: number;
  canarySeconds: number;
  bakeSeconds: number;
}

/** The slots settings when the wiring leaves them out (documented in the schema). */
export const SLOTS_DEFAULTS: SlotsSettings = { canaryWeight: 10, canarySeconds: 120, bakeSeconds: 300 };

/** The whole wiring file, validated. */
export interface EnvironmentsConfig {
  file: string;
  /** Every environment, once, in the order an AMI is promoted through them. */
  promotionOrder: readonly string[];
  environments: Readonly<Record<string, EnvironmentConfig>>;
  /** The AMI lifecycle job's limits, defaults filled in. */
  lifecycle: { keepFailbackAmis: number; retireAfterDays: number };
  /** The patch-debt check's limits, defaults filled in. */
  patchDebt: { maxAmiAgeDays: number; maxCriticalOpenDays: number };
}

/** The wiring's optional limits when the file leaves them out (documented in the schema). */
export const LIFECYCLE_DEFAULTS = { keepFailbackAmis: 3, retireAfterDays: 30 } as const;
export const PATCH_DEBT_DEFAULTS = { maxAmiAgeDays: 30, maxCriticalOpenDays: 7 } as const;

/**
 * Loads and validates the wiring file: the schema, then that promotionOrder lists exactly the
 * environments there are, that no stack name or parameters file is shared by two roles or
 * environments, and that each parametersFile and appTemplate exists. Paths in the file are
 * relative to `rootDir`, by default the directory above the one holding the file (the repository
 * root for parameters/environments.json). All problems are reported together in one InputError.
 */
export async function loadEnvironments(file: string = ENVIRONMENTS_FILE, options: { rootDir?: string } = {}): Promise<EnvironmentsConfig> {
  const rootDir = options.rootDir ?? path.dirname(path.dirname(path.resolve(file)));
  const text = await readSmallTextFile(file, {
    whatFailed: WIRING_INVALID,
    root: rootDir,
    maxBytes: 64 * 1024,
    missingFix: `Create it (see docs/parameters.md) or pass the right path; workflows read ${ENVIRONMENTS_FILE} from the repository root`,
    emptyFix: 'Write the wiring object (see docs/parameters.md)',
  });
  return parseEnvironments(text, file, rootDir);
}

/** Validates the wiring file's text; see {@link loadEnvironments}. */
export function parseEnvironments(text: string, file: string, rootDir: string): EnvironmentsConfig {
  const source = parseJsonSource(text, file, 'Environment wiring file');
  const problems: FileProblem[] = source.duplicates.map((d) => ({
    line: d.line,
    message: `key ${quote(d.key)} appears twice${d.objectPath.length ? ` in ${d.objectPath.join('.')}` : ''} (first on line ${d.firstLine}); JSON readers silently keep the last one. Delete or rename one of them.`,
  }));

  const validate = new Ajv2020({ allErrors: true, strict: true, verbose: true }).compile(schema);
  if (!validate(source.value)) {
    problems.push(...describeSchemaErrors(validate.errors ?? [], source));
    throwIfProblems(WIRING_INVALID, file, problems);
  }

  const raw = source.value as {
    promotionOrder: string[];
    environments: Record<string, RawEnvironment>;
    lifecycle?: Partial<EnvironmentsConfig['lifecycle']>;
    patchDebt?: Partial<EnvironmentsConfig['patchDebt']>;
  };
  const missing = checkFilesExist(raw, source, rootDir);
  problems.push(...checkPromotionOrder(raw, source), ...checkUniqueness(raw, source), ...missing);
  if (missing.length === 0) problems.push(...checkStrategyTemplates(raw, source, rootDir));
  throwIfProblems(WIRING_INVALID, file, problems);

  const environments: Record<string, EnvironmentConfig> = {};
  for (const [name, environment] of Object.entries(raw.environments)) {
    environments[name] = { name, ...environment, strategy: environment.strategy ?? 'replace', slots: { ...SLOTS_DEFAULTS, ...environment.slots } };
  }
  return {
    file,
    promotionOrder: raw.promotionOrder,
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

function checkPromotionOrder(raw: { promotionOrder: string[]; environments: Record<string, unknown> }, source: JsonSource): FileProblem[] {
  const problems: FileProblem[] = [];
  raw.promotionOrder.forEach((name, index) => {
    if (Object.prototype.hasOwnProperty.call(raw.environments, name)) return;
    const guess = closestName(name, Object.keys(raw.environments));
    problems.push({
      line: source.lineOf(['promotionOrder', index]),
      message: `promotionOrder lists ${quote(name)}, which is not under environments. ${guess ? `Did you mean "${guess}"? ` : ''}Fix the name or add the environment.`,
    });
  });
  for (const name of Object.keys(raw.environments)) {
    if (raw.promotionOrder.includes(name)) continue;
    problems.push({
      line: source.lineOf(['environments', name]),
      message: `environment "${name}" is missing from promotionOrder, so no AMI would ever be promoted to it. Add it to promotionOrder where it belongs.`,
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
