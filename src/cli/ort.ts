/**
 * The ONNX Runtime module per backend: onnxruntime-web (wasm) by default, onnxruntime-node for cpu and
 * webgpu, and on webgpu from a package with a captured decode variant, onnxruntime-web over Dawn
 * (dawn-webgpu.ts), whose WebGPU provider captures graphs.
 */
import { availableParallelism } from 'node:os';
import type { Backend, Ort } from '../engine/index';
import { partFile, staticDecoderFiles } from '../engine/model/files';
import { loadDawnRuntime } from './dawn-webgpu';

export interface CliRuntime {
  readonly ort: Ort;
  /** Which runtime runs the model, as `--json` reports it. */
  readonly name: 'onnxruntime-web' | 'onnxruntime-node' | 'onnxruntime-web+dawn';
  /** The runtime honours enableGraphCapture (LoadOptions.graphCapture). */
  readonly graphCapture: boolean;
}

/** Whether the package has a decode variant WebGPU captures, beside a decoder of any dtype. */
async function hasStaticDecoder(hasFile: (path: string) => Promise<boolean>): Promise<boolean> {
  for (const file of staticDecoderFiles(partFile('decoder_model_merged', 'fp32'), 'webgpu'))
    if (await hasFile(file)) return true;
  return false;
}

/**
 * The cpu backend's intra-op threads when the command line names none: every CPU this process may use.
 * onnxruntime's own default counts physical cores, and on this project's 2-vCPU VM ran one thread.
 */
export function defaultCpuThreads(): number {
  return availableParallelism();
}

export async function loadOrt(backend: Backend): Promise<Ort> {
  if (backend === 'wasm') {
    const ort = await import('onnxruntime-web');
    return ort;
  }
  return import('onnxruntime-node');
}

/**
 * The runtime for a command: on webgpu, for a package with a captured decode variant, onnxruntime-web over
 * Dawn where Dawn finds an adapter; else onnxruntime-node, as for every other command. `hasFile` says whether
 * the package has a file without reading it (a folder's stat, a repository's listing): a decoder can be
 * gigabytes, and the load reads it anyway.
 */
export async function loadRuntime(
  backend: Backend,
  hasFile: (path: string) => Promise<boolean>,
): Promise<CliRuntime> {
  if (backend === 'webgpu' && (await hasStaticDecoder(hasFile))) {
    const dawn = await loadDawnRuntime();
    if (typeof dawn !== 'string') return { ort: dawn.ort, name: 'onnxruntime-web+dawn', graphCapture: true };
  }
  const ort = await loadOrt(backend);
  return { ort, name: backend === 'wasm' ? 'onnxruntime-web' : 'onnxruntime-node', graphCapture: false };
}
