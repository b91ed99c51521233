/**
 * AWS's time from its answers' Date header: a real SDK client, built by createAwsClients as the
 * actions build it, against a loopback HTTP server that answers DescribeImages with a Date header
 * of our choosing (no aws-sdk-client-mock here, so the middleware runs as it does on a runner).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { DescribeImagesCommand } from '@aws-sdk/client-ec2';

import { AwsClock, describeDuration, MAX_CLOCK_SKEW_MS } from '../../../../actions/lib/aws/aws-clock';
import { createAwsClients } from '../../../../actions/lib/aws/clients';
import { VirtualClock } from '../../../../actions/lib/clock';
import { AwsOperationError } from '../../../../actions/lib/errors';

const DAY = 86_400_000;
const EMPTY_IMAGES = '<?xml version="1.0" encoding="UTF-8"?><DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><imagesSet/></DescribeImagesResponse>';

/** An EC2 endpoint on 127.0.0.1 whose Date header is the real time moved by `awsAheadMs()`. */
async function ec2Endpoint(awsAheadMs: () => number): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'Content-Type': 'text/xml', Date: new Date(Date.now() + awsAheadMs()).toUTCString() });
      response.end(EMPTY_IMAGES);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('createAwsClients: AWS time from the Date header', () => {
  let endpoint: { url: string; server: Server };
  let ahead = 0;
  const saved = { ...process.env };
  beforeAll(async () => {
    endpoint = await ec2Endpoint(() => ahead);
  });
  afterAll(async () => {
    process.env = saved;
    await new Promise((resolve) => endpoint.server.close(resolve));
  });
  beforeEach(() => {
    process.env.AWS_ENDPOINT_URL_EC2 = endpoint.url;
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
  });

  it('knows no time before an answer, and AWS time after one', async () => {
    ahead = 0;
    const { ec2, awsClock } = createAwsClients({ region: 'us-east-1' });
    expect(() => awsClock.now('the deprecation time of ami-1')).toThrow(/no answer from AWS carried a Date header yet/);
    await ec2.send(new DescribeImagesCommand({}));
    // The header has a resolution of one second.
    expect(Math.abs(awsClock.now('the deprecation time of ami-1') - Date.now())).toBeLessThan(2_000);
  });

  it('follows AWS when the runner is a little off, and fails closed past the tolerance, saying both times and the skew', async () => {
    ahead = 3 * 60_000;
    const { ec2, awsClock } = createAwsClients({ region: 'us-east-1' });
    await ec2.send(new DescribeImagesCommand({}));
    expect(Math.abs(awsClock.now('x') - (Date.now() + 3 * 60_000))).toBeLessThan(2_000);

    ahead = 2 * DAY;
    await ec2.send(new DescribeImagesCommand({}));
    const error = (() => {
      try {
        awsClock.now('the deprecation time of ami-0bbbbbbbbbbbbbbb2');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error).toMatchObject({ status: 'CLOCK_SKEW' });
    // Both in whole seconds (the runner's real clock has milliseconds; a Date header has none).
    expect((error as Error).message).toMatch(
      /^Time check failed for the deprecation time of ami-0bbbbbbbbbbbbbbb2: the runner's clock said \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ when AWS's answer was dated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; the runner is 2 days 0 h 0 min behind AWS, more than the 5 minutes tolerated\..*Fix the runner's clock \(NTP\), then run again\.$/,
    );
  });
});

describe('AwsClock', () => {
  it('moves AWS time on with the runner clock between answers', () => {
    const runner = new VirtualClock(Date.UTC(2026, 11, 1, 12));
    const clock = new AwsClock(runner);
    clock.observe(new Date(Date.UTC(2026, 11, 1, 12, 2)).toUTCString());
    runner.advance(60_000);
    expect(clock.now('x')).toBe(Date.UTC(2026, 11, 1, 12, 3));
  });

  it.each([
    [MAX_CLOCK_SKEW_MS, true],
    [MAX_CLOCK_SKEW_MS + 1_000, false],
    [-(MAX_CLOCK_SKEW_MS + 1_000), false],
  ])('a skew of %i ms is judged: %s', (skew, judged) => {
    const runner = new VirtualClock(Date.UTC(2026, 11, 1, 12));
    const clock = new AwsClock(runner);
    clock.observe(new Date(runner.now() + skew).toUTCString());
    if (judged) expect(clock.now('x')).toBe(runner.now() + skew);
    else expect(() => clock.now('x')).toThrow(skew < 0 ? /ahead of AWS/ : /behind AWS/);
  });

  it('ignores an answer without a readable Date header', () => {
    const clock = new AwsClock(new VirtualClock());
    clock.observe('not a date');
    clock.observe(undefined);
    expect(() => clock.now('x')).toThrow(/no answer from AWS carried a Date header yet/);
  });

  it('says a skew in words', () => {
    expect(describeDuration(2 * DAY + 3 * 60_000)).toBe('2 days 0 h 3 min');
    expect(describeDuration(7 * 60_000 + 30_000)).toBe('7 min 30 s');
  });
});
