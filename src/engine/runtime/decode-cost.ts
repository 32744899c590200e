/**
 * What answering costs on a CPU backend, from a device's measured speeds and a model's known work: the bench
 * (src/bench/ceiling.ts) and the estimate the first screen shows before a download share this arithmetic.
 *
 * The cost model, and why it holds for the 8-bit files the CPU backends load (`chooseDtypes`):
 * - An 8-bit file holds about one byte per weight, so its size is its weight count, and a token through a
 *   part costs one multiply-add per weight. Attention over ≤ 1,000 positions adds ~10 % of the multiply-adds
 *   at these shapes (2 · positions · hidden per layer against the layer's ~12 · hidden² weights), but in
 *   float32 they take longer: at 729 patches a vision layer's attention took 70 ms on wasm with 2 threads,
 *   about a quarter of the layer. It is left out of the vision encoder and the prefill (the towers' widths are
 *   not in the registry), so the first token leans fast by that much; a decode step's is counted below.
 * - Many rows at once (the vision encoder over its patches, the prefill over the prompt) run at the
 *   multiply-add rate of the 8-bit GEMM; one row (a decode step) is bound by reading the weights, so it runs
 *   at the bytes-per-second rate of the same kernel with one row.
 * - The prefill projects one position onto the vocabulary (`num_logits_to_keep`), so the lm_head — the
 *   shape of the embedding table — is one row's read, not one per token.
 * - The CPU backends keep the KV cache in place (row-cache-decoder.ts, cpu-static-decoder.ts): a decode step
 *   passes over the cache held a few times in warm memory — for the merged decoder of the Hub's exports, the
 *   runtime's copy of the input, the transpose into the graph's layout and the concatenation with the new
 *   rows (`KV_PASSES_PER_STEP`), each a read and a write, the work of one copy — and its attention reads the
 *   cache once more, as one row reads weights. A prefill hands the prompt's rows back as new outputs, written
 *   into fresh memory.
 */

/** Copies of the whole KV cache a decode step makes, on the merged decoder with its cache kept in place. */
export const KV_PASSES_PER_STEP = 3;

export interface KvShape {
  readonly numLayers: number;
  readonly numKvHeads: number;
  readonly headDim: number;
}

/** The KV cache's bytes per position: keys and values of every layer, float32. */
export function kvBytesPerPosition({ numLayers, numKvHeads, headDim }: KvShape): number {
  return 2 * numLayers * numKvHeads * headDim * Float32Array.BYTES_PER_ELEMENT;
}

/** Mean cache length over a run's decode steps: the prompt, then one more position per token. */
export function meanDecodePositions(promptTokens: number, generatedTokens: number): number {
  return promptTokens + Math.max(0, generatedTokens - 1) / 2;
}

/** A CPU backend's speeds, measured on the device (`measureCpuSpeed`). */
export interface CpuSpeed {
  /**
   * Weight bytes per second the 8-bit Linear kernels read with one row of input through layers more than a
   * cache holds (a decode step), once the runtime's code is optimised.
   */
  readonly rowBytesPerSecond: number;
  /** Multiply-adds per second of the same kernel over many rows (vision encoder, prefill). */
  readonly macsPerSecond: number;
  /** Bytes per second written into memory never touched before (a prefill's new KV rows). */
  readonly freshBytesPerSecond: number;
  /** Bytes per second copied from warm memory to warm memory (a decode step's passes over the KV cache). */
  readonly copyBytesPerSecond: number;
}

/** What one photo question asks of a model, from its 8-bit file sizes and shapes. */
export interface QuestionWork {
  readonly visionBytes: number;
  readonly decoderBytes: number;
  /** The lm_head's bytes inside the decoder (vocabulary × hidden, the embedding table's shape). */
  readonly lmHeadBytes: number;
  readonly imageTokens: number;
  /** The question's text and chat template around the image. */
  readonly textTokens: number;
  readonly kvBytesPerPosition: number;
  /** The answer length the decode rate is averaged over. */
  readonly answerTokens: number;
}

export interface AnswerEstimate {
  readonly visionSeconds: number;
  readonly prefillSeconds: number;
  /** Vision encoder and prefill: from sending the question to its first token. */
  readonly firstTokenSeconds: number;
  readonly decodeTokensPerSecond: number;
}

export function estimateAnswer(speed: CpuSpeed, work: QuestionWork): AnswerEstimate {
  const promptTokens = work.imageTokens + work.textTokens;
  const visionSeconds = (work.imageTokens * work.visionBytes) / speed.macsPerSecond;
  const bodyBytes = Math.max(0, work.decoderBytes - work.lmHeadBytes);
  const prefillSeconds =
    (promptTokens * bodyBytes) / speed.macsPerSecond +
    work.lmHeadBytes / speed.rowBytesPerSecond +
    (promptTokens * work.kvBytesPerPosition) / speed.freshBytesPerSecond;
  const positions = meanDecodePositions(promptTokens, work.answerTokens);
  const cacheBytes = positions * work.kvBytesPerPosition;
  const stepSeconds =
    (work.decoderBytes + cacheBytes) / speed.rowBytesPerSecond +
    (cacheBytes * KV_PASSES_PER_STEP) / speed.copyBytesPerSecond;
  return {
    visionSeconds,
    prefillSeconds,
    firstTokenSeconds: visionSeconds + prefillSeconds,
    decodeTokensPerSecond: 1 / stepSeconds,
  };
}
