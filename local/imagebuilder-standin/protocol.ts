/**
 * Image Builder's wire protocol, REST-JSON (as the SDK's schema in
 * @aws-sdk/client-imagebuilder/dist-cjs/schemas/schemas_0.js describes it): each operation is a
 * fixed method + path, input in the query string (GET) or a JSON body (PUT/POST), output a JSON
 * body, and errors a status code plus `x-amzn-errortype` and `{"message": ...}`, which the SDK
 * turns into its exception classes.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { GarbledBody } from './store';

/** The error types the stand-in answers with, and their HTTP status as the SDK's model declares it. */
export const ERROR_STATUS = {
  InvalidRequestException: 400,
  InvalidParameterValueException: 400,
  InvalidPaginationTokenException: 400,
  IdempotentParameterMismatchException: 400,
  ResourceInUseException: 400,
  ResourceNotFoundException: 404,
  CallRateLimitExceededException: 429,
  ServiceException: 500,
  // Not in the model: what an AWS REST endpoint answers for a path it does not serve.
  UnknownOperationException: 404,
} as const;
export type ErrorType = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  constructor(
    readonly type: ErrorType,
    message: string,
  ) {
    super(message);
  }
  get status(): number {
    return ERROR_STATUS[this.type];
  }
}

export interface ApiRequest {
  operation: string;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  operation: string;
  handle(request: ApiRequest): Promise<Record<string, unknown>>;
}

/** Reads a request body as a JSON object (an empty body is `{}`). */
export async function readJsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError('InvalidRequestException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiError('InvalidRequestException', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    // Anyone reading raw responses (curl, a proxy log) sees who answered.
    'x-standin': 'ec2-image-builder-standin',
    ...headers,
  });
  response.end(text);
}

export interface DispatchHooks {
  /** Called before each known operation; may throw an ApiError (injected throttling). */
  beforeOperation?(operation: string): void;
  /** FAULT INJECTION: a body to answer the operation with instead of its answer (store.consumeGarble). */
  garbledAnswer?(operation: string): GarbledBody | undefined;
  log(line: string): void;
}

/** The bodies of garbled answers: a proxy's error page, and an Image Builder answer cut short. */
const GARBLED: Record<GarbledBody, { contentType: string; body: string }> = {
  html: { contentType: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1><p>STAND-IN injected: a proxy answered instead of Image Builder.</p></body></html>' },
  'truncated-json': { contentType: 'application/json', body: '{"requestId":"standin-injected-truncated","image":{"arn":"arn:aws:imagebuilder:' },
};

/**
 * Serves `routes`: finds the route by method and path, parses the input, runs it, and writes the
 * answer (adding `requestId`, as every Image Builder output has) or the error in the AWS shape.
 */
export async function dispatch(routes: readonly Route[], hooks: DispatchHooks, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const url = new URL(request.url ?? '/', 'http://standin.local');
  const route = routes.find((r) => r.method === request.method && r.path === url.pathname);
  try {
    if (!route) {
      throw new ApiError('UnknownOperationException', `STAND-IN: ${request.method} ${url.pathname} is not an Image Builder operation the stand-in implements.`);
    }
    hooks.beforeOperation?.(route.operation);
    const garbled = hooks.garbledAnswer?.(route.operation);
    if (garbled) {
      hooks.log(`STAND-IN imagebuilder: ${route.operation} → a garbled answer (${garbled}), injected as told`);
      const { contentType, body } = GARBLED[garbled];
      response.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'x-standin': 'ec2-image-builder-standin' });
      response.end(body);
      return;
    }
    const body = request.method === 'GET' ? {} : await readJsonBody(request);
    const output = await route.handle({ operation: route.operation, query: url.searchParams, body });
    sendJson(response, 200, { requestId, ...output }, { 'x-amzn-requestid': requestId });
  } catch (error) {
    const apiError =
      error instanceof ApiError ? error : new ApiError('ServiceException', `STAND-IN internal error: ${error instanceof Error ? error.message : String(error)}`);
    hooks.log(`STAND-IN imagebuilder: ${route?.operation ?? `${request.method} ${url.pathname}`} → ${apiError.type}: ${apiError.message}`);
    sendJson(response, apiError.status, { message: apiError.message }, { 'x-amzn-requestid': requestId, 'x-amzn-errortype': apiError.type });
  }
}
