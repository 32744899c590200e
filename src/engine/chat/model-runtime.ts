/** Everything a conversation needs from a loaded model. */

import type { KvSlicer } from '../decoder/kv-slicer';
import type { SequenceOpener } from '../decoder/sequence';
import type { StaticDecoder } from '../decoder/static-decoder';
import type { StepPlanner } from '../decoder/step-planner';
import type { ImagePreprocessSpec } from '../image/preprocess-config';
import type { DecoderSpec, EmbedSpec, VisionSpec } from '../model/validate';
import type { Ort } from '../runtime/ort';
import type { GenerationDefaults } from '../types';
import type { PromptCodec } from './prompt';
import type { Detokenizer } from './token-loop';

export interface EngineCodec extends PromptCodec {
  readonly eosTokenIds: readonly number[];
  readonly bosTokenId: number | undefined;
  readonly hasChatTemplate: boolean;
  /** Encodes plain text without special tokens (for text completion). */
  encodePlain(text: string): number[];
  createDetokenizer(): Detokenizer;
}

export interface ModelRuntime {
  readonly ort: Ort;
  readonly codec: EngineCodec;
  /**
   * The merged decoder's spec, or on a CPU backend the static-cache graph's, when `cpuDecoder` runs every
   * sequence. With a `staticDecoder`, the static graph's spec, whose session is the decoder's own.
   */
  readonly decoder: DecoderSpec;
  /** Cuts the KV cache where it lives when it is kept in GPU memory (WebGPU). */
  readonly kvSlicer: KvSlicer | undefined;
  readonly embed: EmbedSpec | undefined;
  readonly vision:
    | {
        readonly spec: VisionSpec;
        readonly preprocess: ImagePreprocessSpec;
        /** The package's image_seq_length, checked against each encoded image. */
        readonly declaredRows: number | undefined;
      }
    | undefined;
  readonly imageTokenId: number | undefined;
  readonly contextLength: number;
  /** The graph-captured decode path (static-part.ts), when loaded: every turn runs on it, one at a time. */
  readonly staticDecoder: StaticDecoder | undefined;
  /** Chooses the run of each of the static decoder's steps, from what each has cost so far. */
  readonly stepPlanner: StepPlanner;
  /**
   * On a CPU backend, the decoder that runs every sequence with the KV cache kept in place: the package's
   * static graph (static-part.ts) or the merged decoder rewired (row-cache-part.ts).
   */
  readonly cpuDecoder: SequenceOpener | undefined;
  /** From generation_config.json, used for whatever a call leaves out. */
  readonly defaults: GenerationDefaults;
}
