import * as ort from 'onnxruntime-web';
import { expect, it } from 'vitest';
import { formatSoak, runSoak } from './soak';

it('50 turns in one conversation, then a model switch, leave the JS heap near its baseline', async () => {
  ort.env.wasm.numThreads = 1;
  const figures = await runSoak(ort, {
    turns: 50,
    models: ['tiny-llava', 'tiny-llava-fused'],
    maxNewTokens: 8,
  });
  console.log(formatSoak(figures));
  // The conversation outgrew the 512-token context and went on under the keep-last-turn policy.
  expect(figures.contextResets).toBeGreaterThan(0);
  // One leaked KV cache of tiny-llava is 0.6 MB, one leaked image embedding 16 kB per turn.
  expect(figures.afterTurns.heapMB + figures.afterTurns.externalMB).toBeLessThan(
    figures.baseline.heapMB + figures.baseline.externalMB + 2,
  );
  expect(figures.afterSwitch.heapMB + figures.afterSwitch.externalMB).toBeLessThan(
    figures.baseline.heapMB + figures.baseline.externalMB + 2,
  );
});
