// One decoder step in a browser worker, on onnxruntime-web's plain wasm build (served from node_modules).
// Started by ../browser-step.ts, which reads the lines this posts.
const params = new URL(self.location.href).searchParams;
const log = (line) => self.postMessage(line);
self.addEventListener('unhandledrejection', (event) => log(`error ${event.reason}`));

const ort = await import('/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs');
ort.env.wasm.numThreads = Number(params.get('threads'));
const past = Number(params.get('past'));
const reps = Number(params.get('reps'));
const bytes = new Uint8Array(await (await fetch(params.get('file'))).arrayBuffer());
const session = await ort.InferenceSession.create(bytes, {
  executionProviders: ['wasm'],
  graphOptimizationLevel: 'all',
});
const declared = Object.fromEntries(session.inputMetadata.map((meta) => [meta.name, meta.shape]));

function feed(name) {
  const shape = declared[name];
  if (name === 'inputs_embeds')
    return new ort.Tensor('float32', new Float32Array(shape[2]).fill(0.01), [1, 1, shape[2]]);
  if (name === 'attention_mask')
    return new ort.Tensor('int64', new BigInt64Array(past + 1).fill(1n), [1, past + 1]);
  if (name === 'position_ids') return new ort.Tensor('int64', BigInt64Array.of(BigInt(past)), [1, 1]);
  if (name === 'num_logits_to_keep') return new ort.Tensor('int64', BigInt64Array.of(1n), []);
  if (name.startsWith('past_key_values.')) {
    const [, heads, , dim] = shape;
    return new ort.Tensor('float32', new Float32Array(heads * past * dim).fill(0.01), [1, heads, past, dim]);
  }
  throw new Error(`input ${name}: not a merged decoder's`);
}
const feeds = Object.fromEntries(session.inputNames.map((name) => [name, feed(name)]));
const pasts = session.inputNames
  .filter((name) => name.startsWith('past_key_values.'))
  .map((name) => feeds[name].data);
const cacheMb = pasts.reduce((sum, data) => sum + data.byteLength, 0) / 1e6;

const median = (times) => times.slice().sort((a, b) => a - b)[Math.floor(times.length / 2)];
async function timed(label, work) {
  const times = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  log(
    `${label.padEnd(52)} median ${median(times).toFixed(0).padStart(5)} ms  [${times.map((t) => t.toFixed(0)).join(' ')}]`,
  );
}

log(
  `${params.get('file')}: past ${past}, ${ort.env.wasm.numThreads} threads, cache ${cacheMb.toFixed(0)} MB`,
);
for (let round = 1; round <= 2; round++) {
  await timed(`round ${round}: step, every output fetched`, () => session.run(feeds));
  await timed(`round ${round}: step, only logits fetched`, () => session.run(feeds, ['logits']));
}
// What onnxruntime-web does with each output it hands back: a new typed array, filled from its heap.
await timed(`new JS arrays the size of the cache, filled`, async () => {
  for (const data of pasts) new Float32Array(data.length + 256).set(data);
});
log('done');
