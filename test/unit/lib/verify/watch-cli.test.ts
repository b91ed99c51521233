import { VirtualClock } from '../../../../actions/lib/clock';
import { InputError } from '../../../../actions/lib/errors';
import { parseWatchArgs, runWatch, WatchTally } from '../../../../actions/lib/verify/watch-cli';
import { BLUE_AMI, detailsBody, fakeFetch, GREEN_AMI } from './fixtures';

describe('parseWatchArgs', () => {
  it.each([
    [['http://alb.example'], { url: 'http://alb.example', path: '/details.json', seconds: 0, timeoutMs: 2000 }],
    [['patch-dev-app-1.us-east-1.elb.amazonaws.com'], { url: 'http://patch-dev-app-1.us-east-1.elb.amazonaws.com', path: '/details.json', seconds: 0, timeoutMs: 2000 }],
    [['https://app.example.com', '--path', '/d.json', '--seconds', '30', '--timeout-ms', '500'], { url: 'https://app.example.com', path: '/d.json', seconds: 30, timeoutMs: 500 }],
    [['--path=/x', 'http://127.0.0.1:8080'], { url: 'http://127.0.0.1:8080', path: '/x', seconds: 0, timeoutMs: 2000 }],
  ])('reads %j', (argv, expected) => {
    expect(parseWatchArgs(argv)).toEqual(expected);
  });

  it('returns undefined for --help', () => {
    expect(parseWatchArgs(['--help'])).toBeUndefined();
    expect(parseWatchArgs(['-h'])).toBeUndefined();
  });

  it.each([
    [[], /exactly one URL, got 0/],
    [['http://a', 'http://b'], /exactly one URL, got 2/],
    [['ftp://alb'], /not an http\(s\) URL/],
    [['http://exa mple'], /is not a URL/],
    [['http://alb', '--path', 'details.json'], /--path "details.json" must start with "\/"/],
    [['http://alb', '--seconds=-3'], /--seconds "-3" must be a whole number of at least 0/],
    [['http://alb', '--timeout-ms', '0'], /--timeout-ms "0" must be a whole number of at least 1/],
    [['http://alb', '--verbose'], /Unknown option '--verbose'/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseWatchArgs(argv)).toThrow(InputError);
    expect(() => parseWatchArgs(argv)).toThrow(message);
  });
});

describe('runWatch', () => {
  it('prints one line per second and tallies samples, errors and AMIs', async () => {
    const clock = new VirtualClock();
    const { fetch, calls } = fakeFetch(clock, (n) => (n === 2 ? { status: 502 } : { body: detailsBody(n < 3 ? BLUE_AMI : GREEN_AMI) }));
    const lines: string[] = [];
    const tally = new WatchTally();
    await runWatch({ url: 'http://alb/', path: '/details.json', seconds: 5, timeoutMs: 2000 }, tally, { fetch, clock, write: (l) => lines.push(l) });
    expect(calls.map((c) => c.url)).toEqual(Array(5).fill('http://alb/details.json'));
    expect(lines).toEqual([
      'Watching http://alb/details.json once a second for 5 s; Ctrl-C stops.',
      `2026-01-01T00:00:00.000Z  200     12 ms  ${BLUE_AMI}  i-00000000000000001`,
      `2026-01-01T00:00:01.000Z  200     12 ms  ${BLUE_AMI}  i-00000000000000001`,
      '2026-01-01T00:00:02.000Z  502     12 ms  error: HTTP 502',
      `2026-01-01T00:00:03.000Z  200     12 ms  ${GREEN_AMI}  i-00000000000000001`,
      `2026-01-01T00:00:04.000Z  200     12 ms  ${GREEN_AMI}  i-00000000000000001`,
    ]);
    expect(tally.summaryLine()).toBe(`5 samples, 1 error (20.0 %), AMIs seen: ${BLUE_AMI} (2), ${GREEN_AMI} (2)`);
    expect(tally.errors).toBe(1);
  });

  it('summarises an empty watch', () => {
    expect(new WatchTally().summaryLine()).toBe('0 samples, 0 errors (0.0 %), AMIs seen: none');
  });
});
