/**
 * The report store of the MDM service: every event in order and the counters (messages, certificates,
 * renewals, revocations, CRLs, late results, load per connector) that the run's reports read. Outcomes are
 * not here: each lives with its delivery (deliveries.ts) or its refused device (enrollments.ts).
 */
import type { RunEvent } from '../../../run-model.ts';
import type { ServiceCounters } from '../service-types.ts';

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
export class ReportStore {
  readonly #events: RunEvent[] = [];
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
}
