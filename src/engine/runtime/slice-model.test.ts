// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { sliceModel } from './slice-model';

describe('sliceModel', () => {
  it('is a valid ONNX model that keeps the first positions of axis 2 of each input', async () => {
    const session = await ort.InferenceSession.create(sliceModel('float32', 2), {
      executionProviders: ['wasm'],
    });
    const x = new ort.Tensor(
      'float32',
      Float32Array.from({ length: 24 }, (_, i) => i),
      [1, 2, 4, 3],
    );
    const one = (value: number) => new ort.Tensor('int64', BigInt64Array.of(BigInt(value)), [1]);
    const x1 = new ort.Tensor(
      'float32',
      Float32Array.from({ length: 6 }, (_, i) => -i),
      [1, 1, 6, 1],
    );
    const { y0, y1 } = await session.run({ x0: x, x1, starts: one(0), ends: one(2), axes: one(2) });
    expect(y0?.dims).toEqual([1, 2, 2, 3]);
    expect(y0?.data).toEqual(Float32Array.of(0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17));
    expect(y1?.dims).toEqual([1, 1, 2, 1]);
    expect(y1?.data).toEqual(Float32Array.of(-0, -1));
    await session.release();
  });
});
