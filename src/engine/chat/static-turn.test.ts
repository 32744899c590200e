import { describe, expect, it } from 'vitest';
import type { StaticDecoder } from '../decoder/static-decoder';
import type { ModelRuntime } from './model-runtime';
import { leaseStaticDecoder } from './static-turn';

// The lease reads only which decoder the model holds; the decoder itself (WebGPU only) is exercised by
// tools/testing/captured-decode.test.ts.
function model(): ModelRuntime {
  return { staticDecoder: {} as StaticDecoder } as unknown as ModelRuntime;
}

/** Whether `promise` has settled once pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 0));
  return done;
}

describe('leaseStaticDecoder', () => {
  it('lends the decoder to one turn at a time, and says whose sequence its cache holds', async () => {
    const runtime = model();
    const chat = {};
    const other = {};
    const first = await leaseStaticDecoder(runtime, chat);
    expect(first?.ownCache).toBe(false);
    first?.release();
    const again = await leaseStaticDecoder(runtime, chat);
    expect(again?.ownCache).toBe(true);
    again?.release();
    const between = await leaseStaticDecoder(runtime, other);
    expect(between?.ownCache).toBe(false);
    between?.release();
    // Another turn ran in between: the conversation's cache is gone.
    expect((await leaseStaticDecoder(runtime, chat))?.ownCache).toBe(false);
  });

  it('makes a turn started while another holds the decoder wait for it, in the order they came', async () => {
    const runtime = model();
    const first = await leaseStaticDecoder(runtime, {});
    const order: string[] = [];
    const second = leaseStaticDecoder(runtime, {}).then((lease) => {
      order.push('second');
      return lease;
    });
    const third = leaseStaticDecoder(runtime, {}).then((lease) => {
      order.push('third');
      return lease;
    });
    expect(await settled(second)).toBe(false);
    first?.release();
    // A second release of the same lease frees nothing more.
    first?.release();
    const secondLease = await second;
    expect(await settled(third)).toBe(false);
    secondLease?.release();
    (await third)?.release();
    expect(order).toEqual(['second', 'third']);
  });

  it('stops waiting when the turn is stopped, and leaves the decoder to the others', async () => {
    const runtime = model();
    const first = await leaseStaticDecoder(runtime, {});
    const controller = new AbortController();
    const stopped = leaseStaticDecoder(runtime, {}, controller.signal);
    const next = leaseStaticDecoder(runtime, {});
    controller.abort();
    await expect(stopped).rejects.toMatchObject({ code: 'aborted' });
    first?.release();
    expect(await next).toBeDefined();
    await expect(leaseStaticDecoder(runtime, {}, AbortSignal.abort())).rejects.toMatchObject({
      code: 'aborted',
    });
  });

  it('lends nothing where the model has no static decoder', async () => {
    expect(await leaseStaticDecoder({ ...model(), staticDecoder: undefined }, {})).toBeUndefined();
  });
});
