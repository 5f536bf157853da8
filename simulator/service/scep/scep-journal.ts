/**
 * Where the SCEP server part writes what its HTTP answers depend on, before they leave (issue 10 point 3:
 * a killed `serve` resumes): the one-time challenges when they are made and when they are spent
 * (challenge-store.ts), the certificates the connector reports issued (issued-certificates.ts), and the
 * port the server listens on — the URL every SCEP payload carries, so a resumed server listens there again. The
 * coordinated `serve` keeps both in its service-state.db, sealed as the saved records are
 * (simulator/fleet/scep-journal.ts); a `run` in one process has none.
 */
import type { RecordJournal } from '../mdm/stores/saved-records.ts';

/** The SCEP server's write-ahead journal. */
export interface ScepJournal {
  /** The challenge grants, by the digest of their challenge (challenge-store.ts `challengeDigest`). */
  readonly challenges: RecordJournal;
  /** The issued certificates, one record per device × profile (the `scep-issued` store's records). */
  readonly issued: RecordJournal;
  /** The grants a killed run wrote (empty in a fresh run): the resumed server's store starts from them. */
  savedChallenges(): ReadonlyMap<string, Buffer>;
  /** Writes the port the server listens on (its URL is in the payloads sent). */
  keepPort(port: number): void;
  /** The port a killed run's server listened on, if it started one. */
  savedPort(): number | undefined;
}
