import 'aws-sdk-client-mock-jest';

import { BLUE_AMI, detailsBody, GREEN_AMI, healthyFleet, mockFleet, mocks, mockStack, resetMocks, STACK, URL_BASE } from '../lib/verify/fixtures';

// @actions/core is mocked only in main.ts tests (STYLE.md).
jest.mock('@actions/core', () => jest.requireActual('../support/actions-core').createActionsCoreMock());
// Imported after jest.mock on purpose (jest hoists the mock anyway; the order reads truthfully).
import * as core from '@actions/core';

import { VERIFY_ALB_OUTPUT_NAMES } from '../../../actions/lib/verify/inputs';
import { run } from '../../../actions/verify-alb/src/main';
import { givenInputs, outputs, resetActionsCoreMock, summaryWrites } from '../support/actions-core';

const mocked = core as jest.Mocked<typeof core>;
const savedEnv = { ...process.env };
const fetchSpy = jest.spyOn(globalThis, 'fetch');

beforeEach(() => {
  resetMocks();
  resetActionsCoreMock();
  process.env = { ...savedEnv, AWS_REGION: 'us-east-1', GITHUB_STEP_SUMMARY: '/dev/null' };
  fetchSpy.mockImplementation(async () => new Response(detailsBody(), { status: 200 }));
});
afterAll(() => {
  process.env = savedEnv;
  fetchSpy.mockRestore();
});

describe('verify-alb main', () => {
  it('sets every output and writes one summary for a healthy fleet', async () => {
    mockStack();
    mockFleet(healthyFleet());
    // One second of watching is one sample at t=0: no real sleep.
    givenInputs({ 'stack-name': STACK, 'expected-ami-id': GREEN_AMI, 'watch-seconds': '1' });
    await run();
    expect(mocked.setFailed).not.toHaveBeenCalled();
    expect(outputs()).toEqual({
      healthy: 'true',
      'healthy-targets': '2',
      'total-targets': '2',
      'served-ami-ids': JSON.stringify([GREEN_AMI]),
      'error-rate': '0',
      'report-markdown': summaryWrites[0],
    });
    expect(summaryWrites).toHaveLength(1);
    expect(summaryWrites[0]).toMatch(/^## verify-alb: ✅ healthy/);
    expect(fetchSpy).toHaveBeenCalledWith(`${URL_BASE}/details.json`, expect.objectContaining({ signal: expect.any(AbortSignal) }));
  });

  it('still sets outputs and the summary, then fails the step, when an instance runs the wrong AMI', async () => {
    mockStack();
    mockFleet(healthyFleet());
    givenInputs({ 'stack-name': STACK, 'expected-ami-id': BLUE_AMI, 'watch-seconds': '0' });
    await run();
    expect(outputs()).toMatchObject({ healthy: 'false', 'healthy-targets': '2', 'total-targets': '2', 'served-ami-ids': '[]', 'error-rate': '0' });
    expect(summaryWrites[0]).toMatch(/^## verify-alb: ❌ not healthy/);
    expect(mocked.setFailed).toHaveBeenCalledTimes(1);
    expect(mocked.setFailed.mock.calls[0][0]).toMatch(
      new RegExp(`^Verification of ${STACK} on ${BLUE_AMI} failed: .*Target i-00000000000000001: runs ${GREEN_AMI}, expected ${BLUE_AMI}; Target i-00000000000000002: runs ${GREEN_AMI}`),
    );
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it.each([
    ['no stack and no target group', { 'expected-ami-id': GREEN_AMI }, /input "stack-name": stack-name or target-group-arn is required/],
    ['a bad AMI', { 'stack-name': STACK, 'expected-ami-id': 'ami-nope' }, /input "expected-ami-id" = "ami-nope"/],
    ['a file: url', { 'stack-name': STACK, 'expected-ami-id': GREEN_AMI, url: 'file:///etc/passwd' }, /input "url"/],
    ['a bad region', { 'stack-name': STACK, 'expected-ami-id': GREEN_AMI, region: 'mars-1' }, /Region "mars-1" from input region is not an AWS region name/],
  ])('rejects %s before any AWS call or request', async (_name, inputs, message) => {
    givenInputs(inputs);
    await run();
    expect(mocked.setFailed).toHaveBeenCalledWith(expect.stringMatching(message));
    for (const m of Object.values(mocks)) expect(m).not.toHaveReceivedAnyCommand();
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(outputs()).toEqual(Object.fromEntries(VERIFY_ALB_OUTPUT_NAMES.map((name) => [name, ''])));
  });
});
