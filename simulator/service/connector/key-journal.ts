/**
 * Where a certificate connector keeps the private key of a request before it asks the CA (issue 10 point
 * 3: 0 issued twice across a kill). The CA keeps the service's request id and the certificate in its
 * issued record (enterprise-ca.ts `issuedForRequest`); a connector killed after the CA answered and
 * before its result reached the service leaves the request leased, and the connector that takes it on
 * the next lease finds the certificate there and the key here, and delivers that certificate instead of
 * having a second one issued.
 *
 * The key is a secret: an implementation keeps it sealed (the coordinated `serve` keeps it in its
 * service-state.db, sealed as the saved records are: simulator/fleet/service-checkpoint.ts), never in a
 * log or a message.
 */
import type { KeyObject } from 'node:crypto';

/** The connectors' sealed keys, by the MDM service's request id. */
export interface ConnectorKeyJournal {
  /**
   * Unique to the run whose keys it keeps: the CA records `{scope}/{requestId}`, so a request id of another
   * run on the same CA folder (`req-1` again) never matches (no secret: it only names).
   */
  readonly scope: string;
  /** Keeps `privateKey` for request `requestId` (durably, before the CA is asked). */
  keep(requestId: string, privateKey: KeyObject): void;
  /** The key kept for `requestId`, if any. */
  find(requestId: string): KeyObject | undefined;
  /** Forgets the key of `requestId` (its result reached the service, or it was never issued). */
  forget(requestId: string): void;
}
