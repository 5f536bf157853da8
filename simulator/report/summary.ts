/**
 * The figures every report shows, computed once from a {@link RunResult}: counts per platform × profile
 * (installed / failed by code / pending / skipped / renewed), per platform (devices, enrolled) and the top
 * failure reasons with one example device each. Pure and deterministic: the order of rows depends only on
 * the data (platforms in {@link PLATFORMS} order, profiles and codes by name), never on the order in which
 * outcomes arrived.
 */
import { PLATFORMS, type EnrollmentKind, type Platform } from '../../profiles/model/platform.ts';
import type { DeviceProfileOutcome, RunResult } from '../run-model.ts';

/** Outcome counts for one group of device × profile outcomes. */
export interface OutcomeCounts {
  /** Device × profile outcomes in the group. */
  total: number;
  installed: number;
  failed: number;
  pending: number;
  skipped: number;
  /** Outcomes whose certificate renewed at least once during the run. */
  renewed: number;
  /** Renewals in all (an outcome may renew more than once over a long run). */
  renewals: number;
  /** Failed outcomes per code, keys sorted. */
  failedByCode: Record<string, number>;
}

/** Counts for one platform × profile. */
export interface PlatformProfileCounts extends OutcomeCounts {
  platform: Platform;
  profile: string;
}

/** Counts for one platform: its devices and all its outcomes. */
export interface PlatformCounts extends OutcomeCounts {
  platform: Platform;
  /** Devices of this platform in the fleet. */
  devices: number;
  /** Of which enrolled (received a management certificate). */
  enrolled: number;
}

/** One failure reason: a code on a profile, how often, where, and one example. */
export interface FailureReason {
  code: string;
  profile: string;
  count: number;
  /** Failed outcomes per `platform/kind`, keys sorted. */
  where: Record<string, number>;
  /** The first failing device by id (deterministic), with its message. */
  example: { device: string; platform: Platform; kind: EnrollmentKind; message: string };
}

/** The summary of a run (report.json `summary`). */
export interface RunSummary {
  devices: number;
  enrolled: number;
  totals: OutcomeCounts;
  byPlatform: PlatformCounts[];
  byPlatformProfile: PlatformProfileCounts[];
  /** Failure reasons, most frequent first (ties: code, then profile). */
  failureReasons: FailureReason[];
  expectations: { total: number; held: number; broken: number };
  /** True when every expectation held (the run's exit code is 0 only then). */
  passed: boolean;
}

/** Compares strings by UTF-16 code units: the same order on every machine and locale. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function platformRank(p: Platform): number {
  const i = PLATFORMS.indexOf(p);
  return i < 0 ? PLATFORMS.length : i;
}

function emptyCounts(): OutcomeCounts {
  return {
    total: 0,
    installed: 0,
    failed: 0,
    pending: 0,
    skipped: 0,
    renewed: 0,
    renewals: 0,
    failedByCode: {},
  };
}

function add(c: OutcomeCounts, o: DeviceProfileOutcome): void {
  c.total += 1;
  c[o.status] += 1;
  if (o.status === 'failed') c.failedByCode[o.code] = (c.failedByCode[o.code] ?? 0) + 1;
  if (o.renewals > 0) {
    c.renewed += 1;
    c.renewals += o.renewals;
  }
}

function sortKeys(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => byCodeUnits(a, b)));
}

function finish<T extends OutcomeCounts>(c: T): T {
  c.failedByCode = sortKeys(c.failedByCode);
  return c;
}

/** Summarises a run: see {@link RunSummary}. */
export function summarize(result: RunResult): RunSummary {
  const totals = emptyCounts();
  const platforms = new Map<Platform, PlatformCounts>();
  const cells = new Map<string, PlatformProfileCounts>();
  const reasons = new Map<string, FailureReason>();

  const platformOf = (p: Platform): PlatformCounts => {
    let c = platforms.get(p);
    if (!c) {
      c = { platform: p, devices: 0, enrolled: 0, ...emptyCounts() };
      platforms.set(p, c);
    }
    return c;
  };

  for (const d of result.devicesList) {
    const c = platformOf(d.platform);
    c.devices += 1;
    if (d.enrolled) c.enrolled += 1;
  }

  for (const o of result.outcomes) {
    add(totals, o);
    add(platformOf(o.platform), o);
    const key = `${o.platform}\u0000${o.profile}`;
    let cell = cells.get(key);
    if (!cell) {
      cell = { platform: o.platform, profile: o.profile, ...emptyCounts() };
      cells.set(key, cell);
    }
    add(cell, o);

    if (o.status === 'failed') {
      const rkey = `${o.code}\u0000${o.profile}`;
      let r = reasons.get(rkey);
      if (!r) {
        r = {
          code: o.code,
          profile: o.profile,
          count: 0,
          where: {},
          example: { device: o.device, platform: o.platform, kind: o.kind, message: o.message },
        };
        reasons.set(rkey, r);
      }
      r.count += 1;
      const w = `${o.platform}/${o.kind}`;
      r.where[w] = (r.where[w] ?? 0) + 1;
      if (byCodeUnits(o.device, r.example.device) < 0) {
        r.example = { device: o.device, platform: o.platform, kind: o.kind, message: o.message };
      }
    }
  }

  const held = result.expectations.filter((e) => e.held).length;
  return {
    devices: result.devices,
    enrolled: result.devicesList.filter((d) => d.enrolled).length,
    totals: finish(totals),
    byPlatform: [...platforms.values()]
      .sort(
        (a, b) => platformRank(a.platform) - platformRank(b.platform) || byCodeUnits(a.platform, b.platform),
      )
      .map(finish),
    byPlatformProfile: [...cells.values()]
      .sort(
        (a, b) =>
          platformRank(a.platform) - platformRank(b.platform) ||
          byCodeUnits(a.platform, b.platform) ||
          byCodeUnits(a.profile, b.profile),
      )
      .map(finish),
    failureReasons: [...reasons.values()]
      .sort((a, b) => b.count - a.count || byCodeUnits(a.code, b.code) || byCodeUnits(a.profile, b.profile))
      .map((r) => ({ ...r, where: sortKeys(r.where) })),
    expectations: { total: result.expectations.length, held, broken: result.expectations.length - held },
    passed: held === result.expectations.length,
  };
}
