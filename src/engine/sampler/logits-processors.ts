/**
 * Logits processors, composed in a list as transformers.js and Hugging Face generation do. Each one changes
 * the logits in place; a token it rules out gets -Infinity. None sorts the whole vocabulary: with 152 000
 * entries a full sort per step would cost more than the rest of sampling together.
 */
export type LogitsProcessor = (logits: Float32Array, previousTokens: readonly number[]) => void;

/** CTRL's rule (Keskar et al. 2019), as Hugging Face applies it: each earlier token once, whatever its count. */
export function repetitionPenalty(penalty: number): LogitsProcessor {
  return (logits, previousTokens) => {
    for (const id of new Set(previousTokens)) {
      const value = logits[id];
      if (value === undefined) continue;
      logits[id] = value < 0 ? value * penalty : value / penalty;
    }
  };
}

export function temperature(value: number): LogitsProcessor {
  const inverse = 1 / value;
  return (logits) => {
    for (let i = 0; i < logits.length; i++) logits[i] = (logits[i] ?? 0) * inverse;
  };
}

/** Keeps the k largest logits (and any tied with the k-th), found with a size-k min-heap: O(V log k). */
export function topK(k: number): LogitsProcessor {
  return (logits) => {
    if (k <= 0 || k >= logits.length) return;
    const threshold = kthLargest(logits, k);
    for (let i = 0; i < logits.length; i++) if ((logits[i] ?? 0) < threshold) logits[i] = -Infinity;
  };
}

/**
 * Nucleus sampling: keeps the smallest set of most probable tokens whose probability mass reaches p, and
 * always at least one. Only the tokens above a probability floor are looked at closely; the floor drops until
 * the tokens above it hold at least p of the mass, so the nucleus is certain to lie among them. Their weights
 * are sorted as a typed array (native numeric sort) to find the weight at which the nucleus ends.
 */
const NEGLIGIBLE = 40;

export function topP(p: number): LogitsProcessor {
  let ids = new Int32Array(1024);
  let weights = new Float64Array(1024);
  return (logits) => {
    if (p >= 1) return;
    let max = -Infinity;
    for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] ?? -Infinity);
    if (max === -Infinity) return;
    // Tokens more than NEGLIGIBLE below the maximum add under e^-40 each: at most 1e-12 of the total over a
    // 152 000-token vocabulary, so they can skip the exp, which is most of the cost of this pass.
    const floorLogit = max - NEGLIGIBLE;
    let total = 0;
    for (let i = 0; i < logits.length; i++) {
      const logit = logits[i] ?? -Infinity;
      if (logit > floorLogit) total += Math.exp(logit - max);
    }
    const target = p * total;

    let count = 0;
    for (let floor = 1e-3; ; floor /= 64) {
      // weight ≥ floor · total, compared in logit space so that only candidates cost an exp.
      const minLogit = floor > 1e-300 ? max + Math.log(floor * total) : -Infinity;
      count = 0;
      let mass = 0;
      for (let i = 0; i < logits.length; i++) {
        const logit = logits[i] ?? -Infinity;
        if (logit < minLogit || logit === -Infinity) continue;
        if (count === ids.length) {
          ids = grow(ids, new Int32Array(count * 2));
          weights = grow(weights, new Float64Array(count * 2));
        }
        const weight = Math.exp(logit - max);
        ids[count] = i;
        weights[count] = weight;
        count++;
        mass += weight;
      }
      if (mass >= target || minLogit === -Infinity) break;
    }

    // Walk the weights from the largest down to the one that completes the mass; tokens of that weight are
    // kept in index order until the mass is reached, so ties are settled as a stable sort would.
    const sorted = weights.slice(0, count).sort().reverse();
    let mass = 0;
    let cut = sorted[0] ?? 0;
    for (const weight of sorted) {
      cut = weight;
      mass += weight;
      if (mass >= target) break;
    }
    let massAbove = 0;
    for (let j = 0; j < count; j++) if ((weights[j] ?? 0) > cut) massAbove += weights[j] ?? 0;
    let keepAtCut = 0;
    for (let j = 0; j < count && (keepAtCut === 0 || massAbove < target); j++) {
      if (weights[j] === cut) {
        keepAtCut++;
        massAbove += cut;
      }
    }
    const keptIds: number[] = [];
    for (let j = 0; j < count; j++) {
      const weight = weights[j] ?? 0;
      if (weight > cut) keptIds.push(ids[j] ?? 0);
      else if (weight === cut && keepAtCut > 0) {
        keptIds.push(ids[j] ?? 0);
        keepAtCut--;
      }
    }
    const keptValues = keptIds.map((id) => logits[id] ?? -Infinity);
    logits.fill(-Infinity);
    keptIds.forEach((id, i) => {
      logits[id] = keptValues[i] ?? -Infinity;
    });
  };
}

function grow<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** The k-th largest value (1-based) of `values`, with a binary min-heap of size k. */
export function kthLargest(values: Float32Array, k: number): number {
  const heap = new Float64Array(k);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] ?? -Infinity;
    if (size < k) {
      let child = size++;
      heap[child] = value;
      while (child > 0) {
        const parent = (child - 1) >> 1;
        if ((heap[parent] ?? 0) <= value) break;
        heap[child] = heap[parent] ?? 0;
        heap[parent] = value;
        child = parent;
      }
    } else if (value > (heap[0] ?? 0)) {
      siftDownRoot(heap, size, value);
    }
  }
  return heap[0] ?? -Infinity;
}

function siftDownRoot(heap: Float64Array, size: number, value: number): void {
  let parent = 0;
  for (;;) {
    const left = 2 * parent + 1;
    if (left >= size) break;
    const right = left + 1;
    const smaller = right < size && (heap[right] ?? 0) < (heap[left] ?? 0) ? right : left;
    if ((heap[smaller] ?? 0) >= value) break;
    heap[parent] = heap[smaller] ?? 0;
    parent = smaller;
  }
  heap[parent] = value;
}
