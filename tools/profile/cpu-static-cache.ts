/**
 * The cpu backend's two decode paths on one package, in turn in one process (so a shared machine's load
 * falls on both alike): the merged decoder, which hands the whole KV cache back on every run, against
 * decoder_model_static rewired to keep it in place (cpu-static-decoder.ts). Each rep prefills the same
 * `--prompt` positions and then runs `--steps` one-position steps on both, and checks that both pick the same
 * token (argmax) at every step; then `--drafts` runs of one token and 4 draft tokens, each followed by the
 * cut of the 4 drafts (a draft that did not come true: a copy of the cache for the merged decoder, a length
 * change for the static one).
 * Each static run is timed with both attentions of the rewired graph (two-part-attention.ts, then
 * onnxruntime's GroupQueryAttention).
 * `npx tsx tools/profile/cpu-static-cache.ts --package .cache/models/synthetic-interleave --dtype quantized
 *  [--prompt 866] [--steps 16] [--reps 2] [--threads N]`
 * `--threads` sets onnxruntime-node's intra-op threads (LoadOptions.cpuThreads); without it onnxruntime picks.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { CpuStaticDecoder } from '../../src/engine/decoder/cpu-static-decoder';
import { cpuStaticGraph } from '../../src/engine/decoder/cpu-static-graph';
import type { DecoderInput } from '../../src/engine/decoder/decoder';
import { type DecoderSequence, mergedSequence, type StepRow } from '../../src/engine/decoder/sequence';
import { parseModelConfig } from '../../src/engine/model/config';
import { checkDecoder } from '../../src/engine/model/validate';
import type { Ort } from '../../src/engine/runtime/ort';
import { createSession, sessionInputs } from '../../src/engine/runtime/session';
import type { CpuAttentionKind } from '../../src/engine/types';

const { values } = parseArgs({
  options: {
    package: { type: 'string', default: '.cache/models/synthetic-interleave' },
    dtype: { type: 'string', default: 'quantized' },
    prompt: { type: 'string', default: '866' },
    steps: { type: 'string', default: '16' },
    reps: { type: 'string', default: '2' },
    drafts: { type: 'string', default: '4' },
    threads: { type: 'string' },
  },
});
const runtime = ort as unknown as Ort;
const dir = values.package;
const promptLength = Number(values.prompt);
const steps = Number(values.steps);
const suffix = values.dtype === 'fp32' ? '' : `_${values.dtype}`;
const config = parseModelConfig(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')), null);
const placement = values.threads === undefined ? {} : { threads: Number(values.threads) };
const source = async (file: string) => ({ file, bytes: await readFile(join(dir, file)), externalData: [] });

const mergedFile = `onnx/decoder_model_merged${suffix}.onnx`;
const spec = checkDecoder(
  await createSession(runtime, 'cpu', await source(mergedFile), placement),
  mergedFile,
  config,
);
const staticSource = await source(`onnx/decoder_model_static${suffix}.onnx`);
async function staticDecoder(attention: CpuAttentionKind): Promise<CpuStaticDecoder> {
  const rewired = cpuStaticGraph(staticSource.bytes, { attention });
  if (rewired.fallback) console.log(`${attention} asked, fell back: ${rewired.fallback}`);
  const session = await createSession(runtime, 'cpu', { ...staticSource, bytes: rewired.bytes }, placement);
  return new CpuStaticDecoder(runtime, session, {
    layers: spec.numLayers,
    kvHeads: spec.kvHeads,
    headDim: spec.headDim,
    maxLength: config.contextLength,
    positionIds: session.inputNames.includes('position_ids'),
    attention: rewired.attention,
  });
}
const twoPart = await staticDecoder('two-part');
const groupQuery = await staticDecoder('group-query');
const hidden = Number(
  sessionInputs(twoPart.session)
    .find((v) => v.name === 'inputs_embeds')
    ?.shape?.at(-1),
);

function embeds(length: number, seed: number): DecoderInput {
  const data = Float32Array.from({ length: length * hidden }, (_, i) => Math.sin((i + seed) * 0.37) * 0.5);
  return { kind: 'embeds', data, length, hidden };
}

function argmax(row: StepRow | undefined): number {
  if (!(row instanceof Float32Array)) return row ?? Number.NaN;
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] ?? 0) > (row[best] ?? 0)) best = i;
  return best;
}

interface Timing {
  prefillMs: number;
  stepMs: number[];
  tokens: number[];
  /** A run of 5 positions and the cut of the last 4. */
  draftMs: number[];
}

async function measure(sequence: DecoderSequence, tokensOnly: boolean): Promise<Timing> {
  const start = performance.now();
  const first = await sequence.run(embeds(promptLength, 1), 1);
  const timing: Timing = {
    prefillMs: performance.now() - start,
    stepMs: [],
    tokens: [argmax(first[0])],
    draftMs: [],
  };
  for (let i = 0; i < steps; i++) {
    const stepStart = performance.now();
    const [row] = await sequence.run(embeds(1, 100 + i), 1, { tokensOnly });
    timing.stepMs.push(performance.now() - stepStart);
    timing.tokens.push(argmax(row));
  }
  for (let i = 0; i < Number(values.drafts); i++) {
    const draftStart = performance.now();
    await sequence.run(embeds(5, 200 + i), 5, { tokensOnly });
    await sequence.truncate(sequence.length - 4);
    timing.draftMs.push(performance.now() - draftStart);
  }
  sequence.clear();
  return timing;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(
  `${dir}, ${values.dtype}, prompt ${promptLength}, ${steps} steps, threads ${values.threads ?? "onnxruntime's default"}; load average ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}`,
);
for (let rep = 0; rep < Number(values.reps); rep++) {
  const merged = await measure(mergedSequence(runtime, spec, undefined), false);
  const m = median(merged.stepMs);
  console.log(
    `rep ${rep + 1}: merged: prefill ${merged.prefillMs.toFixed(0)} ms, step median ${m.toFixed(1)} ms ` +
      `(${(1000 / m).toFixed(2)} tok/s), 5-position run + cut of 4 ${median(merged.draftMs).toFixed(1)} ms`,
  );
  for (const [name, decoder] of [
    ['static, two-part attention', twoPart],
    ['static, GroupQueryAttention', groupQuery],
  ] as const) {
    const inPlace = await measure(decoder.open(), true);
    const same = merged.tokens.every((token, i) => token === inPlace.tokens[i]);
    const s = median(inPlace.stepMs);
    console.log(
      `  ${name}: prefill ${inPlace.prefillMs.toFixed(0)} ms, step median ${s.toFixed(1)} ms ` +
        `(${(1000 / s).toFixed(2)} tok/s, ${(m / s).toFixed(2)}× the merged), same tokens: ${same}, ` +
        `5-position run + cut of 4 ${median(inPlace.draftMs).toFixed(1)} ms`,
    );
  }
}
console.log(
  `load average after ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}`,
);
await spec.session.release();
await twoPart.session.release();
await groupQuery.session.release();
