/**
 * Staging ahead through the gitops commands the workflows run (real git, a bare origin, a fake
 * GitHub API): the patch PR stages the idle slot, the stage deploy proposes the switch PR with the
 * proof, and at the switch's deploy check-switch compares the merge with what the switch was
 * proposed from (the compare-and-swap of record-change.ts, applied to a merge).
 */
import { CloudFormationClient, DescribeStackEventsCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

import type { VirtualClock } from '../../../../actions/lib/clock';

import { parseMetadataBlock } from '../../../../actions/lib/gitops/commit-metadata';
import type { StagedSlot } from '../../../../actions/lib/slots/deploy-slots';
import { REPO_ROOT } from '../../reliability/support/aws-world';
import { describeCatalogueRows } from '../../reliability/support/catalogue-suite';
import { workflowStepInputs } from '../../reliability/support/workflow-step-inputs';
import { createGitFixture, wiringEntry } from './git-fixture';
import { gitopsTestContext, runCommand } from './gitops-context';
import { AMI, SLOTS_FILE, slotsJson } from './slots-repo-fixture';

const cfn = mockClient(CloudFormationClient);
const FILE = SLOTS_FILE;
const SLOTS_TEMPLATE = 'Parameters:\n  LiveSlot:\n    Type: String\nResources: {}\n';
const wiring = (dev: Record<string, unknown>) =>
  JSON.stringify({ promotionOrder: ['dev'], environments: { dev: { ...wiringEntry('dev'), appTemplate: 'templates/app-slots.yaml', strategy: 'slots', slots: { stageAhead: true }, ...dev } } }, null, 2);
/** Green live on AMI 2 (it replaced AMI 1), blue retired on AMI 1: where a stage PR starts. */
const AT_REST = { LiveSlot: 'green', GreenAmazonMachineImage: AMI(2), GreenCapacity: '2', GreenWeight: '100', BlueAmazonMachineImage: AMI(1), BlueCapacity: '0', BlueWeight: '0' };

/** `retired: false`: the last deploy's bake window has not retired blue yet (it is warm on AMI 1, the way back). */
function setup(dev: Record<string, unknown> = {}, history: { retired: boolean } = { retired: true }) {
  const seed = createGitFixture();
  seed.commit('Initial layout', { 'parameters/environments.json': wiring(dev), [FILE]: slotsJson({}), 'templates/app-slots.yaml': SLOTS_TEMPLATE });
  seed.commit(`Bump dev AMI from ${AMI(1)} to ${AMI(2)}`, { [FILE]: slotsJson({ ...AT_REST, BlueCapacity: '2' }) });
  if (history.retired) seed.commit('Retire blue', { [FILE]: slotsJson(AT_REST) });
  const origin = createGitFixture({ bare: true, cloneFrom: seed.dir });
  const work = createGitFixture({ cloneFrom: origin.dir });
  const openPullRequest = jest.fn(async () => ({ number: 7, url: 'https://github.com/acme/fleet/pull/7', created: true }));
  const { ctx } = gitopsTestContext(work.dir, { openPullRequest });
  return { seed, origin, work, ctx, openPullRequest, remove: () => [seed, origin, work].forEach((f) => f.remove()) };
}

let env: ReturnType<typeof setup>;
beforeEach(() => {
  cfn.reset();
  // No app stack unless a test says so (check-switch reads it at a stage's deploy).
  cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id patch-dev-app does not exist'), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }));
});
afterEach(() => env?.remove());

const workFile = () => readFileSync(join(env.work.dir, FILE), 'utf8');
const parametersOf = (text: string) => (JSON.parse(text) as { Parameters: Record<string, string> }).Parameters;
function diff(from: string, to: string): string[] {
  const a = parametersOf(from);
  const b = parametersOf(to);
  return Object.keys(b).filter((k) => a[k] !== b[k]).map((k) => `${k}: ${a[k]} → ${b[k]}`);
}

/** The patch PR as the workflow runs it (set-ami, compose-patch-pr), then its merge. */
async function stageAndMerge(ami: string) {
  const set = await runCommand('set-ami', { 'ami-id': ami }, env.ctx);
  const composed = await runCommand('compose-patch-pr', { 'previous-ami-id': String(set.outputs['previous-ami-id']), 'ami-id': ami }, env.ctx);
  env.work.git('commit', '--quiet', '-a', '-m', String(composed.outputs['commit-message']));
  env.work.git('push', '--quiet', 'origin', 'HEAD:main');
  return { set, composed };
}

/** update-app-stack's stage-evidence after the stage deploy proved `ami` in blue. */
const evidence = (ami: string, over: Partial<StagedSlot> = {}): StagedSlot => ({
  slot: 'blue',
  previousAmiId: AMI(1),
  amiId: ami,
  capacity: 2,
  liveSlot: 'green',
  liveAmiId: AMI(2),
  provenAt: '2026-06-01T00:00:00.000Z',
  samples: 60,
  errorRate: 0,
  medianLatencyMs: 12,
  instances: [
    { instanceId: 'i-0b1', amiId: ami },
    { instanceId: 'i-0b2', amiId: ami },
  ],
  ...over,
});

/** propose-switch, then the person merges the switch branch into main (the way `merge` says). */
async function proposeSwitch(ami: string) {
  return runCommand('propose-switch', { 'stage-evidence': JSON.stringify(evidence(ami)) }, env.ctx);
}
function mergeSwitch(how: 'fast-forward' | 'merge-commit') {
  env.work.git('fetch', '--quiet', 'origin', 'ami-switch/dev');
  env.work.git('merge', '--quiet', how === 'fast-forward' ? '--ff-only' : '--no-ff', '--no-edit', 'FETCH_HEAD');
}

/** The stack as the last deploy left it (`parameters`), its update settled at `settledAtMs` (AWS's clock). */
function stackRuns(parameters: Record<string, string>, settledAtMs: number) {
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: 'patch-dev-app', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0), Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })) }],
  });
  cfn.on(DescribeStackEventsCommand).resolves({
    StackEvents: [{ StackName: 'patch-dev-app', StackId: 's', EventId: 'e1', LogicalResourceId: 'patch-dev-app', ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: 'UPDATE_COMPLETE', Timestamp: new Date(settledAtMs) }],
  });
}

