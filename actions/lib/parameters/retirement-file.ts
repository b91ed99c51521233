/**
 * `parameters/ami-retirement.json`: the pipeline images the lifecycle job proposes to retire. The
 * job writes it and a PR carries it; merging the PR is the person's approval, and the retire job
 * that the merge starts deletes only what this file lists and is still retirable then.
 */
import { join } from 'node:path';

import Ajv2020 from 'ajv/dist/2020';

import schema from '../../../parameters/ami-retirement.schema.json';
import { throwIfProblems, type FileProblem } from './file-problems';
import { parseJsonSource } from './json-source';
import { findRepositoryFileProblem, readSmallTextFile } from './repository-file';
import { describeSchemaErrors, duplicateKeyProblems } from './schema-problems';

export const RETIREMENT_FILE = 'parameters/ami-retirement.json';

const PLAN_INVALID = 'Retirement plan invalid';

/** A proposal lists a few hundred images at most; still a file of short strings. */
const MAX_RETIREMENT_BYTES = 256 * 1024;

export interface RetirementEntry {
  region: string;
  amiId: string;
  name?: string;
  creationDate?: string;
}
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

/**
 * Reads the file under `rootDir`; a repository without it has nothing approved for retirement.
 * Merging it approves deletions, so it is read as every repository file is (repository-file.ts:
 * no link, no special file, the size before reading) and parsed strictly (json-source.ts: the
 * depth before parsing; a key twice is refused, since a reviewer reads the first and JSON.parse
 * keeps the last), and every key outside the schema is refused alike, `__proto__` included.
 */
export async function loadRetirementFile(rootDir: string): Promise<RetirementFile> {
  const path = join(rootDir, RETIREMENT_FILE);
  if (findRepositoryFileProblem(path, rootDir) === 'missing') return { proposedAt: '', retire: [] };
  const text = await readSmallTextFile(path, {
    whatFailed: PLAN_INVALID,
    maxBytes: MAX_RETIREMENT_BYTES,
    root: rootDir,
    missingFix: 'Run the AMI lifecycle workflow to write it',
    emptyFix: 'Restore the file the lifecycle job wrote, or delete it (nothing is then approved)',
  });
  return parseRetirementFile(text, RETIREMENT_FILE);
}

/** Validates the proposal's text; see {@link loadRetirementFile}. */
export function parseRetirementFile(text: string, file: string): RetirementFile {
  const source = parseJsonSource(text, file, 'Retirement plan', { maxBytes: MAX_RETIREMENT_BYTES });
  const problems: FileProblem[] = duplicateKeyProblems(source);
  const validate = new Ajv2020({ allErrors: true, strict: true, verbose: true }).compile(schema);
  if (!validate(source.value)) problems.push(...describeSchemaErrors(validate.errors ?? [], source));
  throwIfProblems(PLAN_INVALID, file, problems);
  const { proposedAt, retire } = source.value as RetirementFile;
  return { proposedAt, retire };
}
