import { parse, stringify } from 'yaml';
import { z } from 'zod';

import { AMI_ID_PATTERN } from '../parameters';

/**
 * Why an AMI line changed. `patch` is a bump PR from the patch workflow; `promotion` a promotion PR
 * that gives a later wave the AMI the wave before it ran verified; `failback`, `auto-failback` and
 * `rollback-sync` put an older AMI back, and mark the AMI they moved away from as one not to
 * return to by default. `retire-slot` (strategy slots) changes no AMI users are on: it records the
 * old slot scaled to zero after a quiet bake window (`ami-id` is the live AMI, `retired-ami-id`
 * the old slot's). Staging ahead (docs/parameters.md) splits a patch in two: `stage` puts the new
 * AMI in the idle slot at weight 0 (no AMI users are on changes; `ami-id` is the staged AMI,
 * `previous-ami-id` the live one), and `switch`, proposed by the stage's deploy, makes it live
 * (`proven-at`: when that deploy proved the slot; `base-commit`: the commit it proposed from).
 */
export const UPDATE_TYPES = ['patch', 'promotion', 'failback', 'auto-failback', 'rollback-sync', 'retire-slot', 'stage', 'switch'] as const;
export type UpdateType = (typeof UPDATE_TYPES)[number];

/** Update types that move an environment away from an AMI because it misbehaved. */
export const REVERTING_UPDATE_TYPES: ReadonlySet<UpdateType> = new Set(['failback', 'auto-failback', 'rollback-sync']);

const updatedAmiSchema = z.object({
  environment: z.string().min(1),
  'parameters-file': z.string().min(1),
  parameter: z.string().min(1),
  'previous-ami-id': z.string().regex(AMI_ID_PATTERN).optional(),
  'ami-id': z.string().regex(AMI_ID_PATTERN),
  'update-type': z.enum(UPDATE_TYPES),
  'image-arn': z.string().optional(),
  reason: z.string().optional(),
  'requested-by': z.string().optional(),
  'run-url': z.string().optional(),
  /** promotion: the wave whose environments ran the AMI verified for their soak. */
  'promoted-from': z.string().optional(),
  /** A promotion into another region: the AMI this environment's copy was made from. */
  'source-ami-id': z.string().optional(),
  /** retire-slot: the AMI of the slot scaled to zero (kept in the file for a failback after the window). */
  'retired-ami-id': z.string().regex(AMI_ID_PATTERN).optional(),
  /** switch: when the stage deploy proved the slot (ISO 8601), and the commit the switch PR was proposed from. */
  'proven-at': z.iso.datetime().optional(),
  'base-commit': z.string().regex(/^[0-9a-f]{40}$/).optional(),
});

/** One AMI change, as recorded in a commit message. Field names are kebab-case, like Dependabot's. */
export type UpdatedAmi = z.infer<typeof updatedAmiSchema>;

const blockSchema = z.object({ 'updated-amis': z.array(updatedAmiSchema).min(1) });

/**
 * The machine-readable block that ends our commit messages, in the shape Dependabot uses
 * (a YAML document between `---` and `...`, under one key), so tooling that
 * gates auto-merge or audits failbacks reads it back with `parseMetadataBlock` or any YAML parser.
 */
export function formatMetadataBlock(updates: readonly UpdatedAmi[]): string {
  const clean = updates.map((u) => Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined && v !== '')));
  // lineWidth 0: never fold long values (run URLs, ARNs), so a line-oriented grep still finds them;
  // indentSeq false: list items at column 0, exactly like Dependabot's block.
  return `---\n${stringify({ 'updated-amis': clean }, { lineWidth: 0, indentSeq: false }).trimEnd()}\n...`;
}

const BLOCK = /(?:^|\n)---\n(updated-amis:[\s\S]*?)\n\.\.\.(?:\n|$)/;

/**
 * The updates a commit message records, or undefined when it carries no block (a human commit).
 * A block that is present but malformed is also undefined: history readers must not stop on a
 * hand-edited message, they just learn nothing from it.
 */
export function parseMetadataBlock(message: string): UpdatedAmi[] | undefined {
  const match = BLOCK.exec(message.replace(/\r\n/g, '\n'));
  if (!match) return undefined;
  try {
    const parsed = blockSchema.safeParse(parse(match[1]));
    return parsed.success ? parsed.data['updated-amis'] : undefined;
  } catch {
    return undefined;
  }
}

export interface CommitMessageParts {
  /** First line: imperative, ≤ 72 characters where possible. */
  subject: string;
  /** Paragraphs for humans. */
  body?: string[];
  updates: readonly UpdatedAmi[];
}

/** Subject, human paragraphs, then the metadata block: Dependabot's commit message layout. */
export function composeCommitMessage(parts: CommitMessageParts): string {
  return [parts.subject, ...(parts.body ?? []), formatMetadataBlock(parts.updates)].join('\n\n') + '\n';
}
