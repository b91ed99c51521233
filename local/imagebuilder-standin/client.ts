/**
 * A typed client for the stand-in's control API (control.ts), used by the integration harness
 * and the local cycle.
 */
import type { PipelineOptions, PipelineRecord, StandinConfig } from './store';

export interface StandinState {
  config: StandinConfig;
  pipelines: PipelineRecord[];
  builds: { arn: string; pipelineArn: string; buildNumber: number; status: string; reason?: string; ami?: { imageId: string; name: string }; spoiled: boolean }[];
}

export interface StandinControl {
  registerPipeline(arn: string, options?: PipelineOptions): Promise<PipelineRecord>;
  /** Merges into the configuration; a key given as undefined or null is cleared (e.g. `failNext: undefined`). */
  configure(changes: { [K in keyof StandinConfig]?: StandinConfig[K] | null }): Promise<StandinConfig>;
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
      // undefined becomes null so that `configure({ failNext: undefined })` clears the knob instead of vanishing from the JSON.
      body: body === undefined ? undefined : JSON.stringify(body, (_key, value: unknown) => (value === undefined ? null : value)),
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
