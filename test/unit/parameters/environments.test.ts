import { InputError } from '../../../actions/lib/errors';
import { DEFAULT_SOAK_MINUTES, getEnvironment, LIFECYCLE_DEFAULTS, loadEnvironments, PATCH_DEBT_DEFAULTS, SLOTS_DEFAULTS, soakMinutesOf, waveIndexOf } from '../../../actions/lib/parameters/environments';
import { FileProblemsError } from '../../../actions/lib/parameters/file-problems';
import { scratchDir } from './fixtures';

type Json = Record<string, unknown>;

function environment(name: string): Json {
  return {
    region: 'us-east-1',
    parametersFile: `parameters/${name}.json`,
    appTemplate: 'templates/app.yaml',
    stacks: { network: `patch-${name}-network`, app: `patch-${name}-app`, imagePipeline: `patch-${name}-image-pipeline`, automation: `patch-${name}-automation` },
    verify: { path: '/details.json', watchSeconds: 60, maxErrorRate: 0 },
  };
}

const wiring = (): Json => ({ $schema: './environments.schema.json', promotionOrder: ['dev', 'prod'], environments: { dev: environment('dev'), prod: environment('prod') } });

/** Applies `edit` to a fresh good wiring object and returns it as pretty JSON. */
function edited(edit: (w: Json & { environments: Record<string, Json & { stacks: Json; verify: Json }> }) => void): string {
  const w = wiring() as Parameters<typeof edit>[0];
  edit(w);
  return `${JSON.stringify(w, null, 2)}\n`;
}

const F = 'parameters/environments.json';

/** The 1-based line of the first line containing `needle` ("LAST x": the last such line; "": line 1). */
function lineOf(text: string, needle: string): number {
  const lines = text.split('\n');
  if (needle.startsWith('LAST ')) return lines.map((l) => l.includes(needle.slice(5))).lastIndexOf(true) + 1;
  const index = lines.findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`test bug: ${needle} is not in the text`);
  return index + 1;
}

