/**
 * The stand-in's control API, on the same port under /_standin/ (a path no SDK operation uses):
 * tests and the local cycle register pipelines, set build timings, inject failures and reset.
 * Plain JSON in and out; errors are `{ "message": ... }` with status 400/404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { ApiError, readJsonBody, sendJson } from './protocol';
import type { PipelineOptions, StandinStore } from './store';

export const CONTROL_PREFIX = '/_standin/';

export async function handleControl(store: StandinStore, log: (line: string) => void, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://standin.local').pathname.slice(CONTROL_PREFIX.length);
  try {
    const body = request.method === 'GET' ? {} : await readJsonBody(request);
    const route = `${request.method} ${path}`;
    if (route === 'POST pipelines') {
      const { arn, ...options } = body as PipelineOptions & { arn?: string };
      const pipeline = await store.registerPipeline(String(arn ?? ''), options);
      log(`STAND-IN control: registered pipeline ${pipeline.arn} (parent image ${pipeline.parentImage})`);
      return sendJson(response, 200, pipeline);
    }
    if (route === 'POST config') {
      const config = store.configure(body as Parameters<StandinStore['configure']>[0]);
      log(`STAND-IN control: configured ${JSON.stringify(body)}`);
      return sendJson(response, 200, config);
    }
    if (route === 'POST reset') {
      store.reset();
      log('STAND-IN control: reset (pipelines, builds, client tokens and configuration forgotten)');
      return sendJson(response, 200, {});
    }
    if (route === 'GET state') {
      const builds = [];
      for (const build of store.builds.values()) {
        const observed = await store.observe(build);
        builds.push({ arn: build.arn, pipelineArn: build.pipelineArn, buildNumber: build.buildNumber, plan: build.plan, ami: build.ami, spoiled: build.spoiled ?? false, ...observed });
      }
      return sendJson(response, 200, { config: store.config, pipelines: [...store.pipelines.values()], builds });
    }
    sendJson(response, 404, { message: `STAND-IN control: no ${route} (try POST pipelines, POST config, POST reset, GET state).` });
  } catch (error) {
    const status = error instanceof ApiError ? 400 : 500;
    sendJson(response, status, { message: error instanceof Error ? error.message : String(error) });
  }
}
