import { FINDING_FIXTURES, forcedUpgrades } from '../../../local/imagebuilder-standin/findings';
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
