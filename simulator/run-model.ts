/**
 * What a fleet run produces, in one shape shared by the service (which records it), the expectations
 * (which judge it) and the reports (which print it). `report.json` is this object.
 */
import type { OutcomeCode } from '../protocol/wire/outcome.ts';
import type { EnrollmentKind, Platform } from '../profiles/model/platform.ts';
import type { AbsenceReason, AttributeName } from '../profiles/variables/facts.ts';

/**
 * Where one device × profile ended. `pending`: no answer by the end of the run; `not-applicable`: the
 * profile does not apply to the device (a user certificate on a userless device, code NOT_APPLICABLE) and
 * nothing was sent (issue 12 point 4).
 */
export type RunStatus = 'installed' | 'failed' | 'pending' | 'skipped' | 'not-applicable';

/**
 * Codes of an outcome the device installed but does not trust (issue 12 point 4): its chain leads to no
 * installed root, or a certificate of it is outside its validity on the device clock. Reports count these
 * apart from trusted installs ("25 installed, 0 failed" hid a fleet without its trusted-root profile).
 */
export const UNTRUSTED_INSTALL_CODES: readonly OutcomeCode[] = [
  'INSTALL_UNTRUSTED_CHAIN',
  'INSTALL_CERT_EXPIRED',
];

/** Whether an installed outcome is trusted; undefined when it is not installed. */
export function trustOf(o: Pick<DeviceProfileOutcome, 'status' | 'code'>): boolean | undefined {
  if (o.status !== 'installed') return undefined;
  return !UNTRUSTED_INSTALL_CODES.includes(o.code);
}

/** The final state of one device × profile. */
export interface DeviceProfileOutcome {
  device: string;
  platform: Platform;
  kind: EnrollmentKind;
  /** The profile's name (as the scenario names it). */
  profile: string;
  status: RunStatus;
  code: OutcomeCode;
  message: string;
  /** Certificates renewed for this profile during the run. */
  renewals: number;
  /** The native status the device sent (SyncML code, Apple status/ErrorChain, Android non-compliance). */
  native?: unknown;
  /** Virtual time of the last change. */
  at: string;
}

/** One event of a device's story (`show device`, the HTML timeline). */
export interface RunEvent {
  at: string;
  device?: string;
  profile?: string;
  /** enrolled, delivered, installed, failed, renewal-requested, renewed, revoked, retry, offline, … */
  type: string;
  detail: string;
}

/** One device × profile row, named. */
export interface RowRef {
  device: string;
  profile: string;
}

/** One expectation QA wrote in the scenario, and whether it held. */
export interface ExpectationResult {
  text: string;
  held: boolean;
  /** Why it did not hold (or the figures that show it did). */
  detail: string;
  /** Its line in the scenario file. */
  line?: number;
  /** What each selected row must show, in words (`status failed, code INSTALL_NOT_ALLOWED`). */
  checks?: string;
  /** Rows it selected, and how many of them show what it checks. */
  selected?: number;
  passing?: number;
  /**
   * When it did not hold: the rows that break it, with why — rows that lack what it checks, or (for
   * `share: none`, `"<0.1"`, a count exceeded) rows that have it. Reports (junit.xml) fail exactly these.
   */
  offenders?: (RowRef & { why: string })[];
  /**
   * Rows it says fail (it checks `status: failed` or an error code) and that fail as it says: expected
   * failures, which reports show as passed, not as failures.
   */
  expectedFailures?: RowRef[];
  /** The rows it selected (reports time an expectation by the wall-clock span of its rows). */
  rows?: RowRef[];
  /** The trust it checks (`trusted: true|false`), when it checks one: reports judge untrusted rows by it. */
  trusted?: boolean;
}

/** Where the absence of a device attribute comes from (simulator/scenario/absence-causes.ts). */
export type AbsenceSource =
  'platform' | 'enrollment-kind' | 'os-version' | 'hardware' | 'user' | 'scenario' | 'device';

/** Why one attribute of one device is absent. */
export interface AbsenceCause {
  reason: AbsenceReason;
  source: AbsenceSource;
  /** The availability rule (agent/device/availability.ts `id`), `fleet.missing.<attribute>` or `not-reported`. */
  rule: string;
  /** In words, short enough for a report line: "no cellular modem (a Wi-Fi-only model)". */
  text: string;
}

/** Per-device summary for reports. */
export interface DeviceSummary {
  id: string;
  index: number;
  platform: Platform;
  kind: EnrollmentKind;
  osVersion: string;
  model: string;
  enrolled: boolean;
  /** Why each absent attribute is absent (reports group VARIABLE_MISSING failures by it). */
  absent?: Partial<Record<AttributeName, AbsenceCause>>;
}

/** Throughput and load figures of a run. */
export interface RunMetrics {
  wallSeconds: number;
  virtualStart: string;
  virtualEnd: string;
  devicesPerSecond: number;
  certificatesIssued: number;
  /** Requests served per connector id. */
  connectorLoad: Record<string, number>;
  messages: number;
  /** Where the connector and device keys came from; only with `run --key-pool` (key pool draws). */
  keys?: KeyOrigins;
}

/** Where a run's keys came from, per key kind (`rsa-2048`, `ec-p256`…): simulator/tools/key-pool. */
export interface KeyOrigins {
  /** The pool's folder. */
  pool: string;
  /** Keys taken from the pool, per kind (draws: with `reuse`, a shared key counts each time). */
  fromPool: Record<string, number>;
  /** Fresh keys generated because the pool held none (left) of that kind, per kind. */
  fresh: Record<string, number>;
  /** `--key-reuse`: the pool was cycled, so keys may have served more than one certificate. */
  reuse: boolean;
  /** Draws that handed out a key already used in this run (only with `reuse`), per kind. */
  shared: Record<string, number>;
  /**
   * A run spread over processes (`run --workers N`: the coordinator and N agent hosts): how many drew keys,
   * each from its own share of the pool (simulator/tools/key-pool/pool-partition.ts); the counts above are
   * their sums. Absent for a one-process run.
   */
  processes?: number;
}

/** A setting of the scenario the run read past (simulator/scenario Checker.warn), with its place. */
export interface InputWarning {
  file: string;
  line: number;
  column: number;
  /** Key path in the scenario, e.g. `profiles[1].graph`. */
  path: string;
  message: string;
}

/** A run a signal stopped before its virtual end (issue 10 point 7): what stopped it, and when. */
export interface RunInterruption {
  /** The signal: `SIGINT` (Ctrl-C) or `SIGTERM`. */
  signal: string;
  /** The virtual instant the run stopped at (ISO 8601); outcomes are as they stood then. */
  at: string;
}

/** The whole result of a run (report.json). */
export interface RunResult {
  scenario: string;
  seed: string;
  devices: number;
  startedAt: string;
  devicesList: DeviceSummary[];
  outcomes: DeviceProfileOutcome[];
  events: RunEvent[];
  expectations: ExpectationResult[];
  metrics: RunMetrics;
  /** Settings of the scenario the run read past (a misspelled Graph property, an ignored subject string…). */
  warnings?: InputWarning[];
  /** Set when a signal stopped the run before its end: the run did not pass, whatever its expectations. */
  interrupted?: RunInterruption;
}
