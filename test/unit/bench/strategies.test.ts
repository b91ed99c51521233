/**
 * The strategy model of `npm run bench`: settings read from both templates and the wiring turn
 * into the table's numbers by the stated arithmetic, and each number is judged against its goal.
 */
import { readFileSync } from 'node:fs';

import { loadEnvironments } from '../../../actions/lib/parameters';
import { runBench } from '../../../local/bench';
import { AWS_DEFAULT_SETTINGS, DEFAULT_ASSUMPTIONS, type CutoverSettings } from '../../../local/bench/cutover';
import { DEFAULT_WORKFLOW_ASSUMPTIONS, modelReplace, modelSlots, weightUpdate, type StrategyAssumptions } from '../../../local/bench/strategies';
import { modelStageAhead } from '../../../local/bench/stage-ahead';
import { againstGoal, GOALS, strategySection } from '../../../local/bench/strategy-section';
import { readCutoverSettingsFile, slotFleet } from '../../../local/bench/template-settings';

/** app.yaml's cutover settings, written out so the arithmetic below is checkable by hand. */
const TUNED: CutoverSettings = {
  ...AWS_DEFAULT_SETTINGS,
  healthCheckIntervalSeconds: 10,
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 2,
  deregistrationDelaySeconds: 30,
  healthCheckType: 'ELB',
  healthCheckGracePeriodSeconds: 300,
  signalTimeoutSeconds: 600,
  signalDelaySeconds: 25,
};
// change set 20, launch 45, boot 90, cleanup 10, terminate 60, poll lag 5; workflow 60 / 24 / 10; UpdateStack 3, listener 10; one look 2.
const A: StrategyAssumptions = { ...DEFAULT_ASSUMPTIONS, ...DEFAULT_WORKFLOW_ASSUMPTIONS, monitoringMinutes: 5 };
const SLOTS = { canaryWeight: 10, canarySeconds: 120, bakeSeconds: 300, watchSeconds: 60 };

describe('modelSlots', () => {
  // registered 65, app ready 155, signalled 180; green healthy 165 (checks every 10 s from 65).
  const t = modelSlots(TUNED, SLOTS, A);

  it('adds the steps: stage 195, prove to 255, canary weights to 283 and its watch to 403, switch applied at 416', () => {
    // stage = 180 + cleanup 10 + poll 5 = 195; healthy (165) before it, so prove = 195 + 60 = 255.
    // canary (one UpdateStack): 255 + 3 + 10 = 268 applied, noticed 268 + 10 + 5 = 283; + 120 = 403; switch applied 403 + 13.
    expect(t.newAmiAllTraffic).toBe(416);
    expect(t.deployJobDone).toBe(431);
  });

  it('fails back inside the window with one look at the warm slot and one weight change, after it by scaling the old slot up first', () => {
    // Flip first, prove after: the look (2) + UpdateStack (3) + listener (10); the verify watch comes after users are back.
    expect(t.failbackInWindow).toBe(2 + 13);
    expect(t.warmFailback).toBe(true);
    // scaled in place (a change set: a capacity): 20 + 10 + 5 = 35; its new targets healthy at 165 (+5 poll) → 170 + 60 watch = 230 → + 13.
    expect(t.failbackAfterWindow).toBe(243);
  });

  it('lets a bad AMI serve only the canary share, from the canary weights to the flip back', () => {
    // canary applied 268 → canary fails at 403 → flip back applied 416: 148 s at 10 %.
    expect(t.badAmiServedSeconds).toBe(148);
    expect(t.badAmiTrafficSeconds).toBeCloseTo(14.8);
    expect(t.automaticFailback).toBe(13);
  });

  it('without a canary, the bad AMI serves nobody and the switch follows the prove step', () => {
    const none = modelSlots(TUNED, { ...SLOTS, canaryWeight: 0 }, A);
    expect(none.badAmiTrafficSeconds).toBe(0);
    expect(none.newAmiAllTraffic).toBe(255 + 13);
  });

  it.each([
    ['the prove watch', { watchSeconds: 90 }, 'newAmiAllTraffic', 30],
    ['the prove watch, which a failback inside the window does not wait for', { watchSeconds: 90 }, 'failbackInWindow', 0],
    ['the canary length', { canarySeconds: 300 }, 'newAmiAllTraffic', 180],
  ] as const)('moves the timeline by exactly the change in %s', (_what, change, field, delta) => {
    expect(modelSlots(TUNED, { ...SLOTS, ...change }, A)[field] - t[field]).toBe(delta);
  });

  it('retires the old slot at the first bake poll after the window, then drains, terminates, records and verifies the live slot again', () => {
    // Window: switch settled 416 + 10 = 426, + 300 = 726. The job's verify after the switch ends 431 + 60 = 491;
    // it re-reads every 15 s from there: 491 + 16 × 15 = 731. Capacity update (a change set) 731 + 20 + 30 drain + 60 terminate = 841,
    // noticed 841 + 10 + 5 = 856, recorded + 5 = 861, verified again + 60 = 921.
    expect(t.jobDoneAfterRetirement).toBe(921);
    expect(t.retirement).toBe(921 - 726);
  });

  it('moves the retirement by the change in the window, rounded up to the bake poll', () => {
    expect(modelSlots(TUNED, { ...SLOTS, bakeSeconds: 310 }, A).jobDoneAfterRetirement! - t.jobDoneAfterRetirement!).toBe(15);
    expect(modelSlots(TUNED, { ...SLOTS, bakeSeconds: 305 }, A).jobDoneAfterRetirement! - t.jobDoneAfterRetirement!).toBe(0);
    // A window over before the job's verify step ends: the retirement starts right after it.
    expect(modelSlots(TUNED, { ...SLOTS, bakeSeconds: 0 }, A).jobDoneAfterRetirement).toBe(491 + 20 + 30 + 60 + 10 + 5 + 5 + 60);
  });

  it('a weight change (one UpdateStack, no change set) moves users after UpdateStack + listener, and the job on after cleanup + poll', () => {
    expect(weightUpdate(100, A)).toEqual({ applied: 113, noticed: 128 });
    // The change set it no longer waits for does not count.
    expect(weightUpdate(100, { ...A, changeSetSeconds: 60 })).toEqual(weightUpdate(100, A));
  });
});

