/**
 * The scale model of `npm run bench`: waves deploy in rounds of maxParallel, each later wave waits
 * for the soak of the one before plus promote.yml's schedule, and the promote jobs run hourly over
 * the whole rollout.
 */
import { FLEET, FLEET_ASSUMPTIONS, modelFleet } from '../../../local/bench/fleet-scale';
import { fleetSection, formatDuration } from '../../../local/bench/fleet-section';

const UPDATE = 600;
const JOB = UPDATE + FLEET_ASSUMPTIONS.deployJobOverheadSeconds + FLEET_ASSUMPTIONS.verifyWatchSeconds;

describe('fleet scale model', () => {
  it('models 40 environments in 4 waves, each wave in rounds of its maxParallel', () => {
    const model = modelFleet(UPDATE);
    expect(FLEET.waves.reduce((n, w) => n + w.environments, 0)).toBe(40);
    expect(model.rows.map((r) => [r.wave.name, r.rounds, r.concurrent, r.jobs])).toEqual([
      ['dev', 1, 2, 3],
      ['staging', 1, 6, 7],
      ['prod-canary', 2, 4, 9],
      ['prod', 3, 8, 25],
    ]);
    expect(model.peakConcurrent).toBe(8);
  });

  it('reaches the last wave after every earlier soak, the schedule and the deploy rounds', () => {
    const model = modelFleet(UPDATE);
    const waits = 3 * (1440 * 60 + FLEET_ASSUMPTIONS.scheduleMinutes * 60);
    expect(model.rows[3].reachedAtSeconds).toBe(waits + (1 + 1 + 2 + 3) * JOB);
    const hourly = Math.ceil(model.rows[3].reachedAtSeconds / 3600);
    expect(model.promoteRuns).toBe(hourly);
    expect(model.totalJobs).toBe(1 + 44 + hourly * 4 + 3);
  });

  it('a longer review or a larger maxParallel moves the wall time the way it should', () => {
    const base = modelFleet(UPDATE).rows[3].reachedAtSeconds;
    expect(modelFleet(UPDATE, FLEET, { ...FLEET_ASSUMPTIONS, reviewMinutes: 30 }).rows[3].reachedAtSeconds).toBe(base + 3 * 30 * 60);
    const wider = { ...FLEET, waves: FLEET.waves.map((w) => ({ ...w, maxParallel: w.environments })) };
    expect(modelFleet(UPDATE, wider).rows[3].reachedAtSeconds).toBe(base - 3 * JOB);
  });

  it('prints the wall time in days and names the GitHub limits', () => {
    expect(formatDuration(3 * 86_400 + 3600 + 120)).toBe('3 d 1 h 2 min');
    const section = fleetSection(UPDATE);
    expect(section.title).toBe('Scale: one AMI through 40 environments in 4 waves (3 regions, 5 accounts)');
    expect(section.notes.join('\n')).toContain('Free 20, Pro 40, Team 60, Enterprise 500');
  });
});
