/**
 * "The AMI users are on", in either shape of a parameters file, and the rewrites that change it.
 * Everything that reads or bumps an environment's AMI (patch PR, failback, the record after a
 * rollback, drift, promotion) goes through here, so the slots shape is handled in one place:
 *
 * - replace shape: one line, `AmazonMachineImage`.
 * - slots shape (docs/parameters.md, "The slots shape"): the live slot's AMI. Making another AMI
 *   live is the switch: when the idle slot already runs it with capacity (a failback inside the
 *   bake window) only `LiveSlot` and the weights change, so deploying it is a weight flip;
 *   otherwise the idle slot gets the AMI (and capacity, if it was retired) too. The old live slot
 *   keeps its AMI and capacity: it stays warm, one flip away.
 */
import { InputError } from '../errors';
import { parseParametersFile } from './parameters-file';
import { setParameterInFile } from './set-parameter';
import { LIVE_SLOT_PARAMETER, otherSlot, readSlotPlan, SLOT_NAMES, slotParameters, TOTAL_WEIGHT, type SlotName } from './slots';

/** The replace template's (templates/app.yaml) AMI parameter. */
export const AMI_PARAMETER = 'AmazonMachineImage';

/** Keys a slots file and a slots stack share, in the order the file lists them: what sync-from-stack copies. */
const SLOT_STATE_KEYS = [LIVE_SLOT_PARAMETER, ...SLOT_NAMES.flatMap((s) => Object.values(slotParameters(s)))];

/** True when these parameters are in the slots shape (they name a live slot). */
export function isSlotsParameters(parameters: Readonly<Record<string, string>>): boolean {
  return Object.hasOwn(parameters, LIVE_SLOT_PARAMETER);
}

function liveSlotOf(parameters: Readonly<Record<string, string>>): SlotName | undefined {
  const live = parameters[LIVE_SLOT_PARAMETER] as SlotName;
  return SLOT_NAMES.includes(live) ? live : undefined;
}

/**
 * The parameter that holds the AMI users are on: `AmazonMachineImage`, or the live slot's
 * `<Slot>AmazonMachineImage` (for messages and commit metadata).
 */
export function liveAmiParameter(parameters: Readonly<Record<string, string>>): string {
  if (!isSlotsParameters(parameters)) return AMI_PARAMETER;
  const live = liveSlotOf(parameters);
  return live ? slotParameters(live).ami : LIVE_SLOT_PARAMETER;
}

/**
 * Every parameter that names an AMI: `AmazonMachineImage`, or both slots' (a fresh environment,
 * or local mode's setup, puts one AMI in all of them).
 */
export function amiParametersOf(parameters: Readonly<Record<string, string>>): string[] {
  return isSlotsParameters(parameters) ? SLOT_NAMES.map((s) => slotParameters(s).ami) : [AMI_PARAMETER];
}

/** The AMI users are on (undefined when the parameters name none, or no valid live slot). */
export function liveAmiIn(parameters: Readonly<Record<string, string>>): string | undefined {
  if (!isSlotsParameters(parameters)) return parameters[AMI_PARAMETER] || undefined;
  const live = liveSlotOf(parameters);
  return live ? readSlotPlan(parameters).slots[live].amiId || undefined : undefined;
}

/**
 * The AMI the idle slot holds with capacity (warm, one weight flip from taking the traffic);
 * undefined in the replace shape or when the idle slot is retired.
 */
export function warmIdleAmiIn(parameters: Readonly<Record<string, string>>): string | undefined {
  const live = isSlotsParameters(parameters) ? liveSlotOf(parameters) : undefined;
  if (!live) return undefined;
  const idle = readSlotPlan(parameters).slots[otherSlot(live)];
  return idle.capacity > 0 && idle.amiId ? idle.amiId : undefined;
}

/**
 * The values to change so that `amiId` is what users are on; empty when it already is. In the
 * slots shape, the switch described at the top of this module.
 */
export function liveAmiChanges(parameters: Readonly<Record<string, string>>, amiId: string): Record<string, string> {
  if (liveAmiIn(parameters) === amiId) return {};
  if (!isSlotsParameters(parameters)) return { [AMI_PARAMETER]: amiId };
  const live = liveSlotOf(parameters);
  if (!live) {
    throw new InputError(`Cannot make ${amiId} live: ${LIVE_SLOT_PARAMETER} is "${parameters[LIVE_SLOT_PARAMETER]}", not one of ${SLOT_NAMES.join(', ')}. Fix the file first (docs/parameters.md).`);
  }
  const next = otherSlot(live);
  const plan = readSlotPlan(parameters);
  const keys = slotParameters(next);
  // A retired slot comes back at the live slot's size: it is about to take all the traffic.
  const capacity = plan.slots[next].capacity > 0 ? plan.slots[next].capacity : plan.slots[live].capacity;
  return {
    [LIVE_SLOT_PARAMETER]: next,
    [keys.ami]: amiId,
    [keys.capacity]: String(capacity),
    [keys.weight]: String(TOTAL_WEIGHT),
    [slotParameters(live).weight]: '0',
  };
}

