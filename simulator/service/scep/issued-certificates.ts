/**
 * The SCEP certificates the connector reports to the service (issue 14 point 1 of the SCEP life): after the
 * CA issued a certificate for a request whose one-time challenge the policy module redeemed, the connector
 * notifies the service of it (C2 event 20600 CRPNotifyMetric_Success) with the device × profile the
 * challenge was issued for, the serial, the thumbprint and the expiry. The service alone never sees a SCEP
 * certificate — the device makes the key and enrols with the server directly — so this report is how it
 * learns which serial to revoke when the device is retired or the profile's assignment is removed (REMOVEDOC:
 * "A SCEP certificate is revoked and removed when … an administrator runs the retire action … a certificate
 * profile is removed from the group assignment"; docs/failure-modes.md "SCEP certificates after enrolment").
 *
 * Role interfaces as in the MDM stores: {@link ScepIssuedReader} for the service, the class for the
 * responder that writes. A request answered with the standalone (static) challenge has no grant, so no
 * device × profile: it is not reported. A RenewalReq (RFC 8894 §3.3.1.2) carries no challenge either: it is
 * signed with the certificate it renews, so the responder links it by that certificate's serial
 * ({@link ScepIssuedReader.bySerial}) and the new certificate takes the old one's device × profile — a
 * Windows PC's renewal then supersedes the old certificate, and retiring the PC revokes the new one.
 *
 * Across a kill (issue 10 point 3): with a `journal`, the device × profile's record is written when a
 * certificate is recorded — before the responder's answer carrying it leaves (write-ahead) — not only at
 * the next checkpoint, so a certificate issued just before a kill is still revoked on retire after the resume.
 */

import {
  jsonRecord,
  mustBeEmpty,
  readRecord,
  type RecordJournal,
  type SavableStore,
  type SavedRecord,
} from '../mdm/stores/saved-records.ts';

/** One SCEP certificate, as the connector reports it. */
export interface ScepIssuedCertificate {
  deviceId: string;
  /** The profile id (assignment name) the challenge was issued for. */
  profileId: string;
  /** Upper-case hex, as the CA records it. */
  serial: string;
  /** SHA-1, upper-case hex. */
  thumbprint: string;
  /** ISO-8601. */
  notAfter: string;
  /** When the CA issued it (ISO-8601, the run's clock). */
  issuedAt: string;
  /** The SCEP transactionID of the request. */
  transactionId: string;
}

/** What the service reads of the connector's reports. */
export interface ScepIssuedReader {
  /** Every certificate reported for `deviceId` × `profileId`, in issue order. */
  of(deviceId: string, profileId: string): readonly ScepIssuedCertificate[];
  /** The last certificate reported for `deviceId` × `profileId`. */
  latest(deviceId: string, profileId: string): ScepIssuedCertificate | undefined;
  /** The certificate reported with `serial` (upper-case hex), whatever its device × profile. */
  bySerial(serial: string): ScepIssuedCertificate | undefined;
}

/** The connector's reports of issued SCEP certificates, per device × profile. */
export class ScepIssuedCertificates implements ScepIssuedReader, SavableStore {
  readonly #by = new Map<string, ScepIssuedCertificate[]>();
  readonly #serials = new Map<string, ScepIssuedCertificate>();
  readonly #journal: RecordJournal | undefined;

  /** `journal`: where each changed record is written at once (see the file comment). */
  constructor(o: { journal?: RecordJournal } = {}) {
    this.#journal = o.journal;
  }

  /**
   * Records one issued certificate (the notify step of the connector); with a journal, written there
   * before this returns.
   */
  record(c: ScepIssuedCertificate): void {
    const key = keyOf(c.deviceId, c.profileId);
    const copy = { ...c };
    const list = [...(this.#by.get(key) ?? []), copy];
    this.#journal?.keep(jsonRecord(key, list));
    this.#by.set(key, list);
    this.#serials.set(c.serial.toUpperCase(), copy);
  }

  of(deviceId: string, profileId: string): readonly ScepIssuedCertificate[] {
    return this.#by.get(keyOf(deviceId, profileId)) ?? [];
  }

  latest(deviceId: string, profileId: string): ScepIssuedCertificate | undefined {
    return this.of(deviceId, profileId).at(-1);
  }

  bySerial(serial: string): ScepIssuedCertificate | undefined {
    return this.#serials.get(serial.toUpperCase());
  }

  /**
   * One record per device × profile, its certificates in issue order (issue 10 point 3: saved with the
   * service state, so a resumed service still revokes them on retire and unassign).
   */
  save(): SavedRecord[] {
    return [...this.#by].map(([key, list]) => jsonRecord(key, list));
  }

  /** Rebuilds the reports (and the index by serial) from {@link save}'s records; the store must be empty. */
  restore(records: ReadonlyMap<string, Buffer>): void {
    mustBeEmpty('SCEP issued certificates', this.#by.size);
    for (const [key, value] of records) {
      const list = readRecord<ScepIssuedCertificate[]>('scep-issued', key, value);
      this.#by.set(key, list);
      for (const c of list) this.#serials.set(c.serial.toUpperCase(), c);
    }
  }
}

function keyOf(deviceId: string, profileId: string): string {
  return JSON.stringify([deviceId, profileId]);
}
