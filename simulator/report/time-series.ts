/**
 * Time in a run's reports (issue 13 point 4): what happened over virtual time, and where the certificates
 * stand at the end.
 *
 * - **Series.** Installs, failures, renewals, renewal deferrals and expiries per virtual-time bucket. The
 *   bucket is chosen from the run's length ({@link chooseBucket}): the smallest of 1 min, 5 min, 15 min,
 *   30 min, 1 h, 2 h, 3 h, 6 h, 12 h, 1 d, 2 d, 7 d, 14 d, 30 d, 90 d, 365 d that cuts the run into at most
 *   {@link MAX_BUCKETS} buckets (40 days → 1 d, 14 days → 6 h, 10 months → 7 d). Buckets start at the
 *   virtual start. Counts come from the run's events: an *install* is an `installed` event that is not the
 *   install of a renewed certificate; a *renewal* is a `renewed` event; a *failure* is a `failed` event (an
 *   expiry included) or a device × profile row failed by a refused enrolment; a *deferral* is a
 *   `renewal-deferred` event (a locked Apple device that put a due renewal off, recorded in run.db only); an
 *   *expiry* is a `failed` event with the code `RENEWAL_EXPIRED` — the device reports it at its first check-in
 *   past the expiry, or at the install of a renewal that came after it (agent/renewal/expired-outcome.ts),
 *   so an expiry counts even when the row ends installed. A device × profile that fails twice counts
 *   twice: the series counts what happened, the summary counts where each row ended.
 * - **Per minute** (the at-scale journey: "throughput, connector load and failures per minute"), whatever
 *   the bucket: for installs, failures and renewals, and for the certificates each connector issued (its
 *   `issued` events, `… by connector-2 (…)`), the total, the mean per minute of the run and the busiest
 *   minute (minutes counted from the virtual start) with how many it had.
 * - **Deferrals** per device (how many, first, last, and when that device renewed after), and **expiries**.
 * - **Validity left** at the virtual end for every PKCS certificate (an identity) in the devices' key stores,
 *   from run.db's end-of-run store snapshot, each matched to its profile through the payloads delivered to
 *   its device; per profile the min / median / max days left and how many are at or below the profile's
 *   renewal threshold (due for renewal) or already expired.
 *
 * Pure: {@link buildTimeReport} takes the run and what run.db adds ({@link TimeInputs}); reading run.db is
 * {@link timeInputsFromRunDb}. Everything here is virtual time; wall time never enters.
 */
import { existsSync } from 'node:fs';
import type { Platform } from '../../profiles/model/platform.ts';
import type { RunEvent, RunResult } from '../run-model.ts';
import { RunDb, runDbPath, type DeliveryRecord, type StoreSnapshotItem } from './run-db.ts';
import { byCodeUnits } from './summary.ts';

/** The most buckets a series has. */
export const MAX_BUCKETS = 60;

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The bucket sizes a series may use, smallest first. */
export const BUCKET_LADDER: readonly { label: string; ms: number }[] = [
  { label: '1m', ms: MIN },
  { label: '5m', ms: 5 * MIN },
  { label: '15m', ms: 15 * MIN },
  { label: '30m', ms: 30 * MIN },
  { label: '1h', ms: HOUR },
  { label: '2h', ms: 2 * HOUR },
  { label: '3h', ms: 3 * HOUR },
  { label: '6h', ms: 6 * HOUR },
  { label: '12h', ms: 12 * HOUR },
  { label: '1d', ms: DAY },
  { label: '2d', ms: 2 * DAY },
  { label: '7d', ms: 7 * DAY },
  { label: '14d', ms: 14 * DAY },
  { label: '30d', ms: 30 * DAY },
  { label: '90d', ms: 90 * DAY },
  { label: '365d', ms: 365 * DAY },
];

/** The bucket for a run of `durationMs`: the smallest of {@link BUCKET_LADDER} giving ≤ {@link MAX_BUCKETS}. */
export function chooseBucket(durationMs: number): { label: string; ms: number } {
  for (const b of BUCKET_LADDER) if (Math.ceil(Math.max(0, durationMs) / b.ms) <= MAX_BUCKETS) return b;
  return BUCKET_LADDER[BUCKET_LADDER.length - 1]!;
}