/**
 * The values to change so that `amiId` is staged (docs/parameters.md, "Staging ahead"): the idle
 * slot gets the AMI and capacity (the live slot's size, when it was retired), at weight 0, and
 * `LiveSlot` stays: nothing moves users. Empty when the idle slot already holds it with capacity.
 * The switch that follows (liveAmiChanges on the staged file) changes only `LiveSlot` and the
 * weights. Refused when users are on `amiId` already: there is nothing to stage.
 */
export function stageAmiChanges(parameters: Readonly<Record<string, string>>, amiId: string, file: string): Record<string, string> {
  const live = isSlotsParameters(parameters) ? liveSlotOf(parameters) : undefined;
  if (!live) {
    throw new InputError(`Cannot stage ${amiId} in ${file}: staging ahead needs the slots shape with a valid ${LIVE_SLOT_PARAMETER} (docs/parameters.md, "Staging ahead").`, { file });
  }
  if (liveAmiIn(parameters) === amiId) return {};
  const plan = readSlotPlan(parameters);
  const idle = otherSlot(live);
  const keys = slotParameters(idle);
  if (plan.slots[idle].amiId === amiId && plan.slots[idle].capacity > 0 && plan.slots[idle].weight === 0) return {};
  const capacity = plan.slots[idle].capacity > 0 ? plan.slots[idle].capacity : plan.slots[live].capacity;
  return { [keys.ami]: amiId, [keys.capacity]: String(capacity), [keys.weight]: '0' };
}

/**
 * The one rewrite that brings a new AMI to an environment, the patch PR's and the promotion PR's:
 * `amiId` made what users are on, or, with staging ahead (the wiring's slots.stageAhead), staged in
 * the idle slot at weight 0, the switch a second PR (docs/parameters.md, "Staging ahead"). One
 * function, so a promotion into a staging environment stages exactly as its patch PR would.
 * `changes`: the values rewritten, empty when the file already names (or stages) the AMI.
 */
export function bumpAmiInFile(text: string, amiId: string, file: string, stageAhead: boolean): { text: string; changes: Record<string, string> } {
  const parameters = parseParametersFile(text, file).parameters;
  const changes = stageAhead ? stageAmiChanges(parameters, amiId, file) : liveAmiChanges(parameters, amiId);
  return { text: setParametersInFile(text, changes, file), changes };
}

/** Applies `changes` line by line (each an existing key: the diff stays one line per value). */
function setParametersInFile(text: string, changes: Readonly<Record<string, string>>, file: string): string {
  return Object.entries(changes).reduce((t, [key, value]) => setParameterInFile(t, key, value, file), text);
}

/** The file's text with `amiId` made what users are on (unchanged text when it already is). */
export function setLiveAmiInFile(text: string, amiId: string, file: string): string {
  return setParametersInFile(text, liveAmiChanges(parseParametersFile(text, file).parameters, amiId), file);
}

/**
 * The file's text saying what a settled stack runs (the record after a rollback or a flip back):
 * its AMI, or in the slots shape its live slot and every slot's AMI, capacity and weight.
 */
export function setStackStateInFile(text: string, stackParameters: Readonly<Record<string, string>>, file: string): string {
  const parameters = parseParametersFile(text, file).parameters;
  if (!isSlotsParameters(parameters) || !isSlotsParameters(stackParameters)) {
    const amiId = liveAmiIn(stackParameters);
    if (!amiId) throw new InputError(`Cannot record what the stack runs in ${file}: the stack names no AMI (no ${AMI_PARAMETER} or ${LIVE_SLOT_PARAMETER} parameter).`, { file });
    return setLiveAmiInFile(text, amiId, file);
  }
  const changes = Object.fromEntries(SLOT_STATE_KEYS.filter((k) => stackParameters[k] !== undefined && stackParameters[k] !== parameters[k]).map((k) => [k, stackParameters[k]]));
  return setParametersInFile(text, changes, file);
}

/**
 * The parameters whose values differ between two texts of one file, in the order the new text
 * lists them: what a record commit changed, for its metadata (`AmazonMachineImage`; in the slots
 * shape e.g. `LiveSlot, BlueWeight, GreenWeight` for a weight flip).
 */
export function changedParameterKeys(before: string, after: string, file: string): string[] {
  const old = parseParametersFile(before, file).parameters;
  const next = parseParametersFile(after, file).parameters;
  return Object.keys(next).filter((key) => old[key] !== next[key]);
}
