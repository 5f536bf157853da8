/**
 * The one way a fleet process is assembled: `certfleet run`, `serve` and `agents` each pick an ordered list
 * of parts (run records, key stores, service CA, broker, service side, agent host…) and start them with
 * {@link startFleet}. Each part registers what it starts with its own {@link Teardown} as soon as it started
 * it; all of them hang under one root teardown, so that a part failing half-way releases what it had
 * started itself, then every part started before it, last first — and the parts after it never start.
 *
 * @example
 * const fleet = await startFleet(ctx, [runRecords(), serviceCa(), joinedBroker(o), serviceSide()]);
 * try {
 *   await clock.until(end);
 *   await fleet.stopAfter(RUN_RECORDS); // everything but the run database
 *   // … build the result from the records …
 *   await fleet.stop();
 * } catch (failure) {
 *   await fleet.stop({ failure }); // the run database records why
 *   throw failure;
 * }
 */
import { CertfleetError } from '../../../pki/errors.ts';
import { Teardown, type TeardownReason } from '../teardown.ts';

/** One part of a fleet: started in list order, released in reverse. */
export interface FleetPart<C> {
  /** What the part is, for {@link StartedFleet.stopAfter} and messages (`broker`, `service side`…). */
  readonly name: string;
  /**
   * Starts the part, reading what earlier parts put into `ctx` and adding what it provides. Registers
   * each thing it starts with `teardown` right after starting it, so that a failure later in this part
   * (or in a later part) releases it.
   */
  start(ctx: C, teardown: Teardown): void | Promise<void>;
}

/** A fleet whose parts all started. */
export interface StartedFleet {
  /** The parts that started, in order. */
  readonly parts: readonly string[];
  /**
   * Releases the parts started after the part named `name`, last first, and keeps the rest (a run stops
   * its network, then reads its databases for the result).
   * @throws CertfleetError INTERNAL when no such part started.
   */
  stopAfter(name: string, reason?: TeardownReason): Promise<void>;
  /** Releases every part not released yet, last first; `reason` tells them it is a failure. */
  stop(reason?: TeardownReason): Promise<void>;
}

/**
 * Starts `parts` in order over the shared context `ctx`. If a part throws, everything started so far —
 * what the failing part registered, then the earlier parts, last first — is released (told the failure),
 * the later parts never start, and the part's error is rethrown unchanged.
 */
export async function startFleet<C>(ctx: C, parts: readonly FleetPart<C>[]): Promise<StartedFleet> {
  const root = new Teardown();
  const started: { name: string; teardown: Teardown }[] = [];
  for (const part of parts) {
    const own = new Teardown();
    started.push({ name: part.name, teardown: own });
    root.add((reason) => own.run(reason));
    try {
      await part.start(ctx, own);
    } catch (failure) {
      await root.run({ failure });
      throw failure;
    }
  }
  return {
    parts: started.map((p) => p.name),
    stopAfter: async (name, reason) => {
      const i = started.findIndex((p) => p.name === name);
      if (i < 0) {
        throw new CertfleetError(
          'INTERNAL',
          `No fleet part "${name}" started (started: ${started.map((p) => p.name).join(', ')}).`,
        );
      }
      for (const p of started.slice(i + 1).reverse()) await p.teardown.run(reason);
    },
    stop: (reason) => root.run(reason),
  };
}
