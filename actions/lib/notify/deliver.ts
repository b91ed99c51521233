/**
 * Sending: an SNS Publish through the real SDK, and an HTTP POST of a webhook body. Neither
 * throws: a notification that could not be sent is reported by the caller and never changes the
 * verdict it carries. A webhook URL is a credential (whoever has it can post to the channel), so
 * no message here contains it, nor its host.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

import type { SnsMessage } from './payloads';

export type Delivery = { sent: true; detail: string } | { sent: false; why: string };

/** The region of a topic ARN (arn:aws:sns:<region>:<account>:<name>): the client must be there. */
export function topicRegion(topicArn: string): string {
  return topicArn.split(':')[3] ?? '';
}

export async function publishToTopic(topicArn: string, message: SnsMessage, deps: { sns: SNSClient }): Promise<Delivery> {
  try {
    const result = await deps.sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: message.subject,
        Message: message.message,
        MessageAttributes: Object.fromEntries(Object.entries(message.attributes).map(([key, value]) => [key, { DataType: 'String', StringValue: value }])),
      }),
    );
    return { sent: true, detail: `message ${result.MessageId ?? '(no id)'}` };
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const text = error instanceof Error ? error.message : String(error);
    return { sent: false, why: `${name}: ${text}` };
  }
}

/**
 * How long a webhook may take to answer. Slack and Teams answer in well under a second; 10 s
 * covers a slow moment without letting a black-holed endpoint hold the job (the step runs last,
 * under `if: always()`, after the verdict is already written).
 */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface WebhookDeps {
  fetch: typeof fetch;
  timeoutMs?: number;
}

/** POSTs `body` as JSON. Any 2xx is sent (Slack answers 200 "ok", Teams Workflows 202). */
export async function postWebhook(url: string, body: unknown, deps: WebhookDeps): Promise<Delivery> {
  const timeoutMs = deps.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  try {
    const response = await deps.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      // A redirect would send the payload to a URL nobody configured.
      redirect: 'error',
    });
    // The answer is read (and cut) only to say why a post was refused; it never holds the URL.
    const answer = (await response.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 200);
    if (response.ok) return { sent: true, detail: `HTTP ${response.status}` };
    return { sent: false, why: `the webhook answered HTTP ${response.status}${answer ? ` (${answer})` : ''}` };
  } catch (error) {
    return { sent: false, why: describeFetchFailure(error, timeoutMs) };
  }
}

/**
 * Why a POST got no answer, in words that name no part of the URL. Read by shape, not
 * `instanceof`: fetch's errors may come from another realm (a test runner's sandbox).
 */
function describeFetchFailure(error: unknown, timeoutMs: number): string {
  const { name, cause } = (error ?? {}) as { name?: unknown; cause?: { code?: unknown } };
  if (name === 'TimeoutError' || name === 'AbortError') return `the webhook did not answer within ${timeoutMs / 1000} s`;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return code ? `the webhook could not be reached (${code})` : 'the webhook could not be reached';
}
