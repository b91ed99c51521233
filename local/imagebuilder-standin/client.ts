/**
 * A typed client for the stand-in's control API (control.ts), used by the integration harness
 * and the local cycle.
 */
import type { PipelineOptions, PipelineRecord, StandinConfig } from './store';

export interface StandinState {
  config: StandinConfig;
  pipelines: PipelineRecord[];
  builds: { arn: string; pipelineArn: string; buildNumber: number; status: string; reason?: string; ami?: { imageId: string; name: string } }[];
}

export interface StandinControl {
  registerPipeline(arn: string, options?: PipelineOptions): Promise<PipelineRecord>;
  configure(changes: Partial<StandinConfig>): Promise<StandinConfig>;
  reset(): Promise<void>;
  state(): Promise<StandinState>;
}

/** `endpoint` may be a function, so a client can follow an endpoint that is only known later. */
export function createStandinControl(endpoint: string | (() => string)): StandinControl {
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const base = typeof endpoint === 'function' ? endpoint() : endpoint;
    const response = await fetch(`${base}/_standin/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await response.json()) as T & { message?: string };
    if (!response.ok) throw new Error(`Image Builder stand-in control ${method} ${path} failed (HTTP ${response.status}): ${answer.message}`);
    return answer;
  };
  return {
    registerPipeline: (arn, options = {}) => call('POST', 'pipelines', { ...options, arn }),
    configure: (changes) => call('POST', 'config', changes),
    reset: async () => {
      await call('POST', 'reset', {});
    },
    state: () => call('GET', 'state'),
  };
}
