/**
 * Wall-clock times of a run, for reports that need real durations (junit.xml `time`, `timestamp`): the
 * run's virtual clock says when things happened in the scenario, not how long CI waited. `WallTimes`
 * watches the run's events as they happen (`RunFleetOptions.onEvent`) and notes, on the wall clock, when
 * each device first showed up and when each device × profile row last changed; a row's duration is the
 * wall time between the two. The clock is passed in (docs/architecture.md house rule 2).
 */
import type { RunEvent } from '../run-model.ts';

/** The wall-clock span of one device × profile row, epoch milliseconds. */
export interface WallSpan {
  start: number;
  end: number;
}

/** What the reports read: the run's wall-clock start and each row's span. */
export interface WallClock {
  /** When the command started, epoch ms. */
  startedAt: number;
  /** The span of a device × profile row, when the run's events were watched. */
  spanOf(device: string, profile: string): WallSpan | undefined;
}

/** Notes the wall-clock time of a run's events; see the module comment. */
export class WallTimes implements WallClock {
  readonly startedAt: number;
  readonly #now: () => number;
  readonly #deviceStart = new Map<string, number>();
  readonly #deviceLast = new Map<string, number>();
  readonly #rowEnd = new Map<string, number>();

  /** `now`: the wall clock, epoch ms (default `Date.now`). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.startedAt = now();
  }

  /** Notes one event (pass it as `onEvent`). */
  record = (e: RunEvent): void => {
    if (e.device === undefined) return;
    const t = this.#now();
    if (!this.#deviceStart.has(e.device)) this.#deviceStart.set(e.device, t);
    this.#deviceLast.set(e.device, t);
    if (e.profile !== undefined) this.#rowEnd.set(`${e.device}\u0000${e.profile}`, t);
  };

  /** From the device's first event to the row's last (or the device's last, for a device refused at enrolment). */
  spanOf(device: string, profile: string): WallSpan | undefined {
    const start = this.#deviceStart.get(device);
    if (start === undefined) return undefined;
    const end = this.#rowEnd.get(`${device}\u0000${profile}`) ?? this.#deviceLast.get(device) ?? start;
    return { start, end: Math.max(start, end) };
  }
}
