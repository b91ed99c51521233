import { renderChangesMarkdown } from '../../../../actions/lib/cloudformation/change-set-markdown';
import { mergePreviewSection, PREVIEW_MARKER, upsertPreviewComment, type IssueCommentApi } from '../../../../actions/lib/gitops/preview-comment';
import { leadProblem, leadOf } from '../../../support/summary-lead';

/** An in-memory PR conversation with the same semantics as the GitHub API. */
const BOT = 'github-actions[bot]';

function fakeComments(initial: { id: number; body: string; author: string }[] = []): IssueCommentApi & { comments: { id: number; body: string; author: string }[] } {
  const comments = [...initial];
  return {
    comments,
    async listComments() {
      return comments.map((c) => ({ ...c }));
    },
    async createComment(_issue, body) {
      const id = 100 + comments.length;
      comments.push({ id, body, author: BOT });
      return { id, url: `https://github.com/acme/fleet/pull/3#issuecomment-${id}` };
    },
    async updateComment(id, body) {
      const comment = comments.find((c) => c.id === id)!;
      comment.body = body;
      return { id, url: `https://github.com/acme/fleet/pull/3#issuecomment-${id}` };
    },
  };
}

const ORDER = ['dev', 'prod'];

describe('preview comment', () => {
  it('creates one comment, then edits it in place, keeping one section per environment in promotion order', async () => {
    const api = fakeComments([{ id: 1, body: 'LGTM', author: 'octocat' }]);
    const first = await upsertPreviewComment(api, 3, 'prod', 'prod changes v1', ORDER, BOT);
    const second = await upsertPreviewComment(api, 3, 'dev', 'dev changes', ORDER, BOT);
    const third = await upsertPreviewComment(api, 3, 'prod', 'prod changes v2', ORDER, BOT);
    expect([first.created, second.created, third.created]).toEqual([true, false, false]);
    expect(api.comments).toHaveLength(2);
    const body = api.comments[1].body;
    expect(body.startsWith(PREVIEW_MARKER)).toBe(true);
    expect(body).toContain('dev changes');
    expect(body).toContain('prod changes v2');
    expect(body).not.toContain('prod changes v1');
    expect(body.indexOf('dev changes')).toBeLessThan(body.indexOf('prod changes v2'));
    expect(api.comments[0].body).toBe('LGTM');
  });

  describe('leads with the answer: which environments merging changes, from which AMI to which, and whether any needs a look first', () => {
    const OLD = 'ami-0aaaaaaaaaaaaaaa1';
    const NEW = 'ami-0bbbbbbbbbbbbbbb2';
    const amiChange = [{ key: 'AmazonMachineImage', previous: OLD, next: NEW }];
    const asg = { ResourceChange: { Action: 'Modify' as const, LogicalResourceId: 'AppAutoScalingGroup', ResourceType: 'AWS::AutoScaling::AutoScalingGroup', Replacement: 'True' as const } };
    const section = (env: string, changes: string) => `### \`${env}\`\n\n${changes}`;
    const comment = (...parts: [string, string][]) => parts.reduce<string | undefined>((body, [env, changes]) => mergePreviewSection(body, env, section(env, changes), ORDER), undefined) ?? '';

    it('says nothing is removed or replaced beyond the cutover when so, and each section opens with its AMI move', () => {
      const body = comment(['dev', renderChangesMarkdown([asg], amiChange)], ['prod', renderChangesMarkdown([asg], amiChange)]);
      expect(leadProblem(body)).toBeUndefined();
      expect(leadOf(body)).toEqual({
        heading: 'CloudFormation change-set preview',
        lead: `**Merging this pull request moves \`dev\`, \`prod\` from \`${OLD}\` to \`${NEW}\`; nothing is removed or replaced beyond the blue/green cutover.** Nothing has changed yet: each preview's change set is created and deleted without being executed.`,
      });
      expect(body).toContain(`### \`dev\`\n\nDeploying this moves AmazonMachineImage from \`${OLD}\` to \`${NEW}\`. 1 resource changes; nothing is removed, and the only replacement is the Auto Scaling group's blue/green cutover.`);
    });

    it('names the environment to check first when its change set removes or replaces more', () => {
      const risky = renderChangesMarkdown([asg, { ResourceChange: { Action: 'Remove', LogicalResourceId: 'AppAlarm', ResourceType: 'AWS::CloudWatch::Alarm' } }], amiChange);
      const { lead } = leadOf(comment(['dev', renderChangesMarkdown([asg], amiChange)], ['prod', risky]));
      expect(lead).toMatch(new RegExp(`^\\*\\*Merging this pull request moves \`dev\`, \`prod\` from \`${OLD}\` to \`${NEW}\`; ⚠️ check \`prod\` before merging: it removes or replaces more than`));
    });

    it('says when a listing cannot tell (moto lists no resources), and which environments already match', () => {
      const { lead } = leadOf(comment(['dev', renderChangesMarkdown([], amiChange)], ['prod', 'No changes: stack patch-prod-app already matches parameters/prod.json.']));
      expect(lead).toMatch(new RegExp(`^\\*\\*Merging this pull request moves \`dev\` from \`${OLD}\` to \`${NEW}\` \\(\`prod\` already matches it\\); the resource listing of \`dev\` is incomplete, so it cannot say what is replaced \\(below\\)\\.\\*\\*`));
      expect(leadOf(comment(['prod', 'No changes: stack patch-prod-app already matches parameters/prod.json.'])).lead).toMatch(/^\*\*Merging this pull request changes nothing in `prod`/);
    });

    it("names each environment's own move (a slot's AMI parameter by name), and one that moves no AMI as changing", () => {
      const slot = [{ key: 'GreenAmazonMachineImage', previous: NEW, next: 'ami-0ccccccccccccccc3' }];
      const other = [{ key: 'InstanceType', previous: 't3.micro', next: 't3.small' }];
      const { lead } = leadOf(comment(['dev', renderChangesMarkdown([asg], slot)], ['prod', renderChangesMarkdown([asg], other)]));
      expect(lead).toMatch(new RegExp(`^\\*\\*Merging this pull request moves \`dev\` from \`${NEW}\` to \`ami-0ccccccccccccccc3\` \\(GreenAmazonMachineImage\\), and changes \`prod\` as previewed below; nothing is removed`));
      const { lead: both } = leadOf(comment(['dev', renderChangesMarkdown([asg], amiChange)], ['prod', renderChangesMarkdown([asg], [{ key: 'AmazonMachineImage', previous: 'ami-0ddddddddddddddd4', next: NEW }])]));
      expect(both).toMatch(new RegExp(`^\\*\\*Merging this pull request moves \`dev\` from \`${OLD}\` to \`${NEW}\`, \`prod\` from \`ami-0ddddddddddddddd4\` to \`${NEW}\`; `));
    });
  });

  it('leaves comments that merely mention the marker text alone', async () => {
    const api = fakeComments([{ id: 1, body: `Why is there a ${PREVIEW_MARKER}?`, author: 'octocat' }]);
    await upsertPreviewComment(api, 3, 'dev', 'x', ORDER, BOT);
    expect(api.comments).toHaveLength(2);
  });

  it("adopts only the workflow's own comment: one a user wrote with the marker is left alone", async () => {
    const forged = `${PREVIEW_MARKER}\n\n<!-- preview:prod:start -->\n_update-app-stack reported no changes._\n<!-- preview:prod:end -->`;
    const api = fakeComments([{ id: 1, body: forged, author: 'mallory' }]);
    const result = await upsertPreviewComment(api, 3, 'dev', 'dev changes', ORDER, BOT);
    expect(result.created).toBe(true);
    expect(api.comments[0]).toEqual({ id: 1, body: forged, author: 'mallory' });
    expect(api.comments[1].body).not.toContain('preview:prod');
  });

  it('keeps the whole comment under GitHub’s limit when previews are huge', () => {
    const huge = 'row\n'.repeat(40_000);
    const body = mergePreviewSection(mergePreviewSection(undefined, 'dev', huge, ORDER), 'prod', huge, ORDER);
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.match(/cut to fit GitHub's comment limit/g)).toHaveLength(2);
  });

  it('reads back sections it wrote, for environments it does not know (removed from the wiring)', () => {
    const body = mergePreviewSection(mergePreviewSection(undefined, 'staging', 'old env', ORDER), 'dev', 'new', ORDER);
    expect(body.indexOf('new')).toBeLessThan(body.indexOf('old env'));
  });
});
