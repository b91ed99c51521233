/**
 * The original build's evidence for a promotion PR, found from the AMI itself: its
 * `Ec2ImageBuilderArn` tag names the Image Builder image, whose scan findings and package
 * inventory (diffed against the AMI the wave ran before it) are what the patch PR showed.
 * Read-only; a missing tag or inventory is said in the body, never fatal: the soak is the gate.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';

import type { Deps } from '../deps';
import { errorMessage } from '../errors';
import { countScanFindings, renderFindings } from '../image-builder/findings';
import { getImage } from '../image-builder/image';
import { comparePackagesWithPreviousAmi } from '../image-builder/package-diff';
import { findImageBuilderImageOfAmi } from '../image-builder/previous-image';

export interface BuildEvidence {
  imageArn?: string;
  /** Markdown: findings, then the package diff; or why they are not available. */
  markdown: string;
}

export async function readBuildEvidence(amiId: string, previousAmiId: string | undefined, deps: Deps<{ ec2: EC2Client; imageBuilder: ImagebuilderClient }>): Promise<BuildEvidence> {
  const found = await findImageBuilderImageOfAmi(amiId, deps.clients.ec2);
  if ('reason' in found) return { markdown: `**Build evidence:** not available: ${found.reason}.` };
  const { imageArn } = found;
  const parts = [`**Image:** \`${imageArn}\``];
  try {
    const image = await getImage(deps.clients.imageBuilder, imageArn);
    parts.push(renderFindings(await countScanFindings(image, imageArn, deps), 'none'));
  } catch (error) {
    parts.push(`**Scan findings:** not available: ${errorMessage(error)}.`);
  }
  if (previousAmiId && previousAmiId !== amiId) parts.push((await comparePackagesWithPreviousAmi({ previousAmiId, amiId, imageArn }, deps)).markdown);
  else parts.push('**Packages:** no earlier AMI in the wave to diff against.');
  return { imageArn, markdown: parts.join('\n\n') };
}
