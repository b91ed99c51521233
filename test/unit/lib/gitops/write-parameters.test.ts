import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { VirtualClock } from '../../../../actions/lib/clock';
import { InputError } from '../../../../actions/lib/errors';
import { COMMANDS, type GitopsContext } from '../../../../actions/lib/gitops/commands';
import { RecordingLogger } from '../../../../actions/lib/logger';
import { describeCatalogueRows } from '../../reliability/support/catalogue-suite';
import { parametersJson, WIRING_JSON } from './git-fixture';

const AMI = 'ami-0123456789abcdef0';
const SOURCE = parametersJson('ami-0aaaaaaaaaaaaaaa1');

/** A checkout with the wiring and dev's parameters file, and a runner temp dir beside it. No git: the command never calls it. */
function setup() {
  const root = mkdtempSync(join(tmpdir(), 'write-parameters-'));
  const workspace = join(root, 'checkout');
  mkdirSync(join(workspace, 'parameters'), { recursive: true });
  mkdirSync(join(workspace, 'templates'));
  writeFileSync(join(workspace, 'templates/app.yaml'), 'Resources: {}\n');
  writeFileSync(join(workspace, 'parameters/environments.json'), WIRING_JSON);
  writeFileSync(join(workspace, 'parameters/dev.json'), SOURCE);
  writeFileSync(join(workspace, 'parameters/prod.json'), parametersJson('ami-0bbbbbbbbbbbbbbb2'));
  const logger = new RecordingLogger();
  const unused = () => {
    throw new Error('write-parameters must not call git, AWS or GitHub');
  };
  const ctx = {
    workspace,
    git: new Proxy({}, { get: unused }),
    logger,
    clock: new VirtualClock(0),
    environmentsFile: 'parameters/environments.json',
    aws: unused,
    github: unused,
    gitAuth: unused,
    identity: { name: 'n', email: 'e' },
    defaultBranch: 'main',
  } as unknown as GitopsContext;
  return { root, workspace, temp: join(root, 'runner-temp'), ctx, logger };
}

const command = COMMANDS['write-parameters'];
const run = (raw: Record<string, string>, ctx: GitopsContext) => command.run(command.inputs.parse(raw), ctx);

let env: ReturnType<typeof setup>;
beforeEach(() => (env = setup()));
afterEach(() => rmSync(env.root, { recursive: true, force: true }));

