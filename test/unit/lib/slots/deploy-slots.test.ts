/**
 * deploySlots on a fake stack: every step's failure ends with traffic on a proven slot and the
 * error naming the cause, and the invariant of the fault catalogue holds in its slots form: what
 * the run reports for git to record (HEAD on success, the error's stackParameters after a flip
 * back, the stack before the step CloudFormation rolled back) is exactly what the stack runs.
 */
import { AwsOperationError } from '../../../../actions/lib/errors';
import { RecordingLogger } from '../../../../actions/lib/logger';
import { SLOTS_DEFAULTS } from '../../../../actions/lib/parameters';
import { describeCatalogueRows } from '../../reliability/support/catalogue-suite';
import type { SlotName } from '../../../../actions/lib/parameters';
import { compareCanary, deploySlots, rollbackAlarmsOf, SlotsFlippedBackError, SlotsStageFailedError, STAGED_PROOF_MAX_AGE_MS, type SlotStepName, type SlotStepRunner, type SlotVerdict, type SlotVerification } from '../../../../actions/lib/slots/deploy-slots';

const OLD = 'ami-0aaaaaaaaaaaaaaa1';
const NEW = 'ami-0bbbbbbbbbbbbbbb2';
const BASE = { NetworkStackName: 'patch-dev-network', InstanceType: 't3.micro' };
/** At rest: blue live on OLD, green retired on an older AMI. */
const REST = { ...BASE, LiveSlot: 'blue', BlueAmazonMachineImage: OLD, BlueCapacity: '2', BlueWeight: '100', GreenAmazonMachineImage: 'ami-0ccccccccccccccc3', GreenCapacity: '0', GreenWeight: '0' };
/** The patch PR's HEAD: green live on NEW, blue warm at weight 0. */
const HEAD = { ...REST, LiveSlot: 'green', GreenAmazonMachineImage: NEW, GreenCapacity: '2', GreenWeight: '100', BlueWeight: '0' };

const good: SlotVerdict = { healthy: true, failures: [], samples: 10, errorRate: 0, medianLatencyMs: 20 };
const bad: SlotVerdict = { healthy: false, failures: ['HTTP error rate 100.0 % (10 of 10 samples) exceeds max-error-rate 0.0 %'], samples: 10, errorRate: 1, medianLatencyMs: 20 };

class FakeSlotsStack implements SlotStepRunner {
  parameters: Record<string, string>;
  readonly updates: SlotStepName[] = [];
  readonly verifications: SlotVerification[] = [];
  /** Each update's rollback triggers, "step:slot" ("step:-" for none). */
  readonly triggers: string[] = [];
  readonly checks: string[] = [];
  /** Slots whose alarms are in ALARM: an update watching them is rolled back, as CloudFormation's rollback triggers do. */
  alarming = new Set<SlotName>();
  /** The verdict of one look at a slot's targets. */
  look: (slot: SlotName) => SlotVerdict = () => ({ healthy: true, failures: [], samples: 0, errorRate: 0 });
  /** The update of this step fails, and CloudFormation rolls it back. */
  failUpdate?: SlotStepName | ((step: SlotStepName) => boolean);
  updateError: Error = new AwsOperationError('Update of stack patch-dev-app failed: GreenAutoScalingGroup CREATE_FAILED (Received 0 SUCCESS signal(s) out of 2).', 'patch-dev-app', 'UPDATE_ROLLBACK_COMPLETE');
  verdict: (request: SlotVerification, stack: Record<string, string>) => SlotVerdict = () => good;
  clock = new Date('2026-12-02T06:00:00Z');

  constructor(parameters: Record<string, string>) {
    this.parameters = { ...parameters };
  }

  async update(step: SlotStepName, parameters: Readonly<Record<string, string>>, alarmsOf: SlotName | undefined): Promise<void> {
    this.updates.push(step);
    this.triggers.push(`${step}:${alarmsOf ?? '-'}`);
    if (alarmsOf && this.alarming.has(alarmsOf)) {
      throw new AwsOperationError(`Update of stack patch-dev-app failed: rollback trigger ${alarmsOf}-5xx-rate went to ALARM. CloudFormation rolled the stack back to how it was (UPDATE_ROLLBACK_COMPLETE).`, 'patch-dev-app', 'UPDATE_ROLLBACK_COMPLETE');
    }
    const fails = typeof this.failUpdate === 'function' ? this.failUpdate(step) : this.failUpdate === step;
    if (fails) throw this.updateError;
    this.parameters = { ...parameters };
  }

