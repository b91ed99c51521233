import { phaseEndMs, scheduledState, type BuildPlan } from '../../../local/imagebuilder-standin/lifecycle';

const BUILD_MS = 10_000;
const available: BuildPlan = { outcome: 'AVAILABLE' };

describe('stand-in build lifecycle', () => {
  it('moves through every Image Builder phase in order, then is due AVAILABLE', () => {
    const seen: string[] = [];
    for (let t = 0; t <= BUILD_MS; t += 250) {
      const { status } = scheduledState(available, t, BUILD_MS);
      if (seen.at(-1) !== status) seen.push(status);
    }
    expect(seen).toEqual(['PENDING', 'CREATING', 'BUILDING', 'TESTING', 'DISTRIBUTING', 'AVAILABLE']);
  });

  it('spends most of the time building and testing, as real builds do', () => {
    const building = phaseEndMs('BUILDING', BUILD_MS) - phaseEndMs('CREATING', BUILD_MS);
    const pending = phaseEndMs('PENDING', BUILD_MS);
    expect(building).toBeGreaterThan(3 * pending);
    expect(phaseEndMs('DISTRIBUTING', BUILD_MS)).toBe(BUILD_MS);
  });

  it('is due at once when the build time is 0', () => {
    expect(scheduledState(available, 0, 0).status).toBe('AVAILABLE');
  });

  it.each([
    ['FAILED', 'BUILDING'],
    ['FAILED', 'TESTING'],
    ['CANCELLED', 'CREATING'],
  ] as const)('a build planned to end %s in %s is in that phase until its end, then ends with the reason', (outcome, atStatus) => {
    const plan: BuildPlan = { outcome, atStatus, reason: 'component update-linux failed' };
    const end = phaseEndMs(atStatus, BUILD_MS);
    expect(scheduledState(plan, end - 1, BUILD_MS).status).toBe(atStatus);
    expect(scheduledState(plan, end, BUILD_MS)).toEqual({ status: outcome, reason: 'component update-linux failed' });
    expect(scheduledState(plan, 10 * BUILD_MS, BUILD_MS).status).toBe(outcome);
  });

  it('a stalled build never leaves its phase', () => {
    const plan: BuildPlan = { outcome: 'STALLED', atStatus: 'BUILDING' };
    expect(scheduledState(plan, 0, BUILD_MS).status).toBe('PENDING');
    expect(scheduledState(plan, 1000 * BUILD_MS, BUILD_MS).status).toBe('BUILDING');
  });
});
