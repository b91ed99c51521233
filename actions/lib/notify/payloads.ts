/**
 * The one place a notification becomes what each channel takes: an SNS message (plain text, for
 * e-mail, SMS and queue subscribers alike, plus attributes subscribers can filter on), a Slack
 * incoming-webhook body (Block Kit) or a Microsoft Teams Workflows webhook body (an Adaptive
 * Card in a message). Every payload leads with the verdict, then the AMIs, then the run's URL.
 */
import type { WebhookKind } from '../parameters';
import type { Notification, NotificationEvent } from './notification';

/** What the sender adds to every notification: the run that produced it. */
export interface NotificationContext {
  runUrl?: string;
}

/** A short title per outcome: what a phone's lock screen shows. */
export function notificationTitle(n: Pick<Notification, 'event' | 'ok' | 'environment'>): string {
  const env = n.environment;
  const titles: Record<NotificationEvent, [ok: string, alert: string]> = {
    deploy: [`✅ Deployed to ${env}`, `❌ Deploy to ${env} failed`],
    // A stage moves no user: "Deployed" would tell a reader the fleet changed when it did not.
    stage: [`🧪 Staged in ${env}, users not moved yet`, `❌ Staging in ${env} did not reach a switch PR`],
    failback: [`↩️ Failed back ${env}`, `❌ Failback of ${env} failed`],
    'auto-failback': [`↩️ ${env} failed back automatically`, `⚠️ ${env} failed verification and failed back`],
    rollback: [`↩️ ${env} rolled back`, `⚠️ CloudFormation rolled back ${env}`],
    drift: [`✅ No drift in ${env}`, `⚠️ Drift in ${env}`],
    revoked: [`✅ ${env} runs no revoked AMI`, `⛔ ${env} runs a revoked AMI`],
    'patch-debt': [`✅ ${env} is within its patch-debt limits`, `⚠️ Patch debt in ${env}`],
    'job-failed': [`✅ The jobs for ${env} passed`, `❌ A job for ${env} failed before it reported`],
  };
  return titles[n.event][n.ok ? 0 : 1];
}

/** Links in reading order: the run first, then where to act. */
function linksOf(n: Notification, context: NotificationContext): { label: string; url: string }[] {
  return [...(context.runUrl ? [{ label: 'Workflow run', url: context.runUrl }] : []), ...n.links];
}

export interface SnsMessage {
  /** SNS allows at most 99 printable ASCII characters, no line breaks (e-mail subscribers see it). */
  subject: string;
  message: string;
  /** String attributes, so a subscription's filter policy can pick e.g. `ok = false` only. */
  attributes: Record<string, string>;
}

/** Longest subject SNS accepts ("must be less than 100 characters"). */
const SNS_SUBJECT_MAX = 99;

export function buildSnsMessage(n: Notification, context: NotificationContext): SnsMessage {
  const lines = [n.verdict, '', ...n.amis.map((a) => `${a.label}: ${a.amiId}`), ...linksOf(n, context).map((l) => `${l.label}: ${l.url}`)];
  const subject = asciiSubject(`${n.ok ? 'OK' : 'ALERT'} ${notificationTitle(n)}`);
  return {
    subject,
    message: lines.join('\n').replace(/\n{3,}/g, '\n\n').trim(),
    attributes: { event: n.event, environment: n.environment, ok: String(n.ok) },
  };
}

/** The title as SNS takes a subject: emoji and other non-ASCII dropped, one line, cut to fit. */
function asciiSubject(text: string): string {
  const ascii = text
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return ascii.length > SNS_SUBJECT_MAX ? `${ascii.slice(0, SNS_SUBJECT_MAX - 3)}...` : ascii;
}

/** The JSON body of an incoming webhook of the given kind. */
export function buildWebhookBody(kind: WebhookKind, n: Notification, context: NotificationContext): unknown {
  return kind === 'slack' ? slackBody(n, context) : teamsBody(n, context);
}

/**
 * Slack: `text` is the fallback a notification shows; the blocks are what the channel shows.
 * Slack reads `&`, `<` and `>` as markup (links, @channel mentions), so text is escaped.
 */
function slackBody(n: Notification, context: NotificationContext) {
  const title = notificationTitle(n);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: slackEscape(n.verdict) } },
  ];
  if (n.amis.length) blocks.push({ type: 'section', fields: n.amis.map((a) => ({ type: 'mrkdwn', text: `*${slackEscape(a.label)}*\n\`${a.amiId}\`` })) });
  const links = linksOf(n, context);
  if (links.length) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: links.map((l) => `<${slackEscape(l.url)}|${slackEscape(l.label)}>`).join('  ·  ') }] });
  return { text: slackEscape(`${title}: ${n.verdict}`), blocks };
}

function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Teams: a Workflows webhook ("Send webhook alerts to a channel") takes a message whose attachment
 * is an Adaptive Card; version 1.4 is what Teams renders on every client. The retired Office 365
 * connector format (MessageCard) is not sent.
 */
function teamsBody(n: Notification, context: NotificationContext) {
  const body: unknown[] = [
    { type: 'TextBlock', text: notificationTitle(n), weight: 'Bolder', size: 'Medium', wrap: true, color: n.ok ? 'Good' : 'Attention' },
    { type: 'TextBlock', text: n.verdict, wrap: true },
  ];
  if (n.amis.length) body.push({ type: 'FactSet', facts: n.amis.map((a) => ({ title: a.label, value: a.amiId })) });
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    actions: linksOf(n, context).map((l) => ({ type: 'Action.OpenUrl', title: l.label, url: l.url })),
    msteams: { width: 'Full' },
  };
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}
