// biome-ignore lint/style/noRestrictedImports: a test is the host here and supplies the runtime.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { createFloatTensor, type FloatType, readFloats } from '../runtime/tensors';
import { KvCache } from './kv-cache';

const shape = (kvType: FloatType) => ({ numLayers: 1, kvHeads: 2, headDim: 3, kvType });

/** [1, heads 2, past 4, dim 3] holding 0, 1, 2, … in order. */
function present(type: FloatType) {
  return createFloatTensor(
    ort,
    type,
    Float32Array.from({ length: 24 }, (_, i) => i),
    [1, 2, 4, 3],
  );
}

describe('KvCache', () => {
  it('starts with zero-length past tensors of the declared shape', () => {
    const feeds = new KvCache(ort, shape('float32')).feeds();
    expect(Object.keys(feeds)).toEqual(['past_key_values.0.key', 'past_key_values.0.value']);
    expect(feeds['past_key_values.0.key']?.dims).toEqual([1, 2, 0, 3]);
  });

  for (const type of ['float32', 'float16'] as const) {
    it(`keeps the first positions of every head when truncated (${type}) and disposes what it replaced`, async () => {
      const cache = new KvCache(ort, shape(type));
      const key = present(type);
      cache.replace({ 'present.0.key': key, 'present.0.value': present(type) }, 4);
      await cache.truncate(2);
      expect(cache.length).toBe(2);
      const kept = cache.feeds()['past_key_values.0.key'];
      if (!kept) throw new Error('no key tensor');
      expect(kept.type).toBe(type);
      expect(kept.dims).toEqual([1, 2, 2, 3]);
      expect(Array.from(await readFloats(kept))).toEqual([0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17]);
      expect(key.location).toBe('none');
      cache.clear();
      expect(cache.length).toBe(0);
      expect(kept.location).toBe('none');
    });
  }
});
