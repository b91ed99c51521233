/**
 * What every action's main.ts shares: reading inputs through a schema, a Logger backed by
 * @actions/core, setting outputs, and reporting failure by error kind. This is the one lib module
 * that touches @actions/core; logic modules never do.
 */
import * as core from '@actions/core';
import type { z } from 'zod';

import { isMalformedResponseError, isTransientError } from '../aws/errors';
import { AwsOperationError, errorMessage, InputError, PollTimeoutError } from '../errors';
import type { Logger } from '../logger';
import { quote } from '../untrusted-text';

/** A Logger that writes workflow commands through @actions/core. */
export function createCoreLogger(): Logger {
  const props = (loc?: { file: string; line?: number }) => (loc ? { file: loc.file, startLine: loc.line ?? 1 } : {});
  return {
    debug: (m) => core.debug(m),
    info: (m) => core.info(m),
    notice: (m) => core.notice(m),
    warning: (m, loc) => core.warning(m, props(loc)),
    error: (m, loc) => core.error(m, props(loc)),
    group: (title, fn) => core.group(title, fn),
  };
}

/**
 * Reads the named inputs (kebab-case, as in action.yml) and parses them with `schema`. An empty
 * string means "absent" (that is how the runner passes an input the workflow did not set).
 * Any schema violation becomes one InputError naming every bad input.
 */
export function readInputs<S extends z.ZodType>(schema: S, names: readonly string[], read = core.getInput): z.infer<S> {
  const raw: Record<string, string | undefined> = {};
  for (const name of names) {
    const value = read(name).trim();
    raw[name] = value === '' ? undefined : value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const input = issue.path.join('.') || '(inputs)';
      // Echoed through quote(): cut to a readable length, look-alike characters escaped and named.
      return `input "${input}"${raw[input] !== undefined ? ` = ${quote(raw[input])}` : ''}: ${issue.message}`;
    });
    throw new InputError(`Invalid action inputs: ${problems.join('; ')}. Fix them in the workflow step's "with:" block.`);
  }
  return parsed.data;
}

export type OutputValues = Record<string, string | number | boolean | object | undefined>;

/** How an action body sets its outputs, so runAction knows which are still unset when it ends. */
export interface ActionOutputs {
  /** Sets every defined value; booleans and numbers as strings, objects as JSON. */
  set(outputs: OutputValues): void;
  /** Adds outputs to those runAction sets (empty) if the body does not (gitops: the command's own). */
  declare(names: readonly string[]): void;
}

function createActionOutputs(declared: readonly string[]): ActionOutputs & { fillUnset(): void } {
  const names = new Set(declared);
  const written = new Set<string>();
  return {
    set(outputs) {
      for (const [name, value] of Object.entries(outputs)) {
        if (value === undefined) continue;
        core.setOutput(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
        written.add(name);
      }
    },
    declare(more) {
      for (const name of more) names.add(name);
    },
    fillUnset() {
      for (const name of names) if (!written.has(name)) core.setOutput(name, '');
    },
  };
}

/**
 * Runs an action body and reports its failure the way the error kind deserves. Whatever happens,
 * every declared output is set when it ends (empty where unknown, as the READMEs promise), so a
 * later step reads "" rather than an output that does not exist, on input-error paths too.
 *
 * Input errors are
 * annotated on the file they came from; operation errors and timeouts are reported as they are; an
 * AWS error that is transient (aws/errors.ts) but outlasted the SDK's retries is reported as the
 * network or AWS, with a re-run as the fix; anything else is a bug, reported with its stack in the
 * debug log.
 */
export async function runAction(body: (outputs: ActionOutputs) => Promise<void>, declaredOutputs: readonly string[] = []): Promise<void> {
  const outputs = createActionOutputs(declaredOutputs);
  // Which runtime ran the step (runs.using in action.yml picks it): the first thing to know when
  // an action behaves differently on a runner than in a local run.
  core.debug(`Running on Node ${process.version} (${process.platform}-${process.arch})`);
  try {
    await body(outputs);
  } catch (error) {
    if (error instanceof InputError) {
      // Each finding at its own line, in its own words (file and line are the annotation's, so the
      // message does not repeat them); the whole message once in the log. No findings: the message at its location.
      const annotations = error.annotations.length > 0 ? error.annotations : error.location ? [{ message: error.message, location: error.location }] : [];
      for (const { message, location: at } of annotations) {
        core.error(message, { file: at.file, startLine: at.line ?? 1, startColumn: at.column });
      }
      if (annotations.length === 0) core.setFailed(error.message);
      else {
        // Not setFailed: it would annotate the same error again, without its file and line.
        if (error.annotations.length > 0) core.info(error.message);
        process.exitCode = 1;
      }
    } else if (error instanceof AwsOperationError || error instanceof PollTimeoutError) {
      core.setFailed(error.message);
    } else if (isMalformedResponseError(error)) {
      core.setFailed(
        `AWS (or whatever answers at its endpoint) sent an answer that is not a valid AWS answer, again after the retries: ${errorMessage(error)}. ` +
          `Check AWS_ENDPOINT_URL* and any proxy between the runner and AWS; anything already started in AWS carries on. Re-run the job once AWS answers properly.`,
      );
    } else if (isTransientError(error)) {
      // A refused or dropped connection, a timeout, a 5xx or throttling that outlasted the SDK's
      // retries: the network or AWS, not a bug in the action, and a re-run is the remedy.
      core.setFailed(
        `AWS could not be reached or kept failing after the SDK's retries: ${errorMessage(error)}. This is the network, the endpoint ` +
          `(AWS_ENDPOINT_URL*, a proxy) or AWS itself, not this action; anything already started in AWS carries on. Re-run the job once AWS answers.`,
      );
    } else {
      if (error instanceof Error && error.stack) core.debug(error.stack);
      core.setFailed(`Unexpected error: ${errorMessage(error)}`);
    }
  } finally {
    outputs.fillUnset();
  }
}

/**
 * Writes the action's one job summary. Outside a runner (GITHUB_STEP_SUMMARY unset, e.g. a local
 * run with plain INPUT_* variables) there is nowhere to write it, which is not an error.
 */
export async function writeJobSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.debug('GITHUB_STEP_SUMMARY is not set: no job summary.');
    return;
  }
  await core.summary.addRaw(markdown).write();
}
