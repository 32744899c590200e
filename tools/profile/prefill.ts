/**
 * Prefills of a photo question's length through one of the CPU backends' decoder paths, repeated in one
 * process, so that the first (which touches its memory for the first time) can be set beside the later ones.
 * `--chunk N` feeds the prompt in runs of N positions (each timed) instead of letting the sequence chunk it.
 * `--steps N` then times, after each prefill, N decode steps of one position in turn with N runs of one
 * position and `--drafts K` (default 4) more, each cut back to one (drafts that did not come true): what a
 * draft costs on that path, the figure the draft-token default weighs against how often drafts come true.
 * `npx tsx tools/profile/prefill.ts [--package DIR] [--path static-two-part|static-group-query|rows]
 *  [--dtype quantized] [--backend wasm|cpu] [--threads 2] [--prompt 866] [--chunk N] [--reps 2]
 *  [--steps N] [--drafts K]`
 * `rows` is the package's merged decoder rewired by row-cache-graph.ts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DecoderInput } from '../../src/engine/decoder/decoder';
import type { DecoderSequence } from '../../src/engine/decoder/sequence';
import { parseModelConfig } from '../../src/engine/model/config';
import { loadRowCacheDecoder } from '../../src/engine/model/row-cache-part';
import { loadCpuStaticDecoder } from '../../src/engine/model/static-part';
import type { Ort, OrtSession } from '../../src/engine/runtime/ort';
import { sessionInputs } from '../../src/engine/runtime/session';

const { values } = parseArgs({
  options: {
    package: { type: 'string', default: '.cache/models/synthetic-interleave' },
    dtype: { type: 'string', default: 'quantized' },
    path: { type: 'string', default: 'static-two-part' },
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string', default: '2' },
    prompt: { type: 'string', default: '866' },
    chunk: { type: 'string' },
    reps: { type: 'string', default: '2' },
    steps: { type: 'string', default: '0' },
    drafts: { type: 'string', default: '4' },
  },
});
const backend = values.backend === 'cpu' ? 'cpu' : 'wasm';
const threads = Number(values.threads);
const ort: Ort = backend === 'wasm' ? await import('onnxruntime-web') : await import('onnxruntime-node');
if (backend === 'wasm') ort.env.wasm.numThreads = threads;
const dir = values.package;
const suffix = values.dtype === 'fp32' ? '' : `_${values.dtype}`;
const config = parseModelConfig(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')), null);
const source = async (file: string) => ({ file, bytes: await readFile(join(dir, file)), externalData: [] });

const file = `onnx/decoder_model_${values.path === 'rows' ? 'merged' : 'static'}${suffix}.onnx`;
let decoder: { readonly session: OrtSession; open(): DecoderSequence };
if (values.path === 'rows') {
  const rows = await loadRowCacheDecoder(ort, backend, await source(file), config, threads);
  if (!rows) throw new Error(`${file} could not be rewired`);
  console.log(`rewired, layout ${rows.layout}`);
  decoder = rows;
} else {
  const attention = values.path === 'static-group-query' ? 'group-query' : 'two-part';
  ({ decoder } = await loadCpuStaticDecoder(ort, backend, await source(file), config, {
    attention,
    threads,
  }));
}
const hidden = Number(
  sessionInputs(decoder.session)
    .find((v) => v.name === 'inputs_embeds')
    ?.shape?.at(-1),
);

function embeds(length: number): DecoderInput {
  const data = Float32Array.from({ length: length * hidden }, (_, i) => Math.sin(i * 0.37) * 0.5);
  return { kind: 'embeds', data, length, hidden };
}
const prompt = Number(values.prompt);
for (let rep = 0; rep < Number(values.reps); rep++) {
  const sequence = decoder.open();
  const chunk = values.chunk === undefined ? prompt : Number(values.chunk);
  const times: string[] = [];
  const start = performance.now();
  for (let from = 0; from < prompt; from += chunk) {
    const t = performance.now();
    await sequence.run(embeds(Math.min(chunk, prompt - from)), 1, { tokensOnly: true });
    times.push((performance.now() - t).toFixed(0));
  }
  const ms = performance.now() - start;
  console.log(
    `${values.path} ${backend} ${threads}t chunk ${values.chunk ?? 'engine'}: prefill ${prompt} in ${ms.toFixed(0)} ms ` +
      `(${((prompt / ms) * 1000).toFixed(1)} tok/s) [${times.join(' ')}]`,
  );
  const steps = Number(values.steps);
  if (steps > 0) {
    const drafts = Number(values.drafts);
    const one: number[] = [];
    const drafted: number[] = [];
    for (let i = 0; i < steps; i++) {
      let t = performance.now();
      await sequence.run(embeds(1), 1, { tokensOnly: true });
      one.push(performance.now() - t);
      t = performance.now();
      await sequence.run(embeds(1 + drafts), 1 + drafts, { tokensOnly: true });
      await sequence.truncate(sequence.length - drafts);
      drafted.push(performance.now() - t);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
    console.log(
      `  past ${prompt}+: a step ${median(one).toFixed(1)} ms, a run with ${drafts} drafts cut back ` +
        `${median(drafted).toFixed(1)} ms: ${(median(drafted) / median(one)).toFixed(2)}× (medians of ${steps})`,
    );
  }
  sequence.clear();
}
