import {
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  type Image,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { leadOf, leadProblem } from '../../../support/summary-lead';
import { commitDevHistory, createGitFixture, parametersJson } from './git-fixture';
import { awsClockOn } from '../../support/aws-time';
import { gitopsTestContext, runCommand } from './gitops-context';
import { InputError } from '../../../../actions/lib/errors';
import { describeCatalogueRows } from '../../reliability/support/catalogue-suite';

const ec2 = mockClient(EC2Client);
const AMI = (n: number) => `ami-${String(n).padStart(17, '0')}`;
const NOW = Date.UTC(2026, 5, 1);
const image = (n: number, ageDays: number, protection = 'disabled'): Image => ({
  ImageId: AMI(n),
  Name: `patch-${n}`,
  CreationDate: new Date(NOW - ageDays * 86_400_000).toISOString(),
  DeregistrationProtection: protection,
  Tags: [{ Key: 'Ec2ImageBuilderArn', Value: `arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.0/${n}` }],
});

/** dev: 1 → 2 → 3 (HEAD); prod: 1. Images 1-3 are in git; 8 and 9 are old builds nothing needs; 7 runs on an instance. */
function setup() {
  const seed = createGitFixture();
  commitDevHistory(seed, AMI);
  const origin = createGitFixture({ bare: true, cloneFrom: seed.dir });
  const work = createGitFixture({ cloneFrom: origin.dir });
  const { ctx, logger } = gitopsTestContext(work.dir);
  return { work, ctx, logger, remove: () => [seed, origin, work].forEach((f) => f.remove()) };
}

const run = runCommand;

let env: ReturnType<typeof setup>;
beforeEach(() => {
  ec2.reset();
  ec2.on(DescribeImagesCommand).resolves({ Images: [image(1, 90, 'enabled'), image(2, 80), image(3, 70), image(7, 60), image(8, 50), image(9, 40)] });
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-0123456789abcdef0', ImageId: AMI(7) }] }] });
  env = setup();
});
afterEach(() => env.remove());

const mutations = () => ec2.calls().map((c) => (c.args[0] as object).constructor.name).filter((name) => !/^Describe/.test(name));

describe('plan-ami-lifecycle', () => {
  it('protects every failback target that lacks it, writes the proposal, and deletes nothing', async () => {
    const result = await run('plan-ami-lifecycle', {}, env.ctx);

    expect(result.outputs).toMatchObject({ kept: 4, retirable: 2, protected: 2, changed: true, 'pr-branch': 'gitops/ami-retirement' });
    expect(ec2).toHaveReceivedCommandWith(EnableImageDeregistrationProtectionCommand, { ImageId: AMI(2) });
    expect(ec2).toHaveReceivedCommandWith(EnableImageDeregistrationProtectionCommand, { ImageId: AMI(3) });
    expect(mutations().sort()).toEqual(['EnableImageDeregistrationProtectionCommand', 'EnableImageDeregistrationProtectionCommand']);
    const proposal = JSON.parse(readFileSync(join(env.work.dir, 'parameters/ami-retirement.json'), 'utf8'));
    expect(proposal.retire.map((e: { amiId: string }) => e.amiId)).toEqual([AMI(8), AMI(9)]);
    expect(leadOf(String(result.outputs.report)).lead).toBe(
      `**2 pipeline AMI(s) nothing needs may be retired: \`${AMI(8)}\`, \`${AMI(9)}\`. Nothing was deleted: merging this proposal lets the next run retire them.** 4 kept, 3 failback target(s) under deregistration protection (2 turned on now).`,
    );
    expect(result.summary).toBe(result.outputs.report);
    expect(result.outputs.report).toContain(`| \`${AMI(7)}\` | \`patch-7\` |`);
    expect(result.outputs.report).toContain('instance i-0123456789abcdef0 runs it');
  });

  describeCatalogueRows("the lifecycle's ages judged on AWS's clock (catalogue row)", 'lifecycle.test.ts', {
    async F69() {
      const aws = env.ctx.aws;
      env.ctx.aws = (region) => ({ ...aws(region), awsClock: awsClockOn(env.ctx.clock, -3 * 86_400_000) });
      await expect(run('plan-ami-lifecycle', {}, env.ctx)).rejects.toThrow(/^Time check failed for the ages of the pipeline AMIs in us-east-1: .*the runner is 3 days 0 h 0 min ahead of AWS/);
      expect(mutations()).toEqual([]);
      expect(existsSync(join(env.work.dir, 'parameters/ami-retirement.json'))).toBe(false);
    },
  });

  it('says unchanged when the proposal already lists the same AMIs', async () => {
    await run('plan-ami-lifecycle', {}, env.ctx);
    expect((await run('plan-ami-lifecycle', {}, env.ctx)).outputs.changed).toBe(false);
  });
});

describe('retire-amis', () => {
  beforeEach(async () => {
    await run('plan-ami-lifecycle', {}, env.ctx);
    ec2.resetHistory();
  });

  it('without delete: reports what it would retire and calls nothing that changes AWS', async () => {
    const result = await run('retire-amis', {}, env.ctx);
    expect(result.outputs).toEqual({ retired: 0, skipped: 0 });
    expect(leadOf(result.summary!)).toEqual({
      heading: 'AMI retirement (dry run: nothing changed)',
      lead: `**Dry run: nothing was deleted. 2 AMI(s) would be retired (\`${AMI(8)}\`, \`${AMI(9)}\`); deleting takes \`delete: true\`.**`,
    });
    expect(result.summary).toContain(`| us-east-1 | \`${AMI(8)}\` | would retire |`);
    expect(mutations()).toEqual([]);
  });

  it('with delete: deprecates, then deregisters with snapshots, only what is approved and still retirable', async () => {
    // Since the proposal, ami-9 became dev's HEAD: it must survive although the merged file lists it.
    env.work.write('parameters/dev.json', parametersJson(AMI(9)));
    env.work.git('commit', '--quiet', '-am', 'Bump dev to 9');

    const result = await run('retire-amis', { delete: 'true' }, env.ctx);

    expect(result.outputs).toEqual({ retired: 1, skipped: 1 });
    expect(ec2).toHaveReceivedCommandWith(EnableImageDeprecationCommand, { ImageId: AMI(8) });
    expect(ec2).toHaveReceivedCommandWith(DeregisterImageCommand, { ImageId: AMI(8), DeleteAssociatedSnapshots: true });
    expect(ec2).not.toHaveReceivedCommandWith(DeregisterImageCommand, { ImageId: AMI(9) });
    expect(mutations()).toEqual(['EnableImageDeprecationCommand', 'DeregisterImageCommand']);
    expect(env.logger.entries).toContainEqual(expect.objectContaining({ level: 'warning', message: `us-east-1: not retiring ${AMI(9)}: dev runs it (HEAD).` }));
    expect(leadOf(result.summary!).lead).toBe(
      `**Retired 1 AMI(s) the merged proposal listed: \`${AMI(8)}\`, each deprecated, then deregistered with its snapshots.** Skipped 1, not retirable now: \`${AMI(9)}\` (why: below).`,
    );
    expect(result.summary).toContain(`| us-east-1 | \`${AMI(9)}\` | skipped | dev runs it (HEAD) |`);
  });

  it('with nothing approved: says so first', async () => {
    rmSync(join(env.work.dir, 'parameters/ami-retirement.json'));
    const result = await run('retire-amis', { delete: 'true' }, env.ctx);
    expect(result.outputs).toEqual({ retired: 0, skipped: 0 });
    expect(leadOf(result.summary!).lead).toBe('**Nothing to retire: the merged proposal lists no AMI.**');
    expect(leadProblem(result.summary!)).toBeUndefined();
  });
});

/**
 * The merged proposal approves deletions, so it is read under the one policy for repository files
 * (no links, no special files, size and depth before parsing, a key twice refused, every unknown
 * key refused alike) and before any AWS call, even the protections plan-ami-lifecycle turns on.
 */
describe('the retirement proposal under the file policy', () => {
  const FILE = 'parameters/ami-retirement.json';
  const entry = (n: number) => JSON.stringify({ region: 'us-east-1', amiId: AMI(n) });
  const refused = async (command: 'plan-ami-lifecycle' | 'retire-amis', raw: Record<string, string>, message: RegExp) => {
    const error = await run(command, raw, env.ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(message);
    expect(mutations()).toEqual([]);
  };

  describeCatalogueRows('the retirement proposal under the file policy (catalogue rows)', 'lifecycle.test.ts#retirement-file', {
    async B88() {
      // A link to a file with a longer list: git stores the link, so the PR a person approved showed no list at all.
      env.work.write('parameters/old-proposal.json', `{"proposedAt": "2026-05-01T00:00:00.000Z", "retire": [${entry(2)}]}\n`);
      rmSync(join(env.work.dir, FILE), { force: true });
      symlinkSync('old-proposal.json', join(env.work.dir, FILE));
      await refused('plan-ami-lifecycle', {}, /^Retirement plan invalid for parameters\/ami-retirement\.json: it is a symbolic link \(to "old-proposal\.json"\).*Replace the link with a copy of the file itself/);
    },
    async B89() {
      // A reviewer reads the first "retire" (nothing); JSON.parse keeps the last (ami 8).
      env.work.write(FILE, `{\n  "proposedAt": "2026-05-01T00:00:00.000Z",\n  "retire": [],\n  "retire": [${entry(8)}]\n}\n`);
      await refused('retire-amis', { delete: 'true' }, /^Retirement plan invalid for parameters\/ami-retirement\.json: line 4: key "retire" appears twice \(first on line 3\)/);
    },
    async B90() {
      // "__proto__" is a key like any other: refused as an unknown key is, never dropped in silence.
      env.work.write(FILE, `{\n  "proposedAt": "2026-05-01T00:00:00.000Z",\n  "retire": [\n    {"region": "us-east-1", "amiId": "${AMI(8)}", "__proto__": {"keep": true}}\n  ]\n}\n`);
      await refused('retire-amis', { delete: 'true' }, /^Retirement plan invalid for parameters\/ami-retirement\.json: line 4: retire\.0 has an unknown key "__proto__"/);
    },
    async B143() {
      // Over the size limit: refused before reading, and named (and annotated) as the repository
      // names it, never as the runner's checkout path (a GitHub annotation needs the relative path).
      env.work.write(FILE, `{"proposedAt": "2026-05-01T00:00:00.000Z", "retire": [${Array.from({ length: 6000 }, (_, n) => entry(n)).join(', ')}]}\n`);
      const error = (await run('retire-amis', { delete: 'true' }, env.ctx).catch((e: unknown) => e)) as InputError;
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(/^Retirement plan invalid for parameters\/ami-retirement\.json: \d+ bytes, over the 262144-byte \(256 KiB\) limit/);
      expect(error.message).not.toContain(env.work.dir);
      expect(error.location).toEqual({ file: FILE, line: 1 });
      expect(mutations()).toEqual([]);
    },
  });

  it('refuses a proposal nested past the depth limit before parsing it, naming the line', async () => {
    env.work.write(FILE, `{"proposedAt": "x", "retire": [${'['.repeat(40)}${']'.repeat(40)}]}\n`);
    await refused('retire-amis', { delete: 'true' }, /nested too deeply for parameters\/ami-retirement\.json: line 1/);
  });
});

// The overrides of the wiring's limits are read as every number is, within the wiring's own bounds.
describe('the numeric overrides of the wiring', () => {
  it.each([
    ['plan-ami-lifecycle', 'retire-after-days', '3651', 'must be at most 3650 (the wiring\'s lifecycle.retireAfterDays maximum, 10 years)'],
    ['retire-amis', 'retire-after-days', '1e3', 'must be a whole number of days (decimal digits only)'],
    ['propose-promotion', 'soak-minutes', '43201', "must be at most 43200 (30 days, the wiring's soakMinutes maximum)"],
  ] as const)('%s refuses %s = %s before any call', async (command, input, value, message) => {
    await expect(run(command, { [input]: value, ...(command === 'propose-promotion' ? { wave: 'prod' } : {}) }, env.ctx)).rejects.toThrow(message);
    expect(ec2.calls()).toEqual([]);
  });

  it('still takes 0 days (a rehearsal on fresh images)', async () => {
    await expect(run('plan-ami-lifecycle', { 'retire-after-days': '0' }, env.ctx)).resolves.toBeDefined();
  });
});
