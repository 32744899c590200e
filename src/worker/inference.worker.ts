/**
 * The inference worker's entry: the only module of the app that imports ONNX Runtime. The native WebGPU
 * build also runs the wasm backend, so one import serves both.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { createEngine } from '../engine';
import { runtimeShaderF16 } from '../engine/runtime/capabilities';
import { measureCpuSpeed } from '../engine/runtime/cpu-speed';
import { createInferenceHost } from './inference-host';
import { createModelReader } from './model-reader';
import { isRequest, type Reply } from './protocol';

// Threads need SharedArrayBuffer, which only a cross-origin isolated page has; ORT keeps 1 thread otherwise.
if (self.crossOriginIsolated)
  ort.env.wasm.numThreads = Math.max(1, Math.min(8, navigator.hardwareConcurrency));

const post = (reply: Reply) => self.postMessage(reply);

const host = createInferenceHost({
  engine: createEngine(ort),
  createReader: createModelReader,
  gpu: navigator.gpu,
  post,
  graphCapture: true,
  watchDevice: () => deviceLostReason(Promise.resolve().then(() => ort.env.webgpu.device)),
  runtimeShaderF16: () => runtimeShaderF16(ort),
  measureCpuSpeed: () => measureCpuSpeed(ort, 'wasm'),
});

self.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isRequest(event.data)) void host.handle(event.data);
});

/**
 * The message of the `lost` promise of ONNX Runtime's GPUDevice (the WebGPU types are not part of this
 * build). Without a device to watch it never settles.
 */
async function deviceLostReason(device: Promise<unknown>): Promise<string> {
  const resolved: unknown = await device.catch(() => undefined);
  const lost =
    typeof resolved === 'object' && resolved !== null && 'lost' in resolved ? resolved.lost : undefined;
  if (!(lost instanceof Promise)) return new Promise<string>(() => {});
  const info: unknown = await lost;
  const message = typeof info === 'object' && info !== null && 'message' in info ? info.message : undefined;
  return typeof message === 'string' && message !== '' ? message : 'device lost';
}
