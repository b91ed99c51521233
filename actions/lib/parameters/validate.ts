/**
 * A parameters file checked against its template's Parameters before any AWS call (DESIGN.md
 * §3.1): unknown keys, missing required keys, and every constraint CloudFormation would enforce
 * (AllowedValues, AllowedPattern, lengths, Number ranges, EC2 ID shapes, list items). Each problem
 * names the file's line, the key, the bad value and the fix; all of them are reported together.
 */
import { EC2_ID_TYPES } from './aws-id-shapes';
import { closestName, quote, throwIfProblems, type FileProblem } from './file-problems';
import { inspectParametersFile, PARAMETERS_FILE_INVALID, readParametersText, type ParametersFile } from './parameters-file';
import { findSlotProblems, isSlotsTemplate, LIVE_SLOT_PARAMETER, SLOT_NAMES, slotParameters } from './slots';
import { readTemplateParameters, type TemplateParameter, type TemplateParameters } from './template-parameters';

/** How many AllowedValues a message lists before eliding the rest. */
const SHOWN_ALLOWED_VALUES = 12;

/** CloudFormation's Number: an integer or a decimal, optionally signed, optionally with an exponent. */
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Every problem of `parametersFile` against `template`. `alreadyReported` are keys whose presence a
 * structural check already reported (a non-string value, a duplicate): they are not reported again
 * as unknown or missing.
 */
export function findParameterProblems(
  parametersFile: ParametersFile,
  template: TemplateParameters,
  alreadyReported: ReadonlySet<string> = new Set(),
): FileProblem[] {
  const problems: FileProblem[] = [];
  const declared = template.parameters;
  const badValues = new Set<string>();
  for (const [key, value] of Object.entries(parametersFile.parameters)) {
    const line = parametersFile.lineOf('Parameters', key);
    const parameter = declared.get(key);
    if (!parameter) {
      if (alreadyReported.has(key)) continue;
      const guess = closestName(key, declared.keys());
      const fix = guess ? `Rename it to "${guess}"` : `Remove it, or declare it in ${template.file}`;
      problems.push({ line, message: `unknown parameter ${quote(key)}: ${template.file} declares no such parameter. ${fix}.` });
      continue;
    }
    for (const message of checkValue(parameter, value, template.file)) {
      problems.push({ line, message });
      badValues.add(key);
    }
  }
  // The slots rules read several values together: only once each of them is present and valid alone.
  const slotKeys = [LIVE_SLOT_PARAMETER, ...SLOT_NAMES.flatMap((slot) => Object.values(slotParameters(slot)))];
  if (isSlotsTemplate(template) && slotKeys.every((k) => key(parametersFile, k) && !badValues.has(k) && !alreadyReported.has(k))) {
    problems.push(...findSlotProblems(parametersFile));
  }
  for (const parameter of declared.values()) {
    if (parameter.default !== undefined || key(parametersFile, parameter.name) || alreadyReported.has(parameter.name)) continue;
    const example = EC2_ID_TYPES[parameter.type]?.example ?? '…';
    problems.push({
      line: parametersFile.lineOf('Parameters'),
      message: `missing parameter "${parameter.name}": ${template.file} gives it no Default, so CloudFormation needs a value. Add "${parameter.name}": "${example}" under Parameters.`,
    });
  }
  return problems;
}

/** Throws one InputError listing every problem of `parametersFile` against `template`. */
export function validateParameters(parametersFile: ParametersFile, template: TemplateParameters): void {
  throwIfProblems(PARAMETERS_FILE_INVALID, parametersFile.file, findParameterProblems(parametersFile, template));
}

/**
 * Loads a parameters file and checks it against the template at `templateFile`, reporting the
 * structural problems and the template problems of the file together in one InputError. This is
 * what an action calls before touching AWS.
 */
export async function loadValidatedParametersFile(parametersPath: string, templateFile: string): Promise<ParametersFile> {
  const inspection = inspectParametersFile(await readParametersText(parametersPath), parametersPath);
  const template = await readTemplateParameters(templateFile);
  const againstTemplate = inspection.hasParametersObject ? findParameterProblems(inspection.parametersFile, template, inspection.reportedKeys) : [];
  const problems = [...inspection.problems, ...againstTemplate];
  throwIfProblems(PARAMETERS_FILE_INVALID, parametersPath, problems);
  return inspection.parametersFile;
}

function key(parametersFile: ParametersFile, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(parametersFile.parameters, name);
}

