/**
 * `parameters/ami-retirement.json`: the pipeline images the lifecycle job proposes to retire. The
 * job writes it and a PR carries it; merging the PR is the person's approval, and the retire job
 * that the merge starts deletes only what this file lists and is still retirable then.
 */
import schema from '../../../parameters/ami-retirement.schema.json';
import { throwIfProblems } from './file-problems';
import { checkSchemaFile, loadSchemaFile, type CheckedSchemaFile, type SchemaFileRules } from './schema-file';

export const RETIREMENT_FILE = 'parameters/ami-retirement.json';

const RULES: SchemaFileRules = {
  whatFailed: 'Retirement plan invalid',
  what: 'Retirement plan',
  schema,
  // A proposal lists a few hundred images at most; still a file of short strings.
  maxBytes: 256 * 1024,
  missingFix: 'Run the AMI lifecycle workflow to write it',
  emptyFix: 'Restore the file the lifecycle job wrote, or delete it (nothing is then approved)',
};

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
 * Merging it approves deletions, so it is read as every schema file of parameters/ is
 * (schema-file.ts: the file policy, size and depth before parsing, a key twice refused, every key
 * outside the schema refused alike, `__proto__` included), and its messages name
 * parameters/ami-retirement.json, never the runner's path.
 */
export async function loadRetirementFile(rootDir: string): Promise<RetirementFile> {
  const checked = await loadSchemaFile({ file: RETIREMENT_FILE, root: rootDir }, RULES, { optional: true });
  return checked ? retirementOf(checked, RETIREMENT_FILE) : { proposedAt: '', retire: [] };
}

/** Validates the proposal's text; see {@link loadRetirementFile}. */
export function parseRetirementFile(text: string, file: string): RetirementFile {
  return retirementOf(checkSchemaFile(text, file, RULES), file);
}

function retirementOf({ source, problems }: CheckedSchemaFile, file: string): RetirementFile {
  throwIfProblems(RULES.whatFailed, file, problems);
  const { proposedAt, retire } = source.value as RetirementFile;
  return { proposedAt, retire };
}
