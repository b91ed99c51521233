/**
 * Fault catalogue, verification that could be fooled (rows in ./catalogue.ts): verifyAlb with the
 * fleet mocked (aws-sdk-client-mock, test/unit/lib/verify/fixtures.ts) and REAL HTTP: Node's fetch
 * against servers on 127.0.0.1 that answer as a stray instance, a failing app, or another protocol
 * would. The sampling runs on the virtual clock; only the requests are real.
 *
 * Verification changes nothing in AWS: whatever it says, the stack keeps running the AMI git names
 * (the deploy job's failback after a failed verification is F14/F15). What these cases prove is
 * the verdict: a fleet that was not verified is never reported healthy.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';

import { createAwsClients } from '../../../actions/lib/aws/clients';
import { VirtualClock } from '../../../actions/lib/clock';
import { RecordingLogger } from '../../../actions/lib/logger';
import { verifyAlbInputSchema } from '../../../actions/lib/verify/inputs';
import { failureMessage } from '../../../actions/lib/verify/report';
import { verifyAlb, type VerifyAlbReport } from '../../../actions/lib/verify/verify-alb';
import { GREEN_AMI, GREEN_ASG, healthyFleet, mockFleet, mockStack, resetMocks, STACK } from '../lib/verify/fixtures';
import { describeCatalogueRows } from './support/catalogue-suite';
import { expectGitSaysWhatRuns } from './support/invariant';

/** An instance that is in no group of this stack (a stray server, another stack's instance). */
const STRAY_INSTANCE = 'i-0123456789abcdef9';

