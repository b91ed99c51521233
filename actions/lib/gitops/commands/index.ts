import type { GitopsCommand } from './context';
import { deployReport, prepareFailback, syncFromStack } from './deploy';
import { checkDrift, checkPatchDebt, listEnvironments } from './drift';
import { writeParameters } from './e2e';
import { changedEnvironments, resolveEnvironment, resolvePipeline } from './environment';
import { checkImage, recordFailback, resolveFailback } from './failback';
import { composePatchPr, setAmi } from './patch';
import { planAmiLifecycle, retireAmis } from './lifecycle';
import { notify } from './notify';
import { upsertPreview } from './preview';
import { applyPromotion, checkWaveGate, listPromotionWaves, proposePromotion } from './promotion';
import { replaceRevoked } from './revoked';
import { checkRetirement, listRetirements, recordRetirement } from './retire';
import { checkSwitch, proposeSwitch } from './stage';

/**
 * Every subcommand of the gitops action, by the name workflows pass as `command`. The workflows
 * call these instead of inline shell: each is typed, validated and unit-tested.
 */
export const COMMANDS = {
  'changed-environments': changedEnvironments,
  'resolve-environment': resolveEnvironment,
  'resolve-pipeline': resolvePipeline,
  'set-ami': setAmi,
  'compose-patch-pr': composePatchPr,
  'resolve-failback': resolveFailback,
  'check-image': checkImage,
  'record-failback': recordFailback,
  'prepare-failback': prepareFailback,
  'sync-from-stack': syncFromStack,
  'deploy-report': deployReport,
  'upsert-preview-comment': upsertPreview,
  'list-environments': listEnvironments,
  'check-drift': checkDrift,
  'replace-revoked': replaceRevoked,
  'check-patch-debt': checkPatchDebt,
  'plan-ami-lifecycle': planAmiLifecycle,
  'retire-amis': retireAmis,
  'write-parameters': writeParameters,
  'list-promotion-waves': listPromotionWaves,
  'propose-promotion': proposePromotion,
  'apply-promotion': applyPromotion,
  'check-wave-gate': checkWaveGate,
  'check-retirement': checkRetirement,
  'record-retirement': recordRetirement,
  'list-retirements': listRetirements,
  'check-switch': checkSwitch,
  'propose-switch': proposeSwitch,
  notify,
} satisfies Record<string, GitopsCommand>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(name: string): name is CommandName {
  return Object.prototype.hasOwnProperty.call(COMMANDS, name);
}

/** Input names of a command, in schema order (what main.ts reads from the runner). */
export function inputNames(command: GitopsCommand): string[] {
  return Object.keys(command.inputs.shape);
}

export type { CommandResult, GitopsCommand, GitopsContext } from './context';
