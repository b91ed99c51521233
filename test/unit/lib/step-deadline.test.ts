import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

import { VirtualClock } from '../../../actions/lib/clock';
import { NoAnswerBeforeDeadlineError, RESULT_READS_GRACE_MS, withStepDeadline } from '../../../actions/lib/step-deadline';

const MINUTE = 60_000;

/** A CloudFormation client whose endpoint accepts and never answers: each call ends only when its signal aborts. */
function silentCloudFormation() {
  const client = new CloudFormationClient({ region: 'us-east-1' });
  const seen: (AbortSignal | undefined)[] = [];
  client.send = ((_command: unknown, options?: { abortSignal?: AbortSignal }) => {
    const signal = options?.abortSignal;
    seen.push(signal);
    return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }))));
  }) as CloudFormationClient['send'];
  return { client, seen };
}

/** Lets virtual time pass in one-second sleeps until `promise` settles or `limitMs` passed; says when it settled. */
async function settleWithin<T>(clock: VirtualClock, promise: Promise<T>, limitMs: number): Promise<{ result: PromiseSettledResult<T>; afterMs: number }> {
  const started = clock.now();
  let settled: { result: PromiseSettledResult<T>; afterMs: number } | undefined;
  void promise.then(
    (value) => (settled = { result: { status: 'fulfilled', value }, afterMs: clock.now() - started }),
    (reason: unknown) => (settled = { result: { status: 'rejected', reason }, afterMs: clock.now() - started }),
  );
  while (settled === undefined && clock.now() - started < limitMs) {
    await clock.sleep(1000);
    // Lets the aborted call reject all the way up before time moves on.
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (settled === undefined) throw new Error(`still pending after ${limitMs} ms of virtual time`);
  return settled;
}

describe('withStepDeadline', () => {
  it('aborts a call at the step deadline and names the call that got no answer', async () => {
    const clock = new VirtualClock();
    const { client } = silentCloudFormation();
    const clients = withStepDeadline({ cloudFormation: client }, { atMs: clock.now() + 2 * MINUTE, describe: 'within timeout-minutes (2 min)' }, clock);

    const { result, afterMs } = await settleWithin(clock, clients.cloudFormation.send(new DescribeStacksCommand({ StackName: 'app' })), 60 * MINUTE);

    expect(afterMs).toBe(2 * MINUTE);
    expect(result.status).toBe('rejected');
    const error = (result as PromiseRejectedResult).reason as unknown;
    expect(error).toBeInstanceOf(NoAnswerBeforeDeadlineError);
    expect((error as NoAnswerBeforeDeadlineError).call).toBe('CloudFormation DescribeStacks');
    expect((error as Error).message).toMatch(
      /^CloudFormation DescribeStacks got no answer within timeout-minutes \(2 min\) \(no answer before the deadline \(2026-01-01T00:02:00\.000Z\)\); the endpoint accepts connections but says nothing \(AWS_ENDPOINT_URL\*, a proxy, the network\)$/,
    );
  });

  it('gives a call that starts at or after the deadline its grace, not an instant abort', async () => {
    const clock = new VirtualClock();
    const { client } = silentCloudFormation();
    const clients = withStepDeadline({ cloudFormation: client }, { atMs: clock.now(), describe: 'within timeout-minutes (1 min)' }, clock);

    const { afterMs } = await settleWithin(clock, clients.cloudFormation.send(new DescribeStacksCommand({})), 60 * MINUTE);

    expect(afterMs).toBe(RESULT_READS_GRACE_MS);
  });

  it("leaves a call's own signal in charge: a wait that reaches its own deadline sees its own abort, not the step's error", async () => {
    const clock = new VirtualClock();
    const { client } = silentCloudFormation();
    const clients = withStepDeadline({ cloudFormation: client }, { atMs: clock.now() + 10 * MINUTE, describe: 'within timeout-minutes (10 min)' }, clock);
    const own = clock.deadlineSignal(clock.now() + MINUTE);

    const { result, afterMs } = await settleWithin(clock, clients.cloudFormation.send(new DescribeStacksCommand({}), { abortSignal: own.signal }), 60 * MINUTE);

    expect(afterMs).toBe(MINUTE);
    expect((result as PromiseRejectedResult).reason).not.toBeInstanceOf(NoAnswerBeforeDeadlineError);
    expect(own.signal.aborted).toBe(true);
  });

  it('keeps the clients what they are and passes other members through', async () => {
    const clock = new VirtualClock();
    const client = new CloudFormationClient({ region: 'us-east-1' });
    const awsClock = { now: () => 0 };
    const clients = withStepDeadline({ cloudFormation: client, awsClock }, { atMs: clock.now() + MINUTE, describe: 'within timeout-minutes (1 min)' }, clock);

    expect(clients.cloudFormation).toBeInstanceOf(CloudFormationClient);
    expect(clients.cloudFormation.config).toBe(client.config);
    expect(clients.awsClock).toBe(awsClock);
  });
});
