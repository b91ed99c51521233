import { z } from 'zod';

import { InputError } from '../../errors';
import { markdownTable } from '../../markdown';
import { parseNotifications, type Notification } from '../../notify/notification';
import { sendNotifications } from '../../notify/notify';
import { defineCommand, loadEnvironment } from './context';
import { environmentName } from './inputs';

/** `toJSON(needs)` of a workflow job: each needed job's result and outputs. */
const neededJobs = z.record(z.string(), z.object({ result: z.string().optional(), outputs: z.record(z.string(), z.string()).optional() }).passthrough());

/**
 * Last step of the deploy job and of the scheduled checks (always runs): send the outcome's
 * notification to the channels the environment's wiring names. It never fails the job: a
 * notification that could not be sent is a warning, and the verdict, the job's status and git
 * stay what they were.
 */
export const notify = defineCommand({
  description: "Send the run's notifications to the SNS topic and webhook the environment's wiring names (never fails the job).",
  inputs: z.object({
    environment: environmentName,
    notification: z.string().max(64 * 1024).optional(),
    needs: z.string().max(256 * 1024).optional(),
    'job-name': z.string().max(100).optional(),
    'job-status': z.string().max(20).optional(),
    'webhook-url': z.string().max(2048).optional(),
  }),
  outputs: ['sent', 'failed'],
  async run(inputs, ctx) {
    try {
      const { environment } = await loadEnvironment(ctx, inputs.environment);
      const notifications = collectNotifications(inputs, environment.name);
      const outcome = await sendNotifications(
        { environment: environment.name, settings: environment.notify, notifications, webhookUrl: inputs['webhook-url'], runUrl: ctx.runUrl },
        { sns: ctx.sns, fetch: ctx.fetch, logger: ctx.logger },
      );
      if (outcome.nothing) {
        ctx.logger.info(`Notifications for ${environment.name}: none sent (${outcome.nothing}).`);
        return { outputs: { sent: 0, failed: 0 } };
      }
      const failed = outcome.deliveries.filter((d) => !d.delivery.sent).length;
      const summary = outcome.deliveries.length ? renderNotifySummary(outcome.deliveries) : undefined;
      return { outputs: { sent: outcome.deliveries.length - failed, failed }, summary };
    } catch (error) {
      // Even a bad input or wiring must not turn a deploy's verdict: say so, and stop here.
      if (!(error instanceof InputError)) throw error;
      ctx.logger.warning(`Notifications for ${inputs.environment} not sent: ${error.message}`);
      return { outputs: { sent: 0, failed: 1 } };
    }
  },
});

/** The step's summary: how many went out where first (a failed channel never changes the verdict), then one row per delivery. */
function renderNotifySummary(deliveries: ReadonlyArray<{ channel: string; title: string; delivery: { sent: boolean; detail?: string; why?: string } }>): string {
  const channel = (name: string) => name.replace(/^SNS (arn:\S+)$/, 'SNS `$1`');
  const sent = deliveries.filter((d) => d.delivery.sent);
  const titles = [...new Set(deliveries.map((d) => `"${d.title}"`))].join(', ');
  const lead =
    sent.length === deliveries.length
      ? `**Sent ${titles} to ${[...new Set(deliveries.map((d) => channel(d.channel)))].join(' and ')}.**`
      : `**⚠️ ${deliveries.length - sent.length} of ${deliveries.length} notification(s) NOT sent (${[...new Set(deliveries.filter((d) => !d.delivery.sent).map((d) => channel(d.channel)))].join(', ')}); the run's verdict stands.**`;
  const rows = deliveries.map((d) => [d.title, channel(d.channel), d.delivery.sent ? `✅ sent (${d.delivery.detail})` : `⚠️ not sent: ${d.delivery.why}`]);
  return `### Notifications\n\n${lead}\n\n${markdownTable(['Notification', 'Channel', 'Result'], rows)}`;
}

/**
 * The notifications of this run: the `notification` input's lines, plus each needed job's
 * `notification` output; a needed job that failed without one is a notification of its own (it
 * failed before it could say what it found).
 */
function collectNotifications(inputs: { notification?: string; needs?: string; 'job-name'?: string; 'job-status'?: string }, environment: string): Notification[] {
  const notifications = parseNotifications(inputs.notification ?? '');
  for (const [job, needed] of Object.entries(parseNeeds(inputs.needs))) {
    const own = needed.outputs?.notification ?? '';
    if (own.trim()) notifications.push(...parseNotifications(own, `needs.${job}.outputs.notification`));
    else if (needed.result === 'failure') notifications.push(jobFailed(environment, `The ${job} job`));
  }
  if (notifications.length === 0 && inputs['job-status'] === 'failure') notifications.push(jobFailed(environment, inputs['job-name'] ? `The ${inputs['job-name']} job` : 'The job'));
  return notifications;
}

function jobFailed(environment: string, who: string): Notification {
  return { event: 'job-failed', ok: false, environment, verdict: `${who} for ${environment} failed before it reported what it found: see the run's log. Nothing is known about its outcome until it runs again.`, amis: [], links: [] };
}

function parseNeeds(text: string | undefined): z.infer<typeof neededJobs> {
  if (!text?.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError('Input needs invalid: it is not JSON. Pass ${{ toJSON(needs) }}.');
  }
  const parsed = neededJobs.safeParse(value);
  if (!parsed.success) throw new InputError('Input needs invalid: it is not the needs context. Pass ${{ toJSON(needs) }}.');
  return parsed.data;
}
