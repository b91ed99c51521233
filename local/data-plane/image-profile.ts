/**
 * What an AMI puts on an instance of the local data plane: its package database (what `rpm -qa`
 * lists on it) and whether the Image Builder stand-in spoiled it. An AMI the stand-in built is
 * found by its Ec2ImageBuilderArn tag (as Image Builder tags its AMIs); its packages are that
 * build's inventory (ListImagePackages, the real API); whether it is spoiled comes from the
 * stand-in's control API (nothing in the Image Builder API tells, as on AWS). Any other AMI (the
 * Amazon Linux base image) gets the stand-in's base inventory and is never spoiled.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { paginateListImagePackages, type ImagebuilderClient } from '@aws-sdk/client-imagebuilder';

import type { StandinControl } from '../imagebuilder-standin/client';
import type { RpmPackage } from './app-pages';

export interface ImageProfile {
  packages: RpmPackage[];
  spoiled: boolean;
  /** Where the profile came from, for the log. */
  source: string;
}

export interface ImageProfileDeps {
  /** Absent: every AMI gets the base inventory, none is spoiled. */
  imageBuilder?: { client: ImagebuilderClient; standin: StandinControl };
}

const BASE_PACKAGES = join(__dirname, '..', 'imagebuilder-standin', 'fixtures', 'base-packages.json');

/** Returns a lookup that asks once per AMI (an AMI never changes). */
export function createImageProfiles(deps: ImageProfileDeps): (amiId: string, ec2: EC2Client) => Promise<ImageProfile> {
  const known = new Map<string, Promise<ImageProfile>>();
  // AMI IDs are unique across regions: the one EC2 that knows it (the instance's region's) is asked.
  return (amiId, ec2) => {
    let profile = known.get(amiId);
    if (!profile) {
      profile = readProfile(amiId, ec2, deps);
      known.set(amiId, profile);
      // A failed lookup (moto busy) is asked again next time rather than remembered.
      profile.catch(() => known.delete(amiId));
    }
    return profile;
  };
}

async function readProfile(amiId: string, ec2: EC2Client, deps: ImageProfileDeps): Promise<ImageProfile> {
  const { Images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }));
  const buildArn = Images[0]?.Tags?.find((t) => t.Key === 'Ec2ImageBuilderArn')?.Value;
  if (!buildArn || !deps.imageBuilder) return { packages: basePackages(), spoiled: false, source: 'base inventory (not an Image Builder AMI)' };
  const packages: RpmPackage[] = [];
  for await (const page of paginateListImagePackages({ client: deps.imageBuilder.client }, { imageBuildVersionArn: buildArn })) {
    for (const p of page.imagePackageList ?? []) packages.push(toRpm(p.packageName ?? '', p.packageVersion ?? ''));
  }
  const build = (await deps.imageBuilder.standin.state()).builds.find((b) => b.arn === buildArn);
  return { packages, spoiled: build?.spoiled ?? false, source: `inventory of ${buildArn}` };
}

function basePackages(): RpmPackage[] {
  const fixture = JSON.parse(readFileSync(BASE_PACKAGES, 'utf8')) as { packages: { packageName: string; packageVersion: string }[] };
  return fixture.packages.map((p) => toRpm(p.packageName, p.packageVersion));
}

/** "2.4.62-1.amzn2023" → version 2.4.62, release 1.amzn2023. Image Builder's inventory has no arch; x86_64 is the fleet's. */
function toRpm(name: string, versionRelease: string): RpmPackage {
  const cut = versionRelease.lastIndexOf('-');
  return cut < 0
    ? { name, version: versionRelease, release: '0', arch: 'x86_64' }
    : { name, version: versionRelease.slice(0, cut), release: versionRelease.slice(cut + 1), arch: 'x86_64' };
}
