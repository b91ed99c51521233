import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import 'aws-sdk-client-mock-jest';

import { createAwsClients } from '../../../../actions/lib/aws/clients';
import { VirtualClock } from '../../../../actions/lib/clock';
import { RecordingLogger } from '../../../../actions/lib/logger';
import { verifyAlbInputSchema } from '../../../../actions/lib/verify/inputs';
import { verifyAlb } from '../../../../actions/lib/verify/verify-alb';
import {
  BLUE_AMI,
  BLUE_ASG,
  connectionRefused,
  detailsBody,
  type FakeResponse,
  fakeFetch,
  type FleetState,
  GREEN_AMI,
  GREEN_ASG,
  healthyFleet,
  mockFleet,
  mocks,
  mockStack,
  resetMocks,
  STACK,
  TG_ARN,
  URL_BASE,
} from './fixtures';

const clients = createAwsClients({ region: 'us-east-1' });

function inputs(overrides: Record<string, string> = {}) {
  return verifyAlbInputSchema.parse({ 'stack-name': STACK, 'expected-ami-id': GREEN_AMI, 'watch-seconds': '10', 'timeout-minutes': '2', ...overrides });
}

function setup(script?: (n: number) => FakeResponse) {
  const clock = new VirtualClock();
  const logger = new RecordingLogger();
  const http = fakeFetch(clock, script);
  return { clock, logger, http, deps: { clients, logger, clock, fetch: http.fetch } };
}

/** The healthy fleet with one change applied. */
function fleetWith(change: (f: FleetState) => void): FleetState {
  const fleet = healthyFleet();
  change(fleet);
  return fleet;
}

beforeEach(() => {
  resetMocks();
  mockStack();
});

