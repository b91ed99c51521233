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
 *
 * Deterministic: virtual clock, fixed trials, seeded jitter. A run takes about a second.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { parse } from 'yaml';

import { errorMessage, InputError } from '../actions/lib/errors';
import { AWS_DEFAULT_SETTINGS, DEFAULT_ASSUMPTIONS, modelCutover } from './bench/cutover';
import { fleetSection } from './bench/fleet-section';
import { cutoverSection, renderReport, runWaitingBenchmark, waitingSection } from './bench/report';
import { readCutoverSettingsFile } from './bench/template-settings';

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
  // The scale model deploys every environment with the cutover model's update time for this template.
  const fleet = fleetSection(modelCutover(template?.settings ?? AWS_DEFAULT_SETTINGS, assumptions).complete);
  return renderReport([waiting, cutover, fleet], { markdown: values.markdown ?? false });
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
