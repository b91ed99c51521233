import { mergePreviewSection, PREVIEW_MARKER, upsertPreviewComment, type IssueCommentApi } from '../../../../actions/lib/gitops/preview-comment';

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
