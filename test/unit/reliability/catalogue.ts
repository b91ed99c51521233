/**
 * The two reliability catalogues of issue 6, as data: every bad input and every fault, each with
 * how it is produced and what must happen. The test files run exactly these rows (each checks
 * that it implements every row of its suite and no other), and test/contract/reliability-doc.test.ts
 * checks that docs/reliability.md lists exactly these rows. Change a case here, in its test, and
 * in the doc's table (`renderCatalogueTable` prints the row to paste).
 */

/** Where a case runs: unit = the logic with aws-sdk-client-mock (and real git, real sockets); integration = the bundled actions against moto / the stand-in. */
export type Suite = 'unit' | 'integration';

export interface BadInputCase {
  id: string;
  name: string;
  /** Which of issue 6's four kinds of input. */
  input: 'parameters file' | 'environment wiring' | 'action input' | 'workflow_dispatch input' | 'app template';
  /** The product entry point the case goes through. */
  through: string;
  producedBy: 'mock' | 'moto';
  suite: Suite;
  expected: string;
}

export interface FaultCase {
  id: string;
  name: string;
  producedBy: 'stand-in' | 'moto' | 'mock' | 'mock + git' | 'loopback socket' | 'workflow file + git' | 'git';
  through: string;
  suite: Suite;
  expected: string;
  /** Which side of the invariant the case ends on (checked by expectGitSaysWhatRuns), or a known gap. */
  invariant: 'git = stack' | `loud: ${string}` | `known gap: ${string}`;
}

const UAS = '`updateAppStack` (deploy)';
const NO_CALL = 'no mutating AWS call';
/** The slots deploy's steps on a fake stack: updates that fail the way CloudFormation rolls them back, a verdict per slot and step. */
const SLOTS_FAKE = '`deploySlots` (a fake stack behind its step runner: failed updates rolled back, a verdict per slot and step)';
const VERIFY_LOOPBACK = '`verifyAlb` (real fetch to a server on 127.0.0.1, mocked fleet)';