type Close = () => Promise<void>;
const closers: Close[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** An HTTP server on 127.0.0.1 answering every request with `answer()`. */
async function httpServer(answer: () => { status: number; body: string }): Promise<string> {
  const server: Server = createHttpServer((_req, res) => {
    const { status, body } = answer();
    res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'text/html' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A TCP server that greets every connection like an SSH daemon: something is listening, but not HTTP. */
async function sshLikeServer(): Promise<string> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.write('SSH-2.0-OpenSSH_9.6\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const details = (instanceId: string, amiId = GREEN_AMI) => ({ status: 200, body: JSON.stringify({ amiId, instanceId, packageCount: 412 }) });

async function verify(url: string, overrides: Record<string, string> = {}): Promise<VerifyAlbReport> {
  const inputs = verifyAlbInputSchema.parse({ 'stack-name': STACK, 'expected-ami-id': GREEN_AMI, url, 'watch-seconds': '5', 'timeout-minutes': '1', ...overrides });
  const deps = { clients: createAwsClients({ region: 'us-east-1' }), logger: new RecordingLogger(), clock: new VirtualClock(), fetch: (u: string, init: RequestInit & { signal: AbortSignal }) => fetch(u, init) };
  return verifyAlb(inputs, deps as never);
}

/** The verdict, and the invariant on the state verification leaves: nothing changed, git = stack. */
function expectNotVerified(report: VerifyAlbReport, said: RegExp): void {
  expect(report.fleet.status).toBe('pass');
  expect(report.healthy).toBe(false);
  const message = failureMessage(report);
  expect(message).toMatch(said);
  expectGitSaysWhatRuns({ gitAmi: GREEN_AMI, runningAmi: GREEN_AMI, failed: true, said: [message] }, 'git says what runs');
}

const IMPLEMENTATIONS: Record<string, () => Promise<void>> = {
  async F50() {
    // Every answer names the expected AMI, but from an instance the current ASG does not own.
    const host = await httpServer(() => details(STRAY_INSTANCE));
    for (const maxErrorRate of ['0', '1']) {
      const report = await verify(`http://${host}`, { 'max-error-rate': maxErrorRate });
      expect(report.http.summary).toMatchObject({ samples: 5, errors: 5 });
      expectNotVerified(
        report,
        new RegExp(`answered as ${STRAY_INSTANCE} on ${GREEN_AMI}, which is not an instance of the current ASG ${GREEN_ASG}: a response from outside the fleet proves nothing`),
      );
      expect(failureMessage(report)).toMatch(/None of the 5 HTTP samples was a good answer from the fleet/);
    }
    // The control: the same answers from the fleet's own instances verify it.
    let n = 0;
    const fleetHost = await httpServer(() => details(`i-0000000000000000${(n++ % 2) + 1}`));
    expect((await verify(`http://${fleetHost}`)).healthy).toBe(true);
  },
  async F51() {
    const host = await httpServer(() => ({ status: 502, body: '<html>502 Bad Gateway</html>' }));
    const report = await verify(`http://${host}`, { 'max-error-rate': '1' });
    expect(report.http.summary).toMatchObject({ samples: 5, errors: 5, errorRate: 1 });
    expectNotVerified(report, new RegExp(`None of the 5 HTTP samples was a good answer from the fleet on ${GREEN_AMI}, so nothing was verified, whatever max-error-rate \\(100 %\\) allows; first: HTTP 502`));
  },
  async F52() {
    const host = await sshLikeServer();
    const report = await verify(`http://${host}`, { 'max-error-rate': '1' });
    expectNotVerified(
      report,
      new RegExp(
        `HPE_INVALID_CONSTANT: reached ${host.replace(/\./g, '\\.')}, but what answered does not speak HTTP \\(Response does not match the HTTP/1\\.1 protocol \\(Expected HTTP/\\)\\); ` +
          'expected an HTTP server answering GET /details\\.json',
      ),
    );
  },
  async F53() {
    let n = 0;
    const host = await httpServer(() => details(`i-0000000000000000${(n++ % 2) + 1}`));
    const report = await verify(`https://${host}`, { 'max-error-rate': '1' });
    expectNotVerified(report, new RegExp(`ERR_SSL_WRONG_VERSION_NUMBER: reached ${host.replace(/\./g, '\\.')}, but the TLS handshake failed .*; expected an HTTPS listener there\\. If the port serves plain HTTP, use an http:// url`));
  },
  async F80() {
    // Targets still registering, so the wait polls; the second DescribeTargetHealth is accepted
    // and never answered (three virtual minutes pass) while timeout-minutes is 2. Only the abort
    // signal the wait hands to the call can end it.
    const registering = healthyFleet();
    for (const target of registering.targets) Object.assign(target, { health: 'initial', reason: 'Elb.RegistrationInProgress' });
    mockFleet(registering, registering);
    const clock = new VirtualClock();
    const clients = createAwsClients({ region: 'us-east-1' });
    let calls = 0;
    const silentElb = {
      send(command: unknown, options?: { abortSignal?: AbortSignal }) {
        calls += 1;
        if (calls === 1) return (clients.elbv2.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
        return new Promise((_resolve, reject) => {
          options?.abortSignal?.addEventListener('abort', () => reject(options.abortSignal?.reason));
          void clock.sleep(3 * 60_000);
        });
      },
    };
    const inputs = verifyAlbInputSchema.parse({ 'stack-name': STACK, 'expected-ami-id': GREEN_AMI, 'watch-seconds': '0', 'timeout-minutes': '2' });
    const report = await verifyAlb(inputs, { clients: { ...clients, elbv2: silentElb }, logger: new RecordingLogger(), clock, fetch } as never);
    expect(calls).toBe(2);
    expect(report.healthy).toBe(false);
    // The hung call settles only through the abort (its promise never resolves): the verdict is the timeout.
    expect(report.failures[0]).toMatch(/^The targets were not all healthy on \S+ after \d+ s \(timeout-minutes 2\)/);
    const message = failureMessage(report);
    expectGitSaysWhatRuns({ gitAmi: GREEN_AMI, runningAmi: GREEN_AMI, failed: true, said: [message] }, 'git says what runs');
  },
};

describeCatalogueRows('verification that could be fooled (unit, real HTTP on loopback, mocked fleet)', 'verify-faults.test.ts', IMPLEMENTATIONS, () => {
  resetMocks();
  mockStack();
  mockFleet(healthyFleet());
});
