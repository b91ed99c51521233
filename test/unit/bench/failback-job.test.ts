/**
 * The bench's failback workflow model (local/bench/failback-job.ts) has the steps the deploy job
 * runs on a failback before its update, by name and in order, read from deploy-environment.yml:
 * a step added there, or failback.yml growing a job of its own again, fails here until the model
 * counts it.
 */
import { readFileSync } from 'node:fs';

import { parse } from 'yaml';

import { FAILBACK_JOB_STEPS, failbackJobSeconds, SKIPPED_ON_FAILBACK, UPDATE_STEP_START } from '../../../local/bench/failback-job';
import { DEFAULT_WORKFLOW_ASSUMPTIONS } from '../../../local/bench/strategies';

interface Step {
  name: string;
  if?: string;
}
const read = (file: string) => parse(readFileSync(`.github/workflows/${file}`, 'utf8')) as { jobs: Record<string, { steps?: Step[]; uses?: string; needs?: unknown }> };

describe('the failback job, as the bench models it', () => {
  const steps = read('deploy-environment.yml').jobs.deploy.steps!;
  const before = steps.slice(0, steps.findIndex((s) => s.name === UPDATE_STEP_START.name));

  it('counts every step before the update that a failback runs, in the workflow\'s order', () => {
    expect(before.length).toBeGreaterThan(0);
    expect(before.filter((s) => !SKIPPED_ON_FAILBACK.includes(s.name)).map((s) => s.name)).toEqual(FAILBACK_JOB_STEPS.map((s) => s.name));
  });

  it('leaves out only steps a failback skips', () => {
    for (const name of SKIPPED_ON_FAILBACK) expect({ name, skipped: /(^|\$\{\{ |&& )!inputs\.failback( \}\})?$/.test(before.find((s) => s.name === name)?.if ?? '') }).toEqual({ name, skipped: true });
  });

  it('is failback.yml\'s only job: no second job start before the deploy job', () => {
    const failback = read('failback.yml');
    expect(Object.values(failback.jobs).map((j) => [j.uses, j.needs])).toEqual([['./.github/workflows/deploy-environment.yml', undefined]]);
  });

  it('adds up to the strategy model\'s dispatch → update-app-stack', () => {
    expect(failbackJobSeconds()).toBe(FAILBACK_JOB_STEPS.reduce((sum, s) => sum + s.seconds, 0) + UPDATE_STEP_START.seconds);
    expect(DEFAULT_WORKFLOW_ASSUMPTIONS.dispatchToDeploySeconds).toBe(failbackJobSeconds());
  });
});