  async check(request: { slot: SlotName; amiId: string }): Promise<SlotVerdict> {
    this.checks.push(`${request.slot} ${request.amiId}`);
    return this.look(request.slot);
  }

  async verify(request: SlotVerification): Promise<SlotVerdict> {
    this.verifications.push(request);
    return this.verdict(request, this.parameters);
  }

  now(): Date {
    return this.clock;
  }
}

const run = (stack: FakeSlotsStack, target: Record<string, string> = HEAD, failback = false, settings = SLOTS_DEFAULTS) =>
  deploySlots(
    { stackName: 'patch-dev-app', parametersFile: 'parameters/dev.json', current: { ...stack.parameters }, target, settings, proveSeconds: 10, maxErrorRate: 0, failback },
    stack,
    new RecordingLogger(),
  );

/** Stage ahead: the patch PR's HEAD stages NEW in green at weight 0, blue stays live. */
const STAGED = { ...REST, GreenAmazonMachineImage: NEW, GreenCapacity: '2' };
/** ...and the switch PR's HEAD: only LiveSlot and the weights move. */
const SWITCHED = { ...STAGED, LiveSlot: 'green', GreenWeight: '100', BlueWeight: '0' };
const PROVEN_AT = new Date('2026-12-02T05:00:00Z');
const runStaged = (stack: FakeSlotsStack, target: Record<string, string>, stagedProof?: { amiId: string; provenAt: Date }, restage?: string) =>
  deploySlots(
    { stackName: 'patch-dev-app', parametersFile: 'parameters/dev.json', current: { ...stack.parameters }, target, settings: SLOTS_DEFAULTS, proveSeconds: 10, maxErrorRate: 0, failback: false, stagedProof, restage },
    stack,
    new RecordingLogger(),
  );
const recordOf = (error: unknown, before: Record<string, string>) => (error instanceof SlotsFlippedBackError || error instanceof SlotsStageFailedError ? error.stackParameters : before);

/** What the run says git must record, and that it is what the stack runs. */
async function expectGitEqualsStack(stack: FakeSlotsStack, promise: Promise<unknown>, head: Record<string, string>, before: Record<string, string>) {
  const outcome = await promise.then(
    () => ({ record: head, error: undefined as unknown }),
    (error: unknown) => ({ record: error instanceof SlotsFlippedBackError ? error.stackParameters : before, error }),
  );
  expect(outcome.record).toEqual(stack.parameters);
  return outcome;
}

/** A re-run of the same deploy once the cause is gone: it starts from what the stack runs and ends on HEAD. */
async function expectReRunCompletes(stack: FakeSlotsStack) {
  stack.failUpdate = undefined;
  stack.verdict = () => good;
  const result = await run(stack);
  expect(result.outcome).toBe('switched');
  expect(stack.parameters).toEqual(HEAD);
}

