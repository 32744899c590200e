// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { sliceModel } from './slice-model';

describe('sliceModel', () => {
  it('is a valid ONNX model that keeps the first positions of axis 2', async () => {
    const session = await ort.InferenceSession.create(sliceModel('float32'), {
      executionProviders: ['wasm'],
    });
    const x = new ort.Tensor(
      'float32',
      Float32Array.from({ length: 24 }, (_, i) => i),
      [1, 2, 4, 3],
    );
    const one = (value: number) => new ort.Tensor('int64', BigInt64Array.of(BigInt(value)), [1]);
    const { y } = await session.run({ x, starts: one(0), ends: one(2), axes: one(2) });
    expect(y?.dims).toEqual([1, 2, 2, 3]);
    expect(y?.data).toEqual(Float32Array.of(0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17));
    await session.release();
  });
});
