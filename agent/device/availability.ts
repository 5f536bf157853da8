/**
 * Which attributes a device can report, and why not when it cannot — one table of rules. When several rules
 * hold for one attribute, the decisive one gives its absence reason: the rule whose origin comes first in
 * the project's one precedence rule (profiles/variables/absence-policy.ts: platform, enrollment kind, OS
 * version, user, then hardware), the first in table order among rules of one origin. The table is written
 * in that order. The resolver explains a missing variable by the same rule, so the row's message, the
 * failure summary and `show device` give the same cause.
 *
 * Sources: docs/formats.md §5.1 (PFXDOC, SCEPDOC restrictions table); ADM `information.device.yaml` (IMEI/MEID
 * `introduced: n/a` on macOS; UDID, SerialNumber, IMEI, MEID, WiFiMAC `userenrollment: mode: forbidden`);
 * AMAPI `HardwareInfo.enterpriseSpecificId` ("available on personally-owned devices with a work profile on
 * devices running Android 12 and above", the identifier that replaces the serial number there).
 */
import type { EnrollmentKind, Platform } from '../../profiles/model/platform.ts';
import {
  ANDROID12_WORK_PROFILE,
  APPLE_USER_ENROLLMENT,
  decisiveAbsence,
  type AbsenceRule,
} from '../../profiles/variables/absence-policy.ts';
import type { AttributeName } from './device.ts';

/** What the rules look at. */
export interface AvailabilityContext {
  readonly platform: Platform;
  readonly enrollmentKind: EnrollmentKind;
  /** OS version at enrollment (Android 12 rule). */
  readonly enrolledOsVersion: string;
  readonly hasUser: boolean;
  /** The user is synchronised from on-premises AD. */
  readonly userSynced: boolean;
  readonly cellular: boolean;
  readonly cdma: boolean;
  readonly wifi: boolean;
}

/** One availability rule. */
export type AvailabilityRule = AbsenceRule<AvailabilityContext>;

/** The user attributes (absent on user-less devices). */
export const USER_ATTRIBUTES: readonly AttributeName[] = [
  'userName',
  'userPrincipalName',
  'emailAddress',
  'department',
  'onPremisesDistinguishedName',
  'onPremisesSamAccountName',
  'userSid',
];

/** The on-premises user attributes (absent for cloud-only users). */
export const ON_PREM_USER_ATTRIBUTES: readonly AttributeName[] = [
  'onPremisesDistinguishedName',
  'onPremisesSamAccountName',
  'userSid',
];

const isApple = (p: Platform): boolean => p === 'macos' || p === 'ios';