const IMPLEMENTATIONS: Record<string, () => Promise<void>> = {
  async B180() {
    env = setup({ strategy: 'replace', appTemplate: 'templates/app.yaml' });
    env.work.write('templates/app.yaml', 'Resources: {}\n');
    const error = await runCommand('set-ami', { 'ami-id': AMI(3) }, env.ctx).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/environments\.dev\.slots\.stageAhead is true, but its strategy is "replace": staging ahead puts the new AMI in the idle slot of templates\/app-slots\.yaml, and a replace environment has no idle slot\. Add "strategy": "slots"/);
    expect(env.work.git('status', '--porcelain', FILE)).toBe('');
  },
  async B181() {
    env = setup();
    await expect(runCommand('propose-switch', { 'stage-evidence': 'not json' }, env.ctx)).rejects.toThrow(/must be JSON: update-app-stack's stage-evidence output/);
    await expect(runCommand('propose-switch', { 'stage-evidence': JSON.stringify({ ...evidence(AMI(3)), samples: -1 }) }, env.ctx)).rejects.toThrow(/samples/);
    expect(env.openPullRequest).not.toHaveBeenCalled();
    expect(env.origin.git('branch', '--list', 'ami-switch/dev')).toBe('');
  },
  async F186() {
    env = setup();
    await stageAndMerge(AMI(3));
    // The stage deploy's proof of AMI 4, which HEAD does not stage: no switch PR.
    const refused = await runCommand('propose-switch', { 'stage-evidence': JSON.stringify(evidence(AMI(4))), 'run-id': '987654321' }, env.ctx);
    expect(refused.failure).toMatch(new RegExp(`No switch PR for dev: the stage deploy proved ${AMI(4)} in blue .*but parameters/dev.json at HEAD says LiveSlot green, blue on ${AMI(3)}`));
    expect(refused.failure).toMatch(/This one command re-runs the deploy of the default branch's HEAD, which stages and proves what HEAD says, then proposes its switch: gh run rerun 987654321 --failed$/);
    expect(env.openPullRequest).not.toHaveBeenCalled();
    // The switch for AMI 3, then a newer stage (AMI 4): its proposal goes to the same branch, replacing the open PR.
    await proposeSwitch(AMI(3));
    await stageAndMerge(AMI(4));
    await proposeSwitch(AMI(4));
    expect(env.openPullRequest.mock.calls.map((c) => (c as unknown as [{ head: string; title: string }])[0]).map((r) => `${r.head} ${r.title}`)).toEqual([
      `ami-switch/dev Switch dev AMI from ${AMI(2)} to ${AMI(3)}`,
      `ami-switch/dev Switch dev AMI from ${AMI(2)} to ${AMI(4)}`,
    ]);
    expect(parametersOf(env.origin.git('show', `ami-switch/dev:${FILE}`))).toMatchObject({ LiveSlot: 'blue', BlueAmazonMachineImage: AMI(4) });
  },
  async F187() {
    env = setup();
    await stageAndMerge(AMI(3));
    await proposeSwitch(AMI(3));
    // Someone changes the file on main while the switch PR waits (bigger instances for the staged
    // slot too), then the switch is squash-merged onto it: the proof is of another state.
    const message = env.origin.git('log', '-1', '--format=%B', 'ami-switch/dev');
    env.work.write(FILE, slotsJson({ ...AT_REST, BlueAmazonMachineImage: AMI(3), BlueCapacity: '2', InstanceType: 't3.small' }));
    env.work.git('commit', '--quiet', '-am', 'Bigger instances');
    env.work.write(FILE, slotsJson({ ...AT_REST, BlueAmazonMachineImage: AMI(3), BlueCapacity: '2', InstanceType: 't3.small', LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' }));
    env.work.git('commit', '--quiet', '-a', '-m', message);
    const checked = await runCommand('check-switch', {}, env.ctx);
    expect(checked.failure).toBeUndefined();
    expect(checked.outputs).toMatchObject({ judgement: 'stale', 'staged-proof': '' });
  },
  async F188() {
    env = setup();
    await stageAndMerge(AMI(3));
    await proposeSwitch(AMI(3));
    // AMI 4 staged on main by hand (no stage deploy proposed its switch), then the old switch squash-merged onto it.
    const message = env.origin.git('log', '-1', '--format=%B', 'ami-switch/dev');
    env.work.write(FILE, slotsJson({ ...AT_REST, BlueAmazonMachineImage: AMI(4), BlueCapacity: '2', LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' }));
    env.work.git('commit', '--quiet', '-a', '-m', message);
    const checked = await runCommand('check-switch', { 'run-id': '987654321' }, env.ctx);
    expect(checked.failure).toMatch(new RegExp(`Switch refused in dev: the switch PR \\(\\w+, "Switch dev AMI from ${AMI(2)} to ${AMI(3)}"\\) makes ${AMI(3)} live, but parameters/dev.json at HEAD makes ${AMI(4)} live`));
    expect(checked.failure).toMatch(/Nothing changed in AWS; the "Record what runs" step writes what the stack runs .* Once it has, this one command deploys what git names then \(nothing changes in AWS\): a slot it stages is proven again and its switch PR proposed, for a person to merge: gh run rerun 987654321 --failed$/);
    expect(checked.outputs).toMatchObject({ 'staged-proof': '', judgement: 'refuse', 'switch-ami-id': AMI(3) });
    // The job's Report step, its inputs as deploy-environment.yml wires them (the record step found the stack as git had it before the switch).
    const strings = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    const inputs = workflowStepInputs('deploy-environment.yml', 'deploy', 'report', {
      inputs: { environment: 'dev' },
      steps: {
        resolve: { outcome: 'success', outputs: { 'ami-id': AMI(4), strategy: 'slots' } },
        gate: { outcome: 'success' },
        'check-switch': { outcome: 'failure', outputs: strings(checked.outputs) },
        sync: { outcome: 'success', outputs: { outcome: 'pushed', commit: 'c'.repeat(40), 'live-ami-id': AMI(2) } },
      },
      defaultBranch: 'main',
      runId: '987654321',
    });
    const report = await runCommand('deploy-report', Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== '')), env.ctx);
    expect(report.outputs.ok).toBe(false);
    expect(report.outputs.headline).toMatch(
      new RegExp(
        `^The switch of dev was refused before any AWS change: the switch PR was approved for ${AMI(3)}, but HEAD makes ${AMI(4)} live .*Git records it: c{12} .*` +
          'To switch, this one command deploys what git names now \\(nothing changes in AWS\\): a slot it stages is proven again and its switch PR proposed, for you to merge: gh run rerun 987654321 --failed$',
      ),
    );
  },
  async F189() {
    env = setup();
    await stageAndMerge(AMI(3));
    const head = env.work.git('show', `main:${FILE}`);
    // update-app-stack unstaged blue after its failed prove: the stack is as main had it before.
    const stack = parametersOf(slotsJson(AT_REST));
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'patch-dev-app', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0), Parameters: Object.entries(stack).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })) }],
    });
    const failed = JSON.stringify({ slot: 'blue', previousAmiId: AMI(1), amiId: AMI(3), restored: true });
    const synced = await runCommand('sync-from-stack', { environment: 'dev', 'requested-ami-id': AMI(2), 'stage-failed': failed }, env.ctx);
    expect(synced.outputs).toMatchObject({ outcome: 'pushed', 'live-ami-id': AMI(2) });
    const recorded = env.origin.git('show', `main:${FILE}`);
    expect(parametersOf(recorded)).toEqual(stack);
    expect(diff(head, recorded)).toEqual([`BlueAmazonMachineImage: ${AMI(3)} → ${AMI(1)}`, 'BlueCapacity: 2 → 0']);
    const message = env.origin.git('log', '-1', '--format=%B', 'main');
    expect(message.split('\n')[0]).toBe(`Record dev's blue on ${AMI(1)}: staging ${AMI(3)} failed its prove`);
    expect(parseMetadataBlock(message)?.[0]).toMatchObject({ 'update-type': 'rollback-sync', 'previous-ami-id': AMI(3), 'ami-id': AMI(2) });
    const report = await runCommand(
      'deploy-report',
      { environment: 'dev', 'requested-ami-id': AMI(2), 'prepare-outcome': 'success', 'update-outcome': 'failure', 'sync-outcome': 'success', 'sync-result': 'pushed', 'sync-commit': String(synced.outputs.commit), 'live-ami-id': AMI(2), 'stage-failed': failed },
      env.ctx,
    );
    expect(report.outputs.headline).toMatch(
      new RegExp(`^Staging ${AMI(3)} in blue of dev failed its prove on its own target group: no user request reached it, users stayed on the live slot \\(${AMI(2)}\\) throughout; blue is back on ${AMI(1)}, as before the stage\\. No switch PR\\. Git records it: \\w+`),
    );
    expect(report.outputs.ok).toBe(false);
  },
  async F207() {
    // The last deploy switched to AMI 2 ten minutes ago; its window is an hour, so blue (AMI 1) is still the way back.
    env = setup({ slots: { stageAhead: true, bakeSeconds: 3600 } }, { retired: false });
    const before = parametersOf(env.work.git('show', `main:${FILE}`));
    const switchedAt = env.ctx.clock.now() - 10 * 60_000;
    stackRuns(before, switchedAt);
    await stageAndMerge(AMI(3));
    const head = env.work.git('rev-parse', 'HEAD').trim();
    const checked = await runCommand('check-switch', { 'run-id': '987654321' }, env.ctx);
    const endsAt = new Date(switchedAt + 3_600_000).toISOString();
    expect(checked.failure).toBe(
      `Stage of ${AMI(3)} in blue of dev not done yet: blue is the way back of ${AMI(2)}'s bake window: warm on ${AMI(1)}, one weight flip from the users, until ${endsAt} (AWS's clock); staging now would replace it. ` +
        `Nothing changed in AWS, and git keeps the stage: ${FILE} stages ${AMI(3)} while the stack keeps blue on ${AMI(1)} until then (a failback of ${AMI(2)} meanwhile is still that weight flip). ` +
        `After ${endsAt}, this one command stages ${AMI(3)} in place of ${AMI(1)}, proves it at weight 0 and proposes its switch PR: gh run rerun 987654321 --failed`,
    );
    expect(JSON.parse(String(checked.outputs['stage-wait']))).toEqual({ slot: 'blue', stagedAmiId: AMI(3), warmAmiId: AMI(1), liveAmiId: AMI(2), endsAt });
    // Read only: no update, and git untouched.
    expect(cfn.calls().map((c) => c.args[0].constructor.name).filter((n) => !/^Describe/.test(n))).toEqual([]);
    expect(env.work.git('rev-parse', 'HEAD').trim()).toBe(head);
    // The job's record step is skipped for it (its if), and the Report says the same, inputs as deploy-environment.yml wires them.
    const sync = (parse(readFileSync(join(REPO_ROOT, '.github/workflows/deploy-environment.yml'), 'utf8')) as { jobs: { deploy: { steps: { id?: string; if?: string }[] } } }).jobs.deploy.steps.find((x) => x.id === 'sync');
    expect(sync?.if).toMatch(/&& steps\.check-switch\.outputs\.stage-wait == ''$/);
    const strings = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    const inputs = workflowStepInputs('deploy-environment.yml', 'deploy', 'report', {
      inputs: { environment: 'dev' },
      steps: { resolve: { outcome: 'success', outputs: { 'ami-id': AMI(2), strategy: 'slots' } }, gate: { outcome: 'success' }, 'check-switch': { outcome: 'failure', outputs: strings(checked.outputs) } },
      defaultBranch: 'main',
      runId: '987654321',
    });
    const report = await runCommand('deploy-report', Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== '')), env.ctx);
    expect(report.outputs.ok).toBe(false);
    expect(report.outputs.headline).toBe(
      `The stage of ${AMI(3)} in blue of dev waits for the bake window of ${AMI(2)}: blue is its way back, warm on ${AMI(1)} one weight flip from the users, until ${endsAt} (AWS's clock). ` +
        `Nothing changed in AWS: users stay on ${AMI(2)}; git stages ${AMI(3)} in blue while the stack keeps ${AMI(1)} there. ` +
        `After ${endsAt}, this one command stages it in place of ${AMI(1)}, proves it at weight 0 and proposes its switch PR: gh run rerun 987654321 --failed`,
    );
    // Once the window is over (AWS's clock), the same step lets the stage through.
    await (env.ctx.clock as VirtualClock).sleep(50 * 60_000);
    const later = await runCommand('check-switch', { 'run-id': '987654321' }, env.ctx);
    expect(later.failure).toBeUndefined();
    expect(later.outputs).toEqual({ 'staged-proof': '', judgement: 'none', 'staged-ami-id': AMI(3) });
  },
};

