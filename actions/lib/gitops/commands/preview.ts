import { z } from 'zod';

import { upsertPreviewComment } from '../preview-comment';
import { defineCommand, loadWiring } from './context';
import { environmentName } from './inputs';

/** PR checks: put one environment's change-set preview into the PR's single preview comment. */
export const upsertPreview = defineCommand({
  description: "Create or update the pull request's change-set preview comment (one section per environment).",
  inputs: z.object({
    environment: environmentName,
    'pull-request': z.string().regex(/^\d+$/, 'must be a pull request number').transform(Number),
    'changes-markdown': z.string().optional(),
  }),
  outputs: ['comment-url'],
  async run(inputs, ctx) {
    const wiring = await loadWiring(ctx);
    const markdown = `### \`${inputs.environment}\`\n\n${inputs['changes-markdown']?.trim() || 'update-app-stack reported no changes for this environment.'}`;
    // The workflow's token writes the comment as ctx.identity (github-actions[bot] by default).
    const comment = await upsertPreviewComment(ctx.github(), inputs['pull-request'], inputs.environment, markdown, wiring.promotionOrder, ctx.identity.name);
    ctx.logger.info(`${comment.created ? 'Created' : 'Updated'} the preview comment: ${comment.url}`);
    return { outputs: { 'comment-url': comment.url } };
  },
});
