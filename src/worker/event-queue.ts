/**
 * A push-to-pull bridge: the worker client pushes generate events as messages arrive, and the caller reads
 * them with `for await`. Leaving the loop early runs `onReturn`, which the client uses to stop the worker.
 */
export class EventQueue<T extends object> implements AsyncIterable<T> {
  private readonly buffered: T[] = [];
  private waiting:
    | { resolve: (result: IteratorResult<T>) => void; reject: (err: unknown) => void }
    | undefined;
  private ended = false;
  private failure: { readonly error: unknown } | undefined;
  private readonly onReturn: () => void;

  constructor(onReturn: () => void = () => {}) {
    this.onReturn = onReturn;
  }

  push(value: T): void {
    if (this.ended) return;
    if (this.waiting) {
      this.waiting.resolve({ value, done: false });
      this.waiting = undefined;
    } else this.buffered.push(value);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.waiting?.resolve({ value: undefined, done: true });
    this.waiting = undefined;
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = { error };
    this.waiting?.reject(error);
    this.waiting = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const value = this.buffered.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.failure) return Promise.reject(this.failure.error);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiting = { resolve, reject };
        });
      },
      return: () => {
        if (!this.ended) {
          this.ended = true;
          this.onReturn();
        }
        this.buffered.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
