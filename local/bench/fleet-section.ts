/** The scale model's section of `npm run bench`: one row per wave, then the totals and limits in the notes. */
import { formatClock, type Section } from './report';
import { FLEET, FLEET_ASSUMPTIONS, modelFleet, type FleetAssumptions, type FleetShape } from './fleet-scale';

/** Days, hours and minutes, for wall times of days. */
export function formatDuration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return [d ? `${d} d` : '', h ? `${h} h` : '', `${m} min`].filter(Boolean).join(' ');
}

const services = (calls: Record<string, number>) =>
  Object.entries(calls)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

export function fleetSection(updateSeconds: number, shape: FleetShape = FLEET, a: FleetAssumptions = FLEET_ASSUMPTIONS): Section {
  const model = modelFleet(updateSeconds, shape, a);
  const environments = shape.waves.reduce((n, w) => n + w.environments, 0);
  const last = model.rows[model.rows.length - 1];
  const limits = a.concurrentJobLimits.map(([plan, n]) => `${plan} ${n}${model.peakConcurrent + 1 > n ? ' (too few)' : ''}`).join(', ');
  return {
    title: `Scale: one AMI through ${environments} environments in ${shape.waves.length} waves (${shape.regions} regions, ${shape.accounts} accounts)`,
    intro: [
      `Modeled, not measured: the workflows' jobs and calls for one patch, from the patch PR's merge to the last wave verified, with the shipped soak (${shape.waves[0].soakMinutes} min per wave) and the cutover model's stack update (${formatClock(updateSeconds)}).`,
    ],
    table: {
      headers: ['Wave', 'Environments', 'maxParallel', 'Deploy jobs', 'At once', 'Rounds', 'Wave deploy', 'Verified after the patch merge'],
      rows: model.rows.map((r) => [r.wave.name, String(r.wave.environments), String(r.wave.maxParallel), String(r.jobs), String(r.concurrent), String(r.rounds), formatClock(r.deploySeconds), formatDuration(r.reachedAtSeconds)]),
    },
    notes: [
      `Wall time from the patch PR's merge to the last wave (${last.wave.name}) verified: ${formatDuration(last.reachedAtSeconds)}; the soaks are ${Math.round((100 * shape.waves.slice(0, -1).reduce((n, w) => n + w.soakMinutes * 60, 0)) / last.reachedAtSeconds)} % of it. Each wave after the first waits for the soak of the one before, up to ${a.scheduleMinutes} min for promote.yml's hourly run to see it (counted in full), and ${a.reviewMinutes} min of review (\`reviewMinutes\`: add your team's).`,
      `Jobs: ${model.totalJobs} in all: 1 patch PR job, ${model.rows.reduce((n, r) => n + r.jobs, 0)} deploy jobs (deploy.yml's plan + one per environment, per wave), and ${model.totalJobs - 1 - model.rows.reduce((n, r) => n + r.jobs, 0)} promote.yml jobs (${model.promoteRuns} hourly runs over the rollout, each a plan job and one decide job per receiving wave, a decide job that finds nothing to promote ending in seconds; and one propose job per receiving wave, which opens its PR).`,
      `At most ${model.peakConcurrent} deploy jobs at once (+1 plan job), which maxParallel bounds, against GitHub-hosted runners' concurrent-job limits: ${limits}. A matrix holds up to 256 jobs, so the largest wave (${Math.max(...shape.waves.map((w) => w.environments))}) fits one deploy.yml run.`,
      `API calls of one deploy job (${formatClock(updateSeconds)} update polled every ${a.pollSeconds} s, ${a.verifyWatchSeconds} s verify watch): ${services(model.rows.length ? modelCallsOfOneJob(updateSeconds, a) : {})}. At the busiest round, with its ${model.rows.reduce((m, r) => Math.max(m, r.concurrent), 0)} jobs spread over ${shape.accounts} accounts, per account and minute: ${services(model.peakCallsPerAccountPerMinute)}. CloudFormation and EC2 throttle per account and region at rates AWS does not publish for these calls; the actions' SDK clients retry throttling and poll() rides it out (it never counts against a deadline's failures), so a burst costs time, not a failed deploy.`,
      `Calls over the whole rollout, all accounts: ${services(model.totalCalls)}. The soak checks (CloudFormation, CloudWatch) run every hour for every receiving wave; Image Builder is read 4 times per promotion PR (the build evidence), never per environment, and the other regions get CopyImage copies (EC2, with about 10 min of DescribeImages each, assumed), not new builds.`,
      `Assumptions: a deploy job spends ${a.deployJobOverheadSeconds} s besides its stack update and verify watch (checkout, Node, credentials, the wave gate, the report); environments are spread evenly over regions and accounts; each wave's environments are deployed in rounds of maxParallel, each round as long as one job.`,
    ],
  };
}

function modelCallsOfOneJob(updateSeconds: number, a: FleetAssumptions): Record<string, number> {
  return modelFleet(updateSeconds, { waves: [{ name: 'one', environments: 1, maxParallel: 1, soakMinutes: 0 }], regions: 1, accounts: 1 }, a).totalCalls;
}
