import { describe, expect, it } from 'vitest';
import { hasNarrowSubgroups, hideNarrowSubgroups, withoutSubgroups } from './narrow-subgroups';

/** An adapter the way a browser's is: `this` must be the adapter itself, and each hands out one device. */
class FakeAdapter {
  readonly features: Set<string>;
  readonly info: { subgroupMinSize?: number; subgroupMaxSize?: number; vendor: string };
  readonly asked: string[][] = [];

  constructor(features: string[], widths?: [number, number]) {
    this.features = new Set(features);
    this.info = {
      vendor: 'test',
      ...(widths ? { subgroupMinSize: widths[0], subgroupMaxSize: widths[1] } : {}),
    };
  }

  requestDevice(
    descriptor: { requiredFeatures?: Iterable<string> } = {},
  ): Promise<{ features: Set<string> }> {
    if (!(this instanceof FakeAdapter)) throw new TypeError('Illegal invocation');
    const features = [...(descriptor.requiredFeatures ?? [])];
    this.asked.push(features);
    return Promise.resolve({ features: new Set(features) });
  }
}

const SWIFTSHADER = ['shader-f16', 'subgroups', 'subgroup-size-control', 'timestamp-query'];

describe('narrow subgroups', () => {
  it('are subgroups whose widest is under 16 lanes', () => {
    expect(hasNarrowSubgroups(new FakeAdapter(SWIFTSHADER, [4, 4]))).toBe(true);
    expect(hasNarrowSubgroups(new FakeAdapter(SWIFTSHADER, [8, 8]))).toBe(true);
    // Intel (8–32), NVIDIA (32), AMD (32–64): some shaders may run 16 wide or more.
    expect(hasNarrowSubgroups(new FakeAdapter(SWIFTSHADER, [8, 32]))).toBe(false);
    expect(hasNarrowSubgroups(new FakeAdapter(SWIFTSHADER, [32, 32]))).toBe(false);
    // No widths reported (an older browser), or no subgroups to hide.
    expect(hasNarrowSubgroups(new FakeAdapter(SWIFTSHADER))).toBe(false);
    expect(hasNarrowSubgroups(new FakeAdapter(['shader-f16'], [4, 4]))).toBe(false);
  });

  it('are hidden from the adapter and from the devices it gives; the rest is the adapter’s own', async () => {
    const adapter = new FakeAdapter(SWIFTSHADER, [4, 4]);
    const hidden = withoutSubgroups(adapter);
    expect([...hidden.features]).toEqual(['shader-f16', 'timestamp-query']);
    expect(hidden.info.vendor).toBe('test');
    const device = await hidden.requestDevice({ requiredFeatures: ['subgroups', 'shader-f16'] });
    expect([...device.features]).toEqual(['shader-f16']);
    expect(adapter.asked).toEqual([['shader-f16']]);
    // The adapter's own features are untouched.
    expect(adapter.features.has('subgroups')).toBe(true);
  });

  it('are hidden from every adapter navigator.gpu hands out later, a fresh one each time', async () => {
    const made: FakeAdapter[] = [];
    const widths: [number, number][] = [
      [4, 4],
      [32, 32],
    ];
    const gpu = {
      requestAdapter(): Promise<FakeAdapter | null> {
        const adapter = new FakeAdapter(SWIFTSHADER, widths[made.length % 2]);
        made.push(adapter);
        return Promise.resolve(adapter);
      },
    };
    hideNarrowSubgroups(gpu);
    hideNarrowSubgroups(gpu);
    const narrow = (await gpu.requestAdapter()) as FakeAdapter;
    const wide = (await gpu.requestAdapter()) as FakeAdapter;
    expect(made).toHaveLength(2);
    expect(narrow.features.has('subgroups')).toBe(false);
    expect(wide).toBe(made[1]);
    expect(wide.features.has('subgroups')).toBe(true);
    const none = { requestAdapter: () => Promise.resolve(null) };
    hideNarrowSubgroups(none);
    expect(await none.requestAdapter()).toBeNull();
  });
});
