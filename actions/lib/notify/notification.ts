/**
 * A notification: the one thing a person should know about an outcome, independent of where it is
 * sent. Commands that reach a verdict (deploy-report, the drift, revocation and patch-debt checks)
 * emit one as a `notification` output (one JSON line); the notify command turns it into each
 * channel's payload (payloads.ts). Passing it through a step output keeps the text out of `run:`
 * and lets the notify step come last, under `if: always()`, whatever failed before it.
 */
import { z } from 'zod';

import { InputError } from '../errors';
import { AMI_ID_PATTERN } from '../parameters';

/**
 * What happened. `stage` is a stage-only deploy (staging ahead): a new AMI proven in the idle slot
 * while users stay where they were. `job-failed` is a job that failed before it could say what it found.
 */
export const NOTIFICATION_EVENTS = ['deploy', 'stage', 'failback', 'auto-failback', 'rollback', 'drift', 'revoked', 'patch-debt', 'job-failed'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Slack's section text takes 3,000 characters; a verdict is a sentence or two. */
const MAX_VERDICT_CHARS = 2000;

const WEB_URL = /^https?:\/\/\S+$/;

export const notificationSchema = z.object({
  event: z.enum(NOTIFICATION_EVENTS),
  /** True when nothing needs a person (a deploy that verified); false is an alert. */
  ok: z.boolean(),
  environment: z.string().regex(ENVIRONMENT_NAME),
  /** The verdict in one or two plain-text sentences: what happened, what runs now, what to do. */
  verdict: z.string().min(1).max(MAX_VERDICT_CHARS),
  /** The AMIs a reader needs, in reading order (e.g. From, To, Runs now). */
  amis: z.array(z.object({ label: z.string().min(1).max(40), amiId: z.string().regex(AMI_ID_PATTERN) })).max(4).default([]),
  /** Where to act: the record commit, the PR, the issue. The run's own URL is added by the sender. */
  links: z
    .array(z.object({ label: z.string().min(1).max(60), url: z.string().max(2000).regex(WEB_URL) }))
    .max(3)
    .default([]),
});

export type Notification = z.infer<typeof notificationSchema>;
export type NotificationInput = z.input<typeof notificationSchema>;

/**
 * One line of JSON, the form of a `notification` step output. The command that emits it must not
 * fail over it, so a long verdict is cut and a link that is not a web URL (a local remote) is left
 * out rather than refused.
 */
export function encodeNotification(notification: NotificationInput): string {
  const verdict = notification.verdict.length > MAX_VERDICT_CHARS ? `${notification.verdict.slice(0, MAX_VERDICT_CHARS - 1)}…` : notification.verdict;
  const links = (notification.links ?? []).filter((link) => WEB_URL.test(link.url) && link.url.length <= 2000);
  return JSON.stringify(notificationSchema.parse({ ...notification, verdict, links }));
}

/**
 * The notifications in a step input: one JSON object per line (blank lines ignored), so a step can
 * pass several jobs' outputs one under the other. A line that is not a notification is refused
 * with its number: it can only come from a changed workflow.
 */
export function parseNotifications(text: string, what = 'notification'): Notification[] {
  const notifications: Notification[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new InputError(`Input ${what} invalid on line ${index + 1}: it is not JSON. Pass a step's notification output unchanged.`);
    }
    const parsed = notificationSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`Input ${what} invalid on line ${index + 1}: ${issue.path.join('.') || 'the object'} ${issue.message}. Pass a step's notification output unchanged.`);
    }
    notifications.push(parsed.data);
  });
  return notifications;
}
