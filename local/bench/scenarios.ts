/**
 * Scripted timelines: what the API answers at each moment of a wait. Times are milliseconds from
 * the moment the waiter starts. Durations are stated assumptions (docs/performance.md): a stack
 * update takes minutes (3 and 15 here), a Linux image build with tests ~25–45 min (40 here), a
 * target turns healthy after boot plus a health check (90 s here).
 */
import { CHANGE_SET_CREATION, IMAGE_BUILD, STACK_UPDATE, TARGET_GROUP_HEALTH, type ResourceKind } from './resources';

export interface StatusStep {
  atMs: number;
  status: string;
}

/** A window in which every call is refused with the service's throttling error. */
export interface ThrottleWindow {
  fromMs: number;
  toMs: number;
}

export interface Scenario {
  id: string;
  title: string;
  kind: ResourceKind;
  /** Status changes in time order; the first is at 0. */
  steps: readonly StatusStep[];
  throttles: readonly ThrottleWindow[];
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/** A CloudFormation update that replaces the ASG: in progress, cleanup (old ASG drains), complete. */
function stackUpdate(totalMs: number): StatusStep[] {
  return [
    { atMs: 0, status: 'UPDATE_IN_PROGRESS' },
    { atMs: Math.round(totalMs * 0.6), status: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS' },
    { atMs: totalMs, status: 'UPDATE_COMPLETE' },
  ];
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'change-set-10s',
    title: 'change set created, 10 s',
    kind: CHANGE_SET_CREATION,
    steps: [
      { atMs: 0, status: 'CREATE_PENDING' },
      { atMs: 2 * SECOND, status: 'CREATE_IN_PROGRESS' },
      { atMs: 10 * SECOND, status: 'CREATE_COMPLETE' },
    ],
    throttles: [],
  },
  { id: 'stack-update-3m', title: 'stack update, 3 min', kind: STACK_UPDATE, steps: stackUpdate(3 * MINUTE), throttles: [] },
  { id: 'stack-update-15m', title: 'stack update, 15 min', kind: STACK_UPDATE, steps: stackUpdate(15 * MINUTE), throttles: [] },
  {
    id: 'image-build-40m',
    title: 'image build, 40 min',
    kind: IMAGE_BUILD,
    steps: [
      { atMs: 0, status: 'PENDING' },
      { atMs: 1 * MINUTE, status: 'CREATING' },
      { atMs: 3 * MINUTE, status: 'BUILDING' },
      { atMs: 15 * MINUTE, status: 'TESTING' },
      { atMs: 30 * MINUTE, status: 'DISTRIBUTING' },
      { atMs: 36 * MINUTE, status: 'INTEGRATING' },
      { atMs: 40 * MINUTE, status: 'AVAILABLE' },
    ],
    throttles: [],
  },
  {
    id: 'targets-healthy-90s',
    title: 'targets healthy, 90 s',
    kind: TARGET_GROUP_HEALTH,
    steps: [
      { atMs: 0, status: 'initial' },
      { atMs: 90 * SECOND, status: 'healthy' },
    ],
    throttles: [],
  },
  {
    id: 'throttled-before-done',
    title: 'stack update, 10 min; throttled for 2–2.5 min from 4:00',
    kind: STACK_UPDATE,
    steps: stackUpdate(10 * MINUTE),
    throttles: [{ fromMs: 4 * MINUTE, toMs: 6 * MINUTE }],
  },
  {
    id: 'throttled-at-done',
    title: 'stack update, 10 min; done inside 2–2.5 min of throttling',
    kind: STACK_UPDATE,
    steps: stackUpdate(10 * MINUTE),
    throttles: [{ fromMs: 9 * MINUTE, toMs: 11 * MINUTE }],
  },
];

/**
 * The same timeline `offsetMs` later: how trials vary the phase between a poller and the resource.
 * A throttling window also lasts `offsetMs` longer, so its end (when a backed-off poller must come
 * back) falls at every phase of that poller's delays, not at one lucky or unlucky moment.
 */
export function shiftScenario(scenario: Scenario, offsetMs: number): Scenario {
  return {
    ...scenario,
    steps: scenario.steps.map((s, i) => ({ atMs: i === 0 ? 0 : s.atMs + offsetMs, status: s.status })),
    throttles: scenario.throttles.map((t) => ({ fromMs: t.fromMs + offsetMs, toMs: t.toMs + 2 * offsetMs })),
  };
}

/** The status the API reports `elapsedMs` into the timeline. */
export function statusAt(scenario: Scenario, elapsedMs: number): string {
  let current = scenario.steps[0].status;
  for (const step of scenario.steps) if (step.atMs <= elapsedMs) current = step.status;
  return current;
}

/** When the resource reaches its terminal status. */
export function terminalAt(scenario: Scenario): number {
  const step = scenario.steps.find((s) => scenario.kind.isTerminal(s.status));
  if (!step) throw new Error(`Scenario ${scenario.id} never reaches a terminal status: add one to its steps.`);
  return step.atMs;
}

export function isThrottledAt(scenario: Scenario, elapsedMs: number): boolean {
  return scenario.throttles.some((t) => elapsedMs >= t.fromMs && elapsedMs < t.toMs);
}

/**
 * The first moment any call could have seen the terminal status: the terminal step, or the end of
 * a throttling window that hides it. Detection lag is measured from here, so a poller is not
 * blamed for time in which no call could succeed.
 */
export function observableAt(scenario: Scenario): number {
  let at = terminalAt(scenario);
  for (;;) {
    const hiding = scenario.throttles.find((t) => at >= t.fromMs && at < t.toMs);
    if (!hiding) return at;
    at = hiding.toMs;
  }
}
