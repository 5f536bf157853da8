/**
 * The `fleet:` section of a scenario file: size, platform/kind mix, missing attributes, ramp, failure
 * injection and locked Apple devices (format: scenarios/README.md).
 */
import { ATTRIBUTE_NAMES, type AttributeName, type Ownership } from '../../agent/device/device.ts';
import { modelsOf } from '../../agent/device/hardware-catalog.ts';
import { OS_RELEASES } from '../../agent/device/os-versions.ts';
import {
  ALL_ENROLLMENT_KINDS,
  ENROLLMENT_KINDS,
  PLATFORMS,
  isEnrollmentKindOf,
  type EnrollmentKind,
  type Platform,
} from '../../profiles/model/platform.ts';
import { child, quoted, type At, type Checker } from './checker.ts';
import type { MapNode } from './yaml-tree.ts';
import { DURATION_UNITS } from './durations.ts';
import { mixCandidates } from './mix-candidates.ts';
import { suggestion } from './suggest.ts';
import type { FailureSpec, FleetSpec, LockedAppleSpec, MixEntry, OsVersionChoice } from './types.ts';
import { parseVersionFilter } from './versions.ts';

/** Most devices one scenario may describe. */
export const MAX_DEVICES = 1_000_000;

/** The mix used when a scenario gives none: the device generator's own platform weights, kinds drawn. */
export const DEFAULT_MIX: readonly Pick<MixEntry, 'platform' | 'weight'>[] = [
  { platform: 'windows', weight: 40 },
  { platform: 'ios', weight: 25 },
  { platform: 'android', weight: 25 },
  { platform: 'macos', weight: 10 },
];

const FLEET_KEYS = [
  'devices',
  'mix',
  'missing',
  'ramp',
  'failures',
  'lockedApple',
  'cloudOnlyUsers',
] as const;
const MIX_KEYS = [
  'platform',
  'kind',
  'weight',
  'osVersions',
  'enrolledOsVersions',
  'models',
  'ownership',
  'cellular',
  'tpm',
  'windowsHello',
  'supervised',
  'locked',
  'tags',
] as const;
const OWNERSHIPS: readonly Ownership[] = ['corporate', 'personal'];
const TAG = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Reads `fleet:`; undefined when it has problems (all of them recorded in `c`). */
export function readFleet(c: Checker, at: At | undefined, rootPos: At): FleetSpec | undefined {
  if (at === undefined) {
    c.add(rootPos.node.pos, 'fleet', 'is required (at least `fleet: {devices: N}`)');
    return undefined;
  }
  const map = c.map(at);
  if (map === undefined) return undefined;
  const before = c.problems.length;
  c.keys(map, FLEET_KEYS, ['devices']);
  const devices = c.number(c.get(map, 'devices'), 1, MAX_DEVICES, true);
  const mixAt = c.get(map, 'mix');
  const mix =
    mixAt === undefined
      ? DEFAULT_MIX.map((m) => ({ ...m, tags: [], line: map.node.pos.line }))
      : readMix(c, mixAt);
  const missing = readMissing(c, c.get(map, 'missing'));
  const rampAt = c.get(map, 'ramp');
  const rampMs = rampAt === undefined ? 0 : c.duration(rampAt);
  const failures = readFailures(c, c.get(map, 'failures'));
  const lockedApple = readLocked(c, c.get(map, 'lockedApple'));
  const cloudOnlyAt = c.get(map, 'cloudOnlyUsers');
  const cloudOnlyUsers = cloudOnlyAt === undefined ? undefined : c.probability(cloudOnlyAt);
  if (c.problems.length > before) return undefined;
  return {
    devices: devices!,
    mix: mix!,
    missing: missing!,
    rampMs: rampMs!,
    failures: failures!,
    lockedApple: lockedApple!,
    ...(cloudOnlyUsers !== undefined && { cloudOnlyUsers }),
  };
}

function readMix(c: Checker, at: At): MixEntry[] | undefined {
  const items = c.list(at);
  if (items === undefined) return undefined;
  if (items.length === 0) return c.add(at.node.pos, at.path, 'must list at least one platform');
  const out: MixEntry[] = [];
  for (const item of items) {
    const e = readMixEntry(c, item);
    if (e !== undefined) out.push(e);
  }
  return out.length === items.length ? out : undefined;
}

