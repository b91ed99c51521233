import { NOTIFICATION_EVENTS, encodeNotification, parseNotifications, type Notification } from '../../../../actions/lib/notify/notification';
import { buildSnsMessage, buildWebhookBody, notificationTitle } from '../../../../actions/lib/notify/payloads';

const RUN = 'https://github.com/acme/fleet/actions/runs/42';
const verdicts: Record<Notification['event'], string> = {
  deploy: 'Deployed ami-00000000000000002 to dev; the fleet verified healthy through the load balancer.',
  stage: 'Staged ami-00000000000000002 in green of dev and proved it on its own target group, with no user traffic. The switch PR https://github.com/acme/fleet/pull/5 moves users when merged.',
  failback: 'Failed back dev from ami-00000000000000002 to ami-00000000000000001 (login errors); the fleet verified healthy.',
  'auto-failback': 'ami-00000000000000002 failed verification in dev; failed back to ami-00000000000000001, which verified healthy.',
  rollback: 'CloudFormation rolled back the update of dev to ami-00000000000000002; dev runs ami-00000000000000001.',
  drift: 'Drift in dev: stack patch-dev-app runs ami-00000000000000001 but parameters/dev.json names ami-00000000000000002.',
  revoked: 'dev runs ami-00000000000000002, which is revoked. Pull request https://github.com/acme/fleet/pull/3 replaces it.',
  'patch-debt': 'dev runs ami-00000000000000002, past its patch-debt limits: 45 days old.',
  'job-failed': 'The drift job for dev failed before it reported what it found.',
};
const notification = (event: Notification['event'], ok = false): Notification => ({
  event,
  ok,
  environment: 'dev',
  verdict: verdicts[event],
  amis: [
    { label: 'From', amiId: 'ami-00000000000000002' },
    { label: 'To', amiId: 'ami-00000000000000001' },
  ],
  links: [{ label: 'Record commit', url: 'https://github.com/acme/fleet/commit/abc' }],
});
const cases = NOTIFICATION_EVENTS.flatMap((event) => [
  [event, false],
  [event, true],
] as const);

describe('notification payloads', () => {
  it.each(cases)('%s (ok %s): every outcome has its own title', (event, ok) => {
    const titles = new Set(cases.map(([e, o]) => notificationTitle({ event: e, ok: o, environment: 'dev' })));
    expect(titles.size).toBe(cases.length);
    expect(notificationTitle({ event, ok, environment: 'dev' })).toContain('dev');
  });

  it.each(cases)('%s (ok %s) over SNS: the verdict first, then both AMIs, then the run; an ASCII subject SNS accepts', (event, ok) => {
    const sns = buildSnsMessage(notification(event, ok), { runUrl: RUN });
    expect(sns.message.split('\n')).toEqual([verdicts[event], '', 'From: ami-00000000000000002', 'To: ami-00000000000000001', `Workflow run: ${RUN}`, 'Record commit: https://github.com/acme/fleet/commit/abc']);
    expect(sns.subject).toMatch(/^[\x20-\x7e]{1,99}$/);
    expect(sns.subject).toMatch(ok ? /^OK / : /^ALERT /);
    expect(sns.attributes).toEqual({ event, environment: 'dev', ok: String(ok) });
  });

  it.each(cases)('%s (ok %s) to Slack: header, the verdict, the AMIs as fields, the run link', (event, ok) => {
    const body = buildWebhookBody('slack', notification(event, ok), { runUrl: RUN }) as { text: string; blocks: { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { text: string }[] }[] };
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(body.blocks[0].text?.text).toBe(notificationTitle({ event, ok, environment: 'dev' }));
    expect(body.blocks[1].text?.text).toBe(verdicts[event]);
    expect(body.blocks[2].fields?.map((f) => f.text)).toEqual(['*From*\n`ami-00000000000000002`', '*To*\n`ami-00000000000000001`']);
    expect(body.blocks[3].elements?.[0].text).toBe(`<${RUN}|Workflow run>  ·  <https://github.com/acme/fleet/commit/abc|Record commit>`);
    expect(body.text.startsWith(notificationTitle({ event, ok, environment: 'dev' }))).toBe(true);
  });

  it.each(cases)('%s (ok %s) to Teams: an Adaptive Card in a message, the verdict, a fact per AMI, a button per link', (event, ok) => {
    const body = buildWebhookBody('teams', notification(event, ok), { runUrl: RUN }) as { type: string; attachments: { contentType: string; content: { type: string; version: string; body: { type: string; text?: string; color?: string; facts?: unknown[] }[]; actions: unknown[] } }[] };
    expect(body.type).toBe('message');
    const [attachment] = body.attachments;
    expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect([attachment.content.type, attachment.content.version]).toEqual(['AdaptiveCard', '1.4']);
    expect(attachment.content.body.map((b) => b.type)).toEqual(['TextBlock', 'TextBlock', 'FactSet']);
    expect(attachment.content.body[0].color).toBe(ok ? 'Good' : 'Attention');
    expect(attachment.content.body[1].text).toBe(verdicts[event]);
    expect(attachment.content.body[2].facts).toEqual([
      { title: 'From', value: 'ami-00000000000000002' },
      { title: 'To', value: 'ami-00000000000000001' },
    ]);
    expect(attachment.content.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Workflow run', url: RUN },
      { type: 'Action.OpenUrl', title: 'Record commit', url: 'https://github.com/acme/fleet/commit/abc' },
    ]);
  });

  it('escapes what Slack reads as markup, so a reason cannot ping @channel or fake a link', () => {
    const body = buildWebhookBody('slack', { ...notification('failback'), verdict: 'Failed back (<!channel> & <https://evil.example|click>)' }, {}) as { blocks: { text?: { text: string } }[] };
    expect(body.blocks[1].text?.text).toBe('Failed back (&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;)');
  });

  it('leaves out blocks it has nothing for (no AMIs, no links, no run URL)', () => {
    const bare: Notification = { ...notification('job-failed'), amis: [], links: [] };
    expect((buildWebhookBody('slack', bare, {}) as { blocks: unknown[] }).blocks).toHaveLength(2);
    expect(buildSnsMessage(bare, {}).message).toBe(verdicts['job-failed']);
  });

  it('cuts a long subject to what SNS accepts', () => {
    const long = buildSnsMessage({ ...notification('deploy'), environment: 'a-very-long-environment-name-xyz' }, {});
    expect(long.subject.length).toBeLessThanOrEqual(99);
  });
});

describe('notification lines', () => {
  it('round-trips through a step output, one JSON line each', () => {
    const line = encodeNotification(notification('drift'));
    expect(line).not.toContain('\n');
    expect(parseNotifications(`${line}\n\n${encodeNotification(notification('revoked'))}\n`).map((n) => n.event)).toEqual(['drift', 'revoked']);
  });

  it('cuts a long verdict and drops a link that is not a web URL, rather than failing the report', () => {
    const parsed = parseNotifications(encodeNotification({ ...notification('deploy'), verdict: 'x'.repeat(5000), links: [{ label: 'Local', url: '/tmp/origin.git' }] }))[0];
    expect(parsed.verdict).toHaveLength(2000);
    expect(parsed.links).toEqual([]);
  });

  it('refuses a line that is not a notification, naming the line', () => {
    expect(() => parseNotifications('{"event":"deploy"}')).toThrow(/line 1: .*Pass a step's notification output unchanged/);
    expect(() => parseNotifications('\nnot json')).toThrow(/line 2: it is not JSON/);
  });
});
