/**
 * Checks each session's declared inputs and outputs against the package conventions, so that a package
 * that does not fit fails at load with the file and the missing or wrong name, not mid-answer.
 */

import { ARGMAX, LAST_LOGITS } from '../decoder/logits-outputs-graph';
import { GlimpseError } from '../errors';
import type { OrtSession } from '../runtime/ort';
import { sessionInputs, sessionOutputs, type ValueInfo } from '../runtime/session';
import { type FloatType, isFloatType } from '../runtime/tensors';
import type { ModelConfig } from './config';

function invalid(file: string, problem: string): GlimpseError {
  return new GlimpseError('package-invalid', `${file} does not fit: ${problem}`, { details: { file } });
}

function find(values: readonly ValueInfo[], name: string): ValueInfo | undefined {
  return values.find((value) => value.name === name);
}

function requireValue(
  values: readonly ValueInfo[],
  name: string,
  file: string,
  kind: 'input' | 'output',
): ValueInfo {
  const value = find(values, name);
  if (!value) {
    const present = values.map((v) => v.name).join(', ');
    throw invalid(file, `it has no ${kind} '${name}' (it has ${present || 'none'}).`);
  }
  return value;
}

function requireInt64(value: ValueInfo, file: string): void {
  if (value.type !== undefined && value.type !== 'int64')
    throw invalid(file, `'${value.name}' must be int64, not ${value.type}.`);
}

/** The float type of a value; metadata-less runtimes get float32. */
function floatType(value: ValueInfo, file: string): FloatType {
  if (value.type === undefined) return 'float32';
  if (!isFloatType(value.type))
    throw invalid(file, `'${value.name}' must be float32 or float16, not ${value.type}.`);
  return value.type;
}

export interface VisionSpec {
  readonly encoder: OrtSession;
  readonly encoderFile: string;
  readonly pixelType: FloatType;
  /** The encoder output that carries the features. */
  readonly encoderOutput: string;
  readonly projector: ProjectorSpec | undefined;
}

export interface ProjectorSpec {
  readonly session: OrtSession;
  readonly file: string;
  readonly input: string;
  readonly inputType: FloatType;
}

export function checkVision(
  encoder: OrtSession,
  encoderFile: string,
  projector: { session: OrtSession; file: string } | undefined,
): VisionSpec {
  const pixels = requireValue(sessionInputs(encoder), 'pixel_values', encoderFile, 'input');
  const outputs = sessionOutputs(encoder);
  let encoderOutput: string;
  let projectorSpec: ProjectorSpec | undefined;
  if (projector) {
    const first = outputs[0];
    if (!first) throw invalid(encoderFile, 'it has no outputs.');
    encoderOutput = find(outputs, 'vision_features')?.name ?? first.name;
    const inputs = sessionInputs(projector.session);
    const input = inputs[0];
    if (inputs.length !== 1 || !input)
      throw invalid(projector.file, `it must take one input (the vision features).`);
    requireValue(sessionOutputs(projector.session), 'image_features', projector.file, 'output');
    projectorSpec = {
      session: projector.session,
      file: projector.file,
      input: input.name,
      inputType: floatType(input, projector.file),
    };
  } else {
    encoderOutput = requireValue(outputs, 'image_features', encoderFile, 'output').name;
  }
  return {
    encoder,
    encoderFile,
    pixelType: floatType(pixels, encoderFile),
    encoderOutput,
    projector: projectorSpec,
  };
}

export interface EmbedSpec {
  readonly session: OrtSession;
  readonly file: string;
  readonly embedsType: FloatType;
}

export function checkEmbed(session: OrtSession, file: string): EmbedSpec {
  requireInt64(requireValue(sessionInputs(session), 'input_ids', file, 'input'), file);
  const embedsType = floatType(requireValue(sessionOutputs(session), 'inputs_embeds', file, 'output'), file);
  return { session, file, embedsType };
}

export interface DecoderSpec {
  readonly session: OrtSession;
  readonly file: string;
  /** 'embeds' decoders take inputs_embeds (from embed_tokens and the vision path); 'ids' ones take input_ids. */
  readonly inputKind: 'embeds' | 'ids';
  readonly embedsType: FloatType;
  readonly kvType: FloatType;
  readonly numLayers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly hasPositionIds: boolean;
  readonly hasNumLogitsToKeep: boolean;
  readonly hasUseCacheBranch: boolean;
  /** The most new positions one run may take on this backend (attention-check.ts); unlimited when absent. */
  readonly maxRunPositions?: number;
  /** Outputs the graph was given at load (logits-outputs-graph.ts): each position's argmax, the last row. */
  readonly logitsOutputs?: { readonly argmax: boolean; readonly lastRow: boolean };
}

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
const OPTIONAL_INPUTS = new Set(['position_ids', 'num_logits_to_keep', 'use_cache_branch']);

