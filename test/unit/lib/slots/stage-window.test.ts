/**
 * A stage while the previous deploy's bake window is open, as a pure decision (slots/stage-window.ts):
 * the idle slot the stage would take is the live AMI's way back until the window ends, so the stage
 * waits; every other idle slot (retired, already staged, fled by a failback, not the AMI users left)
 * is staged over at once.
 */
import type { AmiChange } from '../../../../actions/lib/gitops/ami-history';
import type { UpdatedAmi } from '../../../../actions/lib/gitops/commit-metadata';
import type { RetirementFacts } from '../../../../actions/lib/slots/retirement';
import { judgeStageInBakeWindow } from '../../../../actions/lib/slots/stage-window';

const AMI = (n: number) => `ami-${String(n).padStart(17, '0')}`;
const SWITCH = Date.parse('2026-12-01T12:00:00Z');
const HOUR = 3_600_000;
/** The stack after a deploy of AMI 2 into green: green live, blue warm on AMI 1 (the way back). */
const SWITCHED = { LiveSlot: 'green', BlueAmazonMachineImage: AMI(1), BlueCapacity: '2', BlueWeight: '0', GreenAmazonMachineImage: AMI(2), GreenCapacity: '2', GreenWeight: '100' };
/** HEAD: the stage PR of AMI 3 merged into blue. */
const STAGED = { ...SWITCHED, BlueAmazonMachineImage: AMI(3) };

const change = (type: UpdatedAmi['update-type']): AmiChange => ({
  commit: 'c'.repeat(40),
  date: '2026-12-01T11:50:00Z',
  author: 'a',
  subject: 's',
  amiId: AMI(2),
  update: { environment: 'dev', 'parameters-file': 'parameters/dev.json', parameter: 'LiveSlot', 'ami-id': AMI(2), 'update-type': type },
});

type Facts = Parameters<typeof judgeStageInBakeWindow>[0];
function facts(over: { stack?: Partial<RetirementFacts['stack']>; lastChange?: AmiChange; leftAmiId?: string | null } = {}): Facts {
  return {
    head: STAGED,
    bakeSeconds: 3600,
    lastChange: over.lastChange ?? change('patch'),
    leftAmiId: over.leftAmiId === null ? undefined : (over.leftAmiId ?? AMI(1)),
    stack: { exists: true, status: 'UPDATE_COMPLETE', parameters: SWITCHED, settledAtMs: SWITCH, alarmNames: [], ...over.stack },
  };
}

describe('judgeStageInBakeWindow', () => {
  it('waits while the idle slot is the way back of an open window, naming the slot, the three AMIs and the end on AWS\'s clock', () => {
    expect(judgeStageInBakeWindow(facts(), AMI(3), SWITCH + 10 * 60_000)).toEqual({
      wait: true,
      slot: 'blue',
      stagedAmiId: AMI(3),
      warmAmiId: AMI(1),
      liveAmiId: AMI(2),
      endsAtMs: SWITCH + HOUR,
      reason: `blue is the way back of ${AMI(2)}'s bake window: warm on ${AMI(1)}, one weight flip from the users, until 2026-12-01T13:00:00.000Z (AWS's clock)`,
    });
    // To the millisecond: the window's last instant still waits, its end does not.
    expect(judgeStageInBakeWindow(facts(), AMI(3), SWITCH + HOUR - 1).wait).toBe(true);
    expect(judgeStageInBakeWindow(facts(), AMI(3), SWITCH + HOUR)).toEqual({ wait: false, reason: `the bake window of ${AMI(2)} ended at 2026-12-01T13:00:00.000Z` });
  });

  it.each<[string, Facts, RegExp]>([
    ['the old slot is retired already', facts({ stack: { parameters: { ...SWITCHED, BlueCapacity: '0' } } }), /^blue is not the way back \(it is retired\)$/],
    ['the stack runs the staged AMI there already (a re-run of the stage deploy)', facts({ stack: { parameters: STAGED } }), /^blue is not the way back \(it runs ami-0+3\)$/],
    ['the idle slot runs the live AMI (a fresh environment)', facts({ stack: { parameters: { ...SWITCHED, BlueAmazonMachineImage: AMI(2) } } }), /^blue is not the way back/],
    ['the live slot got live by a failback: the idle slot holds the AMI users fled', facts({ lastChange: change('failback') }), /went live by a failback: blue holds the AMI users fled$/],
    ['the idle slot runs another AMI than the one users left at the last switch', facts({ leftAmiId: AMI(7) }), /^blue runs ami-0+1, not the AMI users left at the last switch \(ami-0+7\)$/],
    ['git has no history to tell the way back by (a shallow clone)', facts({ leftAmiId: null }), /not the AMI users left at the last switch \(unknown\)$/],
    ['the stack has no completed update to start a window from', facts({ stack: { settledAtMs: undefined } }), /no completed update/],
    ['the stack does not exist yet', facts({ stack: { exists: false, parameters: {} } }), /no slots yet/],
  ])('stages at once when %s', (_name, f, reason) => {
    const verdict = judgeStageInBakeWindow(f, AMI(3), SWITCH + 60_000);
    expect(verdict.wait).toBe(false);
    expect(verdict.reason).toMatch(reason);
  });
});
