/**
 * The merged decoder on a CPU backend, rewired (row-cache-graph.ts) so that the KV cache stays in the
 * caller's memory: the path of every package without a decoder_model_static in the decoder's dtype, the
 * Hub's exports among them.
 */
import { RowCacheDecoder } from '../decoder/row-cache-decoder';
import { asMergedValues, type RowCacheGraph, rowCacheGraph } from '../decoder/row-cache-graph';
import { GlimpseError } from '../errors';
import type { Ort } from '../runtime/ort';
import { createSession, type SessionSource, sessionInputs, sessionOutputs } from '../runtime/session';
import type { ModelConfig } from './config';
import { checkDecoder } from './validate';

/**
 * The RowCacheDecoder, or undefined when the graph or the runtime does not take the rewrite: the caller
 * then runs the merged decoder as it is, which also reports a broken file as such. A decoder whose inputs
 * and outputs break the package's conventions fails here, as it would unrewired. Its session is the
 * caller's to release.
 */
export async function loadRowCacheDecoder(
  ort: Ort,
  backend: 'cpu' | 'wasm',
  source: SessionSource,
  config: ModelConfig,
  threads: number | undefined,
): Promise<RowCacheDecoder | undefined> {
  const skip = (err: unknown) => {
    const reason = err instanceof Error ? err.message : String(err);
    console.warn(`Glimpse runs ${source.file} handing back the whole KV cache on every run: ${reason}`);
    return undefined;
  };
  let rewired: RowCacheGraph;
  try {
    rewired = rowCacheGraph(source.bytes);
  } catch (err) {
    return skip(err);
  }
  let session: Awaited<ReturnType<typeof createSession>>;
  try {
    session = await createSession(ort, backend, { ...source, bytes: rewired.bytes }, { threads });
  } catch (err) {
    return skip(err);
  }
  try {
    const spec = checkDecoder(session, source.file, config, {
      inputs: asMergedValues(sessionInputs(session), rewired.layout),
      outputs: asMergedValues(sessionOutputs(session), rewired.layout),
    });
    const decoder = new RowCacheDecoder(ort, spec, rewired.layout, config.contextLength);
    await runOnePosition(decoder);
    return decoder;
  } catch (err) {
    await session.release();
    if (err instanceof GlimpseError) throw err;
    return skip(err);
  }
}

/**
 * A graph the runtime accepts once rewired may still fail to run: an attention inside a subgraph (an If)
 * that onnxruntime lets write its present over the past, now that the past is no longer a graph input.
 * One position through it, before the load relies on it, costs a decode step.
 */
async function runOnePosition(decoder: RowCacheDecoder): Promise<void> {
  const { spec } = decoder;
  const hidden = sessionInputs(spec.session)
    .find((input) => input.name === 'inputs_embeds')
    ?.shape?.at(-1);
  const sequence = decoder.open();
  try {
    if (spec.inputKind === 'ids') await sequence.run({ kind: 'ids', ids: [0] }, 1);
    else if (typeof hidden === 'number' && hidden > 0)
      await sequence.run({ kind: 'embeds', data: new Float32Array(hidden), length: 1, hidden }, 1);
  } finally {
    sequence.clear();
  }
}
