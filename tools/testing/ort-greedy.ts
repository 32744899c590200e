/**
 * Test harness, not product code: a package folder's embed_tokens and decoder_model_merged sessions on
 * onnxruntime-web's wasm backend in Node, a KV-cached decoding loop over them, and greedy generation.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';

ort.env.wasm.numThreads = 1;

export interface PackageSessions {
  readonly embed: ort.InferenceSession;
  readonly decoder: ort.InferenceSession;
  readonly numLayers: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  release(): Promise<void>;
}

export interface OpenOptions {
  /** dtype suffix of the decoder file, e.g. '_q4' for onnx/decoder_model_merged_q4.onnx. */
  readonly decoderSuffix?: string;
  readonly embedSuffix?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberField(config: Record<string, unknown>, key: string): number | undefined {
  const value = config[key];
  return typeof value === 'number' ? value : undefined;
}

/** The text model's settings from config.json: top level for a decoder, text_config for a llava package. */
async function textConfig(dir: string): Promise<{ numLayers: number; numKvHeads: number; headDim: number }> {
  const parsed: unknown = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  if (!isRecord(parsed)) throw new Error(`${dir}/config.json is not an object`);
  const text = isRecord(parsed.text_config) ? parsed.text_config : parsed;
  const numLayers = numberField(text, 'num_hidden_layers');
  const numHeads = numberField(text, 'num_attention_heads');
  const numKvHeads = numberField(text, 'num_key_value_heads') ?? numHeads;
  const hidden = numberField(text, 'hidden_size');
  const headDim = numberField(text, 'head_dim') ?? (hidden && numHeads ? hidden / numHeads : undefined);
  if (!numLayers || !numKvHeads || !headDim)
    throw new Error(`${dir}/config.json lacks the text model's sizes`);
  return { numLayers, numKvHeads, headDim };
}

async function session(path: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(new Uint8Array(await readFile(path)), { executionProviders: ['wasm'] });
}

export async function openPackageSessions(dir: string, options: OpenOptions = {}): Promise<PackageSessions> {
  const sizes = await textConfig(dir);
  const embed = await session(join(dir, 'onnx', `embed_tokens${options.embedSuffix ?? ''}.onnx`));
  const decoder = await session(join(dir, 'onnx', `decoder_model_merged${options.decoderSuffix ?? ''}.onnx`));
  return {
    embed,
    decoder,
    ...sizes,
    release: async () => {
      await embed.release();
      await decoder.release();
    },
  };
}

function int64(values: readonly number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
}

function floatData(tensor: ort.Tensor | undefined, name: string): Float32Array {
  if (!tensor || !(tensor.data instanceof Float32Array)) throw new Error(`output ${name} is not float32`);
  return tensor.data;
}

/** One sequence (batch 1) decoded in chunks, keeping the KV cache between calls. */
export class DecoderRun {
  private past: Record<string, ort.Tensor> = {};
  private length = 0;

  private readonly sessions: PackageSessions;

  constructor(sessions: PackageSessions) {
    this.sessions = sessions;
    for (let i = 0; i < sessions.numLayers; i++) {
      for (const part of ['key', 'value']) {
        const empty = new ort.Tensor('float32', new Float32Array(0), [
          1,
          sessions.numKvHeads,
          0,
          sessions.headDim,
        ]);
        this.past[`past_key_values.${i}.${part}`] = empty;
      }
    }
  }

  async embed(ids: readonly number[]): Promise<Float32Array> {
    const out = await this.sessions.embed.run({ input_ids: int64(ids) });
    return floatData(out.inputs_embeds, 'inputs_embeds');
  }

  /** Feeds `count` positions of embeddings; returns the logits of each, one Float32Array per position. */
  async feedEmbeds(embeds: Float32Array, count: number): Promise<Float32Array[]> {
    const hidden = embeds.length / count;
    const total = this.length + count;
    const out = await this.sessions.decoder.run({
      inputs_embeds: new ort.Tensor('float32', embeds, [1, count, hidden]),
      attention_mask: int64(Array.from({ length: total }, () => 1)),
      position_ids: int64(Array.from({ length: count }, (_, i) => this.length + i)),
      ...this.past,
      // 0 keeps the logits of every position (the tests compare them all).
      ...(this.sessions.decoder.inputNames.includes('num_logits_to_keep')
        ? { num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(0n), []) }
        : {}),
    });
    for (const name of Object.keys(this.past)) {
      const present = out[name.replace('past_key_values.', 'present.')];
      if (!present) throw new Error(`decoder has no output for ${name}`);
      this.past[name] = present;
    }
    this.length = total;
    const logits = floatData(out.logits, 'logits');
    const vocab = logits.length / count;
    return Array.from({ length: count }, (_, i) => logits.slice(i * vocab, (i + 1) * vocab));
  }

  async feedIds(ids: readonly number[]): Promise<Float32Array[]> {
    return this.feedEmbeds(await this.embed(ids), ids.length);
  }
}

export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? 0) > (values[best] ?? 0)) best = i;
  return best;
}

/** The logits at every position of `ids`, fed `chunk` tokens per decoder call. */
export async function logitsInChunks(
  sessions: PackageSessions,
  ids: readonly number[],
  chunk: number,
): Promise<Float32Array[]> {
  const run = new DecoderRun(sessions);
  const all: Float32Array[] = [];
  for (let at = 0; at < ids.length; at += chunk) all.push(...(await run.feedIds(ids.slice(at, at + chunk))));
  return all;
}

/** Greedy continuation of a prompt (which should start with BOS): the new ids, stopping after `stopId`. */
export async function greedyIds(
  sessions: PackageSessions,
  promptIds: readonly number[],
  maxNewTokens: number,
  stopId?: number,
): Promise<number[]> {
  const run = new DecoderRun(sessions);
  let logits = (await run.feedIds(promptIds)).at(-1);
  const generated: number[] = [];
  while (logits && generated.length < maxNewTokens) {
    const next = argmax(logits);
    generated.push(next);
    if (next === stopId || generated.length === maxNewTokens) break;
    logits = (await run.feedIds([next])).at(-1);
  }
  return generated;
}
