import type { Sample } from '../../../actions/lib/verify/sampler';
import { describeDeploy, failuresOutsideGaps, measureDeploy } from '../../../local/cycle/traffic';
import { LoadGenerator } from '../../../local/data-plane/load-generator';

const OLD = 'ami-0000000000000000a';
const NEW = 'ami-0000000000000000b';

/** A generator that never sends: the test gives it the samples. */
function usersWho(saw: [number, string][]): LoadGenerator {
  const users = new LoadGenerator({ url: 'http://127.0.0.1:1', ratePerSecond: 10, maxSeconds: 1 });
  users.samples.push(
    ...saw.map(([at, what]): Sample => (what.startsWith('ami-') ? { at, status: 200, latencyMs: 5, amiId: what, instanceId: 'i-0123456789abcdef0' } : { at, status: 503, latencyMs: 1, error: what })),
  );
  return users;
}

describe("what the cycle's users saw during a deploy", () => {
  const deploy = { label: 'patch', from: 1_000, to: 5_000, newAmi: NEW, oldAmi: OLD };

  it("counts requests and failures, and times the new AMI's first answer and the old one's last from the update's start", () => {
    const users = usersWho([[500, OLD], [1_100, OLD], [1_300, 'HTTP 503 from the load balancer'], [1_500, 'HTTP 503 from the load balancer'], [1_900, NEW], [2_500, NEW], [6_000, NEW]]);
    const t = measureDeploy(users, deploy);
    expect(t.window).toMatchObject({ requests: 5, failed: 2, failures: { 'HTTP 503 from the load balancer': 2 } });
    expect(t).toMatchObject({ firstNewMs: 900, lastOldMs: 100, gap: { from: 1_000, to: 1_900, failed: 2 } });
    expect(describeDeploy(t)[2]).toMatch(/replacement gap .*: 2; other failures: 0$/);
  });

  it("the gap never excuses a target's own error: the app failing is not moto's doing", () => {
    const users = usersWho([[1_100, 'HTTP 503 from the target'], [1_200, 'HTTP 503 from the load balancer'], [1_900, NEW]]);
    const t = measureDeploy(users, deploy);
    expect(t.gap.failed).toBe(1);
    expect(Object.keys(failuresOutsideGaps(users, [t.gap], 0, 10_000))).toEqual([`${new Date(1_100).toISOString()} HTTP 503 from the target`]);
  });

  it('a failure after the new AMI first answered is outside the gap: the promise is broken', () => {
    const users = usersWho([[1_100, OLD], [1_900, NEW], [2_000, 'HTTP 502 from the load balancer'], [2_100, NEW]]);
    const t = measureDeploy(users, deploy);
    expect(t.gap.failed).toBe(0);
    expect(t.window.failed - t.gap.failed).toBe(1);
    expect(Object.keys(failuresOutsideGaps(users, [t.gap], 0, 10_000))).toEqual([`${new Date(2_000).toISOString()} HTTP 502 from the load balancer`]);
  });

  it('a new AMI that never answers leaves no gap to excuse anything', () => {
    const users = usersWho([[1_100, 'HTTP 503 from the target'], [1_200, 'HTTP 503 from the target']]);
    const t = measureDeploy(users, deploy);
    expect(t.firstNewMs).toBeUndefined();
    expect(t.gap).toMatchObject({ from: 1_000, to: 1_000, failed: 0 });
    expect(describeDeploy(t)[2]).toBe('the new AMI never answered a request successfully');
  });
});

describe('the load generator', () => {
  it('refuses anything but loopback', () => {
    expect(() => new LoadGenerator({ url: 'http://example.com', ratePerSecond: 10, maxSeconds: 1 })).toThrow(/only sends to loopback/);
  });

  it('refuses an unbounded rate', () => {
    expect(() => new LoadGenerator({ url: 'http://127.0.0.1:1', ratePerSecond: 500, maxSeconds: 1 })).toThrow(/ratePerSecond/);
  });
});
