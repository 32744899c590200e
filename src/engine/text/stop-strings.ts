/**
 * Stop strings over a stream of text deltas. Text that could be the start of a stop string is held back
 * until the next delta settles it, so the caller never shows text that a stop string later takes back.
 * The stop string itself is not part of the answer.
 */
export interface StopStringStep {
  /** Text that is final and can be shown now. */
  readonly text: string;
  /** A stop string was completed; `text` ends just before it and nothing more should be generated. */
  readonly stopped: boolean;
  /** The stop string that matched, when `stopped`. */
  readonly stopString?: string;
}

export class StopStringMatcher {
  private readonly stopStrings: readonly string[];
  private pending = '';
  private done = false;

  constructor(stopStrings: readonly string[]) {
    this.stopStrings = stopStrings.filter((s) => s.length > 0);
  }

  push(delta: string): StopStringStep {
    if (this.done) return { text: '', stopped: true };
    this.pending += delta;
    const match = this.earliestMatch();
    if (match !== undefined) {
      this.done = true;
      const text = this.pending.slice(0, match.index);
      this.pending = '';
      return { text, stopped: true, stopString: match.stopString };
    }
    const held = this.heldLength();
    const text = this.pending.slice(0, this.pending.length - held);
    this.pending = this.pending.slice(this.pending.length - held);
    return { text, stopped: false };
  }

  /** The held-back text, for when generation ends for another reason (EOS, length, abort). */
  flush(): string {
    const text = this.pending;
    this.pending = '';
    return text;
  }

  private earliestMatch(): { index: number; stopString: string } | undefined {
    let best: { index: number; stopString: string } | undefined;
    for (const stopString of this.stopStrings) {
      const index = this.pending.indexOf(stopString);
      if (index >= 0 && (best === undefined || index < best.index)) best = { index, stopString };
    }
    return best;
  }

  /** The longest end of the pending text that is the start of some stop string. */
  private heldLength(): number {
    let held = 0;
    for (const stopString of this.stopStrings) {
      const longest = Math.min(stopString.length - 1, this.pending.length);
      for (let length = longest; length > held; length--) {
        if (this.pending.endsWith(stopString.slice(0, length))) {
          held = length;
          break;
        }
      }
    }
    return held;
  }
}
