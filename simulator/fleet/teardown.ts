/**
 * What a fleet run has started so far, to be released in reverse order — whether the run finished or a
 * step of its setup failed (a broker left running keeps the process alive: issue 5, `--mqtt-version 5`
 * with the embedded broker never exited).
 *
 * @example
 * const teardown = new Teardown();
 * try {
 *   const broker = await startEmbeddedBroker(o);
 *   teardown.add(() => broker.close());
 *   // …
 * } finally {
 *   await teardown.run();
 * }
 */
export class Teardown {
  readonly #steps: Array<(reason?: TeardownReason) => unknown> = [];

  /**
   * Registers how to release something just started; released before everything added earlier. The step
   * is told why, when the release is due to a failure (e.g. to record it before closing a database).
   */
  add(step: (reason?: TeardownReason) => unknown): void {
    this.#steps.push(step);
  }

  /**
   * Releases everything added so far, last added first, each exactly once. A failing step does not stop
   * the others (the first failure is what the caller already reports). `reason` is handed to each step.
   */
  async run(reason?: TeardownReason): Promise<void> {
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        await step(reason);
      } catch {
        // releasing is best effort: keep going
      }
    }
  }
}

/** Why a teardown runs early: the error that ended the start or the run. */
export interface TeardownReason {
  failure: unknown;
}
