/**
 * The `enrollmentRestrictions:` section: the tenant's enrollment restrictions, as the MDM service checks
 * them (simulator/service/mdm/enrollment-restrictions.ts, modelled on Intune's device platform and device
 * limit restrictions). Every field is optional; an absent section allows everything.
 *
 * ```yaml
 * enrollmentRestrictions:
 *   blockedPlatforms: [android]          # ENROLL_PLATFORM_BLOCKED
 *   blockedKinds: [device-admin]         # ENROLL_PLATFORM_BLOCKED
 *   blockPersonal: [ios]                 # ENROLL_PLATFORM_BLOCKED (personally owned only)
 *   minOsVersion: { windows: 10.0.19045, ios: '17' }   # ENROLL_OS_TOO_OLD
 *   deviceLimit: 5                       # ENROLL_DEVICE_LIMIT (devices per user, 1–15 as in Intune)
 * ```
 */
import {
  ALL_ENROLLMENT_KINDS,
  PLATFORMS,
  type EnrollmentKind,
  type Platform,
} from '../../profiles/model/platform.ts';
import type { EnrollmentRestrictions } from '../service/mdm/enrollment-restrictions.ts';
import { child, type At, type Checker } from './checker.ts';

const KEYS = ['blockedPlatforms', 'blockedKinds', 'blockPersonal', 'minOsVersion', 'deviceLimit'] as const;
/** Intune's device limit restriction allows 1 to 15 devices per user. */
export const MAX_DEVICE_LIMIT = 15;

/** Reads `enrollmentRestrictions:` (default: none). */
export function readRestrictions(c: Checker, at: At | undefined): EnrollmentRestrictions | undefined {
  if (at === undefined) return {};
  const map = c.map(
    at,
    'a map with blockedPlatforms, blockedKinds, blockPersonal, minOsVersion, deviceLimit',
  );
  if (map === undefined) return undefined;
  const before = c.problems.length;
  c.keys(map, KEYS);
  const out: EnrollmentRestrictions = {};
  const platforms = (key: string): Platform[] | undefined => {
    const items = c.list(c.get(map, key), true);
    if (items === undefined) return undefined;
    return items.map((i) => c.oneOf<Platform>(i, PLATFORMS, 'platform')).filter((p) => p !== undefined);
  };
  const blocked = platforms('blockedPlatforms');
  if (blocked) out.blockedPlatforms = blocked;
  const personal = platforms('blockPersonal');
  if (personal) out.blockPersonal = personal;
  const kindItems = c.list(c.get(map, 'blockedKinds'), true);
  if (kindItems) {
    out.blockedKinds = kindItems
      .map((i) => c.oneOf<EnrollmentKind>(i, ALL_ENROLLMENT_KINDS, 'enrollment kind'))
      .filter((k) => k !== undefined);
  }
  const minAt = c.map(c.get(map, 'minOsVersion'), 'a map of platform: version (e.g. {ios: "17"})');
  if (minAt) {
    c.keys(minAt, PLATFORMS);
    const min: Partial<Record<Platform, string>> = {};
    for (const p of PLATFORMS) {
      const vAt = c.get(minAt, p);
      const v = c.string(vAt, true);
      if (vAt === undefined || v === undefined) continue;
      if (!/^\d+(\.\d+)*$/.test(v)) {
        c.add(
          vAt.node.pos,
          child(minAt.path, p),
          `'${v}' is not a dotted OS version such as 17 or 10.0.19045`,
        );
        continue;
      }
      min[p] = v;
    }
    out.minOsVersion = min;
  }
  const limit = c.number(c.get(map, 'deviceLimit'), 1, MAX_DEVICE_LIMIT, true);
  if (limit !== undefined) out.deviceLimit = limit;
  return c.problems.length > before ? undefined : out;
}
