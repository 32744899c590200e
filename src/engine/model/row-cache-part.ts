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
    return new RowCacheDecoder(ort, spec, rewired.layout, config.contextLength);
  } catch (err) {
    await session.release();
    if (err instanceof GlimpseError) throw err;
    return skip(err);
  }
}