describeCatalogueRows('the staging-ahead rows of the catalogues (unit, real git)', 'stage-commands.test.ts', IMPLEMENTATIONS);

/** AMI 3 staged and its switch proposed, then an unrelated commit on main while the switch PR waits. */
async function switchProposedThenUnrelatedChange() {
  env = setup();
  await stageAndMerge(AMI(3));
  await proposeSwitch(AMI(3));
  env.work.write('README.md', 'unrelated\n');
  env.work.git('add', 'README.md');
  env.work.git('commit', '--quiet', '-m', 'Unrelated change');
}

describe('staging ahead, end to end in git', () => {
  it('the patch PR stages the new AMI in the idle slot at weight 0 and says a second PR will switch', async () => {
    env = setup();
    const before = workFile();
    const { set, composed } = await stageAndMerge(AMI(3));
    expect(set.outputs).toMatchObject({ changed: true, 'previous-ami-id': AMI(2), 'ami-id': AMI(3) });
    expect(diff(before, workFile())).toEqual([`BlueAmazonMachineImage: ${AMI(1)} → ${AMI(3)}`, 'BlueCapacity: 0 → 2']);
    expect(composed.outputs.title).toBe(`Stage dev AMI ${AMI(3)} in blue (users stay on ${AMI(2)})`);
    expect(composed.outputs.body).toContain(`**Merging this PR stages \`${AMI(2)}\` → \`${AMI(3)}\` in \`blue\`, no user traffic; a second PR will switch.`);
    expect(parseMetadataBlock(String(composed.outputs['commit-message']))?.[0]).toMatchObject({ 'update-type': 'stage', 'previous-ami-id': AMI(2), 'ami-id': AMI(3), parameter: 'BlueAmazonMachineImage, BlueCapacity' });
    // Nothing is switched yet: check-switch sees no switch, and names the staged AMI for a re-run.
    expect((await runCommand('check-switch', {}, env.ctx)).outputs).toEqual({ 'staged-proof': '', judgement: 'none', 'staged-ami-id': AMI(3) });
  });

  it('without staging ahead, the patch PR says how the slots switch goes (not a replaced Auto Scaling group)', async () => {
    env = setup({ slots: { canaryWeight: 20, canarySeconds: 60 } });
    const { composed } = await stageAndMerge(AMI(3));
    expect(composed.outputs.title).toBe(`Bump dev AMI from ${AMI(2)} to ${AMI(3)}`);
    expect(String(composed.outputs.body)).toContain(
      `.** \`blue\` comes up on \`${AMI(3)}\` beside \`green\`, is proven on its own target group, takes 20 % of the traffic for 60 s as a canary, then all of it. ` +
        `\`green\` stays warm on \`${AMI(2)}\` through the bake window: a failed verification flips the traffic back to it on its own, and a failback is one weight flip.\n`,
    );
    expect(composed.outputs.body).not.toContain('Auto Scaling group comes up');
  });

  it('the stage deploy proposes the switch PR with the proof; merged as it is, its deploy gets the proof', async () => {
    env = setup();
    await stageAndMerge(AMI(3));
    const base = env.work.git('rev-parse', 'HEAD').trim();
    const proposed = await proposeSwitch(AMI(3));
    expect(proposed.outputs).toEqual({ 'pull-request-url': 'https://github.com/acme/fleet/pull/7', 'pull-request-number': 7, branch: 'ami-switch/dev' });
    const [request] = env.openPullRequest.mock.calls[0] as unknown as [{ head: string; base: string; title: string; body: string }];
    expect(request).toMatchObject({ head: 'ami-switch/dev', base: 'main', title: `Switch dev AMI from ${AMI(2)} to ${AMI(3)}` });
    expect(request.body).toContain(`**Merging this PR moves users from \`${AMI(2)}\` to \`${AMI(3)}\`: \`blue\` already runs \`${AMI(3)}\` at capacity and passed its prove (60 samples, 0.0 % errors).**`);
    expect(request.body).toContain(`| \`i-0b1\` | \`${AMI(3)}\` | ✅ |`);
    // The switch commit: LiveSlot and the weights only, on top of the stage; HEAD and the working tree untouched.
    const switched = env.origin.git('show', `ami-switch/dev:${FILE}`);
    expect(diff(env.work.git('show', `main:${FILE}`), switched)).toEqual(['LiveSlot: green → blue', 'BlueWeight: 0 → 100', 'GreenWeight: 100 → 0']);
    expect(parseMetadataBlock(env.origin.git('log', '-1', '--format=%B', 'ami-switch/dev'))?.[0]).toMatchObject({
      'update-type': 'switch',
      'previous-ami-id': AMI(2),
      'ami-id': AMI(3),
      'proven-at': '2026-06-01T00:00:00.000Z',
      'base-commit': base,
      parameter: 'LiveSlot, BlueWeight, GreenWeight',
    });
    mergeSwitch('fast-forward');
    const checked = await runCommand('check-switch', {}, env.ctx);
    expect(checked.outputs).toEqual({ judgement: 'proof', 'staged-proof': JSON.stringify({ amiId: AMI(3), provenAt: '2026-06-01T00:00:00.000Z' }), 'staged-ami-id': '' });
  });

  it('a merge commit of an unchanged base passes the compare-and-swap too', async () => {
    await switchProposedThenUnrelatedChange();
    mergeSwitch('merge-commit');
    expect((await runCommand('check-switch', {}, env.ctx)).outputs.judgement).toBe('proof');
  });

  it("a switch PR brought up to date with main (GitHub's Update branch) and merged with a merge commit still carries its proof", async () => {
    await switchProposedThenUnrelatedChange();
    // The PR's branch gets main merged into it: the merge's second parent is that merge, not the switch commit.
    env.work.git('fetch', '--quiet', 'origin', 'ami-switch/dev');
    env.work.git('checkout', '--quiet', '-b', 'switch', 'FETCH_HEAD');
    env.work.git('merge', '--quiet', '--no-ff', '-m', "Merge branch 'main' into ami-switch/dev", 'main');
    env.work.git('checkout', '--quiet', 'main');
    env.work.git('merge', '--quiet', '--no-ff', '-m', 'Merge pull request #7 from acme/ami-switch/dev', 'switch');
    expect((await runCommand('check-switch', {}, env.ctx)).outputs).toEqual({ judgement: 'proof', 'staged-proof': JSON.stringify({ amiId: AMI(3), provenAt: '2026-06-01T00:00:00.000Z' }), 'staged-ami-id': '' });
  });

  it('a switch merged with a merge commit onto a file that stages another AMI is refused, as a squash merge is', async () => {
    env = setup();
    await stageAndMerge(AMI(3));
    await proposeSwitch(AMI(3));
    // AMI 4 staged on main by hand; the switch's lines conflict with it, and the person resolves the
    // conflict by keeping both (GitHub's conflict editor), then merges with a merge commit.
    env.work.write(FILE, slotsJson({ ...AT_REST, BlueAmazonMachineImage: AMI(4), BlueCapacity: '2' }));
    env.work.git('commit', '--quiet', '-am', `Stage ${AMI(4)} by hand`);
    env.work.git('fetch', '--quiet', 'origin', 'ami-switch/dev');
    expect(() => env.work.git('merge', '--quiet', '--no-ff', '--no-commit', 'FETCH_HEAD')).toThrow();
    env.work.write(FILE, slotsJson({ ...AT_REST, BlueAmazonMachineImage: AMI(4), BlueCapacity: '2', LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' }));
    env.work.git('commit', '--quiet', '-am', 'Merge pull request #7 from acme/ami-switch/dev');
    const checked = await runCommand('check-switch', {}, env.ctx);
    expect(checked.failure).toMatch(new RegExp(`Switch refused in dev: the switch PR \\(\\w+, "Merge pull request #7 from acme/ami-switch/dev"\\) makes ${AMI(3)} live, but parameters/dev.json at HEAD makes ${AMI(4)} live`));
    expect(checked.outputs['staged-proof']).toBe('');
  });

  it('deploy-report after a stage deploy: the proof, who is on what, and the switch PR', async () => {
    env = setup();
    const report = await runCommand(
      'deploy-report',
      {
        environment: 'dev',
        'requested-ami-id': AMI(2),
        'prepare-outcome': 'success',
        'update-outcome': 'success',
        'verify-outcome': 'success',
        changed: 'true',
        'stage-evidence': JSON.stringify(evidence(AMI(3))),
        'propose-switch-outcome': 'success',
        'switch-pull-request-url': 'https://github.com/acme/fleet/pull/7',
      },
      env.ctx,
    );
    expect(report.outputs.headline).toBe(
      `Staged ${AMI(3)} in blue of dev (it held ${AMI(1)}) and proved it on its own target group (60 samples, 0.0 % errors), with no user traffic: users stay on green (${AMI(2)}). The switch PR https://github.com/acme/fleet/pull/7 moves them from ${AMI(2)} to ${AMI(3)} when merged.`,
    );
    expect(report.outputs.ok).toBe(true);
    // Without its switch PR the stage deploy failed: nobody is asked to decide.
    const unproposed = await runCommand(
      'deploy-report',
      { environment: 'dev', 'requested-ami-id': AMI(2), 'prepare-outcome': 'success', 'update-outcome': 'success', 'verify-outcome': 'success', 'stage-evidence': JSON.stringify(evidence(AMI(3))), 'propose-switch-outcome': 'failure', 'run-id': '987654321' },
      env.ctx,
    );
    expect(unproposed.outputs.ok).toBe(false);
    expect(unproposed.outputs.headline).toMatch(
      /But the switch PR could not be proposed \(see the "Propose the switch" step\), so nobody is asked to switch yet; git and the stack agree\. This one command re-runs the job, which proposes it \(the stack already matches, so it changes nothing in AWS\): gh run rerun 987654321 --failed$/,
    );
    await expect(runCommand('deploy-report', { environment: 'dev', 'run-id': '$(id)' }, env.ctx)).rejects.toThrow(/run-id[\s\S]*must be the workflow run ID/);
  });
});