/** The counts of one bucket. */
export interface TimeBucket {
  /** Virtual start of the bucket (ISO). */
  start: string;
  installs: number;
  failures: number;
  renewals: number;
  deferrals: number;
  expiries: number;
}

/** The five series' totals (each the sum of its series). */
export type TimeTotals = Omit<TimeBucket, 'start'>;

/** One device that deferred a due renewal because it was locked. */
export interface DeferralRecord {
  device: string;
  platform?: Platform;
  /** Deferrals (one per check-in while locked and due). */
  count: number;
  first: string;
  last: string;
  /** The device's first renewal after its first deferral, if any before the end. */
  renewedAt?: string;
}

/** One certificate that expired before it was renewed. */
export interface ExpiryRecord {
  device: string;
  platform?: Platform;
  profile: string;
  at: string;
  message: string;
}

/** A PKCS certificate in a device's key store at the end of the run (what {@link TimeInputs} carries). */
export interface EndCertificate {
  device: string;
  profile: string;
  notBefore: string;
  notAfter: string;
  /** The profile's renewal threshold in percent, when known. */
  threshold?: number;
}

/** Validity left at the end for one certificate. */
export interface CertificateValidity {
  device: string;
  platform?: Platform;
  profile: string;
  notAfter: string;
  /** Days from the virtual end to notAfter (negative once expired), one decimal. */
  daysLeft: number;
  /** Share of the certificate's lifetime left, percent, one decimal (0 once expired). */
  percentLeft: number;
  threshold?: number;
  /** At or below the renewal threshold (due for renewal) and not expired. */
  belowThreshold: boolean;
  expired: boolean;
}

/** Validity left per profile. */
export interface ValiditySummary {
  profile: string;
  certificates: number;
  threshold?: number;
  minDays: number;
  medianDays: number;
  maxDays: number;
  belowThreshold: number;
  expired: number;
}

/** One count per minute of virtual time: its total, its mean per minute and its busiest minute. */
export interface PerMinuteFigure {
  total: number;
  /** total ÷ the run's length in minutes, three significant digits (a 40-day run's rates are small). */
  meanPerMinute: number;
  /** The most in one minute (minutes counted from the virtual start); 0 when the total is 0. */
  peak: number;
  /** The start of the first minute that reached the peak (ISO); absent when the total is 0. */
  peakAt?: string;
}

/** `report.json` `time.perMinute`. */
export interface PerMinuteReport {
  /** The run's length in whole minutes (at least 1): what the means divide by. */
  minutes: number;
  installs: PerMinuteFigure;
  failures: PerMinuteFigure;
  renewals: PerMinuteFigure;
  /** Certificates issued, per connector as its `issued` events name it (`connector-1`, `the SCEP connector`). */
  issuedByConnector: Record<string, PerMinuteFigure>;
}

/** Counts per minute of virtual time from a start (see {@link PerMinuteFigure}). */
class MinuteCounts {
  readonly #counts = new Map<number, number>();
  #total = 0;

  constructor(private readonly startMs: number) {}

  add(at: string, n = 1): void {
    if (n === 0) return;
    const t = Date.parse(at);
    const minute = Number.isFinite(t) ? Math.max(0, Math.floor((t - this.startMs) / MIN)) : 0;
    this.#counts.set(minute, (this.#counts.get(minute) ?? 0) + n);
    this.#total += n;
  }

