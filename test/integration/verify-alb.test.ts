/**
 * verify-alb on the real path: the bundled dist/index.js run as a runner runs it, against the
 * project's templates deployed in moto; the HTTP watch against a real web server on 127.0.0.1
 * (moto has no data plane, docs/moto.md #11); and dist/watch.js as a user runs it.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';

import { readFleet } from '../../local/cycle/fleet';
import { REPO_ROOT } from '../../local/env';
import { runBundledAction } from '../../local/run-action';
import { type AppFoundation, deployAppFoundation, localClients, useLocalAws } from './harness';

useLocalAws();

/** An AMI ID that is well-formed but is not what the stack runs. */
const OTHER_AMI = 'ami-0fedcba9876543210';

let foundation: AppFoundation;
beforeAll(async () => {
  foundation = await deployAppFoundation();
});

/**
 * A details.json server whose n-th request (0-based) is answered by `script(n)`: what an instance
 * behind the ALB would say, or an error status. Unless the script names another instance, the
 * answer comes from the instances of the stack's current ASG in turn, as through the load
 * balancer (verify-alb counts an answer from any other instance as an error).
 */
async function detailsServer(script: (n: number) => { status: number; amiId?: string; instanceId?: string }): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const answer = script(requests.length);
    requests.push(req.url ?? '');
    if (answer.status !== 200) {
      res.writeHead(answer.status, { 'content-type': 'text/html' }).end(`<html><body>${answer.status}</body></html>`);
      return;
    }
    void readFleet(localClients(), foundation.app.name).then(({ instanceIds }) => {
      const instanceId = answer.instanceId ?? instanceIds[requests.length % instanceIds.length];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ amiId: answer.amiId, instanceId, packageCount: 412 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('verify-alb bundle, control plane against the app stack in moto', () => {
  it("passes with the stack's own AMI (parameters/dev.json)", async () => {
    const run = await runBundledAction('verify-alb', { 'stack-name': foundation.app.name, 'expected-ami-id': foundation.ami, 'watch-seconds': '0', 'timeout-minutes': '1' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ healthy: 'true', 'healthy-targets': foundation.parameters.DesiredCapacity, 'total-targets': foundation.parameters.DesiredCapacity, 'served-ami-ids': '[]', 'error-rate': '0' });
    expect(run.summary).toMatch(new RegExp(`^## verify-alb: ✅ healthy\n\n\\*\\*\\d+ of \\d+ targets? healthy, on \`${foundation.ami}\``));
    expect(run.summary).toContain('skipped: watch-seconds is 0');
    expect(run.outputs['report-markdown'].trim()).toBe(run.summary.trim());
  });

  it('fails at once with a different expected AMI, naming each instance and the AMI it runs', async () => {
    const run = await runBundledAction('verify-alb', { 'stack-name': foundation.app.name, 'expected-ami-id': OTHER_AMI, 'watch-seconds': '0', 'timeout-minutes': '1' });
    expect(run.exitCode).toBe(1);
    expect(run.durationMs).toBeLessThan(30_000);
    expect(run.outputs.healthy).toBe('false');
    const error = run.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toMatch(new RegExp(`^Verification of ${foundation.app.name} on ${OTHER_AMI} failed: The fleet cannot become healthy on the expected AMI by waiting`));
    const named = [...error.matchAll(new RegExp(`Target (i-[0-9a-f]+): runs ${foundation.ami}, expected ${OTHER_AMI}`, 'g'))].map((m) => m[1]);
    expect(named).toHaveLength(Number(foundation.parameters.DesiredCapacity));
    expect(run.summary).toMatch(/^## verify-alb: ❌ not healthy/);
  });

  it('finds the ASG through the target group when given no stack', async () => {
    const run = await runBundledAction('verify-alb', { 'target-group-arn': foundation.app.outputs.TargetGroupArn, 'expected-ami-id': foundation.ami, 'watch-seconds': '0', 'timeout-minutes': '1' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.healthy).toBe('true');
  });

  it('rejects bad input before any AWS call', async () => {
    const run = await runBundledAction('verify-alb', { 'stack-name': foundation.app.name, 'expected-ami-id': 'ami-nope', 'watch-seconds': '9999' });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(/input "expected-ami-id" = "ami-nope".*input "watch-seconds" = "9999": must be at most 3600 seconds/);
    // Every output is set on every path: empty, since nothing was verified.
    expect(run.outputs).toEqual({ healthy: '', 'healthy-targets': '', 'total-targets': '', 'served-ami-ids': '', 'error-rate': '', 'report-markdown': '' });
  });
});

describe('verify-alb bundle, HTTP watch against a real web server', () => {
  it('passes an error burst within max-error-rate, and draws the timeline', async () => {
    // Requests 3 and 4 fail, as a target being replaced would: 2 of 8 samples = 25 %.
    const web = await detailsServer((n) => (n === 3 || n === 4 ? { status: 502 } : { status: 200, amiId: foundation.ami }));
    servers.push(web.server);
    const run = await runBundledAction('verify-alb', { 'stack-name': foundation.app.name, 'expected-ami-id': foundation.ami, url: web.url, 'watch-seconds': '8', 'max-error-rate': '0.3', 'timeout-minutes': '1' });
    expect(run.exitCode).toBe(0);
    expect(web.requests).toEqual(Array(8).fill('/details.json'));
    expect(run.outputs).toMatchObject({ healthy: 'true', 'served-ami-ids': JSON.stringify([foundation.ami]), 'error-rate': '0.25' });
    expect(run.summary).toContain('```mermaid\ngantt');
    expect(run.summary).toMatch(new RegExp(`section ${foundation.ami} \\(expected\\)\\n    3 samples :\\d+, 3s\\n    3 samples :\\d+, 3s\\n  section errors\\n    2 errors :crit, \\d+, 2s`));
    expect(run.summary).toMatch(/\| \d\d:\d\d:\d\d\.\d{3} \| 502 \| \d+ \| {2}\| {2}\| HTTP 502 \|/);
    // One line per sample in the log, as the terminal watcher prints them.
    expect(run.stdout.match(/^\d{4}-\d\d-\d\dT[\d:.]+Z {2}(200|502) /gm)).toHaveLength(8);
  });

  it('fails when the AMI switches mid-watch, naming the AMI, the instance and when', async () => {
    const web = await detailsServer((n) => (n < 4 ? { status: 200, amiId: foundation.ami } : { status: 200, amiId: OTHER_AMI, instanceId: 'i-0b1b2c3d4e5f60718' }));
    servers.push(web.server);
    const run = await runBundledAction('verify-alb', { 'stack-name': foundation.app.name, 'expected-ami-id': foundation.ami, url: web.url, 'watch-seconds': '7', 'timeout-minutes': '1' });
    expect(run.exitCode).toBe(1);
    // The three answers from an instance outside the stack's current ASG are errors too: they prove nothing about the fleet.
    expect(run.outputs).toMatchObject({ healthy: 'false', 'served-ami-ids': JSON.stringify([foundation.ami, OTHER_AMI]), 'error-rate': '0.4286' });
    expect(run.annotations.find((a) => a.level === 'error')?.message).toContain(`answered as i-0b1b2c3d4e5f60718 on ${OTHER_AMI}, which is not an instance of the current ASG`);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      new RegExp(`3 of 7 samples were served by ${OTHER_AMI}, not ${foundation.ami} \\(first at \\S+Z from i-0b1b2c3d4e5f60718\\)`),
    );
    expect(run.summary).toMatch(new RegExp(`section ${foundation.ami} \\(expected\\)\\n    4 samples :\\d+, 4s\\n  section errors\\n    3 errors :crit, \\d+, 3s`));
    expect(run.summary).toContain(`| ⚠️ \`${OTHER_AMI}\` | i-0b1b2c3d4e5f60718 |`);
  });

  it('fails when nothing listens, counting every refused connection', async () => {
    const web = await detailsServer(() => ({ status: 200, amiId: foundation.ami }));
    await new Promise((resolve) => web.server.close(resolve));
    const run = await runBundledAction('verify-alb', { 'stack-name': foundation.app.name, 'expected-ami-id': foundation.ami, url: web.url, 'watch-seconds': '2', 'timeout-minutes': '1' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ 'error-rate': '1', 'served-ami-ids': '[]' });
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(/HTTP error rate 100 % \(2 of 2 samples\) exceeds max-error-rate 0 %; first errors: \S+ ECONNREFUSED/);
  });
});

describe('dist/watch.js, the terminal watcher', () => {
  const watchJs = join(REPO_ROOT, 'actions/verify-alb/dist/watch.js');

  function startWatcher(args: string[]) {
    const child = spawn(process.execPath, [watchJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    return { child, exited, stdout: () => stdout };
  }

  it('prints one line per second until Ctrl-C, then a one-line tally', async () => {
    const web = await detailsServer((n) => (n === 1 ? { status: 503 } : { status: 200, amiId: n < 2 ? foundation.ami : OTHER_AMI }));
    servers.push(web.server);
    const watcher = startWatcher([web.url.replace('http://', '')]);
    const deadline = Date.now() + 20_000;
    while (web.requests.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    // Let the fourth answer reach stdout before interrupting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    watcher.child.kill('SIGINT');
    const code = await watcher.exited;

    const lines = watcher.stdout().trim().split('\n').filter(Boolean);
    expect(lines[0]).toBe(`Watching ${web.url}/details.json once a second; Ctrl-C stops.`);
    const samples = lines.filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
    expect(samples.length).toBeGreaterThanOrEqual(4);
    expect(samples[0]).toMatch(new RegExp(`^\\S+Z  200 +\\d+ ms  ${foundation.ami}  i-[0-9a-f]{17}$`));
    expect(samples[1]).toMatch(/^\S+Z {2}503 +\d+ ms {2}error: HTTP 503$/);
    expect(samples[3]).toMatch(new RegExp(`  ${OTHER_AMI}  `));
    const seconds = samples.slice(0, 4).map((l) => Date.parse(l.split(' ')[0]) / 1000);
    for (let i = 1; i < seconds.length; i += 1) expect(seconds[i] - seconds[i - 1]).toBeCloseTo(1, 0);
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^${samples.length} samples, 1 error \\([\\d.]+ %\\), AMIs seen: ${foundation.ami} \\(1\\), ${OTHER_AMI} \\(${samples.length - 2}\\)$`));
    expect(code).toBe(1);
  });

  it('stops by itself with --seconds and exits 0 when nothing failed', async () => {
    const web = await detailsServer(() => ({ status: 200, amiId: foundation.ami }));
    servers.push(web.server);
    const watcher = startWatcher([web.url, '--seconds', '2', '--path', '/details.json']);
    expect(await watcher.exited).toBe(0);
    expect(watcher.stdout().trim().split('\n').pop()).toBe(`2 samples, 0 errors (0.0 %), AMIs seen: ${foundation.ami} (2)`);
  });
});

// Last in this file: it shrinks the stack's ASG, which every test above relies on.
describe('verify-alb bundle after moto shrank the ASG', () => {
  // moto's lie (docs/moto.md #6): an instance the ASG terminates stays registered and
  // "healthy". Only the EC2 cross-check catches it.
  it('does not trust a healthy target whose instance moto has terminated', async () => {
    const clients = localClients();
    const { StackResourceDetail } = await clients.cloudFormation.send(new DescribeStackResourceCommand({ StackName: foundation.app.name, LogicalResourceId: 'AppAutoScalingGroup' }));
    const asgName = StackResourceDetail!.PhysicalResourceId!;
    await clients.autoScaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: asgName, MinSize: 1, DesiredCapacity: 1 }));
    const { AutoScalingGroups } = await clients.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }));
    expect(AutoScalingGroups?.[0].Instances).toHaveLength(1);

    const run = await runBundledAction('verify-alb', { 'stack-name': foundation.app.name, 'expected-ami-id': foundation.ami, 'watch-seconds': '0', 'timeout-minutes': '1' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ healthy: 'false', 'healthy-targets': '1', 'total-targets': String(Number(foundation.parameters.DesiredCapacity)) });
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /not all healthy .* after 6\d s .*Target i-[0-9a-f]+: healthy per the load balancer, but EC2 says the instance is terminated: a stale registration/,
    );
  }, 150_000);
});
