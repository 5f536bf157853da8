/**
 * When the virtual clock of `certfleet run` may move on: after the timers of one instant ran, every
 * message in flight (except to devices that are offline) has been handled and the service and the
 * connectors are idle (`ctx.idle`, in the order the parts registered) — and nothing they did meanwhile put
 * a new message in flight. Handling can cause more messages, so this is a loop; a loop that never ends —
 * two clients answering each other forever at one virtual instant — would hang the run, so after
 * {@link DEFAULT_SETTLE_ROUNDS} rounds it gives up and ends the run with RUN_STALLED, naming the clients
 * messages are still pending for.
 */
import type { Clock } from '../../../protocol/runtime/clock.ts';
import type { InFlight } from '../../../protocol/transport/in-flight.ts';
import { CertfleetError } from '../../../pki/errors.ts';

/** Rounds of handling at one virtual instant before the run is declared stalled. */
export const DEFAULT_SETTLE_ROUNDS = 1000;

/** Options of {@link settleFleet}. */
export interface SettleOptions {
  /** The counter every client of the process counts on. */
  inFlight: InFlight;
  /** What else must be idle, waited for in order (read at each round: parts may add to it). */
  idle: ReadonlyArray<() => Promise<unknown>>;
  /** For the error message: the virtual instant that did not settle. */
  clock: Clock;
  /** Default {@link DEFAULT_SETTLE_ROUNDS}. */
  maxRounds?: number;
}

/** How many pending clients the error names before it says "and N more". */
const NAMED = 10;

/**
 * The settle step for `VirtualClock.runUntil`.
 * @throws CertfleetError RUN_STALLED when messages are still in flight after the last round.
 */
export function settleFleet(o: SettleOptions): () => Promise<void> {
  const maxRounds = o.maxRounds ?? DEFAULT_SETTLE_ROUNDS;
  return async () => {
    for (let round = 0; round < maxRounds; round++) {
      await o.inFlight.settled({ exceptOffline: true });
      for (const idle of o.idle) await idle();
      if (o.inFlight.count({ exceptOffline: true }) === 0) return;
    }
    const pending = o.inFlight.pendingClients({ exceptOffline: true }).sort();
    const named =
      pending.slice(0, NAMED).join(', ') +
      (pending.length > NAMED ? ` and ${pending.length - NAMED} more` : '');
    const at = o.clock.now().toISOString();
    throw new CertfleetError(
      'RUN_STALLED',
      `The run stalled at ${at} (virtual time): after ${maxRounds} rounds of handling at that instant, messages ` +
        `are still pending for ${named}. ` +
        'The clock cannot move on while they keep answering each other; this is a bug in certfleet or in the ' +
        'scenario — report the scenario and its seed.',
      { details: { at, rounds: maxRounds, pending } },
    );
  };
}