describe('loadEnvironments', () => {
  const dir = scratchDir();
  dir.write('parameters/dev.json', '{}');
  dir.write('parameters/prod.json', '{}');
  dir.write('templates/app.yaml', 'Resources: {}');
  afterAll(() => dir.remove());

  /** Writes `text` as the wiring file of the scratch repository and loads it. */
  async function load(text: string) {
    return loadEnvironments(dir.write(F, text));
  }

  it('loads the wiring in the shape of COMMON.md', async () => {
    const config = await load(`${JSON.stringify(wiring(), null, 2)}\n`);
    expect(config.promotionOrder).toEqual(['dev', 'prod']);
    expect(getEnvironment(config, 'prod')).toEqual({ name: 'prod', ...environment('prod'), strategy: 'replace', slots: SLOTS_DEFAULTS, defaultAmiOwners: ['self'] });
  });

  it("defaults amiOwners to self and the accounts that build the environment's images: its own imagePipelineAccount and those of the earlier waves", async () => {
    const config = await load(
      edited((w) => {
        w.environments.dev.imagePipelineAccount = '111122223333';
        w.environments.prod.imagePipelineAccount = '444455556666';
      }),
    );
    expect(getEnvironment(config, 'dev').defaultAmiOwners).toEqual(['self', '111122223333']);
    // prod is promoted dev's AMIs (same account and region: the very AMI, owned by dev's pipeline account).
    expect(getEnvironment(config, 'prod').defaultAmiOwners).toEqual(['self', '444455556666', '111122223333']);
    // An amiOwners written out is the list, as written; it must name the environment's own pipeline account.
    const written = await load(
      edited((w) => {
        w.environments.dev.imagePipelineAccount = '111122223333';
        w.environments.dev.amiOwners = ['self', '111122223333'];
      }),
    );
    expect(getEnvironment(written, 'dev')).toMatchObject({ amiOwners: ['self', '111122223333'] });
  });

  it('resolves paths against rootDir when given', async () => {
    const elsewhere = scratchDir();
    try {
      const file = elsewhere.write('config/wiring.json', JSON.stringify(wiring()));
      await expect(loadEnvironments(file, { rootDir: dir.root })).resolves.toMatchObject({ promotionOrder: ['dev', 'prod'] });
      await expect(loadEnvironments(file)).rejects.toThrow(/parametersFile = "parameters\/dev\.json" does not exist/);
    } finally {
      elsewhere.remove();
    }
  });

  it.each<[string, string, string, string[]]>([
    ['invalid JSON', '{\n  "promotionOrder": ["dev",]\n}\n', '"promotionOrder"', ["Environment wiring file is not valid JSON for parameters/environments.json: line {line}, column 28: trailing comma before ']'"]],
    ['missing promotionOrder', edited((w) => delete w.promotionOrder), '{', ['line {line}: neither waves nor promotionOrder is set, so no environment would ever get an AMI.']],
    ['an unknown top-level key', edited((w) => (w.environment = {})), '"environment":', ['line {line}: the top level has an unknown key "environment"; allowed: $schema, promotionOrder, waves, environments, lifecycle, patchDebt. Rename it to "environments".']],
    ['a misspelt environment key', edited((w) => { w.environments.dev.regin = 'us-east-1'; }), '"regin"', ['line {line}: environments.dev has an unknown key "regin"; allowed: region, parametersFile, appTemplate, strategy, slots, copyRoleArn, copyKmsKeyArn, imagePipelineAccount, amiOwners, stacks, verify, stackParameters, templateBucket, soakMinutes, notify. Rename it to "region".']],
    ['a malformed region', edited((w) => { w.environments.prod.region = 'us-east-one'; }), '"us-east-one"', ['line {line}: environments.prod.region = "us-east-one" must match pattern "^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$" (The AWS region the environment\'s stacks live in, e.g. us-east-1). Fix the value.']],
    ['a stack name CloudFormation rejects', edited((w) => { w.environments.dev.stacks.app = 'patch_dev_app'; }), 'patch_dev_app', ['line {line}: environments.dev.stacks.app = "patch_dev_app" must match pattern "^[A-Za-z][A-Za-z0-9-]{0,127}$" (A CloudFormation stack name: starts with a letter; letters, digits and hyphens; at most 128 characters)']],
    ['a missing stack role', edited((w) => { delete w.environments.dev.stacks.automation; }), '"stacks"', ['line {line}: environments.dev.stacks is missing "automation".']],
    ['an environment name with capitals', edited((w) => { w.environments.Prod = w.environments.prod; delete w.environments.prod; w.promotionOrder = ['dev', 'Prod']; }), '"Prod"', ['key "Prod" in environments must match pattern "^[a-z][a-z0-9-]{0,31}$" (Lowercase letters, digits and hyphens, starting with a letter, at most 32 characters; it appears in stack names and GitHub environment names). Rename it.', 'line {line}: promotionOrder.1 = "Prod" must match pattern']],
    ['a parameters file outside parameters/', edited((w) => { w.environments.dev.parametersFile = '../secrets.json'; }), 'secrets', ['line {line}: environments.dev.parametersFile = "../secrets.json" must match pattern']],
    ['watchSeconds as a string', edited((w) => { w.environments.dev.verify.watchSeconds = '60'; }), '"60"', ['line {line}: environments.dev.verify.watchSeconds = "60" must be integer']],
    ['maxErrorRate above 1', edited((w) => { w.environments.dev.verify.maxErrorRate = 5; }), '"maxErrorRate": 5', ['line {line}: environments.dev.verify.maxErrorRate = "5" must be <= 1 (Largest tolerated fraction of failed samples, 0 to 1). Fix the value.']],
    ['an environment listed twice in promotionOrder', edited((w) => (w.promotionOrder = ['dev', 'prod', 'dev'])), '"promotionOrder"', ['line {line}: promotionOrder lists the same value twice (items 1 and 3). Remove the duplicate.']],
    ['promotionOrder naming an unknown environment', edited((w) => (w.promotionOrder = ['dev', 'prd'])), '"prd"', ['line {line}: promotionOrder lists "prd", which is not under environments. Did you mean "prod"? Fix the name or add the environment.', 'environment "prod" is missing from promotionOrder, so no AMI would ever be promoted to it. Add it to promotionOrder where it belongs.']],
    ['an environment missing from promotionOrder', edited((w) => (w.promotionOrder = ['dev'])), '"prod": {', ['line {line}: environment "prod" is missing from promotionOrder']],
    ['a stack name shared by two environments', edited((w) => { w.environments.prod.stacks.network = 'patch-dev-network'; }), 'LAST "network": "patch-dev-network"', ['line {line}: stack name "patch-dev-network" is used by both environments.dev.stacks.network and environments.prod.stacks.network. Give each stack its own name (e.g. patch-prod-network).']],
    ['a stack name shared by two roles', edited((w) => { w.environments.dev.stacks.automation = 'patch-dev-app'; }), '"automation": "patch-dev-app"', ['line {line}: stack name "patch-dev-app" is used by both environments.dev.stacks.app and environments.dev.stacks.automation. Give each stack its own name (e.g. patch-dev-automation).']],
    ['a parameters file shared by two environments', edited((w) => { w.environments.prod.parametersFile = 'parameters/dev.json'; }), 'LAST "parametersFile": "parameters/dev.json"', ['line {line}: parametersFile "parameters/dev.json" is shared with environment "dev", so an AMI bump for one would deploy both. Give "prod" its own file (parameters/prod.json).']],
    ['a parameters file that does not exist', edited((w) => { w.environments.prod.parametersFile = 'parameters/staging.json'; }), 'staging', ['line {line}: environments.prod.parametersFile = "parameters/staging.json" does not exist (paths are relative to the repository root, ']],
    ['an app template that does not exist', edited((w) => { w.environments.dev.appTemplate = 'templates/ap.yaml'; }), 'ap.yaml', ['line {line}: environments.dev.appTemplate = "templates/ap.yaml" does not exist']],
    ['a duplicated environment', '{\n  "promotionOrder": ["dev"],\n  "environments": {\n    "dev": ' + JSON.stringify(environment('dev')) + ',\n    "dev": ' + JSON.stringify(environment('dev')) + '\n  }\n}\n', 'LAST "dev"', ['line {line}: key "dev" appears twice in environments (first on line 4); JSON readers silently keep the last one. Delete or rename one of them.']],
    ['an empty file', '\n', '', ['Environment wiring invalid for parameters/environments.json: the file is empty. Write the wiring object (see docs/parameters.md).']],
  ])('refuses %s', async (_name, text, needle, parts) => {
    const line = lineOf(text, needle);
    const error = await load(text).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message.split(`${dir.root}/`).join('');
    for (const part of parts) expect(message).toContain(part.replace('{line}', String(line)));
    expect(message).toMatch(/^Environment wiring (invalid|file is not valid JSON) for parameters\/environments\.json: /);
    expect((error as InputError).location).toMatchObject({ file: `${dir.root}/${F}`, line });
  });

  it('reports every problem together', async () => {
    const text = edited((w) => {
      w.environments.dev.region = 'mars-1';
      w.environments.prod.verify.watchSeconds = -1;
    });
    const error = (await load(text).catch((e: unknown) => e)) as FileProblemsError;
    expect(error).toBeInstanceOf(FileProblemsError);
    expect(error.problems).toHaveLength(2);
    expect(error.message).toContain('2 problems, each with its fix:');
  });

  it('refuses a missing wiring file', async () => {
    await expect(loadEnvironments(`${dir.root}/parameters/nope.json`)).rejects.toThrow(
      `Environment wiring invalid for ${dir.root}/parameters/nope.json: no such file. Create it (see docs/parameters.md) or pass the right path; workflows read parameters/environments.json from the repository root.`,
    );
  });
});