  figure(minutes: number): PerMinuteFigure {
    let peak = 0;
    let peakMinute = -1;
    for (const [minute, n] of this.#counts) {
      if (n > peak || (n === peak && minute < peakMinute)) [peak, peakMinute] = [n, minute];
    }
    return {
      total: this.#total,
      meanPerMinute: Number((this.#total / minutes).toPrecision(3)),
      peak,
      ...(peakMinute >= 0 ? { peakAt: new Date(this.startMs + peakMinute * MIN).toISOString() } : {}),
    };
  }
}

/** The connector an `issued` event names (`certificate 1A by connector-2 (initial)`), if any. */
export function issuingConnectorOf(detail: string): string | undefined {
  return / by (.+?) \(/.exec(detail)?.[1];
}

/** `report.json` `time`. */
export interface TimeReport {
  start: string;
  end: string;
  /** Bucket size, as a duration (`1d`) and in milliseconds. */
  bucket: string;
  bucketMs: number;
  /** How the bucket was chosen, in words. */
  bucketRule: string;
  series: TimeBucket[];
  totals: TimeTotals;
  /** Per minute of virtual time, whatever the bucket. */
  perMinute: PerMinuteReport;
  deferrals: DeferralRecord[];
  expiries: ExpiryRecord[];
  validity: { at: string; certificates: CertificateValidity[]; byProfile: ValiditySummary[] };
  /** False when run.db could not be read: deferrals and validity left are then unknown (empty). */
  fromRunDb: boolean;
}

/** What run.db adds to the run's own events. */
export interface TimeInputs {
  /** `renewal-deferred` events. */
  deferrals: RunEvent[];
  certificates: EndCertificate[];
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Builds the `time` section of a run's reports. */
export function buildTimeReport(result: RunResult, inputs?: TimeInputs): TimeReport {
  const start = Date.parse(result.metrics.virtualStart);
  const end = Date.parse(result.metrics.virtualEnd);
  const startMs = Number.isFinite(start) ? start : 0;
  const endMs = Number.isFinite(end) && end >= startMs ? end : startMs;
  const bucket = chooseBucket(endMs - startMs);
  const count = Math.max(1, Math.ceil((endMs - startMs) / bucket.ms));
  const series: TimeBucket[] = Array.from({ length: count }, (_, i) => ({
    start: new Date(startMs + i * bucket.ms).toISOString(),
    installs: 0,
    failures: 0,
    renewals: 0,
    deferrals: 0,
    expiries: 0,
  }));
  const slot = (at: string): TimeBucket => {
    const t = Date.parse(at);
    const i = Number.isFinite(t) ? Math.floor((t - startMs) / bucket.ms) : 0;
    return series[Math.min(count - 1, Math.max(0, i))]!;
  };
  const platformOf = new Map(result.devicesList.map((d) => [d.id, d.platform]));

  // An `installed` event at the same instant as a `renewed` one of that device × profile is the renewal's.
  const key = (e: RunEvent): string => `${e.device ?? ''}\u0000${e.profile ?? ''}\u0000${e.at}`;
  const renewedAt = new Map<string, number>();
  for (const e of result.events)
    if (e.type === 'renewed') renewedAt.set(key(e), (renewedAt.get(key(e)) ?? 0) + 1);

  const expiries: ExpiryRecord[] = [];
  const failedRowsOf = new Map<string, number>();
  for (const o of result.outcomes)
    if (o.status === 'failed') failedRowsOf.set(o.device, (failedRowsOf.get(o.device) ?? 0) + 1);
  const firstRenewal = new Map<string, string[]>();
  const perMinute = {
    installs: new MinuteCounts(startMs),
    failures: new MinuteCounts(startMs),
    renewals: new MinuteCounts(startMs),
  };
  const issuedBy = new Map<string, MinuteCounts>();

  for (const e of result.events) {
    switch (e.type) {
      case 'installed': {
        const k = key(e);
        const left = renewedAt.get(k) ?? 0;
        if (left > 0) renewedAt.set(k, left - 1);
        else {
          slot(e.at).installs += 1;
          perMinute.installs.add(e.at);
        }
        break;
      }
      case 'renewed':
        slot(e.at).renewals += 1;
        perMinute.renewals.add(e.at);
        if (e.device !== undefined) push(firstRenewal, e.device, e.at);
        break;
      case 'issued': {
        const connector = issuingConnectorOf(e.detail);
        if (connector === undefined) break;
        let counts = issuedBy.get(connector);
        if (!counts) issuedBy.set(connector, (counts = new MinuteCounts(startMs)));
        counts.add(e.at);
        break;
      }
      case 'failed': {
        const b = slot(e.at);
        b.failures += 1;
        perMinute.failures.add(e.at);
        if (e.detail.startsWith('RENEWAL_EXPIRED')) {
          b.expiries += 1;
          const p = platformOf.get(e.device ?? '');
          expiries.push({
            device: e.device ?? '',
            ...(p ? { platform: p } : {}),
            profile: e.profile ?? '',
            at: e.at,
            message: e.detail.replace(/^RENEWAL_EXPIRED:\s*/, ''),
          });
        }
        break;
      }
      case 'enroll-refused': {
        // each profile the refused device would have received is a failed row, made at this instant
        const rows = failedRowsOf.get(e.device ?? '') ?? 0;
        slot(e.at).failures += rows;
        perMinute.failures.add(e.at, rows);
        break;
      }
    }
  }

  const byDevice = new Map<string, DeferralRecord>();
  for (const e of inputs?.deferrals ?? []) {
    if (e.device === undefined) continue;
    slot(e.at).deferrals += 1;
    const r = byDevice.get(e.device);
    if (!r) {
      const p = platformOf.get(e.device);
      byDevice.set(e.device, {
        device: e.device,
        ...(p ? { platform: p } : {}),
        count: 1,
        first: e.at,
        last: e.at,
      });
    } else {
      r.count += 1;
      if (byCodeUnits(e.at, r.first) < 0) r.first = e.at;
      if (byCodeUnits(e.at, r.last) > 0) r.last = e.at;
    }
  }
  for (const r of byDevice.values()) {
    const after = (firstRenewal.get(r.device) ?? []).filter((at) => byCodeUnits(at, r.first) >= 0).sort();
    if (after[0] !== undefined) r.renewedAt = after[0];
  }

  const totals: TimeTotals = { installs: 0, failures: 0, renewals: 0, deferrals: 0, expiries: 0 };
  for (const b of series) for (const k of Object.keys(totals) as (keyof TimeTotals)[]) totals[k] += b[k];

  const certificates = (inputs?.certificates ?? [])
    .map((c) => validityOf(c, endMs, platformOf.get(c.device)))
    .sort((a, b) => byCodeUnits(a.profile, b.profile) || byCodeUnits(a.device, b.device));
  const profiles = new Map<string, CertificateValidity[]>();
  for (const c of certificates) push(profiles, c.profile, c);
  const byProfile: ValiditySummary[] = [...profiles.entries()].map(([profile, list]) => {
    const days = list.map((c) => c.daysLeft).sort((a, b) => a - b);
    const thresholds = [...new Set(list.flatMap((c) => (c.threshold === undefined ? [] : [c.threshold])))];
    const s: ValiditySummary = {
      profile,
      certificates: list.length,
      minDays: days[0] ?? 0,
      medianDays: round1(median(days)),
      maxDays: days[days.length - 1] ?? 0,
      belowThreshold: list.filter((c) => c.belowThreshold).length,
      expired: list.filter((c) => c.expired).length,
    };
    if (thresholds.length === 1) s.threshold = thresholds[0]!;
    return s;
  });

  const minutes = Math.max(1, Math.ceil((endMs - startMs) / MIN));
  const perMinuteReport: PerMinuteReport = {
    minutes,
    installs: perMinute.installs.figure(minutes),
    failures: perMinute.failures.figure(minutes),
    renewals: perMinute.renewals.figure(minutes),
    issuedByConnector: Object.fromEntries(
      [...issuedBy.entries()]
        .sort(([a], [b]) => byCodeUnits(a, b))
        .map(([connector, counts]) => [connector, counts.figure(minutes)]),
    ),
  };

  return {
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    bucket: bucket.label,
    bucketMs: bucket.ms,
    bucketRule: `the smallest step of 1m, 5m, 15m, 30m, 1h, 2h, 3h, 6h, 12h, 1d, 2d, 7d, 14d, 30d, 90d, 365d that cuts the run into at most ${MAX_BUCKETS} buckets`,
    series,
    totals,
    perMinute: perMinuteReport,
    deferrals: [...byDevice.values()].sort(
      (a, b) => byCodeUnits(a.first, b.first) || byCodeUnits(a.device, b.device),
    ),
    expiries: expiries.sort((a, b) => byCodeUnits(a.at, b.at) || byCodeUnits(a.device, b.device)),
    validity: { at: new Date(endMs).toISOString(), certificates, byProfile },
    fromRunDb: inputs !== undefined,
  };
}

function validityOf(c: EndCertificate, endMs: number, platform: Platform | undefined): CertificateValidity {
  const nb = Date.parse(c.notBefore);
  const na = Date.parse(c.notAfter);
  const left = na - endMs;
  const life = na - nb;
  const expired = !(left > 0);
  const percentLeft = expired || !(life > 0) ? 0 : round1((left / life) * 100);
  return {
    device: c.device,
    ...(platform ? { platform } : {}),
    profile: c.profile,
    notAfter: c.notAfter,
    daysLeft: Number.isFinite(left) ? round1(left / DAY) : 0,
    percentLeft,
    ...(c.threshold !== undefined ? { threshold: c.threshold } : {}),
    belowThreshold: !expired && c.threshold !== undefined && percentLeft <= c.threshold,
    expired,
  };
}

/** The profile id and renewal threshold a delivery topic carries: `…/in/{format}/{profile}/{threshold}`. */
function topicParts(topic: string): { profileId?: string; threshold?: number } {
  const parts = topic.split('/');
  const i = parts.indexOf('in');
  if (i < 0) return {};
  const out: { profileId?: string; threshold?: number } = {};
  if (parts[i + 2] !== undefined) out.profileId = parts[i + 2]!;
  const t = Number(parts[i + 3]);
  if (parts[i + 3] !== undefined && Number.isInteger(t) && t >= 1 && t <= 99) out.threshold = t;
  return out;
}

/**
 * The PKCS certificates of a key-store snapshot with their profile: each identity (the device-management
 * identity excepted) goes to the profile whose delivered payload installed it — the payload id is the
 * store's ref (Apple PayloadIdentifier), or a node under it (Windows `…/PFXCertInstall/{id}/KeyLocation`),
 * or the ref is the profile id of the delivery topic (Android policy). An identity no delivery explains is
 * left out.
 */
export function certificatesOf(
  items: readonly StoreSnapshotItem[],
  deliveries: readonly DeliveryRecord[],
): EndCertificate[] {
  const byDevice = new Map<string, DeliveryRecord[]>();
  for (const d of deliveries) push(byDevice, d.device, d);
  const out: EndCertificate[] = [];
  for (const it of items) {
    if (it.kind !== 'identity' || it.store === 'mdm/identity') continue;
    const ds = byDevice.get(it.deviceId) ?? [];
    // the latest delivery wins (a renewal's payload), so walk them newest first
    let match: DeliveryRecord | undefined;
    for (let i = ds.length - 1; i >= 0 && !match; i--) {
      const d = ds[i]!;
      if (
        d.payload === it.ref ||
        d.payload.startsWith(`${it.ref}/`) ||
        topicParts(d.topic).profileId === it.ref
      )
        match = d;
    }
    if (!match) continue;
    const c: EndCertificate = {
      device: it.deviceId,
      profile: match.profile,
      notBefore: it.notBefore,
      notAfter: it.notAfter,
    };
    const threshold = topicParts(match.topic).threshold;
    if (threshold !== undefined) c.threshold = threshold;
    out.push(c);
  }
  return out;
}

/** Reads the {@link TimeInputs} of a run folder's run.db; undefined when the folder has none. */
export function timeInputsFromRunDb(dir: string): TimeInputs | undefined {
  if (!existsSync(runDbPath(dir))) return undefined;
  const db = RunDb.open(dir);
  try {
    return {
      deferrals: db.events('renewal-deferred'),
      certificates: certificatesOf(db.storeItems(), db.deliveries()),
    };
  } finally {
    db.close();
  }
}
