/**
 * The report store of the MDM service: every event in order and the counters (messages, certificates,
 * renewals, revocations, CRLs, late results, load per connector) that the run's reports read. Outcomes are
 * not here: each lives with its delivery (deliveries.ts) or its refused device (enrollments.ts).
 */
import type { RunEvent } from '../../../run-model.ts';
import type { ServiceCounters } from '../service-types.ts';
import { jsonRecord, mustBeEmpty, readRecord, type SavableStore, type SavedRecord } from './saved-records.ts';

/** The counters' record key (saved-records.ts); events are keyed by their number, zero-padded. */
const COUNTERS_KEY = '#counters';
const eventKey = (i: number): string => String(i).padStart(10, '0');

/** Counters at zero. */
function zeroCounters(): ServiceCounters {
  return {
    certificatesIssued: 0,
    managementCertificates: 0,
    renewals: 0,
    revocations: 0,
    crlsPublished: 0,
    messagesIn: 0,
    messagesOut: 0,
    lateResultsIgnored: 0,
    connectorLoad: {},
  };
}

/** The report store. */
export class ReportStore implements SavableStore {
  readonly #events: RunEvent[] = [];
  /** How many events {@link saveChanged} has listed (events only grow). */
  #eventsListed = 0;
  /** The live counters; handlers add to them. */
  readonly counters: ServiceCounters = zeroCounters();

  /** Appends an event. */
  record(event: RunEvent): void {
    this.#events.push(event);
  }

  /** Every event so far, in order (a copy of the list). */
  events(): RunEvent[] {
    return [...this.#events];
  }

  /** The counters (a copy). */
  snapshot(): ServiceCounters {
    return { ...this.counters, connectorLoad: { ...this.counters.connectorLoad } };
  }

  /** Counts one accepted result for `connectorId`. */
  countResult(connectorId: string): void {
    const load = this.counters.connectorLoad;
    load[connectorId] = (load[connectorId] ?? 0) + 1;
  }

  /** The counters, and one record per event (events only grow: a checkpoint writes the new ones). */
  save(): SavedRecord[] {
    return [
      jsonRecord(COUNTERS_KEY, this.counters),
      ...this.#events.map((e, i) => jsonRecord(eventKey(i), e)),
    ];
  }

  /**
   * The records that may have changed since the last call (issue 10 point 3, dirty sets): the counters
   * (handlers add to them in place, nearly every message does) and the events added since; the first
   * call lists every event. The same records as {@link save} makes for them; none is ever removed.
   */
  saveChanged(): SavedRecord[] {
    const from = this.#eventsListed;
    this.#eventsListed = this.#events.length;
    return [
      jsonRecord(COUNTERS_KEY, this.counters),
      ...this.#events.slice(from).map((e, i) => jsonRecord(eventKey(from + i), e)),
    ];
  }

  /** Rebuilds the events, in order, and the counters from {@link save}'s records. */
  restore(records: ReadonlyMap<string, Buffer>): void {
    mustBeEmpty('reports', this.#events.length);
    const counters = records.get(COUNTERS_KEY);
    if (counters !== undefined)
      Object.assign(this.counters, readRecord<ServiceCounters>('reports', COUNTERS_KEY, counters));
    for (const [k, v] of [...records]
      .filter(([k]) => k !== COUNTERS_KEY)
      .sort((a, b) => a[0].localeCompare(b[0])))
      this.#events.push(readRecord<RunEvent>('reports', k, v));
  }
}
