/** The messages between the bench page and its worker. */

import type { Measured } from '../../src/bench/measure-glimpse';
import type { BenchImage, BenchPlan } from '../../src/bench/plan';
import type { BenchBackend, SystemName } from '../../src/bench/report';
import type { Dtype, LoadOptions, ModelPart } from '../../src/engine/index';

export interface BenchJob {
  readonly system: SystemName;
  readonly backend: Exclude<BenchBackend, 'cpu'>;
  readonly modelId: string;
  readonly dtype: Partial<Record<ModelPart, Dtype>>;
  /** Glimpse's cache and attention on wasm (`--no-static-cache`, `--no-row-cache`, `--cpu-attention`). */
  readonly load: Pick<LoadOptions, 'staticCache' | 'rowCache' | 'cpuAttention'>;
  readonly plan: BenchPlan;
  readonly image: BenchImage;
}

export interface WorkerOutcome {
  readonly measured: Measured;
  /** A second load of the same files, now from storage (OPFS for Glimpse, the Cache API for transformers.js). */
  readonly loadFromStorageMs: number;
  readonly runtime: string;
  readonly wasmThreads: number;
}

export type WorkerReply =
  | { readonly kind: 'done'; readonly outcome: WorkerOutcome }
  | { readonly kind: 'failed'; readonly error: string };
