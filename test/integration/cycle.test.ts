/**
 * The README's first command: the local cycle, run as `npm run cycle` runs it (its own moto,
 * stand-in and data plane, the real bundles, a scratch clone), for each scenario, on the shipped
 * dev (strategy slots); strategy replace through `--strategy replace` with the bad AMI (its
 * automatic failback); staging ahead through `--scenario stage-ahead` (the stage PR, the switch PR
 * through the GitHub API stand-in). Slow by nature (~15-35 s each, ~150 s for patch with its promotion, its
 * failback and the retirement after a 20 s bake window; several times that on a loaded machine).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { REPO_ROOT } from '../../local/env';
import { checkMermaid, mermaidBlocks } from '../support/mermaid';
import { renderInChromium, type RenderDocument } from '../support/browser-render';
import { leadProblem } from '../support/summary-lead';

jest.setTimeout(300_000);
/** The patch scenario runs four deploys (patch, prod, failback, forward to the end of a 20 s bake window): it gets longer. */
const PATCH_TIMEOUT_MS = 480_000;

/** Every scenario's summaries and PR bodies, rendered together in Chromium by the last test (one browser for the file). */
const rendered: RenderDocument[] = [];

/**
 * The saved job summaries (file names in order), with the PR bodies: each leads with a sentence
 * under its heading, and their Mermaid blocks pass Mermaid's own parser.
 */
function summariesOf(scratch: string, scenario: string): string[] {
  const files = readdirSync(join(scratch, 'summaries')).sort();
  const markdown = [
    ...files.map((f) => ({ source: `${scenario}: summaries/${f}`, text: readFileSync(join(scratch, 'summaries', f), 'utf8') })),
    ...readdirSync(scratch).filter((f) => f.startsWith('pull-request-')).map((f) => ({ source: `${scenario}: ${f}`, text: readFileSync(join(scratch, f), 'utf8') })),
  ];
  rendered.push(...markdown.map((m) => ({ source: m.source, markdown: m.text, leadsWithAnswer: true })));
  expect(markdown.flatMap((m) => (leadProblem(m.text) ? [`${m.source}: ${leadProblem(m.text)}`] : []))).toEqual([]);
  expect(checkMermaid(markdown.flatMap((m) => mermaidBlocks(m.text, m.source))).failures).toEqual([]);
  return files;
}