describe('loadEnvironments: the strategy', () => {
  const dir = scratchDir();
  dir.write('parameters/dev.json', '{}');
  dir.write('parameters/prod.json', '{}');
  dir.write('templates/app.yaml', 'Parameters:\n  AmazonMachineImage: { Type: AWS::EC2::Image::Id }\nResources: {}\n');
  dir.write('templates/app-slots.yaml', 'Parameters:\n  LiveSlot: { Type: String, AllowedValues: [blue, green] }\nResources: {}\n');
  afterAll(() => dir.remove());
  const load = (text: string) => loadEnvironments(dir.write(F, text));

  it('defaults to replace, and fills in the slots settings', async () => {
    const config = await load(edited(() => undefined));
    expect(getEnvironment(config, 'dev')).toMatchObject({ strategy: 'replace', slots: SLOTS_DEFAULTS });
  });

  it('takes slots with a slots template, and the settings given', async () => {
    const text = edited((w) => Object.assign(w.environments.dev, { strategy: 'slots', appTemplate: 'templates/app-slots.yaml', slots: { canaryWeight: 25 } }));
    expect(getEnvironment(await load(text), 'dev')).toMatchObject({ strategy: 'slots', slots: { ...SLOTS_DEFAULTS, canaryWeight: 25 } });
  });

  it.each<[string, string, (w: Parameters<Parameters<typeof edited>[0]>[0]) => void, string, string]>([
    ['slots with the replace template', 'strategy', (w) => Object.assign(w.environments.dev, { strategy: 'slots' }), '"strategy"', 'environments.dev.strategy is "slots", but "templates/app.yaml" is not a slots template (it declares no LiveSlot). Use templates/app-slots.yaml (it declares LiveSlot and the slot parameters).'],
    ['a slots template without strategy', 'appTemplate', (w) => Object.assign(w.environments.prod, { appTemplate: 'templates/app-slots.yaml' }), 'LAST "appTemplate"', 'environments.prod.strategy is "replace", but "templates/app-slots.yaml" is a slots template (it declares LiveSlot). Add "strategy": "slots", or use templates/app.yaml.'],
  ])('refuses %s, at its %s line', async (_name, _key, edit, needle, message) => {
    const text = edited(edit);
    await expect(load(text)).rejects.toThrow(`line ${lineOf(text, needle)}: ${message}`);
  });

  it('refuses a canary share above half the traffic', async () => {
    const text = edited((w) => Object.assign(w.environments.dev, { strategy: 'slots', appTemplate: 'templates/app-slots.yaml', slots: { canaryWeight: 60 } }));
    await expect(load(text)).rejects.toThrow(/environments\.dev\.slots\.canaryWeight = "60" must be <= 50/);
  });
});

