/**
 * The cycle's notifications: deploy-environment.yml's last step (`gitops notify`) after each
 * deploy report, sent to two channels and read back as a person would see them.
 *
 * - SNS: a topic in moto, the same SDK call the deploy role makes on AWS. moto delivers what is
 *   published to the topic's HTTP subscription, here a loopback receiver the cycle starts (on AWS:
 *   an e-mail, a queue, a chat integration subscribed to the topic).
 * - A chat webhook: a loopback HTTP receiver the cycle starts, a STAND-IN for a Slack (or Teams)
 *   incoming webhook. It records the JSON body and answers 200 as Slack does. It models the
 *   endpoint's answer only: not Slack's rendering of the blocks, its rate limits, or the URL's
 *   secrecy (on GitHub the URL is the environment secret NOTIFY_WEBHOOK_URL).
 *
 * Before the first deploy, every environment's wiring in the scratch clone gets `notify` (the
 * topic, `webhook: slack`), committed on main as a setup step. After each notify step the phase
 * prints what each channel received and checks that it leads with the verdict, names both AMIs
 * and the run's URL, and that both channels said the same verdict.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';

import { createSnsClient } from '../../actions/lib/aws/clients';
import { systemClock } from '../../actions/lib/clock';
import { poll } from '../../actions/lib/poll';
import { commitAndPush, OPERATOR } from './scratch-repo';
import { CycleCheckError, type Timeline } from './timeline';
import { runStep, type CycleContext } from './workflow-steps';

const WIRING = 'parameters/environments.json';
/** The webhook stand-in's path: shaped like a Slack incoming-webhook URL, the part that is secret there. */
const WEBHOOK_PATH = '/services/T0LOCAL/B0LOCAL/local-cycle-webhook';
const SNS_PATH = '/sns-subscription';

interface Received {
  path: string;
  body: string;
}

export interface CycleNotifications {
  topicArn: string;
  /** What the notify step gets as `webhook-url` (the secret on GitHub). */
  webhookUrl: string;
  received: Received[];
  stop(): Promise<void>;
}

/** Starts both receivers, creates the topic and subscribes the receiver, and wires every environment to notify. */
export async function startNotifications(ctx: CycleContext, timeline: Timeline): Promise<void> {
  timeline.section('notifications: where deploy-environment.yml\'s Notify step sends (moto SNS + a webhook STAND-IN)');
  const channels = await timeline.phase('SNS topic in moto + loopback webhook STAND-IN', 'moto + webhook', async (phase) => {
    const received: Received[] = [];
    const server: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        received.push({ path: request.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const stop = async () => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    };
    try {
      const sns = createSnsClient({ region: ctx.environment.region });
      const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: 'patch-notifications' }));
      if (!topicArn) throw new CycleCheckError('moto created no SNS topic');
      await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: `${base}${SNS_PATH}` }));
      phase.note(`SNS topic ${topicArn} (moto), delivering to its HTTP subscription ${base}${SNS_PATH}`);
      phase.note(`webhook STAND-IN ${base}/services/… for a Slack incoming webhook: records the JSON and answers 200; not Slack's rendering or limits`);
      return { topicArn, webhookUrl: `${base}${WEBHOOK_PATH}`, received, stop };
    } catch (error) {
      await stop();
      throw error;
    }
  });

  ctx.notifications = channels;
  const { topicArn } = channels;
  await timeline.phase(`wire notify in ${WIRING} on main`, 'git', async (phase) => {
    const path = join(ctx.repo.checkout.dir, WIRING);
    const wiring = JSON.parse(readFileSync(path, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
    for (const environment of Object.values(wiring.environments)) environment.notify = { snsTopicArn: topicArn, webhook: 'slack' };
    writeFileSync(path, `${JSON.stringify(wiring, null, 2)}\n`);
    const commit = await commitAndPush(ctx.repo, [WIRING], 'Notify every environment on the local topic and webhook (local cycle setup)', OPERATOR);
    phase.note(`${commit} on main: ${Object.keys(wiring.environments).join(', ')} notify ${topicArn} and the webhook (slack); the URL is the step's webhook-url input, as the secret is on GitHub`);
  });
}

/**
 * deploy-environment.yml's Notify step after a deploy report: `gitops notify` with the report's
 * notification, then what the topic's subscriber and the webhook received, printed and checked.
 */
export async function notifyStep(ctx: CycleContext, timeline: Timeline, notification: string | undefined, expect: { amis: string[]; jobStatus: 'success' | 'failure' }): Promise<void> {
  const channels = ctx.notifications;
  if (!channels) return;
  await timeline.phase('gitops notify (the Notify step)', 'moto + webhook', async (phase) => {
    if (!notification?.trim()) throw new CycleCheckError('deploy-report wrote no notification output for the Notify step');
    const before = channels.received.length;
    const run = await runStep(ctx, 'gitops', {
      command: 'notify',
      environment: ctx.environment.name,
      notification,
      'job-name': 'deploy',
      'job-status': expect.jobStatus,
      'webhook-url': channels.webhookUrl,
    });
    if (run.outputs.sent !== '2' || run.outputs.failed !== '0') throw new CycleCheckError(`notify sent ${run.outputs.sent}, failed ${run.outputs.failed}; expected both channels sent`, run.annotations.map((a) => a.message));
    // moto posts to the subscription while it handles Publish; the wait only covers a slow loopback.
    const { observation: fresh } = await poll<Received[]>({
      description: 'the SNS message and the webhook body on loopback',
      check: async () => channels.received.slice(before),
      isDone: (r) => r.some((m) => m.path === SNS_PATH && isSnsNotification(m.body)) && r.some((m) => m.path === WEBHOOK_PATH),
      clock: systemClock,
      timeoutMs: 10_000,
      schedule: { firstDelayMs: 50, steadyMs: 200 },
    });
    const sns = JSON.parse(fresh.find((m) => m.path === SNS_PATH && isSnsNotification(m.body))!.body) as { Subject?: string; Message: string };
    const slack = JSON.parse(fresh.find((m) => m.path === WEBHOOK_PATH)!.body) as { blocks: { type: string; text?: { text: string } }[] };
    const lines = sns.Message.split('\n');
    const verdict = lines[0];
    phase.note(`SNS (moto → subscriber): subject "${sns.Subject}"`);
    for (const line of lines.filter((l) => l.trim())) phase.note(`  ${line}`);
    const header = slack.blocks.find((b) => b.type === 'header')?.text?.text;
    const said = slack.blocks.find((b) => b.type === 'section')?.text?.text;
    phase.note(`webhook STAND-IN (Slack blocks): "${header}": ${said}`);
    const missing = [
      ...expect.amis.filter((ami) => !lines.slice(1).some((l) => l.endsWith(`: ${ami}`))).map((ami) => `AMI ${ami}`),
      ...(lines.some((l) => /^Workflow run: https?:\/\/\S+\/actions\/runs\/\d+$/.test(l)) ? [] : ['the run URL']),
    ];
    if (missing.length) throw new CycleCheckError(`the SNS message lacks ${missing.join(', ')}`, lines);
    if (!said || !said.startsWith(verdict.slice(0, 40).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'))) {
      throw new CycleCheckError('the webhook did not lead with the verdict the SNS message has', [verdict, said ?? '(no section block)']);
    }
  });
}

function isSnsNotification(body: string): boolean {
  try {
    return (JSON.parse(body) as { Type?: string }).Type === 'Notification';
  } catch {
    return false;
  }
}
