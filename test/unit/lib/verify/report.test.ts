import type { FleetEvaluation } from '../../../../actions/lib/verify/evaluate-fleet';
import { failureMessage, MAX_SAMPLE_ROWS, pickSampleRows, renderVerifyReport } from '../../../../actions/lib/verify/report';
import { type Sample, summariseSamples } from '../../../../actions/lib/verify/sampler';
import type { VerifyAlbReport } from '../../../../actions/lib/verify/verify-alb';
import { BLUE_AMI, BLUE_ASG, GREEN_AMI, GREEN_ASG, STACK, TG_ARN, URL_BASE } from './fixtures';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function fleet(overrides: Partial<FleetEvaluation> = {}): FleetEvaluation {
  return {
    status: 'pass',
    rows: [
      { id: 'i-00000000000000001', health: 'healthy', instanceState: 'running', imageId: GREEN_AMI, autoScalingGroupName: GREEN_ASG, inCurrentGroup: true, verdict: 'ok', issues: [] },
      { id: 'i-0000000000000000b', health: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress', instanceState: 'shutting-down', imageId: BLUE_AMI, autoScalingGroupName: BLUE_ASG, inCurrentGroup: false, verdict: 'leaving', issues: [] },
    ],
    healthyTargets: 1,
    totalTargets: 1,
    drainingTargets: 1,
    autoScalingGroupName: GREEN_ASG,
    desiredCapacity: 1,
    currentInstances: new Map([['i-00000000000000001', GREEN_AMI]]),
    problems: [],
    ...overrides,
  };
}

function samples(n: number, at: (i: number) => Partial<Sample> = () => ({})): Sample[] {
  return Array.from({ length: n }, (_, i) => ({ at: T0 + i * 1_000, status: 200, latencyMs: 7, amiId: GREEN_AMI, instanceId: 'i-00000000000000001', ...at(i) }));
}

function report(overrides: Partial<VerifyAlbReport> = {}, taken: Sample[] = samples(3)): VerifyAlbReport {
  return {
    healthy: true,
    failures: [],
    expectedAmiId: GREEN_AMI,
    target: { targetGroupArn: TG_ARN, url: URL_BASE, stackName: STACK, stackStatus: 'UPDATE_COMPLETE', autoScalingGroup: { kind: 'stack-resource', stackName: STACK } },
    fleet: fleet(),
    waitedMs: 12_400,
    http: { url: `${URL_BASE}/details.json`, watchSeconds: 3, maxErrorRate: 0, samples: taken, summary: summariseSamples(taken) },
    ...overrides,
  };
}

describe('renderVerifyReport', () => {
  it('renders heading, facts, targets, timeline and samples for a healthy fleet', () => {
    const md = renderVerifyReport(report());
    expect(md).toMatch(/^## verify-alb: ✅ healthy\n\n\*\*1 of 1 target healthy, on `ami-0123456789abcdef0`; 3 responses in 3 s, 0 errors, every response came from `ami-0123456789abcdef0`\.\*\*\n\n\| Field \| Value \|/);
    expect(md).toContain(`| Stack | \`${STACK}\` (UPDATE_COMPLETE) |`);
    expect(md).toContain(`| Target group | \`${TG_ARN}\` |`);
    expect(md).toContain(`| Auto Scaling group | \`${GREEN_ASG}\` (desired 1) |`);
    expect(md).toContain('| Healthy targets | 1 of 1 (+1 draining, ignored) |');
    expect(md).toContain('| Waited for targets | 12 s |');
    expect(md).toContain(`| HTTP watch | ${URL_BASE}/details.json, 3 samples over 3 s |`);
    expect(md).toContain('| Error rate | 0 % (0 errors; max 0 %) |');
    expect(md).toContain(`| Served AMIs | \`${GREEN_AMI}\` (3) |`);
    expect(md).toContain(`| i-0000000000000000b | draining | Target.DeregistrationInProgress: Target deregistration is in progress | shutting-down | \`${BLUE_AMI}\` | ${BLUE_ASG} | ↘ draining |`);
    expect(md).toContain(`| i-00000000000000001 | healthy |  | running | \`${GREEN_AMI}\` | ${GREEN_ASG} (current) | ✅ |`);
    expect(md).toContain('### Which AMI served\n\n```mermaid\ngantt');
    expect(md).toContain(`| 12:00:01.000 | 200 | 7 | \`${GREEN_AMI}\` | i-00000000000000001 |  |`);
    expect(md).not.toContain('<details>');
    expect(md).not.toContain('Why it is not healthy');
  });

  it('lists the failures, marks wrong AMIs and collapses a long sample table', () => {
    const taken = samples(12, (i) => (i === 4 ? { amiId: BLUE_AMI } : i === 5 ? { status: 502, amiId: undefined, instanceId: undefined, error: 'HTTP 502' } : {}));
    const md = renderVerifyReport(report({ healthy: false, failures: ['1 of 12 samples were served by ami-0fedcba9876543210', 'HTTP error rate 8.33 %'] }, taken));
    expect(md).toMatch(/^## verify-alb: ❌ not healthy.*\n\n\*\*Not healthy on `ami-0123456789abcdef0`: 1 of 12 samples were served by `ami-0fedcba9876543210` \(and 1 more reason, below\)\.\*\*\n/);
    expect(md).toContain('### Why it is not healthy\n\n- 1 of 12 samples were served by ami-0fedcba9876543210\n- HTTP error rate 8.33 %');
    expect(md).toContain(`| ⚠️ \`${BLUE_AMI}\` |`);
    expect(md).toContain('| 12:00:05.000 | 502 | 7 |  |  | HTTP 502 |');
    expect(md).toContain('<details><summary>12 samples</summary>');
  });

  it('says why the watch was skipped and draws no timeline', () => {
    const md = renderVerifyReport(report({ http: { watchSeconds: 0, maxErrorRate: 0, samples: [], summary: summariseSamples([]), skipped: 'watch-seconds is 0: control-plane checks only' } }));
    expect(md).toContain('| HTTP watch | skipped: watch-seconds is 0: control-plane checks only |');
    expect(md).toContain('**1 of 1 target healthy, on `ami-0123456789abcdef0`; no HTTP watch (watch-seconds is 0: control-plane checks only).**');
    expect(md).not.toContain('mermaid');
    expect(md).not.toContain('### Samples');
    expect(md).not.toContain('Error rate');
  });

  it('says so when no target is registered', () => {
    expect(renderVerifyReport(report({ fleet: fleet({ rows: [], healthyTargets: 0, totalTargets: 0, drainingTargets: 0 }) }))).toContain('_No targets are registered in the target group._');
  });

  it('keeps AWS and web text from breaking the table or injecting HTML', () => {
    const hostile = fleet({
      status: 'wait',
      rows: [{ id: 'i-00000000000000001', health: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [500|502]\n<script>', inCurrentGroup: true, verdict: 'problem', issues: ['unhealthy'] }],
    });
    const md = renderVerifyReport(report({ fleet: hostile, failures: ['<img src=x>'] }));
    expect(md).toContain('Health checks failed with these codes: [500\\|502] &lt;script&gt;');
    expect(md).toContain('- &lt;img src=x&gt;');
  });

  it(`caps the sample table at ${MAX_SAMPLE_ROWS} rows, marking what it left out`, () => {
    const taken = samples(3600, (i) => (i === 1800 ? { error: 'HTTP 503', status: 503, amiId: undefined } : {}));
    const md = renderVerifyReport(report({}, taken));
    const rows = md.split('\n').filter((l) => /^\| \d\d:\d\d/.test(l));
    expect(rows).toHaveLength(MAX_SAMPLE_ROWS);
    expect(md).toContain('<details><summary>3600 samples, 200 shown: the first, every error, every AMI change, the last</summary>');
    expect(md).toContain('| … | 1603 samples omitted |');
    expect(md).toContain('| 12:30:00.000 | 503 |');
    expect(md).toContain('| 12:59:59.000 | 200 |');
  });
});

describe('pickSampleRows', () => {
  it('keeps the first rows, every error and AMI change, and the last row', () => {
    const taken = samples(1000, (i) => (i === 500 ? { error: 'HTTP 502', amiId: undefined } : i >= 700 ? { amiId: BLUE_AMI } : {}));
    const picked = pickSampleRows(taken, 10);
    expect(picked).toEqual([0, 1, 2, 3, 4, 5, 500, 501, 700, 999]);
  });

  it('keeps everything when it fits', () => {
    expect(pickSampleRows(samples(5), 10)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('failureMessage', () => {
  it('names the stack, the AMI, every failure and what to do', () => {
    expect(failureMessage(report({ healthy: false, failures: ['a', 'b'] }))).toBe(
      `Verification of ${STACK} on ${GREEN_AMI} failed: a; b. See the job summary for every target and sample; if the new AMI is at fault, run the failback workflow.`,
    );
  });
});
