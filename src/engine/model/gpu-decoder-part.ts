/**
 * The merged decoder on WebGPU: the path of every package without a captured decode variant, the Hub's
 * exports among them. Its KV cache stays in GPU memory. On a runtime that can read GPU memory back
 * (onnxruntime-web; capabilities.ts, runtimeGpuDevice), the graph also gets each position's argmax and,
 * where it has no num_logits_to_keep, the last position's logits as outputs (logits-outputs-graph.ts), and
 * its logits stay in GPU memory: a greedy run then reads back only the argmax (8 bytes a position), a
 * sampled one the row it samples from. onnxruntime-node 1.30 can neither read GPU memory back nor fetch some
 * outputs and not others once outputs are placed in GPU memory ("Output count mismatch"), so there the graph
 * loads as it is, its logits copied out whole.
 */
import { LAST_LOGITS, withLogitsOutputs } from '../decoder/logits-outputs-graph';
import { runtimeGpuDevice } from '../runtime/capabilities';
import type { Ort, OrtSession } from '../runtime/ort';
import { createSession, type SessionSource } from '../runtime/session';

export async function createGpuDecoderSession(
  ort: Ort,
  source: SessionSource,
  presents: readonly string[],
): Promise<OrtSession> {
  const plain = () => createSession(ort, 'webgpu', source, { gpuOutputs: presents });
  if ((await runtimeGpuDevice(ort)) === undefined) return plain();
  const fallBack = (err: unknown) => {
    const reason = err instanceof Error ? err.message : String(err);
    console.warn(`Glimpse reads ${source.file}'s logits whole from the GPU: ${reason}`);
  };
  let rewritten: Uint8Array;
  try {
    rewritten = withLogitsOutputs(source.bytes);
  } catch (err) {
    fallBack(err);
    return plain();
  }
  try {
    const gpuOutputs = [...presents, 'logits', LAST_LOGITS];
    return await createSession(ort, 'webgpu', { ...source, bytes: rewritten }, { gpuOutputs });
  } catch (err) {
    // The graph as the package has it is then loaded, and a broken file fails there, as itself.
    fallBack(err);
    return plain();
  }
}
