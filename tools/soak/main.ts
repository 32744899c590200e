/** `npm run soak [-- TURNS]`: the long soak, printing its figures (the unit suite runs a short one). */
import * as ort from 'onnxruntime-web';
import { formatSoak, runSoak } from './soak';

async function main() {
  ort.env.wasm.numThreads = 1;
  const turns = Number(process.argv[2] ?? 50);
  const figures = await runSoak(ort, { turns, models: ['tiny-llava', 'tiny-llava-fused'], maxNewTokens: 8 });
  console.log(formatSoak(figures));
}

void main();