describe('gitops write-parameters', () => {
  it('copies the environment’s file with the AMI and network stack swapped, every other line as in git', async () => {
    const output = join(env.temp, 'e2e/app-parameters.json');
    const result = await run({ 'ami-id': AMI, 'network-stack-name': 'e2e-42-network', 'output-file': output }, env.ctx);

    expect(result.outputs).toEqual({ 'parameters-file': output, 'ami-id': AMI });
    expect(readFileSync(output, 'utf8')).toBe(parametersJson(AMI).replace('patch-dev-network', 'e2e-42-network'));
    expect(readFileSync(join(env.workspace, 'parameters/dev.json'), 'utf8')).toBe(SOURCE);
    expect(env.logger.text()).toContain('AmazonMachineImage=ami-0123456789abcdef0 and NetworkStackName=e2e-42-network');
  });

  it('keeps the environment’s network stack when none is given, and reads the named environment', async () => {
    const output = join(env.temp, 'prod.json');
    await run({ environment: 'prod', 'ami-id': AMI, 'output-file': output }, env.ctx);
    expect(readFileSync(output, 'utf8')).toBe(parametersJson(AMI));
  });

  it('overwrites an earlier copy (the failback step rewrites the same scratch file)', async () => {
    const output = join(env.temp, 'app.json');
    await run({ 'ami-id': AMI, 'output-file': output }, env.ctx);
    await run({ 'ami-id': 'ami-0ccccccccccccccc3', 'output-file': output }, env.ctx);
    expect(readFileSync(output, 'utf8')).toBe(parametersJson('ami-0ccccccccccccccc3'));
  });

  it('copies a slots file with the AMI in both slots, its live slot, capacities and weights as in git (e2e-aws.yml creates a fresh stack from it)', async () => {
    const slots = (blue: string, green: string) =>
      `{\n  "Parameters": {\n    "NetworkStackName": "patch-dev-network",\n    "LiveSlot": "green",\n    "BlueAmazonMachineImage": "${blue}",\n    "BlueCapacity": "2",\n    "BlueWeight": "0",\n    "GreenAmazonMachineImage": "${green}",\n    "GreenCapacity": "2",\n    "GreenWeight": "100"\n  }\n}\n`;
    writeFileSync(join(env.workspace, 'parameters/dev.json'), slots('ami-0aaaaaaaaaaaaaaa1', 'ami-0aaaaaaaaaaaaaaa2'));
    const output = join(env.temp, 'slots.json');
    const result = await run({ 'ami-id': AMI, 'network-stack-name': 'e2e-42-network', 'output-file': output }, env.ctx);

    expect(result.outputs).toEqual({ 'parameters-file': output, 'ami-id': AMI });
    expect(readFileSync(output, 'utf8')).toBe(slots(AMI, AMI).replace('patch-dev-network', 'e2e-42-network'));
    expect(env.logger.text()).toContain(`BlueAmazonMachineImage=${AMI}, GreenAmazonMachineImage=${AMI} and NetworkStackName=e2e-42-network`);
  });

  it.each([
    ['a relative path', () => 'app.json'],
    ['a file in the checkout', () => join(env.workspace, 'parameters/dev.json')],
    ['a new file in the checkout', () => join(env.workspace, 'scratch.json')],
    ['a path that climbs back into the checkout', () => join(env.temp, '../checkout/x.json')],
  ])('refuses %s, writing nothing (git would not record it)', async (_, output) => {
    const target = output();
    await expect(run({ 'ami-id': AMI, 'output-file': target }, env.ctx)).rejects.toThrow(/not an absolute path outside the checkout.*runner temp directory/);
    expect(readFileSync(join(env.workspace, 'parameters/dev.json'), 'utf8')).toBe(SOURCE);
    if (!target.endsWith('dev.json')) expect(existsSync(join(env.workspace, target))).toBe(false);
  });

  it.each([
    [{ 'ami-id': 'ami-xyz', 'output-file': '/tmp/a.json' }, /AMI ID/],
    [{ 'ami-id': AMI, 'output-file': '/tmp/a.txt' }, /\.json/],
    [{ 'ami-id': AMI, 'output-file': '' }, /absolute path/],
    [{ 'ami-id': AMI, 'output-file': '/tmp/a.json', 'network-stack-name': 'net; rm -rf /' }, /stack name/],
    [{ 'ami-id': AMI, 'output-file': '/tmp/a.json', environment: 'Prod' }, /environment name/],
  ])('validates its inputs before reading anything: %j', (raw, message) => {
    expect(() => command.inputs.parse(raw)).toThrow(message);
  });

  it('refuses an environment the wiring file does not have, and a source file without the key, with a fix', async () => {
    await expect(run({ environment: 'staging', 'ami-id': AMI, 'output-file': join(env.temp, 'a.json') }, env.ctx)).rejects.toThrow(InputError);
    writeFileSync(join(env.workspace, 'parameters/dev.json'), '{\n  "Parameters": {\n    "AmazonMachineImage": "ami-0aaaaaaaaaaaaaaa1"\n  }\n}\n');
    await expect(run({ 'ami-id': AMI, 'network-stack-name': 'e2e-1-network', 'output-file': join(env.temp, 'b.json') }, env.ctx)).rejects.toThrow(
      /Cannot set Parameters\.NetworkStackName for parameters\/dev\.json: the key is not in the file/,
    );
    expect(existsSync(join(env.temp, 'b.json'))).toBe(false);
  });

  // The copy is refused inside the checkout by its path; a link must not take it there either.
  describeCatalogueRows('the copy under the file policy (catalogue row)', 'write-parameters.test.ts', {
    async B92() {
      const prod = join(env.workspace, 'parameters/prod.json');
      const before = readFileSync(prod, 'utf8');
      mkdirSync(env.temp, { recursive: true });
      const link = join(env.temp, 'app-parameters.json');
      symlinkSync(prod, link);
      const error = await run({ 'ami-id': AMI, 'output-file': link }, env.ctx).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toBe(
        `Cannot write the parameters copy for ${link}: it is a symbolic link (to ${JSON.stringify(prod)}); links are refused because git stores a link, not the file, and a link can make one environment read another's. ` +
          'Replace the link with a copy of the file itself (git rm the link, add the file), or point at the real file.',
      );
      // A directory on the way that leads into the checkout is refused too.
      const intoCheckout = join(env.temp, 'into-checkout');
      symlinkSync(join(env.workspace, 'parameters'), intoCheckout);
      await expect(run({ 'ami-id': AMI, 'output-file': join(intoCheckout, 'prod.json') }, env.ctx)).rejects.toThrow(
        `Cannot write the parameters copy ${join(intoCheckout, 'prod.json')}: its directory is ${join(env.workspace, 'parameters')} (through a link), inside the checkout`,
      );
      expect(readFileSync(prod, 'utf8')).toBe(before);
    },
  });
});
