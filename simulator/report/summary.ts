/**
 * The figures every report shows, computed once from a {@link RunResult}: counts per platform × profile
 * (installed / failed by code / pending / skipped / renewed), per platform (devices, enrolled) and the
 * failures grouped by code and cause — for a missing variable, the attribute and why the device lacks it
 * (the platform, the enrollment kind, the OS version, the hardware, or the scenario's own `fleet.missing`)
 * — each with its count, share and one example device. Pure and deterministic: the order of rows depends
 * only on the data (platforms in {@link PLATFORMS} order, profiles and codes by name), never on the order
 * in which outcomes arrived.
 */
import { PLATFORMS, type EnrollmentKind, type Platform } from '../../profiles/model/platform.ts';
import { attributeFor, lookupVariable } from '../../profiles/variables/catalogue.ts';
import type { AbsenceReason, AttributeName } from '../../profiles/variables/facts.ts';
import {
  trustOf,
  type AbsenceSource,
  type DeviceProfileOutcome,
  type DeviceSummary,
  type RunResult,
} from '../run-model.ts';

/** Outcome counts for one group of device × profile outcomes. */
export interface OutcomeCounts {
  /** Device × profile outcomes in the group. */
  total: number;
  installed: number;
  /** Profiles that do not apply to the device (run status `not-applicable`, issue 12 point 4). */
  notApplicable: number;
  /** Of `installed`, the outcomes installed but not trusted (chain to no installed root; run-model trustOf). */
  untrusted: number;
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

/** Why a group of failures failed, beyond its code. */
export interface FailureCause {
  /**
   * Stable key of the cause within its code and profile: `{{IMEI}}|imei|no-cellular` for a missing
   * variable (variable, attribute, availability rule or `fleet.missing.<attribute>`), `message|<text>` else.
   */
  key: string;
  /** In words: `{{IMEI}} (IMEI): no cellular modem (a Wi-Fi-only model)`. */
  text: string;
  /** VARIABLE_MISSING: the variable as the profile writes it, and the attribute behind it. */
  variable?: string;
  attribute?: AttributeName;
  /** Why the attribute is absent: the device's reason, where it comes from, and the rule. */
  reason?: AbsenceReason;
  source?: AbsenceSource | 'restriction';
  rule?: string;
}

/** One failure reason: a code and a cause on a profile, how often, where, and one example. */
export interface FailureReason {
  code: string;
  profile: string;
  cause: FailureCause;
  count: number;
  /** Device × profile rows of the profile in the run (what `share` is a share of). */
  of: number;
  /** count / of. */
  share: number;
  /** Failed outcomes per `platform/kind`, keys sorted. */
  where: Record<string, number>;
  /** The first failing device by id (deterministic), with its message. */
  example: { device: string; platform: Platform; kind: EnrollmentKind; osVersion?: string; message: string };
}

/** The summary of a run (report.json `summary`). */
export interface RunSummary {
  devices: number;
  enrolled: number;
  /**
   * Devices the run never reached (issue 10 point 2): never enrolled (`DEVICE_NEVER_ENROLLED` rows) and
   * enrolled but never answered (`DEVICE_NO_ANSWER` rows).
   */
  unreached: { neverEnrolled: number; noAnswer: number };
  totals: OutcomeCounts;
  byPlatform: PlatformCounts[];
  byPlatformProfile: PlatformProfileCounts[];
  /** Failures grouped by code, profile and cause, most frequent first (ties: code, profile, cause). */
  failureReasons: FailureReason[];
  expectations: { total: number; held: number; broken: number };
  /** True when every expectation held (the run's exit code is 0 only then). */
  passed: boolean;
}

/** How many devices have at least one row with `code`. */
function devicesWithCode(result: RunResult, code: string): number {
  return new Set(result.outcomes.filter((o) => o.code === code).map((o) => o.device)).size;
}

/** The devices clause of a summary line: `61 enrolled` (+ `, 39 never enrolled, 2 never answered`). */
export function enrolledText(s: Pick<RunSummary, 'enrolled' | 'unreached'>): string {
  const parts = [`${s.enrolled} enrolled`];
  if (s.unreached.neverEnrolled > 0) parts.push(`${s.unreached.neverEnrolled} never enrolled`);
  if (s.unreached.noAnswer > 0) parts.push(`${s.unreached.noAnswer} never answered`);
  return parts.join(', ');
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
    untrusted: 0,
    notApplicable: 0,
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
  if (o.status === 'not-applicable') c.notApplicable += 1;
  else c[o.status] += 1;
  if (trustOf(o) === false) c.untrusted += 1;
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

const GUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const LONG_HEX = /\b[0-9a-f]{12,}\b/gi;

/** The first sentence of a message with its identifiers (GUIDs, long hex) masked: a cause, not a device. */
function messageCause(message: string): string {
  const masked = message.replace(GUID, '…').replace(LONG_HEX, '…');
  const first = /^[\s\S]*?[.!?](?=\s|$)/.exec(masked)?.[0] ?? masked;
  return (first.length > 240 ? `${first.slice(0, 239)}…` : first).replace(/\s+/g, ' ').trim();
}

const VARIABLE_IN_MESSAGE = /\buses (\{\{[^{}]+\}\})/;

/**
 * The cause of one failed outcome: for VARIABLE_MISSING, the variable, the attribute behind it and why
 * the device lacks it (its `absent` causes, simulator/scenario/absence-causes.ts); for other codes the
 * message itself, identifiers masked. Where several causes hold, the device's cause is the decisive one of
 * the precedence rule in profiles/variables/absence-policy.ts, the rule the resolver explains the row by:
 * a group's cause is the one each of its rows' messages gives.
 */
export function failureCauseOf(o: DeviceProfileOutcome, device: DeviceSummary | undefined): FailureCause {
  const variable = o.code === 'VARIABLE_MISSING' ? VARIABLE_IN_MESSAGE.exec(o.message)?.[1] : undefined;
  if (variable !== undefined) {
    const spec = lookupVariable(variable.slice(2, -2));
    const candidates = spec ? [...new Set([attributeFor(spec, 'user'), attributeFor(spec, 'device')])] : [];
    const attribute = candidates.find((a) => device?.absent?.[a] !== undefined) ?? candidates[0];
    const absence = attribute === undefined ? undefined : device?.absent?.[attribute];
    if (attribute !== undefined && absence !== undefined) {
      return {
        key: `${variable}|${attribute}|${absence.rule}`,
        text: `${variable} (${attribute}): ${absence.text}`,
        variable,
        attribute,
        reason: absence.reason,
        source: absence.source,
        rule: absence.rule,
      };
    }
    // the device has the attribute, yet Intune does not fill the variable there: a documented restriction
    return {
      key: `${variable}|${attribute ?? ''}|restriction|${o.platform}/${o.kind}`,
      text: `${variable}: not filled on ${o.platform}/${o.kind} devices (a documented restriction)`,
      variable,
      ...(attribute !== undefined && { attribute }),
      source: 'restriction',
    };
  }
  const text = messageCause(o.message);
  return { key: `message|${text}`, text };
}

/** Summarises a run: see {@link RunSummary}. */
export function summarize(result: RunResult): RunSummary {
  const totals = emptyCounts();
  const platforms = new Map<Platform, PlatformCounts>();
  const cells = new Map<string, PlatformProfileCounts>();
  const reasons = new Map<string, FailureReason>();
  const deviceOf = new Map(result.devicesList.map((d) => [d.id, d]));
  const rowsOfProfile = new Map<string, number>();
  for (const o of result.outcomes) rowsOfProfile.set(o.profile, (rowsOfProfile.get(o.profile) ?? 0) + 1);
  const exampleOf = (o: DeviceProfileOutcome): FailureReason['example'] => {
    const os = deviceOf.get(o.device)?.osVersion;
    return {
      device: o.device,
      platform: o.platform,
      kind: o.kind,
      ...(os !== undefined && { osVersion: os }),
      message: o.message,
    };
  };

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
      const cause = failureCauseOf(o, deviceOf.get(o.device));
      const rkey = `${o.code}\u0000${o.profile}\u0000${cause.key}`;
      let r = reasons.get(rkey);
      if (!r) {
        const of = rowsOfProfile.get(o.profile) ?? 0;
        r = {
          code: o.code,
          profile: o.profile,
          cause,
          count: 0,
          of,
          share: 0,
          where: {},
          example: exampleOf(o),
        };
        reasons.set(rkey, r);
      }
      r.count += 1;
      r.share = r.of === 0 ? 0 : r.count / r.of;
      const w = `${o.platform}/${o.kind}`;
      r.where[w] = (r.where[w] ?? 0) + 1;
      if (byCodeUnits(o.device, r.example.device) < 0) r.example = exampleOf(o);
    }
  }

  const held = result.expectations.filter((e) => e.held).length;
  return {
    devices: result.devices,
    enrolled: result.devicesList.filter((d) => d.enrolled).length,
    unreached: {
      neverEnrolled: devicesWithCode(result, 'DEVICE_NEVER_ENROLLED'),
      noAnswer: devicesWithCode(result, 'DEVICE_NO_ANSWER'),
    },
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
      .sort(
        (a, b) =>
          b.count - a.count ||
          byCodeUnits(a.code, b.code) ||
          byCodeUnits(a.profile, b.profile) ||
          byCodeUnits(a.cause.key, b.cause.key),
      )
      .map((r) => ({ ...r, where: sortKeys(r.where) })),
    expectations: { total: result.expectations.length, held, broken: result.expectations.length - held },
    // an interrupted run never passes: what it did not get to do was not checked (issue 10 point 7)
    passed: held === result.expectations.length && result.interrupted === undefined,
  };
}
