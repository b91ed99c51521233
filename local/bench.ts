/**
 * `npm run bench` (or `make bench`): the waiting benchmark and the cutover model of issue #7.
 *
 *   npm run bench                       aligned text
 *   npm run bench -- --markdown         GitHub markdown (what docs/performance.md shows)
 *   npm run bench -- --boot-seconds 120 another boot + cfn-init assumption for the cutover model
 *   npm run bench -- --template FILE    model another template (default templates/app.yaml)
 *
 * Deterministic: virtual clock, fixed trials, seeded jitter. A run takes about a second.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { errorMessage, InputError } from '../actions/lib/errors';
import { DEFAULT_ASSUMPTIONS } from './bench/cutover';
import { cutoverSection, renderReport, runWaitingBenchmark, waitingSection } from './bench/report';
import { readCutoverSettingsFile } from './bench/template-settings';

/** Runs both parts and returns the report; `argv` are the options after `npm run bench --`. */
export async function runBench(argv: readonly string[]): Promise<string> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      markdown: { type: 'boolean', default: false },
      'boot-seconds': { type: 'string' },
      template: { type: 'string', default: 'templates/app.yaml' },
    },
  });
  const bootSeconds = values['boot-seconds'] === undefined ? DEFAULT_ASSUMPTIONS.bootSeconds : Number(values['boot-seconds']);
  if (!Number.isFinite(bootSeconds) || bootSeconds < 0) {
    throw new InputError(`Option --boot-seconds for the cutover model: "${values['boot-seconds']}" is not a number of seconds. Pass e.g. --boot-seconds 90.`);
  }
  const file = values.template ?? 'templates/app.yaml';
  const template = existsSync(file) ? { ...readCutoverSettingsFile(file), file } : undefined;

  const waiting = waitingSection(await runWaitingBenchmark());
  const cutover = cutoverSection({ template, assumptions: { ...DEFAULT_ASSUMPTIONS, bootSeconds } });
  return renderReport([waiting, cutover], { markdown: values.markdown ?? false });
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
