/**
 * The parameters model (DESIGN.md §3.1): the one module that reads and writes `parameters/`.
 * Nothing else parses those files.
 */
export { AMI_ID_PATTERN, EC2_ID_TYPES, isAmiId } from './aws-id-shapes';
export { ENVIRONMENTS_FILE, environmentStackNames, getEnvironment, loadEnvironments, parseEnvironments } from './environments';
export { accountOfRoleArn, DEFAULT_SOAK_MINUTES, soakMinutesOf, waveIndexOf } from './environments';
export type { EnvironmentConfig, EnvironmentsConfig, EnvironmentStacks, StackParameterRole, Wave } from './environments';
export { FileProblemsError } from './file-problems';
export type { FileProblem } from './file-problems';
export { loadParametersFile, MAX_PARAMETERS_FILE_BYTES, PARAMETERS_FILE_INVALID, parseParametersFile, readParametersText } from './parameters-file';
export { checkRepositoryFile, findRepositoryFileProblem, readSmallTextFile, writeRepositoryFile } from './repository-file';
export type { ParametersFile } from './parameters-file';
export { setParameterInFile } from './set-parameter';
export { parseTemplateParameters, readTemplateParameters, readTemplateText } from './template-parameters';
export type { TemplateParameter, TemplateParameters } from './template-parameters';
export { findParameterProblems, loadValidatedParametersFile, validateParameters } from './validate';
export {
  assertNotRevoked,
  describeRevocation,
  findRevocation,
  loadRevocations,
  parseRevocations,
  REVOCATIONS_FILE,
  RevokedAmiError,
  revokedAmiIds,
} from './revocations';
export type { AmiIdentity, Revocation, RevocationList } from './revocations';
export { loadRetirementFile, renderRetirementFile, RETIREMENT_FILE } from './retirement-file';
export type { RetirementEntry, RetirementFile } from './retirement-file';
export { LIFECYCLE_DEFAULTS, PATCH_DEBT_DEFAULTS } from './environments';
export { findSlotProblems, isSlotsTemplate, LIVE_SLOT_PARAMETER, liveAmiOf, otherSlot, readSlotPlan, SLOT_NAMES, slotParameters, slotPrefix, TOTAL_WEIGHT } from './slots';
export type { SlotName, SlotPlan, SlotState } from './slots';
export { SLOTS_DEFAULTS } from './environments';
export type { DeployStrategy, NotifySettings, SlotsSettings, WebhookKind } from './environments';
export { AMI_PARAMETER, amiParametersOf, bumpAmiInFile, changedParameterKeys, isSlotsParameters, liveAmiChanges, liveAmiIn, liveAmiParameter, setLiveAmiInFile, setStackStateInFile, stageAmiChanges, warmIdleAmiIn } from './live-ami';
