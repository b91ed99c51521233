import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

import { COMMANDS, type GitopsContext } from '../../../../actions/lib/gitops/commands';
import { encodeNotification } from '../../../../actions/lib/notify/notification';
import { commitDevHistory, createGitFixture, wiringEntry, type GitFixture } from './git-fixture';
import { gitopsTestContext } from './gitops-context';
import { leadOf } from '../../../support/summary-lead';

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:patch-alerts';
const HOOK = 'https://hooks.slack.example/services/T000/B000/SECRETPART';
const AMI = (n: number) => `ami-${String(n).padStart(17, '0')}`;
const deployed = encodeNotification({ event: 'deploy', ok: true, environment: 'dev', verdict: `Deployed ${AMI(3)} to dev; the fleet verified healthy.`, amis: [{ label: 'From', amiId: AMI(2) }, { label: 'To', amiId: AMI(3) }] });

let work: GitFixture;
let ctx: GitopsContext;
let logger: ReturnType<typeof gitopsTestContext>['logger'];
let posts: { url: string; body: unknown }[];
let answer: () => Promise<Response>;

/** The wiring with `notify` on dev (or none), in the working tree the command reads. */
function wire(notify?: Record<string, string>) {
  work.write('parameters/environments.json', JSON.stringify({ promotionOrder: ['dev', 'prod'], environments: { dev: { ...wiringEntry('dev'), ...(notify ? { notify } : {}) }, prod: wiringEntry('prod') } }));
}

async function notify(raw: Record<string, string>) {
  const command = COMMANDS.notify;
  return command.run(command.inputs.parse({ environment: 'dev', ...raw }) as never, ctx);
}
const logText = () => logger.entries.map((e) => `${e.level}: ${e.message}`).join('\n');

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  work = createGitFixture();
  commitDevHistory(work, AMI);
  ({ ctx, logger } = gitopsTestContext(work.dir));
  posts = [];
  answer = async () => new Response('ok', { status: 200 });
  ctx.fetch = (async (url: string, init: RequestInit) => {
    posts.push({ url, body: JSON.parse(String(init.body)) });
    return answer();
  }) as unknown as typeof fetch;
});
afterEach(() => work.remove());

