/** Everything a conversation needs from a loaded model. */
import type { CpuStaticDecoder } from '../decoder/cpu-static-decoder';
import type { KvSlicer } from '../decoder/kv-slicer';
import type { StaticDecoder } from '../decoder/static-decoder';
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
  /** The merged decoder's spec, or on a CPU backend the static-cache graph's, when `cpuStatic` runs every sequence. */
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
  /** The graph-captured decode path (static-part.ts), when loaded; one turn at a time uses it. */
  readonly staticDecoder: StaticDecoder | undefined;
  /** The decoder over a KV cache kept in place on a CPU backend (static-part.ts), when loaded. */
  readonly cpuStatic: CpuStaticDecoder | undefined;
  /** From generation_config.json, used for whatever a call leaves out. */
  readonly defaults: GenerationDefaults;
}
