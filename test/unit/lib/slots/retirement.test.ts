/**
 * The end of a bake window, as a pure decision: every rule of slots/retirement.ts on facts built
 * here (git's HEAD and last change, the stack, its alarms since the switch) and a given AWS time.
 */
import type { AmiChange } from '../../../../actions/lib/gitops/ami-history';
import type { UpdatedAmi } from '../../../../actions/lib/gitops/commit-metadata';
import { judgeRetirement, type RetirementFacts } from '../../../../actions/lib/slots/retirement';

const AMI = (n: number) => `ami-${String(n).padStart(17, '0')}`;
const SWITCH = Date.parse('2026-12-01T12:00:00Z');
/** After a deploy of AMI 2 into green: green live, blue warm on AMI 1. */
const SWITCHED = { LiveSlot: 'green', BlueAmazonMachineImage: AMI(1), BlueCapacity: '2', BlueWeight: '0', GreenAmazonMachineImage: AMI(2), GreenCapacity: '2', GreenWeight: '100', InstanceType: 't3.micro' };
const ALARMS = ['patch-dev-app-BlueHttp5xx', 'patch-dev-app-BlueUnhealthyHosts', 'patch-dev-app-GreenHttp5xx', 'patch-dev-app-GreenUnhealthyHosts'];

function change(type: UpdatedAmi['update-type'] | undefined): AmiChange {
  return {
    commit: 'c0ffee'.padEnd(40, '0'),
    date: '2026-12-01T11:50:00Z',
    author: 'a',
    subject: type === 'failback' ? `Fail back dev to ${AMI(1)}` : `Bump dev AMI to ${AMI(2)}`,
    amiId: AMI(2),
    update: type && { environment: 'dev', 'parameters-file': 'parameters/dev.json', parameter: 'LiveSlot', 'ami-id': AMI(2), 'update-type': type },
  };
}

function facts(over: { head?: Record<string, string>; stack?: Partial<RetirementFacts['stack']>; alarms?: Partial<RetirementFacts['alarms']>; lastChange?: AmiChange; leftAmiId?: string; bakeSeconds?: number } = {}): RetirementFacts {
  const head = over.head ?? SWITCHED;
  return {
    environment: 'dev',
    parametersFile: 'parameters/dev.json',
    stackName: 'patch-dev-app',
    bakeSeconds: over.bakeSeconds ?? 300,
    head,
    lastChange: over.lastChange ?? change('patch'),
    leftAmiId: over.leftAmiId,
    stack: { exists: true, status: 'UPDATE_COMPLETE', parameters: { ...head }, settledAtMs: SWITCH, alarmNames: ALARMS, ...over.stack },
    alarms: { states: ALARMS.map((alarmName) => ({ alarmName, state: 'OK' })), missing: [], firings: [], from: new Date(SWITCH).toISOString(), to: '', ...over.alarms },
  };
}

