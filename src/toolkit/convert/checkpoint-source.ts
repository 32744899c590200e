/**
 * Weight sources for the graph builders over a safetensors checkpoint: each tensor is read when the
 * builder asks for it, under whichever of the Hugging Face naming schemes the checkpoint uses, and every
 * first read is reported (bytes read of the checkpoint's total) for honest progress.
 */
import type { DecoderLayerWeights, DecoderWeightSource } from '../decoder/llama-graph';
import type { SafetensorsCheckpoint } from '../safetensors/reader';
import { ConvertError } from './convert-error';
import type { TextModelSpec } from './hf-config';

export interface ReadProgress {
  readonly name: string;
  readonly bytes: number;
  readonly readBytes: number;
  readonly totalBytes: number;
}

/** A checkpoint whose reads are counted once per tensor. */
export class TrackedCheckpoint {
  private readonly seen = new Set<string>();
  private readBytes = 0;
  readonly totalBytes: number;

  readonly checkpoint: SafetensorsCheckpoint;
  private readonly onRead: (progress: ReadProgress) => void;

  constructor(checkpoint: SafetensorsCheckpoint, onRead: (progress: ReadProgress) => void) {
    this.checkpoint = checkpoint;
    this.onRead = onRead;
    this.totalBytes = checkpoint.byteLength();
  }

  has(name: string): boolean {
    return this.checkpoint.has(name);
  }

  read(name: string, expectedLength?: number): Float32Array {
    if (!this.checkpoint.has(name)) throw new ConvertError(`The checkpoint has no tensor ${name}.`);
    const values = this.checkpoint.read(name);
    if (expectedLength !== undefined && values.length !== expectedLength) {
      const shape = this.checkpoint.info(name).shape.join('×');
      throw new ConvertError(`Tensor ${name} has shape ${shape}, which does not match config.json.`);
    }
    const { byteLength } = this.checkpoint.info(name);
    if (!this.seen.has(name)) {
      this.seen.add(name);
      this.readBytes += byteLength;
    }
    this.onRead({ name, bytes: byteLength, readBytes: this.readBytes, totalBytes: this.totalBytes });
    return values;
  }
}

export interface TextTensorNames {
  /** Prefix of embed_tokens, layers and norm: 'model.', 'language_model.model.' or 'model.language_model.'. */
  readonly base: string;
  readonly lmHead: string;
}

/** The naming scheme of the text model: plain causal LM, LLaVA before transformers 4.52, or after. */
export function textTensorNames(checkpoint: TrackedCheckpoint): TextTensorNames {
  const schemes: TextTensorNames[] = [
    { base: 'model.', lmHead: 'lm_head.weight' },
    { base: 'language_model.model.', lmHead: 'language_model.lm_head.weight' },
    { base: 'model.language_model.', lmHead: 'lm_head.weight' },
  ];
  const found = schemes.find((s) => checkpoint.has(`${s.base}embed_tokens.weight`));
  if (!found) {
    throw new ConvertError(
      `The checkpoint has no token embedding: none of ${schemes.map((s) => `${s.base}embed_tokens.weight`).join(', ')}.`,
    );
  }
  return found;
}

/** Rows of the embedding table (may exceed vocab_size when tokens were added). */
export function embeddingRows(checkpoint: TrackedCheckpoint, names: TextTensorNames): number {
  const [rows] = checkpoint.checkpoint.info(`${names.base}embed_tokens.weight`).shape;
  if (rows === undefined) throw new ConvertError('The token embedding has no shape.');
  return rows;
}

export function readEmbedTokens(checkpoint: TrackedCheckpoint, names: TextTensorNames, spec: TextModelSpec) {
  const rows = embeddingRows(checkpoint, names);
  return { rows, table: checkpoint.read(`${names.base}embed_tokens.weight`, rows * spec.config.hiddenSize) };
}

export function checkpointDecoderSource(
  checkpoint: TrackedCheckpoint,
  names: TextTensorNames,
  spec: TextModelSpec,
): DecoderWeightSource {
  const { config } = spec;
  const { hiddenSize: d, intermediateSize: ff, numHeads, numKvHeads, headDim, vocabSize } = config;
  const q = numHeads * headDim;
  const kv = numKvHeads * headDim;
  const unsupported = [
    'self_attn.o_proj.bias',
    'mlp.gate_proj.bias',
    'mlp.up_proj.bias',
    'mlp.down_proj.bias',
  ];
  return {
    config,
    layer: (index): DecoderLayerWeights => {
      const p = `${names.base}layers.${index}.`;
      const extra = unsupported.find((t) => checkpoint.has(p + t));
      if (extra) throw new ConvertError(`The checkpoint has ${p}${extra}; the decoder builds no bias there.`);
      const read = (t: string, length: number) => checkpoint.read(p + t, length);
      const bias = (t: string, length: number) => (checkpoint.has(p + t) ? read(t, length) : undefined);
      const qBias = bias('self_attn.q_proj.bias', q);
      const kBias = bias('self_attn.k_proj.bias', kv);
      const vBias = bias('self_attn.v_proj.bias', kv);
      return {
        inputNorm: read('input_layernorm.weight', d),
        q: read('self_attn.q_proj.weight', q * d),
        k: read('self_attn.k_proj.weight', kv * d),
        v: read('self_attn.v_proj.weight', kv * d),
        o: read('self_attn.o_proj.weight', d * q),
        postNorm: read('post_attention_layernorm.weight', d),
        gate: read('mlp.gate_proj.weight', ff * d),
        up: read('mlp.up_proj.weight', ff * d),
        down: read('mlp.down_proj.weight', d * ff),
        ...(qBias ? { qBias } : {}),
        ...(kBias ? { kBias } : {}),
        ...(vBias ? { vBias } : {}),
      };
    },
    norm: () => checkpoint.read(`${names.base}norm.weight`, d),
    lmHead: () => {
      if (checkpoint.has(names.lmHead)) return checkpoint.read(names.lmHead, vocabSize * d);
      if (!spec.tieWordEmbeddings) {
        throw new ConvertError(
          `The checkpoint has no ${names.lmHead} and config.json does not tie the word embeddings.`,
        );
      }
      // Tied: the head is the first vocab_size rows of the embedding table.
      return checkpoint.read(`${names.base}embed_tokens.weight`).subarray(0, vocabSize * d);
    },
  };
}
