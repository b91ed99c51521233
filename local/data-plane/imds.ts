/**
 * STAND-IN: an instance's metadata service (IMDS), IMDSv2 only, as on an instance whose launch
 * template sets HttpTokens=required: GETs are answered only with a token from
 * PUT /latest/api/token (401 otherwise). One per instance, so each instance's details page reports
 * its own instance ID and AMI. It models the token handshake and the few metadata paths the app
 * reads; not token expiry, the hop limit, or any other category.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface InstanceIdentity {
  instanceId: string;
  amiId: string;
  instanceType: string;
  availabilityZone: string;
}

export interface ImdsCall {
  method: string;
  path: string;
  token: string | undefined;
}

export class ImdsStandin {
  /** Every request, in order (tests read it to prove the IMDSv2 handshake). */
  readonly calls: ImdsCall[] = [];
  /** false: refuse tokens (an IMDS that is unreachable for tokens), to exercise the page's failure path. */
  acceptTokens = true;
  /** Added to every answer: makes a details request slow, e.g. to watch a draining target finish it. */
  delayMs = 0;
  /** The token the last successful PUT handed out. */
  lastIssued?: string;
  /** Base URL once started (what APP_IMDS_ENDPOINT takes). */
  url = '';
  private readonly issued = new Set<string>();
  private server?: Server;

  constructor(readonly identity: InstanceIdentity) {}

  /** Listens on a free loopback port; returns the base URL (what APP_IMDS_ENDPOINT takes). */
  async start(): Promise<string> {
    const server = createServer((req, res) => {
      setTimeout(() => this.handle(req, res), this.delayMs);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const token = req.headers['x-aws-ec2-metadata-token'] as string | undefined;
    this.calls.push({ method: req.method ?? '', path: req.url ?? '', token });
    const reply = (status: number, body = ''): void => void res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (!this.acceptTokens || !req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return reply(400);
      const issued = `token-${this.identity.instanceId}-${this.issued.size + 1}`;
      this.issued.add(issued);
      this.lastIssued = issued;
      return reply(200, issued);
    }
    if (req.method !== 'GET') return reply(405);
    if (!token || !this.issued.has(token)) return reply(401);
    const metadata: Record<string, string> = {
      '/latest/meta-data/ami-id': this.identity.amiId,
      '/latest/meta-data/instance-id': this.identity.instanceId,
      '/latest/meta-data/instance-type': this.identity.instanceType,
      '/latest/meta-data/placement/availability-zone': this.identity.availabilityZone,
    };
    const value = metadata[req.url ?? ''];
    return value === undefined ? reply(404) : reply(200, value);
  }
}
