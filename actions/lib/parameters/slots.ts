/**
 * The slots shape of a parameters file (strategy `slots`, templates/app-slots.yaml): which slot is
 * live, and each slot's AMI, capacity and weight. The template checks each value alone; the rules
 * here are the ones that need the values together, checked before any AWS call: exactly one live
 * slot (LiveSlot names it), the live slot has capacity, the weights add up to 100, and a slot with
 * weight has capacity (a weight on an empty target group is traffic sent nowhere).
 */
import { parseWholeNumber } from '../action/number-inputs';
import { quote, type FileProblem } from './file-problems';
import type { ParametersFile } from './parameters-file';
import type { TemplateParameters } from './template-parameters';

export const SLOT_NAMES = ['blue', 'green'] as const;
export type SlotName = (typeof SLOT_NAMES)[number];

/** The parameter that names the live slot; its presence in a template makes the template a slots template. */
export const LIVE_SLOT_PARAMETER = 'LiveSlot';
/** The listener's weights are percentages: at rest 100 and 0, during a canary e.g. 90 and 10. */
export const TOTAL_WEIGHT = 100;

/** The prefix of a slot's parameters, logical IDs and outputs in templates/app-slots.yaml: Blue, Green. */
export function slotPrefix(slot: SlotName): 'Blue' | 'Green' {
  return slot === 'blue' ? 'Blue' : 'Green';
}

/** The parameter names of one slot, e.g. BlueAmazonMachineImage. */
export function slotParameters(slot: SlotName): { ami: string; capacity: string; weight: string } {
  const prefix = slotPrefix(slot);
  return { ami: `${prefix}AmazonMachineImage`, capacity: `${prefix}Capacity`, weight: `${prefix}Weight` };
}

export function otherSlot(slot: SlotName): SlotName {
  return slot === 'blue' ? 'green' : 'blue';
}

export interface SlotState {
  amiId: string;
  capacity: number;
  weight: number;
}

/** What a slots parameters file says runs where. */
export interface SlotPlan {
  live: SlotName;
  slots: Record<SlotName, SlotState>;
}

/** True when `template` is a slots template (declares LiveSlot). */
export function isSlotsTemplate(template: TemplateParameters): boolean {
  return template.parameters.has(LIVE_SLOT_PARAMETER);
}

/** Reads the slot plan from already template-checked parameters (values as strings). */
export function readSlotPlan(parameters: Readonly<Record<string, string>>): SlotPlan {
  const slot = (name: SlotName): SlotState => {
    const keys = slotParameters(name);
    return { amiId: parameters[keys.ami] ?? '', capacity: Number(parameters[keys.capacity]), weight: Number(parameters[keys.weight]) };
  };
  return { live: parameters[LIVE_SLOT_PARAMETER] as SlotName, slots: { blue: slot('blue'), green: slot('green') } };
}

/** The AMI users are on: the live slot's. */
export function liveAmiOf(plan: SlotPlan): string {
  return plan.slots[plan.live].amiId;
}

/**
 * The rules across values of a slots file. Only run once each value passed the template's own
 * checks (so every number parses); `file` supplies the lines.
 */
export function findSlotProblems(file: ParametersFile): FileProblem[] {
  const line = (key: string) => file.lineOf('Parameters', key);
  // The template's Number takes what CloudFormation's does (1e2, 2.0, +2), and Number() reads them
  // all; a slot's instances and its share of traffic are counts, read the project's one way.
  const notWhole = SLOT_NAMES.flatMap((slot) => {
    const keys = slotParameters(slot);
    return [keys.weight, keys.capacity].filter((key) => file.parameters[key] !== undefined && parseWholeNumber(file.parameters[key]) === undefined);
  });
  if (notWhole.length > 0) {
    return notWhole.map((key) => ({
      line: line(key),
      message: `${key} = ${quote(file.parameters[key])} is not a whole number: a slot's instances and its share of traffic are counted, so they take decimal digits only (no exponent, sign or decimal point), as every number this project reads. Write it as digits, e.g. "${Math.trunc(Number(file.parameters[key])) || 0}".`,
    }));
  }
  const plan = readSlotPlan(file.parameters);
  if (!SLOT_NAMES.includes(plan.live)) return [];
  const problems: FileProblem[] = [];
  const live = slotParameters(plan.live);
  const idle = slotParameters(otherSlot(plan.live));
  if (!(plan.slots[plan.live].capacity > 0)) {
    problems.push({
      line: line(live.capacity),
      message: `${live.capacity} = "${plan.slots[plan.live].capacity}", but ${LIVE_SLOT_PARAMETER} is "${plan.live}": the live slot has no instances, so users would reach nothing. Give it capacity, or name the other slot live (and give that one capacity).`,
    });
  }
  const total = plan.slots.blue.weight + plan.slots.green.weight;
  if (total !== TOTAL_WEIGHT) {
    problems.push({
      line: line(slotParameters('blue').weight),
      message: `BlueWeight + GreenWeight = ${plan.slots.blue.weight} + ${plan.slots.green.weight} = ${total}, not ${TOTAL_WEIGHT}: the weights are the percentages of traffic each slot gets. Make them add up to ${TOTAL_WEIGHT} (at rest: ${live.weight} "${TOTAL_WEIGHT}", ${idle.weight} "0").`,
    });
  } else if (plan.slots[plan.live].weight < plan.slots[otherSlot(plan.live)].weight) {
    problems.push({
      line: line(LIVE_SLOT_PARAMETER),
      message: `${LIVE_SLOT_PARAMETER} is "${plan.live}", but ${idle.weight} (${plan.slots[otherSlot(plan.live)].weight}) is above ${live.weight} (${plan.slots[plan.live].weight}): the live slot is the one with most of the traffic. Name the other slot live, or move the weight.`,
    });
  }
  for (const slot of SLOT_NAMES) {
    const keys = slotParameters(slot);
    if (plan.slots[slot].weight > 0 && !(plan.slots[slot].capacity > 0)) {
      problems.push({
        line: line(keys.weight),
        message: `${keys.weight} = "${plan.slots[slot].weight}" but ${keys.capacity} = "0": that share of traffic would go to an empty target group (the ALB answers 503). Give the slot capacity or set its weight to "0".`,
      });
    }
  }
  return problems;
}
