/**
 * Fault catalogue, integration suite, whose clock (rows in test/unit/reliability/catalogue.ts):
 * the REAL update-app-stack bundle against moto, through a loopback proxy that moves the Date
 * header of every answer, as AWS's answers look to a runner whose clock is off.
 *
 * STAND-IN, labelled: moto has no image deprecation (no EnableImageDeprecation, no DeprecationTime
 * in DescribeImages), so the same proxy adds a <deprecationTime> to one AMI in DescribeImages
 * answers, as AWS reports an AMI its owner deprecated. What it models: AWS's clock and an AMI's
 * deprecation time as AWS states them. What it does not: anything else of AWS; every other byte of
 * every answer is moto's. The proxy notices when moto starts reporting a deprecation time itself.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { RegisterImageCommand } from '@aws-sdk/client-ec2';

import { runBundledAction, type ActionRun } from '../../../local/run-action';
import { diffSnapshots, snapshotStack } from '../../../local/stacks';
import { FAULTS, INTEGRATION_ROWS_ELSEWHERE } from '../../unit/reliability/catalogue';
import { createGitopsRepo, DEV_FILE, devParameters, type GitopsRepo } from '../../unit/reliability/support/repo';
import { deployAppFoundation, DEV_AMI_OWNERS, localBaseAmi, localClients, localEnv, useLocalAws } from '../harness';

useLocalAws();

const STACK = 'patch-dev-app';
const DAY = 86_400_000;
const MINUTE = 60_000;

/** How AWS's answers look to the runner: AWS's clock = the runner's + shiftMs; `deprecatedAt(awsNow)` for one AMI. */
interface SkewedAws {
  shiftMs: number;
  amiId?: string;
  deprecatedAt?: (awsNowMs: number) => number;
  /** Set when moto itself put a deprecationTime into an answer: the stand-in half is then no longer needed. */
  motoReportsDeprecation: boolean;
}

/** The loopback proxy: forwards every request to moto unchanged, and rewrites only the Date header (and, for one AMI, adds its deprecation time). */
function startSkewProxy(target: string, world: SkewedAws): Promise<Server> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (c: Buffer) => chunks.push(c));
          answer.on('end', () => {
            const awsNow = Date.now() + world.shiftMs;
            let text = Buffer.concat(chunks).toString('utf8');
            if (text.includes('<deprecationTime>')) world.motoReportsDeprecation = true;
            const { amiId, deprecatedAt } = world;
            if (amiId && deprecatedAt && text.includes('<DescribeImagesResponse')) {
              const at = new Date(deprecatedAt(awsNow)).toISOString().replace(/\.\d{3}Z$/, '.000Z');
              text = text.replace(`<imageId>${amiId}</imageId>`, `<imageId>${amiId}</imageId><deprecationTime>${at}</deprecationTime>`);
            }
            const headers = { ...answer.headers, date: new Date(awsNow).toUTCString(), 'content-length': String(Buffer.byteLength(text)) };
            delete headers['transfer-encoding'];
            res.writeHead(answer.statusCode ?? 502, headers);
            res.end(text);
          });
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      forward.end(Buffer.concat(body));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let base: string;
let repo: GitopsRepo;
let proxy: Server;
const world: SkewedAws = { shiftMs: 0, motoReportsDeprecation: false };

beforeAll(async () => {
  base = await localBaseAmi();
  await deployAppFoundation({ ami: base });
  proxy = await startSkewProxy(String(localEnv().AWS_ENDPOINT_URL), world);
});
afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
beforeEach(() => {
  repo = createGitopsRepo(null, base);
});
afterEach(() => repo.remove());

/** A fresh AMI of this account (on dev's allowlist as self), in dev's parameters file. */
async function newAmiInParameters(): Promise<string> {
  const { ImageId } = await localClients().ec2.send(new RegisterImageCommand({ Name: `patched-${Date.now()}`, RootDeviceName: '/dev/xvda', Architecture: 'x86_64', VirtualizationType: 'hvm' }));
  writeFileSync(join(repo.workspace.dir, DEV_FILE), devParameters(ImageId!));
  return ImageId!;
}

/** update-app-stack's deploy step as deploy-environment.yml runs it, with every AWS call through the proxy. */
function deployThroughProxy(): Promise<ActionRun> {
  const { port } = proxy.address() as AddressInfo;
  return runBundledAction(
    'update-app-stack',
    { 'stack-name': STACK, 'parameters-file': DEV_FILE, template: 'templates/app.yaml', mode: 'deploy', 'ami-owners': DEV_AMI_OWNERS },
    { ...localEnv(), AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, GITHUB_WORKSPACE: repo.workspace.dir },
    { timeoutMs: 90_000 },
  );
}

const errorOf = (run: ActionRun) => run.annotations.find((a) => a.level === 'error')?.message ?? '';
const ROWS = INTEGRATION_ROWS_ELSEWHERE['reliability/clock-skew.test.ts'];
const IMPLEMENTED = new Set<string>();
function fault(id: string, body: () => Promise<void>) {
  const row = FAULTS.find((c) => c.id === id);
  if (!row) throw new Error(`No fault ${id} in the catalogue`);
  IMPLEMENTED.add(id);
  it(`${row.id} ${row.name}`, async () => {
    const before = await snapshotStack(localClients().cloudFormation, STACK);
    await body();
    // Refused before the change set: the stack is exactly as it was.
    expect(diffSnapshots(before, await snapshotStack(localClients().cloudFormation, STACK))).toEqual([]);
    expect(world.motoReportsDeprecation).toBe(false);
  });
}

describe('faults (integration): whose clock, on the update-app-stack bundle through a Date-shifting proxy in front of moto', () => {
  fault('F64', async () => {
    // AWS deprecated the AMI yesterday by its clock; the runner is two days slow, so by the
    // runner's clock the deprecation is still a day away.
    const ami = await newAmiInParameters();
    Object.assign(world, { shiftMs: 2 * DAY, amiId: ami, deprecatedAt: (awsNow: number) => awsNow - DAY });
    const run = await deployThroughProxy();

    expect(run.exitCode).toBe(1);
    expect(errorOf(run)).toMatch(
      new RegExp(
        `Time check failed for the deprecation time of ${ami}: the runner's clock said \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z when AWS's answer was dated \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z; ` +
          "the runner is 2 days 0 h 0 min behind AWS, more than the 5 minutes tolerated\\. .*Fix the runner's clock \\(NTP\\), then run again\\.",
      ),
    );
    expect(run.outputs['change-set-id']).toBe('');
  });

  fault('F65', async () => {
    // A runner three minutes slow (within the tolerance); AWS deprecated the AMI a minute ago by
    // its clock, which the runner's clock has not reached yet.
    const ami = await newAmiInParameters();
    Object.assign(world, { shiftMs: 3 * MINUTE, amiId: ami, deprecatedAt: (awsNow: number) => awsNow - MINUTE });
    const run = await deployThroughProxy();

    expect(run.exitCode).toBe(1);
    expect(errorOf(run)).toMatch(new RegExp(`AmazonMachineImage = "${ami}" was deprecated on \\d{4}-\\d\\d-\\d\\dT[\\d:]+\\.000Z: its owner retired it\\.`));
  });

  it('implements its rows of the catalogue', () => {
    expect([...IMPLEMENTED].sort()).toEqual([...ROWS].sort());
  });
});
