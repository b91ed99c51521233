/**
 * Image Builder ARNs: the shapes build-ami accepts, and the parts of them it needs (region, account).
 * Checked before any AWS call, so a typo fails in milliseconds with a fix instead of as a
 * ResourceNotFoundException after the runner has assumed a role.
 */

// Partitions: aws, aws-cn, aws-us-gov, aws-iso*. Names: Image Builder lower-cases resource names in
// ARNs; we accept mixed case anyway and let the service be the judge of existence.
const PREFIX = String.raw`^arn:(aws[a-z-]*):imagebuilder:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}):(\d{12}):`;

export const PIPELINE_ARN_PATTERN = new RegExp(`${PREFIX}image-pipeline/[A-Za-z0-9._-]{1,128}$`);

/**
 * An image *build version* ARN: `.../image/<recipe>/<x.y.z>/<build>`. The build number matters: the
 * version ARN without it names every build of that version, and GetImage on it is not one build.
 */
export const IMAGE_BUILD_VERSION_ARN_PATTERN = new RegExp(`${PREFIX}image/[A-Za-z0-9._-]{1,128}/\\d+\\.\\d+\\.\\d+/\\d+$`);

export interface ArnParts {
  partition: string;
  region: string;
  account: string;
}

/** The partition, region and account of an Image Builder ARN that matched one of the patterns above. */
export function parseImageBuilderArn(arn: string): ArnParts {
  const match = new RegExp(PREFIX).exec(arn);
  if (!match) throw new Error(`Not an Image Builder ARN: ${arn}`);
  return { partition: match[1], region: match[2], account: match[3] };
}
