/**
 * The Image Builder operations the stand-in serves, with the real method, path, field names,
 * validation (ARN patterns, maxResults 1-25, clientToken length) and error types of the API
 * reference, so a client that is wrong about the API fails here as it would on AWS.
 */
import { imageSummaryView, imageView, iso, recipeArn } from './api-shapes';
import { FINDING_FIXTURES, findingsForBuild, forcedUpgrades } from './findings';
import { FIXTURE_RULES, inventoryForBuild } from './inventory';
import { ApiError, type ApiRequest, type Route } from './protocol';
import { IMAGE_BUILD_ARN, paginate, PIPELINE_ARN, requireString, SCAN_FILTERS } from './request-checks';
import type { StandinStore } from './store';
import { workflowExecutions } from './workflows';

const INVENTORY_RULES = { ...FIXTURE_RULES, forcedUpgrades: forcedUpgrades(FINDING_FIXTURES) };

export function createRoutes(store: StandinStore, log: (line: string) => void): Route[] {
  const note = (request: ApiRequest, text: string) => log(`STAND-IN imagebuilder: ${request.operation} ${text}`);

  return [
    {
      method: 'PUT',
      path: '/StartImagePipelineExecution',
      operation: 'StartImagePipelineExecution',
      async handle(request) {
        const pipelineArn = requireString(request.body.imagePipelineArn, 'imagePipelineArn', PIPELINE_ARN);
        const clientToken = requireString(request.body.clientToken, 'clientToken', undefined, 64);
        const tags = (request.body.tags ?? {}) as Record<string, string>;
        const { build, replayed } = store.startBuild(pipelineArn, clientToken, tags);
        note(
          request,
          replayed
            ? `${pipelineArn}: client token ${clientToken} seen before → same image ${build.arn}, no new build`
            : `${pipelineArn} → started ${build.arn} (plan: ${build.plan.outcome}, ${build.buildMs / 1000} s)`,
        );
        return { clientToken, imageBuildVersionArn: build.arn };
      },
    },
    {
      method: 'GET',
      path: '/GetImage',
      operation: 'GetImage',
      async handle(request) {
        const arn = requireString(request.query.get('imageBuildVersionArn') ?? undefined, 'imageBuildVersionArn', IMAGE_BUILD_ARN);
        const build = store.build(arn);
        const observed = await store.observe(build);
        note(request, `${arn} → ${observed.status}${build.ami && observed.status === 'AVAILABLE' ? ` (${build.ami.imageId})` : ''}`);
        return { image: imageView(build, store.pipeline(build.pipelineArn), observed) };
      },
    },
    {
      method: 'GET',
      path: '/GetImagePipeline',
      operation: 'GetImagePipeline',
      async handle(request) {
        const arn = requireString(request.query.get('imagePipelineArn') ?? undefined, 'imagePipelineArn', PIPELINE_ARN);
        const pipeline = store.pipeline(arn);
        const builds = [...store.builds.values()].filter((b) => b.pipelineArn === arn);
        const last = builds.at(-1);
        note(request, arn);
        return {
          imagePipeline: {
            arn,
            name: pipeline.name,
            description: 'Registered with the EC2 Image Builder stand-in (local mode).',
            platform: 'Linux',
            enhancedImageMetadataEnabled: true,
            imageRecipeArn: recipeArn(pipeline),
            imageTestsConfiguration: { imageTestsEnabled: true, timeoutMinutes: 720 },
            status: 'ENABLED',
            dateCreated: iso(pipeline.createdMs),
            dateUpdated: iso(pipeline.createdMs),
            ...(pipeline.lastRunMs !== undefined ? { dateLastRun: iso(pipeline.lastRunMs) } : {}),
            ...(last ? { lastRunStatus: (await store.observe(last)).status } : {}),
            imageScanningConfiguration: { imageScanningEnabled: true },
            tags: {},
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/ListImagePipelineImages',
      operation: 'ListImagePipelineImages',
      async handle(request) {
        const arn = requireString(request.body.imagePipelineArn, 'imagePipelineArn', PIPELINE_ARN);
        if (Array.isArray(request.body.filters) && request.body.filters.length > 0) {
          throw new ApiError('InvalidRequestException', 'STAND-IN: ListImagePipelineImages filters are not implemented by the stand-in.');
        }
        const pipeline = store.pipeline(arn);
        const builds = [...store.builds.values()].filter((b) => b.pipelineArn === arn);
        const { page, nextToken } = paginate(builds, request.body, `images:${arn}`);
        const imageSummaryList = [];
        for (const build of page) imageSummaryList.push(imageSummaryView(build, pipeline, await store.observe(build)));
        note(request, `${arn} → ${imageSummaryList.length} image(s)`);
        return { imageSummaryList, ...(nextToken ? { nextToken } : {}) };
      },
    },
    {
      method: 'POST',
      path: '/ListImagePackages',
      operation: 'ListImagePackages',
      async handle(request) {
        const arn = requireString(request.body.imageBuildVersionArn, 'imageBuildVersionArn', IMAGE_BUILD_ARN);
        const build = store.build(arn);
        // SSM Inventory is collected during the build; until the image is AVAILABLE there is none.
        const available = (await store.observe(build)).status === 'AVAILABLE';
        const packages = available ? inventoryForBuild(build.buildNumber, INVENTORY_RULES) : [];
        const { page, nextToken } = paginate(packages, request.body, `packages:${arn}`);
        note(request, `${arn} → ${page.length} of ${packages.length} package(s)`);
        return { imagePackageList: page, ...(nextToken ? { nextToken } : {}) };
      },
    },
    {
      method: 'POST',
      path: '/ListImageScanFindings',
      operation: 'ListImageScanFindings',
      async handle(request) {
        const filters = (request.body.filters ?? []) as { name?: string; values?: string[] }[];
        for (const filter of filters) {
          if (!filter.name || !SCAN_FILTERS.includes(filter.name)) {
            throw new ApiError('InvalidParameterValueException', `The value supplied for parameter 'filters' is not valid. Filter name '${filter.name}' is not one of ${SCAN_FILTERS.join(', ')}.`);
          }
        }
        const all: Record<string, unknown>[] = [];
        for (const build of store.builds.values()) {
          if ((await store.observe(build)).status !== 'AVAILABLE') continue;
          const pipeline = store.pipeline(build.pipelineArn);
          const context = {
            accountId: pipeline.accountId,
            imageBuildVersionArn: build.arn,
            imagePipelineArn: pipeline.arn,
            buildNumber: build.buildNumber,
            scannedAtMs: build.ami?.mintedMs ?? build.startedMs,
          };
          all.push(...findingsForBuild(context, FINDING_FIXTURES, FIXTURE_RULES));
        }
        const field = (finding: Record<string, unknown>, name: string) =>
          name === 'vulnerabilityId' ? (finding.packageVulnerabilityDetails as { vulnerabilityId: string }).vulnerabilityId : String(finding[name]);
        const matching = all.filter((finding) => filters.every((f) => (f.values ?? []).includes(field(finding, f.name as string))));
        const { page, nextToken } = paginate(matching, request.body, `findings:${JSON.stringify(filters)}`);
        note(request, `${JSON.stringify(filters)} → ${page.length} of ${matching.length} finding(s)`);
        return { findings: page, ...(nextToken ? { nextToken } : {}) };
      },
    },
    {
      method: 'POST',
      path: '/ListWorkflowExecutions',
      operation: 'ListWorkflowExecutions',
      async handle(request) {
        const arn = requireString(request.body.imageBuildVersionArn, 'imageBuildVersionArn', IMAGE_BUILD_ARN);
        const build = store.build(arn);
        const executions = workflowExecutions(build, await store.observe(build), store.pipeline(build.pipelineArn).region);
        const { page, nextToken } = paginate(executions, request.body, `workflows:${arn}`);
        note(request, `${arn} → ${executions.map((e) => `${e.type} ${e.status}`).join(', ') || 'none yet'}`);
        return {
          imageBuildVersionArn: arn,
          workflowExecutions: page.map(({ steps, ...execution }) => ({
            ...execution,
            totalStepCount: steps.length,
            totalStepsSucceeded: steps.filter((s) => s.status === 'COMPLETED').length,
            totalStepsFailed: steps.filter((s) => s.status === 'FAILED').length,
            totalStepsSkipped: steps.filter((s) => s.status === 'SKIPPED').length,
          })),
          ...(nextToken ? { nextToken } : {}),
        };
      },
    },
    {
      method: 'POST',
      path: '/ListWorkflowStepExecutions',
      operation: 'ListWorkflowStepExecutions',
      async handle(request) {
        const executionId = requireString(request.body.workflowExecutionId, 'workflowExecutionId', /^wf-[a-z0-9]{8}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{12}$/);
        for (const build of store.builds.values()) {
          const executions = workflowExecutions(build, await store.observe(build), store.pipeline(build.pipelineArn).region);
          const execution = executions.find((e) => e.workflowExecutionId === executionId);
          if (!execution) continue;
          const { page, nextToken } = paginate(execution.steps, request.body, `steps:${executionId}`);
          note(request, `${executionId} → ${page.map((s) => `${s.name} ${s.status}`).join(', ')}`);
          return {
            workflowBuildVersionArn: execution.workflowBuildVersionArn,
            workflowExecutionId: executionId,
            imageBuildVersionArn: build.arn,
            steps: page,
            ...(nextToken ? { nextToken } : {}),
          };
        }
        throw new ApiError('ResourceNotFoundException', `The workflow execution '${executionId}' does not exist.`);
      },
    },
    {
      method: 'PUT',
      path: '/CancelImageCreation',
      operation: 'CancelImageCreation',
      async handle(request) {
        const arn = requireString(request.body.imageBuildVersionArn, 'imageBuildVersionArn', IMAGE_BUILD_ARN);
        const clientToken = requireString(request.body.clientToken, 'clientToken', undefined, 64);
        await store.cancel(store.build(arn));
        note(request, `${arn} → CANCELLED`);
        return { clientToken, imageBuildVersionArn: arn };
      },
    },
  ];
}
