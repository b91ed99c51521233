/**
 * Input shapes shared by several gitops commands. They are checked before any git or AWS call, so
 * a bad value fails in milliseconds with a fix, and nothing user-supplied reaches a ref or a path
 * unchecked.
 */
import { z } from 'zod';

import { parseWholeNumber, wholeNumberInput } from '../../action/number-inputs';
import { AMI_ID_PATTERN } from '../../parameters';

/** The wiring schema's environment-name pattern (parameters/environments.schema.json). */
export const environmentName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be an environment name from parameters/environments.json (lowercase, e.g. dev)');

export const amiId = z.string().regex(AMI_ID_PATTERN, 'must be an AMI ID like ami-0123456789abcdef0');

/** A workflow run's ID (`${{ github.run_id }}`), for the exact `gh run rerun` a verdict names. */
export const workflowRunId = z.string().regex(/^[1-9][0-9]{0,19}$/, 'must be the workflow run ID (${{ github.run_id }}), digits only');

export const commitish = z.string().regex(/^[0-9a-f]{4,64}$|^HEAD$/, 'must be a commit SHA');

/** A boolean the way workflows pass one: the strings "true" / "false". */
export const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** A whole number of minutes within bounds, given as a string. */
export function minutes(defaultValue: number, max: number) {
  return wholeNumberInput('minutes', defaultValue, { min: 1, max });
}

/**
 * An override of a number the wiring sets (absent: the wiring's value), read with the one number
 * grammar (parseWholeNumber: decimal digits only) and within the wiring's own bounds.
 */
export function wiringNumberOverride(unit: string, bounds: { min: number; max: number; maxWhy: string }) {
  return z
    .string()
    .refine((text) => parseWholeNumber(text) !== undefined, `must be a whole number of ${unit} (decimal digits only)`)
    .transform(Number)
    .pipe(z.number().min(bounds.min, `must be at least ${bounds.min} ${unit}`).max(bounds.max, `must be at most ${bounds.max} (${bounds.maxWhy})`))
    .optional();
}

/**
 * An input that is another step's JSON output, passed unchanged (`what` names that output for the
 * message); the empty string is "not given". Pipe the result into the shape's schema.
 */
export function jsonOutputOf(what: string, maxChars = 65_536) {
  return z
    .string()
    .max(maxChars)
    .transform((text, ctx) => {
      if (text === '') return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be JSON: ${what}` });
        return z.NEVER;
      }
    });
}
