/**
 * The API shapes of a stand-in build (GetImage's Image, ListImagePipelineImages' ImageSummary).
 * Only what the stand-in knows; no invented infrastructure or distribution ARNs.
 */
import { isTerminal } from './lifecycle';
import type { BuildRecord, Observed, PipelineRecord } from './store';

export const iso = (ms: number) => new Date(ms).toISOString();

export function recipeArn(p: PipelineRecord): string {
  return `arn:aws:imagebuilder:${p.region}:${p.accountId}:image-recipe/${p.recipeName}/${p.recipeVersion}`;
}

function amis(build: BuildRecord, pipeline: PipelineRecord, observed: Observed): Record<string, unknown> {
  if (observed.status !== 'AVAILABLE' || !build.ami) return {};
  return {
    amis: [
      {
        region: pipeline.region,
        image: build.ami.imageId,
        name: build.ami.name,
        description: `${pipeline.recipeName} ${pipeline.recipeVersion}/${build.buildNumber}`,
        accountId: pipeline.distributionAccount,
      },
    ],
  };
}

function state(observed: Observed): Record<string, string> {
  return observed.reason ? { status: observed.status, reason: observed.reason } : { status: observed.status };
}

function scanState(observed: Observed): Record<string, string> {
  if (observed.status === 'AVAILABLE') return { status: 'COMPLETED' };
  return isTerminal(observed.status) ? { status: 'ABANDONED' } : { status: 'PENDING' };
}

/** GetImage's `image`. */
export function imageView(build: BuildRecord, pipeline: PipelineRecord, observed: Observed): Record<string, unknown> {
  return {
    arn: build.arn,
    type: 'AMI',
    name: pipeline.recipeName,
    version: `${pipeline.recipeVersion}/${build.buildNumber}`,
    platform: 'Linux',
    enhancedImageMetadataEnabled: true,
    osVersion: 'Amazon Linux 2023',
    state: state(observed),
    imageRecipe: {
      arn: recipeArn(pipeline),
      type: 'AMI',
      name: pipeline.recipeName,
      platform: 'Linux',
      owner: pipeline.accountId,
      version: pipeline.recipeVersion,
      components: [],
      parentImage: pipeline.parentImage,
      dateCreated: iso(pipeline.createdMs),
    },
    sourcePipelineName: pipeline.name,
    sourcePipelineArn: pipeline.arn,
    infrastructureConfiguration: { name: pipeline.name, instanceTypes: [pipeline.instanceType] },
    distributionConfiguration: {
      name: pipeline.name,
      distributions: [
        {
          region: pipeline.region,
          amiDistributionConfiguration: { name: `${pipeline.amiNamePrefix}-{{ imagebuilder:buildDate }}`, amiTags: pipeline.amiTags },
        },
      ],
      timeoutMinutes: 720,
    },
    imageTestsConfiguration: { imageTestsEnabled: true, timeoutMinutes: 720 },
    dateCreated: iso(build.startedMs),
    outputResources: amis(build, pipeline, observed),
    tags: build.tags,
    buildType: 'USER_INITIATED',
    imageSource: 'CUSTOM',
    scanState: scanState(observed),
    imageScanningConfiguration: { imageScanningEnabled: true },
  };
}

export function imageSummaryView(build: BuildRecord, pipeline: PipelineRecord, observed: Observed): Record<string, unknown> {
  return {
    arn: build.arn,
    name: pipeline.recipeName,
    type: 'AMI',
    version: `${pipeline.recipeVersion}/${build.buildNumber}`,
    platform: 'Linux',
    osVersion: 'Amazon Linux 2023',
    state: state(observed),
    owner: pipeline.accountId,
    dateCreated: iso(build.startedMs),
    outputResources: amis(build, pipeline, observed),
    tags: build.tags,
    buildType: 'USER_INITIATED',
    imageSource: 'CUSTOM',
  };
}

