/**
 * The whole patch cycle on this machine (`make cycle`, `npm run cycle -- --scenario <name>`):
 * moto and the Image Builder stand-in, the dev stacks deployed from the real templates, then the
 * workflows' sequence with the real bundled actions in a scratch clone (.local/cycle). Prints a
 * timeline that marks what was emulated and what was a stand-in. Exit 0 only if every check held.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

import { createAwsClients } from '../actions/lib/aws/clients';
import { errorMessage } from '../actions/lib/errors';
import { getEnvironment, loadEnvironments } from '../actions/lib/parameters';
import { actionNodeFor } from './action-node';
import { applyEnv, LOCAL_DIR, LOCAL_PIPELINE_ARN, LOCAL_REGION, LOCAL_SECOND_REGION, localAwsEnv, REPO_ROOT } from './env';
import { startDataPlane, type DataPlane } from './data-plane';
import { startGitHubStandin, type GitHubStandin } from './github-standin/server';
import { createStandinControl } from './imagebuilder-standin/client';
import { prepareEnvironment, runBadAmiScenario, runBadParametersScenario, runFailedBuildScenario, runPatchScenario, SCENARIOS, type Scenario } from './cycle/scenarios';
import { runLifecyclePhase } from './cycle/lifecycle-phase';
import { startNotifications } from './cycle/notify-phase';
import { STRATEGIES, switchStrategy, type Strategy } from './cycle/strategy-switch';
import { runStageAheadScenario } from './cycle/stage-ahead';
import { stopUsers } from './cycle/traffic';
import { createScratchRepo } from './cycle/scratch-repo';
import { formatSeconds, Timeline } from './cycle/timeline';
import type { CycleContext } from './cycle/workflow-steps';
import { LOCAL_GITHUB_REPOSITORY, LOCAL_GITHUB_SERVER_URL } from './run-action';
import { startLocalServers, type LocalServers } from './servers';

/** Long enough to pass through every build state, short enough for a one-minute cycle. */
const BUILD_SECONDS = 2.5;
/**
 * The data plane runs target-group durations 10 times faster: the app template's 10 s health-check
 * interval is 1 s, its 30 s deregistration delay 3 s. Thresholds stay counts. At real time, each
 * cutover would spend most of the cycle's minute waiting on health checks.
 */
const DATA_PLANE_TIME_SCALE = 10;
const ACTIONS = ['build-ami', 'update-app-stack', 'verify-alb', 'gitops'];

