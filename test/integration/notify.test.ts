/**
 * Notifications on the real path: the bundled gitops action's notify command, run as a runner
 * runs it, publishes through the real SNS SDK client to moto (whose topic delivers to an HTTP
 * subscription on loopback, so the message is read back as a subscriber gets it) and POSTs the
 * webhook body over real HTTP to a loopback server, one that answers 200, one that answers 500.
 * A webhook that never answers is posted to by the same module the action bundles, with a short
 * deadline: the notification is reported as not sent, and nothing else changes.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';

import { createSnsClient } from '../../actions/lib/aws/clients';
import { postWebhook } from '../../actions/lib/notify/deliver';
import { encodeNotification } from '../../actions/lib/notify/notification';
import { LOCAL_REGION, REPO_ROOT } from '../../local/env';
import { runBundledAction } from '../../local/run-action';
import { localEnv, useLocalAws } from './harness';

useLocalAws();

const OLD = 'ami-0123456789abcdef0';
const NEW = 'ami-0fedcba9876543210';
const SECRET_PATH = '/services/T0/B0/not-to-be-printed';
const verdict = `${NEW} failed verification in dev; failed back to ${OLD}, which verified healthy.`;
const notification = encodeNotification({ event: 'auto-failback', ok: false, environment: 'dev', verdict, amis: [{ label: 'From', amiId: OLD }, { label: 'To', amiId: NEW }, { label: 'Runs now', amiId: OLD }] });

interface Received {
  path: string;
  body: string;
}
let server: Server;
let base: string;
const received: Received[] = [];
const hanging: IncomingMessage[] = [];
const workspace = mkdtempSync(join(tmpdir(), 'notify-it-'));

/** Loopback: /ok answers 200 like Slack, /fail 500, /hang never; /sns is the topic's HTTP subscriber. */
beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      if (request.url?.startsWith('/hang')) return void hanging.push(request);
      received.push({ path: request.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      if (request.url?.startsWith('/fail')) response.writeHead(500).end('internal error');
      else response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
  rmSync(workspace, { recursive: true, force: true });
});

/** The repository's wiring, as shipped (no environment notifies). */
const shippedWiring = () => JSON.parse(readFileSync(join(REPO_ROOT, 'parameters/environments.json'), 'utf8')) as { environments: Record<string, Record<string, unknown>> };

/** A checkout with the real schema, parameters and template, and a wiring whose dev notifies `notify`. */
function checkout(notify: Record<string, string>) {
  mkdirSync(join(workspace, 'parameters'), { recursive: true });
  mkdirSync(join(workspace, 'templates'), { recursive: true });
  for (const file of ['parameters/environments.schema.json', 'parameters/dev.json', 'parameters/prod.json', 'templates/app.yaml', 'templates/app-slots.yaml']) cpSync(join(REPO_ROOT, file), join(workspace, file));
  const wiring = shippedWiring();
  wiring.environments.dev.notify = notify;
  writeFileSync(join(workspace, 'parameters/environments.json'), JSON.stringify(wiring, null, 2));
}

