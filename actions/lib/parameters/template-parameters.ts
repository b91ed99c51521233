/**
 * A CloudFormation template's `Parameters` section, read from YAML (short-form tags included) or
 * JSON, normalised to what CloudFormation itself compares against: strings.
 */
import { parseCfnTemplateSource } from '../cfn-yaml';
import { InputError } from '../errors';
import { throwIfProblems, type FileProblem } from './file-problems';
import { readSmallTextFile } from './repository-file';

/** One declared parameter, with the constraints CloudFormation enforces on its value. */
export interface TemplateParameter {
  name: string;
  /** `String`, `Number`, `CommaDelimitedList`, `List<Number>`, `AWS::EC2::Image::Id`, … */
  type: string;
  /** Absent means required: a stack cannot be created without a value. */
  default?: string;
  allowedValues?: string[];
  allowedPattern?: string;
  minLength?: number;
  maxLength?: number;
  minValue?: number;
  maxValue?: number;
  constraintDescription?: string;
  /** Values of NoEcho parameters are never repeated in messages. */
  noEcho: boolean;
}

/** The Parameters of one template file, by name (in the template's order). */
export interface TemplateParameters {
  file: string;
  parameters: ReadonlyMap<string, TemplateParameter>;
}

/** Reads `file` and returns its Parameters. A missing or unreadable template is an InputError. */
export async function readTemplateParameters(file: string): Promise<TemplateParameters> {
  return parseTemplateParameters(await readTemplateText(file), file);
}

/**
 * Largest template read from the repository: CloudFormation's own limit for a template in S3
 * (1 MB). An inline TemplateBody is smaller still, which update-app-stack checks itself.
 */
export const MAX_TEMPLATE_FILE_BYTES = 1024 * 1024;

/** A template file's text, under the repository's file policy (repository-file.ts); a missing,
 *  linked, special or oversized file is an InputError naming the path to fix. */
export async function readTemplateText(file: string): Promise<string> {
  return readSmallTextFile(file, {
    whatFailed: 'CloudFormation template unreadable',
    maxBytes: MAX_TEMPLATE_FILE_BYTES,
    missingFix: "Check the template path (the appTemplate entry in parameters/environments.json or the action's template input)",
    emptyFix: 'Write the CloudFormation template, or point at the right file',
  });
}

/** Parses a template's text (YAML or JSON) and returns its Parameters. */
export function parseTemplateParameters(text: string, file: string): TemplateParameters {
  const source = parseCfnTemplateSource(text, file);
  const template = source.value;
  if (!isRecord(template)) {
    throw new InputError(`CloudFormation template unreadable for ${file}: the document is not a mapping. Check that ${file} is a CloudFormation template.`, { file });
  }
  const section = template.Parameters ?? {};
  if (!isRecord(section)) {
    throw new InputError(`CloudFormation template invalid for ${file}: Parameters is not a mapping. Declare each parameter as a key under Parameters.`, { file });
  }
  const parameters = new Map<string, TemplateParameter>();
  const problems: FileProblem[] = [];
  for (const [name, declaration] of Object.entries(section)) {
    const parsed = toTemplateParameter(name, declaration);
    if (typeof parsed === 'string') problems.push({ line: source.lineOf(['Parameters', name]), message: `parameter ${name}: ${parsed}` });
    else parameters.set(name, parsed);
  }
  throwIfProblems('CloudFormation template invalid', file, problems);
  return { file, parameters };
}

/** A declaration → TemplateParameter, or why it is not one CloudFormation would accept. */
function toTemplateParameter(name: string, declaration: unknown): TemplateParameter | string {
  if (!isRecord(declaration)) return 'the declaration is not a mapping. Give it at least a Type.';
  if (typeof declaration.Type !== 'string') return 'Type is missing. CloudFormation requires a Type on every parameter.';
  const asString = (value: unknown) => (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string' ? String(value) : undefined);
  const asNumber = (value: unknown) => (value === undefined || value === null || value === '' ? undefined : Number(value));
  if (declaration.Default !== undefined && asString(declaration.Default) === undefined) {
    return 'Default is not a scalar (intrinsic functions are not allowed there). Write a literal value.';
  }
  if (declaration.AllowedValues !== undefined && !Array.isArray(declaration.AllowedValues)) return 'AllowedValues is not a list. Write it as a YAML list.';
  const numbers = { minLength: asNumber(declaration.MinLength), maxLength: asNumber(declaration.MaxLength), minValue: asNumber(declaration.MinValue), maxValue: asNumber(declaration.MaxValue) };
  const notNumeric = Object.entries(numbers).find(([, value]) => value !== undefined && Number.isNaN(value));
  if (notNumeric) return `${notNumeric[0][0].toUpperCase()}${notNumeric[0].slice(1)} is not a number. Write a number.`;
  return {
    name,
    type: declaration.Type,
    default: asString(declaration.Default),
    allowedValues: (declaration.AllowedValues as unknown[] | undefined)?.map((value) => asString(value) ?? JSON.stringify(value)),
    allowedPattern: asString(declaration.AllowedPattern),
    ...numbers,
    constraintDescription: asString(declaration.ConstraintDescription),
    noEcho: String(declaration.NoEcho).toLowerCase() === 'true',
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
