/**
 * The catalogue of Intune certificate variables (docs/formats.md §5.1, from PFXDOC "Subject name format" and
 * SCEPDOC), each with its scope (user or device variable), the attribute behind it, and its documented
 * restrictions ({@link RESTRICTIONS}).
 *
 * **Case sensitivity — certfleet matches variable names case-insensitively.** No Microsoft document says
 * whether names are case-sensitive, but the documents themselves spell one variable two ways
 * (`{{onPremisesSamAccountName}}` in PFXDOC, `{{OnPremisesSamAccountName}}` in SCEPDOC), list
 * `{{SERIALNUMBER}}` and `{{SerialNumber}}` for the same serial number, and a public Intune client study
 * writes `{{fullyQualifiedDomainName}}` / `{{deviceName}}` (IMITUNE README). Catalogue entries that differ
 * only in case are therefore equivalent spellings of the same attribute. Exact spelling is looked up first.
 */
import type { AttributeName } from './facts.ts';

/** User variables read the enrolled user's Entra attributes; device variables read the device. */
export type VariableScope = 'user' | 'device';

/** The documented restrictions, by kind. */
export const RESTRICTIONS = {
  'windows-domain-joined-only': {
    text: 'only applicable for Windows and domain-joined devices',
    source: 'PFXDOC, SCEPDOC',
    stage: 'device',
  },
  'no-android12-work-profile': {
    text: 'not available on Android personally-owned work profiles enrolled on Android 12 or later',
    source: 'PFXDOC, SCEPDOC',
    stage: 'device',
  },
  'needs-user': {
    text: 'user attributes are unavailable on devices without a user (e.g. Android Enterprise dedicated)',
    source: 'PFXDOC, SCEPDOC',
    stage: 'device',
  },
  'user-certificate-only': {
    text: 'device certificates can only contain device variables',
    source: 'PFXDOC, SCEPDOC',
    stage: 'template',
  },
  'uri-san-only': {
    text: 'only usable as the value of a URI subject alternative name (rendered tag:microsoft.com,2022-09-14:sid:<SID>)',
    source: 'SCEPDOC',
    stage: 'template',
  },
  'sid-platforms': {
    text: 'user certificates on iOS/iPadOS, macOS and Windows; device certificates only on Microsoft Entra hybrid-joined Windows',
    source: 'SCEPDOC; PFXDOC (KB5014754 SID extension)',
    stage: 'device',
  },
  'not-in-san-on-android-device-owner': {
    text: 'not supported in the SAN on Android Enterprise fully managed, dedicated and corporate-owned work profile',
    source: 'SCEPDOC',
    stage: 'template',
  },
  'apple-only': {
    text: 'the UDID exists only on Apple devices [inferred; not in docs/formats.md §5.1]',
    source: 'inferred',
    stage: 'device',
  },
  'avoid-in-windows-subject': {
    text: 'avoid in a Windows subject: "In certain instances ... causes sync with Intune to fail"',
    source: 'SCEPDOC',
    stage: 'advisory',
  },
  'needs-entra-connect-sync': {
    text: 'the on-premises attribute must be synchronised to Entra ID with Entra Connect',
    source: 'PFXDOC, SCEPDOC',
    stage: 'device',
  },
  'quote-if-comma': {
    text: 'the value contains commas: quote the CN, e.g. CN="{{OnPrem_Distinguished_Name}}"',
    source: 'SCEPDOC',
    stage: 'advisory',
  },
  'not-on-aosp': {
    text: 'not available on Android (AOSP) — certfleet models no AOSP enrollment, so this never applies',
    source: 'SCEPDOC',
    stage: 'not-modelled',
  },
  spoofable: {
    text: 'device-reported; could be spoofed by a person with access to the device',
    source: 'PFXDOC, SCEPDOC, DIRKJAN',
    stage: 'advisory',
  },
} as const satisfies Record<
  string,
  { text: string; source: string; stage: 'template' | 'device' | 'advisory' | 'not-modelled' }
>;
/** One restriction kind. */
export type RestrictionKind = keyof typeof RESTRICTIONS;

