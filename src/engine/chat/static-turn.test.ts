import { describe, expect, it } from 'vitest';
import type { StaticDecoder } from '../decoder/static-decoder';
import type { ModelRuntime } from './model-runtime';
import { leaseStaticDecoder } from './static-turn';

// The lease reads only which decoder the model holds and what its decoder takes; the decoder itself
// (WebGPU only) is exercised by tools/testing/captured-decode.test.ts.
function model(inputKind: 'embeds' | 'ids', embed = true): ModelRuntime {
  const decoder = {} as StaticDecoder;
  return {
    staticDecoder: decoder,
    embed: embed ? {} : undefined,
    decoder: { inputKind },
  } as unknown as ModelRuntime;
}

describe('leaseStaticDecoder', () => {
  it('lends the decoder to one turn at a time, and says whose sequence its cache holds', () => {
    const runtime = model('embeds');
    const chat = {};
    const other = {};
    const first = leaseStaticDecoder(runtime, chat);
    expect(first?.ownCache).toBe(false);
    // A second turn while the first holds it takes the KV-cache path.
    expect(leaseStaticDecoder(runtime, other)).toBeUndefined();
    first?.release();
    const again = leaseStaticDecoder(runtime, chat);
    expect(again?.ownCache).toBe(true);
    again?.release();
    const between = leaseStaticDecoder(runtime, other);
    expect(between?.ownCache).toBe(false);
    between?.release();
    // Another turn ran in between: the conversation's cache is gone.
    expect(leaseStaticDecoder(runtime, chat)?.ownCache).toBe(false);
  });

  it('lends nothing to a decoder that takes token ids or a model without embed_tokens', () => {
    expect(leaseStaticDecoder(model('ids'), {})).toBeUndefined();
    expect(leaseStaticDecoder(model('embeds', false), {})).toBeUndefined();
    const none = { ...model('embeds'), staticDecoder: undefined };
    expect(leaseStaticDecoder(none, {})).toBeUndefined();
  });
});
