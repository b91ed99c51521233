import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetImageCommand } from '@aws-sdk/client-imagebuilder';

import { isThrottlingError } from '../../../actions/lib/aws/errors';
import { VirtualClock } from '../../../actions/lib/clock';
import { seededRandom } from '../../../local/bench/random';
import { STACK_UPDATE } from '../../../local/bench/resources';
import { ScriptedApi } from '../../../local/bench/scripted-api';
import { isThrottledAt, observableAt, SCENARIOS, shiftScenario, statusAt, terminalAt, type Scenario } from '../../../local/bench/scenarios';

const scenario: Scenario = {
  id: 't',
  title: 't',
  kind: STACK_UPDATE,
  steps: [
    { atMs: 0, status: 'UPDATE_IN_PROGRESS' },
    { atMs: 60_000, status: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS' },
    { atMs: 100_000, status: 'UPDATE_COMPLETE' },
  ],
  throttles: [{ fromMs: 90_000, toMs: 120_000 }],
};

describe('scenario timelines', () => {
  it.each([
    [0, 'UPDATE_IN_PROGRESS'],
    [59_999, 'UPDATE_IN_PROGRESS'],
    [60_000, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'],
    [100_000, 'UPDATE_COMPLETE'],
    [999_999, 'UPDATE_COMPLETE'],
  ])('at %i ms the status is %s', (at, status) => {
    expect(statusAt(scenario, at)).toBe(status);
  });

  it('is observable when the terminal status is, or when the throttling that hides it ends', () => {
    expect(terminalAt(scenario)).toBe(100_000);
    expect(observableAt(scenario)).toBe(120_000);
    expect(observableAt({ ...scenario, throttles: [] })).toBe(100_000);
    // Back-to-back windows hide it until the last one ends.
    expect(observableAt({ ...scenario, throttles: [{ fromMs: 90_000, toMs: 120_000 }, { fromMs: 120_000, toMs: 130_000 }] })).toBe(130_000);
  });

  it('throttles inside a window, end excluded', () => {
    expect([89_999, 90_000, 119_999, 120_000].map((t) => isThrottledAt(scenario, t))).toEqual([false, true, true, false]);
  });

  it('shifts every step after the first and stretches throttling windows by the offset', () => {
    const shifted = shiftScenario(scenario, 3_000);
    expect(shifted.steps.map((s) => s.atMs)).toEqual([0, 63_000, 103_000]);
    expect(shifted.throttles).toEqual([{ fromMs: 93_000, toMs: 126_000 }]);
    expect(observableAt(shifted) - observableAt(scenario)).toBe(6_000);
  });

  it.each(SCENARIOS.map((s) => [s.id, s] as const))('%s reaches a terminal status, and only once', (_id, s) => {
    const terminalSteps = s.steps.filter((step) => s.kind.isTerminal(step.status));
    expect(terminalSteps).toHaveLength(1);
    expect(terminalSteps[0]).toBe(s.steps[s.steps.length - 1]);
    expect(s.steps[0].atMs).toBe(0);
  });

  it('rejects a scenario that never ends', () => {
    expect(() => terminalAt({ ...scenario, steps: scenario.steps.slice(0, 2) })).toThrow(/never reaches a terminal status/);
  });
});

describe('ScriptedApi', () => {
  it('answers with the status of the moment and records each call', async () => {
    const clock = new VirtualClock();
    const api = new ScriptedApi(scenario, clock);
    const first = await api.send(new DescribeStacksCommand({ StackName: 'x' }));
    await clock.sleep(100_000 + 30_000);
    const last = await api.send(new DescribeStacksCommand({ StackName: 'x' }));
    expect(STACK_UPDATE.statusOf(first)).toBe('UPDATE_IN_PROGRESS');
    expect(STACK_UPDATE.statusOf(last)).toBe('UPDATE_COMPLETE');
    expect(api.callTimes).toEqual([0, 130_000]);
  });

  it('refuses calls in a throttling window with an error the project treats as throttling', async () => {
    const clock = new VirtualClock();
    const api = new ScriptedApi(scenario, clock);
    await clock.sleep(95_000);
    const error = await api.send(new DescribeStacksCommand({ StackName: 'x' })).catch((e: unknown) => e);
    expect(isThrottlingError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    expect(api.throttledCalls).toBe(1);
  });

  it('serves only its scenario’s command, so a policy cannot quietly poll the wrong thing', async () => {
    const api = new ScriptedApi(scenario, new VirtualClock());
    await expect(api.send(new GetImageCommand({ imageBuildVersionArn: 'arn' }))).rejects.toThrow(/serves DescribeStacks only, not GetImageCommand/);
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = Array.from({ length: 1000 }, seededRandom(7));
    expect(Array.from({ length: 1000 }, seededRandom(7))).toEqual(a);
    expect(Array.from({ length: 1000 }, seededRandom(8))).not.toEqual(a);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
  });
});
