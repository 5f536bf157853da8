/**
 * Which attributes a device can report, and why not when it cannot — one table of rules, checked in order;
 * the first rule that matches an attribute gives its absence reason.
 *
 * Sources: docs/formats.md §5.1 (PFXDOC, SCEPDOC restrictions table); ADM `information.device.yaml` (IMEI/MEID
 * `introduced: n/a` on macOS); Apple "StatusDeviceUDID" (developer.apple.com/documentation/devicemanagement/
 * statusdeviceudid: "Allowed in user enrollment: N/A"); AMAPI `HardwareInfo.enterpriseSpecificId` ("available on
 * personally-owned devices with a work profile on devices running Android 12 and above", the identifier
 * that replaces the serial number there).
 */
import type { EnrollmentKind, Platform } from '../../profiles/model/platform.ts';
import { majorVersion } from '../../profiles/variables/facts.ts';
import type { AbsenceReason, AttributeName } from './device.ts';

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
export interface AvailabilityRule {
  /** Stable id, used by tests and reports. */
  readonly id: string;
  readonly attributes: readonly AttributeName[];
  readonly reason: AbsenceReason;
  /** Why, in a sentence a QA engineer can act on. */
  readonly explanation: string;
  readonly source: string;
  readonly applies: (c: AvailabilityContext) => boolean;
}

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

/** The rules, in the order they are checked. */
export const AVAILABILITY_RULES: readonly AvailabilityRule[] = [
  {
    id: 'udid-apple-only',
    attributes: ['udid'],
    reason: 'not-on-platform',
    explanation: 'Only Apple devices have a UDID.',
    source: 'ADM information.device.yaml (UDID)',
    applies: (c) => !isApple(c.platform),
  },
  {
    id: 'fqdn-windows-only',
    attributes: ['fullyQualifiedDomainName'],
    reason: 'not-on-platform',
    explanation: '{{FullyQualifiedDomainName}} is only applicable for Windows and domain-joined devices.',
    source: 'PFXDOC, SCEPDOC (docs/formats.md §5.1)',
    applies: (c) => c.platform !== 'windows',
  },
  {
    id: 'device-sid-windows-only',
    attributes: ['deviceSid'],
    reason: 'not-on-platform',
    explanation: 'A device (computer account) SID exists only for Windows devices joined to AD.',
    source: 'SCEPDOC (docs/formats.md §5.1, OnPremisesSecurityIdentifier)',
    applies: (c) => c.platform !== 'windows',
  },
  {
    id: 'imei-meid-not-on-macos',
    attributes: ['imei', 'meid'],
    reason: 'not-on-platform',
    explanation: 'Macs have no cellular modem; DeviceInformation IMEI/MEID are not available on macOS.',
    source: 'ADM information.device.yaml (IMEI, MEID: macOS introduced n/a)',
    applies: (c) => c.platform === 'macos',
  },
  {
    id: 'user-less',
    attributes: USER_ATTRIBUTES,
    reason: 'user-less',
    explanation:
      'No user is associated with the device (dedicated/kiosk), so user attributes are unavailable.',
    source: 'PFXDOC, SCEPDOC (docs/formats.md §5.1)',
    applies: (c) => !c.hasUser,
  },
  {
    id: 'cloud-only-user',
    attributes: ON_PREM_USER_ATTRIBUTES,
    reason: 'not-synced',
    explanation: 'The user is cloud-only: on-premises DN, SAM account name and SID need Entra Connect sync.',
    source: 'SCEPDOC (docs/formats.md §5.1)',
    applies: (c) => c.hasUser && !c.userSynced,
  },
  {
    id: 'no-cellular',
    attributes: ['imei'],
    reason: 'not-reported',
    explanation: 'The device has no cellular modem (Wi-Fi-only tablet, PC without WWAN), so it has no IMEI.',
    source: 'PFXDOC (docs/formats.md §5.2 "a device that doesn\u2019t have an IMEI number")',
    applies: (c) => !c.cellular,
  },
  {
    id: 'no-cdma',
    attributes: ['meid'],
    reason: 'not-reported',
    explanation: 'The modem does not speak CDMA (or there is no modem), so the device has no MEID.',
    source: '3GPP2 S.R0048 (MEIDs identify CDMA equipment)',
    applies: (c) => !c.cellular || !c.cdma,
  },
  {
    id: 'no-wifi',
    attributes: ['wifiMacAddress'],
    reason: 'not-reported',
    explanation: 'The device has no Wi-Fi radio (a wired desktop), so it has no Wi-Fi MAC address.',
    source: 'inferred',
    applies: (c) => !c.wifi,
  },
  {
    id: 'android12-work-profile',
    attributes: ['serialNumber', 'imei', 'meid'],
    reason: 'android12-work-profile',
    explanation:
      'Personally-owned work profile enrolled on Android 12 or later: serial number, IMEI and MEID are not available.',
    source: 'PFXDOC, SCEPDOC (docs/formats.md §5.1); AMAPI HardwareInfo.enterpriseSpecificId',
    applies: (c) =>
      c.platform === 'android' &&
      c.enrollmentKind === 'work-profile-personal' &&
      majorVersion(c.enrolledOsVersion) >= 12,
  },
  {
    id: 'apple-user-enrollment',
    attributes: ['udid', 'serialNumber', 'imei', 'meid'],
    reason: 'not-reported',
    explanation:
      'Apple User Enrollment hides hardware identifiers (UDID, serial number, IMEI, MEID) from the MDM service.',
    source:
      'Apple StatusDeviceUDID "Allowed in user enrollment: N/A"; serial/IMEI/MEID by the same privacy rule [inferred]',
    applies: (c) => isApple(c.platform) && c.enrollmentKind === 'user',
  },
  {
    id: 'fqdn-not-domain-joined',
    attributes: ['fullyQualifiedDomainName'],
    reason: 'not-domain-joined',
    explanation: 'The Windows device is not joined to an on-premises domain, so it has no FQDN.',
    source: 'PFXDOC, SCEPDOC (docs/formats.md §5.1)',
    applies: (c) => c.platform === 'windows' && c.enrollmentKind !== 'hybrid-joined',
  },
  {
    id: 'device-sid-not-hybrid',
    attributes: ['deviceSid'],
    reason: 'not-hybrid-joined',
    explanation: 'Only Microsoft Entra hybrid-joined Windows devices have a computer-account SID.',
    source: 'SCEPDOC (docs/formats.md §5.1)',
    applies: (c) => c.platform === 'windows' && c.enrollmentKind !== 'hybrid-joined',
  },
];

/** The first rule that makes `attribute` absent in this context, or undefined when it is available. */
export function absenceRule(c: AvailabilityContext, attribute: AttributeName): AvailabilityRule | undefined {
  return AVAILABILITY_RULES.find((r) => r.attributes.includes(attribute) && r.applies(c));
}
