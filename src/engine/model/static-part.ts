/**
 * The package's optional decode variant, decoder_model_static (toolkit/decoder/llama-graph.ts), loaded as a
 * StaticDecoder when the runtime's WebGPU provider captures graphs (onnxruntime-web; onnxruntime-node 1.30
 * ignores enableGraphCapture). The file follows the merged decoder's dtype: the fp32 graph beside an fp32
 * decoder, the q4 one beside a q4 decoder, else whichever the package has.
 *
 * On the CPU backends (onnxruntime-node's CPU provider, onnxruntime-web's wasm) it is loaded instead of the
 * merged decoder, as a CpuStaticDecoder (the KV cache kept in place), only in the dtype the merged decoder
 * would have, so that answers stay the merged decoder's.
 */

import { withOwnLogitsNode } from '../decoder/captured-logits-graph';
import { CpuStaticDecoder } from '../decoder/cpu-static-decoder';
import { type CpuStaticGraph, cpuStaticGraph } from '../decoder/cpu-static-graph';
import { withRunLimit } from '../decoder/run-limit';
import { type GpuDevice, StaticDecoder } from '../decoder/static-decoder';
import { lastRows } from '../decoder/static-rows-graph';
import { GlimpseError, messageOf } from '../errors';
import { runtimeGpuDevice } from '../runtime/capabilities';
import { type ModelGraph, readModelGraph } from '../runtime/onnx-graph';
import type { Ort, OrtSession } from '../runtime/ort';
import {
  createSerially,
  createSession,
  loadFailure,
  type SessionSource,
  sessionInputs,
  sessionOutputs,
} from '../runtime/session';
import { type CpuAttentionKind, DEFAULT_CPU_ATTENTION, type ModelInfo } from '../types';
import type { ModelConfig } from './config';
import { packedForWebGpu } from './gpu-decoder-part';
import { checkStaticDecoder, type DecoderSpec, type EmbedSpec } from './validate';

export interface StaticDecoderOptions {
  /** Draft tokens a captured step checks beside its token (static-rows-graph.ts). */
  readonly draftTokens: number;
  /** Whether each layer's q, k and v projections are packed into one (gpu-decoder-part.ts). */
  readonly packedQkv: boolean;
  /** The token the load's warm-up step runs. */
  readonly warmToken: number;
}

function lastDim(shape: readonly (number | string)[] | undefined): number | undefined {
  const dim = shape?.at(-1);
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}

/**
 * The StaticDecoder from a package's decoder_model_static file (read by load.ts in place of the merged
 * decoder), the spec its graph declares, and how many layers had q, k and v packed. `embed` embeds each
 * step's tokens (the decoder runs it; it stays the caller's to release). The decoder comes warmed up
 * (StaticDecoder.warmUp): a step this adapter cannot run rejects the load, as a graph it cannot load does.
 */
export async function loadStaticDecoder(
  ort: Ort,
  source: SessionSource,
  embed: EmbedSpec | undefined,
  config: ModelConfig,
  { draftTokens, packedQkv, warmToken }: StaticDecoderOptions,
): Promise<{ decoder: StaticDecoder; spec: DecoderSpec; file: string; packedLayers: number }> {
  const { file, externalData } = source;
  // The step binds embed_tokens' output to its float32 input (static-decoder.ts).
  if (embed?.embedsType !== 'float32') {
    const why = embed
      ? `${file} takes float32 embeddings and ${embed.file} gives ${embed.embedsType}: load a float32 embed_tokens for graph capture`
      : `${file} takes embeddings and the package has no embed_tokens`;
    throw new GlimpseError('package-invalid', why, {
      details: { file: embed?.file ?? file, backend: 'webgpu' },
    });
  }
  const base = {
    executionProviders: [{ name: 'webgpu', validationMode: 'disabled' }],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(externalData.length > 0 ? { externalData } : {}),
  } as const;
  const sessions: OrtSession[] = [];
  let decoder: StaticDecoder | undefined;
  try {
    const { graph, packedLayers, stepRows } = capturedStepGraph(
      source.bytes,
      { file, externalData },
      { packedQkv, draftTokens },
    );
    const captured = await createSerially(ort, graph, { ...base, enableGraphCapture: true } as never);
    sessions.push(captured);
    const uncaptured = await createSerially(ort, graph, {
      ...base,
      preferredOutputLocation: Object.fromEntries(captured.outputNames.map((name) => [name, 'gpu-buffer'])),
    } as never);
    sessions.push(uncaptured);
    const spec = await withRunLimit(
      ort,
      'webgpu',
      checkStaticDecoder(captured, file, config),
      config.numHeads,
    );
    const hidden = lastDim(sessionInputs(captured).find((v) => v.name === 'inputs_embeds')?.shape);
    const vocab = lastDim(sessionOutputs(captured).find((v) => v.name === 'logits')?.shape);
    const device = (await runtimeGpuDevice(ort)) as GpuDevice | undefined;
    if (hidden === undefined || vocab === undefined || !device)
      throw new Error(`${file} has no fixed hidden size or vocabulary, or there is no WebGPU device`);
    decoder = await StaticDecoder.create(
      ort,
      device,
      { captured, uncaptured, embed },
      {
        layers: spec.numLayers,
        kvHeads: spec.kvHeads,
        headDim: spec.headDim,
        hidden,
        vocab,
        maxLength: config.contextLength,
        positionIds: spec.hasPositionIds,
        stepRows,
        ...(spec.maxRunPositions === undefined ? {} : { maxRunPositions: spec.maxRunPositions }),
      },
    );
    await decoder.warmUp(warmToken);
    return { decoder, spec, file, packedLayers };
  } catch (err) {
    // The decoder, once made, owns the sessions.
    await Promise.allSettled(decoder ? [decoder.release()] : sessions.map((session) => session.release()));
    if (err instanceof GlimpseError && err.code === 'package-invalid') throw err;
    throw new GlimpseError(
      'package-invalid',
      `${file} could not be loaded for graph capture: ${messageOf(err)}`,
      { cause: err, details: { file, backend: 'webgpu' } },
    );
  }
}