function runCycle(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', '-r', '@swc-node/register', 'local/cycle.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

describe('local cycle (npm run cycle)', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'cycle-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('runs the shipped dev on slots: build → PR → merge → stage → prove → canary → switch → promotion → failback as one weight flip → forward again → the bake window ends and blue is retired, and git records it', async () => {
    const { code, output } = await runCycle(['--scratch', scratch]);
    expect(output).toMatch(/Cycle "patch" passed: \d+ phases/);
    expect(code).toBe(0);
    expect(output).not.toMatch(/^✗/m);
    for (const kind of ['moto (emulated AWS)', 'STAND-IN + moto', 'git (scratch clone)', 'data plane (LB STAND-IN)']) expect(output).toContain(kind);
    // The shipped wiring, not a switch the cycle made.
    expect(output).toContain('environment dev (strategy slots, templates/app-slots.yaml)');
    expect(output).not.toMatch(/on main: environments\.dev → /);

    const patched = /Bump dev AMI from (ami-[0-9a-f]+) to (ami-[0-9a-f]+)/.exec(output);
    const [baseline, fresh] = [patched?.[1] ?? 'none', patched?.[2] ?? 'none'];
    // The deploy's steps: green staged at weight 0 and proven on its own target group, then the canary, then all traffic.
    const deploy = output.split('update-app-stack mode=deploy, slots')[1] ?? '';
    expect(deploy).toMatch(new RegExp(`^.*\\n +- stage: green: ${fresh} × 2 at weight 0; users stay on blue\\n +- prove: green proven through the slot header: \\d+ samples, 0\\.0 % errors\\n +- canary: green at 10 % for 6 s: 0\\.0 % errors[^\\n]*\\n +- switch: all traffic to green \\(${fresh}\\); blue at capacity 2, weight 0\\n`));
    // What users saw: nobody on green before the canary, about the canary share while both served, nothing failed.
    expect(output).toMatch(new RegExp(`before ${fresh} first answered \\([^)]*the new slot at weight 0\\): (\\d+) requests, \\1 from ${baseline}`));
    const canary = /the canary, from \S+ first answer to \S+ last: (\d+) of (\d+) requests from ami-[0-9a-f]+ \((\d+) %; the wiring's canary weight 10 %/.exec(output);
    expect(Number(canary?.[1])).toBeGreaterThan(0);
    expect(Number(canary?.[3])).toBeLessThan(50);
    // Blue warm: the same instances as before the deploy, at weight 0.
    expect(output).toMatch(new RegExp(`✓ +\\d+ +blue stays warm, one weight flip away[^\\n]*\\n +\\S+: the same 2 instances as before the deploy \\([^)]+\\), on ${baseline}, at weight 0`));
    for (const deployed of ['patch', 'failback', 'forward']) {
      const traffic = output.split(`traffic during the ${deployed} deploy`)[1] ?? '';
      expect(traffic).toMatch(/^.*\n +requests \d+, failed 0; answered by ami-\S+ \(old\) \d+, ami-\S+ \(new\) \d+\n/);
    }
    // The failback inside the bake window: one look at warm blue's targets, no canary, one flip (proven after by the verify step); timed from the dispatch's first step.
    const failback = output.split('update-app-stack mode=deploy, slots (failback)')[1] ?? '';
    expect(failback).toMatch(new RegExp(`^.*\\n +- check: blue is warm: every target healthy on ${baseline}, so traffic flips first[^\\n]*\\n +- canary: skipped: a failback to ${baseline}, which users ran before, is a weight change\\n +- switch: all traffic to blue \\(${baseline}\\)`));
    expect(output).toMatch(new RegExp(`users all on ${baseline} [\\d.]+ s after the dispatch's first step \\(resolve-failback\\): the goal inside the bake window is 60 s`));
    expect(output).toMatch(/✓ +\d+ +green stays warm, one weight flip away/);
    expect(output).toMatch(/users leave: the whole cycle, as users saw it[^\n]*\n +requests \d+ over [\d.]+ s, failed 0;/);

    // The retirement: the rehearsal's failback reverted, forward again, the window (shortened, and said so) waited out on
    // AWS's clock, blue scaled to zero in one stack update, one commit, green verified again, git equal to the stack.
    expect(output).toMatch(/LOCAL: shorten dev's bake window on main, slots\.bakeSeconds 300 → 20[^\n]*\n +\S+ on main: environments\.dev\.slots\.bakeSeconds 300 → 20 \(LOCAL, the scratch clone only; the shipped wiring keeps 300 s\)/);
    const retirement = output.split('gitops check-retirement wait-seconds 900: the bake window (LOCAL: 20 s instead of the wiring\'s 300 s)')[1] ?? '';
    expect(retirement).toMatch(new RegExp(`ended at \\S+ with every alarm quiet and no failback\\. parameters/dev\\.json \\(working tree, not committed\\): BlueCapacity = "0"`));
    expect(retirement).toMatch(new RegExp(`scale blue to zero \\(the "Retire the old slot" step\\)[^\\n]*\\n +- update: patch-dev-app = parameters/dev\\.json; green stays live\\n +\\S+: no instances \\(${baseline} left\\); stack parameter GreenAmazonMachineImage and all 2 instances of \\S+ run ${fresh}`));
    expect(retirement).toMatch(new RegExp(`gitops record-retirement \\(commit, push\\)[^\\n]*\\n +[0-9a-f]{12} on main: "Retire blue in dev: the bake window of ${fresh} ended quiet"\\n +- +"BlueCapacity": "2", → \\+ +"BlueCapacity": "0",`));
    expect(retirement).toMatch(/verify-alb \(stack mode: the live slot\) after the retirement[^\n]*\n +targets: 2\/2 healthy/);
    expect(retirement).toMatch(/git equals the stack[^\n]*\n +parameters\/dev\.json on main and patch-dev-app agree on all \d+ parameters \(LiveSlot "green", BlueCapacity "0"\); working tree clean/);
    expect(retirement).toMatch(new RegExp(`the retirement, as users saw it[^\\n]*\\n +\\d+ requests from the retirement's update to now, all answered by green \\(${fresh}\\), none failed`));
    expect(retirement).toMatch(new RegExp(`gitops deploy-report[^\\n]*\\n +Deployed ${fresh} to dev in place of ${baseline}; the fleet verified healthy through the load balancer\\. The bake window ended quiet: blue \\(${baseline}\\) is scaled to zero, and green \\(${fresh}\\) stays live, verified healthy again after the retirement\\. Git records it: [0-9a-f]{12} `));
    expect(retirement).toMatch(/retire-slots\.yml: gitops list-retirements \(git only\)[^\n]*\n +dev: skipped, blue is retired already\./);

    const log = (output.split('git log --oneline -- parameters/dev.json')[1] ?? '').split('\n').slice(1, 6).map((l) => l.trim());
    expect(log[0]).toMatch(new RegExp(`^[0-9a-f]{7,} Retire blue in dev: the bake window of ${fresh} ended quiet$`));
    expect(log[1]).toMatch(new RegExp(`^[0-9a-f]{7,} Revert "Fail back dev to ${baseline}"$`));
    expect(log[2]).toMatch(new RegExp(`^[0-9a-f]{7,} Fail back dev to ${baseline}$`));
    expect(log[3]).toMatch(new RegExp(`^[0-9a-f]{7,} Bump dev AMI from ${baseline} to ${fresh}$`));
    expect(log[4]).toMatch(/local cycle setup/);

    // The promotion from slots dev to replace prod: the soak evidence reads both slots' alarms.

    // Every deploy's Notify step: moto's topic and the webhook stand-in got the verdict first, both AMIs, the run.
    const told = (subject: string, verdict: string) =>
      new RegExp(`gitops notify \\(the Notify step\\)[^\n]*\n +SNS \\(moto → subscriber\\): subject "${subject}"\n +${verdict}[^\n]*\n +From: ami-[0-9a-f]+\n +To: ami-[0-9a-f]+\n(?: +Runs now: ami-[0-9a-f]+\n)? +Workflow run: https://\\S+/actions/runs/\\d+\n`);
    expect(output).toMatch(told('OK Deployed to dev', `Deployed ${fresh} to dev in place of ${baseline};`));
    // Prod runs in the second region (local/cycle/second-region.ts): the promotion copies the AMI there and prod deploys the copy.
    expect(output).toMatch(/move prod to us-west-2 on main[^\n]*\n +\S+ on main: environments\.prod\.region us-east-1 → us-west-2/);
    const copied = new RegExp(`CopyImage: (ami-[0-9a-f]+) in us-west-2 \\(available\\), the copy of ${fresh} from us-east-1, tagged SourceAmiId ${fresh}, SourceRegion us-east-1`).exec(output);
    const copy = copied?.[1] ?? 'no copy';
    expect(copy).not.toBe(fresh);
    expect(output).toContain(`bumps {"parameters/prod.json":"${copy}"}`);
    expect(output).toMatch(told('OK Deployed to prod', `Deployed ${copy} to prod in place of ami-[0-9a-f]+;`));
    expect(output).toMatch(told('OK Failed back dev', `Failed back dev from ${fresh} to ami-[0-9a-f]+ \\(local cycle: rehearse the failback\\)`));
    expect(output).toMatch(/webhook STAND-IN \(Slack blocks\): "↩️ Failed back dev": Failed back dev from /);
    expect(output).toMatch(/propose-promotion wave=prod: the wiring's soak is not over[^\n]*\n +dev: soak not over: 1440 of 1440 minutes left/);
    expect(output).toMatch(/SOAK SHORTENED for this local run: 0 min instead of the wiring's 1440 for dev/);
    const promotion = readFileSync(join(scratch, 'pull-request-ami-promote-prod.md'), 'utf8');
    expect(promotion).toMatch(new RegExp(`^# Promote ${fresh} to wave prod \\(prod\\)`));
    expect(promotion).toMatch(/^> The soak was overridden to 0 minutes for this run/m);
    expect(promotion).toMatch(/`patch-dev-app-blue-5xx-rate` OK, `patch-dev-app-blue-unhealthy-hosts` OK, `patch-dev-app-green-5xx-rate` OK, `patch-dev-app-green-unhealthy-hosts` OK; no transition to ALARM from /);
    expect(promotion).toContain(`\`${copy}\`: a new copy of \`${fresh}\` in us-west-2, tagged SourceAmiId`);
    expect(output).toMatch(new RegExp(`check-wave-gate[^\\n]*\\n +${copy} is the copy of ${fresh} \\(its SourceAmiId tag\\), which ran in the earlier wave without a failback: dev`));
    // The audit trail: git records the copy with its source, and both stacks lead to the one source AMI.
    expect(output).toMatch(new RegExp(`promotion record: parameters/prod.json ami-[0-9a-f]+ → ${copy}, source-ami-id ${fresh}, update-type promotion, promoted-from dev`));
    expect(output).toMatch(new RegExp(`dev: patch-dev-app \\(us-east-1\\) UPDATE_COMPLETE on ${fresh}\\n +prod: patch-prod-app \\(us-west-2\\) UPDATE_COMPLETE on ${copy}, the copy of ${fresh} from us-east-1`));

    const body = readdirSync(scratch).find((f) => f.startsWith('pull-request-ami-patch'));
    expect(readFileSync(join(scratch, body as string), 'utf8')).toMatch(/Packages: \d+ changed, 1 added/);

    // Every step's job summary is kept, and each draws in Mermaid 11 and 10.
    const summaries = summariesOf(scratch, 'patch');
    expect(output).toMatch(new RegExp(`Job summaries of all ${summaries.length} steps [^\n]*: \\S+/summaries/`));
    for (const step of ['build-ami', 'update-app-stack-mode-preview', 'update-app-stack-mode-deploy', 'gitops-deploy-report']) {
      expect(summaries.some((f) => f.includes(step))).toBe(true);
    }
    const verifications = summaries.filter((f) => f.endsWith('-verify-alb.md'));
    expect(verifications.map((f) => f.replace(/^\d+-/, ''))).toEqual(['patch-verify-alb.md', 'promotion-prod-verify-alb.md', 'failback-verify-alb.md', 'forward-verify-alb.md', 'forward-after-retirement-verify-alb.md']);
    for (const file of verifications) {
      const summary = readFileSync(join(scratch, 'summaries', file), 'utf8');
      expect(summary).toMatch(/^## verify-alb: ✅ healthy\n\n\*\*\d+ of \d+ targets? healthy, on `ami-/);
      expect(summary).toContain('```mermaid\ngantt');
    }
    expect(output.match(/^ +\d{4}-\d\d-\d\dT\S+Z {2}200 +\d+ ms {2}ami-[0-9a-f]+ {2}i-[0-9a-f]+$/gm)?.length).toBeGreaterThanOrEqual(8);
  }, PATCH_TIMEOUT_MS);

  it('scenario bad-ami on slots: green fails its own proof at weight 0, traffic stays on blue, git and the report say so', async () => {
    const { code, output } = await runCycle(['--scenario', 'bad-ami', '--scratch', scratch]);
    expect(output).toContain('Cycle "bad-ami" passed');
    expect(code).toBe(0);
    const [bad, good] = [/Bump dev AMI from (ami-[0-9a-f]+) to (ami-[0-9a-f]+)/.exec(output)?.[2] ?? 'none', /Bump dev AMI from (ami-[0-9a-f]+)/.exec(output)?.[1] ?? 'none'];
    expect(output).toMatch(new RegExp(`update-app-stack mode=deploy, slots: the idle slot fails its proof[^\\n]*\\n +- stage: green: ${bad} × 2 at weight 0; users stay on blue\\n +- flip-back: all traffic to blue again[^\\n]*\\n +- prove-flip-back: blue proven again`));
    expect(output).toMatch(/error: Slots deploy of patch-dev-app failed: green did not pass on its own target group: [^\n]*HTTP error rate 100 %/);
    // The report: where green failed, users back on blue with its AMI, the record commit; never "did not start".
    expect(output).toMatch(new RegExp(`deploy-report: the deploy failed, flipped back[^\\n]*\\n +${bad} failed in dev: green failed verification on its own target group, before it took any user traffic\\. Traffic is back on blue \\(${good}\\), the AMI it ran before\\. Git records it: [0-9a-f]{12} `));
    expect(output).not.toMatch(/did not start/);
    expect(output).toMatch(new RegExp(`users never met the bad AMI[^\\n]*\\n +\\d+ requests during the deploy and the record, all answered by ${good}`));
    const log = (output.split('git log --oneline -- parameters/dev.json')[1] ?? '').split('\n')[1]?.trim();
    expect(log).toMatch(new RegExp(`^[0-9a-f]{7,} Fail back dev to ${good}: ${bad} failed verification$`));
    expect(output).toMatch(/users leave: the whole cycle, as users saw it[^\n]*\n +requests \d+ over [\d.]+ s, failed 0;/);
    summariesOf(scratch, 'slots bad-ami');
  });

  it('strategy replace (--strategy replace), scenario bad-ami: green fails inside the rollback-trigger window, the update is cancelled and users are back on blue without a second replacement', async () => {
    const { code, output } = await runCycle(['--strategy', 'replace', '--scenario', 'bad-ami', '--scratch', scratch]);
    expect(output).toContain('Cycle "bad-ami" passed');
    expect(code).toBe(0);
    expect(output).toMatch(/on main: environments\.dev → templates\/app\.yaml, "strategy": "replace"; parameters\/dev\.json in the replace shape/);
    expect(output).toContain('environment dev (strategy replace, templates/app.yaml)');
    // The window verification on the real path: the bundle against moto's window (docs/moto.md #22) and the data plane.
    expect(output).toMatch(
      /✓ +\d+ +update-app-stack mode=deploy: green fails inside the rollback-trigger window[^\n]*\n +error: Update of stack patch-dev-app cancelled: green \(ami-\S+\) failed verification inside the rollback-trigger window, while blue \(ami-\S+\) still served: [^\n]*HTTP error rate 100 %/,
    );
    expect(output).toMatch(/Cancelled the update of patch-dev-app \(CancelUpdateStack\): CloudFormation rolls back to blue/);
    expect(output).toMatch(/✓ +\d+ +blue still serves: the same group, the previous AMI[^\n]*\n[^\n]*: no second replacement/);
    expect(output).not.toMatch(/verify-alb: fails on HTTP|update-app-stack mode=deploy \(failback\)/);
    expect(output).toMatch(/traffic during the bad-ami deploy \(bad AMI, cancelled in the window\)[^\n]*\n +requests \d+, failed [1-9]\d* \([^)]*\d+× HTTP 503 from the target/);
    expect(output).toMatch(/users are back on blue alone[^\n]*\n.*\n +after the update step: \d+ requests, all answered by ami-\S+, none failed/);
    expect(output).toMatch(
      /SNS \(moto → subscriber\): subject "ALERT dev failed verification and failed back"\n +ami-\S+ failed in dev: green failed verification inside the rollback-trigger window, while blue still served beside it; the update was cancelled and CloudFormation rolled the stack back to blue\. Traffic is back on blue \(ami-\S+\)/,
    );
    const log = (output.split('git log --oneline -- parameters/dev.json')[1] ?? '').split('\n')[1]?.trim();
    expect(log).toMatch(/^[0-9a-f]{7,} Record rollback of dev to ami-[0-9a-f]+$/);
    const summaries = summariesOf(scratch, 'bad-ami');
    // No verify-alb after a failed update, and no failback's: update-app-stack's own summary says what happened.
    expect(summaries.filter((f) => f.endsWith('-verify-alb.md'))).toEqual([]);
    const update = summaries.filter((f) => f.endsWith('-update-app-stack-mode-deploy.md'));
    expect(update).toHaveLength(1);
    expect(readFileSync(join(scratch, 'summaries', update[0]), 'utf8')).toMatch(
      /^## update-app-stack: patch-dev-app FAILED\n\nGreen \(`ami-[0-9a-f]+`\) failed verification inside the rollback-trigger window, so the update of `patch-dev-app` was cancelled: CloudFormation rolled it back to blue, which runs `ami-[0-9a-f]+` \(UPDATE_ROLLBACK_COMPLETE\)\./,
    );
  });

  it('scenario stage-ahead: the stage PR stages and proves the idle slot with no user on it, the switch PR opened through the GitHub API stand-in carries the proof, and its merge moves every user through the canary', async () => {
    const { code, output } = await runCycle(['--scenario', 'stage-ahead', '--scratch', scratch]);
    expect(output).toMatch(/Cycle "stage-ahead" passed: \d+ phases/);
    expect(code).toBe(0);
    expect(output).not.toMatch(/^✗/m);
    // The shipped dev stages nothing ahead: the run turns it on in the scratch clone, and says so.
    expect(output).toMatch(/\S+ on main: environments\.dev\.slots\.stageAhead true \(LOCAL, the scratch clone only; the shipped wiring keeps it off\)/);
    expect(output).toMatch(/GitHub API STAND-IN http:\/\/127\.0\.0\.1:\d+ \(log [^)]+\): pull requests on local\/ami-patch-gitops, backed by origin\.git; no auth check, rate limits, checks or reviews/);
    const stagePr = /"Stage dev AMI (ami-[0-9a-f]+) in green \(users stay on (ami-[0-9a-f]+)\)" on ami-patch\/dev/.exec(output);
    const [fresh, baseline] = [stagePr?.[1] ?? 'none', stagePr?.[2] ?? 'none'];

    // The stage PR's deploy: green staged at weight 0 and proven through the slot header; users stay on blue.
    const stage = output.split('update-app-stack mode=deploy, slots (the stage PR: stage the idle slot at weight 0 and prove it)')[1] ?? '';
    const proven = new RegExp(`^.*\\n +- stage: green: ${baseline} → ${fresh} × 2 at weight 0; users stay on blue \\(${baseline}\\)\\n +- prove: green proven through the slot header: (\\d+) samples, 0\\.0 % errors; no user traffic\\n`).exec(stage);
    const samples = Number(proven?.[1]);
    expect(samples).toBeGreaterThan(0);
    // What the load generator counted: every user request from the stage's start to its report answered by blue, none by green.
    expect(output).toMatch(new RegExp(`the stage, as users saw it: nobody reached the staged slot[^\\n]*\\n +[1-9]\\d* user requests from the stage's start to the report, all answered by blue \\(${baseline}\\), none failed\\n +green \\(${fresh}\\) answered only the prove: ${samples} samples through the slot header`));
    expect(output).toMatch(new RegExp(`verify-alb \\(stack mode: the live slot, blue, still on ${baseline}\\)[^\\n]*\\n +targets: 2/2 healthy[^\\n]*served \\["${baseline}"\\]`));

    // propose-switch opened the switch PR through the stand-in (GITHUB_API_URL), its body the proof.
    const proposed = new RegExp(`#(\\d+) "Switch dev AMI from ${baseline} to ${fresh}" \\(ami-switch/dev at [0-9a-f]{12} → main\\), open: https://github\\.invalid/local/ami-patch-gitops/pull/(\\d+)\\n +opened through GITHUB_API_URL=http://127\\.0\\.0\\.1:\\d+ \\(the stand-in`).exec(output);
    expect(proposed).not.toBeNull();
    expect(proposed?.[1]).toBe(proposed?.[2]);
    const body = readFileSync(join(scratch, 'pull-request-ami-switch-dev.md'), 'utf8');
    expect(body).toMatch(new RegExp(`^# Switch dev AMI from ${baseline} to ${fresh}\\n\\n## Switch \`dev\`\\n`));
    expect(body).toContain(`| HTTP samples | ${samples}, 0.0 % errors`);
    expect(body).toMatch(/\| Proven \| \S+ on `green`'s own target group, through the slot header, no user traffic \|/);
    expect(output).toMatch(new RegExp(`verdict none: dev: green holds ${fresh}, staged for a switch`));

    // The reviewer's merge commit; the stand-in reads the PR as merged by it from git.
    const merged = /merge commit ([0-9a-f]{12}) pushed to main \(this is what triggers Deploy\); parents: main and [0-9a-f]{12}\n +the stand-in lists #(\d+) closed, merged at \S+ by ([0-9a-f]{12})/.exec(output);
    expect(merged).not.toBeNull();
    expect(merged?.[3]).toBe(merged?.[1]);
    expect(merged?.[2]).toBe(proposed?.[1]);

    // The switch PR's deploy: check-switch hands over the proof, one look, the canary, all traffic to green.
    expect(output).toMatch(new RegExp(`gitops check-switch \\(git only\\): the stage's proof still stands[^\\n]*\\n +staged-proof: ${fresh} proven at `));
    const switched = output.split('update-app-stack mode=deploy, slots (the switch: the slot was staged and proven)')[1] ?? '';
    expect(switched).toMatch(new RegExp(`^.*\\n +- check: green was staged and proven \\d+ min ago, and at one look every target is healthy on ${fresh}: no second prove watch\\n +- canary: green at 10 % for 6 s: 0\\.0 % errors[^\\n]*\\n +- switch: all traffic to green \\(${fresh}\\); blue at capacity 2, weight 0\\n`));
    const canary = /the canary, from \S+ first answer to \S+ last: (\d+) of (\d+) requests from ami-[0-9a-f]+ \((\d+) %; the wiring's canary weight 10 %/.exec(output);
    expect(Number(canary?.[1])).toBeGreaterThan(0);
    expect(Number(canary?.[3])).toBeLessThan(50);
    expect(output).toMatch(/traffic during the switch deploy[^\n]*\n +requests \d+, failed 0;/);
    expect(output).toMatch(new RegExp(`every user on ${fresh}[^\\n]*\\n +[1-9]\\d* requests in the 2 s after the switch's deploy, all answered by ${fresh}, none failed`));
    expect(output).toMatch(/users leave: the whole cycle, as users saw it[^\n]*\n +requests \d+ over [\d.]+ s, failed 0;/);

    const log = (output.split('git log --oneline -- parameters/dev.json')[1] ?? '').split('\n').slice(1, 4).map((l) => l.trim());
    expect(log[0]).toMatch(new RegExp(`^[0-9a-f]{7,} Switch dev AMI from ${baseline} to ${fresh}$`));
    expect(log[1]).toMatch(new RegExp(`^[0-9a-f]{7,} Stage dev AMI ${fresh} in green \\(users stay on ${baseline}\\)$`));
    // Every line the stand-in logged says it is one.
    const standinLog = readFileSync(join(scratch, 'github-standin.log'), 'utf8').trim().split('\n');
    expect(standinLog.filter((l) => !/^\S+ STAND-IN: GitHub API/.test(l))).toEqual([]);
    expect(standinLog.some((l) => l.includes(`opened #${proposed?.[1]} "Switch dev AMI from ${baseline} to ${fresh}"`))).toBe(true);

    const summaries = summariesOf(scratch, 'stage-ahead');
    expect(summaries.filter((f) => f.endsWith('-verify-alb.md')).map((f) => f.replace(/^\d+-/, ''))).toEqual(['stage-verify-alb.md', 'switch-verify-alb.md']);
    expect(summaries.some((f) => f.endsWith('-gitops-propose-switch.md'))).toBe(true);
  });

  it.each([
    ['failed-build', /Image build FAILED for .*component update-linux failed/],
    // The note keeps the file:line the runner annotates and the did-you-mean, said once.
    ['bad-parameters', /error: parameters\/dev\.json:\d+: InstanceType = "t3\.mirco" is not one of the AllowedValues .*Did you mean "t3\.micro"\? Use one of them\.\n(?!.*Parameters file invalid)/],
  ])('scenario %s ends with the right message and nothing changed', async (scenario, message) => {
    const { code, output } = await runCycle(['--scenario', scenario, '--scratch', scratch]);
    expect(output).toMatch(message);
    expect(output).toMatch(/✓ +\d+ +nothing changed/);
    expect(output).toContain(`Cycle "${scenario}" passed`);
    expect(code).toBe(0);
    expect(summariesOf(scratch, scenario).length).toBeGreaterThan(0);
  });

  it("renders every scenario's summaries and PR bodies in Chromium: each opens with its answer, every chart draws in Mermaid 11 and 10", async () => {
    expect(rendered.length).toBeGreaterThan(20);
    const { failures, charts } = await renderInChromium(rendered);
    expect(failures).toEqual([]);
    expect(charts).toBeGreaterThanOrEqual(10);
  });

  it('refuses an unknown scenario with the list of known ones', async () => {
    const { code, output } = await runCycle(['--scenario', 'nope']);
    expect(code).toBe(2);
    expect(output).toContain('Unknown scenario "nope": use one of patch, bad-ami, failed-build, bad-parameters, stage-ahead');
  });
});