describe('waves and soak', () => {
  const dir = scratchDir();
  for (const name of ['dev', 'qa', 'prod', 'prod-eu']) dir.write(`parameters/${name}.json`, '{}');
  dir.write('templates/app.yaml', 'Resources: {}');
  afterAll(() => dir.remove());
  const load = (text: string) => loadEnvironments(dir.write(F, text));
  const waved = (waves: unknown, extra: Json = {}) =>
    `${JSON.stringify({ waves, environments: { dev: { ...environment('dev'), soakMinutes: 60 }, qa: environment('qa'), prod: environment('prod'), 'prod-eu': environment('prod-eu') }, ...extra }, null, 2)}\n`;
  const fourWaves = [{ name: 'dev', environments: ['dev'] }, { name: 'qa', environments: ['qa'] }, { name: 'prod', environments: ['prod', 'prod-eu'], maxParallel: 1 }];

  it('reads waves, flattens them into promotionOrder and fills in maxParallel and the soak', async () => {
    const config = await load(waved(fourWaves));
    expect(config.promotionOrder).toEqual(['dev', 'qa', 'prod', 'prod-eu']);
    expect(config.waves).toEqual([
      { name: 'dev', environments: ['dev'], maxParallel: 1 },
      { name: 'qa', environments: ['qa'], maxParallel: 1 },
      { name: 'prod', environments: ['prod', 'prod-eu'], maxParallel: 1 },
    ]);
    expect(waveIndexOf(config, 'prod-eu')).toBe(2);
    expect(soakMinutesOf(getEnvironment(config, 'dev'))).toBe(60);
    expect(soakMinutesOf(getEnvironment(config, 'qa'))).toBe(DEFAULT_SOAK_MINUTES);
  });

  it('makes a wave of one per environment from a plain promotionOrder', async () => {
    const config = await load(`${JSON.stringify(wiring())}`.replace('"environments":{', '"environments":{"__x":0,').replace('"__x":0,', ''));
    expect(config.waves).toEqual([{ name: 'dev', environments: ['dev'], maxParallel: 1 }, { name: 'prod', environments: ['prod'], maxParallel: 1 }]);
  });

  it.each([
    ['an environment in two waves', [{ name: 'a', environments: ['dev', 'qa'] }, { name: 'b', environments: ['qa', 'prod', 'prod-eu'] }], 'environment "qa" is in wave "a" and in wave "b"; an environment belongs to exactly one wave'],
    ['two waves of one name', [{ name: 'a', environments: ['dev', 'qa'] }, { name: 'a', environments: ['prod', 'prod-eu'] }], 'wave name "a" is used twice (waves 1 and 2)'],
    ['an unknown environment', [{ name: 'a', environments: ['dev', 'qa', 'prd', 'prod-eu'] }], 'waves lists "prd", which is not under environments. Did you mean "prod"?'],
    ['an environment in no wave', [{ name: 'a', environments: ['dev', 'qa', 'prod'] }], 'environment "prod-eu" is missing from waves, so no AMI would ever be promoted to it. Add it to a wave'],
    ['maxParallel 0', [{ name: 'a', environments: ['dev', 'qa', 'prod', 'prod-eu'], maxParallel: 0 }], 'maxParallel'],
    ['a bad wave name', [{ name: 'Prod Wave', environments: ['dev', 'qa', 'prod', 'prod-eu'] }], 'waves.0.name'],
  ])('refuses %s, before any AWS call', async (_what, waves, message) => {
    await expect(load(waved(waves))).rejects.toThrow(message);
  });

  it('refuses both waves and promotionOrder, and neither', async () => {
    await expect(load(waved(fourWaves, { promotionOrder: ['dev', 'qa', 'prod', 'prod-eu'] }))).rejects.toThrow('both promotionOrder and waves are set');
    await expect(load(JSON.stringify({ environments: { dev: environment('dev') } }))).rejects.toThrow('neither waves nor promotionOrder is set');
  });

  it('refuses a soak that is not a whole number of minutes in range', async () => {
    const text = waved(fourWaves).replace('"soakMinutes": 60', '"soakMinutes": 50000');
    await expect(load(text)).rejects.toThrow(new RegExp(`line ${lineOf(text, 'soakMinutes')}: environments.dev.soakMinutes = "50000" must be <= 43200`));
  });
});

