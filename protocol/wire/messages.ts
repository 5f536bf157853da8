/**
 * The JSON messages devices and the service exchange besides the native payloads (which travel as raw
 * bytes). Topics are in topics.ts, the typed outcomes in outcome.ts, the inventory shapes in inventory.ts — the
 * wire protocol of the neutral protocol/ layer, which the agent and the service side both speak.
 *
 * - `out/enroll`            EnrollRequest      device → service (first contact: inventory + CSR)
 * - `in/enrolled`           EnrollResponse     service → device (management certificate, or the refusal)
 * - `out/checkin`           CheckIn            device → service (periodic; lets the service re-send pending payloads)
 * - `out/status/{profile}`  native reply bytes device → service (SyncML reply, Apple command response, Android report)
 * - `out/outcome/{profile}` OutcomeReport      device → service (certfleet telemetry: the typed outcomes; a real
 *                                              device sends only the native reply — this is the simulator's
 *                                              instrumentation so reports can name exact codes)
 * - `out/renew/{profile}`   RenewRequest       device → service (renewal due at the threshold)
 */
import type { InstallOutcome } from './outcome.ts';
import type { EnrollmentKind, Platform } from '../../profiles/model/platform.ts';

/** First contact: who the device is, its native inventory, and a CSR for its management certificate. */
export interface EnrollRequest {
  type: 'enroll';
  deviceId: string;
  platform: Platform;
  kind: EnrollmentKind;
  osVersion: string;
  ownership: 'corporate' | 'personal';
  /** The platform-shaped inventory (`Inventory`, inventory.ts); `unknown` until the service has checked it. */
  inventory: unknown;
  /** PEM CSR for the device-management certificate. */
  csr: string;
}

/** The service's answer to an enrollment. */
export type EnrollResponse =
  | { type: 'enrolled'; deviceId: string; certificate: string; chain: string[] }
  | { type: 'enroll-refused'; deviceId: string; code: string; message: string };

/** A periodic check-in. */
export interface CheckIn {
  type: 'checkin';
  deviceId: string;
  at: string;
}

/** The typed outcomes of one delivery. */
export interface OutcomeReport {
  type: 'outcome';
  deviceId: string;
  profileId: string;
  outcomes: InstallOutcome[];
  at: string;
  /**
   * Set when nothing was installed: the device says only that the trust of the identity the profile installed
   * changed (a CA certificate it lacked arrived, agent/runtime/trust-recheck.ts). The service updates the
   * outcome and counts no install or renewal.
   */
  trustChange?: true;
}

/** Renewal is due for the certificate `thumbprint` installed by `profileId`. */
export interface RenewRequest {
  type: 'renew';
  deviceId: string;
  profileId: string;
  thumbprint: string;
  notAfter: string;
  at: string;
}

/** Any JSON message a device sends. */
export type DeviceMessage = EnrollRequest | CheckIn | OutcomeReport | RenewRequest;
