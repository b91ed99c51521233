import { readInputs } from '../../../../actions/lib/action/runtime';
import { InputError } from '../../../../actions/lib/errors';
import { VERIFY_ALB_INPUT_NAMES, verifyAlbInputSchema } from '../../../../actions/lib/verify/inputs';

const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/patch-dev-app/0123456789abcdef';
const base = { 'stack-name': 'patch-dev-app', 'expected-ami-id': 'ami-0123456789abcdef0' };

/** Parses through readInputs, the way main.ts does: empty strings mean absent. */
function read(raw: Record<string, string>) {
  return readInputs(verifyAlbInputSchema, VERIFY_ALB_INPUT_NAMES, (name) => raw[name] ?? '');
}

describe('verify-alb inputs', () => {
  it('applies the documented defaults', () => {
    expect(read(base)).toEqual({
      stackName: 'patch-dev-app',
      targetGroupArn: undefined,
      expectedAmiId: 'ami-0123456789abcdef0',
      url: undefined,
      path: '/details.json',
      watchSeconds: 60,
      maxErrorRate: 0,
      timeoutMinutes: 10,
      region: undefined,
    });
  });

  it.each([
    ['a target group ARN without a stack, with watch-seconds 0', { 'expected-ami-id': 'ami-12345678', 'target-group-arn': TG, 'watch-seconds': '0' }],
    ['a target group ARN and a url', { 'expected-ami-id': 'ami-12345678', 'target-group-arn': TG, url: 'https://app.example.com' }],
    ['a stack ARN', { ...base, 'stack-name': 'arn:aws:cloudformation:us-east-1:123456789012:stack/patch-dev-app/2f3c4d5e-0000-1111-2222-333344445555' }],
    ['the limits', { ...base, 'watch-seconds': '3600', 'max-error-rate': '1', 'timeout-minutes': '120' }],
    ['the other limits', { ...base, 'watch-seconds': '0', 'max-error-rate': '0', 'timeout-minutes': '1' }],
  ])('accepts %s', (_name, raw) => {
    expect(() => read(raw)).not.toThrow();
  });

  it.each([
    ['neither stack-name nor target-group-arn', { 'expected-ami-id': 'ami-12345678' }, /input "stack-name": stack-name or target-group-arn is required/],
    ['no expected-ami-id', { 'stack-name': 'app' }, /input "expected-ami-id"/],
    ['a malformed AMI', { ...base, 'expected-ami-id': 'ami-XYZ' }, /input "expected-ami-id" = "ami-XYZ": must be an AMI ID/],
    ['a stack name with a space', { ...base, 'stack-name': 'my app' }, /input "stack-name" = "my app": must be a CloudFormation stack name/],
    ['a load balancer ARN as target group', { ...base, 'target-group-arn': 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/0123456789abcdef' }, /input "target-group-arn".*must be a target group ARN/],
    ['an ftp url', { ...base, url: 'ftp://example.com' }, /input "url" = "ftp:\/\/example.com": must be an http:\/\/ or https:\/\/ URL/],
    ['a javascript: url', { ...base, url: 'javascript:alert(1)' }, /input "url"/],
    ['a relative path', { ...base, path: 'details.json' }, /input "path" = "details.json": must be a URL path starting with "\/"/],
    ['watch-seconds above an hour', { ...base, 'watch-seconds': '3601' }, /input "watch-seconds" = "3601": must be at most 3600 seconds/],
    ['negative watch-seconds', { ...base, 'watch-seconds': '-1' }, /input "watch-seconds" = "-1": must be a whole number of seconds/],
    ['hex watch-seconds', { ...base, 'watch-seconds': '0x3' }, /input "watch-seconds" = "0x3": must be a whole number of seconds/],
    ['exponent watch-seconds', { ...base, 'watch-seconds': '1e3' }, /must be a whole number of seconds/],
    ['exponent error rate', { ...base, 'max-error-rate': '1e-2' }, /input "max-error-rate" = "1e-2": must be a number between 0 and 1, written with digits/],
    ['fractional watch-seconds', { ...base, 'watch-seconds': '1.5' }, /must be a whole number of seconds/],
    ['a percentage as error rate', { ...base, 'max-error-rate': '5' }, /input "max-error-rate" = "5": must be between 0 and 1/],
    ['a word as error rate', { ...base, 'max-error-rate': 'none' }, /input "max-error-rate" = "none": must be a number/],
    ['timeout-minutes 0', { ...base, 'timeout-minutes': '0' }, /input "timeout-minutes" = "0": must be at least 1 minutes/],
    ['timeout-minutes above two hours', { ...base, 'timeout-minutes': '121' }, /must be at most 120 minutes/],
    ['a target group without a url while watching', { 'expected-ami-id': 'ami-12345678', 'target-group-arn': TG }, /input "url": url is required when target-group-arn is given without stack-name/],
  ])('rejects %s, naming the input', (_name, raw, message) => {
    expect(() => read(raw)).toThrow(InputError);
    expect(() => read(raw)).toThrow(message);
  });

  it('names every bad input at once', () => {
    expect(() => read({ ...base, 'watch-seconds': 'x', 'max-error-rate': '2' })).toThrow(/watch-seconds.*; input "max-error-rate"/);
  });
});
