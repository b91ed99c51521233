/**
 * `parameters/ami-retirement.json`: the pipeline images the lifecycle job proposes to retire. The
 * job writes it and a PR carries it; merging the PR is the person's approval, and the retire job
 * that the merge starts deletes only what this file lists and is still retirable then.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { z } from 'zod';

import { InputError } from '../errors';
import { AMI_ID_PATTERN } from './aws-id-shapes';

export const RETIREMENT_FILE = 'parameters/ami-retirement.json';

const entrySchema = z.object({
  region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$/),
  amiId: z.string().regex(AMI_ID_PATTERN),
  name: z.string().optional(),
  creationDate: z.string().optional(),
});
const fileSchema = z.object({ about: z.string().optional(), proposedAt: z.string(), retire: z.array(entrySchema) }).strict();

export type RetirementEntry = z.infer<typeof entrySchema>;
export interface RetirementFile {
  proposedAt: string;
  retire: RetirementEntry[];
}

const ABOUT = 'Written by the AMI lifecycle job (gitops plan-ami-lifecycle). Merging the pull request that changes this file approves retiring these images: deprecate, then deregister with their snapshots. Images a failback, a revocation or an instance still needs are re-checked and skipped at that moment.';

/** The file's text, one entry per line so a reviewer can strike one out in the PR. */
export function renderRetirementFile(plan: RetirementFile): string {
  const entries = plan.retire.map((e) => `    ${JSON.stringify(e)}`).join(',\n');
  return `{\n  "about": ${JSON.stringify(ABOUT)},\n  "proposedAt": ${JSON.stringify(plan.proposedAt)},\n  "retire": [${entries ? `\n${entries}\n  ` : ''}]\n}\n`;
}

/** Reads the file under `rootDir`; a repository without it has nothing approved for retirement. */
export async function loadRetirementFile(rootDir: string): Promise<RetirementFile> {
  const path = join(rootDir, RETIREMENT_FILE);
  if (!existsSync(path)) return { proposedAt: '', retire: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InputError(`Retirement plan invalid for ${RETIREMENT_FILE}: not JSON (${(error as Error).message}). Restore the file the lifecycle job wrote.`, { file: RETIREMENT_FILE });
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`Retirement plan invalid for ${RETIREMENT_FILE}: ${issue.path.join('.') || 'the top level'} ${issue.message}. Restore the file the lifecycle job wrote, or delete entries whole.`, { file: RETIREMENT_FILE });
  }
  return parsed.data;
}
