/**
 * The package inventory of each stand-in build. Real Image Builder reports what SSM Inventory
 * found on the build instance; the stand-in builds nothing, so it derives a believable, stable
 * inventory from the build number: build 1 is the fixture, and every later build upgrades some
 * packages and adds one, so that package diffs between two builds always show something.
 */
import fixture from './fixtures/base-packages.json';

/** One row of ListImagePackages (the API's own shape). */
export interface ImagePackage {
  packageName: string;
  packageVersion: string;
}

export interface InventoryRules {
  base: readonly ImagePackage[];
  /** Packages that appear one per build from build 2 on, in this order. */
  additions: readonly ImagePackage[];
  /** Packages that must be upgraded in build `n` (e.g. the fix of a scan finding). */
  forcedUpgrades: (buildNumber: number) => readonly string[];
}

export const FIXTURE_RULES: Omit<InventoryRules, 'forcedUpgrades'> = {
  base: fixture.packages,
  additions: fixture.additions,
};

/** FNV-1a: a tiny stable hash, so "which packages does build n upgrade" never changes between runs. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** About one package in five is upgraded per build: enough for a diff, few enough to read. */
const UPGRADE_ONE_IN = 5;

/**
 * A new release of the same upstream version, as Amazon Linux numbers rebuilds:
 * "8.7p1-8.amzn2023.0.7" → "8.7p1-8.amzn2023.0.8", and "2.4.58-1.amzn2023" → "2.4.58-1.amzn2023.0.1".
 */
export function bumpRelease(version: string): string {
  if (/amzn\d+$/.test(version)) return `${version}.0.1`;
  return version.replace(/(\d+)(?!.*\d)/, (last) => String(Number(last) + 1));
}

/** The inventory of build `buildNumber` (1-based), sorted by package name. */
export function inventoryForBuild(buildNumber: number, rules: InventoryRules): ImagePackage[] {
  const versions = new Map(rules.base.map((p) => [p.packageName, p.packageVersion]));
  for (let build = 2; build <= buildNumber; build += 1) {
    const forced = new Set(rules.forcedUpgrades(build));
    for (const [name, version] of versions) {
      if (forced.has(name) || hash(`${name}#${build}`) % UPGRADE_ONE_IN === 0) versions.set(name, bumpRelease(version));
    }
    const added = rules.additions[(build - 2) % rules.additions.length];
    // Past the end of the additions list, a build adds a numbered extra so the "one added" rule holds.
    const name = build - 2 < rules.additions.length ? added.packageName : `${added.packageName}-extra${build}`;
    if (!versions.has(name)) versions.set(name, added.packageVersion);
  }
  return [...versions]
    .map(([packageName, packageVersion]) => ({ packageName, packageVersion }))
    .sort((a, b) => a.packageName.localeCompare(b.packageName));
}
