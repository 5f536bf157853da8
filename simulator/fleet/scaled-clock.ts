/**
 * The clock of a fleet split over processes (`certfleet serve`, `certfleet agents`). The virtual clock of
 * `certfleet run` moves only when every message in flight has been handled — which one process can know
 * and several cannot. Across processes, time is scaled real time instead:
 *
 *     virtual = start + (realNow − epoch) × scale
 *
 * `start` is the scenario's virtual start, `epoch` the real instant (epoch ms) both sides agree that the
 * scenario starts (`--epoch`; `certfleet serve` prints the one it uses), `scale` how many virtual
 * milliseconds pass per real one (`--time-scale`; 60 = one virtual minute per real second). Every
 * process computes the same virtual time from the same three numbers without talking, to within the
 * machines' clock skew × scale. Callbacks run on real timers (`setTimeout`), so unlike `certfleet run` the
 * order of events of one instant, and whether an answer beats a retry timer, depends on real latencies:
 * a split run is not reproducible event for event (its outcomes are, when the scale leaves the service's
 * retry and lease windows — minutes of virtual time — well above the real round-trip times).
 */
import type { Clock } from '../../protocol/runtime/clock.ts';
import type { ScheduledTask, Scheduler } from '../../protocol/runtime/scheduler.ts';
import { CertfleetError } from '../../pki/errors.ts';

/** The default scale of a wall-paced run: one virtual minute per real second. */
export const DEFAULT_TIME_SCALE = 60;

/** Options of {@link ScaledClock}. */
export interface ScaledClockOptions {
  /** The virtual instant of `epoch` (the scenario's start), epoch ms. */
  start: number;
  /** The real instant the virtual clock reads `start`, epoch ms. */
  epoch: number;
  /** Virtual ms per real ms (> 0). */
  scale: number;
  /** The real clock (default `Date.now`). */
  realNow?: () => number;
  /** Called when a callback throws or rejects (default: written to stderr). */
  onError?: (error: unknown) => void;
}

// setTimeout takes at most 2^31 − 1 ms; longer waits are chained.
const MAX_TIMEOUT = 2 ** 31 - 1;

/** Scaled real time: a {@link Clock} and {@link Scheduler} for processes that share no virtual clock. */
export class ScaledClock implements Clock, Scheduler {
  readonly #o: Required<Omit<ScaledClockOptions, 'onError'>> & Pick<ScaledClockOptions, 'onError'>;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #running = new Set<Promise<void>>();
  #stopped = false;

  constructor(options: ScaledClockOptions) {
    if (!(options.scale > 0) || !Number.isFinite(options.scale)) {
      throw new CertfleetError(
        'USAGE',
        `The time scale must be a positive number (virtual ms per real ms), not ${options.scale}; e.g. 60 runs one virtual minute per real second.`,
      );
    }
    if (!Number.isFinite(options.epoch) || !Number.isFinite(options.start)) {
      throw new CertfleetError('USAGE', 'The epoch and the virtual start must be valid instants.');
    }
    this.#o = { realNow: Date.now, ...options };
  }

  /** The scale (virtual ms per real ms). */
  get scale(): number {
    return this.#o.scale;
  }

  now(): Date {
    return new Date(this.#virtualAt(this.#o.realNow()));
  }

  #virtualAt(real: number): number {
    return Math.floor(this.#o.start + (real - this.#o.epoch) * this.#o.scale);
  }

  /** The real instant (epoch ms) the virtual clock reads `virtual`. */
  realAt(virtual: number): number {
    return this.#o.epoch + (virtual - this.#o.start) / this.#o.scale;
  }

  /** Runs `fn` when the virtual clock reads `at` (at once when that is past). */
  schedule(at: Date | number, fn: () => void | Promise<void>): ScheduledTask {
    let cancelled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      if (cancelled || this.#stopped) return;
      const wait = Math.max(0, this.realAt(new Date(at).getTime()) - this.#o.realNow());
      timer = setTimeout(
        () => {
          this.#timers.delete(timer!);
          if (wait > MAX_TIMEOUT) return arm();
          if (cancelled || this.#stopped) return;
          this.#run(fn);
        },
        Math.min(Math.ceil(wait), MAX_TIMEOUT),
      );
      this.#timers.add(timer);
    };
    arm();
    return {
      cancel: () => {
        cancelled = true;
        if (timer) {
          clearTimeout(timer);
          this.#timers.delete(timer);
        }
      },
    };
  }

  /** Runs `fn` after `ms` virtual milliseconds. */
  after(ms: number, fn: () => void | Promise<void>): ScheduledTask {
    return this.schedule(this.now().getTime() + ms, fn);
  }

  /** Resolves when the virtual clock reads `at` (or {@link ScaledClock.stop} is called). */
  until(at: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.schedule(at, resolve);
      this.#untilCancels.add(() => {
        t.cancel();
        resolve();
      });
    });
  }

  readonly #untilCancels = new Set<() => void>();

  #run(fn: () => void | Promise<void>): void {
    const p = (async () => {
      try {
        await fn();
      } catch (e) {
        if (this.#o.onError) this.#o.onError(e);
        else
          process.stderr.write(`certfleet: a scheduled task failed: ${(e as Error).message ?? String(e)}\n`);
      }
    })();
    this.#running.add(p);
    void p.finally(() => this.#running.delete(p));
  }

  /** Cancels every pending timer (and releases {@link ScaledClock.until}); waits for running callbacks. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const c of this.#untilCancels) c();
    this.#untilCancels.clear();
    await Promise.allSettled([...this.#running]);
  }
}