/** One catalogue entry. */
export interface VariableSpec {
  /** Canonical spelling, without braces. */
  readonly name: string;
  readonly scope: VariableScope;
  /** The attribute the value comes from. */
  readonly attribute: AttributeName;
  /** For a device-type certificate, a different attribute (the SID: the computer's SID). */
  readonly deviceCertificateAttribute?: AttributeName;
  readonly description: string;
  readonly source: string;
  readonly restrictions: readonly RestrictionKind[];
}

const DEVICE_ID_LIKE = ['spoofable'] as const satisfies readonly RestrictionKind[];
const HIDDEN_ON_WP12 = [
  'no-android12-work-profile',
  'spoofable',
] as const satisfies readonly RestrictionKind[];
const USER = ['needs-user', 'user-certificate-only'] as const satisfies readonly RestrictionKind[];

/** Every documented variable (docs/formats.md §5.1 plus `{{UDID}}`), keyed by canonical name. */
export const VARIABLES = {
  UserName: {
    name: 'UserName',
    scope: 'user',
    attribute: 'userName',
    description: 'the user name of the user, such as janedoe',
    source: 'SCEPDOC',
    restrictions: [...USER, 'not-in-san-on-android-device-owner'],
  },
  UserPrincipalName: {
    name: 'UserPrincipalName',
    scope: 'user',
    attribute: 'userPrincipalName',
    description: 'the user principal name, such as janedoe@contoso.com',
    source: 'SCEPDOC',
    restrictions: USER,
  },
  EmailAddress: {
    name: 'EmailAddress',
    scope: 'user',
    attribute: 'emailAddress',
    description: 'the user\u2019s e-mail address (usually E={{EmailAddress}})',
    source: 'PFXDOC, SCEPDOC',
    restrictions: USER,
  },
  AAD_Device_ID: {
    name: 'AAD_Device_ID',
    scope: 'device',
    attribute: 'entraDeviceId',
    description: 'the Microsoft Entra (Azure AD) device ID',
    source: 'PFXDOC, SCEPDOC',
    restrictions: [],
  },
  AzureADDeviceId: {
    name: 'AzureADDeviceId',
    scope: 'device',
    attribute: 'entraDeviceId',
    description: 'the Microsoft Entra (Azure AD) device ID (same as {{AAD_Device_ID}})',
    source: 'SCEPDOC',
    restrictions: [],
  },
  DeviceId: {
    name: 'DeviceId',
    scope: 'device',
    attribute: 'intuneDeviceId',
    description: 'the Intune device ID',
    source: 'docs/formats.md §5.1 (SCEPDOC)',
    restrictions: ['avoid-in-windows-subject'],
  },
  Device_Serial: {
    name: 'Device_Serial',
    scope: 'device',
    attribute: 'serialNumber',
    description: 'the device serial number',
    source: 'PFXDOC, SCEPDOC',
    restrictions: HIDDEN_ON_WP12,
  },
  SerialNumber: {
    name: 'SerialNumber',
    scope: 'device',
    attribute: 'serialNumber',
    description: 'the device serial number',
    source: 'PFXDOC, SCEPDOC',
    restrictions: HIDDEN_ON_WP12,
  },
  SERIALNUMBER: {
    name: 'SERIALNUMBER',
    scope: 'device',
    attribute: 'serialNumber',
    description: 'the manufacturer serial number',
    source: 'PFXDOC, SCEPDOC',
    restrictions: HIDDEN_ON_WP12,
  },
  Device_IMEI: {
    name: 'Device_IMEI',
    scope: 'device',
    attribute: 'imei',
    description: 'the IMEI of a cellular device',
    source: 'PFXDOC, SCEPDOC',
    restrictions: HIDDEN_ON_WP12,
  },
  IMEINumber: {
    name: 'IMEINumber',
    scope: 'device',
    attribute: 'imei',
    description: 'the IMEI of a mobile phone',
    source: 'PFXDOC, SCEPDOC',
    restrictions: HIDDEN_ON_WP12,
  },
  IMEI: {
    name: 'IMEI',
    scope: 'device',
    attribute: 'imei',
    description: 'the IMEI of a cellular device',
    source: 'PFXDOC, SCEPDOC',
    restrictions: HIDDEN_ON_WP12,
  },
  MEID: {
    name: 'MEID',
    scope: 'device',
    attribute: 'meid',
    description: 'the MEID of a CDMA device',
    source: 'PFXDOC, SCEPDOC',
    restrictions: ['no-android12-work-profile'],
  },
  WiFiMacAddress: {
    name: 'WiFiMacAddress',
    scope: 'device',
    attribute: 'wifiMacAddress',
    description: 'the Wi-Fi MAC address',
    source: 'PFXDOC, SCEPDOC',
    restrictions: [],
  },
  DeviceName: {
    name: 'DeviceName',
    scope: 'device',
    attribute: 'deviceName',
    description: 'the device name',
    source: 'PFXDOC, SCEPDOC',
    restrictions: DEVICE_ID_LIKE,
  },
  FullyQualifiedDomainName: {
    name: 'FullyQualifiedDomainName',
    scope: 'device',
    attribute: 'fullyQualifiedDomainName',
    description: 'the device\u2019s fully qualified domain name',
    source: 'PFXDOC, SCEPDOC',
    restrictions: ['windows-domain-joined-only', 'spoofable'],
  },
  OnPrem_Distinguished_Name: {
    name: 'OnPrem_Distinguished_Name',
    scope: 'user',
    attribute: 'onPremisesDistinguishedName',
    description:
      'the user\u2019s on-premises distinguished name, e.g. CN=Jane Doe,OU=UserAccounts,DC=corp,DC=contoso,DC=com',
    source: 'PFXDOC, SCEPDOC',
    restrictions: [...USER, 'needs-entra-connect-sync', 'quote-if-comma', 'not-on-aosp'],
  },
  onPremisesSamAccountName: {
    name: 'onPremisesSamAccountName',
    scope: 'user',
    attribute: 'onPremisesSamAccountName',
    description:
      'the user\u2019s on-premises sAMAccountName (spelling of the PKCS certificate documentation)',
    source: 'PFXDOC',
    restrictions: [...USER, 'needs-entra-connect-sync', 'not-on-aosp'],
  },
  OnPremisesSamAccountName: {
    name: 'OnPremisesSamAccountName',
    scope: 'user',
    attribute: 'onPremisesSamAccountName',
    description:
      'the user\u2019s on-premises sAMAccountName (spelling of the SCEP certificate documentation)',
    source: 'SCEPDOC',
    restrictions: [...USER, 'needs-entra-connect-sync', 'not-on-aosp'],
  },
  OnPremisesSecurityIdentifier: {
    name: 'OnPremisesSecurityIdentifier',
    scope: 'user',
    attribute: 'userSid',
    deviceCertificateAttribute: 'deviceSid',
    description:
      'the on-premises security identifier (SID) of the user, or of the computer for device certificates',
    source: 'SCEPDOC; PFXDOC',
    restrictions: ['needs-user', 'uri-san-only', 'sid-platforms', 'needs-entra-connect-sync'],
  },
  UDID: {
    name: 'UDID',
    scope: 'device',
    attribute: 'udid',
    description: 'the Apple device UDID',
    source: 'inferred (not in docs/formats.md §5.1)',
    restrictions: ['apple-only'],
  },
  Department: {
    name: 'Department',
    scope: 'user',
    attribute: 'department',
    description: 'the user\u2019s department (Entra attribute)',
    source: 'SCEPDOC',
    restrictions: [...USER, 'not-on-aosp'],
  },
} as const satisfies Record<string, VariableSpec>;

/** A canonical variable name. */
export type VariableName = keyof typeof VARIABLES;
/** Every canonical variable name. */
export const VARIABLE_NAMES = Object.keys(VARIABLES) as VariableName[];

/** The spec of a variable (name without braces), exact spelling first, then case-insensitively. */
export function lookupVariable(name: string): VariableSpec | undefined {
  if (Object.hasOwn(VARIABLES, name)) return VARIABLES[name as VariableName];
  const lower = name.toLowerCase();
  const match = VARIABLE_NAMES.find((n) => n.toLowerCase() === lower);
  return match === undefined ? undefined : VARIABLES[match];
}

/** The attribute a variable reads for a certificate of the given type. */
export function attributeFor(spec: VariableSpec, certificateType: 'user' | 'device'): AttributeName {
  return certificateType === 'device' && spec.deviceCertificateAttribute !== undefined
    ? spec.deviceCertificateAttribute
    : spec.attribute;
}
