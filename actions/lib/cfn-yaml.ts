/**
 * CloudFormation's YAML dialect: the short-form intrinsic tags (`!Ref`, `!Sub`, `!GetAtt`, `!If`, …)
 * parsed into the long form CloudFormation itself uses (`{ "Ref": … }`, `{ "Fn::Sub": … }`), so a
 * template read here looks exactly like its JSON equivalent. Shared by everything that reads a
 * template (the parameters model, contract tests, the details-page extractor).
 */
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Tags } from 'yaml';

import { InputError } from './errors';

type TagResolve = (value: unknown) => unknown;

/** Functions written `!Name` in YAML and `Fn::Name` in JSON. */
const FN_TAGS = [
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAZs',
  'ImportValue',
  'If',
  'Join',
  'Length',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
  'ToJsonString',
  'Transform',
] as const;

/** `!GetAtt Res.Attr` is the string form of `Fn::GetAtt: [Res, Attr]` (split at the first dot only:
 *  attribute names such as `Endpoint.Address` contain dots themselves). */
function getAtt(value: unknown): unknown {
  if (typeof value !== 'string') return { 'Fn::GetAtt': value };
  const dot = value.indexOf('.');
  return { 'Fn::GetAtt': dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
}

/** Registers `tag` for scalar, sequence and mapping nodes alike (CloudFormation accepts each form
 *  where the function's argument allows it, e.g. `!Sub 'x'` and `!Sub ['x${A}', {A: …}]`). */
function tagAllForms(tag: string, build: TagResolve): Tags {
  const toJs = (node: unknown) => (node && typeof (node as { toJSON?: unknown }).toJSON === 'function' ? (node as { toJSON(): unknown }).toJSON() : node);
  return [
    { tag, identify: () => false, resolve: (value: string) => build(value) },
    { tag, identify: () => false, collection: 'seq', resolve: (node: unknown) => build(toJs(node)) },
    { tag, identify: () => false, collection: 'map', resolve: (node: unknown) => build(toJs(node)) },
  ] as unknown as Tags;
}

/** The yaml `customTags` that make the `yaml` package read CloudFormation's short forms. */
export const CFN_YAML_TAGS: Tags = [
  ...tagAllForms('!Ref', (value) => ({ Ref: value })),
  ...tagAllForms('!Condition', (value) => ({ Condition: value })),
  ...tagAllForms('!GetAtt', getAtt),
  ...FN_TAGS.flatMap((name) => tagAllForms(`!${name}`, (value) => ({ [`Fn::${name}`]: value }))),
];

/** Parses CloudFormation YAML (or JSON, which is YAML) into a `yaml` Document, keeping positions. */
export function parseCfnDocument(text: string, lineCounter?: LineCounter): Document {
  // YAML 1.2 core schema: `Version: 2010-09-09` stays a string, as CloudFormation reads it.
  return parseDocument(text, { customTags: CFN_YAML_TAGS, prettyErrors: true, uniqueKeys: true, lineCounter });
}

/** A parsed template that can say on which line a key sits. */
export interface CfnTemplateSource {
  value: unknown;
  /** 1-based line of the key at `path` (e.g. ["Parameters", "InstanceType"]), or of its closest
   *  existing ancestor; 1 when nothing on the path exists. */
  lineOf(path: (string | number)[]): number;
}

/**
 * Parses a CloudFormation template's text (YAML with short-form tags, or JSON) into plain data.
 * A syntax error, a duplicate key or an unknown tag is an InputError located at its line.
 */
export function parseCfnTemplateSource(text: string, file: string): CfnTemplateSource {
  const lineCounter = new LineCounter();
  const doc = parseCfnDocument(text, lineCounter);
  const problem = doc.errors[0] ?? doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (problem) {
    const { line, col: column } = problem.linePos?.[0] ?? {};
    // prettyErrors appends " at line L, column C:" and a code excerpt; the location goes in front instead.
    const why = problem.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').replace(/\.$/, '');
    throw new InputError(
      `CloudFormation template unreadable for ${file}: ${line ? `line ${line}, column ${column}: ` : ''}${why}. Fix the YAML there (cfn-lint ${file} points at the same spot).`,
      { file, line, column },
    );
  }
  const keyLine = (path: (string | number)[]): number | undefined => {
    const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
    if (!isMap(parent)) return undefined;
    const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1]);
    const offset = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return {
    value: doc.toJS({ maxAliasCount: 100 }),
    lineOf: (path) => {
      for (let depth = path.length; depth > 0; depth--) {
        const line = keyLine(path.slice(0, depth));
        if (line !== undefined) return line;
      }
      return 1;
    },
  };
}

/** {@link parseCfnTemplateSource} without positions: the template as plain data. */
export function parseCfnTemplate(text: string, file: string): unknown {
  return parseCfnTemplateSource(text, file).value;
}
