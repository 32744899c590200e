import { describe, expect, it } from 'vitest';
import { EventQueue } from './event-queue';

describe('EventQueue', () => {
  it('delivers values pushed before and while the reader waits, then ends', async () => {
    const queue = new EventQueue<{ n: number }>();
    queue.push({ n: 1 });
    const read = (async () => {
      const seen: number[] = [];
      for await (const value of queue) seen.push(value.n);
      return seen;
    })();
    await Promise.resolve();
    queue.push({ n: 2 });
    queue.end();
    expect(await read).toEqual([1, 2]);
  });

  it('rejects the reader with the failure', async () => {
    const queue = new EventQueue<{ n: number }>();
    queue.fail(new Error('boom'));
    await expect(
      (async () => {
        for await (const _ of queue) {
          // drain
        }
      })(),
    ).rejects.toThrow('boom');
  });

  it('tells the producer when the reader leaves early', async () => {
    let stopped = false;
    const queue = new EventQueue<{ n: number }>(() => {
      stopped = true;
    });
    queue.push({ n: 1 });
    queue.push({ n: 2 });
    for await (const _ of queue) break;
    expect(stopped).toBe(true);
  });
});