function readMixEntry(c: Checker, at: At): MixEntry | undefined {
  const map = c.map(at, 'a map such as {platform: ios, kind: device, weight: 10}');
  if (map === undefined) return undefined;
  const before = c.problems.length;
  c.keys(map, MIX_KEYS, ['platform']);
  const platform = c.oneOf<Platform>(c.get(map, 'platform'), PLATFORMS, 'platform');
  const kindAt = c.get(map, 'kind');
  let kind: EnrollmentKind | undefined;
  if (kindAt !== undefined && platform !== undefined) kind = readKindOf(c, kindAt, platform);
  const weightAt = c.get(map, 'weight');
  const weight = weightAt === undefined ? 1 : c.number(weightAt, 0, 1e9);
  if (weight === 0 && weightAt !== undefined)
    c.add(weightAt.node.pos, weightAt.path, 'must be greater than 0');
  const ownershipAt = c.get(map, 'ownership');
  const ownership = ownershipAt && c.oneOf(ownershipAt, OWNERSHIPS, 'ownership');
  const tags = readTags(c, c.get(map, 'tags')) ?? [];
  const cellularAt = c.get(map, 'cellular');
  const cellular = c.share(cellularAt);
  const tpmAt = c.get(map, 'tpm');
  const tpm = c.share(tpmAt);
  if (tpmAt !== undefined && platform !== undefined && platform !== 'windows')
    c.add(tpmAt.node.pos, tpmAt.path, `applies to Windows devices only, not ${platform}`);
  const helloAt = c.get(map, 'windowsHello');
  const windowsHello = c.share(helloAt);
  if (helloAt !== undefined && platform !== undefined && platform !== 'windows')
    c.add(helloAt.node.pos, helloAt.path, `applies to Windows devices only, not ${platform}`);
  const supervisedAt = c.get(map, 'supervised');
  const supervised = c.share(supervisedAt);
  if (supervisedAt !== undefined && !((platform === 'ios' || platform === 'macos') && kind === 'device'))
    c.add(
      supervisedAt.node.pos,
      supervisedAt.path,
      'applies to Apple devices in device enrollment only (platform ios or macos, kind device)',
    );
  const lockedAt = c.get(map, 'locked');
  const locked = c.share(lockedAt);
  if (lockedAt !== undefined && platform !== undefined && platform !== 'ios' && platform !== 'macos')
    c.add(lockedAt.node.pos, lockedAt.path, `applies to Apple devices only (ios, macos), not ${platform}`);
  const models = platform === undefined ? undefined : readModels(c, c.get(map, 'models'), platform);
  const osAt = c.get(map, 'osVersions');
  const osVersions = platform === undefined ? undefined : readVersions(c, osAt, platform);
  const enrolledAt = c.get(map, 'enrolledOsVersions');
  let enrolledOsVersions: OsVersionChoice | undefined;
  if (enrolledAt !== undefined && platform !== undefined) {
    if (platform !== 'android')
      c.add(
        enrolledAt.node.pos,
        enrolledAt.path,
        'applies to Android only (elsewhere it is the current OS version)',
      );
    else enrolledOsVersions = readVersions(c, enrolledAt, platform);
  }
  // Whether any device fits is checked from the keys that choose the devices as soon as those read cleanly,
  // also when other keys of the entry have problems (one pass, issue 13 point 5).
  const choosing = /\.(platform|kind|models|osVersions|enrolledOsVersions|cellular)(\[|\.|$)/;
  const choosable = platform !== undefined && !c.problems.slice(before).some((p) => choosing.test(p.path));
  const ok = c.problems.length === before && platform !== undefined && weight !== undefined;
  if (!ok && !choosable) return undefined;
  const entry: MixEntry = {
    platform: platform!,
    ...(kind !== undefined && { kind }),
    weight: weight ?? 1,
    ...(osVersions !== undefined && { osVersions }),
    ...(enrolledOsVersions !== undefined && { enrolledOsVersions }),
    ...(models !== undefined && { models }),
    ...(ownership !== undefined && { ownership }),
    ...(cellular !== undefined && { cellular }),
    ...(tpm !== undefined && { tpm }),
    ...(windowsHello !== undefined && { windowsHello }),
    ...(supervised !== undefined && { supervised }),
    ...(locked !== undefined && { locked }),
    tags,
    line: map.node.pos.line,
  };
  const cellularNeed =
    cellular === true || (typeof cellular === 'number' && cellular >= 1)
      ? true
      : cellular === false || cellular === 0
        ? false
        : undefined;
  if (mixCandidates(entry, cellularNeed).length === 0) {
    const what = [
      models !== undefined ? `models ${models.join(', ')}` : `any ${platform} model`,
      cellularNeed === true
        ? 'with a cellular modem'
        : cellularNeed === false
          ? 'without a cellular modem'
          : undefined,
      osVersions !== undefined ? `running ${describeChoice(osVersions)}` : undefined,
      enrolledOsVersions !== undefined ? `enrolled on ${describeChoice(enrolledOsVersions)}` : undefined,
    ]
      .filter((s) => s !== undefined)
      .join(' ');
    return c.add(
      map.node.pos,
      map.path,
      `no device fits: ${what} (see the models and OS versions in scenarios/README.md)`,
    );
  }
  return ok ? entry : undefined;
}

function describeChoice(choice: OsVersionChoice): string {
  return choice.type === 'list' ? choice.versions.join(' or ') : choice.filter.text;
}

/** An enrollment kind of `platform`, with a hint when it belongs to another platform. */
export function readKindOf(c: Checker, at: At, platform: Platform): EnrollmentKind | undefined {
  const v = c.scalar(at, 'an enrollment kind');
  if (v === undefined) return undefined;
  if (isEnrollmentKindOf(platform, v)) return v;
  const kinds = ENROLLMENT_KINDS[platform];
  const elsewhere = (ALL_ENROLLMENT_KINDS as readonly unknown[]).includes(v);
  return c.add(
    at.node.pos,
    at.path,
    elsewhere
      ? `'${String(v)}' is not an enrollment kind of ${platform}: use one of ${kinds.join(', ')}`
      : `unknown enrollment kind '${String(v)}'${suggestion(String(v), kinds)}`,
  );
}

function readTags(c: Checker, at: At | undefined): string[] | undefined {
  const items = c.list(at, true);
  if (items === undefined) return undefined;
  const out: string[] = [];
  for (const i of items) {
    const s = c.string(i, true);
    if (s === undefined) continue;
    if (!TAG.test(s)) c.add(i.node.pos, i.path, `'${s}' is not a tag: use letters, digits, _ . -`);
    else out.push(s);
  }
  return out.length === items.length ? out : undefined;
}

function readModels(c: Checker, at: At | undefined, platform: Platform): string[] | undefined {
  const items = c.list(at, true);
  if (items === undefined) return undefined;
  const known = modelsOf(platform).map((m) => m.id);
  const out: string[] = [];
  for (const i of items) {
    const s = c.string(i);
    if (s === undefined) continue;
    if (!known.includes(s))
      c.add(
        i.node.pos,
        i.path,
        `'${s}' is not a ${platform} model certfleet knows${suggestion(s, known, 40)}`,
      );
    else out.push(s);
  }
  return out.length === items.length && out.length > 0 ? out : undefined;
}

function readVersions(c: Checker, at: At | undefined, platform: Platform): OsVersionChoice | undefined {
  if (at === undefined) return undefined;
  const known = [...new Set(OS_RELEASES[platform].map((r) => r.version))];
  if (at.node.type === 'seq') {
    const items = c.list(at) ?? [];
    const versions: string[] = [];
    for (const i of items) {
      const s = c.string(i, true);
      if (s === undefined) continue;
      if (/^\d+(\.\d+)*$/.test(s)) versions.push(s);
      else if (parseVersionFilter(s) !== undefined) {
        // `osVersions: ['>=12']`: a filter written as a list item; the filter is the value itself
        const key = /[A-Za-z]+$/.exec(at.path)?.[0] ?? 'osVersions';
        c.add(
          i.node.pos,
          i.path,
          `'${quoted(s)}' is a version filter, not a version: a filter is written alone, without the list (${key}: '${quoted(s.trim())}'); a list takes exact versions such as [${known.slice(0, 2).join(', ')}]`,
        );
      } else c.add(i.node.pos, i.path, `'${quoted(s)}' is not a version such as ${known[0]}`);
    }
    if (items.length === 0) return c.add(at.node.pos, at.path, 'must list at least one version');
    return versions.length === items.length ? { type: 'list', versions } : undefined;
  }
  const v = c.scalar(at, 'a version filter such as ">=12" or a list of versions');
  if (v === undefined) return undefined;
  const filter = parseVersionFilter(typeof v === 'number' || typeof v === 'string' ? v : '');
  if (filter === undefined) {
    return c.add(
      at.node.pos,
      at.path,
      `'${String(v)}' is not a version filter: write e.g. ">=12", "<17", "14", or a list [13, 14]`,
    );
  }
  return { type: 'filter', filter };
}

function readMissing(c: Checker, at: At | undefined): Partial<Record<AttributeName, number>> | undefined {
  if (at === undefined) return {};
  const map = c.map(at, 'a map of attribute → share, e.g. {imei: 0.1}');
  if (map === undefined) return undefined;
  c.keys(map, ATTRIBUTE_NAMES);
  const out: Partial<Record<AttributeName, number>> = {};
  let ok = true;
  for (const e of map.node.entries) {
    if (!(ATTRIBUTE_NAMES as readonly string[]).includes(e.key)) {
      ok = false;
      continue;
    }
    const p = c.probability({ node: e.value, path: child(map.path, e.key) });
    if (p === undefined) ok = false;
    else out[e.key as AttributeName] = p;
  }
  return ok ? out : undefined;
}

function probabilityAnd(
  c: Checker,
  at: At | undefined,
  extra: string,
  dfltMs: number,
  extraKeys: readonly string[] = [],
): { probability: number; ms: number; map?: At<MapNode> } | undefined {
  if (at === undefined) return { probability: 0, ms: dfltMs };
  if (at.node.type === 'scalar') {
    const p = c.probability(at);
    return p === undefined ? undefined : { probability: p, ms: dfltMs };
  }
  const map = c.map(at, `a share from 0 to 1 or {probability, ${extra}}`);
  if (map === undefined) return undefined;
  c.keys(map, ['probability', extra, ...extraKeys], ['probability']);
  const probability = c.probability(c.get(map, 'probability'));
  const extraAt = c.get(map, extra);
  const ms = extraAt === undefined ? dfltMs : c.duration(extraAt, 1);
  if (probability === undefined || ms === undefined) return undefined;
  return { probability, ms, map };
}

function readFailures(c: Checker, at: At | undefined): FailureSpec | undefined {
  const none: FailureSpec = {
    offline: { probability: 0, durationMs: DURATION_UNITS.d, times: 1 },
    connectorDown: { probability: 0, durationMs: DURATION_UNITS.h },
    slowDevice: { probability: 0, delayMs: 30 * DURATION_UNITS.s },
  };
  if (at === undefined) return none;
  const map = c.map(at, 'a map with offline, connectorDown, slowDevice');
  if (map === undefined) return undefined;
  c.keys(map, ['offline', 'connectorDown', 'slowDevice']);
  const offline = probabilityAnd(c, c.get(map, 'offline'), 'duration', none.offline.durationMs, ['times']);
  const timesAt = offline?.map && c.get(offline.map, 'times');
  const times = timesAt === undefined ? 1 : c.number(timesAt, 1, 100, true);
  const down = probabilityAnd(c, c.get(map, 'connectorDown'), 'duration', none.connectorDown.durationMs);
  const slow = probabilityAnd(c, c.get(map, 'slowDevice'), 'delay', none.slowDevice.delayMs);
  if (offline === undefined || down === undefined || slow === undefined || times === undefined)
    return undefined;
  return {
    offline: { probability: offline.probability, durationMs: offline.ms, times },
    connectorDown: { probability: down.probability, durationMs: down.ms },
    slowDevice: { probability: slow.probability, delayMs: slow.ms },
  };
}

function readLocked(c: Checker, at: At | undefined): LockedAppleSpec | undefined {
  const dflt = 2 * DURATION_UNITS.d;
  if (at === undefined) return { share: 0, unlockAfterMs: dflt };
  if (at.node.type === 'scalar') {
    const share = c.probability(at);
    return share === undefined ? undefined : { share, unlockAfterMs: dflt };
  }
  const map = c.map(at, 'a share from 0 to 1 or {share, unlockAfter}');
  if (map === undefined) return undefined;
  c.keys(map, ['share', 'unlockAfter'], ['share']);
  const share = c.probability(c.get(map, 'share'));
  const afterAt = c.get(map, 'unlockAfter');
  const unlockAfterMs = afterAt === undefined ? dflt : c.duration(afterAt);
  return share === undefined || unlockAfterMs === undefined ? undefined : { share, unlockAfterMs };
}