/** The slots rows of the fault catalogue (test/unit/reliability/catalogue.ts, docs/reliability.md). */
const IMPLEMENTATIONS: Record<string, () => Promise<void>> = {
  async F100() {
    const stack = new FakeSlotsStack(REST);
    stack.failUpdate = 'stage';
    const { error } = await expectGitEqualsStack(stack, run(stack), HEAD, REST);
    expect(error).not.toBeInstanceOf(SlotsFlippedBackError);
    expect((error as Error).message).toMatch(/Received 0 SUCCESS signal/);
    expect(stack.updates).toEqual(['stage']);
    expect(stack.parameters).toEqual(REST);
    await expectReRunCompletes(stack);
  },
  async F101() {
    const stack = new FakeSlotsStack(REST);
    stack.verdict = (request) => (request.slot === 'green' ? bad : good);
    const { error } = await expectGitEqualsStack(stack, run(stack), HEAD, REST);
    expect(error).toBeInstanceOf(SlotsFlippedBackError);
    expect((error as Error).message).toMatch(/green did not pass on its own target group: HTTP error rate 100.0 %.*Traffic is back on blue \(ami-0aaaaaaaaaaaaaaa1\); blue proven again/);
    expect(stack.updates).toEqual(['stage', 'flip-back']);
    expect((error as SlotsFlippedBackError).flipBack).toEqual({ failedStep: 'prove', liveSlot: 'blue' });
    // No user saw green: it was never given a weight.
    expect(stack.verifications.filter((v) => v.step === 'canary')).toEqual([]);
    expect(stack.parameters).toMatchObject({ LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0', GreenAmazonMachineImage: NEW });
    await expectReRunCompletes(stack);
    // Green already holds NEW at capacity: no stage step this time, but the canary again (never skipped on a re-run).
    expect(stack.updates).toEqual(['stage', 'flip-back', 'canary', 'switch']);
  },
  async F102() {
    const stack = new FakeSlotsStack(REST);
    stack.verdict = (request) => (request.step === 'canary' && request.slot === 'green' ? { ...good, errorRate: 0.2, failures: ['HTTP error rate 20.0 %'], healthy: false } : good);
    const { error } = await expectGitEqualsStack(stack, run(stack), HEAD, REST);
    expect((error as Error).message).toMatch(/the canary \(10 % of traffic for 120 s\) did worse than blue: error rate 20.0 % against 0.0 % on the live slot/);
    expect(stack.updates).toEqual(['stage', 'canary', 'flip-back']);
    expect((error as SlotsFlippedBackError).flipBack).toEqual({ failedStep: 'canary', liveSlot: 'blue' });
    expect(stack.parameters).toMatchObject({ LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' });
    await expectReRunCompletes(stack);
    expect(stack.updates.slice(3)).toEqual(['canary', 'switch']);
  },
  async F103() {
    const stack = new FakeSlotsStack(REST);
    stack.failUpdate = 'switch';
    const { error } = await expectGitEqualsStack(stack, run(stack), HEAD, REST);
    expect(error).toBeInstanceOf(SlotsFlippedBackError);
    expect(stack.updates).toEqual(['stage', 'canary', 'switch', 'flip-back']);
    expect((error as SlotsFlippedBackError).flipBack).toEqual({ failedStep: 'switch', liveSlot: 'blue' });
    expect(stack.parameters).toMatchObject({ LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' });
    await expectReRunCompletes(stack);
  },
  async F104() {
    const stack = new FakeSlotsStack(REST);
    stack.failUpdate = (step) => step === 'switch' || step === 'flip-back';
    stack.updateError = Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException' });
    const error = await run(stack).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect((error as AwsOperationError).status).toBe('FLIP_BACK_FAILED');
    expect((error as Error).message).toMatch(/the flip back to blue failed too \(The security token included in the request is expired\)\. Users may be on green: check the stack's listener weights and run the Failback workflow for blue/);
    // The stack is where the canary left it: a loud failure, not a silent one (a person must look).
    expect(stack.parameters).toMatchObject({ LiveSlot: 'blue', BlueWeight: '90', GreenWeight: '10' });
    await expectReRunCompletes(stack);
  },
  async F105() {
    const stack = new FakeSlotsStack(HEAD);
    const back = { ...HEAD, LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' };
    const result = await expectGitEqualsStack(stack, run(stack, back, true), back, HEAD);
    expect(result.error).toBeUndefined();
    expect(stack.updates).toEqual(['switch']);
    // Blue is warm: one look at its targets, then the flip; the job's verify step proves it after (no watch first).
    expect(stack.checks).toEqual([`blue ${OLD}`]);
    expect(stack.verifications).toEqual([]);
    // The flip watches no alarms: rolling it back would return users to green, the slot they are leaving.
    expect(stack.triggers).toEqual(['switch:-']);
    // Green stays warm: its AMI and capacity untouched, one flip away again.
    expect(stack.parameters).toMatchObject({ GreenAmazonMachineImage: NEW, GreenCapacity: '2' });
    expect((await run(stack, back, true)).outcome).toBe('no-changes');
  },
  async F117() {
    const stack = new FakeSlotsStack(HEAD);
    const back = { ...HEAD, LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' };
    stack.look = () => ({ healthy: false, failures: ['i-0b2 unhealthy (Target.FailedHealthChecks)'], samples: 0, errorRate: 0 });
    const result = await expectGitEqualsStack(stack, run(stack, back, true), back, HEAD);
    expect(result.error).toBeUndefined();
    // Not flipped on a bad look: blue is proven in full (the wait for healthy targets, then the watch) before any weight moves.
    expect(stack.checks).toEqual([`blue ${OLD}`]);
    expect(stack.verifications.map((v) => `${v.step} ${v.slot} ${v.amiId}`)).toEqual([`prove blue ${OLD}`]);
    expect(stack.updates).toEqual(['switch']);
    expect((await run(stack, back, true)).outcome).toBe('no-changes');
  },
  async F118() {
    const stack = new FakeSlotsStack(REST);
    // Green's users' alarms go off once it takes the canary share: CloudFormation rolls the canary's update back.
    stack.alarming.add('green');
    const { error } = await expectGitEqualsStack(stack, run(stack), HEAD, REST);
    expect(error).toBeInstanceOf(SlotsFlippedBackError);
    expect((error as Error).message).toMatch(/rollback trigger green-5xx-rate went to ALARM.*Traffic is back on blue \(ami-0aaaaaaaaaaaaaaa1\); blue proven again/);
    // The flip back watches no alarms, so green's alarm cannot hold users on green.
    expect(stack.triggers).toEqual(['stage:-', 'canary:green', 'flip-back:-']);
    expect((error as SlotsFlippedBackError).flipBack).toEqual({ failedStep: 'canary', liveSlot: 'blue' });
    expect(stack.parameters).toMatchObject({ LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0', GreenAmazonMachineImage: NEW });
    stack.alarming.clear();
    await expectReRunCompletes(stack);
  },
  async F119() {
    const stack = new FakeSlotsStack(REST);
    // The header samples pass on both slots; only green's 5xx alarm saw what its canary users met.
    stack.verdict = (request) => (request.step === 'canary' ? { ...good, alarms: request.slot === 'green' ? [FIVE_XX('green')] : [] } : good);
    const { error } = await expectGitEqualsStack(stack, run(stack), HEAD, REST);
    expect((error as Error).message).toMatch(/the canary \(10 % of traffic for 120 s\) did worse than blue: alarm patch-dev-app-green-5xx-rate is in ALARM \(Threshold Crossed\), and the live slot's is not/);
    expect(stack.updates).toEqual(['stage', 'canary', 'flip-back']);
    expect((error as SlotsFlippedBackError).flipBack).toEqual({ failedStep: 'canary', liveSlot: 'blue' });
    expect(stack.parameters).toMatchObject({ LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' });
    await expectReRunCompletes(stack);
  },
  async F180() {
    // Stage ahead: the staged slot fails its prove at weight 0.
    const stack = new FakeSlotsStack(REST);
    stack.verdict = (request) => (request.slot === 'green' ? bad : good);
    const error = await runStaged(stack, STAGED).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlotsStageFailedError);
    expect((error as Error).message).toMatch(
      /Staging ami-0bbbbbbbbbbbbbbb2 in green of patch-dev-app failed: green did not pass on its own target group: HTTP error rate 100.0 %.*users stayed on blue \(ami-0aaaaaaaaaaaaaaa1\) throughout; green is back on ami-0ccccccccccccccc3/,
    );
    expect(stack.updates).toEqual(['stage', 'unstage']);
    // No user saw green, no weight moved, and what git must record is what the stack runs: what main had before.
    expect(stack.triggers).toEqual(['stage:-', 'unstage:-']);
    expect(recordOf(error, STAGED)).toEqual(stack.parameters);
    expect(stack.parameters).toEqual(REST);
    expect((error as SlotsStageFailedError).staged).toEqual({ slot: 'green', previousAmiId: 'ami-0ccccccccccccccc3', amiId: NEW, restored: true });
    // A re-run of the stage once green is good stages and proves again.
    stack.verdict = () => good;
    expect((await runStaged(stack, STAGED)).outcome).toBe('staged');
  },
  async F181() {
    // The prove fails, then credentials expire: the unstage is refused and the slot stays staged.
    const stack = new FakeSlotsStack(REST);
    stack.verdict = () => bad;
    stack.failUpdate = 'unstage';
    stack.updateError = Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException' });
    const error = await runStaged(stack, STAGED).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlotsStageFailedError);
    expect((error as Error).message).toMatch(/green still runs ami-0bbbbbbbbbbbbbbb2 at weight 0 \(putting it back failed\)/);
    expect((error as SlotsStageFailedError).staged.restored).toBe(false);
    // Recorded as it is: the staged slot at weight 0, users on blue.
    expect(recordOf(error, STAGED)).toEqual(stack.parameters);
    expect(stack.parameters).toEqual(STAGED);
  },
  async F182() {
    // The switch PR's deploy: one look at the staged slot finds a target unhealthy.
    const stack = new FakeSlotsStack(STAGED);
    stack.look = () => ({ healthy: false, failures: ['i-0g2 unhealthy (Target.FailedHealthChecks)'], samples: 0, errorRate: 0 });
    const result = await runStaged(stack, SWITCHED, { amiId: NEW, provenAt: PROVEN_AT });
    expect(result.outcome).toBe('switched');
    // No weight moved on a bad look: the full prove watch, then the canary and the switch.
    expect(stack.checks).toEqual([`green ${NEW}`]);
    expect(stack.verifications.map((v) => `${v.step} ${v.slot}`)).toEqual(['prove green', 'canary green', 'canary blue']);
    expect(stack.updates).toEqual(['canary', 'switch']);
    expect(stack.parameters).toEqual(SWITCHED);
  },
  async F183() {
    // The switch PR merged more than a day after the stage's proof: proven again.
    const stack = new FakeSlotsStack(STAGED);
    const stale = new Date(stack.clock.getTime() - STAGED_PROOF_MAX_AGE_MS - 60_000);
    const result = await runStaged(stack, SWITCHED, { amiId: NEW, provenAt: stale });
    expect(result.outcome).toBe('switched');
    expect(stack.checks).toEqual([]);
    expect(stack.verifications.map((v) => `${v.step} ${v.slot}`)).toEqual(['prove green', 'canary green', 'canary blue']);
    // A proof of another AMI (the slot was staged again since) is no proof either.
    const again = new FakeSlotsStack(STAGED);
    await runStaged(again, SWITCHED, { amiId: 'ami-0ddddddddddddddd4', provenAt: PROVEN_AT });
    expect(again.checks).toEqual([]);
    expect(again.verifications[0]).toMatchObject({ step: 'prove', slot: 'green' });
  },
  async F184() {
    // The staged slot never signals: CloudFormation rolls the stage back, nothing to unstage, no proof.
    const stack = new FakeSlotsStack(REST);
    stack.failUpdate = 'stage';
    const error = await runStaged(stack, STAGED).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/Received 0 SUCCESS signal/);
    expect(error).not.toBeInstanceOf(SlotsStageFailedError);
    expect(stack.updates).toEqual(['stage']);
    expect(recordOf(error, REST)).toEqual(stack.parameters);
    expect(stack.verifications).toEqual([]);
  },
  async F185() {
    // A re-run of a stage deploy whose switch PR was not proposed: the stack equals HEAD already.
    const stack = new FakeSlotsStack(STAGED);
    expect((await runStaged(stack, STAGED)).outcome).toBe('no-changes');
    // With git's word that green is staged (check-switch's staged-ami-id): proven again, no update, the proof returned.
    const again = await runStaged(stack, STAGED, undefined, NEW);
    expect(again.outcome).toBe('staged');
    expect(again.staged).toMatchObject({ slot: 'green', amiId: NEW, liveAmiId: OLD });
    expect(stack.updates).toEqual([]);
    expect(stack.verifications.map((v) => `${v.step} ${v.slot} ${v.amiId}`)).toEqual([`prove green ${NEW}`]);
    // Its prove failing changes nothing in AWS: the slot stays staged, and the error says so.
    stack.verdict = () => bad;
    const error = await runStaged(stack, STAGED, undefined, NEW).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/green still runs ami-0bbbbbbbbbbbbbbb2 at weight 0 \(it was staged before this run, which only proved it again\)/);
    expect(recordOf(error, STAGED)).toEqual(stack.parameters);
    expect(stack.updates).toEqual([]);
  },
};

describeCatalogueRows('the slots deploy rows of the fault catalogue (unit, a fake stack)', 'deploy-slots.test.ts', IMPLEMENTATIONS);

describe('deploySlots, staging ahead', () => {
  it('a stage-only change stages the idle slot at weight 0 and proves it, and returns the proof for the switch PR', async () => {
    const stack = new FakeSlotsStack(REST);
    stack.verdict = (request) => ({ ...good, samples: 60, instances: [{ instanceId: 'i-0g1', amiId: request.amiId }, { instanceId: 'i-0g2', amiId: request.amiId }] });
    const result = await runStaged(stack, STAGED);
    expect(result.outcome).toBe('staged');
    expect(stack.updates).toEqual(['stage']);
    expect(stack.triggers).toEqual(['stage:-']);
    expect(stack.verifications.map((v) => `${v.step} ${v.slot} ${v.amiId}`)).toEqual([`prove green ${NEW}`]);
    expect(stack.parameters).toEqual(STAGED);
    expect(result.staged).toEqual({
      slot: 'green',
      previousAmiId: 'ami-0ccccccccccccccc3',
      amiId: NEW,
      capacity: 2,
      liveSlot: 'blue',
      liveAmiId: OLD,
      provenAt: '2026-12-02T06:00:00.000Z',
      samples: 60,
      errorRate: 0,
      medianLatencyMs: 20,
      instances: [{ instanceId: 'i-0g1', amiId: NEW }, { instanceId: 'i-0g2', amiId: NEW }],
    });
    // A re-run: the stack already equals HEAD.
    expect((await runStaged(stack, STAGED)).outcome).toBe('no-changes');
  });

  it('the switch PR with a fresh proof takes one look at the staged slot instead of a prove watch, then canaries and switches', async () => {
    const stack = new FakeSlotsStack(STAGED);
    const result = await runStaged(stack, SWITCHED, { amiId: NEW, provenAt: PROVEN_AT });
    expect(result.outcome).toBe('switched');
    expect(stack.checks).toEqual([`green ${NEW}`]);
    expect(stack.verifications.map((v) => `${v.step} ${v.slot}`)).toEqual(['canary green', 'canary blue']);
    expect(stack.updates).toEqual(['canary', 'switch']);
    expect(result.steps[0]).toEqual({ step: 'check', detail: `green was staged and proven 1.0 h ago, and at one look every target is healthy on ${NEW}: no second prove watch` });
    expect(stack.parameters).toEqual(SWITCHED);
  });

  it('a switch without a proof (a single-PR patch re-run after a flip back) is proven in full, as before', async () => {
    const stack = new FakeSlotsStack(STAGED);
    await runStaged(stack, SWITCHED);
    expect(stack.checks).toEqual([]);
    expect(stack.verifications[0]).toMatchObject({ step: 'prove', slot: 'green' });
  });

  it('a stage that changes more than the idle slot applies the rest after the prove, watching the live slot', async () => {
    const stack = new FakeSlotsStack(REST);
    const result = await runStaged(stack, { ...STAGED, InstanceType: 't3.small' });
    expect(result.outcome).toBe('staged');
    expect(stack.triggers).toEqual(['stage:-', 'update:blue']);
    expect(stack.parameters).toEqual({ ...STAGED, InstanceType: 't3.small' });
  });
});

describe('deploySlots', () => {
  it('stages green at weight 0, proves it through its header, canaries it against blue, then switches to HEAD', async () => {
    const stack = new FakeSlotsStack(REST);
    const canaryWeights: string[] = [];
    stack.verdict = (request, now) => {
      if (request.step === 'canary') canaryWeights.push(`${now.BlueWeight}/${now.GreenWeight}`);
      return good;
    };
    const result = await run(stack);

    expect(result.outcome).toBe('switched');
    expect(stack.updates).toEqual(['stage', 'canary', 'switch']);
    expect(stack.verifications.map((v) => `${v.step} ${v.slot} ${v.amiId}`)).toEqual([`prove green ${NEW}`, `canary green ${NEW}`, `canary blue ${OLD}`]);
    expect(canaryWeights).toEqual(['90/10', '90/10']);
    expect(stack.parameters).toEqual(HEAD);
    // Each update watches the alarms of the slot that takes users in it: none while green is staged at weight 0.
    expect(stack.triggers).toEqual(['stage:-', 'canary:green', 'switch:green']);
    expect(stack.checks).toEqual([]);
  });

  it('names whose alarms each step watches', () => {
    const deploy = { next: 'green' as const, live: 'blue' as const, failback: false };
    const steps: SlotStepName[] = ['stage', 'prove', 'canary', 'switch', 'update', 'flip-back', 'prove-flip-back'];
    expect(steps.map((step) => rollbackAlarmsOf(step, deploy) ?? '-')).toEqual(['-', '-', 'green', 'green', 'blue', '-', '-']);
    expect(rollbackAlarmsOf('switch', { ...deploy, failback: true })).toBeUndefined();
  });

  it('a failback after the bake window (blue retired) scales blue up first, proves it, then switches', async () => {
    const retired = { ...HEAD, BlueCapacity: '0' };
    const stack = new FakeSlotsStack(retired);
    const back = { ...retired, LiveSlot: 'blue', BlueCapacity: '2', BlueWeight: '100', GreenWeight: '0' };
    await run(stack, back, true);
    expect(stack.updates).toEqual(['stage', 'switch']);
    // Not warm: no quick look, the full proof of the scaled-up slot before the flip.
    expect(stack.checks).toEqual([]);
    expect(stack.verifications.map((v) => `${v.step} ${v.slot}`)).toEqual(['prove blue']);
    expect(stack.parameters).toEqual(back);
  });

  it('retiring the old slot after the bake window is one update, users stay put', async () => {
    const stack = new FakeSlotsStack(HEAD);
    const result = await run(stack, { ...HEAD, BlueCapacity: '0' });
    expect(result.outcome).toBe('updated');
    expect(stack.updates).toEqual(['update']);
    expect(stack.triggers).toEqual(['update:green']);
    expect(stack.verifications).toEqual([]);
  });

  it('HEAD equal to the stack changes nothing', async () => {
    const stack = new FakeSlotsStack(HEAD);
    expect((await run(stack)).outcome).toBe('no-changes');
    expect(stack.updates).toEqual([]);
  });
});

const FIVE_XX = (slot: string) => ({ kind: 'Http5xxAlarmArn', name: `patch-dev-app-${slot}-5xx-rate`, reason: 'Threshold Crossed' });

describe('compareCanary', () => {
  it.each<[string, SlotVerdict, SlotVerdict, RegExp | undefined]>([
    ['as good as live', good, good, undefined],
    ['errors where live has none', { ...good, errorRate: 0.1 }, good, /error rate 10.0 % against 0.0 %/],
    ['the same errors as live (the app, not the AMI)', { ...good, errorRate: 0.1 }, { ...good, errorRate: 0.1 }, undefined],
    ['much slower than live', { ...good, medianLatencyMs: 200 }, good, /median latency 200 ms against 20 ms on the live slot \(allowed: 90 ms\)/],
    ['much slower than live, but on too few samples to say', { ...good, samples: 4, medianLatencyMs: 200 }, good, undefined],
    ['a target unhealthy', { ...good, healthy: false, failures: ['1 of 2 targets unhealthy'] }, good, /1 of 2 targets unhealthy/],
    ["its 5xx alarm in ALARM, the live slot's quiet", { ...good, alarms: [FIVE_XX('green')] }, { ...good, alarms: [] }, /alarm patch-dev-app-green-5xx-rate is in ALARM \(Threshold Crossed\), and the live slot's is not/],
    ["its 5xx alarm in ALARM, and the live slot's too (the app, not the AMI)", { ...good, alarms: [FIVE_XX('green')] }, { ...good, alarms: [FIVE_XX('blue')] }, undefined],
  ])('%s', (_name, fresh, live, expected) => {
    const worse = compareCanary(fresh, live, 0);
    if (expected) expect(worse).toMatch(expected);
    else expect(worse).toBeUndefined();
  });
});
