import { FINDING_FIXTURES, findingsForBuild, forcedUpgrades, isOpenInBuild } from '../../../local/imagebuilder-standin/findings';
import { bumpRelease, FIXTURE_RULES, inventoryForBuild, type ImagePackage } from '../../../local/imagebuilder-standin/inventory';

const rules = { ...FIXTURE_RULES, forcedUpgrades: forcedUpgrades(FINDING_FIXTURES) };
const asMap = (packages: ImagePackage[]) => new Map(packages.map((p) => [p.packageName, p.packageVersion]));

describe('stand-in package inventory', () => {
  it('build 1 is the fixture', () => {
    expect(inventoryForBuild(1, rules)).toHaveLength(FIXTURE_RULES.base.length);
  });

  it.each([2, 3, 4, 12, 13])('build %i upgrades some packages and adds exactly one', (build) => {
    const before = asMap(inventoryForBuild(build - 1, rules));
    const after = asMap(inventoryForBuild(build, rules));
    const added = [...after.keys()].filter((name) => !before.has(name));
    const upgraded = [...before.keys()].filter((name) => after.get(name) !== before.get(name));
    expect(added).toHaveLength(1);
    expect(upgraded.length).toBeGreaterThan(0);
    expect(upgraded.length).toBeLessThan(before.size / 2);
    expect([...before.keys()].every((name) => after.has(name))).toBe(true);
  });

  it('is the same every time (stable diffs across runs)', () => {
    expect(inventoryForBuild(5, rules)).toEqual(inventoryForBuild(5, rules));
  });

  it('upgrades the package of every finding in the build that fixes it', () => {
    for (const finding of FINDING_FIXTURES.filter((f) => f.fixedInBuild !== null)) {
      const build = finding.fixedInBuild as number;
      const before = asMap(inventoryForBuild(build - 1, rules)).get(finding.packageName);
      const after = asMap(inventoryForBuild(build, rules)).get(finding.packageName);
      expect(before).toBeDefined();
      expect(after).not.toBe(before);
    }
  });

  it.each([
    ['8.7p1-8.amzn2023.0.7', '8.7p1-8.amzn2023.0.8'],
    ['2.4.58-1.amzn2023', '2.4.58-1.amzn2023.0.1'],
    ['2023.6.20241010-0.amzn2023.0.1', '2023.6.20241010-0.amzn2023.0.2'],
    ['608-1.amzn2023.0.2', '608-1.amzn2023.0.3'],
  ])('bumpRelease(%s) = %s', (version, expected) => {
    expect(bumpRelease(version)).toBe(expected);
  });
});

describe('stand-in scan findings', () => {
  const context = (buildNumber: number) => ({
    accountId: '123456789012',
    imageBuildVersionArn: `arn:aws:imagebuilder:us-east-1:123456789012:image/patch-dev-app/1.0.0/${buildNumber}`,
    imagePipelineArn: 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/patch-dev-app',
    buildNumber,
    scannedAtMs: 0,
  });
  const ids = (buildNumber: number) =>
    findingsForBuild(context(buildNumber), FINDING_FIXTURES, FIXTURE_RULES).map((f) => (f.packageVulnerabilityDetails as { vulnerabilityId: string }).vulnerabilityId);

  it('build 2 fixes some CVEs of build 1 and introduces one, so a patch shows a real delta', () => {
    const [first, second] = [new Set(ids(1)), new Set(ids(2))];
    expect([...first].filter((id) => !second.has(id)).sort()).toEqual(['CVE-2023-38545', 'CVE-2023-39615', 'CVE-2023-4911', 'CVE-2024-6387']);
    expect([...second].filter((id) => !first.has(id))).toEqual(['CVE-2024-2398']);
    expect([...second].filter((id) => first.has(id))).toHaveLength(7);
  });

  it('upgrades the package in the build that introduces a finding', () => {
    for (const finding of FINDING_FIXTURES.filter((f) => f.introducedInBuild !== undefined)) {
      const build = finding.introducedInBuild as number;
      expect(asMap(inventoryForBuild(build, rules)).get(finding.packageName)).not.toBe(asMap(inventoryForBuild(build - 1, rules)).get(finding.packageName));
      expect(isOpenInBuild(finding, build - 1)).toBe(false);
      expect(isOpenInBuild(finding, build)).toBe(true);
    }
  });
});
