/**
 * The first screen's estimate of a photo question on WebAssembly: the speeds measured on this device
 * (`measureCpuSpeed`, in the worker) scaled by the recommended model's work — its 8-bit file sizes from the
 * registry's download plan and its shapes (`estimateAnswer`, the cost model shared with the bench).
 */

import { partFile } from '../engine/model/files';
import {
  type AnswerEstimate,
  type CpuSpeed,
  estimateAnswer,
  kvBytesPerPosition,
} from '../engine/runtime/decode-cost';
import type { Dtype, ModelPart } from '../engine/types';
import type { HubEntry } from './models-slice';

/** The chat template around a one-sentence question about the photo, in tokens. */
const QUESTION_TEXT_TOKENS = 30;
/** The answer length the decode rate is averaged over. */
const ANSWER_TOKENS = 64;

// The probe times the 8-bit kernel; other files run other kernels (q4 is ~10× slower under wasm), so for
// them there is no figure rather than a wrong one.
const EIGHT_BIT: ReadonlySet<Dtype> = new Set<Dtype>(['quantized', 'uint8', 'int8']);
/** Bytes per weight of the embedding table's file, whose weight count is the lm_head's in the decoder. */
const BYTES_PER_WEIGHT: Partial<Record<Dtype, number>> = {
  fp32: 4,
  fp16: 2,
  quantized: 1,
  uint8: 1,
  int8: 1,
};

export function answerEstimate(entry: HubEntry, speed: CpuSpeed): AnswerEstimate | undefined {
  const plan = entry.plans.wasm;
  const shape = entry.shape;
  if (!plan || !shape) return undefined;
  const bytesOf = (part: ModelPart): number | undefined => {
    const dtype = plan.dtype[part];
    if (dtype === undefined) return undefined;
    const path = partFile(part, dtype);
    return plan.files.find((file) => file.path === path)?.bytes ?? undefined;
  };
  const eightBit = (part: ModelPart) => {
    const dtype = plan.dtype[part];
    return dtype !== undefined && EIGHT_BIT.has(dtype) ? bytesOf(part) : undefined;
  };
  const visionBytes = eightBit('vision_encoder');
  const decoderBytes = eightBit('decoder_model_merged');
  const embedDtype = plan.dtype.embed_tokens;
  const embedBytes = bytesOf('embed_tokens');
  const perWeight = embedDtype && BYTES_PER_WEIGHT[embedDtype];
  const lmHeadBytes = embedBytes !== undefined && perWeight ? embedBytes / perWeight : undefined;
  if (visionBytes === undefined || decoderBytes === undefined || lmHeadBytes === undefined) return undefined;
  return estimateAnswer(speed, {
    visionBytes,
    decoderBytes,
    lmHeadBytes,
    imageTokens: shape.imageTokens,
    textTokens: QUESTION_TEXT_TOKENS,
    kvBytesPerPosition: kvBytesPerPosition({
      numLayers: shape.textLayers,
      numKvHeads: shape.kvHeads,
      headDim: shape.headDim,
    }),
    answerTokens: ANSWER_TOKENS,
  });
}
