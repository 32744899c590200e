import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeDownloadPlan } from './hub-plan';
import { type ModelServer, startModelServer } from './test-model-server';

let server: ModelServer;

beforeAll(async () => {
  server = await startModelServer({
    'pkg/config.json': '{}',
    'pkg/onnx/vision_encoder_q4.onnx': new Uint8Array(10),
    'pkg/onnx/embed_tokens.onnx': new Uint8Array(20),
    'pkg/onnx/decoder_model_merged_q4.onnx': new Uint8Array(40),
    'pkg/onnx/decoder_model_static_q4.onnx': new Uint8Array(39),
  });
});
afterAll(() => server.close());

describe('the download plan of a plain folder of package files', () => {
  it('asks for the static decode variant, planned in place of the merged decoder', async () => {
    const base = `${server.origin}/models/pkg/`;
    const webgpu = await probeDownloadPlan(base, 'webgpu');
    expect(webgpu.files).toEqual([
      { path: 'onnx/vision_encoder_q4.onnx', bytes: 10 },
      { path: 'onnx/embed_tokens.onnx', bytes: 20 },
      { path: 'onnx/decoder_model_static_q4.onnx', bytes: 39 },
    ]);
    expect(webgpu.totalBytes).toBe(2 + 10 + 20 + 39);
    // wasm reads the variant in the decoder's own dtype (q4 here, as the folder has no 8-bit decoder).
    const wasm = await probeDownloadPlan(base, 'wasm');
    expect(wasm.files).toEqual([
      { path: 'onnx/vision_encoder_q4.onnx', bytes: 10 },
      { path: 'onnx/embed_tokens.onnx', bytes: 20 },
      { path: 'onnx/decoder_model_static_q4.onnx', bytes: 39 },
    ]);
    expect(wasm.totalBytes).toBe(2 + 10 + 20 + 39);
  });
});