export const BAD_INPUTS: readonly BadInputCase[] = [
  { id: 'B01', name: 'Parameters file missing', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError naming the path and where it is set; ${NO_CALL}` },
  { id: 'B02', name: 'Parameters file empty', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError: file is empty, the shape to write; ${NO_CALL}` },
  { id: 'B03', name: 'Parameters file not valid JSON', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError with line, column and the syntax fix; ${NO_CALL}` },
  { id: 'B04', name: 'Parameters file of the wrong shape', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError: "Parameters" is an array, write an object; ${NO_CALL}` },
  { id: 'B05', name: 'Non-string parameter value', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError on the line: write "2" in quotes; ${NO_CALL}` },
  { id: 'B06', name: 'Unknown parameter key', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError on the line: rename it to the close match; ${NO_CALL}` },
  { id: 'B07', name: 'Missing required parameter', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError: no Default in the template, add the key; ${NO_CALL}` },
  { id: 'B08', name: 'AllowedValues violation', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError listing the AllowedValues; ${NO_CALL}` },
  { id: 'B09', name: 'AllowedPattern violation', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError with the pattern and the template's ConstraintDescription; ${NO_CALL}` },
  { id: 'B10', name: 'Malformed AMI ID', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError: not an AMI ID, use build-ami's ami-id output; ${NO_CALL}` },
  { id: 'B11', name: 'AMI that does not exist', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError after DescribeImages only: does not exist in us-east-1; ${NO_CALL}` },
  { id: 'B12', name: 'AMI from another region', input: 'parameters file', through: 'update-app-stack bundle', producedBy: 'moto', suite: 'integration', expected: 'exit 1, annotation on the AMI line, "an AMI ID is valid in one region only"; stack and change sets unchanged' },
  { id: 'B13', name: 'AMI deprecated', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError: deprecated on <date>, how to lift it; ${NO_CALL}` },
  { id: 'B14', name: 'AMI disabled', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError: disabled, aws ec2 enable-image; ${NO_CALL}` },
  { id: 'B15', name: 'Oversized parameters file', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError: over the 64 KiB limit, check the path; ${NO_CALL}` },
  { id: 'B16', name: 'Unknown environment (repository_dispatch payload)', input: 'environment wiring', through: 'gitops `resolve-environment`', producedBy: 'mock', suite: 'unit', expected: `InputError listing the environments, "did you mean"; ${NO_CALL}` },
  { id: 'B17', name: 'Environment defined twice', input: 'environment wiring', through: '`loadEnvironments`', producedBy: 'mock', suite: 'unit', expected: 'InputError: key appears twice (first on line N), delete one' },
  { id: 'B18', name: 'Stack name shared by two environments', input: 'environment wiring', through: '`loadEnvironments`', producedBy: 'mock', suite: 'unit', expected: 'InputError: used by both …, give each stack its own name' },
  { id: 'B19', name: 'Malformed region in the wiring', input: 'environment wiring', through: '`loadEnvironments`', producedBy: 'mock', suite: 'unit', expected: 'InputError: schema pattern and its description, fix the value' },
  { id: 'B20', name: 'Unknown key in the wiring', input: 'environment wiring', through: '`loadEnvironments`', producedBy: 'mock', suite: 'unit', expected: 'InputError: allowed keys, rename it to the close match' },
  { id: 'B21', name: 'Bad region input', input: 'action input', through: 'update-app-stack `readInputs`', producedBy: 'mock', suite: 'unit', expected: `InputError: not an AWS region name, e.g. us-east-1; ${NO_CALL}` },
  { id: 'B22', name: 'Bad region in AWS_REGION', input: 'action input', through: 'build-ami `readInputs`', producedBy: 'mock', suite: 'unit', expected: `InputError naming AWS_REGION as the source; ${NO_CALL}` },
  { id: 'B23', name: 'Negative timeout', input: 'action input', through: 'build-ami `readInputs`', producedBy: 'mock', suite: 'unit', expected: `InputError: a whole number of minutes, fix the "with:" block; ${NO_CALL}` },
  { id: 'B24', name: 'Absurd timeout', input: 'action input', through: 'update-app-stack `readInputs`', producedBy: 'mock', suite: 'unit', expected: `InputError: at most 360 (GitHub's job limit); ${NO_CALL}` },
  { id: 'B25', name: 'Absurd watch window', input: 'action input', through: 'verify-alb `readInputs`', producedBy: 'mock', suite: 'unit', expected: `InputError: at most 3600 seconds; ${NO_CALL}` },
  { id: 'B26', name: 'Unknown mode', input: 'action input', through: 'update-app-stack `readInputs`', producedBy: 'mock', suite: 'unit', expected: `InputError: deploy or preview, what each does; ${NO_CALL}` },
  { id: 'B27', name: 'Both pipeline-arn and image-arn', input: 'action input', through: 'build-ami `readInputs`', producedBy: 'mock', suite: 'unit', expected: `InputError: set exactly one of them; ${NO_CALL}` },
  { id: 'B28', name: 'Failback target-ami with shell metacharacters', input: 'workflow_dispatch input', through: 'gitops `resolve-failback`', producedBy: 'mock', suite: 'unit', expected: `InputError: not an AMI ID, echoed safely; nothing read or written; ${NO_CALL}` },
  { id: 'B29', name: 'Failback environment with shell metacharacters', input: 'workflow_dispatch input', through: 'gitops `resolve-failback`', producedBy: 'mock', suite: 'unit', expected: `InputError: unknown environment, the known ones; ${NO_CALL}` },
  { id: 'B30', name: 'Failback to the AMI already running', input: 'workflow_dispatch input', through: 'gitops `resolve-failback`', producedBy: 'mock', suite: 'unit', expected: `InputError: the file already names it, re-run Deploy or pick another; ${NO_CALL}` },
  { id: 'B31', name: 'Failback to an unknown environment', input: 'workflow_dispatch input', through: 'gitops `resolve-failback`', producedBy: 'mock', suite: 'unit', expected: `InputError listing dev, prod and "did you mean"; ${NO_CALL}` },
  { id: 'B32', name: 'Failback reason with a line break', input: 'workflow_dispatch input', through: 'gitops `resolve-failback`', producedBy: 'mock', suite: 'unit', expected: `InputError: write it on one line (no forged commit trailer); ${NO_CALL}` },
  { id: 'B33', name: 'Unknown mode through the bundle', input: 'action input', through: 'update-app-stack bundle', producedBy: 'moto', suite: 'integration', expected: 'exit 1, error annotation naming the input; stack and change sets unchanged' },
  { id: 'B34', name: 'Bad region through the bundle', input: 'action input', through: 'update-app-stack bundle', producedBy: 'moto', suite: 'integration', expected: 'exit 1, "not an AWS region name"; stack and change sets unchanged' },
  { id: 'B35', name: 'Shell metacharacters through the gitops bundle', input: 'workflow_dispatch input', through: 'gitops bundle `resolve-failback`', producedBy: 'moto', suite: 'integration', expected: 'exit 1, every problem in one message; no file written; stack unchanged' },
  { id: 'B36', name: 'Bad input: every output still set (update-app-stack)', input: 'action input', through: 'update-app-stack bundle', producedBy: 'moto', suite: 'integration', expected: 'exit 1; every output of action.yml in GITHUB_OUTPUT, empty (not only change-set-id); stack and change sets unchanged' },
  { id: 'B37', name: 'Bad input: every output still set (build-ami)', input: 'action input', through: 'build-ami bundle', producedBy: 'moto', suite: 'integration', expected: 'exit 1; every output of action.yml in GITHUB_OUTPUT, empty; no build started; stack unchanged' },
  { id: 'B38', name: 'Bad input: every output still set (verify-alb)', input: 'action input', through: 'verify-alb bundle', producedBy: 'moto', suite: 'integration', expected: 'exit 1; every output of action.yml in GITHUB_OUTPUT, empty; stack unchanged' },
  { id: 'B60', name: 'Parameters file that is a symbolic link', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError: it is a symbolic link (to …), replace the link with the file; ${NO_CALL}` },
  { id: 'B61', name: "One environment's parameters file linked to another's", input: 'environment wiring', through: '`loadEnvironments`', producedBy: 'mock', suite: 'unit', expected: 'InputError at environments.prod.parametersFile: a symbolic link (to "dev.json"), so prod would deploy dev\'s AMI; replace it with the file' },
  { id: 'B62', name: 'Parameters file that is a named pipe (FIFO)', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError at once (no hang): a named pipe, not a regular file; ${NO_CALL}` },
  { id: 'B63', name: 'Parameters directory that is a symbolic link, at record time', input: 'environment wiring', through: 'gitops `record-failback`', producedBy: 'mock', suite: 'unit', expected: `InputError: "parameters" on its path is a symbolic link; nothing committed or pushed; ${NO_CALL}` },
  { id: 'B64', name: 'Parameters file nested 20,000 levels deep', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError: nested too deeply (line, column, at most 32 levels), not a stack overflow; ${NO_CALL}` },
  { id: 'B65', name: 'A "__proto__" key among the parameters', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError on the line: unknown parameter "__proto__", like any other key; ${NO_CALL}` },
  { id: 'B66', name: 'AMI ID with a Cyrillic look-alike letter', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError: escaped value, "character 15 is U+0430 CYRILLIC SMALL LETTER A"; ${NO_CALL}` },
  { id: 'B67', name: 'Failback target-ami with a zero-width space', input: 'workflow_dispatch input', through: 'gitops `resolve-failback`', producedBy: 'mock', suite: 'unit', expected: `InputError naming U+200B ZERO WIDTH SPACE and its position; ${NO_CALL}` },
  { id: 'B68', name: 'Failback reason with a right-to-left override', input: 'workflow_dispatch input', through: 'gitops `resolve-failback`', producedBy: 'mock', suite: 'unit', expected: `InputError naming U+202E RIGHT-TO-LEFT OVERRIDE: write visible text on one line; ${NO_CALL}` },
  { id: 'B69', name: 'A 100 KB action input', input: 'action input', through: 'verify-alb `readInputs`', producedBy: 'mock', suite: 'unit', expected: `InputError echoing 80 characters of it and its length, not 100 KB; ${NO_CALL}` },
  { id: 'B70', name: 'Hexadecimal watch window (0x3)', input: 'action input', through: 'verify-alb `readInputs`', producedBy: 'mock', suite: 'unit', expected: `InputError: a whole number of seconds (decimal digits only), as every action says; ${NO_CALL}` },
  { id: 'B71', name: 'Error rate in exponent notation (1e-1)', input: 'action input', through: 'verify-alb `readInputs`', producedBy: 'mock', suite: 'unit', expected: `InputError: digits and a decimal point, e.g. 0.01; ${NO_CALL}` },
  { id: 'B72', name: 'Parameters file that is a symbolic link, through the bundle', input: 'parameters file', through: 'update-app-stack bundle', producedBy: 'moto', suite: 'integration', expected: 'exit 1, annotation on the link naming its target; stack and change sets unchanged' },
  { id: 'B73', name: 'Look-alike failback target through the gitops bundle', input: 'workflow_dispatch input', through: 'gitops bundle `resolve-failback`', producedBy: 'moto', suite: 'integration', expected: 'exit 1, the escaped value and "U+0430 CYRILLIC SMALL LETTER A"; no file written; stack unchanged' },
  { id: 'B74', name: 'Public AMI of an account not on the owner allowlist', input: 'parameters file', through: UAS, producedBy: 'mock', suite: 'unit', expected: `InputError on the AMI line: owned by account 099720109477, the allowlist (self (123456789012)) and where to add the account; ${NO_CALL}` },
  { id: 'B75', name: 'Failback target of an account not on the owner allowlist', input: 'workflow_dispatch input', through: 'gitops `check-image` (the failback pre-flight)', producedBy: 'mock', suite: 'unit', expected: `InputError: owner, allowlist (self (123456789012), 137112412989; environments.dev.amiOwners) and where to add it; ${NO_CALL}, nothing written` },
  { id: 'B76', name: 'Automatic failback to an AMI of an account not on the owner allowlist', input: 'action input', through: 'gitops `prepare-failback`', producedBy: 'mock', suite: 'unit', expected: `InputError before the working tree is touched: owner, allowlist, where to add it; ${NO_CALL}` },
  { id: 'B77', name: 'Owner alias "amazon" in the wiring\'s amiOwners', input: 'environment wiring', through: '`loadEnvironments`', producedBy: 'mock', suite: 'unit', expected: 'InputError on the line: the pattern and "name the account (137112412989 publishes Amazon Linux)"' },
  { id: 'B78', name: 'ami-owners input with an owner alias', input: 'action input', through: 'update-app-stack `readInputs`', producedBy: 'mock', suite: 'unit', expected: `InputError: 12-digit account IDs and self, aliases are not accepted; ${NO_CALL}` },
  { id: 'B79', name: "moto's Canonical AMI (099720109477) in the parameters file, through the bundle", input: 'parameters file', through: 'update-app-stack bundle (ami-owners from the shipped wiring)', producedBy: 'moto', suite: 'integration', expected: 'exit 1, annotation on the AMI line: owner 099720109477, allowlist self (123456789012), 137112412989; stack and change sets unchanged' },
  { id: 'B80', name: "Failback to moto's Canonical AMI, through the gitops bundle", input: 'workflow_dispatch input', through: 'gitops bundle `check-image`', producedBy: 'moto', suite: 'integration', expected: 'exit 1: owner 099720109477, allowlist from environments.dev.amiOwners; no file written; stack unchanged' },
  { id: 'B100', name: 'Slots file: the live slot has no capacity', input: 'parameters file', through: `${UAS}, templates/app-slots.yaml`, producedBy: 'mock', suite: 'unit', expected: `InputError at the capacity line: users would reach nothing, give it capacity or name the other slot live; ${NO_CALL}` },
  { id: 'B101', name: 'Slots file: weights that do not add up to 100', input: 'parameters file', through: `${UAS}, templates/app-slots.yaml`, producedBy: 'mock', suite: 'unit', expected: `InputError at the BlueWeight line with the sum, and the values at rest; ${NO_CALL}` },
  { id: 'B102', name: 'Wiring: strategy slots with the replace template', input: 'environment wiring', through: '`loadEnvironments`', producedBy: 'mock', suite: 'unit', expected: `InputError at the strategy line: use templates/app-slots.yaml; ${NO_CALL}` },
  { id: 'B116', name: 'App template over the 51,200-byte inline limit, no template bucket', input: 'app template', through: `${UAS}, templates/app-slots.yaml grown past the limit`, producedBy: 'mock', suite: 'unit', expected: `InputError on the template file: its size, the limit, set template-bucket (the wiring's templateBucket) or shrink it; ${NO_CALL}` },
  { id: 'B117', name: 'Wiring: a templateBucket that is not an S3 bucket name', input: 'environment wiring', through: '`loadEnvironments`', producedBy: 'mock', suite: 'unit', expected: `InputError at the templateBucket line with the pattern it must match; ${NO_CALL}` },
  { id: 'B130', name: 'A later wave names an AMI no earlier wave ran', input: 'parameters file', through: 'gitops bundle `check-wave-gate` (deploy-environment.yml, before the update)', producedBy: 'moto', suite: 'integration', expected: 'exit 1, error annotation on parameters/prod.json: no environment of an earlier wave (dev) ran it without a failback, and how to bring it (promotion, the AMI prod ran, a direct bake); the prod stack untouched; the AMI dev ran passes' },
];

export const FAULTS: readonly FaultCase[] = [
  { id: 'F01', name: 'Image build FAILED', producedBy: 'stand-in', through: 'build-ami bundle in the patch job', suite: 'integration', expected: "exit 1 with Image Builder's reason and log locations; image-arn still output; no PR", invariant: 'git = stack' },
  { id: 'F02', name: 'Image build CANCELLED', producedBy: 'stand-in', through: 'build-ami bundle in the patch job', suite: 'integration', expected: 'exit 1, CANCELLED with the reason; no PR', invariant: 'git = stack' },
  { id: 'F03', name: 'Image build never finishes', producedBy: 'stand-in', through: '`buildAmi` (real SDK, virtual clock)', suite: 'integration', expected: 'PollTimeoutError: last state, resume with image-arn or raise timeout-minutes', invariant: 'git = stack' },
  { id: 'F04', name: 'StartImagePipelineExecution throttled past the retries', producedBy: 'stand-in', through: 'build-ami bundle', suite: 'integration', expected: 'exit 1 "stayed throttled", re-run is safe; the re-run starts exactly one build', invariant: 'git = stack' },
  { id: 'F05', name: 'StartImagePipelineExecution refused', producedBy: 'stand-in', through: 'build-ami bundle', suite: 'integration', expected: 'exit 1: the pipeline does not exist, check pipeline-arn; no build', invariant: 'git = stack' },
  { id: 'F06', name: 'Throttling storm while waiting for the image', producedBy: 'stand-in', through: 'build-ami bundle', suite: 'integration', expected: 'rides it out: exit 0 with the AMI', invariant: 'git = stack' },
  { id: 'F07', name: 'Re-run of a failed patch run: no second build', producedBy: 'stand-in', through: 'build-ami bundle, same run id, attempt 2', suite: 'integration', expected: 'same image-arn and AMI, no build started', invariant: 'git = stack' },
  { id: 'F08', name: 'Re-run of a failed patch run: no duplicate PR', producedBy: 'workflow file + git', through: 'gitops `compose-patch-pr`, patch-pr.yml', suite: 'unit', expected: 'one fixed branch per environment whatever the run; create-pull-request updates it; one patch run at a time', invariant: 'git = stack' },
  { id: 'F09', name: 'Change set FAILED (not "no changes")', producedBy: 'mock + git', through: 'deploy job', suite: 'unit', expected: "update fails with CloudFormation's reason, change set deleted; git records what runs", invariant: 'git = stack' },
  { id: 'F10', name: 'Stack busy when the deploy starts', producedBy: 'mock + git', through: 'deploy job', suite: 'unit', expected: 'waits for the other operation, then deploys', invariant: 'git = stack' },
  { id: 'F11', name: 'Stack busy past the timeout', producedBy: 'mock + git', through: 'deploy job', suite: 'unit', expected: 'update refused "stayed busy", nothing changed; the record step waits for it to settle and records what runs', invariant: 'git = stack' },
  { id: 'F12', name: 'Update rolled back (UPDATE_ROLLBACK_COMPLETE)', producedBy: 'mock + git', through: 'deploy job', suite: 'unit', expected: 'root cause (resource, reason) in the message; git records the AMI rolled back to', invariant: 'git = stack' },
  { id: 'F13', name: 'Rollback failed (UPDATE_ROLLBACK_FAILED)', producedBy: 'mock + git', through: 'deploy job', suite: 'unit', expected: 'both AMIs, continue-update-rollback with --resources-to-skip; git left alone, says so', invariant: 'loud: continue-update-rollback' },
  { id: 'F14', name: 'Verification fails after UPDATE_COMPLETE (automatic failback)', producedBy: 'mock + git', through: 'deploy job', suite: 'unit', expected: 'fails back to the previous AMI, verifies it, commits the failback; job fails naming both', invariant: 'git = stack' },
  { id: 'F15', name: 'Verification fails after UPDATE_COMPLETE, on the bundles', producedBy: 'moto', through: "the deploy job's steps as bundles; the green fleet's HTTP from a local server", suite: 'integration', expected: 'verify-alb exit 1 (HTTP 502s); prepare-failback, failback update and verify pass; the record commit says what runs; report exit 1', invariant: 'git = stack' },
  { id: 'F16', name: 'Throttling storm while following the update', producedBy: 'mock + git', through: 'deploy job', suite: 'unit', expected: 'rides it out with backoff capped at 10 s; deploys', invariant: 'git = stack' },
  { id: 'F17', name: 'Credentials expire while waiting for the image', producedBy: 'mock', through: '`buildAmi`, then again with image-arn', suite: 'unit', expected: 'says resume with image-arn; the resume returns the AMI without starting a build', invariant: 'git = stack' },
  { id: 'F18', name: 'Credentials expire while following the update', producedBy: 'mock + git', through: 'deploy job, then its re-run', suite: 'unit', expected: 'job fails saying CloudFormation carries on and a re-run resumes; the re-run finds no changes', invariant: 'git = stack' },
  { id: 'F19', name: 'Connection refused by the endpoint', producedBy: 'loopback socket', through: 'build-ami bundle (Image Builder endpoint: a closed port)', suite: 'integration', expected: 'exit 1: Image Builder could not be reached (ECONNREFUSED), re-run is safe', invariant: 'git = stack' },
  { id: 'F20', name: 'Endpoint that never answers', producedBy: 'loopback socket', through: '`waitForImage` (real SDK client, 300 ms socket timeout)', suite: 'unit', expected: 'keeps its deadline: no answer from GetImage, resume with image-arn; createAwsClients bounds every call (10 s connect, 60 s silence)', invariant: 'git = stack' },
  { id: 'F21', name: 'Connection refused while deploying', producedBy: 'loopback socket', through: "the deploy job's steps as bundles (CloudFormation endpoint closed)", suite: 'integration', expected: "update-app-stack exit 1: AWS could not be reached (ECONNREFUSED), nothing was changed in AWS, re-run once it answers; stack unchanged; the report names HEAD's AMI (not deployed) and the one before it by git history (unconfirmed)", invariant: 'loud: re-run' },
  { id: 'F22', name: 'Two merges before the deploy starts', producedBy: 'mock + git', through: 'two deploy jobs (one concurrency group)', suite: 'unit', expected: 'the first job deploys HEAD (the second merge); the second finds no changes', invariant: 'git = stack' },
  { id: 'F23', name: 'A merge while a deploy runs, and that deploy rolls back', producedBy: 'mock + git', through: 'two deploy jobs (one concurrency group)', suite: 'unit', expected: "the rolled-back job's record yields to the newer commit (superseded, naming it and its AMI); the queued job deploys it", invariant: 'git = stack' },
  { id: 'F24', name: 'Record push refused as "[remote rejected] (failed to update ref)"', producedBy: 'mock + git', through: 'deploy job (a rollback; another commit lands while origin runs its hook on the record push)', suite: 'unit', expected: 'the refusal is a lost race: fetch, the record rebuilt on the new tip, pushed; git records the AMI rolled back to; workspace clean', invariant: 'git = stack' },
  { id: 'F25', name: 'Re-run of an old failback after a newer AMI was merged', producedBy: 'mock + git', through: 'deploy job (Failback workflow, re-run with its old github.sha)', suite: 'unit', expected: 'record-failback stops: the file moved since the run was based, naming the commit and the AMI it names; nothing committed, nothing deployed', invariant: 'git = stack' },
  { id: 'F26', name: 'Rollback, and git refuses the record push', producedBy: 'mock + git', through: "deploy job (origin's hook declines the record push)", suite: 'unit', expected: "record step fails with git's words and still outputs what the stack runs; the report says so: both AMIs, the Failback workflow with target-ami", invariant: 'loud: Failback workflow' },
  { id: 'F29', name: 'CloudFormation endpoint dies just after ExecuteChangeSet', producedBy: 'mock + git', through: 'deploy job (every call refused once the update is sent)', suite: 'unit', expected: 'update gives up after 5 failed polls: AWS could not be reached (ECONNREFUSED), the update may have started; the record step gives up too; the report names both AMIs as possible, claims neither, and says re-run', invariant: 'git = stack' },
  { id: 'F30', name: 'Endpoint that never answers, with the SDK timeouts the actions ship', producedBy: 'loopback socket', through: '`waitForImage` (createAwsClients: 60 s socket timeout, 5 attempts; real clock, 1 s wait)', suite: 'unit', expected: "keeps its own deadline: the call is aborted at it (plus the last call's 5 s), not after the SDK's 5 × 60 s; no answer from GetImage, resume with image-arn", invariant: 'git = stack' },
  { id: 'F31', name: 'Malformed answers from Image Builder during a long wait', producedBy: 'mock', through: '`buildAmi` (GetImage answers HTML and cut-off JSON)', suite: 'unit', expected: 'three in a row ridden out: the AMI is returned; five in a row end the wait with the deserialization error itself, which the action reports as a bad answer (not "Unexpected error")', invariant: 'git = stack' },
  { id: 'F32', name: 'AVAILABLE image whose AMI does not exist', producedBy: 'mock', through: '`buildAmi` (EC2 has no such AMI)', suite: 'unit', expected: 'AwsOperationError before success: Image Builder reports it AVAILABLE but EC2 has no such AMI, do not deploy it, start a new build; no ami-id, so no PR', invariant: 'git = stack' },
  { id: 'F160', name: 'A requested failback when the default branch only accepts pull requests', producedBy: 'mock + git', through: "deploy job (Failback workflow; origin's hook refuses the push with GH006)", suite: 'unit', expected: 'record-failback opens the failback as a PR and stops before the stack; the report names the failback, its reason, from → to, the PR, and what still runs; nothing deployed', invariant: 'git = stack' },
  { id: 'F27', name: 'Seven record commits at once (five environments, three of them for dev)', producedBy: 'git', through: 'gitops bundle `record-failback` ×7 in parallel; bare origin with a slow pre-receive hook', suite: 'integration', expected: "every environment's record on main; the two dev losers say superseded, naming the winner's commit and AMI; every workspace clean", invariant: 'git = stack' },
  { id: 'F28', name: 'Stale failback through the bundle', producedBy: 'git', through: "gitops bundle `record-failback` with the Failback run's base-commit", suite: 'integration', expected: 'exit 1 naming the commit and the AMI that moved the file since; main unchanged; workspace clean', invariant: 'git = stack' },
  { id: 'F63', name: "A superseded failback's deploy report", producedBy: 'git', through: 'gitops bundles `record-failback` → `deploy-report`, inputs as deploy-environment.yml wires them', suite: 'integration', expected: 'exit 1; the verdict names both AMIs (asked for, named on main since the newer commit), that nothing changed, and the one gh workflow run command; Runs now is not read, never guessed', invariant: 'git = stack' },
  { id: 'F50', name: 'An instance outside the fleet answers with the expected AMI', producedBy: 'loopback socket', through: VERIFY_LOOPBACK, suite: 'unit', expected: 'verification fails: the answers are not from an instance of the current ASG, so they prove nothing (max-error-rate 1 included)', invariant: 'git = stack' },
  { id: 'F51', name: 'Every request fails and max-error-rate is 1', producedBy: 'loopback socket', through: VERIFY_LOOPBACK, suite: 'unit', expected: 'verification fails: no good answer from the fleet, so nothing was verified, whatever max-error-rate allows', invariant: 'git = stack' },
  { id: 'F52', name: 'A service that does not speak HTTP on the URL', producedBy: 'loopback socket', through: VERIFY_LOOPBACK, suite: 'unit', expected: 'verification fails saying what was reached (host:port, not HTTP) and what was expected (GET /details.json)', invariant: 'git = stack' },
  { id: 'F53', name: 'An https:// URL on a plain-HTTP port', producedBy: 'loopback socket', through: VERIFY_LOOPBACK, suite: 'unit', expected: 'verification fails: the TLS handshake with host:port failed, use an http:// url', invariant: 'git = stack' },
  { id: 'F54', name: 'An instance outside the fleet answers with the expected AMI, on the bundle', producedBy: 'moto', through: "verify-alb bundle against the stack's fleet in moto; details.json from a local server", suite: 'integration', expected: 'exit 1: not an instance of the current ASG; healthy=false', invariant: 'git = stack' },
  { id: 'F55', name: 'Every request fails and max-error-rate is 1, on the bundle', producedBy: 'moto', through: "verify-alb bundle against the stack's fleet in moto; details.json from a local server", suite: 'integration', expected: 'exit 1: nothing was verified; healthy=false', invariant: 'git = stack' },
  { id: 'F56', name: "A branch's workflow reads the patch App's private key", producedBy: 'workflow file + git', through: 'every workflow file; zizmor --persona auditor', suite: 'unit', expected: 'no job outside a main-only GitHub environment reads a secret, no workflow passes one on; zizmor finds no secrets-outside-env', invariant: 'git = stack' },
  { id: 'F57', name: "A pull request rewrites an action's bundle", producedBy: 'workflow file + git', through: "pr-checks.yml's preview job", suite: 'unit', expected: "the job holding the OIDC token runs the base branch's actions; the pull request only provides its parameters file and template", invariant: 'git = stack' },
  { id: 'F58', name: 'A user writes a comment that starts with the preview marker', producedBy: 'mock', through: 'gitops `upsert-preview-comment`', suite: 'unit', expected: "the forged comment is left as it is; the workflow's own comment is created and holds only real previews", invariant: 'git = stack' },
  { id: 'F59', name: 'Image Builder hands on an AMI of another account (a distribution copy)', producedBy: 'mock', through: '`buildAmi` (the patch job)', suite: 'unit', expected: 'fails AMI_OWNER_NOT_ALLOWED naming the AMI, its owner and the allowlist; no ami-id output, so no patch PR', invariant: 'git = stack' },
  { id: 'F60', name: 'A runner two days slow deploys an AMI AWS deprecated yesterday', producedBy: 'mock', through: `${UAS} (AWS's Date header 2 days ahead)`, suite: 'unit', expected: "fails closed before the change set: both times and the skew (2 days 0 h 0 min behind AWS, 5 minutes tolerated), fix the runner's clock; no mutating AWS call", invariant: 'git = stack' },
  { id: 'F61', name: 'A runner three minutes slow, an AMI AWS deprecated a minute ago', producedBy: 'mock', through: `${UAS} (AWS's Date header 3 min ahead)`, suite: 'unit', expected: 'judged on AWS\'s time: InputError "was deprecated on <date>", though the runner\'s clock has not reached it; no mutating AWS call', invariant: 'git = stack' },
  { id: 'F62', name: 'The failback pre-flight on a runner two days slow', producedBy: 'mock + git', through: 'gitops `check-image`', suite: 'unit', expected: 'fails closed with both times and the skew; nothing recorded, working tree clean', invariant: 'git = stack' },
  { id: 'F64', name: 'A runner two days slow, on the bundle', producedBy: 'loopback socket', through: "update-app-stack bundle against moto through a proxy that dates AWS's answers 2 days ahead (and, a stand-in, gives the AMI the deprecation time moto cannot)", suite: 'integration', expected: "exit 1 before the change set: both clocks and the skew (2 days 0 h 0 min behind AWS), fix the runner's clock; stack unchanged", invariant: 'git = stack' },
  { id: 'F65', name: 'A runner three minutes slow, an AMI AWS deprecated a minute ago, on the bundle', producedBy: 'loopback socket', through: "update-app-stack bundle against moto through a proxy that dates AWS's answers 3 min ahead (deprecation time as in F64)", suite: 'integration', expected: 'exit 1: judged on AWS\'s time, "was deprecated on <date>"; stack unchanged', invariant: 'git = stack' },
  { id: 'F80', name: "A DescribeTargetHealth call of verify-alb's fleet wait never answers", producedBy: 'mock', through: '`verifyAlb` fleet wait (the second DescribeTargetHealth hangs; virtual clock)', suite: 'unit', expected: "keeps its deadline: the wait aborts the hung call and fails at timeout-minutes (targets not all healthy after n s); every fleet call carries the wait's abort signal", invariant: 'git = stack' },
  { id: 'F81', name: 'A workflow file the GitHub roles were not made for asks for their credentials', producedBy: 'workflow file + git', through: "templates/github-oidc.yaml's trust policies as CloudFormation renders them (default OidcSubjectClaims), judged on GitHub's tokens", suite: 'unit', expected: 'a workflow added to main or by a pull request, one naming the environment, and deploy-environment.yml from another branch get no role; patch-pr.yml, pr-checks.yml and deploy-environment.yml from main get theirs', invariant: 'git = stack' },
  { id: 'F116', name: 'S3 refuses the upload of a template over the inline limit', producedBy: 'mock', through: '`updateAppStack` with template-bucket (PutObject answers AccessDenied: a bucket of another account, or a role without TemplateBucketName)', suite: 'unit', expected: 'fails naming the bucket, the key, the error and what to check (region, owner, the role\'s prefix); no change set created, the stack untouched', invariant: 'git = stack' },
  { id: 'F130', name: 'A rollback alarm of the wave went to ALARM during the soak', producedBy: 'moto', through: 'gitops bundle `propose-promotion` (SetAlarmState ALARM → OK on the dev 5xx alarm; alarm history from moto, patched)', suite: 'integration', expected: 'not promotable: the blocker names the alarm, when it fired and the history entry; nothing written, so no PR', invariant: 'git = stack' },
  { id: 'F131', name: 'The wave failed back from the AMI once, and later ran it again', producedBy: 'moto', through: 'gitops bundle `propose-promotion` and `check-wave-gate` after prepare-failback → update-app-stack → sync-from-stack, then a new bump', suite: 'integration', expected: 'not promotable: the blocker names the auto-failback commit, "it failed here once"; a hand-made prod bump to it is refused by the gate; nothing written', invariant: 'git = stack' },
  { id: 'F132', name: 'A newer patch in the wave while the promotion PR of an older one is open', producedBy: 'moto', through: 'gitops bundle `propose-promotion` with the open PR\'s branch fetched', suite: 'integration', expected: 'while the newer AMI soaks: close-stale with the old AMI, nothing written; once it has soaked: the same branch is proposed again and the body names the AMI it replaces', invariant: 'git = stack' },
  { id: 'F133', name: 'The copy of the proven AMI into a later wave\'s region fails', producedBy: 'mock', through: 'gitops `propose-promotion` (CopyImage answers an ID, DescribeImages then says failed)', suite: 'unit', expected: "the run fails with EC2's reason and the copy's ID; the failed copy is deregistered; no parameters file written, so no PR; the next run copies again", invariant: 'git = stack' },
  { id: 'F100', name: 'Slots: the idle slot never signals (signal timeout staging green)', producedBy: 'mock', through: SLOTS_FAKE, suite: 'unit', expected: 'CloudFormation rolled the stage back: no flip, users never left blue, the error names the signal count; git keeps what the stack runs; a re-run stages again and completes', invariant: 'git = stack' },
  { id: 'F101', name: 'Slots: the idle slot fails its own verification at weight 0', producedBy: 'mock', through: SLOTS_FAKE, suite: 'unit', expected: 'flipped back before any user traffic (failed-step prove): blue proven again, the error names what green failed on; the stack state to record equals the stack; a re-run once green is good canaries and switches', invariant: 'git = stack' },
  { id: 'F102', name: 'Slots: the canary does worse than the live slot', producedBy: 'mock', through: SLOTS_FAKE, suite: 'unit', expected: 'flipped back from the canary weights (failed-step canary): the error names the comparison; the stack state to record equals the stack; a re-run canaries again (never skipped) and switches', invariant: 'git = stack' },
  { id: 'F103', name: 'Slots: the switch to all traffic fails', producedBy: 'mock', through: SLOTS_FAKE, suite: 'unit', expected: 'flipped back (failed-step switch) from where CloudFormation rolled the switch back; the stack state to record equals the stack; a re-run completes', invariant: 'git = stack' },
  { id: 'F104', name: 'Slots: credentials expire mid-deploy (the switch and the flip back both refused)', producedBy: 'mock', through: SLOTS_FAKE, suite: 'unit', expected: 'FLIP_BACK_FAILED: the error says users may be on green at the canary share and to run the Failback workflow; the stack stays where the canary left it; a re-run with fresh credentials starts from it and completes', invariant: 'loud: FLIP_BACK_FAILED names the weights to check and the Failback workflow (the record step then writes what the stack runs)' },
  { id: 'F105', name: 'Slots: green fails during the bake window (users on green, blue warm)', producedBy: 'mock', through: `${SLOTS_FAKE}, failback: true`, suite: 'unit', expected: 'the failback is one stack update: blue proven on its own target group first, no canary, then all traffic to blue; green stays warm; a re-run changes nothing', invariant: 'git = stack' },
  { id: 'F134', name: "The copy of the proven AMI into a later wave's other account fails", producedBy: 'mock', through: 'gitops `propose-promotion` (the source shares the AMI and its snapshot, the copy role\'s CopyImage answers an ID, DescribeImages then says failed)', suite: 'unit', expected: "the run fails with EC2's reason; the failed copy is deregistered in the other account; the launch and create-volume permissions the run granted are taken back; no parameters file written, so no PR", invariant: 'git = stack' },
];

/** Unit fault rows implemented outside faults.test.ts, by file (faults.test.ts runs the rest). */
export const UNIT_FAULTS_ELSEWHERE: Readonly<Record<string, readonly string[]>> = {
  'endpoint-faults.test.ts': ['F20', 'F30'],
  'verify-faults.test.ts': ['F50', 'F51', 'F52', 'F53', 'F80'],
  'trust-boundary.test.ts': ['F56', 'F57', 'F58', 'F81'],
  'promotion.test.ts': ['F133', 'F134'],
  'clock-faults.test.ts': ['F60', 'F61', 'F62'],
  'deploy-slots.test.ts': ['F100', 'F101', 'F102', 'F103', 'F104', 'F105'],
  'template-source.test.ts': ['F116'],
};

/** Integration rows (bad inputs and faults) implemented outside faults.test.ts, bad-inputs.test.ts and record-races.test.ts, by file in test/integration. */
export const INTEGRATION_ROWS_ELSEWHERE: Readonly<Record<string, readonly string[]>> = {
  // In the order they run: they share one repository's history.
  'promotion.test.ts': ['F132', 'B130', 'F131', 'F130'],
  // Whose clock, on the bundle: a loopback proxy in front of moto moves the Date header.
  'reliability/clock-skew.test.ts': ['F64', 'F65'],
};

/** The rows of one catalogue that one suite runs. */
export function casesOf<T extends { suite: Suite }>(catalogue: readonly T[], suite: Suite): T[] {
  return catalogue.filter((c) => c.suite === suite);
}

export const BAD_INPUT_COLUMNS = ['#', 'Case', 'Input', 'Through', 'Produced by', 'Suite', 'Expected'] as const;
export const FAULT_COLUMNS = ['#', 'Fault', 'Produced by', 'Through', 'Suite', 'Expected outcome', 'Invariant'] as const;

export function badInputCells(c: BadInputCase): string[] {
  return [c.id, c.name, c.input, c.through, c.producedBy, c.suite, c.expected];
}

export function faultCells(c: FaultCase): string[] {
  return [c.id, c.name, c.producedBy, c.through, c.suite, c.expected, c.invariant];
}

/** A markdown table of rows (pipes in cells escaped), as docs/reliability.md holds it. */
export function renderCatalogueTable(columns: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(columns), line(columns.map(() => '---')), ...rows.map(line)].join('\n');
}
