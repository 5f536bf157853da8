/**
 * The fleet's virtual clock: a discrete-event scheduler. Time stands still while the system works and
 * jumps to the next scheduled event once everything in flight has settled, so months of check-ins,
 * connector polls and renewals run in seconds — and the order of events depends only on the schedule,
 * which makes a run reproducible from its seed.
 */
import type { Clock } from '../../protocol/runtime/clock.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void | Promise<void>;
  cancelled: boolean;
}

/** A handle to cancel a scheduled callback. */
export interface TimerHandle {
  cancel(): void;
}

/** A virtual clock + scheduler. `now()` only moves inside {@link VirtualClock.runUntil}. */
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

  /** Runs `fn` at virtual time `at` (immediately-next step if `at` is in the past). Ties run in schedule order. */
  schedule(at: Date | number, fn: () => void | Promise<void>): TimerHandle {
    const t: Timer = {
      at: Math.max(new Date(at).getTime(), this.#now),
      seq: this.#seq++,
      fn,
      cancelled: false,
    };
    // keep the queue sorted by (at, seq): binary insertion
    let lo = 0;
    let hi = this.#queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.#queue[mid]!;
      if (m.at < t.at || (m.at === t.at && m.seq < t.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.#queue.splice(lo, 0, t);
    return { cancel: () => void (t.cancelled = true) };
  }

  /** Runs `fn` after `ms` virtual milliseconds. */
  after(ms: number, fn: () => void | Promise<void>): TimerHandle {
    return this.schedule(this.#now + ms, fn);
  }

  /** Number of pending (not cancelled) timers. */
  get pending(): number {
    return this.#queue.filter((t) => !t.cancelled).length;
  }

  /** The time of the next pending timer, if any. */
  nextAt(): Date | undefined {
    const t = this.#queue.find((x) => !x.cancelled);
    return t ? new Date(t.at) : undefined;
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
