/**
 * `npm run bench` (or `make bench`): the waiting benchmark, the cutover model, and the scale model
 * of a promotion through 40 environments (local/bench/fleet-scale.ts).
 *
 *   npm run bench                       aligned text
 *   npm run bench -- --markdown         GitHub markdown (what docs/performance.md shows)
 *   npm run bench -- --boot-seconds 120 another boot + cfn-init assumption for the cutover model
 *   npm run bench -- --monitoring-minutes 0   another rollback-trigger window (default: the
 *                                       update-app-stack action's `rollback-monitoring-minutes`)
 *   npm run bench -- --template FILE    model another template (default templates/app.yaml)
 *   npm run bench -- --slots-template FILE   the slots template (default templates/app-slots.yaml)
 *   npm run bench -- --environment NAME the wiring environment whose verify and slots settings the
 *                                       strategy table uses (default: the first on slots, else the
 *                                       first in promotion order)
 *
 * Deterministic: virtual clock, fixed trials, seeded jitter. A run takes about a second.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { parse } from 'yaml';

import { errorMessage, InputError } from '../actions/lib/errors';
import { ENVIRONMENTS_FILE, getEnvironment, loadEnvironments, readSlotPlan } from '../actions/lib/parameters';
import { AWS_DEFAULT_SETTINGS, DEFAULT_ASSUMPTIONS, modelCutover, type CutoverAssumptions, type CutoverSettings } from './bench/cutover';
import { fleetSection } from './bench/fleet-section';
import { cutoverSection, renderReport, runWaitingBenchmark, waitingSection } from './bench/report';
import { DEFAULT_WORKFLOW_ASSUMPTIONS } from './bench/strategies';
import { strategySection } from './bench/strategy-section';
import { readCutoverSettingsFile, slotFleet } from './bench/template-settings';

const ACTION_YML = 'actions/update-app-stack/action.yml';

/** The deploy action's default rollback-trigger window, so the model waits as a default deploy does. */
function actionMonitoringMinutes(): number {
  if (!existsSync(ACTION_YML)) return DEFAULT_ASSUMPTIONS.monitoringMinutes;
  const action = parse(readFileSync(ACTION_YML, 'utf8')) as { inputs?: Record<string, { default?: unknown }> };
  const value = Number(action.inputs?.['rollback-monitoring-minutes']?.default ?? DEFAULT_ASSUMPTIONS.monitoringMinutes);
  return Number.isFinite(value) ? value : DEFAULT_ASSUMPTIONS.monitoringMinutes;
}

/** A non-negative number option, or `fallback` when absent. */
function numberOption(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new InputError(`Option --${name} for the cutover model: "${raw}" is not a number. Pass e.g. --${name} ${fallback}.`);
  }
  return value;
}

/** Runs both parts and returns the report; `argv` are the options after `npm run bench --`. */
export async function runBench(argv: readonly string[]): Promise<string> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      markdown: { type: 'boolean', default: false },
      'boot-seconds': { type: 'string' },
      'monitoring-minutes': { type: 'string' },
      template: { type: 'string', default: 'templates/app.yaml' },
      'slots-template': { type: 'string', default: 'templates/app-slots.yaml' },
      environment: { type: 'string' },
    },
  });
  const assumptions = {
    ...DEFAULT_ASSUMPTIONS,
    bootSeconds: numberOption('boot-seconds', values['boot-seconds'], DEFAULT_ASSUMPTIONS.bootSeconds),
    monitoringMinutes: numberOption('monitoring-minutes', values['monitoring-minutes'], actionMonitoringMinutes()),
  };
  const file = values.template ?? 'templates/app.yaml';
  const template = existsSync(file) ? { ...readCutoverSettingsFile(file), file } : undefined;

  const waiting = waitingSection(await runWaitingBenchmark());
  const cutover = cutoverSection({ template, assumptions });
  const strategies = template ? await strategiesOf(template, values['slots-template'] ?? 'templates/app-slots.yaml', values.environment, assumptions) : undefined;
  // The scale model deploys every environment with the cutover model's update time for this template.
  const fleet = fleetSection(modelCutover(template?.settings ?? AWS_DEFAULT_SETTINGS, assumptions).complete);
  return renderReport([waiting, cutover, ...(strategies ? [strategies] : []), fleet], { markdown: values.markdown ?? false });
}

/** The strategy table, from both templates and one environment's wiring (absent without the slots template). */
async function strategiesOf(replace: { file: string; settings: CutoverSettings }, slotsFile: string, name: string | undefined, assumptions: CutoverAssumptions) {
  if (!existsSync(slotsFile)) return undefined;
  const wiring = await loadEnvironments(ENVIRONMENTS_FILE);
  const environment = getEnvironment(wiring, name ?? Object.values(wiring.environments).find((e) => e.strategy === 'slots')?.name ?? wiring.promotionOrder[0]);
  return strategySection({
    replace,
    slots: { file: slotsFile, settings: readCutoverSettingsFile(slotsFile, slotFleet('Blue')).settings },
    wiring: {
      file: ENVIRONMENTS_FILE,
      environment: environment.name,
      settings: { ...environment.slots, watchSeconds: environment.verify.watchSeconds },
      capacity: liveSlotCapacity(environment.parametersFile),
    },
    assumptions: { ...assumptions, ...DEFAULT_WORKFLOW_ASSUMPTIONS },
  });
}

/** The instances of the live slot the parameters file names (what a staged slot runs at). */
function liveSlotCapacity(file: string): number {
  const parameters = (JSON.parse(readFileSync(file, 'utf8')) as { Parameters: Record<string, string> }).Parameters;
  return readSlotPlan(parameters).slots[readSlotPlan(parameters).live].capacity;
}

if (require.main === module) {
  runBench(process.argv.slice(2)).then(
    (report) => process.stdout.write(`${report}\n`),
    (error: unknown) => {
      process.stderr.write(`bench: ${errorMessage(error)}\n`);
      process.exitCode = 1;
    },
  );
}