function fixedDim(value: ValueInfo, index: number): number | undefined {
  const dim = value.shape?.[index];
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}

/**
 * `io` stands for the session's own inputs and outputs where a rewrite renamed them
 * (row-cache-graph.ts's `asMergedValues`).
 */
export function checkDecoder(
  session: OrtSession,
  file: string,
  config: ModelConfig,
  { inputs, outputs } = { inputs: sessionInputs(session), outputs: sessionOutputs(session) },
): DecoderSpec {
  const embeds = find(inputs, 'inputs_embeds');
  const ids = find(inputs, 'input_ids');
  if (!embeds && !ids) throw invalid(file, "it has neither an 'inputs_embeds' nor an 'input_ids' input.");
  if (ids) requireInt64(ids, file);
  requireInt64(requireValue(inputs, 'attention_mask', file, 'input'), file);
  const position = find(inputs, 'position_ids');
  if (position) requireInt64(position, file);
  for (const input of inputs) {
    if (input.name === 'inputs_embeds' || input.name === 'input_ids' || input.name === 'attention_mask')
      continue;
    if (!PAST.test(input.name) && !OPTIONAL_INPUTS.has(input.name))
      throw invalid(file, `input '${input.name}' is not supported.`);
  }
  const past = pastLayout(inputs, file, config);
  for (let layer = 0; layer < past.numLayers; layer++) {
    for (const kind of ['key', 'value']) requireValue(outputs, `present.${layer}.${kind}`, file, 'output');
  }
  requireValue(outputs, 'logits', file, 'output');
  return {
    session,
    file,
    inputKind: embeds ? 'embeds' : 'ids',
    embedsType: embeds ? floatType(embeds, file) : 'float32',
    ...past,
    hasPositionIds: position !== undefined,
    hasNumLogitsToKeep: find(inputs, 'num_logits_to_keep') !== undefined,
    hasUseCacheBranch: find(inputs, 'use_cache_branch') !== undefined,
    ...logitsOutputs(outputs),
  };
}

function logitsOutputs(outputs: readonly ValueInfo[]): Pick<DecoderSpec, 'logitsOutputs'> {
  const argmax = find(outputs, ARGMAX) !== undefined;
  const lastRow = find(outputs, LAST_LOGITS) !== undefined;
  return argmax || lastRow ? { logitsOutputs: { argmax, lastRow } } : {};
}

/**
 * A decoder_model_static graph rewired for a CPU backend (cpu-static-graph.ts), loaded in place of the
 * merged decoder: its inputs_embeds and its past buffers give the spec the engine reads on that path.
 */
export function checkStaticDecoder(session: OrtSession, file: string, config: ModelConfig): DecoderSpec {
  const inputs = sessionInputs(session);
  const embeds = requireValue(inputs, 'inputs_embeds', file, 'input');
  const position = find(inputs, 'position_ids');
  if (position) requireInt64(position, file);
  return {
    session,
    file,
    inputKind: 'embeds',
    embedsType: floatType(embeds, file),
    ...pastLayout(inputs, file, config),
    hasPositionIds: position !== undefined,
    hasNumLogitsToKeep: false,
    hasUseCacheBranch: false,
  };
}

/** The KV cache a decoder's past_key_values inputs declare, checked against config.json. */
function pastLayout(
  inputs: readonly ValueInfo[],
  file: string,
  config: ModelConfig,
): Pick<DecoderSpec, 'kvType' | 'numLayers' | 'kvHeads' | 'headDim'> {
  const numLayers = inputs.filter((input) => PAST.test(input.name)).length / 2;
  if (numLayers < 1)
    throw invalid(file, "it has no 'past_key_values.0.key' input (a decoder with a KV cache is needed).");
  if (config.numLayers !== undefined && config.numLayers !== numLayers) {
    throw invalid(
      file,
      `it has ${numLayers} layers of past_key_values, config.json says ${config.numLayers}.`,
    );
  }
  let kvType: FloatType | undefined;
  for (let layer = 0; layer < numLayers; layer++) {
    for (const kind of ['key', 'value']) {
      const past = requireValue(inputs, `past_key_values.${layer}.${kind}`, file, 'input');
      const type = floatType(past, file);
      if (kvType !== undefined && type !== kvType)
        throw invalid(file, `past_key_values mix ${kvType} and ${type}.`);
      kvType = type;
    }
  }
  const firstPast = requireValue(inputs, 'past_key_values.0.key', file, 'input');
  const kvHeads = fixedDim(firstPast, 1) ?? config.numKvHeads;
  const headDim = fixedDim(firstPast, 3) ?? config.headDim;
  if (kvHeads === undefined || headDim === undefined) {
    throw invalid(
      file,
      'the KV cache shape is not declared and config.json gives no num_key_value_heads / head_dim.',
    );
  }
  return { kvType: kvType ?? 'float32', numLayers, kvHeads, headDim };
}
