import { describe, expect, it } from 'vitest';
import { StepPlanner, type StepRun } from './step-planner';

/**
 * Runs `steps` steps on an adapter whose runs cost `cost` ms, with `drafts` drafts on offer at each and
 * `accepted` of a replay's drafts coming true; the runs chosen.
 */
function simulate(cost: Record<StepRun, number>, steps: number, drafts: number, accepted = 0): StepRun[] {
  const planner = new StepPlanner();
  const runs: StepRun[] = [];
  for (let i = 0; i < steps; i++) {
    const run = planner.choose(drafts);
    runs.push(run);
    planner.ran(run, cost[run]);
    if (run === 'captured' && drafts > 0) planner.drafted(accepted);
  }
  return runs;
}

const count = (runs: readonly StepRun[], run: StepRun) => runs.filter((r) => r === run).length;

describe('StepPlanner', () => {
  it('replays where a replay costs a fraction of an uncaptured run, trying the other at doubling intervals', () => {
    // A discrete GPU: dispatch-bound, the replay of 5 positions 3 ms, one position uncaptured 19 ms.
    const runs = simulate({ captured: 3, single: 19 }, 1000, 0);
    expect(runs.slice(0, 2)).toEqual(['captured', 'single']);
    // Besides the first measurement, tries after 8, 16, 32, … 256 more steps: 6 in 1000.
    expect(count(runs, 'single')).toBe(7);
  });

  it('runs a token without drafts alone where each position costs arithmetic (SwiftShader, q4)', () => {
    const runs = simulate({ captured: 880, single: 390 }, 200, 0);
    expect(runs[0]).toBe('captured');
    expect(count(runs, 'captured')).toBeLessThan(8);
  });

  it('checks drafts while enough come true to pay for the replay, and drops them when few do', () => {
    // 880 ms for 1 + 2.5 tokens beats 390 ms for one.
    expect(count(simulate({ captured: 880, single: 390 }, 100, 4, 2.5), 'single')).toBeLessThan(8);
    // 880 ms for 1 + 0.5 tokens does not.
    expect(count(simulate({ captured: 880, single: 390 }, 100, 4, 0.5), 'captured')).toBeLessThan(12);
  });

  it('replays every step when pinned, whatever the runs cost', () => {
    const planner = new StepPlanner('captured');
    for (let i = 0; i < 100; i++) {
      expect(planner.choose(i % 3)).toBe('captured');
      planner.ran('captured', 880);
    }
  });

  it('follows a cost that changes', () => {
    const planner = new StepPlanner();
    const runs: StepRun[] = [];
    for (let i = 0; i < 400; i++) {
      const run = planner.choose(0);
      runs.push(run);
      // The replay turns expensive after 100 steps (a busier GPU).
      planner.ran(run, run === 'single' ? 19 : i < 100 ? 3 : 60);
    }
    expect(count(runs.slice(0, 100), 'captured')).toBeGreaterThan(90);
    expect(count(runs.slice(300), 'single')).toBeGreaterThan(95);
  });
});
