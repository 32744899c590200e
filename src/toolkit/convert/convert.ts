/**
 * `glimpse convert`: a Hugging Face checkpoint folder (config.json, safetensors, tokenizer and processor
 * files) of LlavaForConditionalGeneration or a Llama / Mistral / Qwen2 causal LM → a Glimpse model package
 * (onnx/vision_encoder, onnx/projector, onnx/embed_tokens, onnx/decoder_model_merged in one dtype, plus
 * the model's own config, tokenizer, chat template and processor files), and decoder_model_static, the
 * static-cache step graph that WebGPU's captured decode and the cpu backend's in-place cache run, in the
 * same dtype and from the same read of the decoder's weights. Tensors are read, converted and
 * written one at a time, so memory stays near the largest tensor (or layer), whatever the model's size.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DTYPE_SUFFIX } from '../../engine/model/files';
import { linearOf, type PackageDtype } from '../decoder/linears';
import { addEmbedTokens, addLlamaDecoders, DECODER_DOC, STATIC_DECODER_DOC } from '../decoder/llama-graph';
import type { Q4BlockSize } from '../quantize/matmulnbits';
import { SafetensorsCheckpoint } from '../safetensors/reader';
import {
  checkpointDecoderSource,
  readEmbedTokens,
  TrackedCheckpoint,
  textTensorNames,
} from './checkpoint-source';
import { ConvertError } from './convert-error';
import { isRecord, type JsonRecord, type ModelSpec, modelSpec, type TextModelSpec } from './hf-config';
import { StreamingGraphBuilder, type StreamingLimits } from './streaming-graph';
import { addVisionParts } from './vision-parts';

export type PartName =
  | 'vision_encoder'
  | 'projector'
  | 'embed_tokens'
  | 'decoder_model_merged'
  | 'decoder_model_static';

export type ConvertEvent =
  | { readonly type: 'start'; readonly spec: ModelSpec; readonly checkpointBytes: number }
  | {
      readonly type: 'tensor';
      readonly part: PartName;
      readonly name: string;
      readonly bytes: number;
      readonly readBytes: number;
      readonly totalBytes: number;
    }
  | { readonly type: 'part'; readonly part: PartName; readonly files: readonly WrittenFile[] };

export interface WrittenFile {
  /** Relative to the package folder. */
  readonly path: string;
  readonly bytes: number;
}

export interface ConvertOptions {
  readonly from: string;
  readonly to: string;
  readonly dtype: PackageDtype;
  /** q4 and q4f16: weights per scale and zero point (16 for narrow layers, where the bytes hardly count). */
  readonly q4BlockSize?: Q4BlockSize;
  readonly onEvent?: (event: ConvertEvent) => void;
  /** Where ONNX files switch to external data (tests lower them to exercise that path). */
  readonly limits?: StreamingLimits;
}

export interface ConvertSummary {
  readonly spec: ModelSpec;
  readonly dtype: PackageDtype;
  readonly parts: readonly { readonly part: PartName; readonly files: readonly WrittenFile[] }[];
  readonly copied: readonly string[];
  readonly notes: readonly string[];
}

/** Files carried over unchanged when present: configs, tokenizer, chat template, processor settings. */
const CARRIED_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'chat_template.json',
  'chat_template.jinja',
  'preprocessor_config.json',
  'processor_config.json',
];

function readJson(path: string): JsonRecord {
  if (!existsSync(path)) throw new ConvertError(`${path} is missing.`);
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isRecord(parsed)) throw new ConvertError(`${path} is not a JSON object.`);
  return parsed;
}

function textSpecOf(spec: ModelSpec): TextModelSpec {
  return spec.kind === 'llava' ? spec.llava.text : spec.text;
}

