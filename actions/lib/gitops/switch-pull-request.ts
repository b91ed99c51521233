/**
 * Staging ahead, the second PR (docs/parameters.md, "Staging ahead"): the switch. The stage
 * deploy proposes it once the staged slot passed its prove, and its body is that proof, so the
 * person who merges decides with the evidence in front of them: old → new AMI, the slot, the
 * prove's samples and error rate, and the AMI each instance runs. Its commit changes only
 * LiveSlot and the two weights (the slot already runs the AMI at capacity), and its metadata
 * carries when the slot was proven and the commit it was proposed from: the switch's deploy
 * trusts the proof only while both still hold (switch-proof.ts).
 */
import { keyValueTable, markdownTable } from '../markdown';
import type { StagedSlot } from '../slots/deploy-slots';
import { composeCommitMessage } from './commit-metadata';

export interface SwitchPullRequestInputs {
  environment: string;
  parametersFile: string;
  staged: StagedSlot;
  /** The commit the stage deploy ran from (its HEAD): the switch's compare-and-swap base. */
  baseCommit: string;
  /** The metadata's `parameter`: the lines the switch changes (LiveSlot and the weights). */
  parameter: string;
  runUrl?: string;
}

export interface SwitchPullRequest {
  branch: string;
  title: string;
  body: string;
  commitMessage: string;
}

/** One fixed branch per environment: a newer stage's proposal replaces the open switch PR. */
export function switchBranch(environment: string): string {
  return `ami-switch/${environment}`;
}

export function composeSwitchPullRequest(inputs: SwitchPullRequestInputs): SwitchPullRequest {
  const { environment, staged } = inputs;
  const from = staged.liveAmiId;
  const to = staged.amiId;
  const title = `Switch ${environment} AMI from ${from} to ${to}`;
  const percent = `${(staged.errorRate * 100).toFixed(1)} %`;
  const instances = staged.instances.length
    ? markdownTable(
        ['Instance', 'AMI (EC2)', ''],
        staged.instances.map((i) => [`\`${i.instanceId}\``, i.amiId ? `\`${i.amiId}\`` : 'not reported', i.amiId === to ? '✅' : '❌']),
      )
    : '_The prove reported no instances._';
  const facts = keyValueTable([
    ['Environment', `\`${environment}\` (\`${inputs.parametersFile}\`)`],
    ['Users now', `\`${staged.liveSlot}\` on \`${from}\``],
    ['After the merge', `\`${staged.slot}\` on \`${to}\` (× ${staged.capacity}); \`${staged.liveSlot}\` stays warm on \`${from}\` through the bake window`],
    ['Proven', `${staged.provenAt} on \`${staged.slot}\`'s own target group, through the slot header, no user traffic`],
    ['HTTP samples', `${staged.samples}, ${percent} errors${staged.medianLatencyMs === undefined ? '' : `, median ${Math.round(staged.medianLatencyMs)} ms`}`],
    ['Proposed from', `\`${inputs.baseCommit.slice(0, 12)}\`${inputs.runUrl ? ` by [the stage deploy](${inputs.runUrl})` : ''}`],
  ]);
  const body = [
    `## Switch \`${environment}\``,
    `**Merging this PR moves users from \`${from}\` to \`${to}\`: \`${staged.slot}\` already runs \`${to}\` at capacity and passed its prove (${staged.samples} samples, ${percent} errors).** ` +
      `The deploy takes one look at \`${staged.slot}\`'s targets (a full prove again if the look fails or the proof is more than a day old), then the canary share, then all traffic; \`${staged.liveSlot}\` stays warm, one weight flip away.`,
    facts,
    '### The AMI of each instance of the staged slot',
    instances,
    '<sub>Opened by the stage deploy (staging ahead, the wiring\'s slots.stageAhead); a newer stage replaces this PR. Merge it only as it is: ' +
      "if the environment's file changed on the default branch since it was proposed, its deploy proves the slot again, or refuses when the AMI moved.</sub>",
  ].join('\n\n');
  const commitMessage = composeCommitMessage({
    subject: title,
    body: [`${staged.slot} was staged on ${to} and proven at ${staged.provenAt}: ${staged.samples} samples, ${percent} errors; users stay on ${from} until this merges.`],
    updates: [
      {
        environment,
        'parameters-file': inputs.parametersFile,
        parameter: inputs.parameter,
        'previous-ami-id': from,
        'ami-id': to,
        'update-type': 'switch',
        'proven-at': staged.provenAt,
        'base-commit': inputs.baseCommit,
        'run-url': inputs.runUrl,
      },
    ],
  });
  return { branch: switchBranch(environment), title, body, commitMessage };
}
