/**
 * Why an attribute is absent when more than one cause holds at once, decided in one place for the whole
 * project. A Wi-Fi-only tablet enrolled as a personally-owned work profile on Android 13 has no IMEI for two
 * reasons (it has no modem, and Android hides the IMEI from such work profiles); a report gives one cause
 * per device, the same everywhere: the device's own absence reason (agent/device/availability.ts, which
 * `show device` prints and the failure summary groups by) and the row's message (resolve-template.ts) both
 * take the decisive cause from {@link decisiveAbsence}, and both read the enrollment policies from here.
 *
 * **The precedence rule**: the cause whose origin comes first in {@link ABSENCE_ORIGINS} wins —
 * 1. `platform`: the platform never has the attribute (a Mac has no IMEI);
 * 2. `enrollment-kind`: the enrollment withholds it (Apple User Enrollment, a user-less device, a PC not
 *    domain joined);
 * 3. `os-version`: the OS version the device enrolled on withholds it (Android 12+ personally-owned work
 *    profiles);
 * 4. `user`: the user's directory record lacks it (a cloud-only user has no on-premises attributes);
 * 5. `hardware`: the device lacks the part (no cellular modem, no Wi-Fi radio), or simply did not report it.
 * A cause higher in the list holds whatever is below it: changing the hardware would not make a value the
 * enrollment or the OS hides available, so that is the cause a QA engineer can act on. Causes of the same
 * origin keep the order they are given in (the first wins).
 */
import type { EnrollmentKind, Platform } from '../model/platform.ts';
import type { AbsenceReason, AttributeName } from './facts.ts';
import { majorVersion } from './facts.ts';

/** Where an absence comes from, the most decisive first (see the precedence rule above). */
export const ABSENCE_ORIGINS = ['platform', 'enrollment-kind', 'os-version', 'user', 'hardware'] as const;
/** One of {@link ABSENCE_ORIGINS}. */
export type AbsenceOrigin = (typeof ABSENCE_ORIGINS)[number];

/**
 * The decisive one of the causes that hold: the first of the most decisive origin; undefined when none does.
 * @example
 * decisiveAbsence([{ origin: 'hardware', id: 'no-cellular' }, { origin: 'os-version', id: 'android12-work-profile' }])
 * // → { origin: 'os-version', id: 'android12-work-profile' }
 */
export function decisiveAbsence<T extends { readonly origin: AbsenceOrigin }>(
  causes: readonly (T | undefined | false)[],
): T | undefined {
  let best: T | undefined;
  for (const c of causes) {
    if (c === undefined || c === false) continue;
    if (best === undefined || ABSENCE_ORIGINS.indexOf(c.origin) < ABSENCE_ORIGINS.indexOf(best.origin))
      best = c;
  }
  return best;
}

/**
 * The origin of an absence reason as the service reads it from an inventory. `not-reported` is the
 * device's own (its hardware, or it did not say), so it ranks last; an enrollment policy that reports
 * `not-reported` (Apple User Enrollment) is named by {@link enrollmentPolicyHiding}, not by its reason.
 */
export function originOfReason(reason: AbsenceReason): AbsenceOrigin {
  switch (reason) {
    case 'not-on-platform':
      return 'platform';
    case 'user-less':
    case 'not-domain-joined':
    case 'not-hybrid-joined':
      return 'enrollment-kind';
    case 'android12-work-profile':
      return 'os-version';
    case 'not-synced':
      return 'user';
    case 'not-reported':
      return 'hardware';
  }
}

/** What an enrollment policy looks at: known to the device and to the service alike. */
export interface PolicyView {
  readonly platform: Platform;
  readonly enrollmentKind: EnrollmentKind;
  /** OS version at enrollment (the Android 12 rule applies to devices *enrolled* on 12 or later). */
  readonly enrolledOsVersion: string;
}

/** A rule that makes attributes absent on the devices it applies to (`C`: what it looks at). */
export interface AbsenceRule<C> {
  /** Stable id, used by tests and reports. */
  readonly id: string;
  /** Where the absence comes from: decides which rule wins when several hold (the precedence rule above). */
  readonly origin: AbsenceOrigin;
  readonly attributes: readonly AttributeName[];
  /** The absence reason the device reports for them. */
  readonly reason: AbsenceReason;
  /** Why, in a sentence a QA engineer can act on. */
  readonly explanation: string;
  readonly source: string;
  readonly applies: (v: C) => boolean;
}

/** A rule of the platform's enrollment that keeps device identifiers from the MDM service. */
export interface EnrollmentPolicy extends AbsenceRule<PolicyView> {
  readonly id: 'android12-work-profile' | 'apple-user-enrollment';
}

/**
 * Android 12 and later keep the serial number, IMEI and MEID from personally-owned work profiles: PFXDOC,
 * SCEPDOC (docs/formats.md §5.1); AMAPI `HardwareInfo.enterpriseSpecificId` ("available on personally-owned
 * devices with a work profile on devices running Android 12 and above", the identifier that replaces them).
 */
export const ANDROID12_WORK_PROFILE: EnrollmentPolicy = {
  id: 'android12-work-profile',
  origin: 'os-version',
  attributes: ['serialNumber', 'imei', 'meid'],
  reason: 'android12-work-profile',
  explanation:
    'Personally-owned work profile enrolled on Android 12 or later: serial number, IMEI and MEID are not available.',
  source: 'PFXDOC, SCEPDOC (docs/formats.md §5.1); AMAPI HardwareInfo.enterpriseSpecificId',
  applies: (v) =>
    v.platform === 'android' &&
    v.enrollmentKind === 'work-profile-personal' &&
    majorVersion(v.enrolledOsVersion) >= 12,
};

/**
 * Apple User Enrollment keeps the device's hardware identifiers from the MDM service: in Apple's
 * device-management schema (ADM `mdm/commands/information.device.yaml`, docs/formats.md §1.5) the
 * DeviceInformation queries `UDID`, `SerialNumber`, `IMEI`, `MEID` and `WiFiMAC` are `userenrollment: mode:
 * forbidden` on iOS and macOS (so are `BluetoothMAC` and, on macOS, `EthernetMAC`, which certfleet does
 * not model), so a user-enrolled device answers without them.
 */
export const APPLE_USER_ENROLLMENT: EnrollmentPolicy = {
  id: 'apple-user-enrollment',
  origin: 'enrollment-kind',
  attributes: ['udid', 'serialNumber', 'imei', 'meid', 'wifiMacAddress'],
  reason: 'not-reported',
  explanation:
    'Apple User Enrollment keeps hardware identifiers (UDID, serial number, IMEI, MEID, Wi-Fi MAC address) from the MDM service.',
  source:
    'ADM information.device.yaml: UDID, SerialNumber, IMEI, MEID, WiFiMAC "userenrollment: mode: forbidden" (docs/formats.md §1.5)',
  applies: (v) => (v.platform === 'ios' || v.platform === 'macos') && v.enrollmentKind === 'user',
};

/** The enrollment policies, in the order they are checked. */
export const ENROLLMENT_POLICIES: readonly EnrollmentPolicy[] = [
  ANDROID12_WORK_PROFILE,
  APPLE_USER_ENROLLMENT,
];

/** The enrollment policy that keeps `attribute` from the MDM service on this device, if any. */
export function enrollmentPolicyHiding(
  v: PolicyView,
  attribute: AttributeName,
): EnrollmentPolicy | undefined {
  return ENROLLMENT_POLICIES.find((p) => p.attributes.includes(attribute) && p.applies(v));
}
