/**
 * The ELBv2 API as the local data plane's load balancer sees it: a pass-through to moto for every
 * call, except that DescribeTargetHealth answers with the health the load balancer stand-in
 * measured (its real HTTP health checks) instead of moto's, which calls every registered target
 * healthy (docs/moto.md #6), and lists targets still draining after moto forgot them. On AWS
 * the same service that checks health answers DescribeTargetHealth; this puts the two back
 * together. Clients reach it through the SDK's standard AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2,
 * so the actions need no local branch.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { TargetHealth } from './health';

/** The SDK's per-service endpoint variable for Elastic Load Balancing v2 (serviceId "Elastic Load Balancing v2"). */
export const ELBV2_ENDPOINT_VARIABLE = 'AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2';

export interface HealthSource {
  healthOf(targetGroupArn: string, id: string, port: number): TargetHealth;
  drainingTargets(targetGroupArn: string): { id: string; port: number }[];
}

export interface Elbv2Front {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startElbv2Front(motoEndpoint: string, health: HealthSource): Promise<Elbv2Front> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name))) as Record<string, string>;
        const answer = await fetch(`${motoEndpoint}${req.url ?? '/'}`, { method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body });
        let text = await answer.text();
        const params = new URLSearchParams(req.method === 'GET' ? (req.url ?? '').split('?')[1] ?? '' : body);
        if (answer.ok && params.get('Action') === 'DescribeTargetHealth') text = overlayTargetHealth(text, params, health);
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml', 'x-standin': 'local-data-plane-elbv2-front' }).end(text);
      } catch (error) {
        res.writeHead(502, { 'content-type': 'text/plain' }).end(`local data plane ELBv2 front could not reach moto: ${error instanceof Error ? error.message : String(error)}`);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

const MEMBER = /<member><Target><Id>([^<]*)<\/Id>(?:<Port>(\d+)<\/Port>)?(?:<AvailabilityZone>[^<]*<\/AvailabilityZone>)?<\/Target>([\s\S]*?)<TargetHealth>[\s\S]*?<\/TargetHealth>([\s\S]*?)<\/member>/g;

/**
 * Rewrites moto's DescribeTargetHealth XML: each member's TargetHealth becomes the stand-in's,
 * and (when the call asked for every target) draining targets moto no longer lists are added.
 */
export function overlayTargetHealth(xml: string, params: URLSearchParams, health: HealthSource): string {
  const targetGroupArn = params.get('TargetGroupArn') ?? '';
  const listed = new Set<string>();
  let rewritten = xml.replace(MEMBER, (_match, id: string, port: string | undefined, between: string, after: string) => {
    const targetPort = Number(port ?? 80);
    listed.add(`${id}|${targetPort}`);
    return `<member><Target><Id>${id}</Id><Port>${targetPort}</Port></Target>${between}${targetHealthXml(health.healthOf(targetGroupArn, id, targetPort))}${after}</member>`;
  });
  const askedForSome = [...params.keys()].some((k) => k.startsWith('Targets.member.'));
  if (!askedForSome) {
    const extra = health
      .drainingTargets(targetGroupArn)
      .filter((t) => !listed.has(`${t.id}|${t.port}`))
      .map((t) => `<member><Target><Id>${t.id}</Id><Port>${t.port}</Port></Target><HealthCheckPort>traffic-port</HealthCheckPort>${targetHealthXml(health.healthOf(targetGroupArn, t.id, t.port))}</member>`)
      .join('');
    if (extra) {
      rewritten = rewritten.includes('<TargetHealthDescriptions/>')
        ? rewritten.replace('<TargetHealthDescriptions/>', `<TargetHealthDescriptions>${extra}</TargetHealthDescriptions>`)
        : rewritten.replace('</TargetHealthDescriptions>', `${extra}</TargetHealthDescriptions>`);
    }
  }
  return rewritten;
}

function targetHealthXml(health: TargetHealth): string {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<TargetHealth><State>${health.state}</State>${health.reason ? `<Reason>${health.reason}</Reason>` : ''}${health.description ? `<Description>${escape(health.description)}</Description>` : ''}</TargetHealth>`;
}
