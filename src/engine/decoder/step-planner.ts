/**
 * Which run a step of the static decoder takes, by what each has cost on this adapter: a replay of the
 * captured graph, which always runs its stepRows positions (a token and up to stepRows − 1 draft tokens),
 * or an uncaptured run of the token alone. Where a step is bound by dispatch overhead (as the H200's
 * uncaptured step was, issue 14) the replay should cost a fraction of the uncaptured run, and draft tokens
 * ride along at little extra cost. Where it is bound by arithmetic (a software adapter, a small GPU) each
 * extra position costs nearly as much as the first: on SwiftShader, shapes-llava's q4 replay of 5 positions
 * took 880 ms and an uncaptured run of one 390 ms. There a token without drafts is cheaper alone, and drafts pay only while enough of them come true.
 *
 * The planner keeps a moving average of each run's milliseconds and of the drafts that came true per replay
 * that carried any, and now and then tries the run it would not choose, at intervals that double, so that a
 * cost that changes (a warmer cache, a busier GPU) is noticed at a small price.
 */

export type StepRun = 'captured' | 'single';

/** Weight of the newest measurement in each moving average. */
const WEIGHT = 0.25;
/**
 * Draft tokens that come true per replay carrying any, before any has been measured: prompt lookup's rate
 * on real answers was 0.9 to 1.8 (bench/README.md, "Draft tokens on the CPU backends").
 */
const PRIOR_ACCEPTED = 1;
/** Steps between tries of the run not chosen: the first interval, doubling up to the last. */
const FIRST_PROBE = 8;
const LAST_PROBE = 512;

export class StepPlanner {
  /** The run of every step, measured or not (LoadOptions.replayEveryStep). */
  private readonly pinned: StepRun | undefined;
  private readonly cost: Record<StepRun, number | undefined> = {
    captured: undefined,
    single: undefined,
  };
  private accepted = PRIOR_ACCEPTED;
  private sinceProbe = 0;
  private probeEvery = FIRST_PROBE;

  constructor(pinned?: StepRun) {
    this.pinned = pinned;
  }

  /** The run for a step of a token and `drafts` draft tokens (a single run drops the drafts). */
  choose(drafts: number): StepRun {
    if (this.pinned) return this.pinned;
    const { captured, single } = this.cost;
    // Each run is measured once before any is chosen: the replay first, as the one to beat.
    if (captured === undefined) return 'captured';
    if (single === undefined) return 'single';
    const tokensPerReplay = 1 + (drafts > 0 ? this.accepted : 0);
    const best: StepRun = captured / tokensPerReplay <= single ? 'captured' : 'single';
    if (++this.sinceProbe < this.probeEvery) return best;
    this.sinceProbe = 0;
    this.probeEvery = Math.min(this.probeEvery * 2, LAST_PROBE);
    return best === 'captured' ? 'single' : 'captured';
  }

  /** A step's run and its milliseconds, the read-back included. */
  ran(run: StepRun, ms: number): void {
    const before = this.cost[run];
    this.cost[run] = before === undefined ? ms : before + WEIGHT * (ms - before);
  }

  /** Of the draft tokens a replay carried, `count` came true. */
  drafted(count: number): void {
    this.accepted += WEIGHT * (count - this.accepted);
  }
}