export async function convertCheckpoint(options: ConvertOptions): Promise<ConvertSummary> {
  const { from, to, dtype } = options;
  const emit = options.onEvent ?? (() => {});
  const spec = modelSpec(readJson(join(from, 'config.json')));
  if (!existsSync(join(from, 'tokenizer.json'))) {
    throw new ConvertError(
      `${from} has no tokenizer.json; the browser tokenizer needs it (save the tokenizer with transformers' ` +
        'save_pretrained, which writes it).',
    );
  }
  if (spec.kind === 'llava' && !existsSync(join(from, 'preprocessor_config.json')))
    throw new ConvertError(`${from} has no preprocessor_config.json, which a LLaVA package needs.`);

  let part: PartName = 'decoder_model_merged';
  const checkpoint = new TrackedCheckpoint(SafetensorsCheckpoint.open(from), (p) =>
    emit({ type: 'tensor', part, ...p }),
  );
  emit({ type: 'start', spec, checkpointBytes: checkpoint.totalBytes });
  mkdirSync(join(to, 'onnx'), { recursive: true });
  const suffix = DTYPE_SUFFIX[dtype];
  const linear = linearOf(dtype, options.q4BlockSize);
  const parts: { part: PartName; files: WrittenFile[] }[] = [];
  const open = (name: PartName) =>
    new StreamingGraphBuilder(name, join(to, 'onnx', `${name}${suffix}.onnx`), options.limits);
  const finish = (name: PartName, g: StreamingGraphBuilder, docString: string): void => {
    const written = g.finish({ docString });
    const files = written.files.map((path) => ({
      path: relative(to, path).replaceAll('\\', '/'),
      bytes: statSync(path).size,
    }));
    parts.push({ part: name, files });
    emit({ type: 'part', part: name, files });
  };
  const build = (name: PartName, fill: (g: StreamingGraphBuilder) => void, docString: string): void => {
    part = name;
    const g = open(name);
    fill(g);
    finish(name, g, docString);
  };

  const text = textSpecOf(spec);
  try {
    const names = textTensorNames(checkpoint);
    if (spec.kind === 'llava') addVisionParts(checkpoint, spec.llava, linear, build);
    build(
      'embed_tokens',
      (g) => {
        const { rows, table } = readEmbedTokens(checkpoint, names, text);
        // A quantised table is as large as a float one; half floats halve it (as the Hub's exports do).
        addEmbedTokens(g, table, rows, text.config.hiddenSize, { float16: dtype !== 'fp32' });
      },
      'token embedding table',
    );
    // Both decoder graphs take each tensor from one read, so the progress counts the checkpoint once.
    part = 'decoder_model_merged';
    const merged = open('decoder_model_merged');
    const stepGraph = open('decoder_model_static');
    addLlamaDecoders(
      [
        { g: merged, options: { linear } },
        { g: stepGraph, options: { linear, staticCache: true } },
      ],
      checkpointDecoderSource(checkpoint, names, text),
    );
    finish('decoder_model_merged', merged, DECODER_DOC);
    finish('decoder_model_static', stepGraph, STATIC_DECODER_DOC);
  } finally {
    checkpoint.checkpoint.close();
  }

  const copied = CARRIED_FILES.filter((file) => existsSync(join(from, file)));
  for (const file of copied) copyFileSync(join(from, file), join(to, file));
  carryAspectRatio(from, to);
  return { spec, dtype, parts, copied, notes: text.notes };
}

/**
 * Original LLaVA configs say image_aspect_ratio 'pad' in config.json; a processor file that does not say
 * do_pad would lose it, so the copied preprocessor_config.json states it.
 */
function carryAspectRatio(from: string, to: string): void {
  const config = readJson(join(from, 'config.json'));
  const path = join(to, 'preprocessor_config.json');
  if (config.image_aspect_ratio !== 'pad' || !existsSync(path)) return;
  const preprocessor = readJson(path);
  if (preprocessor.do_pad !== undefined) return;
  writeFileSync(path, `${JSON.stringify({ ...preprocessor, do_pad: true }, null, 2)}\n`);
}