/**
 * The static graph as the captured step runs it on WebGPU: q, k and v packed (gpu-decoder-part.ts), lm_head
 * over the step's draft rows (static-rows-graph.ts) and the logits a node of their own, which a replay
 * refreshes (captured-logits-graph.ts); the rewrites applied one after another, the model copied once.
 */
export function capturedStepGraph(
  bytes: Uint8Array,
  source: Pick<SessionSource, 'file' | 'externalData'>,
  { packedQkv, draftTokens }: { packedQkv: boolean; draftTokens: number },
): { graph: Uint8Array; packedLayers: number; stepRows: number } {
  const { graph: packed, packedLayers } = packedForWebGpu(readModelGraph(bytes), source, packedQkv);
  const { graph: stepGraph, stepRows } = withDraftRows(packed, draftTokens, source.file);
  return { graph: withOwnLogitsNode(stepGraph).bytes(), packedLayers, stepRows };
}

/**
 * The graph a captured step of a token and `draftTokens` drafts runs (static-rows-graph.ts); the graph as
 * it is, one token a step, where the rewrite does not apply, with the reason in the console.
 */
function withDraftRows(
  graph: ModelGraph,
  draftTokens: number,
  file: string,
): { graph: ModelGraph; stepRows: number } {
  if (draftTokens < 1) return { graph, stepRows: 1 };
  try {
    return { graph: lastRows(graph, draftTokens + 1), stepRows: draftTokens + 1 };
  } catch (err) {
    console.warn(`Glimpse decodes ${file} without draft tokens: ${messageOf(err)}`);
    return { graph, stepRows: 1 };
  }
}

/**
 * The CpuStaticDecoder from a package's decoder_model_static file, read in place of the merged decoder
 * (load.ts reads it first, in the decoder's dtype), and the decoder spec its graph declares. The session
 * is the caller's to release.
 */
export async function loadCpuStaticDecoder(
  ort: Ort,
  backend: 'cpu' | 'wasm',
  source: SessionSource,
  config: ModelConfig,
  { attention = DEFAULT_CPU_ATTENTION, threads }: { attention?: CpuAttentionKind; threads?: number } = {},
): Promise<{
  decoder: CpuStaticDecoder;
  spec: DecoderSpec;
  attention: NonNullable<ModelInfo['cpuAttention']>;
}> {
  const { file } = source;
  const invalid = (err: unknown) => loadFailure(file, backend, err);
  let rewired: CpuStaticGraph;
  try {
    rewired = cpuStaticGraph(source.bytes, { attention });
  } catch (err) {
    throw invalid(err);
  }
  const session = await createSession(ort, backend, { ...source, bytes: rewired.bytes }, { threads });
  let spec: DecoderSpec;
  try {
    spec = checkStaticDecoder(session, file, config);
  } catch (err) {
    await session.release();
    throw err instanceof GlimpseError ? err : invalid(err);
  }
  const decoder = new CpuStaticDecoder(ort, session, {
    layers: spec.numLayers,
    kvHeads: spec.kvHeads,
    headDim: spec.headDim,
    maxLength: config.contextLength,
    positionIds: spec.hasPositionIds,
    attention: rewired.attention,
  });
  const { fallback } = rewired;
  return { decoder, spec, attention: { kind: rewired.attention, ...(fallback ? { fallback } : {}) } };
}
