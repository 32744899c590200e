import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16 } from '../../engine/runtime/float16';
import { bfloat16ToFloat32, toBfloat16Bits } from './half';
import { readSafetensorsHeader, SafetensorsCheckpoint } from './reader';
import { writeCheckpoint, writeSafetensors } from './writer';

const dir = mkdtempSync(join(tmpdir(), 'glimpse-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const values = Float32Array.from([0, 1, -2.5, 0.1, 65504, 1e-7, -3.75, 1024.5]);
const tensors = [
  { name: 'a.weight', shape: [2, 4], values },
  { name: 'b.bias', shape: [3], values: Float32Array.of(1, 2, 3) },
  { name: 'c.scalar', shape: [], values: Float32Array.of(7) },
];

describe('safetensors', () => {
  it('reads back F32 exactly, F16 and BF16 as their rounded values', () => {
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const sub = join(dir, dtype);
      writeCheckpoint(mkdirAt(sub), tensors, { dtype });
      const checkpoint = SafetensorsCheckpoint.open(sub);
      expect(checkpoint.names().sort()).toEqual(['a.weight', 'b.bias', 'c.scalar']);
      expect(checkpoint.info('a.weight')).toMatchObject({ dtype, shape: [2, 4] });
      const expected =
        dtype === 'F32'
          ? values
          : dtype === 'F16'
            ? float16ToFloat32(float32ToFloat16(values))
            : bfloat16ToFloat32(toBfloat16Bits(values));
      expect(checkpoint.read('a.weight')).toEqual(expected);
      expect(checkpoint.read('c.scalar')).toEqual(Float32Array.of(7));
      checkpoint.close();
    }
  });

  it('widens half and bfloat16 patterns to the right float32 values', () => {
    expect(Array.from(float16ToFloat32(Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00)))).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      Number.POSITIVE_INFINITY,
    ]);
    expect(Array.from(bfloat16ToFloat32(Uint16Array.of(0x3f80, 0xc040)))).toEqual([1, -3]);
    // 1 + 2^-8 lies halfway between two bfloat16 values: ties go to the even one.
    expect(Array.from(toBfloat16Bits(Float32Array.of(1 + 2 ** -8, 1 + 3 * 2 ** -8)))).toEqual([
      0x3f80, 0x3f82,
    ]);
  });

  it('finds each tensor of a sharded checkpoint through its index', () => {
    const sub = mkdirAt(join(dir, 'sharded'));
    writeCheckpoint(sub, tensors, { dtype: 'F32', shards: 2 });
    const checkpoint = SafetensorsCheckpoint.open(sub);
    expect(checkpoint.info('a.weight').file).toMatch(/model-00001-of-00002\.safetensors$/);
    expect(checkpoint.info('c.scalar').file).toMatch(/model-00002-of-00002\.safetensors$/);
    expect(checkpoint.read('b.bias')).toEqual(Float32Array.of(1, 2, 3));
    expect(() => checkpoint.read('missing')).toThrow(/no tensor missing/);
    checkpoint.close();
  });

  it('rejects a header whose offsets do not fit the shape, and dtypes it cannot widen', () => {
    const bad = (header: object): string => {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const bytes = new Uint8Array(8 + json.byteLength + 16);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(json.byteLength), true);
      bytes.set(json, 8);
      const path = join(dir, `bad-${Math.random()}.safetensors`);
      writeFileSync(path, bytes);
      return path;
    };
    expect(() =>
      readSafetensorsHeader(bad({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } })),
    ).toThrow(/do not fit/);
    expect(() =>
      readSafetensorsHeader(bad({ x: { dtype: 'I8', shape: [1], data_offsets: [0, 1] } })),
    ).toThrow(/is I8; only F32, F16, BF16/);
    const path = join(dir, 'header-only.safetensors');
    writeSafetensors(path, tensors, 'F32');
    expect(readSafetensorsHeader(path).map((t) => t.name)).toEqual(['a.weight', 'b.bias', 'c.scalar']);
  });
});

function mkdirAt(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}
