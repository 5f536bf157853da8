/**
 * Time, passed in (docs/architecture.md house rule 2: no module-level singletons). A runtime port of the neutral
 * protocol/ layer: the agent and the service side each take a {@link Clock}; the fleet's virtual clock
 * (simulator/clock) implements it, and neither side needs more than something that says what time it is.
 */
import { CertfleetError } from '../../pki/errors.ts';

/** Something that tells the time. */
export interface Clock {
  /** The current instant (a fresh Date each call; callers may mutate it). */
  now(): Date;
}

/** A clock stopped at one instant: tests and reproducible runs. */
export class FixedClock implements Clock {
  readonly #ms: number;

  /** @param at the instant this clock always reports (a Date, an ISO-8601 string or epoch milliseconds). */
  constructor(at: Date | string | number) {
    this.#ms = new Date(at).getTime();
    if (Number.isNaN(this.#ms)) {
      throw new CertfleetError('USAGE', `Not a valid instant: ${String(at)}. Use an ISO-8601 date-time.`);
    }
  }

  now(): Date {
    return new Date(this.#ms);
  }
}

/** The machine's wall clock. */
export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}