/** Why `value` breaks `parameter`'s constraints (empty when it does not). */
function checkValue(parameter: TemplateParameter, value: string, templateFile: string): string[] {
  const list = /^List<(.+)>$/.exec(parameter.type)?.[1] ?? (parameter.type === 'CommaDelimitedList' ? 'String' : undefined);
  const shown = (v: string) => (parameter.noEcho ? '(NoEcho value hidden)' : quote(v));
  if (list === undefined) {
    return [...checkLength(parameter, value, shown, templateFile), ...checkItem(parameter, parameter.type, value, `${parameter.name} = ${shown(value)}`, templateFile)];
  }
  if (value === '') return [];
  const items = value.split(',');
  const empty = items.findIndex((item) => item.trim() === '');
  if (empty >= 0) {
    return [`${parameter.name} = ${shown(value)} has an empty item at position ${empty + 1} (a doubled or trailing comma). Remove it.`];
  }
  return items.flatMap((item, i) => checkItem(parameter, list, item.trim(), `${parameter.name} item ${i + 1} of ${items.length} = ${shown(item.trim())}`, templateFile));
}

/** MinLength/MaxLength: String parameters only, as in CloudFormation. */
function checkLength(parameter: TemplateParameter, value: string, shown: (v: string) => string, templateFile: string): string[] {
  if (parameter.type !== 'String') return [];
  const { minLength = 0, maxLength = Infinity } = parameter;
  if (value.length >= minLength && value.length <= maxLength) return [];
  const bound = value.length < minLength ? `at least ${minLength} (MinLength)` : `at most ${maxLength} (MaxLength)`;
  return [`${parameter.name} = ${shown(value)} is ${value.length} characters; ${templateFile} requires ${bound}${constraint(parameter)}. Change the value.`];
}

/** Type shape, Number range, AllowedValues and AllowedPattern for one value or list item. */
function checkItem(parameter: TemplateParameter, type: string, value: string, subject: string, templateFile: string): string[] {
  const problems: string[] = [];
  const idShape = EC2_ID_TYPES[type];
  if (idShape && !idShape.pattern.test(value)) {
    const fix = type === 'AWS::EC2::Image::Id' ? "Use the ami-id output of build-ami, or an ID from 'aws ec2 describe-images'" : 'Use the ID itself, not a name or an ARN';
    problems.push(`${subject} is not ${idShape.noun} (${idShape.shape}, e.g. ${idShape.example}). ${fix}.`);
  }
  if (type === 'Number') {
    if (!NUMBER.test(value)) {
      problems.push(`${subject} is not a number, and ${templateFile} declares ${parameter.name} as ${parameter.type}. Write digits, e.g. "2".`);
    } else {
      const number = Number(value);
      const { minValue = -Infinity, maxValue = Infinity } = parameter;
      if (number < minValue || number > maxValue) {
        const range = `${Number.isFinite(minValue) ? minValue : '−∞'} to ${Number.isFinite(maxValue) ? maxValue : '∞'}`;
        problems.push(`${subject} is outside the range ${range} (MinValue/MaxValue) of ${templateFile}${constraint(parameter)}. Use a value in that range.`);
      }
    }
  }
  if (parameter.allowedValues && !parameter.allowedValues.includes(value)) {
    const values = parameter.allowedValues;
    const listed = values.slice(0, SHOWN_ALLOWED_VALUES).join(', ') + (values.length > SHOWN_ALLOWED_VALUES ? `, … (${values.length} in all)` : '');
    // A typo of an allowed value (t3.mirco) gets the one it most likely meant; a value of a few
    // characters is within two edits of anything, so it gets no guess.
    const guess = value.length >= 4 ? closestName(value, values) : undefined;
    problems.push(`${subject} is not one of the AllowedValues of ${templateFile}: ${listed}${constraint(parameter)}. ${guess ? `Did you mean "${guess}"? ` : ''}Use one of them.`);
  }
  // AllowedPattern applies to String values and to each item of a CommaDelimitedList, as in CloudFormation.
  if (parameter.allowedPattern !== undefined && type === 'String') {
    const problem = checkPattern(parameter, value, subject, templateFile);
    if (problem) problems.push(problem);
  }
  return problems;
}

function checkPattern(parameter: TemplateParameter, value: string, subject: string, templateFile: string): string | undefined {
  let pattern: RegExp;
  try {
    // CloudFormation matches the pattern against the entire value (Java's matches()), hence the anchors.
    pattern = new RegExp(`^(?:${parameter.allowedPattern})$`);
  } catch (error) {
    return `the AllowedPattern of ${parameter.name} in ${templateFile} is not a regular expression this check can run (${(error as Error).message}). Fix the pattern in the template.`;
  }
  if (pattern.test(value)) return undefined;
  return `${subject} does not match the AllowedPattern ${parameter.allowedPattern} of ${templateFile}${constraint(parameter)}. Change the value to match.`;
}

/** The template's own explanation (ConstraintDescription), when it has one. */
function constraint(parameter: TemplateParameter): string {
  const text = parameter.constraintDescription?.trim().replace(/\.$/, '');
  return text ? ` (the template says: ${text})` : '';
}
