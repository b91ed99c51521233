import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InputError } from '../../../../actions/lib/errors';
import { validateFailbackRequest } from '../../../../actions/lib/gitops/failback-request';
import { parseEnvironments, type EnvironmentsConfig } from '../../../../actions/lib/parameters';
import { WIRING_JSON } from './git-fixture';

/** The real wiring file's shape, validated by the real parameters module against a scratch tree. */
function wiring(): { config: EnvironmentsConfig; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'failback-wiring-'));
  mkdirSync(join(root, 'parameters'));
  mkdirSync(join(root, 'templates'));
  for (const f of ['parameters/dev.json', 'parameters/prod.json', 'templates/app.yaml']) writeFileSync(join(root, f), '{}');
  return { config: parseEnvironments(WIRING_JSON, 'parameters/environments.json', root), remove: () => rmSync(root, { recursive: true, force: true }) };
}

describe('validateFailbackRequest', () => {
  const w = wiring();
  afterAll(() => w.remove());

  it('accepts a complete request and trims it', () => {
    const request = validateFailbackRequest({ environment: 'prod', targetAmi: ' ami-0123456789abcdef0 ', reason: '  5xx after patch  ', requestedBy: 'octo-cat' }, w.config);
    expect(request).toMatchObject({ targetAmiId: 'ami-0123456789abcdef0', reason: '5xx after patch', requestedBy: 'octo-cat' });
    expect(request.environment.stacks.app).toBe('patch-prod-app');
  });

  it('leaves the target to git history when it is empty', () => {
    expect(validateFailbackRequest({ environment: 'dev', targetAmi: '', reason: 'x' }, w.config).targetAmiId).toBeUndefined();
  });

  it.each([
    ['an unknown environment', { environment: 'prd', reason: 'x' }, /Unknown environment "prd".*Did you mean "prod"/],
    ['no environment', { reason: 'x' }, /environment is empty; use one of dev, prod/],
    ['a shell injection as target', { environment: 'dev', targetAmi: 'ami-1234$(curl evil)', reason: 'x' }, /target-ami "ami-1234\$\(curl evil\)" is not an AMI ID/],
    ['an upper-case AMI', { environment: 'dev', targetAmi: 'ami-0123456789ABCDEF0', reason: 'x' }, /is not an AMI ID/],
    ['no reason', { environment: 'dev', reason: '   ' }, /reason is empty/],
    ['a reason with a newline (a forged trailer)', { environment: 'dev', reason: 'ok\nSigned-off-by: ceo' }, /line break, control or invisible formatting character at character 3 \(U\+000A LINE FEED \(a line break\)\)/],
    ['a reason with an ANSI escape', { environment: 'dev', reason: 'ok \u001b[2K' }, /at character 4 \(U\+001B/],
    ['a reason with a right-to-left override', { environment: 'dev', reason: 'fix \u202etxt.exe' }, /at character 5 \(U\+202E RIGHT-TO-LEFT OVERRIDE\)/],
    ['a reason with a zero-width space', { environment: 'dev', reason: 'p99\u200b doubled' }, /at character 4 \(U\+200B ZERO WIDTH SPACE\)/],
    ['a target AMI with a Cyrillic letter', { environment: 'dev', targetAmi: 'ami-0123456789\u0430bcdef0', reason: 'x' }, /target-ami "ami-0123456789\\u0430bcdef0" \(character 15 is U\+0430 CYRILLIC SMALL LETTER A, not ASCII\) is not an AMI ID/],
    ['a reason that is too long', { environment: 'dev', reason: 'x'.repeat(201) }, /reason is 201 characters; keep it to 200/],
    ['a requester that is not a login', { environment: 'dev', reason: 'x', requestedBy: 'a b' }, /requested-by "a b" is not a GitHub login/],
  ])('rejects %s', (_name, raw, message) => {
    expect(() => validateFailbackRequest(raw, w.config)).toThrow(InputError);
    expect(() => validateFailbackRequest(raw, w.config)).toThrow(message);
  });

  it('reports every problem at once', () => {
    expect(() => validateFailbackRequest({ environment: 'qa', targetAmi: 'nope', reason: '' }, w.config)).toThrow(
      /Unknown environment "qa".*; target-ami "nope" is not an AMI ID.*; reason is empty.*Fix the inputs and run the workflow again\./,
    );
  });

  it('accepts an app as requester', () => {
    expect(validateFailbackRequest({ environment: 'dev', reason: 'x', requestedBy: 'dependabot[bot]' }, w.config).requestedBy).toBe('dependabot[bot]');
  });
});