describe('modelReplace', () => {
  // With the 5 min window: blue leaves 180 + 300 + 10 = 490, UPDATE_COMPLETE 490 + 30 + 60 = 580, noticed 585.
  const t = modelReplace(TUNED, 60, A);

  it('puts the new AMI on all traffic when blue leaves (the window waited out), and a requested failback is a second replacement', () => {
    expect(t.newAmiAllTraffic).toBe(490);
    expect(t.deployJobDone).toBe(585);
    expect(t.failbackInWindow).toBe(490);
    expect(t.warmFailback).toBe(false);
  });

  it('verifies green inside the window and cancels: blue alone again once the rollback deregistered green', () => {
    // Green in service at its signals (180), noticed at 185; its targets healthy since 165, so the
    // watch runs 185 → 245, inside the window (245 + 30 ≤ 180 + 300). Blue alone at 245 + 30 = 275.
    expect(t.automaticFailback).toBe(30);
    // The bad AMI shared the target group with blue from 165 to 275: 110 s at 50 %.
    expect(t.badAmiServedSeconds).toBe(110);
    expect(t.badAmiTrafficSeconds).toBe(55);
  });

  it('without a window (rollback-monitoring-minutes 0) verify-alb fails after blue is gone, and the way back is a second replacement', () => {
    const none = modelReplace(TUNED, 60, { ...A, monitoringMinutes: 0 });
    // Blue leaves 180 + 10 = 190, noticed 190 + 30 + 60 + 5 = 285; verdict 345, failback starts 355.
    expect(none.automaticFailback).toBe(10 + 190);
    // shared 165 → 190 (25 s at 50 %); alone 190 → 355 + 165 = 520 (330 s); shared again 520 → 545 (25 s at 50 %).
    expect(none.badAmiTrafficSeconds).toBe(12.5 + 330 + 12.5);
    expect(none.badAmiServedSeconds).toBe(355 + 190 - 165);
  });

  it('falls back the same way when the watch does not fit in the window', () => {
    const long = modelReplace(TUNED, 600, A);
    expect(long.automaticFailback).toBe(10 + 490);
  });
});

