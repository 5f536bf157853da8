/**
 * At most `n` async jobs at once, the rest waiting in order: how a connector keeps its key generations on
 * libuv's thread pool without queuing more work than it has threads for.
 */
export class Limiter {
  readonly #n: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  /** @param n jobs allowed at once (≥ 1). */
  constructor(n: number) {
    this.#n = Math.max(1, Math.floor(n));
  }

  /** Jobs running now. */
  get running(): number {
    return this.#running;
  }

  /** Runs `job` when a slot is free; resolves or rejects with it. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#n) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running += 1;
    try {
      return await job();
    } finally {
      this.#running -= 1;
      this.#waiting.shift()?.();
    }
  }
}
