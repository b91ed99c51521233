import type { Parameter } from '@aws-sdk/client-cloudformation';

/** One parameter whose value the change set changes. */
export interface ParameterChange {
  key: string;
  /** The stack's value before; undefined when the stack did not have the parameter yet. */
  previous?: string;
  next: string;
}

export interface ChangeSetParameterPlan {
  /** What CreateChangeSet receives. */
  parameters: Parameter[];
  /** Parameters whose value changes, in template order. */
  changes: ParameterChange[];
  /** Template parameters the file leaves out that keep the stack's current value. */
  keptFromStack: string[];
  /** Template parameters neither the file nor the stack sets: the template's Default applies. */
  fromTemplateDefault: string[];
}

/**
 * Decides, for every parameter of the template being deployed, what the change set sends:
 * - set in the file with a new value → that value;
 * - set in the file with the stack's current value, or left out of the file → `UsePreviousValue`.
 *   CloudFormation (unlike `aws cloudformation deploy`) resets an omitted parameter to its
 *   Default, so "keys the file leaves out keep their previous value" has to be said explicitly.
 *   Sending `UsePreviousValue` for unchanged values too keeps NoEcho values untouched and lets
 *   the change set (and moto, which compares explicit values as typed) see "no changes";
 * - in neither (a parameter the new template adds) → omitted, so its Default applies.
 */
export function planChangeSetParameters(
  templateParameterNames: readonly string[],
  fileParameters: Readonly<Record<string, string>>,
  stackParameters: Readonly<Record<string, string>>,
): ChangeSetParameterPlan {
  const plan: ChangeSetParameterPlan = { parameters: [], changes: [], keptFromStack: [], fromTemplateDefault: [] };
  for (const key of templateParameterNames) {
    const inStack = Object.hasOwn(stackParameters, key);
    const value = fileParameters[key];
    if (value !== undefined && !(inStack && stackParameters[key] === value)) {
      plan.parameters.push({ ParameterKey: key, ParameterValue: value });
      plan.changes.push({ key, previous: inStack ? stackParameters[key] : undefined, next: value });
    } else if (inStack) {
      plan.parameters.push({ ParameterKey: key, UsePreviousValue: true });
      if (value === undefined) plan.keptFromStack.push(key);
    } else {
      plan.fromTemplateDefault.push(key);
    }
  }
  return plan;
}
