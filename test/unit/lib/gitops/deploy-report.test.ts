import { summariseDeploy, type DeployReportInputs } from '../../../../actions/lib/gitops/deploy-report';
import { codeAmiIds } from '../../../../actions/lib/markdown';
import { leadOf } from '../../../support/summary-lead';

const ok = { prepare: 'success', update: 'success', verify: 'success', failbackUpdate: '', failbackVerify: '', sync: '' } as const;
const base: DeployReportInputs = {
  environment: 'dev',
  requestedAmiId: 'ami-00000000000000002',
  isFailback: false,
  steps: { ...ok },
  repositoryUrl: 'https://github.com/acme/fleet',
  defaultBranch: 'main',
  runId: '123456789',
};
const SHA = 'a'.repeat(40);

describe('summariseDeploy', () => {
  it.each<[string, Partial<DeployReportInputs>, boolean, RegExp]>([
    ['a verified deploy', {}, true, /^Deployed ami-00000000000000002 to dev; the fleet verified healthy/],
    ['a no-op deploy', { changed: 'false' }, true, /^dev already ran ami-00000000000000002; the fleet verified healthy/],
    ['a deploy that never started', { steps: { ...ok, prepare: 'skipped', update: 'skipped', verify: 'skipped' } }, false, /did not start: a step before the stack update failed.*nothing changed in AWS/],
    [
      'a CloudFormation rollback recorded in git',
      { steps: { ...ok, update: 'failure', verify: '', sync: 'success' }, stackStatus: 'UPDATE_ROLLBACK_COMPLETE', liveAmiId: 'ami-00000000000000001', syncOutcome: 'pushed', syncCommit: SHA },
      false,
      /^CloudFormation rolled back the update of dev to ami-00000000000000002; dev runs ami-00000000000000001\. Git records it: aaaaaaaaaaaa \(https:\/\/github.com\/acme\/fleet\/commit\/a{40}\)/,
    ],
    [
      'a failed update that changed nothing',
      { steps: { ...ok, update: 'failure', verify: '', sync: 'success' }, stackStatus: 'UPDATE_COMPLETE', liveAmiId: 'ami-00000000000000002', syncOutcome: 'unchanged' },
      false,
      /^The update of dev to ami-00000000000000002 did not start: the stack is still UPDATE_COMPLETE \(the update step says why\); dev runs ami-00000000000000002\. Git already says so/,
    ],
    [
      'a stack that stayed busy',
      { steps: { ...ok, update: 'failure', verify: '', sync: 'success' }, stackStatus: 'UPDATE_IN_PROGRESS', liveAmiId: 'ami-00000000000000001', syncOutcome: 'unchanged' },
      false,
      /^The update of dev to ami-00000000000000002 did not start: the stack stayed busy \(UPDATE_IN_PROGRESS\); dev runs ami-00000000000000001\./,
    ],
    [
      'a rollback that failed',
      { steps: { ...ok, update: 'failure', verify: '', sync: 'skipped' }, stackStatus: 'UPDATE_ROLLBACK_FAILED' },
      false,
      /^The update of dev to ami-00000000000000002 failed and CloudFormation could not roll back \(UPDATE_ROLLBACK_FAILED\): continue the rollback \(aws cloudformation continue-update-rollback\) before anything else; what dev runs could not be read/,
    ],
    [
      'an automatic failback that verified',
      { steps: { ...ok, verify: 'failure', failbackUpdate: 'success', failbackVerify: 'success', sync: 'success' }, failbackAmiId: 'ami-00000000000000001', syncOutcome: 'pushed', syncCommit: SHA, liveAmiId: 'ami-00000000000000001' },
      false,
      /^ami-00000000000000002 failed verification in dev; failed back to ami-00000000000000001, which verified healthy\. Git records it/,
    ],
    [
      'a failback that failed verification too',
      { steps: { ...ok, verify: 'failure', failbackUpdate: 'success', failbackVerify: 'failure', sync: 'success' }, failbackAmiId: 'ami-00000000000000001', syncOutcome: 'pull-request', syncPullRequestUrl: 'https://github.com/acme/fleet/pull/9' },
      false,
      /failed back to ami-00000000000000001, but it failed verification too: the fleet is unhealthy on ami-00000000000000001, investigate now\. Git records it in https:\/\/github.com\/acme\/fleet\/pull\/9 \(the branch is protected\).* this one command deploys it and records it, with AMI_ID that AMI: gh workflow run failback\.yml /,
    ],
    [
      'a failback whose update failed and whose record failed',
      { steps: { ...ok, verify: 'failure', failbackUpdate: 'failure', failbackVerify: '', sync: 'failure' }, failbackAmiId: 'ami-00000000000000001' },
      false,
      /the failback to ami-00000000000000001 failed as well; what dev runs could not be read: check the stack before anything else\. Git could NOT be updated \(see the "Record what runs" step\) and what dev runs was not read, so whether it still is ami-00000000000000002, as git says, is not known/,
    ],
    [
      'no failback target',
      { steps: { ...ok, verify: 'failure', sync: 'success' }, liveAmiId: 'ami-00000000000000002', syncOutcome: 'unchanged' },
      false,
      /no failback was attempted \(no previous AMI known\); dev runs ami-00000000000000002/,
    ],
    ['a failed verification of a requested failback', { isFailback: true, steps: { ...ok, verify: 'failure' } }, false, /No automatic failback from a failback/],
    [
      'a record that gave way to a newer commit',
      { steps: { ...ok, update: 'failure', verify: '', sync: 'success' }, liveAmiId: 'ami-00000000000000001', syncOutcome: 'superseded', syncSupersededBy: SHA, syncSupersededByAmiId: 'ami-00000000000000003' },
      false,
      new RegExp(
        `dev runs ami-00000000000000001\\. The record was not written: a newer commit aaaaaaaaaaaa \\(https://github.com/acme/fleet/commit/a{40}\\), which names ami-00000000000000003, changed this environment's file since this deploy started, ` +
          'and recording ami-00000000000000001 over it would undo that newer decision\\. Git names ami-00000000000000003 while dev runs ami-00000000000000001\\. ' +
          'This run does not deploy the newer commit and cannot see whether another run will \\(the Deploy run of its merge, or the Failback run that recorded it\\)\\. ' +
          `If none is queued or running, this one command deploys what git names: gh run rerun \\$\\(gh run list --workflow deploy\\.yml --commit a{40} --limit 1 --json databaseId --jq '\\.\\[0\\]\\.databaseId'\\)$`,
      ),
    ],
    [
      'a record that gave way to a newer commit naming what the stack runs',
      { steps: { ...ok, update: 'failure', verify: '', sync: 'success' }, liveAmiId: 'ami-00000000000000003', syncOutcome: 'superseded', syncSupersededBy: SHA, syncSupersededByAmiId: 'ami-00000000000000003' },
      false,
      /dev runs ami-00000000000000003\. The record was not needed: a newer commit aaaaaaaaaaaa \(https:\/\/github.com\/acme\/fleet\/commit\/a{40}\), which names ami-00000000000000003, changed this environment's file since this deploy started, and dev runs what it names, so git and the stack agree\.$/,
    ],
    [
      'a rollback whose record git refused: the stack was read, both AMIs and the Failback workflow',
      { steps: { ...ok, update: 'failure', verify: '', sync: 'failure' }, stackStatus: 'UPDATE_ROLLBACK_COMPLETE', liveAmiId: 'ami-00000000000000001', syncOutcome: 'failed' },
      false,
      /^CloudFormation rolled back the update of dev to ami-00000000000000002; dev runs ami-00000000000000001\. Git could NOT record it \(see the "Record what runs" step\), so git says ami-00000000000000002 while dev runs ami-00000000000000001: this one command records ami-00000000000000001 in git \(the stack already runs it, so it changes nothing in AWS\): gh workflow run failback\.yml --ref main -f environment=dev -f target-ami=ami-00000000000000001 -f reason='record what dev runs after the failed deploy of ami-00000000000000002'$/,
    ],
    [
      'a record step that failed after reading HEAD\'s AMI on the stack: no disagreement claimed',
      { steps: { ...ok, update: 'failure', verify: '', sync: 'failure' }, stackStatus: 'UPDATE_COMPLETE', liveAmiId: 'ami-00000000000000002', syncOutcome: 'failed' },
      false,
      /dev runs ami-00000000000000002\. Git could NOT record the stack's state \(see the "Record what runs" step\), but HEAD already names ami-00000000000000002, which dev runs; this one command re-runs the job to record the rest \(a slot's capacity or weight\): gh run rerun 123456789 --failed$/,
    ],
    [
      'an update sent to CloudFormation, then AWS stopped answering: both AMIs possible, neither claimed',
      { steps: { ...ok, update: 'failure', verify: '', sync: 'failure' }, stackStatus: 'unknown', stackPreviousAmiId: 'ami-00000000000000001', previousAmiId: 'ami-00000000000000001' },
      false,
      /^The update of dev to ami-00000000000000002 was sent to CloudFormation, then AWS stopped answering \(see the update step\), so its outcome is unknown: dev runs ami-00000000000000002 if the update completed, or still ami-00000000000000001 if it rolled back\. Git says ami-00000000000000002: once AWS answers, this one command waits for the update to end, then finds no changes if ami-00000000000000002 runs, or deploys it again and records what runs: gh run rerun 123456789 --failed$/,
    ],
    [
      'an update that never reached AWS, with the AMI before HEAD in git history',
      { steps: { ...ok, update: 'failure', verify: '', sync: 'failure' }, previousAmiId: 'ami-00000000000000001' },
      false,
      /^The update of dev to ami-00000000000000002 never reached AWS \(see the update step\), so ami-00000000000000002 is not deployed; by git history dev still runs ami-00000000000000001 \(the AMI before HEAD's; this could not be confirmed with AWS\)\. Git says ami-00000000000000002 until then: once AWS answers, this one command deploys HEAD: gh run rerun 123456789 --failed \(or run the Drift workflow to check what dev runs\)\.$/,
    ],
    [
      'an update that never reached AWS, with no earlier AMI in git',
      { steps: { ...ok, update: 'failure', verify: '', sync: 'failure' } },
      false,
      /so ami-00000000000000002 is not deployed; git history names no AMI before it, so what dev runs is unknown\. Git says .*once AWS answers, this one command deploys HEAD: gh run rerun 123456789 --failed /,
    ],
    [
      'a failed update whose status is known (the previous AMI is then not needed)',
      { steps: { ...ok, update: 'failure', verify: '', sync: 'success' }, stackStatus: 'UPDATE_COMPLETE', liveAmiId: 'ami-00000000000000003', syncOutcome: 'pushed', syncCommit: SHA, previousAmiId: 'ami-00000000000000001' },
      false,
      /did not start: the stack is still UPDATE_COMPLETE \(the update step says why\); dev runs ami-00000000000000003\./,
    ],
  ])('reports %s', (_name, overrides, expectedOk, headline) => {
    const report = summariseDeploy({ ...base, ...overrides });
    expect(report.ok).toBe(expectedOk);
    expect(report.headline).toMatch(headline);
    // The headline is plain text (annotations show Markdown raw); the summary links the commits.
    expect(report.headline).not.toMatch(/\]\(/);
    // The summary's lead says the same, with the commits linked and IDs and commands in code spans (none left bare).
    const lead = leadOf(report.markdown).lead;
    expect(lead.replace(/`/g, '')).toBe(`**${report.headline.replace(/(\b[0-9a-f]{12}) \((https:\/\/\S+)\)/g, '[$1]($2)')}**`);
    expect(codeAmiIds(lead)).toBe(lead);
    expect(report.markdown.startsWith(`## ${expectedOk ? '✅' : '❌'} ${overrides.isFailback ? 'Failback' : 'Deploy'} dev`)).toBe(true);
  });

  it('leads with the AMI move: what the stack ran and what HEAD asked for', () => {
    const report = summariseDeploy({ ...base, stackPreviousAmiId: 'ami-00000000000000001' });
    expect(report.markdown.split('\n')[0]).toBe('## ✅ Deploy dev');
    expect(leadOf(report.markdown).lead).toBe('**Deployed `ami-00000000000000002` to dev in place of `ami-00000000000000001`; the fleet verified healthy through the load balancer.**');
    expect(report.markdown).toContain('| Ran before | `ami-00000000000000001` |');
  });

  const failback = { targetAmiId: 'ami-00000000000000001', reason: 'login errors since the patch', requestedBy: 'alice', replacedAmiId: 'ami-00000000000000002' };

  it('names a requested failback: who, why, from → to, and its record commit', () => {
    const report = summariseDeploy({
      ...base,
      requestedAmiId: 'ami-00000000000000001',
      stackPreviousAmiId: 'ami-00000000000000002',
      isFailback: true,
      failback: { ...failback, recordStep: 'success', recordResult: 'pushed', recordCommit: SHA },
    });
    expect(report.ok).toBe(true);
    expect(report.headline).toBe(
      `Failed back dev from ami-00000000000000002 to ami-00000000000000001 (login errors since the patch); the fleet verified healthy through the load balancer. Git records it: aaaaaaaaaaaa (https://github.com/acme/fleet/commit/${SHA}) on the default branch, before the deploy.`,
    );
    expect(report.markdown.split('\n')[0]).toBe('## ✅ Failback dev');
    for (const row of [
      '| Failback | requested by @alice |',
      '| Reason | login errors since the patch |',
      '| From | `ami-00000000000000002` |',
      '| To | `ami-00000000000000001` |',
      `| Failback record | [aaaaaaaaaaaa](https://github.com/acme/fleet/commit/${SHA}) on the default branch, before the deploy |`,
    ]) {
      expect(report.markdown).toContain(row);
    }
  });

  it('names a failback that became a pull request (protected branch): not deployed, the PR, what still runs; nothing "unknown"', () => {
    const report = summariseDeploy({
      ...base,
      requestedAmiId: '',
      isFailback: true,
      steps: { prepare: 'skipped', update: 'skipped', verify: 'skipped', failbackUpdate: 'skipped', failbackVerify: 'skipped', sync: 'skipped' },
      failback: { ...failback, recordStep: 'failure', recordResult: 'pull-request', recordPullRequestUrl: 'https://github.com/acme/fleet/pull/12' },
    });
    expect(report.ok).toBe(false);
    expect(report.headline).toBe(
      'Failback of dev to ami-00000000000000001 NOT deployed: the default branch only accepts pull requests, so the failback is https://github.com/acme/fleet/pull/12. Merge it and Deploy on merge deploys it. Nothing changed in AWS: dev still runs ami-00000000000000002.',
    );
    expect(report.markdown.split('\n')[0]).toBe('## ❌ Failback dev');
    expect(report.markdown).toContain('| Failback record | https://github.com/acme/fleet/pull/12 (the default branch only accepts pull requests): not deployed until it is merged |');
    expect(report.markdown).toContain('| Runs now | `ami-00000000000000002` (nothing changed in AWS) |');
    expect(report.markdown).not.toMatch(/unknown|see above/);
  });

  it('names a superseded failback: both AMIs, that nothing changed, and the one command; never what runs, which this run did not read', () => {
    const superseded = {
      ...base,
      requestedAmiId: '',
      isFailback: true,
      steps: { prepare: '', update: '', verify: '', failbackUpdate: '', failbackVerify: '', sync: '' },
      failback: {
        ...failback,
        reason: "p99 doubled; it's back",
        recordStep: 'failure',
        recordResult: 'superseded',
        replacedAmiId: 'ami-00000000000000003',
        supersededBy: SHA,
        supersededByAmiId: 'ami-00000000000000003',
      },
    } as const;
    const report = summariseDeploy(superseded);
    expect(report.ok).toBe(false);
    expect(report.headline).toBe(
      "Failback of dev to ami-00000000000000001 NOT recorded or deployed: a newer commit changed dev's parameters file since the request, and recording ami-00000000000000001 over it would undo that newer decision. " +
        'Nothing was changed by this run, in AWS or git: you asked for ami-00000000000000001; main names ami-00000000000000003 since aaaaaaaaaaaa, and the deploy of aaaaaaaaaaaa (not this run) is what puts ami-00000000000000003 on dev. ' +
        "If ami-00000000000000001 is still wanted over ami-00000000000000003, this one command reconciles them: gh workflow run failback.yml --ref main -f environment=dev -f target-ami=ami-00000000000000001 -f reason='p99 doubled; it'\\''s back'",
    );
    expect(report.markdown).toContain(`| Failback record | not written: a newer commit [aaaaaaaaaaaa](https://github.com/acme/fleet/commit/${SHA}), which names \`ami-00000000000000003\`, changed the file since the request |`);
    expect(report.markdown).toContain('| Runs now | not read: this run stopped before AWS and changed nothing there |');
    expect(report.markdown).toContain('| Git | unchanged: the default branch names `ami-00000000000000003` |');
    // The notification names only AMIs that were read: the request, never a guess at what runs.
    expect(report.notification.amis).toEqual([{ label: 'From', amiId: 'ami-00000000000000003' }, { label: 'To', amiId: 'ami-00000000000000001' }]);
    // A workflow that does not pass the newer commit gets only what is certain.
    const bare = summariseDeploy({ ...superseded, failback: { ...superseded.failback, supersededBy: undefined, supersededByAmiId: undefined } });
    expect(bare.headline).toMatch(/NOT recorded or deployed: a newer commit changed the environment's file since the request \(see the record step\)\. Nothing changed in AWS or git\.$/);
  });

  it('puts IDs and the command in code spans in the summary, and shows the reason as typed', () => {
    const report = summariseDeploy({
      ...base,
      requestedAmiId: '',
      isFailback: true,
      steps: { prepare: '', update: '', verify: '', failbackUpdate: '', failbackVerify: '', sync: '' },
      failback: { ...failback, reason: 'p99 *doubled* <b>', recordStep: 'failure', recordResult: 'superseded', replacedAmiId: 'ami-00000000000000003', supersededBy: SHA, supersededByAmiId: 'ami-00000000000000003' },
    });
    const { lead } = leadOf(report.markdown);
    expect(lead).toMatch(/^\*\*Failback of dev to `ami-00000000000000001` NOT recorded or deployed: .*you asked for `ami-00000000000000001`; main names `ami-00000000000000003` since aaaaaaaaaaaa/);
    expect(lead).toContain(": `gh workflow run failback.yml --ref main -f environment=dev -f target-ami=ami-00000000000000001 -f reason='p99 *doubled* <b>'`**");
    const verified = summariseDeploy({ ...base, requestedAmiId: 'ami-00000000000000001', stackPreviousAmiId: 'ami-00000000000000002', isFailback: true, failback: { ...failback, reason: 'p99 *doubled* <b>', recordStep: 'success', recordResult: 'unchanged' } });
    expect(leadOf(verified.markdown).lead).toBe('**Failed back dev from `ami-00000000000000002` to `ami-00000000000000001` (p99 \\*doubled\\* &lt;b&gt;); the fleet verified healthy through the load balancer.**');
    // The Reason cell too: the table escapes its HTML and pipes, the Markdown marks are escaped once.
    expect(verified.markdown).toContain('| Reason | p99 \\*doubled\\* &lt;b&gt; |');
  });

  it('never echoes a reason that is not one line of visible text into the command', () => {
    const report = summariseDeploy({
      ...base,
      requestedAmiId: '',
      isFailback: true,
      steps: { prepare: '', update: '', verify: '', failbackUpdate: '', failbackVerify: '', sync: '' },
      failback: { ...failback, reason: 'x\nCo-authored-by: evil', recordStep: 'failure', recordResult: 'superseded', supersededBy: SHA, supersededByAmiId: 'ami-00000000000000003' },
    });
    expect(report.headline).toMatch(/-f reason='<why, one line>'$/);
  });

  it('shows the AMI git history names as unconfirmed only when AWS could not be asked', () => {
    const unreached = { ...base, steps: { ...ok, update: 'failure', verify: '', sync: 'failure' }, previousAmiId: 'ami-00000000000000001' } as const;
    expect(summariseDeploy(unreached).markdown).toContain('| Runs now | `ami-00000000000000001` by git history (not confirmed with AWS) |');
    expect(summariseDeploy({ ...unreached, liveAmiId: 'ami-00000000000000001' }).markdown).toContain('| Runs now | `ami-00000000000000001` |');
  });

  describe('a slots deploy that flipped back (update-app-stack failed-step and flipped-back-to)', () => {
    // What the deploy job hands over: the stack never left UPDATE_COMPLETE, the record step pushed LiveSlot back.
    const flipped = (failedStep: string) =>
      summariseDeploy({
        ...base,
        steps: { ...ok, update: 'failure', verify: 'skipped', sync: 'success' },
        stackStatus: 'UPDATE_COMPLETE',
        stackPreviousAmiId: 'ami-00000000000000001',
        liveAmiId: 'ami-00000000000000001',
        syncOutcome: 'pushed',
        syncCommit: SHA,
        flipBack: { failedStep, liveSlot: 'blue' },
      });

    it.each([
      ['prove', /green failed verification on its own target group, before it took any user traffic/],
      ['canary', /green did worse than the live slot during the canary, so users met it only at the canary share/],
      ['switch', /green was proven and passed the canary, but the switch of all traffic to it failed/],
    ])('failed at %s: where green failed, users back on blue with its AMI, the record commit', (step, where) => {
      const report = flipped(step);
      expect(report.headline).toMatch(/^ami-00000000000000002 failed in dev: green /);
      expect(report.headline).toMatch(where);
      expect(report.headline).toContain('Traffic is back on blue (ami-00000000000000001), the AMI it ran before. Git records it: aaaaaaaaaaaa (https://github.com/acme/fleet/commit/');
      expect(report.headline).not.toMatch(/did not start/);
      expect(report.markdown.split('\n')[0]).toBe('## ❌ Deploy dev');
      expect(report.markdown).toMatch(/\| Slots deploy \| ❌ green [^|]+; traffic flipped back to blue \|/);
      expect(report.markdown).toContain('| Runs now | `ami-00000000000000001` |');
      expect(report.notification).toMatchObject({ event: 'auto-failback', ok: false });
    });

    it('strategy replace, cancelled inside the window: the row says the rollback to blue once, no flip', () => {
      const report = flipped('window');
      expect(report.markdown).toContain('| Replace deploy | ❌ green failed verification inside the rollback-trigger window, while blue still served beside it; the update was cancelled and CloudFormation rolled the stack back to blue |');
    });

    it('says git does not record it yet when the record step failed', () => {
      const report = summariseDeploy({ ...base, steps: { ...ok, update: 'failure', verify: 'skipped', sync: 'failure' }, stackStatus: 'UPDATE_COMPLETE', liveAmiId: 'ami-00000000000000001', flipBack: { failedStep: 'prove', liveSlot: 'blue' } });
      expect(report.headline).toMatch(/Traffic is back on blue \(ami-00000000000000001\)[^.]*\. Git could NOT record it .*target-ami=ami-00000000000000001 /);
    });

    it('a failed update without a flip back keeps its wording', () => {
      const report = summariseDeploy({ ...base, steps: { ...ok, update: 'failure', verify: '', sync: 'success' }, stackStatus: 'UPDATE_COMPLETE', liveAmiId: 'ami-00000000000000002', syncOutcome: 'unchanged' });
      expect(report.headline).toMatch(/did not start/);
      expect(report.markdown).not.toContain('Slots deploy');
    });
  });

  it('shows the failback rows only when a failback ran', () => {
    expect(summariseDeploy(base).markdown).not.toContain('Automatic failback');
    expect(summariseDeploy({ ...base, steps: { ...ok, failbackUpdate: 'skipped', failbackVerify: 'skipped', sync: 'skipped' } }).markdown).not.toContain('Automatic failback');
    const failed = summariseDeploy({ ...base, steps: { ...ok, verify: 'failure', failbackUpdate: 'success', failbackVerify: 'success' }, failbackAmiId: 'ami-00000000000000001' });
    expect(failed.markdown).toContain('| Automatic failback | ✅ success → `ami-00000000000000001` |');
  });
});

describe('summariseDeploy: the notification', () => {
  const failbackRequest = { targetAmiId: 'ami-00000000000000001', reason: 'login errors', requestedBy: 'alice', replacedAmiId: 'ami-00000000000000002' };

  it.each<[string, Partial<DeployReportInputs>, { event: string; ok: boolean; amis: [string, string][]; links: string[] }]>([
    ['a verified deploy', { stackPreviousAmiId: 'ami-00000000000000001' }, { event: 'deploy', ok: true, amis: [['From', 'ami-00000000000000001'], ['To', 'ami-00000000000000002']], links: [] }],
    [
      'a CloudFormation rollback, recorded',
      { steps: { ...ok, update: 'failure', verify: '', sync: 'success' }, stackStatus: 'UPDATE_ROLLBACK_COMPLETE', stackPreviousAmiId: 'ami-00000000000000001', liveAmiId: 'ami-00000000000000001', syncOutcome: 'pushed', syncCommit: SHA },
      { event: 'rollback', ok: false, amis: [['From', 'ami-00000000000000001'], ['To', 'ami-00000000000000002'], ['Runs now', 'ami-00000000000000001']], links: [`https://github.com/acme/fleet/commit/${SHA}`] },
    ],
    [
      'an automatic failback, recorded as a PR',
      { steps: { ...ok, verify: 'failure', failbackUpdate: 'success', failbackVerify: 'success', sync: 'success' }, stackPreviousAmiId: 'ami-00000000000000001', failbackAmiId: 'ami-00000000000000001', liveAmiId: 'ami-00000000000000001', syncOutcome: 'pull-request', syncPullRequestUrl: 'https://github.com/acme/fleet/pull/9' },
      { event: 'auto-failback', ok: false, amis: [['From', 'ami-00000000000000001'], ['To', 'ami-00000000000000002'], ['Runs now', 'ami-00000000000000001']], links: ['https://github.com/acme/fleet/pull/9'] },
    ],
    [
      'a requested failback, pushed',
      { requestedAmiId: 'ami-00000000000000001', isFailback: true, failback: { ...failbackRequest, recordStep: 'success', recordResult: 'pushed', recordCommit: SHA } },
      { event: 'failback', ok: true, amis: [['From', 'ami-00000000000000002'], ['To', 'ami-00000000000000001']], links: [`https://github.com/acme/fleet/commit/${SHA}`] },
    ],
    [
      'a requested failback that became a PR',
      { requestedAmiId: '', isFailback: true, steps: { prepare: 'skipped', update: 'skipped', verify: 'skipped', failbackUpdate: 'skipped', failbackVerify: 'skipped', sync: 'skipped' }, failback: { ...failbackRequest, recordStep: 'failure', recordResult: 'pull-request', recordPullRequestUrl: 'https://github.com/acme/fleet/pull/12' } },
      { event: 'failback', ok: false, amis: [['From', 'ami-00000000000000002'], ['To', 'ami-00000000000000001']], links: ['https://github.com/acme/fleet/pull/12'] },
    ],
    [
      // Staging ahead moves no user: HEAD's live AMI stays, so "Deployed" with one AMI would mislead.
      'a stage that proved the idle slot and proposed the switch',
      {
        requestedAmiId: 'ami-00000000000000001',
        stackPreviousAmiId: 'ami-00000000000000001',
        stage: {
          staged: { slot: 'green', amiId: 'ami-00000000000000002', previousAmiId: 'ami-00000000000000003', liveSlot: 'blue', liveAmiId: 'ami-00000000000000001', samples: 40, errorRate: 0 },
          proposeStep: 'success',
          switchPullRequestUrl: 'https://github.com/acme/fleet/pull/5',
        },
      },
      { event: 'stage', ok: true, amis: [['Staged', 'ami-00000000000000002'], ['Users on', 'ami-00000000000000001']], links: ['https://github.com/acme/fleet/pull/5'] },
    ],
    [
      'a stage whose prove failed',
      {
        requestedAmiId: 'ami-00000000000000001',
        steps: { ...ok, update: 'failure', verify: 'skipped' },
        liveAmiId: 'ami-00000000000000001',
        stage: { failed: { slot: 'green', previousAmiId: 'ami-00000000000000003', amiId: 'ami-00000000000000002', restored: true }, proposeStep: 'skipped' },
      },
      { event: 'stage', ok: false, amis: [['Staged', 'ami-00000000000000002'], ['Users on', 'ami-00000000000000001']], links: [] },
    ],
  ])('%s: the event, the verdict (the headline), both AMIs and the record', (_name, overrides, expected) => {
    const report = summariseDeploy({ ...base, ...overrides });
    const n = report.notification;
    expect({ event: n.event, ok: n.ok, amis: (n.amis ?? []).map((a) => [a.label, a.amiId]), links: (n.links ?? []).map((l) => l.url) }).toEqual(expected);
    expect(n.verdict).toBe(report.headline);
    expect(n.environment).toBe('dev');
  });
});

describe('summariseDeploy: the bake window (strategy slots)', () => {
  // green went live on ami-…2; blue held ami-…1 through the window.
  const retirement = {
    bake: 'success',
    verdict: 'retire',
    slot: 'blue',
    retiredAmiId: 'ami-00000000000000001',
    update: 'success',
    record: 'success',
    recordResult: 'pushed',
    recordCommit: SHA,
    verify: 'success',
  } as const;
  const retired = (overrides: Partial<DeployReportInputs['retirement']> = {}, inputs: Partial<DeployReportInputs> = {}) =>
    summariseDeploy({ ...base, stackPreviousAmiId: 'ami-00000000000000001', ...inputs, retirement: { ...retirement, ...overrides } });
  /** Every AMI ID of the summary sits in a code span, and no heading has one. */
  const idsInCodeSpans = (markdown: string) => ({
    bare: [...markdown.matchAll(/(^|[^`])\b(ami-[0-9a-f]+)/g)].map((m) => m[2]),
    inHeadings: markdown.split('\n').filter((l) => /^#+ /.test(l) && /ami-/.test(l)),
  });

  it('says which slot was scaled to zero, the AMI that left, the slot and AMI that stay live, and the record commit', () => {
    const report = retired();
    expect(report.ok).toBe(true);
    expect(report.headline).toBe(
      'Deployed ami-00000000000000002 to dev in place of ami-00000000000000001; the fleet verified healthy through the load balancer. ' +
        'The bake window ended quiet: blue (ami-00000000000000001) is scaled to zero, and green (ami-00000000000000002) stays live, verified healthy again after the retirement. ' +
        `Git records it: aaaaaaaaaaaa (https://github.com/acme/fleet/commit/${SHA}) on the default branch.`,
    );
    expect(leadOf(report.markdown).lead).toContain('blue (`ami-00000000000000001`) is scaled to zero, and green (`ami-00000000000000002`) stays live');
    expect(leadOf(report.markdown).lead).toContain(`Git records it: [aaaaaaaaaaaa](https://github.com/acme/fleet/commit/${SHA}) on the default branch.`);
    expect(report.markdown).toContain('| Bake window | ✅ ended quiet: blue on `ami-00000000000000001` scaled to zero |');
    expect(report.markdown).toContain(`| Retirement record | [aaaaaaaaaaaa](https://github.com/acme/fleet/commit/${SHA}) on the default branch |`);
    expect(report.markdown).toContain('| Verification after the retirement | ✅ success |');
    expect(report.markdown.split('\n')[0]).toBe('## ✅ Deploy dev');
    expect(idsInCodeSpans(report.markdown)).toEqual({ bare: [], inHeadings: [] });
    expect(report.notification.links).toEqual([{ label: 'Retirement record', url: `https://github.com/acme/fleet/commit/${SHA}` }]);
  });

  it('a later run (nothing to deploy) leads with the same sentence after "already ran"', () => {
    expect(retired({}, { changed: 'false' }).headline).toMatch(/^dev already ran ami-00000000000000002; the fleet verified healthy\. The bake window ended quiet: blue \(ami-00000000000000001\) is scaled to zero/);
  });

  it('an open window: the old slot stays warm until its end, one weight flip away, for a later run', () => {
    const report = retired({ verdict: 'wait', endsAt: '2026-12-02T00:18:03.911Z', update: 'skipped', record: 'skipped', recordResult: undefined, recordCommit: undefined, verify: 'skipped' });
    expect(report.ok).toBe(true);
    expect(report.headline).toMatch(/healthy through the load balancer\. Blue stays warm \(ami-00000000000000001\) until 2026-12-02T00:18:03\.911Z, one weight flip away: a later run \(the Retire old slots workflow, or the next deploy\) scales it to zero only if nothing failed meanwhile\.$/);
    expect(report.markdown).toContain('| Bake window | ⏳ open until 2026-12-02T00:18:03.911Z: blue warm on `ami-00000000000000001` |');
    expect(report.markdown).not.toContain('Retirement record');
    expect(report.markdown).not.toContain('Verification after the retirement');
  });

  it.each<[string, Partial<DeployReportInputs['retirement']>, RegExp, RegExp]>([
    [
      'the live slot failed verification after the retirement',
      { verify: 'failure' },
      /^The bake window ended quiet: blue \(ami-00000000000000001\) is scaled to zero, but green \(ami-00000000000000002\) FAILED verification after the retirement: investigate now\. With blue at zero a failback scales it up, proves it, then flips \(the Failback workflow\)\. Git records it: aaaaaaaaaaaa .* Deployed ami-00000000000000002/,
      /\| Verification after the retirement \| ❌ failure \|/,
    ],
    [
      'the record failed after the update',
      { record: 'failure', recordResult: 'failed', recordCommit: undefined },
      /^The bake window ended quiet: blue \(ami-00000000000000001\) is scaled to zero, and green \(ami-00000000000000002\) stays live, verified healthy again after the retirement\. Git does NOT record it yet \(see the "Record the retirement" step\): the stack has blue at capacity 0 while git names it warm; the next Retire old slots run records it \(or now: gh run rerun 123456789 --failed\)\. Deployed/,
      /\| Git \| HEAD names what runs but the old slot's capacity 0: the retirement is not recorded yet \(above\) \|/,
    ],
    [
      'the retirement update failed',
      { update: 'failure', record: 'skipped', recordResult: undefined, recordCommit: undefined, verify: 'skipped' },
      /^The bake window ended quiet, but scaling blue \(ami-00000000000000001\) to zero FAILED \(see the "Retire the old slot" step\): green \(ami-00000000000000002\) stays live, and the next run judges the window again \(the next Retire old slots run, or now: gh run rerun 123456789 --failed\)\. Deployed/,
      /\| Bake window \| ❌ ended quiet, but scaling blue on `ami-00000000000000001` to zero failed \|/,
    ],
    [
      'the window could not be judged (the stack moved)',
      { bake: 'failure', verdict: 'refuse', update: 'skipped', record: 'skipped', recordResult: undefined, recordCommit: undefined, verify: 'skipped' },
      /^The bake window was NOT ended \(see the bake step\): nothing was retired, blue \(ami-00000000000000001\) stays warm\. Deployed/,
      /\| Bake window \| ❌ not ended \(see the bake step\): blue stays warm on `ami-00000000000000001` \|/,
    ],
  ])('%s: the job fails and the report leads with it', (_name, overrides, headline, row) => {
    const report = retired(overrides);
    expect(report.ok).toBe(false);
    expect(report.headline).toMatch(headline);
    expect(report.markdown).toMatch(row);
    expect(report.markdown.split('\n')[0]).toBe('## ❌ Deploy dev');
    expect(idsInCodeSpans(report.markdown)).toEqual({ bare: [], inHeadings: [] });
  });

  it('completes a half-done retirement (a re-run), a protected branch, a superseded record', () => {
    expect(retired({ verdict: 'record', update: 'skipped', verify: 'skipped' }).headline).toMatch(/balancer\. Blue \(ami-00000000000000001\) was at capacity 0 in the stack already \(a run stopped before its record\); green \(ami-00000000000000002\) stays live\. Git records it: aaaaaaaaaaaa/);
    const pr = retired({ recordResult: 'pull-request', recordCommit: undefined, recordPullRequestUrl: 'https://github.com/acme/fleet/pull/7' });
    expect(pr.headline).toMatch(/Git records it in https:\/\/github\.com\/acme\/fleet\/pull\/7 \(the branch is protected\): merge it so git says what runs\.$/);
    expect(pr.notification.links).toEqual([{ label: 'Retirement pull request', url: 'https://github.com/acme/fleet/pull/7' }]);
    expect(retired({ recordResult: 'superseded', recordCommit: undefined, recordSupersededBy: SHA }).headline).toMatch(/Not recorded: a newer commit aaaaaaaaaaaa .* changed the file since, and the next deploy sets what runs\.$/);
  });

  it('says nothing about the window when its step did not run (strategy replace, a requested failback) or there was nothing to retire', () => {
    for (const r of [{ bake: 'skipped' }, { bake: '' }, { verdict: 'none', update: 'skipped', record: 'skipped', verify: 'skipped' }] as const) {
      const report = retired(r);
      expect(report.headline).toBe('Deployed ami-00000000000000002 to dev in place of ami-00000000000000001; the fleet verified healthy through the load balancer.');
    }
    expect(retired({ bake: 'skipped' }).markdown).not.toContain('Bake window');
  });

  it('an alarm inside the window is the failed verification the failback ran for: no retirement sentence over it', () => {
    const report = retired(
      { bake: 'failure', verdict: 'refuse', update: 'skipped', record: 'skipped', recordResult: undefined, recordCommit: undefined, verify: 'skipped' },
      { steps: { ...ok, verify: 'failure', failbackUpdate: 'success', failbackVerify: 'success', sync: 'success' }, failbackAmiId: 'ami-00000000000000001', syncOutcome: 'pushed', syncCommit: SHA, liveAmiId: 'ami-00000000000000001' },
    );
    expect(report.headline).toMatch(/^ami-00000000000000002 failed verification in dev; failed back to ami-00000000000000001, which verified healthy\. Git records it/);
    expect(report.headline).not.toMatch(/bake window/i);
  });
});

describe('summariseDeploy: a verdict that asks for a re-run names the exact command', () => {
  const unreached: Partial<DeployReportInputs> = { steps: { ...ok, update: 'failure', verify: '', sync: 'failure' }, previousAmiId: 'ami-00000000000000001' };

  it('gh run rerun with this run\'s ID and --failed, copied whole from the summary (a code span) and plain in the headline', () => {
    const report = summariseDeploy({ ...base, ...unreached });
    expect(report.headline).toContain('this one command deploys HEAD: gh run rerun 123456789 --failed (or run the Drift workflow');
    expect(report.markdown).toContain('this one command deploys HEAD: `gh run rerun 123456789 --failed` (or run the Drift workflow');
  });

  it('without a run ID (a caller that does not pass run-id) it names the button, never a placeholder', () => {
    const report = summariseDeploy({ ...base, ...unreached, runId: undefined });
    expect(report.headline).toContain('this one command deploys HEAD: "Re-run failed jobs" on this run\'s page (or run the Drift workflow');
    expect(report.headline).not.toMatch(/gh run rerun|<[^>]*run[^>]*>/);
  });

  describe('a switch check-switch refused (staging ahead: merged onto another AMI than it names)', () => {
    const refused: Partial<DeployReportInputs> = {
      requestedAmiId: 'ami-00000000000000004',
      steps: { ...ok, prepare: 'failure', update: 'skipped', verify: 'skipped', sync: 'success' },
      switchRefused: { switchAmiId: 'ami-00000000000000003' },
      liveAmiId: 'ami-00000000000000002',
      syncOutcome: 'pushed',
      syncCommit: SHA,
    };
    const lead =
      'The switch of dev was refused before any AWS change: the switch PR was approved for ami-00000000000000003, but HEAD makes ami-00000000000000004 live ' +
      '(the file changed on the default branch after the switch was proposed; see the "Check the switch" step). Users stay where they were. ';

    it('names both AMIs, the record, and the one command that proposes the switch again for what git stages', () => {
      const report = summariseDeploy({ ...base, ...refused });
      expect(report.ok).toBe(false);
      expect(report.headline).toBe(
        `${lead}Git records it: aaaaaaaaaaaa (https://github.com/acme/fleet/commit/${SHA}) on the default branch. ` +
          'To switch, this one command deploys what git names now (nothing changes in AWS): a slot it stages is proven again and its switch PR proposed, for you to merge: gh run rerun 123456789 --failed',
      );
    });

    it('behind a protected branch: the record PR first, then the command', () => {
      const report = summariseDeploy({ ...base, ...refused, syncOutcome: 'pull-request', syncCommit: undefined, syncPullRequestUrl: 'https://github.com/acme/fleet/pull/9' });
      expect(report.headline).toMatch(/Git records it in https:\/\/github\.com\/acme\/fleet\/pull\/9 \(the branch is protected\): merge it so git says what runs\. Merge the record PR first; then this one command proposes the switch again for what git stages: gh run rerun 123456789 --failed$/);
    });

    it('a record that failed: no re-run offered (it would meet the same refusal), the record step\'s own words instead', () => {
      const report = summariseDeploy({ ...base, ...refused, steps: { ...refused.steps!, sync: 'failure' }, syncOutcome: 'failed', syncCommit: undefined });
      expect(report.headline).toMatch(/^The switch of dev was refused before any AWS change: .*Git could NOT record it \(see the "Record what runs" step\), so git says ami-00000000000000004 while dev runs ami-00000000000000002: this one command records ami-00000000000000002 in git/);
      expect(report.headline).not.toContain('gh run rerun');
    });
  });
});
