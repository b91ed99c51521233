/**
 * The @actions/core double for main.ts tests (STYLE.md: mock @actions/core only there). Use it as
 *
 *   jest.mock('@actions/core', () => jest.requireActual('../support/actions-core').createActionsCoreMock());
 *
 * then import `summaryWrites`, `givenInputs` and `outputs` from this module: jest keeps one
 * instance of it, so they see what main.ts did through the mock.
 */
import type * as core from '@actions/core';

/** Every markdown text main.ts added to the job summary, in order. Cleared by `resetActionsCoreMock`. */
export const summaryWrites: string[] = [];

export function createActionsCoreMock() {
  const summary = { addRaw: jest.fn(), write: jest.fn() };
  summary.addRaw.mockImplementation((text: string) => {
    summaryWrites.push(text);
    return summary;
  });
  summary.write.mockResolvedValue(summary);
  return {
    getInput: jest.fn(),
    setOutput: jest.fn(),
    setFailed: jest.fn(),
    debug: jest.fn(),
    info: jest.fn(),
    notice: jest.fn(),
    warning: jest.fn(),
    error: jest.fn(),
    group: jest.fn((_title: string, fn: () => Promise<unknown>) => fn()),
    summary,
  };
}

function mockedCore(): jest.Mocked<typeof core> {
  return jest.requireMock('@actions/core');
}

/** Makes core.getInput answer from `inputs`; an input not listed reads as '' as on a runner. */
export function givenInputs(inputs: Record<string, string>): void {
  mockedCore().getInput.mockImplementation((name: string) => inputs[name] ?? '');
}

/** The outputs main.ts set, by name. */
export function outputs(): Record<string, string> {
  return Object.fromEntries(mockedCore().setOutput.mock.calls.map(([name, value]) => [name, String(value)]));
}

/** Clears every call record and the summary; keeps the mock implementations. */
export function resetActionsCoreMock(): void {
  jest.clearAllMocks();
  summaryWrites.length = 0;
}
