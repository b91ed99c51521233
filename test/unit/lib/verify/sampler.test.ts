import { VirtualClock } from '../../../../actions/lib/clock';
import { detailsUrl, formatSampleLine, sampleEverySecond, sampleFor, summariseSamples, takeSample } from '../../../../actions/lib/verify/sampler';
import { BLUE_AMI, connectionRefused, detailsBody, fakeFetch, GREEN_AMI } from './fixtures';

const URL = 'http://alb.example/details.json';

describe('takeSample', () => {
  it.each([
    ['a good details.json', { body: detailsBody() }, { status: 200, amiId: GREEN_AMI, instanceId: 'i-00000000000000001' }],
    ['a 503 from the ALB', { status: 503, body: '<html>503</html>' }, { status: 503, error: 'HTTP 503' }],
    ['a redirect that ended in a 404', { status: 404 }, { status: 404, error: 'HTTP 404' }],
    ['a 200 with an HTML body', { body: '<html>It works!</html>' }, { status: 200, error: expect.stringMatching(/^details\.json is not JSON/) }],
    ['a refused connection', { throws: connectionRefused() }, { error: 'ECONNREFUSED' }],
    ['a timeout', { throws: Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }) }, { error: 'timed out after 2000 ms' }],
    ['a cause without a code', { throws: Object.assign(new TypeError('fetch failed'), { cause: new Error('other side closed') }) }, { error: 'other side closed' }],
    ['a thrown non-Error', { throws: 'boom' as unknown as Error }, { error: 'boom' }],
  ])('records %s', async (_name, answer, expected) => {
    const clock = new VirtualClock();
    const { fetch } = fakeFetch(clock, () => ({ latencyMs: 40, ...answer }));
    const sample = await takeSample(URL, { fetch, clock });
    expect(sample).toEqual({ at: Date.UTC(2026, 0, 1), latencyMs: 40, ...expected });
  });

  it('asks for a fresh answer with a per-request timeout signal', async () => {
    const clock = new VirtualClock();
    const { fetch, calls } = fakeFetch(clock);
    await takeSample(URL, { fetch, clock }, 750);
    expect(calls[0].init.headers['cache-control']).toBe('no-cache');
    expect(calls[0].init.signal).toBeInstanceOf(AbortSignal);
    expect(calls[0].init.redirect).toBe('follow');
  });
});

describe('sampleEverySecond', () => {
  it('skips ticks missed by a slow answer instead of bursting to catch up', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const { fetch } = fakeFetch(clock, (n) => ({ body: detailsBody(), latencyMs: n === 1 ? 2_500 : 10 }));
    const samples = await sampleFor(URL, 8, { fetch, clock });
    expect(samples.map((s) => s.at - start)).toEqual([0, 1_000, 4_000, 5_000, 6_000, 7_000]);
  });

  it('sends the next request at once when an answer takes exactly one interval', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const { fetch } = fakeFetch(clock, () => ({ body: detailsBody(), latencyMs: 1_000 }));
    const at: number[] = [];
    await sampleEverySecond({ url: URL, shouldContinue: (tick) => tick < start + 3_000, onSample: (s) => at.push(s.at - start) }, { fetch, clock });
    expect(at).toEqual([0, 1_000, 2_000]);
    expect(clock.sleeps).toEqual([]);
  });

  it('takes no sample when told to stop before the first tick', async () => {
    const clock = new VirtualClock();
    const { fetch, calls } = fakeFetch(clock);
    expect(await sampleFor(URL, 0, { fetch, clock })).toEqual([]);
    expect(calls).toHaveLength(0);
  });
});

describe('summariseSamples', () => {
  it('counts errors and the AMIs that answered, in order of first appearance', () => {
    const s = (amiId?: string, error?: string) => ({ at: 0, latencyMs: 1, amiId, error });
    expect(summariseSamples([s(BLUE_AMI), s(undefined, 'HTTP 502'), s(GREEN_AMI), s(BLUE_AMI), s(GREEN_AMI)])).toEqual({
      samples: 5,
      errors: 1,
      errorRate: 0.2,
      servedAmis: [
        { amiId: BLUE_AMI, samples: 2 },
        { amiId: GREEN_AMI, samples: 2 },
      ],
    });
    expect(summariseSamples([])).toEqual({ samples: 0, errors: 0, errorRate: 0, servedAmis: [] });
  });
});

describe('formatting', () => {
  it.each([
    [{ at: 0, status: 200, latencyMs: 63, amiId: GREEN_AMI, instanceId: 'i-00000000000000001' }, `1970-01-01T00:00:00.000Z  200     63 ms  ${GREEN_AMI}  i-00000000000000001`],
    [{ at: 1_000, status: 502, latencyMs: 4, error: 'HTTP 502' }, '1970-01-01T00:00:01.000Z  502      4 ms  error: HTTP 502'],
    [{ at: 2_000, latencyMs: 2000, error: 'timed out after 2000 ms' }, '1970-01-01T00:00:02.000Z  ---   2000 ms  error: timed out after 2000 ms'],
  ])('prints one line per sample', (sample, line) => {
    expect(formatSampleLine(sample)).toBe(line);
  });

  it.each([
    ['http://alb', '/details.json', 'http://alb/details.json'],
    ['http://alb/', '/details.json', 'http://alb/details.json'],
    ['https://app.example.com/shop//', '/details.json?x=1', 'https://app.example.com/shop/details.json?x=1'],
  ])('joins %s and %s', (base, path, expected) => {
    expect(detailsUrl(base, path)).toBe(expected);
  });
});
