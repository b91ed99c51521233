import type { Image } from '@aws-sdk/client-ec2';

import type { AmiChange } from '../../../../actions/lib/gitops/ami-history';
import { failbackTargets, planRetirement, type EnvironmentHistory } from '../../../../actions/lib/lifecycle/retirement-plan';
import { parseRevocations } from '../../../../actions/lib/parameters';

const AMI = (n: number) => `ami-${String(n).padStart(17, '0')}`;
const NOW = Date.UTC(2026, 5, 1);
const daysAgo = (days: number) => new Date(NOW - days * 86_400_000).toISOString();
const change = (n: number): AmiChange => ({ commit: `c${n}`, date: daysAgo(n), author: 'a', subject: `to ${n}`, amiId: AMI(n) });
const image = (n: number, ageDays: number, tags: Record<string, string> = {}): Image => ({
  ImageId: AMI(n),
  Name: `patch-${n}`,
  CreationDate: daysAgo(ageDays),
  Tags: [{ Key: 'Ec2ImageBuilderArn', Value: `arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.0/${n}` }, ...Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))],
});
const NO_REVOCATIONS = parseRevocations('{"revocations": []}', 'parameters/revoked.json');
const LIMITS = { keepFailbackAmis: 2, retireAfterDays: 30 };

/** dev: 1 → 2 → 3 → 2 (a failback) → 4 → 5 (HEAD); prod: 1 → 3 (HEAD). */
const DEV: EnvironmentHistory = { name: 'dev', region: 'us-east-1', history: [5, 4, 2, 3, 2, 1].map(change) };
const PROD: EnvironmentHistory = { name: 'prod', region: 'us-east-1', history: [3, 1].map(change) };

const plan = (overrides: Partial<Parameters<typeof planRetirement>[0]> = {}) =>
  planRetirement({
    region: 'us-east-1',
    environments: [DEV, PROD],
    limits: LIMITS,
    revocations: NO_REVOCATIONS,
    images: [1, 2, 3, 4, 5, 6, 7].map((n) => image(n, 100 - n)),
    runningAmis: new Map(),
    nowMs: NOW,
    ...overrides,
  });

describe('failbackTargets', () => {
  it('is HEAD plus the K distinct AMIs before it, newest first', () => {
    expect(failbackTargets(DEV.history, 2)).toEqual([AMI(5), AMI(4), AMI(2)]);
    expect(failbackTargets(DEV.history, 3)).toEqual([AMI(5), AMI(4), AMI(2), AMI(3)]);
    expect(failbackTargets(PROD.history, 5)).toEqual([AMI(3), AMI(1)]);
  });
});

describe('planRetirement', () => {
  it('keeps every failback target of every environment and proposes the rest past the age limit', () => {
    const result = plan();
    expect(result.retirable.map((r) => r.amiId)).toEqual([AMI(6), AMI(7)]);
    const kept = Object.fromEntries(result.kept.map((k) => [k.amiId, k.reasons]));
    expect(kept[AMI(5)]).toEqual(['dev runs it (HEAD)']);
    expect(kept[AMI(2)]).toEqual(['dev can fail back to it (2 of 2 before HEAD)']);
    expect(kept[AMI(3)]).toEqual(['prod runs it (HEAD)']);
    expect(kept[AMI(1)]).toEqual(['prod can fail back to it (1 of 2 before HEAD)']);
  });

  it.each([1, 2, 3, 4, 5])('never proposes a failback target: with K = %i, every target of every environment is kept', (keep) => {
    const result = plan({ limits: { keepFailbackAmis: keep, retireAfterDays: 0 } });
    const targets = [DEV, PROD].flatMap((e) => failbackTargets(e.history, keep));
    for (const amiId of targets) expect(result.retirable.map((r) => r.amiId)).not.toContain(amiId);
    for (const amiId of targets) expect(result.kept.find((k) => k.amiId === amiId)?.failbackTarget).toBe(true);
  });

  it('keeps a revoked AMI as evidence, an AMI an instance runs, and a young AMI, saying why', () => {
    const revocations = parseRevocations(JSON.stringify({ revocations: [{ imageArn: 'arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.0/6', reason: 'poisoned mirror', revokedBy: 'sec', revokedAt: '2026-05-01T00:00:00Z' }] }), 'parameters/revoked.json');
    const result = plan({
      revocations,
      runningAmis: new Map([[AMI(7), ['i-0123456789abcdef0']]]),
      images: [image(6, 90), image(7, 90), image(8, 3)],
      environments: [],
    });
    expect(result.retirable).toEqual([]);
    expect(result.kept.map((k) => [k.amiId, k.reasons])).toEqual([
      [AMI(6), ['revoked: kept as evidence (poisoned mirror)']],
      [AMI(7), ['instance i-0123456789abcdef0 runs it']],
      [AMI(8), ['younger than 30 days (3)']],
    ]);
  });

  it('looks at one region only, and names failback targets that are not pipeline images there', () => {
    const result = plan({ region: 'eu-west-1' });
    expect(result.kept.filter((k) => k.failbackTarget)).toEqual([]);
    expect(result.missingFailbackTargets).toEqual([]);
    const gone = plan({ images: [image(6, 90)] });
    expect(gone.missingFailbackTargets.sort()).toEqual([AMI(1), AMI(2), AMI(3), AMI(4), AMI(5)]);
  });
});
