/**
 * Sends an environment's notifications to the channels its wiring names (an SNS topic, a Slack or
 * Teams webhook). Nothing is sent when the wiring names none. A channel that fails is reported,
 * per notification, and the rest still go out: telling people is never allowed to change what
 * the run decided.
 */
import type { SNSClient } from '@aws-sdk/client-sns';

import type { Logger } from '../logger';
import type { NotifySettings } from '../parameters';
import { postWebhook, publishToTopic, topicRegion, type Delivery } from './deliver';
import { notificationTitle, buildSnsMessage, buildWebhookBody } from './payloads';
import type { Notification } from './notification';

/** The environment secret that holds the webhook URL (docs/workflows.md). */
export const WEBHOOK_SECRET = 'NOTIFY_WEBHOOK_URL';

export interface NotifyRequest {
  environment: string;
  settings: NotifySettings | undefined;
  notifications: readonly Notification[];
  /** The environment secret's value; empty when the secret is not set. */
  webhookUrl?: string;
  runUrl?: string;
}

export interface NotifyDeps {
  sns(region: string): SNSClient;
  fetch: typeof fetch;
  logger: Logger;
  webhookTimeoutMs?: number;
}

export interface ChannelDelivery {
  channel: string;
  title: string;
  delivery: Delivery;
}

export interface NotifyOutcome {
  deliveries: ChannelDelivery[];
  /** Why nothing was attempted, when nothing was. */
  nothing?: string;
}

export async function sendNotifications(request: NotifyRequest, deps: NotifyDeps): Promise<NotifyOutcome> {
  const { settings, environment, notifications } = request;
  const webhookUrl = request.webhookUrl?.trim() ?? '';
  if (!settings) {
    if (webhookUrl) deps.logger.warning(`Notifications for ${environment}: ${WEBHOOK_SECRET} is set, but the wiring has no notify for ${environment}, so nothing is sent. Add "notify": {"webhook": "slack"} (or "teams") to it.`);
    return { deliveries: [], nothing: `the wiring has no notify for ${environment}` };
  }
  if (notifications.length === 0) return { deliveries: [], nothing: 'nothing to tell' };

  const webhook = settings.webhook ? webhookTarget(environment, settings.webhook, webhookUrl) : undefined;
  if (webhook && 'why' in webhook) deps.logger.warning(webhook.why);
  if (!settings.webhook && webhookUrl) deps.logger.warning(`Notifications for ${environment}: ${WEBHOOK_SECRET} is set, but notify.webhook is not, so nothing is posted to it. Set notify.webhook to "slack" or "teams".`);

  const deliveries: ChannelDelivery[] = [];
  for (const notification of notifications) {
    const title = notificationTitle(notification);
    const context = { runUrl: request.runUrl };
    if (settings.snsTopicArn) {
      const delivery = await publishToTopic(settings.snsTopicArn, buildSnsMessage(notification, context), { sns: deps.sns(topicRegion(settings.snsTopicArn)) });
      deliveries.push({ channel: `SNS ${settings.snsTopicArn}`, title, delivery });
    }
    if (webhook && 'url' in webhook) {
      const delivery = await postWebhook(webhook.url, buildWebhookBody(webhook.kind, notification, context), { fetch: deps.fetch, timeoutMs: deps.webhookTimeoutMs });
      deliveries.push({ channel: `${webhook.kind === 'slack' ? 'Slack' : 'Teams'} webhook`, title, delivery });
    }
  }
  for (const { channel, title, delivery } of deliveries) {
    if (delivery.sent) deps.logger.info(`Notified ${channel}: "${title}" (${delivery.detail}).`);
    else deps.logger.warning(`Notification "${title}" NOT sent to ${channel}: ${delivery.why}. The run's verdict stands; nothing else changed.`);
  }
  return { deliveries };
}

type WebhookTarget = { kind: 'slack' | 'teams'; url: string } | { why: string };

/**
 * The webhook URL, if it may be posted to: https, or plain http to this machine only (local mode
 * and the tests run a webhook on loopback). Messages name the secret, never its value.
 */
function webhookTarget(environment: string, kind: 'slack' | 'teams', url: string): WebhookTarget {
  const missing = `Notifications for ${environment}: notify.webhook is "${kind}" but the environment secret ${WEBHOOK_SECRET} is empty, so nothing is posted. Add the webhook's URL as ${WEBHOOK_SECRET} to the GitHub environment ${environment}.`;
  if (!url) return { why: missing };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { why: `Notifications for ${environment}: ${WEBHOOK_SECRET} is not a URL, so nothing is posted. Paste the webhook's URL as the secret's value.` };
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    return { why: `Notifications for ${environment}: ${WEBHOOK_SECRET} is not an https URL, so nothing is posted (the payload would cross the network in clear). Use the https URL the chat gave you.` };
  }
  return { kind, url };
}