/** The rules, in precedence order (platform, enrollment kind, OS version, user, hardware). */
export const AVAILABILITY_RULES: readonly AvailabilityRule[] = [
  // --- platform: the platform never has it
  {
    id: 'udid-apple-only',
    origin: 'platform',
    attributes: ['udid'],
    reason: 'not-on-platform',
    explanation: 'Only Apple devices have a UDID.',
    source: 'ADM information.device.yaml (UDID)',
    applies: (c) => !isApple(c.platform),
  },
  {
    id: 'fqdn-windows-only',
    origin: 'platform',
    attributes: ['fullyQualifiedDomainName'],
    reason: 'not-on-platform',
    explanation: '{{FullyQualifiedDomainName}} is only applicable for Windows and domain-joined devices.',
    source: 'PFXDOC, SCEPDOC (docs/formats.md §5.1)',
    applies: (c) => c.platform !== 'windows',
  },
  {
    id: 'device-sid-windows-only',
    origin: 'platform',
    attributes: ['deviceSid'],
    reason: 'not-on-platform',
    explanation: 'A device (computer account) SID exists only for Windows devices joined to AD.',
    source: 'SCEPDOC (docs/formats.md §5.1, OnPremisesSecurityIdentifier)',
    applies: (c) => c.platform !== 'windows',
  },
  {
    id: 'imei-meid-not-on-macos',
    origin: 'platform',
    attributes: ['imei', 'meid'],
    reason: 'not-on-platform',
    explanation: 'Macs have no cellular modem; DeviceInformation IMEI/MEID are not available on macOS.',
    source: 'ADM information.device.yaml (IMEI, MEID: macOS introduced n/a)',
    applies: (c) => c.platform === 'macos',
  },
  // --- enrollment kind: the enrollment withholds it
  {
    id: 'user-less',
    origin: 'enrollment-kind',
    attributes: USER_ATTRIBUTES,
    reason: 'user-less',
    explanation:
      'No user is associated with the device (dedicated/kiosk), so user attributes are unavailable.',
    source: 'PFXDOC, SCEPDOC (docs/formats.md §5.1)',
    applies: (c) => !c.hasUser,
  },
  { ...APPLE_USER_ENROLLMENT },
  {
    id: 'fqdn-not-domain-joined',
    origin: 'enrollment-kind',
    attributes: ['fullyQualifiedDomainName'],
    reason: 'not-domain-joined',
    explanation: 'The Windows device is not joined to an on-premises domain, so it has no FQDN.',
    source: 'PFXDOC, SCEPDOC (docs/formats.md §5.1)',
    applies: (c) => c.platform === 'windows' && c.enrollmentKind !== 'hybrid-joined',
  },
  {
    id: 'device-sid-not-hybrid',
    origin: 'enrollment-kind',
    attributes: ['deviceSid'],
    reason: 'not-hybrid-joined',
    explanation: 'Only Microsoft Entra hybrid-joined Windows devices have a computer-account SID.',
    source: 'SCEPDOC (docs/formats.md §5.1)',
    applies: (c) => c.platform === 'windows' && c.enrollmentKind !== 'hybrid-joined',
  },
  // --- OS version: the version the device enrolled on withholds it
  { ...ANDROID12_WORK_PROFILE },
  // --- user: the user's directory record lacks it
  {
    id: 'cloud-only-user',
    origin: 'user',
    attributes: ON_PREM_USER_ATTRIBUTES,
    reason: 'not-synced',
    explanation: 'The user is cloud-only: on-premises DN, SAM account name and SID need Entra Connect sync.',
    source: 'SCEPDOC (docs/formats.md §5.1)',
    applies: (c) => c.hasUser && !c.userSynced,
  },
  // --- hardware: the device lacks the part (last: whatever hides the value above holds without it too)
  {
    id: 'no-cellular',
    origin: 'hardware',
    attributes: ['imei'],
    reason: 'not-reported',
    explanation: 'The device has no cellular modem (Wi-Fi-only tablet, PC without WWAN), so it has no IMEI.',
    source: 'PFXDOC (docs/formats.md §5.2 "a device that doesn\u2019t have an IMEI number")',
    applies: (c) => !c.cellular,
  },
  {
    id: 'no-cdma',
    origin: 'hardware',
    attributes: ['meid'],
    reason: 'not-reported',
    explanation: 'The modem does not speak CDMA (or there is no modem), so the device has no MEID.',
    source: '3GPP2 S.R0048 (MEIDs identify CDMA equipment)',
    applies: (c) => !c.cellular || !c.cdma,
  },
  {
    id: 'no-wifi',
    origin: 'hardware',
    attributes: ['wifiMacAddress'],
    reason: 'not-reported',
    explanation: 'The device has no Wi-Fi radio (a wired desktop), so it has no Wi-Fi MAC address.',
    source: 'inferred',
    applies: (c) => !c.wifi,
  },
];

/**
 * The decisive rule that makes `attribute` absent in this context (absence-policy.ts `decisiveAbsence`: its
 * origin first, then table order), or undefined when it is available.
 * @example
 * absenceRule(wifiOnlyTabletOnAndroid13WorkProfile, 'imei')?.id; // 'android12-work-profile', not 'no-cellular'
 */
export function absenceRule(c: AvailabilityContext, attribute: AttributeName): AvailabilityRule | undefined {
  return decisiveAbsence(
    AVAILABILITY_RULES.map((r) => r.attributes.includes(attribute) && r.applies(c) && r),
  );
}
