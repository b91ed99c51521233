import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InputError } from '../../../actions/lib/errors';
import { assertNotRevoked, findRevocation, loadRevocations, parseRevocations, RevokedAmiError, revokedAmiIds } from '../../../actions/lib/parameters';

const FILE = 'parameters/revoked.json';
const IMAGE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.0/7';
const list = (...revocations: object[]) => JSON.stringify({ $schema: './revoked.schema.json', revocations }, null, 2);
const entry = (over: object = {}) => ({ amiId: 'ami-0123456789abcdef0', reason: 'CVE-2026-1234 in openssl: remote code execution', revokedBy: 'octocat', revokedAt: '2026-11-30T14:05:00Z', ...over });

describe('parseRevocations', () => {
  it('reads AMI and image entries with the line of each', () => {
    const parsed = parseRevocations(list(entry(), { imageArn: IMAGE_ARN, reason: 'built from a poisoned mirror', revokedBy: 'sec-team', revokedAt: '2026-11-29T08:00Z' }), FILE);
    expect(parsed.present).toBe(true);
    expect(parsed.revocations.map((r) => [r.amiId ?? r.imageArn, r.line])).toEqual([
      ['ami-0123456789abcdef0', 4],
      [IMAGE_ARN, 10],
    ]);
    expect([...revokedAmiIds(parsed)]).toEqual(['ami-0123456789abcdef0']);
  });

  it.each([
    ['neither an AMI nor an image', entry({ amiId: undefined }), /line 4: the entry names neither an amiId nor an imageArn\. Set exactly one/],
    ['both an AMI and an image', entry({ imageArn: IMAGE_ARN }), /line 4: the entry names both an amiId and an imageArn/],
    ['a bad AMI ID', entry({ amiId: 'ami-XYZ' }), /amiId = "ami-XYZ" must match pattern/],
    ['a reason on two lines', entry({ reason: 'one\ntwo' }), /reason = "one\\u000atwo" \(character 4 is U\+000A LINE FEED \(a line break\), not ASCII\) must match pattern/],
    ['an empty reason', entry({ reason: '' }), /reason = "" must NOT have fewer than 1 characters/],
    ['no revokedBy', entry({ revokedBy: undefined }), /revocations\.0 is missing "revokedBy"/],
    ['a date without a zone', entry({ revokedAt: '2026-11-30 14:05' }), /revokedAt = "2026-11-30 14:05" must match pattern/],
    ['an unknown key', entry({ ticket: 'SEC-1' }), /unknown key "ticket"/],
  ])('refuses %s, naming the file, the line and the fix', (_name, bad, message) => {
    let error: unknown;
    try {
      parseRevocations(list(bad), FILE);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/^Revocation list invalid for parameters\/revoked\.json: /);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses the same AMI revoked twice', () => {
    expect(() => parseRevocations(list(entry(), entry({ reason: 'again' })), FILE)).toThrow(/line 10: "ami-0123456789abcdef0" is revoked twice \(first on line 4\)\. Keep one entry\./);
  });
});

describe('loadRevocations', () => {
  it('treats a repository without the file as having revoked nothing', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'revoked-')), 'revoked.json');
    await expect(loadRevocations(missing)).resolves.toEqual({ file: missing, present: false, revocations: [] });
  });

  it('refuses a file that exists but is empty, rather than letting everything through', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'revoked-')), 'revoked.json');
    writeFileSync(file, '');
    await expect(loadRevocations(file)).rejects.toThrow(/the file is empty/);
  });
});

describe('assertNotRevoked', () => {
  const revoked = parseRevocations(list(entry(), { imageArn: IMAGE_ARN, reason: 'poisoned mirror', revokedBy: 'sec-team', revokedAt: '2026-11-29T08:00:00Z' }), FILE);

  it('refuses a revoked AMI with the reason, who, when and where', () => {
    expect(() => assertNotRevoked(revoked, { amiId: 'ami-0123456789abcdef0' }, 'Deploy of patch-dev-app', 'revoked in commit abc123')).toThrow(
      new RevokedAmiError(
        'Deploy of patch-dev-app refused for ami-0123456789abcdef0: it is revoked by @octocat at 2026-11-30T14:05:00Z (parameters/revoked.json line 4): CVE-2026-1234 in openssl: remote code execution; revoked in commit abc123. Pick an AMI that is not revoked; if the revocation was a mistake, remove its entry from parameters/revoked.json in a reviewed pull request.',
        'ami-0123456789abcdef0',
        revoked.revocations[0],
      ),
    );
  });

  it('matches an image revocation through the AMI’s image ARN', () => {
    expect(findRevocation(revoked, { amiId: 'ami-0aaaaaaaaaaaaaaaa', imageArn: IMAGE_ARN })?.reason).toBe('poisoned mirror');
    expect(findRevocation(revoked, { amiId: 'ami-0aaaaaaaaaaaaaaaa' })).toBeUndefined();
    expect(() => assertNotRevoked(revoked, { amiId: 'ami-0bbbbbbbbbbbbbbbb', imageArn: IMAGE_ARN.replace(/7$/, '8') }, 'x')).not.toThrow();
  });
});
