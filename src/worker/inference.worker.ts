/**
 * The inference worker's entry: with runtime.ts, the only modules of the app that load ONNX Runtime.
 */
import { runtimeShaderF16 } from '../engine/runtime/capabilities';
import { measureCpuSpeed } from '../engine/runtime/cpu-speed';
import { createInferenceHost } from './inference-host';
import { createModelReader } from './model-reader';
import { isRequest, type Reply } from './protocol';
import { browserEngine, onnxRuntime } from './runtime';

const post = (reply: Reply) => self.postMessage(reply);

const host = createInferenceHost({
  engine: browserEngine,
  createReader: createModelReader,
  gpu: navigator.gpu,
  post,
  graphCapture: true,
  watchDevice: () => deviceLostReason(onnxRuntime('webgpu').then((ort) => ort.env.webgpu.device)),
  runtimeShaderF16: async () => runtimeShaderF16(await onnxRuntime('webgpu')),
  measureCpuSpeed: async () => measureCpuSpeed(await onnxRuntime('wasm'), 'wasm'),
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