describe('judgeRetirement', () => {
  it('never retires a staged slot (staging ahead): a warm idle slot on an AMI users never left waits for its switch PR', () => {
    // Green live on AMI 2, which replaced AMI 1; blue staged on AMI 3 at weight 0 by a stage PR.
    const staged = { ...SWITCHED, BlueAmazonMachineImage: AMI(3) };
    expect(judgeRetirement(facts({ head: staged, leftAmiId: AMI(1) }), SWITCH + 1e9)).toEqual({
      action: 'none',
      reason: `blue holds ${AMI(3)}, staged for a switch (not the AMI users left): staging ahead keeps it warm until its switch PR is merged, or a commit retires it`,
    });
    // The old slot on the AMI users left is retired as before.
    expect(judgeRetirement(facts({ leftAmiId: AMI(1) }), SWITCH + 1e9)).toMatchObject({ action: 'retire', slot: 'blue', amiId: AMI(1) });
  });

  it('waits while the window is open on AWS\'s clock, and says when it ends', () => {
    expect(judgeRetirement(facts(), SWITCH + 299_000)).toEqual({
      action: 'wait',
      slot: 'blue',
      amiId: AMI(1),
      endsAtMs: SWITCH + 300_000,
      reason: `the bake window (300 s from the switch at 2026-12-01T12:00:00Z) ends at 2026-12-01T12:05:00Z, in 1 s; blue stays warm on ${AMI(1)} until then`,
    });
  });

  it('retires the old slot once the window passed with every alarm quiet and no failback', () => {
    expect(judgeRetirement(facts(), SWITCH + 300_000)).toMatchObject({ action: 'retire', slot: 'blue', amiId: AMI(1), endsAtMs: SWITCH + 300_000 });
    // A window of an hour ends in a later run the same way.
    expect(judgeRetirement(facts({ bakeSeconds: 3600 }), SWITCH + 3_599_000).action).toBe('wait');
    expect(judgeRetirement(facts({ bakeSeconds: 3600 }), SWITCH + 3_600_000).action).toBe('retire');
  });

  it('nothing to retire in the replace shape, or when git has the old slot at capacity 0 already', () => {
    expect(judgeRetirement(facts({ head: { AmazonMachineImage: AMI(2) } }), SWITCH + 1e9)).toMatchObject({ action: 'none' });
    expect(judgeRetirement(facts({ head: { ...SWITCHED, BlueCapacity: '0' } }), SWITCH + 1e9)).toEqual({ action: 'none', reason: 'parameters/dev.json has BlueCapacity = "0": blue is retired already' });
  });

  it('refuses when an alarm fired inside the window, even after it ended and the alarm is OK again (alarm: the deploy job flips back)', () => {
    const verdict = judgeRetirement(facts({ alarms: { firings: [{ alarmName: ALARMS[2], at: '2026-12-01T12:02:00.000Z', summary: 'Alarm updated from OK to ALARM' }] } }), SWITCH + 1e9);
    expect(verdict).toEqual({
      action: 'refuse',
      slot: 'blue',
      amiId: AMI(1),
      alarm: true,
      reasons: ['alarm patch-dev-app-GreenHttp5xx went to ALARM at 2026-12-01T12:02:00.000Z, inside the bake window (Alarm updated from OK to ALARM)'],
    });
    const now = judgeRetirement(facts({ alarms: { states: [{ alarmName: ALARMS[3], state: 'ALARM' }] } }), SWITCH + 10_000);
    expect(now).toMatchObject({ action: 'refuse', alarm: true, reasons: ['alarm patch-dev-app-GreenUnhealthyHosts is in ALARM now'] });
  });

  it('refuses when the quiet cannot be shown: no alarms in the outputs, an alarm CloudWatch does not have, no completed update', () => {
    expect(judgeRetirement(facts({ stack: { alarmNames: [] }, alarms: { states: [] } }), SWITCH + 1e9)).toMatchObject({ action: 'refuse', alarm: false, reasons: [expect.stringMatching(/names no alarms in its outputs/)] });
    expect(judgeRetirement(facts({ alarms: { missing: [ALARMS[0]] } }), SWITCH + 1e9)).toMatchObject({ action: 'refuse', alarm: false, reasons: [`alarm ${ALARMS[0]} does not exist in CloudWatch, so its quiet cannot be shown`] });
    expect(judgeRetirement(facts({ stack: { settledAtMs: undefined } }), SWITCH + 1e9)).toMatchObject({ action: 'refuse', reasons: [expect.stringMatching(/no completed update to start the bake window from/)] });
  });

  it('keeps the old slot after a failback: the live slot got live by going back, the idle one holds the AMI users left', () => {
    const head = { ...SWITCHED, LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' };
    for (const type of ['failback', 'auto-failback', 'rollback-sync'] as const) {
      const verdict = judgeRetirement(facts({ head, lastChange: change(type) }), SWITCH + 1e9);
      expect(verdict).toMatchObject({ action: 'kept', slot: 'green', amiId: AMI(2) });
      expect(verdict).toMatchObject({ liveAmiId: AMI(1) });
      expect(verdict.action === 'kept' && verdict.reason).toMatch(new RegExp(`^blue went live on ${AMI(1)} by a ${type} .*so green keeps ${AMI(2)}, the AMI users left, for a look; git and the stack agree\\. .*retire green by a commit that sets GreenCapacity to "0"$`));
    }
  });

  it('refuses when the stack moved since git\'s HEAD (a deploy nobody recorded, drift), naming each value and both live AMIs', () => {
    const verdict = judgeRetirement(facts({ stack: { parameters: { ...SWITCHED, LiveSlot: 'blue', BlueWeight: '100', GreenWeight: '0' } } }), SWITCH + 1e9);
    expect(verdict).toMatchObject({ action: 'moved', slot: 'blue', amiId: AMI(1), gitLiveAmiId: AMI(2), stackLiveAmiId: AMI(1) });
    expect(verdict.action === 'moved' && verdict.reason).toBe(
      'the stack moved since parameters/dev.json at HEAD: patch-dev-app has LiveSlot "blue" (git: "green"), BlueWeight "100" (git: "0"), GreenWeight "0" (git: "100"), so git does not say what runs',
    );
  });

  it('refuses on a stack that is not settled (an update in progress, a rollback)', () => {
    for (const status of ['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_FAILED']) {
      expect(judgeRetirement(facts({ stack: { status } }), SWITCH + 1e9)).toMatchObject({ action: 'refuse', alarm: false, reasons: [expect.stringContaining(`is ${status}, not settled`)] });
    }
    expect(judgeRetirement(facts({ stack: { exists: false } }), SWITCH + 1e9)).toMatchObject({ action: 'refuse', reasons: ['app stack patch-dev-app does not exist'] });
  });

  it('completes a half-done retirement: the stack has the old slot at 0 already, git not yet, so only the record is left (whatever the clock says)', () => {
    const verdict = judgeRetirement(facts({ stack: { parameters: { ...SWITCHED, BlueCapacity: '0' }, settledAtMs: SWITCH + 400_000 } }), SWITCH + 400_001);
    expect(verdict).toMatchObject({ action: 'record', slot: 'blue', amiId: AMI(1) });
  });
});
