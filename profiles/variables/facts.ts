/**
 * What the resolver needs to know about one device: its platform and enrollment, the attribute values it
 * reported, and why the others are absent. The device agent fills this from its inventory.
 * Attribute sources per platform: docs/formats.md §2.6 (Windows DevDetail/DevInfo nodes), §1.5 (Apple
 * DeviceInformation), §3.4 (Android).
 */
import type { EnrollmentKind, Platform } from '../model/platform.ts';

/** The device or user attributes certificate variables read. */
export const ATTRIBUTE_NAMES = [
  'userName',
  'userPrincipalName',
  'emailAddress',
  'entraDeviceId',
  'intuneDeviceId',
  'serialNumber',
  'imei',
  'meid',
  'wifiMacAddress',
  'deviceName',
  'fullyQualifiedDomainName',
  'onPremisesDistinguishedName',
  'onPremisesSamAccountName',
  'userSid',
  'deviceSid',
  'udid',
  'department',
] as const;
/** One of {@link ATTRIBUTE_NAMES}. */
export type AttributeName = (typeof ATTRIBUTE_NAMES)[number];

/**
 * Why an attribute has no value:
 * - `not-reported` — this device has none (a Wi-Fi-only tablet has no IMEI) or did not report it (Apple User
 *   Enrollment withholds the hardware identifiers this way: absence-policy.ts)
 * - `not-on-platform` — the platform never supplies it (FQDN outside Windows, UDID outside Apple…)
 * - `android12-work-profile` — personally-owned work profile enrolled on Android 12+: no serial/IMEI/MEID (PFXDOC, SCEPDOC)
 * - `user-less` — no user is associated with the device (Android Enterprise dedicated, kiosks) (PFXDOC, SCEPDOC)
 * - `not-domain-joined` — no on-premises domain membership, so no FQDN (PFXDOC, SCEPDOC)
 * - `not-synced` — on-premises user attribute not synchronised to Entra ID by Entra Connect (SCEPDOC)
 * - `not-hybrid-joined` — a device SID exists only for Entra hybrid-joined Windows devices (SCEPDOC)
 */
export const ABSENCE_REASONS = [
  'not-reported',
  'not-on-platform',
  'android12-work-profile',
  'user-less',
  'not-domain-joined',
  'not-synced',
  'not-hybrid-joined',
] as const;
/** One of {@link ABSENCE_REASONS}. */
export type AbsenceReason = (typeof ABSENCE_REASONS)[number];

/** One device, as the resolver sees it. */
export interface DeviceFacts {
  platform: Platform;
  enrollmentKind: EnrollmentKind;
  /** Current OS version, dotted (`14`, `10.0.22631.4037`, `17.5.1`). */
  osVersion: string;
  /** OS version at enrollment, when it differs (Android 12 rule applies to devices *enrolled* on 12+). */
  enrolledOsVersion?: string;
  /** False for user-less devices (dedicated/kiosk, userless enrollment). */
  hasUser: boolean;
  /** Reported attribute values. An empty string counts as absent. */
  attributes: Partial<Record<AttributeName, string>>;
  /** Why an attribute is absent, when the device knows (otherwise `not-reported` is assumed). */
  absent: Partial<Record<AttributeName, AbsenceReason>>;
}

/** Compares dotted versions numerically (`10.0.19045` < `10.0.22631`, `9` < `12`); missing parts are 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Major version number of a dotted version string (NaN when it does not start with digits). */
export function majorVersion(version: string): number {
  const m = /^\s*(\d+)/.exec(version);
  return m?.[1] === undefined ? Number.NaN : Number(m[1]);
}
