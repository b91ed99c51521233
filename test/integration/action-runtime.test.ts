/**
 * The runtime the bundles run on: what action.yml's runs.using names (node24), as on a GitHub
 * runner, and not the Node that runs jest. Each bundle is run as a runner runs it
 * (local/run-action.ts) with step debug logging on, and says which Node ran it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { readPinnedVersion } from '../../local/action-node';
import { REPO_ROOT } from '../../local/env';
import { actionRunsUsing, runBundledAction } from '../../local/run-action';
import { useLocalAws } from './harness';

useLocalAws();

const pinned = readPinnedVersion(readFileSync(join(REPO_ROOT, 'tools/versions.env'), 'utf8'));

/** The line runAction (actions/lib/action/runtime.ts) writes first, as a ::debug:: command. */
const runtimeLine = (stdout: string) => /^::debug::Running on Node (v\S+) \((\S+)\)$/m.exec(stdout);

describe('the Node the bundled actions run on', () => {
  it.each([
    // verify-alb reaches moto (DescribeStacks on a stack that does not exist): the AWS SDK is loaded and used.
    ['verify-alb', { 'stack-name': 'patch-nowhere-app', 'expected-ami-id': 'ami-0123456789abcdef0' }],
    // build-ami asks the Image Builder stand-in for a pipeline that does not exist.
    ['build-ami', { 'pipeline-arn': 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/patch-nowhere-app' }],
  ])('%s runs on the pinned Node of the major runs.using names, and the SDK has no Node-version warning', async (action, inputs) => {
    const run = await runBundledAction(action, inputs, { RUNNER_DEBUG: '1' }, { timeoutMs: 60_000 });

    const using = actionRunsUsing(readFileSync(join(REPO_ROOT, 'actions', action, 'action.yml'), 'utf8'));
    const line = runtimeLine(run.stdout);
    expect(line?.[1]).toBe(`v${pinned}`);
    expect(`node${line?.[1].slice(1).split('.')[0]}`).toBe(using);
    // It did reach AWS (and failed there, not on its inputs): the SDK ran on that Node.
    expect(run.exitCode).toBe(1);
    expect(run.annotations.map((a) => a.message).join('\n')).not.toMatch(/Invalid action inputs/);
    // The AWS SDK warns on stderr on any Node below 22 (NodeVersionSupportWarning).
    expect(run.stderr).not.toMatch(/NodeVersionSupportWarning|You are running node/);
  });
});
