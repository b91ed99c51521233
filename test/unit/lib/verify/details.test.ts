import { DetailsJsonError, parseDetailsJson } from '../../../../actions/lib/verify/details';

describe('parseDetailsJson', () => {
  it.each([
    ['the contract fields', '{"amiId":"ami-0123456789abcdef0","instanceId":"i-0123456789abcdef0","packageCount":412}', { amiId: 'ami-0123456789abcdef0', instanceId: 'i-0123456789abcdef0', packageCount: 412 }],
    ['8-digit IDs, extra fields ignored', '{"amiId":"ami-12345678","instanceId":"i-12345678","region":"us-east-1"}', { amiId: 'ami-12345678', instanceId: 'i-12345678' }],
    ['whitespace and a trailing newline (what PHP echo gives)', '{ "amiId": "ami-12345678", "instanceId": "i-12345678" }\n', { amiId: 'ami-12345678', instanceId: 'i-12345678' }],
  ])('reads %s', (_name, text, expected) => {
    expect(parseDetailsJson(text)).toEqual(expected);
  });

  it.each([
    ['an HTML error page', '<html><body>502 Bad Gateway</body></html>', /^details\.json is not JSON: "<html><body>502 Bad Gateway<\/body><\/html>"$/],
    ['an empty body', '', /not JSON: ""/],
    ['a long non-JSON body, quoted short', 'x'.repeat(500), /not JSON: "x{80}…"$/],
    ['JSON null', 'null', /expected a JSON object, got null/],
    ['a JSON array', '[]', /expected a JSON object, got array/],
    ['missing fields', '{}', /amiId is missing; instanceId is missing/],
    ['an empty AMI (IMDS call failed)', '{"amiId":"","instanceId":"i-12345678"}', /amiId must be an AMI ID/],
    ['a made-up instance ID', '{"amiId":"ami-12345678","instanceId":"localhost"}', /instanceId must be an instance ID/],
    ['a package count as a string', '{"amiId":"ami-12345678","instanceId":"i-12345678","packageCount":"3"}', /packageCount must be a number/],
    ['a negative package count', '{"amiId":"ami-12345678","instanceId":"i-12345678","packageCount":-1}', /packageCount must not be negative/],
  ])('rejects %s with DetailsJsonError', (_name, text, message) => {
    expect(() => parseDetailsJson(text)).toThrow(DetailsJsonError);
    expect(() => parseDetailsJson(text)).toThrow(message);
  });
});
