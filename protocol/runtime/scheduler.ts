/**
 * Deferred work on the (virtual) clock, passed in (docs/architecture.md house rule 2). A runtime port of the
 * neutral protocol/ layer, taken by the agent and the service side alike; the fleet's VirtualClock implements it.
 */

/** A scheduled callback that can be cancelled. */
export interface ScheduledTask {
  cancel(): void;
}

/** Runs callbacks after a delay of clock time. */
export interface Scheduler {
  after(ms: number, fn: () => void | Promise<void>): ScheduledTask;
}