describe('the strategy table', () => {
  it('says met or MISSED against each goal', () => {
    expect(againstGoal(45, 60)).toBe('0:45 (goal ≤ 1:00: met)');
    expect(againstGoal(60, 60)).toBe('1:00 (goal ≤ 1:00: met)');
    expect(againstGoal(135, 60)).toBe('2:15 (goal ≤ 1:00: MISSED by 1:15)');
  });

  it('holds each strategy to its own goals, from the workflow start', () => {
    const section = strategySection({
      replace: { file: 'app.yaml', settings: TUNED },
      slots: { file: 'app-slots.yaml', settings: TUNED },
      wiring: { file: 'environments.json', environment: 'dev', settings: SLOTS, capacity: 2 },
      assumptions: A,
    });
    const row = (label: RegExp) => section.table.rows.find((r) => label.test(r[0]))!;
    expect(row(/^Merge → the new AMI/)).toEqual(['Merge → the new AMI serves all traffic', '9:10', againstGoal(60 + 416, GOALS.mergeToAllTraffic)]);
    // The failback job's steps before the update (local/bench/failback-job.ts: 22 s, and the update step's start 2 s) + the look and the flip.
    expect(row(/inside the bake window/)[2]).toBe(`${againstGoal(24 + 15, GOALS.failbackInWindow)}; flip first, prove after`);
    expect(row(/automatic failback/)[1]).toBe(againstGoal(30, GOALS.automaticFailback));
    expect(row(/traffic it served/)[1]).toBe('55.0 s of all traffic (50 % for 1:50)');
    expect(row(/traffic it served/)[2]).toMatch(/^14\.8 s of all traffic \(10 % for 2:28\)/);
    expect(row(/^Retirement/)).toEqual([
      "Retirement: the bake window's end → the old slot at zero, recorded, the live slot verified again",
      'no old fleet kept: blue is deleted at the cutover',
      '3:15; the deploy job ends 16:21 after the merge, the old slot warm through the 5:00 window',
    ]);
    const long = strategySection({ replace: { file: 'app.yaml', settings: TUNED }, slots: { file: 'app-slots.yaml', settings: TUNED }, wiring: { file: 'environments.json', environment: 'dev', settings: { ...SLOTS, bakeSeconds: 3600 }, capacity: 2 }, assumptions: A });
    expect(long.table.rows.find((r) => /^Retirement/.test(r[0]))![2]).toMatch(/^in a Retire old slots run \(every 15 min\), up to 15:00 after the end: the 60:00 window is longer than the deploy job waits$/);
    expect(section.intro.join(' ')).toContain('verify watch 60 s, canary 10 % for 120 s');
    // Staging ahead: the switch PR's merge against the same goal, and what waiting for it costs.
    expect(row(/^Stage ahead, switch PR merge/)[2]).toBe(`${againstGoal(225, GOALS.mergeToAllTraffic)}; 4:45 when the look fails or the proof is over a day old (a prove watch first)`);
    expect(row(/^Stage ahead, what it costs/)[2]).toBe("2 instances (the live slot's size) at weight 0 from 2:05 after the stage PR's merge to the switch: 2 instance-hours per hour of review (16 for a night, 8 h)");
  });
});

describe('modelStageAhead', () => {
  const t = modelStageAhead(TUNED, SLOTS, A);

  it("moves the stage and the prove watch before the person's decision: the switch PR's merge is followed by the look, the canary and the switch", () => {
    // Stage PR: 60 workflow + prove ends at 255 (as modelSlots) = 315; + 5 to propose the switch.
    expect(t.stageMergeToProven).toBe(315);
    expect(t.stageMergeToSwitchPr).toBe(320);
    // Switch PR: 60 + 2 check-switch + look 2 → canary applied 2 + 3 + 10 = 15, noticed 30, + 120 = 150 → switch applied 163.
    expect(t.switchMergeToAllTraffic).toBe(62 + 163);
    // A failed look or a stale proof: the 60 s watch first (the targets are healthy already).
    expect(t.switchMergeToAllTrafficReproved).toBe(62 + 223);
    // The staged slot's instances run from their launch: 60 + change set 20 + launch 45.
    expect(t.stageMergeToFleetUp).toBe(125);
  });

  it('without a canary the switch follows the look', () => {
    expect(modelStageAhead(TUNED, { ...SLOTS, canaryWeight: 0 }, A).switchMergeToAllTraffic).toBe(62 + 2 + 13);
  });
});

describe('the shipped templates and wiring, as modeled', () => {
  it('reads both slots of templates/app-slots.yaml alike, every setting from the template, as app.yaml has them but the wait before cfn-signal', () => {
    const blue = readCutoverSettingsFile('templates/app-slots.yaml', slotFleet('Blue'));
    const green = readCutoverSettingsFile('templates/app-slots.yaml', slotFleet('Green'));
    expect(green.settings).toEqual(blue.settings);
    expect(Object.values(blue.sources).filter((s) => s === 'AWS default' || s === 'not in the template')).toEqual([]);
    // A staged slot takes no users and the prove step waits for its targets: no settle wait before the signal.
    expect(blue.settings).toEqual({ ...readCutoverSettingsFile('templates/app.yaml').settings, signalDelaySeconds: 0 });
  });

  it('prints the table the README and docs/performance.md show, with the wiring’s canary default', async () => {
    const wiring = await loadEnvironments('parameters/environments.json');
    const report = await runBench(['--markdown']);
    const env = Object.values(wiring.environments).find((e) => e.strategy === 'slots') ?? wiring.environments[wiring.promotionOrder[0]];
    expect(report).toContain(`canary ${env.slots.canaryWeight} % for ${env.slots.canarySeconds} s`);
    const lines = report.split('\n');
    const start = lines.findIndex((l) => l.startsWith('| Measure |'));
    const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
    const table = lines.slice(start, end).join('\n');
    expect(lines.slice(start, end)).toHaveLength(12);
    for (const doc of ['README.md', 'docs/performance.md']) expect({ doc, current: readFileSync(doc, 'utf8').includes(table) }).toEqual({ doc, current: true });
  });
});
