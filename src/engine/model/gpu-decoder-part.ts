/**
 * The decoders on WebGPU: the graph rewrites they get at load on that backend, and the merged decoder's
 * session, the path of every package without a captured decode variant (the Hub's exports among them).
 *
 * Every WebGPU decoder has its q, k and v projections packed into one per layer where the graph allows it
 * (packed-qkv-graph.ts, LoadOptions.packedQkv): fewer kernels a step, the same values.
 *
 * The merged decoder's KV cache stays in GPU memory. On a runtime that can read GPU memory back
 * (onnxruntime-web; capabilities.ts, runtimeGpuDevice), the graph also gets each position's argmax and,
 * where it has no num_logits_to_keep, the last position's logits as outputs (logits-outputs-graph.ts), and
 * its logits stay in GPU memory: a greedy run then reads back only the argmax (8 bytes a position), a
 * sampled one the row it samples from. onnxruntime-node 1.30 can neither read GPU memory back nor fetch some
 * outputs and not others once outputs are placed in GPU memory ("Output count mismatch"), so there the graph
 * keeps its outputs, its logits copied out whole.
 */
import { addLogitsOutputs, LAST_LOGITS } from '../decoder/logits-outputs-graph';
import { packQkv } from '../decoder/packed-qkv-graph';
import { messageOf } from '../errors';
import { runtimeGpuDevice } from '../runtime/capabilities';
import { type ModelGraph, readModelGraph } from '../runtime/onnx-graph';
import type { Ort, OrtSession } from '../runtime/ort';
import { createSession, type SessionSource } from '../runtime/session';

/**
 * A decoder graph with its q, k and v projections packed (`pack` false: as it is), and how many layers
 * were; not yet copied out, so that a further rewrite adds to it before the one copy (onnx-graph.ts).
 */
export function packedForWebGpu(
  graph: ModelGraph,
  { file, externalData }: Pick<SessionSource, 'file' | 'externalData'>,
  pack: boolean,
): { graph: ModelGraph; packedLayers: number } {
  if (!pack) return { graph, packedLayers: 0 };
  try {
    const external = new Map(externalData.map(({ path, data }) => [path, data]));
    const { graph: packed, packed: packedLayers, skipped } = packQkv(graph, external);
    if (skipped.length > 0)
      console.warn(`Glimpse left ${skipped.length} attention layers of ${file} unpacked: ${skipped[0]}`);
    return { graph: packed, packedLayers };
  } catch (err) {
    console.warn(`Glimpse loads ${file}'s projections unpacked: ${messageOf(err)}`);
    return { graph, packedLayers: 0 };
  }
}

/**
 * The merged decoder's session: the graph with every rewrite that applies, else with fewer of them, else as
 * the package has it, which then fails, or not, as itself. Each rewrite left out is said on the console.
 */
export async function createGpuDecoderSession(
  ort: Ort,
  source: SessionSource,
  presents: readonly string[],
  { packedQkv }: { packedQkv: boolean },
): Promise<{ session: OrtSession; packedLayers: number }> {
  const candidates: { bytes: () => Uint8Array; gpuOutputs: readonly string[]; packedLayers: number }[] = [];
  let graph: ModelGraph | undefined;
  try {
    graph = readModelGraph(source.bytes);
  } catch (err) {
    console.warn(`Glimpse loads ${source.file} without rewrites: ${messageOf(err)}`);
  }
  if (graph) {
    const packed = packedForWebGpu(graph, source, packedQkv);
    const { packedLayers } = packed;
    if ((await runtimeGpuDevice(ort)) !== undefined) {
      try {
        const outputs = addLogitsOutputs(packed.graph);
        const gpuOutputs = [...presents, 'logits', LAST_LOGITS];
        candidates.push({ bytes: () => outputs.bytes(), gpuOutputs, packedLayers });
      } catch (err) {
        console.warn(`Glimpse reads ${source.file}'s logits whole from the GPU: ${messageOf(err)}`);
      }
    }
    if (packedLayers > 0)
      candidates.push({ bytes: () => packed.graph.bytes(), gpuOutputs: presents, packedLayers });
  }
  candidates.push({ bytes: () => source.bytes, gpuOutputs: presents, packedLayers: 0 });
  for (const [i, { bytes, gpuOutputs, packedLayers }] of candidates.entries()) {
    try {
      const session = await createSession(ort, 'webgpu', { ...source, bytes: bytes() }, { gpuOutputs });
      return { session, packedLayers };
    } catch (err) {
      if (i === candidates.length - 1) throw err;
      console.warn(`Glimpse loads ${source.file} with fewer rewrites: ${messageOf(err)}`);
    }
  }
  throw new Error('unreachable: no candidate graph');
}