/** What the log and summary show. The runner consumes `::add-mask::` (the line that masks the URL) and never prints it. */
const printed = (run: { stdout: string; stderr: string; summary: string }) =>
  `${run.stdout}\n${run.stderr}\n${run.summary}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');

const notifyStep = (webhookUrl: string) =>
  runBundledAction('gitops', { command: 'notify', environment: 'dev', notification, 'job-name': 'deploy', 'job-status': 'failure', 'webhook-url': webhookUrl }, { ...localEnv(), GITHUB_WORKSPACE: workspace }, { timeoutMs: 60_000 });

describe('gitops notify (bundled) to moto SNS and a loopback webhook', () => {
  let topicArn: string;

  beforeAll(async () => {
    const sns = createSnsClient({ region: LOCAL_REGION });
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'patch-alerts' }))).TopicArn!;
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: `${base}/sns` }));
  });
  beforeEach(() => (received.length = 0));

  it('publishes the verdict, both AMIs and the run to the topic, and posts the Slack body; the step succeeds', async () => {
    checkout({ snsTopicArn: topicArn, webhook: 'slack' });
    const run = await notifyStep(`${base}/ok${SECRET_PATH}`);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ sent: '2', failed: '0' });

    const delivered = received.filter((r) => r.path === '/sns').map((r) => JSON.parse(r.body) as { Type: string; Subject?: string; Message: string }).filter((m) => m.Type === 'Notification');
    expect(delivered).toHaveLength(1);
    expect(delivered[0].Subject).toBe('ALERT dev failed verification and failed back');
    const lines = delivered[0].Message.split('\n');
    expect(lines.slice(0, 5)).toEqual([verdict, '', `From: ${OLD}`, `To: ${NEW}`, `Runs now: ${OLD}`]);
    expect(lines[5]).toMatch(/^Workflow run: https:\/\/[^/]+\/local\/ami-patch-gitops\/actions\/runs\/\d+$/);

    const slack = received.filter((r) => r.path.startsWith('/ok'));
    expect(slack).toHaveLength(1);
    const body = JSON.parse(slack[0].body) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(body.blocks[1].text?.text).toBe(verdict);
    expect(printed(run)).not.toContain(SECRET_PATH);
  });

  it('posts the Teams card to a Teams webhook', async () => {
    checkout({ webhook: 'teams' });
    const run = await notifyStep(`${base}/ok/teams`);
    expect(run.outputs).toMatchObject({ sent: '1', failed: '0' });
    const [post] = received.filter((r) => r.path === '/ok/teams');
    expect((JSON.parse(post.body) as { attachments: { content: { type: string } }[] }).attachments[0].content.type).toBe('AdaptiveCard');
    expect(received.filter((r) => r.path === '/sns')).toEqual([]);
  });

  it('a webhook that answers 500 is reported, the SNS message still goes out, and the step does not fail', async () => {
    checkout({ snsTopicArn: topicArn, webhook: 'slack' });
    const run = await notifyStep(`${base}/fail${SECRET_PATH}`);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ sent: '1', failed: '1' });
    expect(run.annotations.filter((a) => a.level === 'warning').map((a) => a.message)).toEqual([expect.stringMatching(/NOT sent to Slack webhook: the webhook answered HTTP 500 \(internal error\)\. The run's verdict stands/)]);
    expect(run.annotations.filter((a) => a.level === 'error')).toEqual([]);
    expect(received.filter((r) => r.path === '/sns')).toHaveLength(1);
    expect(printed(run)).not.toContain(SECRET_PATH);
  });

  it('an SNS topic that does not exist is reported, and the step does not fail', async () => {
    checkout({ snsTopicArn: `${topicArn}-gone` });
    const run = await notifyStep('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ sent: '0', failed: '1' });
    expect(run.annotations.map((a) => a.message).join('\n')).toMatch(/NOT sent to SNS arn:aws:sns:us-east-1:\d{12}:patch-alerts-gone: NotFound/);
  });

  it('sends nothing when the wiring names no channel', async () => {
    checkout({ webhook: 'slack' });
    writeFileSync(join(workspace, 'parameters/environments.json'), JSON.stringify(shippedWiring()));
    const run = await notifyStep(`${base}/ok/unconfigured`);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ sent: '0', failed: '0' });
    expect(received).toEqual([]);
  });
});

describe('a webhook that never answers', () => {
  it('is given up on at the deadline and reported as not sent', async () => {
    const delivery = await postWebhook(`${base}/hang${SECRET_PATH}`, { text: 'x' }, { fetch: globalThis.fetch, timeoutMs: 300 });
    expect(delivery).toEqual({ sent: false, why: 'the webhook did not answer within 0.3 s' });
    expect(hanging).toHaveLength(1);
  });

  it('a refused connection is reported without the URL', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const delivery = await postWebhook(`http://127.0.0.1:${port}${SECRET_PATH}`, {}, { fetch: globalThis.fetch });
    expect(delivery).toEqual({ sent: false, why: 'the webhook could not be reached (ECONNREFUSED)' });
  });
});
