/** One (system, backend) measurement in Node, as `glimpse bench` hands it to a child process. */
import type { CpuAttentionKind, Dtype, ModelPart } from '../../engine/index';
import type { BenchPlan } from '../plan';
import type { BenchBackend, SystemName } from '../report';

export interface NodeJob {
  readonly system: SystemName;
  readonly backend: BenchBackend;
  /** The package folder. */
  readonly modelDir: string;
  /** Side length of the square image fed to both systems (the model's input size). */
  readonly imageSize: number;
  readonly dtype: Partial<Record<ModelPart, Dtype>>;
  readonly plan: BenchPlan;
  /** onnxruntime-web's wasm threads (1 unless asked: the engine's Node host sets none). */
  readonly wasmThreads: number;
  /** onnxruntime-node's intra-op threads on cpu, for both systems. */
  readonly cpuThreads: number;
  /** Glimpse's LoadOptions.staticCache. */
  readonly staticCache: boolean;
  /** Glimpse's LoadOptions.rowCache. */
  readonly rowCache: boolean;
  /** Glimpse's LoadOptions.packedQkv. */
  readonly packedQkv: boolean;
  /**
   * Glimpse on webgpu takes the CLI's runtime (cli/ort.ts): onnxruntime-web over Dawn with graph capture
   * where the package has a captured decode variant. False: onnxruntime-node's WebGPU EP, the baseline.
   */
  readonly graphCapture: boolean;
  /** Glimpse's LoadOptions.cpuAttention. */
  readonly cpuAttention?: CpuAttentionKind;
}

/** The line a child prints last, so the parent finds its result among any library logging. */
export const RESULT_PREFIX = 'BENCH-RESULT ';

export function isNodeJob(value: unknown): value is NodeJob {
  return (
    typeof value === 'object' &&
    value !== null &&
    'system' in value &&
    'backend' in value &&
    'modelDir' in value &&
    typeof value.modelDir === 'string' &&
    'plan' in value &&
    'dtype' in value
  );
}