describe('verifyAlb control plane', () => {
  it('passes when every target is healthy, current and on the expected AMI, and HTTP agrees', async () => {
    mockFleet(healthyFleet());
    const { deps, http } = setup();
    const report = await verifyAlb(inputs(), deps);
    expect(report.failures).toEqual([]);
    expect(report.healthy).toBe(true);
    expect(report.fleet).toMatchObject({ status: 'pass', healthyTargets: 2, totalTargets: 2, desiredCapacity: 2, autoScalingGroupName: GREEN_ASG });
    expect(report.http.summary).toEqual({ samples: 10, errors: 0, errorRate: 0, servedAmis: [{ amiId: GREEN_AMI, samples: 10 }] });
    expect(http.calls[0].url).toBe(`${URL_BASE}/details.json`);
  });

  it.each<[string, FleetState, RegExp[]]>([
    [
      'one unhealthy target, named with its reason',
      fleetWith((f) => (f.targets[1] = { id: 'i-00000000000000002', health: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' })),
      [/Target i-00000000000000002: unhealthy \(Target\.FailedHealthChecks: Health checks failed\)/, /1 of 2 desired targets/],
    ],
    [
      'targets of an old ASG (blue still registered)',
      fleetWith((f) => {
        f.targets.push({ id: 'i-0000000000000000b' });
        f.instances.push({ id: 'i-0000000000000000b', imageId: BLUE_AMI, asg: BLUE_ASG });
      }),
      [new RegExp(`Target i-0000000000000000b: belongs to ASG ${BLUE_ASG}, not the stack's current ASG ${GREEN_ASG}; runs ${BLUE_AMI}, expected ${GREEN_AMI}`)],
    ],
    [
      'a count below the desired capacity',
      fleetWith((f) => {
        f.desired = 3;
        f.asgInstances!.push('i-00000000000000003');
        f.instances.push({ id: 'i-00000000000000003', imageId: GREEN_AMI, asg: GREEN_ASG });
      }),
      [/2 of 3 desired targets are healthy, running instances of ASG .*GREEN on ami-0123456789abcdef0 \(2 registered\)/],
    ],
    [
      'a terminated instance the load balancer still calls healthy (moto, docs/moto.md #6)',
      fleetWith((f) => {
        f.targets.push({ id: 'i-0000000000000000b', health: 'healthy' });
        f.instances.push({ id: 'i-0000000000000000b', imageId: GREEN_AMI, asg: BLUE_ASG, state: 'terminated' });
      }),
      [/Target i-0000000000000000b: healthy per the load balancer, but EC2 says the instance is terminated: a stale registration/],
    ],
    [
      'a target EC2 no longer knows',
      fleetWith((f) => f.targets.push({ id: 'i-0000000000000000c' })),
      [/Target i-0000000000000000c: healthy, but EC2 does not know the instance/],
    ],
    [
      'no targets at all',
      fleetWith((f) => (f.targets = [])),
      [/0 of 2 desired targets .*\(0 registered\)/],
    ],
  ])('waits, then fails at the timeout on %s', async (_name, fleet, expected) => {
    mockFleet(fleet);
    const { deps, clock, http } = setup();
    const start = clock.now();
    const report = await verifyAlb(inputs(), deps);
    expect(report.healthy).toBe(false);
    expect(report.failures[0]).toMatch(/not all healthy on ami-0123456789abcdef0 after 120 s \(timeout-minutes 2\)/);
    for (const pattern of expected) expect(report.failures.join('\n')).toMatch(pattern);
    expect(clock.now() - start).toBe(120_000);
    expect(http.calls).toHaveLength(0);
    expect(report.http.skipped).toMatch(/did not pass/);
  });

  it('fails at once, naming the instance, when the current ASG runs the wrong AMI', async () => {
    mockFleet(fleetWith((f) => (f.instances[0].imageId = BLUE_AMI)));
    const { deps, clock } = setup();
    const start = clock.now();
    const report = await verifyAlb(inputs(), deps);
    expect(report.healthy).toBe(false);
    expect(report.failures).toEqual([
      'The fleet cannot become healthy on the expected AMI by waiting',
      `Target i-00000000000000001: runs ${BLUE_AMI}, expected ${GREEN_AMI}`,
      `1 of 2 desired targets are healthy, running instances of ASG ${GREEN_ASG} on ${GREEN_AMI} (2 registered)`,
    ]);
    expect(clock.now() - start).toBe(0);
    expect(mocks.elb).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 1);
  });

  it('fails at once on a current-ASG instance with the wrong AMI that is not registered yet', async () => {
    mockFleet(
      fleetWith((f) => {
        f.asgInstances!.push('i-00000000000000003');
        f.instances.push({ id: 'i-00000000000000003', imageId: BLUE_AMI, asg: GREEN_ASG });
      }),
    );
    const report = await verifyAlb(inputs(), setup().deps);
    expect(report.fleet.status).toBe('fail');
    expect(report.failures).toContain(`Instance i-00000000000000003 of ASG ${GREEN_ASG} (not registered yet) runs ${BLUE_AMI}, expected ${GREEN_AMI}`);
  });

  it('waits until the targets become healthy within the timeout, logging transitions only', async () => {
    const registering = fleetWith((f) => f.targets.forEach((t) => Object.assign(t, { health: 'initial', reason: 'Elb.RegistrationInProgress' })));
    const oneUp = fleetWith((f) => Object.assign(f.targets[1], { health: 'initial', reason: 'Elb.InitialHealthChecking' }));
    mockFleet(registering, registering, registering, oneUp, healthyFleet());
    const { deps, clock, logger } = setup();
    const start = clock.now();
    const report = await verifyAlb(inputs({ 'watch-seconds': '0' }), deps);
    expect(report.healthy).toBe(true);
    expect(report.waitedMs).toBe(1_000 + 2_000 + 4_000 + 5_000);
    expect(clock.now() - start).toBe(report.waitedMs);
    const progress = logger.entries.filter((e) => e.message.startsWith('ASG ')).map((e) => e.message);
    expect(progress).toEqual([
      expect.stringMatching(/i-00000000000000001 initial \(Elb\.RegistrationInProgress\), i-00000000000000002 initial .*3 problems/),
      expect.stringMatching(/i-00000000000000001 healthy, i-00000000000000002 initial \(Elb\.InitialHealthChecking\).*2 problems/),
      expect.stringMatching(/all checks pass/),
    ]);
  });

  it('ignores draining targets of the old ASG: they get no new requests', async () => {
    mockFleet(
      fleetWith((f) => {
        f.targets.push({ id: 'i-0000000000000000b', health: 'draining', reason: 'Target.DeregistrationInProgress' });
        f.instances.push({ id: 'i-0000000000000000b', imageId: BLUE_AMI, asg: BLUE_ASG, state: 'shutting-down' });
      }),
    );
    const report = await verifyAlb(inputs({ 'watch-seconds': '0' }), setup().deps);
    expect(report.healthy).toBe(true);
    expect(report.fleet).toMatchObject({ healthyTargets: 2, totalTargets: 2, drainingTargets: 1 });
    expect(report.fleet.rows.find((r) => r.id === 'i-0000000000000000b')?.verdict).toBe('leaving');
  });

  it('keeps its deadline when an AWS call never answers: the wait aborts the call it is in', async () => {
    const registering = fleetWith((f) => f.targets.forEach((t) => Object.assign(t, { health: 'initial', reason: 'Elb.RegistrationInProgress' })));
    mockFleet(registering, registering);
    const { deps, clock } = setup();
    // The second DescribeTargetHealth hangs (an endpoint that accepts and never answers) while
    // three minutes pass; only the abort signal the wait hands to the call can end it.
    let calls = 0;
    const silentElb = {
      send(command: DescribeTargetHealthCommand, options?: { abortSignal?: AbortSignal }) {
        calls += 1;
        if (calls === 1) return clients.elbv2.send(command, options);
        return new Promise((_resolve, reject) => {
          options?.abortSignal?.addEventListener('abort', () => reject(options.abortSignal?.reason));
          void clock.sleep(3 * 60_000);
        });
      },
    } as unknown as typeof clients.elbv2;
    const report = await verifyAlb(inputs({ 'watch-seconds': '0', 'timeout-minutes': '2' }), { ...deps, clients: { ...clients, elbv2: silentElb } });
    expect(report.healthy).toBe(false);
    expect(report.failures[0]).toMatch(/^The targets were not all healthy on \S+ after \d+ s \(timeout-minutes 2\)/);
    // Every fleet call of the wait carried the wait's signal, the ASG and EC2 calls included.
    const fleetCalls = [mocks.cfn, mocks.asg, mocks.ec2]
      .flatMap((mock): { args: unknown[] }[] => mock.calls())
      .filter((call) => ['DescribeStackResourceCommand', 'DescribeAutoScalingGroupsCommand', 'DescribeInstancesCommand'].includes((call.args[0] as object).constructor.name));
    expect(fleetCalls.length).toBeGreaterThanOrEqual(4);
    for (const call of fleetCalls) expect({ command: (call.args[0] as object).constructor.name, options: call.args[1] }).toMatchObject({ options: { abortSignal: expect.any(AbortSignal) } });
  });

  it('reads the current ASG from DescribeStackResource on every observation, not from stale outputs', async () => {
    mockStack({ TargetGroupArn: TG_ARN, LoadBalancerUrl: URL_BASE, AutoScalingGroupName: BLUE_ASG });
    mockFleet(healthyFleet());
    await verifyAlb(inputs({ 'watch-seconds': '0' }), setup().deps);
    expect(mocks.asg).toHaveReceivedCommandWith(DescribeAutoScalingGroupsCommand, { AutoScalingGroupNames: [GREEN_ASG] });
    expect(mocks.asg).not.toHaveReceivedCommandWith(DescribeAutoScalingGroupsCommand, { AutoScalingGroupNames: [BLUE_ASG] });
  });
});

describe('verifyAlb HTTP watch', () => {
  beforeEach(() => mockFleet(healthyFleet()));

  it('takes one sample per second for watch-seconds', async () => {
    const { deps, http, clock } = setup();
    const start = clock.now();
    const report = await verifyAlb(inputs({ 'watch-seconds': '30' }), deps);
    expect(http.calls).toHaveLength(30);
    expect(report.http.samples.map((s) => s.at - start)).toEqual(Array.from({ length: 30 }, (_, i) => i * 1_000));
    expect(report.http.samples[0]).toEqual({ at: start, status: 200, latencyMs: 12, amiId: GREEN_AMI, instanceId: 'i-00000000000000001' });
  });

  it.each<[string, string, (n: number) => FakeResponse, RegExp]>([
    ['an error rate over the threshold', '0.1', (n) => (n >= 3 && n < 5 ? { status: 502, body: '<html>502 Bad Gateway</html>' } : { body: detailsBody() }), /HTTP error rate 20 % \(2 of 10 samples\) exceeds max-error-rate 10 %; first errors: .*HTTP 502/],
    ['a refused connection', '0', (n) => (n === 0 ? { throws: connectionRefused() } : { body: detailsBody() }), /HTTP error rate 10 % \(1 of 10 samples\) exceeds max-error-rate 0 %; first errors: .*ECONNREFUSED/],
    ['a malformed details.json (counts as an error)', '0', (n) => (n === 9 ? { body: '{"amiId":""}' } : { body: detailsBody() }), /1 of 10 samples.*details\.json is malformed: amiId must be an AMI ID/],
    ['a details.json with the wrong AMI', '1', (n) => ({ body: detailsBody(n === 4 ? BLUE_AMI : GREEN_AMI, n === 4 ? 'i-0000000000000000b' : undefined) }), new RegExp(`1 of 10 samples were served by ${BLUE_AMI}, not ${GREEN_AMI} \\(first at .* from i-0000000000000000b\\)`)],
  ])('fails on %s', async (_name, maxErrorRate, script, expected) => {
    const { deps } = setup(script);
    const report = await verifyAlb(inputs({ 'max-error-rate': maxErrorRate }), deps);
    expect(report.healthy).toBe(false);
    expect(report.failures.join('\n')).toMatch(expected);
  });

  it('passes an error rate within the threshold', async () => {
    const { deps } = setup((n) => (n === 3 ? { status: 503 } : { body: detailsBody() }));
    const report = await verifyAlb(inputs({ 'max-error-rate': '0.1' }), deps);
    expect(report.healthy).toBe(true);
    expect(report.http.summary).toMatchObject({ samples: 10, errors: 1, errorRate: 0.1 });
  });

  it('skips HTTP entirely when watch-seconds is 0', async () => {
    const { deps, http } = setup();
    const report = await verifyAlb(inputs({ 'watch-seconds': '0' }), deps);
    expect(report.healthy).toBe(true);
    expect(http.calls).toHaveLength(0);
    expect(report.http).toMatchObject({ skipped: expect.stringMatching(/watch-seconds is 0/), samples: [] });
  });

  it('uses the url input over the stack output, and the path input', async () => {
    const { deps, http } = setup();
    await verifyAlb(inputs({ 'watch-seconds': '1', url: 'https://app.example.com/', path: '/health/details.json' }), deps);
    expect(http.calls[0].url).toBe('https://app.example.com/health/details.json');
  });
});

describe('verifyAlb inside a replacing update’s window (previousGroup)', () => {
  /** Green's two instances plus blue's two, all registered and healthy: the window before the cleanup. */
  const sharedFleet = () =>
    fleetWith((f) => {
      f.targets.push({ id: 'i-0000000000000000b' }, { id: 'i-0000000000000000c' });
      f.instances.push({ id: 'i-0000000000000000b', imageId: BLUE_AMI, asg: BLUE_ASG }, { id: 'i-0000000000000000c', imageId: BLUE_AMI, asg: BLUE_ASG });
    });
  const alternating = (n: number): FakeResponse => ({ body: n % 2 === 0 ? detailsBody(GREEN_AMI, 'i-00000000000000001') : detailsBody(BLUE_AMI, 'i-0000000000000000b') });

  it('sets blue’s targets and the samples blue answers aside, and passes on green alone', async () => {
    mockFleet(sharedFleet());
    mockStack(undefined, 'UPDATE_IN_PROGRESS');
    const { deps, logger } = setup(alternating);
    const report = await verifyAlb(inputs(), deps, { previousGroup: BLUE_ASG });

    expect(report.failures).toEqual([]);
    expect(report.fleet.rows.filter((r) => r.verdict === 'previous').map((r) => r.id)).toEqual(['i-0000000000000000b', 'i-0000000000000000c']);
    expect(report.fleet.totalTargets).toBe(2);
    expect(report.http.previousGroupSamples).toBe(5);
    expect(report.http.summary.servedAmis).toEqual([{ amiId: GREEN_AMI, samples: 5 }]);
    // Verifying mid-update is the point here: no warning about it.
    expect(logger.entries.filter((e) => e.level === 'warning')).toEqual([]);
  });

  it('without previousGroup the same fleet fails: blue’s targets are not the current group’s', async () => {
    mockFleet(sharedFleet());
    const { deps } = setup(alternating);
    const report = await verifyAlb(inputs({ 'timeout-minutes': '1' }), deps);
    expect(report.healthy).toBe(false);
    expect(report.failures.join(' ')).toContain(`not the stack's current ASG ${GREEN_ASG}`);
  });

  it('still fails green on its own errors, and counts an answer nobody can be named for against it', async () => {
    mockFleet(sharedFleet());
    const { deps } = setup((n) => (n % 2 === 0 ? { status: 503, body: 'Service Unavailable' } : { body: detailsBody(BLUE_AMI, 'i-0000000000000000b') }));
    const report = await verifyAlb(inputs(), deps, { previousGroup: BLUE_ASG });
    expect(report.healthy).toBe(false);
    expect(report.http.previousGroupSamples).toBe(5);
    expect(report.failures.join(' ')).toMatch(/HTTP error rate 100 % \(5 of 5 samples\)/);
  });
});
