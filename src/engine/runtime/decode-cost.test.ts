// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { measureCpuSpeed } from './cpu-speed';
import { estimateAnswer } from './decode-cost';

describe('the answer estimate', () => {
  it('scales the measured speeds by the work of a photo question, as worked by hand', () => {
    const estimate = estimateAnswer(
      { rowBytesPerSecond: 1e9, macsPerSecond: 1e10, freshBytesPerSecond: 1e9, copyBytesPerSecond: 2e9 },
      {
        visionBytes: 400e6,
        decoderBytes: 500e6,
        lmHeadBytes: 100e6,
        imageTokens: 700,
        textTokens: 100,
        kvBytesPerPosition: 200_000,
        answerTokens: 41,
      },
    );
    // Vision: 700 patches × 400 M weights / 1e10 MAC/s.
    expect(estimate.visionSeconds).toBeCloseTo(28, 9);
    // Prefill: 800 tokens × (500 − 100) M weights / 1e10, one lm_head row (100 MB / 1e9 B/s), and
    // 800 positions of cache written (160 MB / 1e9 B/s).
    expect(estimate.prefillSeconds).toBeCloseTo(32 + 0.1 + 0.16, 9);
    expect(estimate.firstTokenSeconds).toBeCloseTo(60.26, 9);
    // A step: 500 MB of weights and the cache at its mean length 800 + 40 / 2 = 820 positions (164 MB),
    // read at 1e9 B/s, plus three copies of the cache at 2e9 B/s.
    expect(estimate.decodeTokensPerSecond).toBeCloseTo(1 / (0.5 + 0.164 + (3 * 0.164) / 2), 9);
  });
});

describe('the CPU speed probe', () => {
  it('times the 8-bit kernels of a layer built in memory', async () => {
    ort.env.wasm.numThreads = 1;
    const speed = await measureCpuSpeed(ort, 'wasm', {
      k: 64,
      n: 128,
      rows: 16,
      layers: 3,
      reps: 3,
      settle: 0.05,
    });
    for (const value of Object.values(speed)) {
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeGreaterThan(0);
    }
  });
});