describe('gitops notify', () => {
  it('sends nothing when the wiring has no notify, even with a webhook secret set (and says why)', async () => {
    wire();
    const result = await notify({ notification: deployed, 'webhook-url': HOOK });
    expect(result.outputs).toEqual({ sent: 0, failed: 0 });
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(posts).toEqual([]);
    expect(logText()).toMatch(/NOTIFY_WEBHOOK_URL is set, but the wiring has no notify for dev/);
    expect(result.failure).toBeUndefined();
  });

  it('publishes to the topic, in its region, and posts the Slack body to the webhook', async () => {
    wire({ snsTopicArn: TOPIC, webhook: 'slack' });
    const result = await notify({ notification: deployed, 'webhook-url': HOOK });
    expect(result.outputs).toEqual({ sent: 2, failed: 0 });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC, Subject: 'OK Deployed to dev' });
    const message = sns.commandCalls(PublishCommand)[0].args[0].input.Message!;
    expect(message.split('\n')[0]).toBe(`Deployed ${AMI(3)} to dev; the fleet verified healthy.`);
    expect(message).toContain('Workflow run: https://github.com/acme/fleet/actions/runs/42');
    expect(await sns.commandCalls(PublishCommand)[0].thisValue.config.region()).toBe('eu-west-1');
    expect(posts).toHaveLength(1);
    expect(posts[0].url).toBe(HOOK);
    expect((posts[0].body as { blocks: unknown[] }).blocks).toHaveLength(4);
    expect(leadOf(result.summary!)).toEqual({ heading: 'Notifications', lead: `**Sent "✅ Deployed to dev" to SNS \`${TOPIC}\` and Slack webhook.**` });
    expect(result.summary).toMatch(/### Notifications[\s\S]*\| ✅ Deployed to dev \| Slack webhook \| ✅ sent \(HTTP 200\) \|/);
  });

  it('posts the Teams card when the wiring says teams', async () => {
    wire({ webhook: 'teams' });
    await notify({ notification: deployed, 'webhook-url': HOOK });
    expect((posts[0].body as { type: string; attachments: { contentType: string }[] }).attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('reports a channel that fails as a warning and never fails the job; the URL is never in a message', async () => {
    wire({ snsTopicArn: TOPIC, webhook: 'slack' });
    sns.on(PublishCommand).rejects(Object.assign(new Error(`User is not authorized to perform: SNS:Publish on resource: ${TOPIC}`), { name: 'AuthorizationError' }));
    answer = async () => new Response('invalid_token', { status: 403 });
    const result = await notify({ notification: deployed, 'webhook-url': HOOK });
    expect(result.outputs).toEqual({ sent: 0, failed: 2 });
    expect(result.failure).toBeUndefined();
    expect(logText()).toMatch(/warning: Notification "✅ Deployed to dev" NOT sent to SNS .*AuthorizationError: User is not authorized.*The run's verdict stands/);
    expect(logText()).toMatch(/warning: Notification "✅ Deployed to dev" NOT sent to Slack webhook: the webhook answered HTTP 403 \(invalid_token\)/);
    expect(`${logText()}\n${result.summary}`).not.toMatch(/SECRETPART|hooks\.slack\.example/);
    expect(leadOf(result.summary!).lead).toBe(`**⚠️ 2 of 2 notification(s) NOT sent (SNS \`${TOPIC}\`, Slack webhook); the run's verdict stands.**`);
  });

  it('still publishes to the topic when the webhook secret is missing, and names the secret to add', async () => {
    wire({ snsTopicArn: TOPIC, webhook: 'teams' });
    const result = await notify({ notification: deployed });
    expect(result.outputs).toEqual({ sent: 1, failed: 0 });
    expect(logText()).toMatch(/notify.webhook is "teams" but the environment secret NOTIFY_WEBHOOK_URL is empty.*Add the webhook's URL as NOTIFY_WEBHOOK_URL to the GitHub environment dev/);
  });

  it('refuses a plain-http webhook off this machine (the payload would cross the network in clear)', async () => {
    wire({ webhook: 'slack' });
    await notify({ notification: deployed, 'webhook-url': 'http://hooks.example.com/x' });
    expect(posts).toEqual([]);
    expect(logText()).toMatch(/is not an https URL, so nothing is posted/);
  });

  it('sends each needed job notification, and says so when a job failed before it reported', async () => {
    wire({ snsTopicArn: TOPIC });
    const drift = encodeNotification({ event: 'drift', ok: false, environment: 'dev', verdict: 'Drift in dev.', amis: [{ label: 'Git names', amiId: AMI(3) }, { label: 'Stack runs', amiId: AMI(2) }] });
    const needs = JSON.stringify({ drift: { result: 'failure', outputs: { notification: drift } }, revoked: { result: 'failure', outputs: {} }, 'patch-debt': { result: 'success', outputs: { notification: '' } } });
    const result = await notify({ needs });
    expect(result.outputs).toEqual({ sent: 2, failed: 0 });
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject)).toEqual(['ALERT Drift in dev', 'ALERT A job for dev failed before it reported']);
    expect(sns.commandCalls(PublishCommand)[1].args[0].input.Message).toMatch(/^The revoked job for dev failed before it reported what it found/);
  });

  it('sends nothing when the checks found nothing to tell', async () => {
    wire({ snsTopicArn: TOPIC });
    const result = await notify({ needs: JSON.stringify({ drift: { result: 'success', outputs: { notification: '' } } }) });
    expect(result.outputs).toEqual({ sent: 0, failed: 0 });
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('tells that a job failed without a verdict (its report step never wrote one)', async () => {
    wire({ snsTopicArn: TOPIC });
    await notify({ notification: '', 'job-name': 'deploy', 'job-status': 'failure' });
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Message).toMatch(/^The deploy job for dev failed before it reported/);
  });

  it('turns a bad input into a warning, not a failed job', async () => {
    wire({ snsTopicArn: TOPIC });
    const result = await notify({ notification: '{"event":"nope"}' });
    expect(result.failure).toBeUndefined();
    expect(result.outputs).toEqual({ sent: 0, failed: 1 });
    expect(logText()).toMatch(/warning: Notifications for dev not sent: Input notification invalid on line 1/);
  });
});
