/**
 * An answer's deltas, gathered between the page's frames. The worker sends one message a token (70–90 a second
 * on wasm for a small model), and each store change re-renders the answer's markdown from its start, then lays
 * the page out to follow it: per token, that kept the page at a few frames a second and slow to take a click.
 * Applied once a frame, the answer looks the same and the page stays responsive.
 */
export interface DeltaBatch {
  push(text: string, tokens: number, now: number): void;
  /** Applies what is waiting now: before the turn's end, failure or save, which must see every word. */
  flush(): void;
}

/** `schedule` runs its callback before the next paint (requestAnimationFrame); without one, each delta applies at once. */
export function batchDeltas(
  apply: (text: string, tokens: number, now: number) => void,
  schedule?: (callback: () => void) => void,
): DeltaBatch {
  let text = '';
  let tokens = 0;
  let at = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (tokens === 0) return;
    const [pending, count] = [text, tokens];
    text = '';
    tokens = 0;
    apply(pending, count, at);
  };
  return {
    push(delta, count, now) {
      text += delta;
      tokens += count;
      at = now;
      if (!schedule) flush();
      else if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    flush,
  };
}
