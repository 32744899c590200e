/**
 * The speed probe the first screen runs on WebAssembly (`measureCpuSpeed`), in a fresh runtime as the worker
 * runs it, then again in the same process, with the estimate it gives for the recommended model
 * (`answerEstimate`): what the first screen would say on this machine, unrounded.
 * `npx tsx tools/profile/cpu-speed.ts [--backend wasm|cpu] [--threads 2] [--runs 2]`
 */
import { parseArgs } from 'node:util';
import type { Ort } from '../../src/engine/index';
import { measureCpuSpeed } from '../../src/engine/runtime/cpu-speed';
import { answerEstimate } from '../../src/state/answer-estimate';
import { defaultModelId, hubCatalog } from '../../src/state/catalog';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string', default: '2' },
    runs: { type: 'string', default: '2' },
  },
});
const backend = values.backend === 'cpu' ? 'cpu' : 'wasm';
const ort: Ort = backend === 'wasm' ? await import('onnxruntime-web') : await import('onnxruntime-node');
if (backend === 'wasm') ort.env.wasm.numThreads = Number(values.threads);
const entry = hubCatalog().find((candidate) => candidate.id === defaultModelId);
if (!entry) throw new Error(`${defaultModelId} is not in the registry`);

for (let run = 1; run <= Number(values.runs); run++) {
  const started = performance.now();
  const speed = await measureCpuSpeed(ort, backend);
  const seconds = (performance.now() - started) / 1000;
  const estimate = answerEstimate(entry, speed);
  const gb = (value: number) => (value / 1e9).toFixed(2);
  console.log(
    `run ${run} (${seconds.toFixed(1)} s): one row ${gb(speed.rowBytesPerSecond)} GB/s, ` +
      `${gb(speed.macsPerSecond)} GMAC/s, fresh ${gb(speed.freshBytesPerSecond)} GB/s, ` +
      `warm copy ${gb(speed.copyBytesPerSecond)} GB/s → ${defaultModelId}: ` +
      (estimate
        ? `vision ${estimate.visionSeconds.toFixed(1)} s + prefill ${estimate.prefillSeconds.toFixed(1)} s = ` +
          `first token ${estimate.firstTokenSeconds.toFixed(1)} s, ${estimate.decodeTokensPerSecond.toFixed(1)} tok/s`
        : 'no estimate'),
  );
}
