/**
 * The scale model of a promotion through a fleet (`npm run bench`): 40 environments in 4 waves over
 * 3 regions and 5 accounts, driven by GitHub Actions. Pure arithmetic over the workflows' shape
 * (which jobs each workflow starts, what each job calls), the shipped soak and the cutover model's
 * deploy time; nothing is measured here. Every number that is not the project's own is an
 * assumption, named in FLEET_ASSUMPTIONS and printed with the table.
 */
import { DEFAULT_SOAK_MINUTES } from '../../actions/lib/parameters';

export interface FleetWave {
  name: string;
  environments: number;
  /** The wave's `maxParallel` (deploy.yml's matrix max-parallel). */
  maxParallel: number;
  /** soakMinutes of its environments: how long the wave must run an AMI before the next gets it. */
  soakMinutes: number;
}

export interface FleetShape {
  waves: readonly FleetWave[];
  regions: number;
  accounts: number;
}

/** The fleet of the model: a first wave the patch PR bakes for, then ever larger waves. */
export const FLEET: Readonly<FleetShape> = Object.freeze({
  waves: [
    { name: 'dev', environments: 2, maxParallel: 2, soakMinutes: DEFAULT_SOAK_MINUTES },
    { name: 'staging', environments: 6, maxParallel: 6, soakMinutes: DEFAULT_SOAK_MINUTES },
    { name: 'prod-canary', environments: 8, maxParallel: 4, soakMinutes: DEFAULT_SOAK_MINUTES },
    { name: 'prod', environments: 24, maxParallel: 8, soakMinutes: DEFAULT_SOAK_MINUTES },
  ],
  regions: 3,
  accounts: 5,
});

export interface FleetAssumptions {
  /** One deploy job end to end besides the stack update: checkout, node, credentials, gate, verify-alb's watch, report. */
  deployJobOverheadSeconds: number;
  /** verify-alb's watch in a deploy job (prod's wiring: 300 s). */
  verifyWatchSeconds: number;
  /** From a promotion PR opening to its merge (review, approvals): 0 models a team that merges at once. */
  reviewMinutes: number;
  /** promote.yml's schedule: hourly, so an AMI waits up to this long after its soak ends. */
  scheduleMinutes: number;
  /** GitHub-hosted runners: concurrent jobs per plan (GitHub's documented limits: Free 20, Pro 40, Team 60, Enterprise 500). */
  concurrentJobLimits: ReadonlyArray<readonly [string, number]>;
  /** Poll intervals the actions use while waiting (poll()'s steady 5 s). */
  pollSeconds: number;
}

export const FLEET_ASSUMPTIONS: Readonly<FleetAssumptions> = Object.freeze<FleetAssumptions>({
  deployJobOverheadSeconds: 120,
  verifyWatchSeconds: 300,
  reviewMinutes: 0,
  scheduleMinutes: 60,
  concurrentJobLimits: [
    ['Free', 20],
    ['Pro', 40],
    ['Team', 60],
    ['Enterprise', 500],
  ],
  pollSeconds: 5,
});

/** API calls of one job, per service, given how long its stack update takes (from the cutover model). */
export function deployJobCalls(updateSeconds: number, a: FleetAssumptions = FLEET_ASSUMPTIONS): Record<string, number> {
  const polls = Math.ceil(updateSeconds / a.pollSeconds);
  const watchPolls = Math.ceil(a.verifyWatchSeconds / a.pollSeconds);
  return {
    // gate (DescribeStacks when git alone refuses: counted), describe, CreateChangeSet, DescribeChangeSet ×3, Execute, then DescribeStacks + DescribeStackEvents each poll.
    CloudFormation: 1 + 1 + 1 + 3 + 1 + 2 * polls + 2,
    // AMI checks (DescribeImages, DescribeImageAttribute), the fleet's instances while verifying.
    EC2: 2 + watchPolls,
    // Target health while the update runs and while verify-alb watches.
    'Elastic Load Balancing': polls + watchPolls,
    'Auto Scaling': 1 + watchPolls,
  };
}

/** API calls of one propose-promotion job for a wave: per environment of the wave before, DescribeStacks, DescribeAlarms and the two alarms' history. */
export function soakCheckCalls(sourceEnvironments: number): Record<string, number> {
  return { CloudFormation: sourceEnvironments, CloudWatch: sourceEnvironments * (1 + 2) };
}