describe('getEnvironment', () => {
  const config = { file: F, promotionOrder: ['dev', 'prod'], waves: [], environments: {} as never, lifecycle: LIFECYCLE_DEFAULTS, patchDebt: PATCH_DEBT_DEFAULTS };

  it.each([
    ['prd', 'Unknown environment "prd" for parameters/environments.json: the environments are dev, prod. Did you mean "prod"? Use one of them, or add the environment to parameters/environments.json.'],
    ['staging', 'Unknown environment "staging" for parameters/environments.json: the environments are dev, prod. Use one of them, or add the environment to parameters/environments.json.'],
    ['__proto__', 'Unknown environment "__proto__"'],
  ])('refuses %s, naming the known environments', (name, message) => {
    expect(() => getEnvironment({ ...config, environments: { dev: {} as never, prod: {} as never } }, name)).toThrow(message);
  });
});

describe('loadEnvironments: notify', () => {
  const dir = scratchDir();
  dir.write('parameters/dev.json', '{}');
  dir.write('parameters/prod.json', '{}');
  dir.write('templates/app.yaml', 'Resources: {}');
  afterAll(() => dir.remove());
  const load = (text: string) => loadEnvironments(dir.write(F, text));
  const TOPIC = 'arn:aws:sns:us-east-1:123456789012:patch-alerts';

  it('is absent unless the file names a channel (nothing is sent then)', async () => {
    expect(getEnvironment(await load(edited(() => undefined)), 'dev').notify).toBeUndefined();
  });

  it('takes an SNS topic and a webhook kind, per environment', async () => {
    const config = await load(edited((w) => Object.assign(w.environments.prod, { notify: { snsTopicArn: TOPIC, webhook: 'teams' } })));
    expect(getEnvironment(config, 'prod').notify).toEqual({ snsTopicArn: TOPIC, webhook: 'teams' });
    expect(getEnvironment(config, 'dev').notify).toBeUndefined();
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a FIFO topic (notifications carry no message group)', { snsTopicArn: `${TOPIC}.fifo` }, '"snsTopicArn"', /environments\.prod\.notify\.snsTopicArn = ".*patch-alerts\.fifo" must match pattern .*\(An SNS topic \(standard, not FIFO\)/],
    ['a webhook URL in the file (it is a secret)', { webhook: 'https://hooks.slack.com/services/T/B/x' }, '"webhook"', /environments\.prod\.notify\.webhook = "https:\/\/hooks\.slack\.com\/services\/T\/B\/x" must be equal to one of the allowed values .*never this file/],
    ['an empty notify', {}, '"notify"', /environments\.prod\.notify must NOT have fewer than 1 properties/],
    ['a misspelt key', { snsTopic: TOPIC }, '"snsTopic"', /environments\.prod\.notify has an unknown key "snsTopic"; allowed: snsTopicArn, webhook\./],
  ])('refuses %s, naming the line', async (_name, notify, needle, message) => {
    const text = edited((w) => Object.assign(w.environments.prod, { notify }));
    const error = await load(text).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(message);
    expect(error?.message).toContain(`line ${lineOf(text, needle)}:`);
  });
});