/** `--name value` or `--name=value`. */
function option(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function parseArgs(argv: string[]): { scenario: Scenario; scratchDir: string; strategy?: Strategy } {
  const unknown = argv.filter((a, i) => a.startsWith('--') && !/^--(scenario|scratch|strategy)(=|$)/.test(a) && !/^--(scenario|scratch|strategy)$/.test(argv[i - 1] ?? ''));
  if (unknown.length) throw new Error(`Unknown option ${unknown[0]}: the options are --scenario <${SCENARIOS.join('|')}>, --strategy <${STRATEGIES.join('|')}> and --scratch <dir>.`);
  const value = option(argv, 'scenario') ?? 'patch';
  if (!(SCENARIOS as readonly string[]).includes(value)) {
    throw new Error(`Unknown scenario "${value}": use one of ${SCENARIOS.join(', ')} (npm run cycle -- --scenario failed-build).`);
  }
  const strategy = option(argv, 'strategy');
  if (strategy !== undefined && !(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new Error(`Unknown strategy "${strategy}": use one of ${STRATEGIES.join(', ')} (npm run cycle -- --strategy replace), or leave it out for the wiring's.`);
  }
  // The scratch clone is deleted and recreated on every run; a test gives its own so it never meets a developer's run.
  return { scenario: value as Scenario, scratchDir: resolve(option(argv, 'scratch') ?? join(LOCAL_DIR, 'cycle')), strategy: strategy as Strategy | undefined };
}

/**
 * The SDK warns once per process that its releases after January 2027 need Node 22. This process
 * (servers, stacks, git) runs on the machine's Node; the actions run on node24 (local/action-node.ts),
 * as on runners, and do not warn. In the cycle's own output it would only hide the timeline.
 */
function silenceNodeVersionWarning(): void {
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? `${warning} ${JSON.stringify(rest)}` : `${warning.name} ${warning.message}`;
    if (text.includes('NodeVersionSupportWarning')) return;
    (emit as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

async function main(): Promise<number> {
  silenceNodeVersionWarning();
  const { scenario, scratchDir, strategy } = parseArgs(process.argv.slice(2));
  const write = (line: string) => process.stdout.write(`${line}\n`);
  write(`Local patch cycle, scenario "${scenario}": moto emulates AWS, the STAND-IN plays EC2 Image Builder (no emulator exists), a scratch clone and a GitHub API STAND-IN play GitHub.`);
  write('Every action below is the bundled dist/index.js a workflow runs. What only AWS can prove: docs/local.md.\n');

  const timeline = new Timeline(write);
  let servers: LocalServers | undefined;
  let dataPlane: DataPlane | undefined;
  let ctx: CycleContext | undefined;
  let github: GitHubStandin | undefined;
  let restoreEnv: (() => void) | undefined;
  try {
    await timeline.phase('check the bundled actions', 'local', async (phase) => {
      const missing = ACTIONS.filter((name) => !existsSync(join(REPO_ROOT, 'actions', name, 'dist', 'index.js')));
      if (missing.length) throw new Error(`missing bundles: ${missing.map((n) => `actions/${n}/dist/index.js`).join(', ')}. Run npm run build.`);
      phase.note(ACTIONS.map((n) => `actions/${n}/dist/index.js`).join(', '));
      // Every action.yml says node24 (test/contract/action-manifests.test.ts); a missing binary stops here, saying what to run.
      const node = actionNodeFor('node24');
      phase.note(`run on Node ${node.version} (${relative(process.cwd(), node.path)}), as runs.using: node24 runs them on GitHub`);
    });

    servers = await timeline.phase('start moto + Image Builder stand-in', 'local', async (phase) => {
      const started = await startLocalServers({ buildSeconds: BUILD_SECONDS });
      phase.note(`moto ${started.endpoints.moto} (log ${relative(process.cwd(), started.moto.logFile)})`);
      phase.note(`STAND-IN ${started.endpoints.imageBuilder} (log ${relative(process.cwd(), started.standinLog)}): builds nothing, mints AMIs in moto`);
      return started;
    });
    const motoServers = servers;
    dataPlane = await timeline.phase('start the local data plane', 'data plane', async (phase) => {
      // Both regions: the cycle's prod runs in the second (local/cycle/second-region.ts).
      const started = await startDataPlane({ motoEndpoint: motoServers.endpoints.moto, imageBuilderEndpoint: motoServers.endpoints.imageBuilder, timeScale: DATA_PLANE_TIME_SCALE, regions: [LOCAL_REGION, LOCAL_SECOND_REGION] });
      phase.note(`load balancer STAND-IN over moto's ELBv2 state; ELBv2 front ${started.elbv2Endpoint} (target health from real health checks); log ${relative(process.cwd(), started.logFile)}`);
      phase.note(`every instance moto runs serves the app template's real pages on php -S behind its own IMDSv2 stand-in; health checks and deregistration delays at 1/${DATA_PLANE_TIME_SCALE} time`);
      return started;
    });
    const awsEnv = localAwsEnv({ ...servers.endpoints, elbv2: dataPlane.elbv2Endpoint });
    // This process reads moto too (checks, setup); its clients are built exactly as the actions build theirs.
    restoreEnv = applyEnv(awsEnv);
    const standin = createStandinControl(servers.endpoints.imageBuilder);

    const plane = dataPlane;
    ctx = await timeline.phase('scratch clone + stand-in pipeline', 'git', async (phase) => {
      const repo = await createScratchRepo(scratchDir);
      const wiring = await loadEnvironments(join(repo.checkout.dir, 'parameters/environments.json'), { rootDir: repo.checkout.dir });
      let environment = getEnvironment(wiring, wiring.promotionOrder[0]);
      if (strategy && environment.strategy !== strategy) environment = await switchStrategy(repo, environment, strategy, phase);
      if (environment.region !== LOCAL_REGION) throw new Error(`${environment.name} is wired to ${environment.region}; the cycle's first wave runs in ${LOCAL_REGION} (the stand-in pipeline's region), and prod in ${LOCAL_SECOND_REGION}`);
      await standin.registerPipeline(LOCAL_PIPELINE_ARN);
      // The pull requests the gitops action opens (the switch PR, record PRs) go to the GitHub API stand-in, over origin.git.
      const githubLog = join(repo.dir, 'github-standin.log');
      github = await startGitHubStandin({ repositoryDir: repo.originDir, repository: LOCAL_GITHUB_REPOSITORY, serverUrl: LOCAL_GITHUB_SERVER_URL, log: (line) => appendFileSync(githubLog, `${new Date().toISOString()} ${line}\n`) });
      phase.note(`${relative(process.cwd(), repo.dir)}: main at ${(await repo.checkout.resolveCommit('HEAD')).slice(0, 12)} (committed HEAD of this repository)`);
      phase.note(`environment ${environment.name} (strategy ${environment.strategy}, ${environment.appTemplate}): stacks ${environment.stacks.network}, ${environment.stacks.app}; pipeline ${LOCAL_PIPELINE_ARN} registered in the stand-in`);
      phase.note(`GitHub API STAND-IN ${github.apiUrl} (log ${relative(process.cwd(), githubLog)}): pull requests on ${LOCAL_GITHUB_REPOSITORY}, backed by origin.git; no auth check, rate limits, checks or reviews`);
      const context: CycleContext = {
        awsEnv,
        clients: createAwsClients({ region: LOCAL_REGION }),
        standin,
        repo,
        environment,
        pipelineArn: LOCAL_PIPELINE_ARN,
        dataPlane: plane,
        traffic: { deploys: [], excused: [] },
        summaries: { dir: join(repo.dir, 'summaries'), saved: [] },
        github,
      };
      return context;
    });

    // deploy-environment.yml's Notify step sends to moto's SNS topic and a webhook stand-in (local/cycle/notify-phase.ts).
    await startNotifications(ctx, timeline);
    const { baselineAmi } = await prepareEnvironment(ctx, timeline);
    if (scenario === 'patch') await runPatchScenario(ctx, timeline, baselineAmi);
    // ami-lifecycle.yml in dry run, once the patch and the failback are in git (local/cycle/lifecycle-phase.ts).
    if (scenario === 'patch') await runLifecyclePhase(ctx, timeline);
    if (scenario === 'failed-build') await runFailedBuildScenario(ctx, timeline, baselineAmi);
    if (scenario === 'bad-ami') await runBadAmiScenario(ctx, timeline, baselineAmi);
    if (scenario === 'bad-parameters') await runBadParametersScenario(ctx, timeline);
    if (scenario === 'stage-ahead') await runStageAheadScenario(ctx, timeline, baselineAmi);
    await stopUsers(ctx, timeline);

    const onMoto = timeline.phases.filter((p) => p.kind === 'moto').length;
    const onStandin = timeline.phases.filter((p) => p.kind.includes('stand-in')).length;
    const onDataPlane = timeline.phases.filter((p) => p.kind.includes('data plane')).length;
    if (ctx.summaries.saved.length) write(`\nJob summaries of all ${ctx.summaries.saved.length} steps (what GitHub shows on a run's page): ${relative(process.cwd(), ctx.summaries.dir)}/`);
    write(`\nCycle "${scenario}" passed: ${timeline.phases.length} phases in ${formatSeconds(timeline.elapsedMs())} (${onMoto} on moto, ${onStandin} using the Image Builder stand-in, ${onDataPlane} on the data plane).`);
    return 0;
  } catch (error) {
    // The reason is under the phase that stopped (✗): said once, there, and pointed to here.
    const failed = timeline.failedPhase();
    const where = failed ? ` at phase ${failed.index}, "${failed.title}" (why: the ✗ line under it)` : `: ${errorMessage(error)}`;
    write(`\nCycle "${scenario}" FAILED after ${formatSeconds(timeline.elapsedMs())}${where}.`);
    if (servers) write(`Logs: ${[servers.moto.logFile, servers.standinLog, ...(dataPlane ? [dataPlane.logFile] : [])].map((f) => relative(process.cwd(), f)).join(', ')}; scratch clone: ${relative(process.cwd(), scratchDir)}`);
    if (ctx?.summaries.saved.length) write(`Job summaries of the ${ctx.summaries.saved.length} steps that ran: ${relative(process.cwd(), ctx.summaries.dir)}/`);
    return 1;
  } finally {
    await ctx?.traffic.users?.stop();
    await ctx?.notifications?.stop();
    await github?.stop();
    restoreEnv?.();
    await dataPlane?.stop();
    await servers?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`local cycle: ${errorMessage(error)}\n`);
    process.exit(2);
  },
);
