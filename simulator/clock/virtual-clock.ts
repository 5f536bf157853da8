/**
 * The fleet's virtual clock: a discrete-event scheduler. Time stands still while the system works and
 * jumps to the next scheduled event once everything in flight has settled, so months of check-ins,
 * connector polls and renewals run in seconds — and the order of events depends only on the schedule,
 * which makes a run reproducible from its seed.
 *
 * Two ways to drive it:
 * - {@link VirtualClock.runUntil}: one process owns time and moves it itself (the in-process fleet).
 * - {@link VirtualClock.advanceTo} + {@link VirtualClock.runDue}: time is moved from outside, by the fleet
 *   engine's coordinator (simulator/engine/, docs/architecture.md "The fleet engine: one virtual clock
 *   across hosts"): every host is told the next instant, moves there and runs what is due.
 *
 * Timers due at the same instant run in (at, key, seq) order: `key` is an optional stable tie-break a caller
 * gives to {@link VirtualClock.schedule} (a device id, say) so that ties do not depend on which handler
 * happened to schedule first; timers without a key sort as key '' (before keyed ones) in schedule order.
 */
import type { Clock } from '../../protocol/runtime/clock.ts';

/** A handle to cancel a scheduled callback. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * A scheduled callback, and its own handle: `cancel` is one method of the class, not a closure per timer
 * (a closure with its context is ~100 bytes, and ~250 more under tsx, which names each one; an idle fleet
 * holds a timer or two per device — issue 11 point 3).
 */
class Timer implements TimerHandle {
  cancelled = false;
  constructor(
    readonly at: number,
    readonly key: string,
    readonly seq: number,
    readonly fn: () => void | Promise<void>,
  ) {}

  cancel(): void {
    this.cancelled = true;
  }
}

/** Timer order: (at, key, seq). */
function before(a: Timer, b: Timer): boolean {
  if (a.at !== b.at) return a.at < b.at;
  if (a.key !== b.key) return a.key < b.key;
  return a.seq < b.seq;
}

/**
 * A virtual clock + scheduler. `now()` only moves inside {@link VirtualClock.runUntil} or
 * {@link VirtualClock.advanceTo}, never backwards.
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #queue: Timer[] = [];

  constructor(start: Date | number) {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  /**
   * Runs `fn` at virtual time `at` (immediately-next step if `at` is in the past). Timers due at the same
   * instant run in order of `key` (default '', first), then in schedule order.
   */
  schedule(at: Date | number, fn: () => void | Promise<void>, key?: string): TimerHandle {
    const t = new Timer(Math.max(new Date(at).getTime(), this.#now), key ?? '', this.#seq++, fn);
    // keep the queue sorted by (at, key, seq): binary insertion
    let lo = 0;
    let hi = this.#queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.#queue[mid]!, t)) lo = mid + 1;
      else hi = mid;
    }
    this.#queue.splice(lo, 0, t);
    return t;
  }

  /** Runs `fn` after `ms` virtual milliseconds (`key`: see {@link VirtualClock.schedule}). */
  after(ms: number, fn: () => void | Promise<void>, key?: string): TimerHandle {
    return this.schedule(this.#now + ms, fn, key);
  }

  /** Number of pending (not cancelled) timers. */
  get pending(): number {
    return this.#queue.filter((t) => !t.cancelled).length;
  }

  /** The time of the next pending timer, if any. */
  nextAt(): Date | undefined {
    const t = this.nextAtMs();
    return t === undefined ? undefined : new Date(t);
  }

  /** The time of the next pending timer in epoch milliseconds, if any. */
  nextAtMs(): number | undefined {
    while (this.#queue[0]?.cancelled) this.#queue.shift();
    return this.#queue[0]?.at;
  }

  /** The current instant in epoch milliseconds. */
  nowMs(): number {
    return this.#now;
  }

  /**
   * Moves the clock to `t` without running anything (never backwards: an earlier `t` is ignored). Timers
   * that were due before `t` stay due and run, late, at the next {@link VirtualClock.runDue}; the fleet
   * engine never skips one, since it moves to the earliest next event of every part of the run.
   */
  advanceTo(t: Date | number): void {
    this.#now = Math.max(this.#now, new Date(t).getTime());
  }

  /**
   * Runs every timer due at or before now, one at a time in (at, key, seq) order and awaiting each,
   * including timers those schedule at or before now; returns once none is due, with the number run.
   * Time does not move.
   */
  async runDue(): Promise<number> {
    let n = 0;
    for (;;) {
      while (this.#queue[0]?.cancelled) this.#queue.shift();
      const next = this.#queue[0];
      if (!next || next.at > this.#now) return n;
      this.#queue.shift();
      n++;
      await next.fn();
    }
  }

  /**
   * Runs timers in time order until `end` (or until none are left), calling `settle` after each batch of
   * timers due at the same instant so that the messages they caused are processed before time moves on.
   * Finishes at `end`.
   */
  async runUntil(end: Date | number, settle: () => Promise<void> = async () => undefined): Promise<void> {
    const endMs = new Date(end).getTime();
    await settle();
    for (;;) {
      while (this.#queue[0]?.cancelled) this.#queue.shift();
      const next = this.#queue[0];
      if (!next || next.at > endMs) break;
      this.#now = Math.max(this.#now, next.at);
      const due: Timer[] = [];
      while (this.#queue[0] && this.#queue[0].at <= this.#now) {
        const t = this.#queue.shift()!;
        if (!t.cancelled) due.push(t);
      }
      for (const t of due) await t.fn();
      await settle();
    }
    this.#now = Math.max(this.#now, endMs);
  }
}
