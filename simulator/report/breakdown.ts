/**
 * The per-platform × enrollment-kind breakdown of a run (issue 13 point 6): for each platform and kind, its
 * devices (enrolled), its device × profile outcomes and the share of them installed, failed, pending and
 * skipped, in percent. Rows in platform order, then by kind; pure and deterministic.
 */
import { PLATFORMS, type EnrollmentKind, type Platform } from '../../profiles/model/platform.ts';
import { trustOf, type RunResult, type RunStatus } from '../run-model.ts';
import { byCodeUnits } from './summary.ts';

/** One platform × kind. */
export interface PlatformKindRow {
  platform: Platform;
  kind: EnrollmentKind;
  devices: number;
  enrolled: number;
  /** Device × profile outcomes. */
  outcomes: number;
  installed: number;
  /** Of `installed`, installed but not trusted (issue 12 point 4). */
  untrusted: number;
  /** Profiles that do not apply to the device (run status `not-applicable`). */
  notApplicable: number;
  failed: number;
  pending: number;
  skipped: number;
  /** Each status as a percentage of `outcomes`, one decimal (0 when there are none). */
  percent: Record<RunStatus, number>;
  /** Failed outcomes per code, keys sorted. */
  failedByCode: Record<string, number>;
}

const STATUSES: readonly RunStatus[] = ['installed', 'failed', 'pending', 'skipped', 'not-applicable'];

/** The row's count of a status. */
function countKey(s: RunStatus): 'installed' | 'failed' | 'pending' | 'skipped' | 'notApplicable' {
  return s === 'not-applicable' ? 'notApplicable' : s;
}

/** A share in percent with one decimal. */
export function percentOf(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0;
}

/** The breakdown of `result` per platform × enrollment kind. */
export function platformKindBreakdown(result: RunResult): PlatformKindRow[] {
  const rows = new Map<string, PlatformKindRow>();
  const rowOf = (platform: Platform, kind: EnrollmentKind): PlatformKindRow => {
    const key = `${platform}\u0000${kind}`;
    let r = rows.get(key);
    if (!r) {
      r = {
        platform,
        kind,
        devices: 0,
        enrolled: 0,
        outcomes: 0,
        installed: 0,
        untrusted: 0,
        notApplicable: 0,
        failed: 0,
        pending: 0,
        skipped: 0,
        percent: { installed: 0, failed: 0, pending: 0, skipped: 0, 'not-applicable': 0 },
        failedByCode: {},
      };
      rows.set(key, r);
    }
    return r;
  };
  for (const d of result.devicesList) {
    const r = rowOf(d.platform, d.kind);
    r.devices += 1;
    if (d.enrolled) r.enrolled += 1;
  }
  for (const o of result.outcomes) {
    const r = rowOf(o.platform, o.kind);
    r.outcomes += 1;
    r[countKey(o.status)] += 1;
    if (trustOf(o) === false) r.untrusted += 1;
    if (o.status === 'failed') r.failedByCode[o.code] = (r.failedByCode[o.code] ?? 0) + 1;
  }
  const rank = (p: Platform): number => {
    const i = PLATFORMS.indexOf(p);
    return i < 0 ? PLATFORMS.length : i;
  };
  return [...rows.values()]
    .sort(
      (a, b) =>
        rank(a.platform) - rank(b.platform) ||
        byCodeUnits(a.platform, b.platform) ||
        byCodeUnits(a.kind, b.kind),
    )
    .map((r) => ({
      ...r,
      percent: Object.fromEntries(STATUSES.map((s) => [s, percentOf(r[countKey(s)], r.outcomes)])) as Record<
        RunStatus,
        number
      >,
      failedByCode: Object.fromEntries(Object.entries(r.failedByCode).sort(([a], [b]) => byCodeUnits(a, b))),
    }));
}