/** The run that proposes: the build evidence once (the AMI's tag, GetImage, findings, two package lists), and a copy per other region. */
export function proposalCalls(otherRegions: number, copyPolls: number): Record<string, number> {
  return { EC2: 1 + otherRegions * (1 + 1 + 1 + copyPolls), 'Image Builder': 4 };
}

export interface WaveRow {
  wave: FleetWave;
  /** Deploy jobs the wave's merge starts: one per environment, plus deploy.yml's plan job. */
  jobs: number;
  /** Concurrent deploy jobs at the peak. */
  concurrent: number;
  /** Deploy rounds: ceil(environments / maxParallel). */
  rounds: number;
  /** Seconds from the wave's merge to its last environment verified. */
  deploySeconds: number;
  /** Seconds from the merge of the patch PR to this wave verified. */
  reachedAtSeconds: number;
}

export interface FleetModel {
  rows: WaveRow[];
  totalJobs: number;
  promoteRuns: number;
  peakConcurrent: number;
  /** Calls per service, per account, at the busiest minute (the largest wave's round, spread over accounts). */
  peakCallsPerAccountPerMinute: Record<string, number>;
  /** Calls per service over the whole rollout, all accounts. */
  totalCalls: Record<string, number>;
}

function add(into: Record<string, number>, from: Record<string, number>, times = 1): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v * times;
}

/** The rollout of one AMI from the patch PR's merge to the last wave, wave by wave. */
export function modelFleet(updateSeconds: number, shape: FleetShape = FLEET, a: FleetAssumptions = FLEET_ASSUMPTIONS): FleetModel {
  const jobSeconds = updateSeconds + a.deployJobOverheadSeconds + a.verifyWatchSeconds;
  const rows: WaveRow[] = [];
  const totalCalls: Record<string, number> = {};
  let at = 0;
  for (const [i, wave] of shape.waves.entries()) {
    if (i > 0) {
      const before = shape.waves[i - 1];
      // The hourly schedule finds the soak over at its next run: at most one interval late (counted in full).
      at += before.soakMinutes * 60 + a.scheduleMinutes * 60 + a.reviewMinutes * 60;
      // A cross-region CopyImage of a small AMI: about 10 minutes of DescribeImages at the copy's 15 s steady poll.
      add(totalCalls, proposalCalls(shape.regions - 1, 40));
    }
    const rounds = Math.ceil(wave.environments / wave.maxParallel);
    const deploySeconds = rounds * jobSeconds;
    at += deploySeconds;
    add(totalCalls, deployJobCalls(updateSeconds, a), wave.environments);
    rows.push({ wave, jobs: wave.environments + 1, concurrent: Math.min(wave.environments, wave.maxParallel), rounds, deploySeconds, reachedAtSeconds: at });
  }
  // promote.yml: every hour for the whole rollout, a plan job and one decide job per receiving wave, each reading the soak of the
  // wave before it; and once per receiving wave, the propose job that opens its PR with the App's token.
  const promoteRuns = Math.ceil(at / (a.scheduleMinutes * 60));
  const promoteJobs = promoteRuns * shape.waves.length + (shape.waves.length - 1);
  for (const before of shape.waves.slice(0, -1)) add(totalCalls, soakCheckCalls(before.environments), promoteRuns);
  const biggest = rows.reduce((m, r) => (r.concurrent > m.concurrent ? r : m), rows[0]);
  const perJobPerMinute = Object.fromEntries(Object.entries(deployJobCalls(updateSeconds, a)).map(([k, v]) => [k, v / (jobSeconds / 60)]));
  // The busiest round's jobs spread evenly over the accounts (CloudFormation and EC2 throttle per account and region).
  const jobsPerAccount = Math.ceil(biggest.concurrent / shape.accounts);
  const peakCallsPerAccountPerMinute = Object.fromEntries(Object.entries(perJobPerMinute).map(([k, v]) => [k, Math.ceil(v * jobsPerAccount)]));
  return {
    rows,
    totalJobs: 1 + rows.reduce((n, r) => n + r.jobs, 0) + promoteJobs,
    promoteRuns,
    peakConcurrent: Math.max(...rows.map((r) => r.concurrent)),
    peakCallsPerAccountPerMinute,
    totalCalls,
  };
}
