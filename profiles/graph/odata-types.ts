/**
 * The Microsoft Graph (beta) `@odata.type`s of Intune certificate profiles that certfleet models, and the
 * properties each one has (docs/formats.md §4.1–§4.3).
 *
 * Android device administrator types are not in docs/formats.md §4; they come from
 * microsoftgraph/microsoft-graph-docs-contrib `api-reference/beta/resources/intune-deviceconfig-androidpkcscertificateprofile.md@022b186d`
 * (inherits androidCertificateProfileBase: renewalThresholdPercentage, subjectNameFormat (subjectNameFormat
 * enum), subjectAlternativeNameType, certificateValidityPeriodValue/Scale, extendedKeyUsages (≤ 500); own:
 * certificationAuthority, certificationAuthorityName, certificateTemplateName,
 * subjectAlternativeNameFormatString; relationship rootCertificate → androidTrustedRootCertificate — no
 * certificateStore, subjectNameFormatString nor customSubjectAlternativeNames) and
 * `…/intune-deviceconfig-androidtrustedrootcertificate.md@01784a99` (trustedRootCertificate, certFileName).
 */
import type { ProfileFamily } from '../model/platform.ts';
import type { ProfileKind } from '../model/profile.ts';
import type { ScepCertificateProfile } from '../model/scep-profile.ts';

type ScepFamily = ScepCertificateProfile['family'];

/** Namespace prefix of `@odata.type` values. */
export const GRAPH_TYPE_PREFIX = '#microsoft.graph.';

const TRUSTED = ['trustedRootCertificate', 'certFileName'] as const;
const PKCS_BASE = [
  'renewalThresholdPercentage',
  'subjectNameFormat',
  'subjectAlternativeNameType',
  'certificateValidityPeriodValue',
  'certificateValidityPeriodScale',
] as const;
const PKCS_OWN = [
  'certificationAuthority',
  'certificationAuthorityName',
  'certificateTemplateName',
  'subjectAlternativeNameFormatString',
  'subjectNameFormatString',
  'certificateStore',
  'customSubjectAlternativeNames',
] as const;

/**
 * Imported PKCS (profiles/model/imported-pkcs.ts): the certificate-profile-base properties the
 * `…ImportedPFXCertificateProfile` types inherit that describe an issued certificate (subject, SANs, validity,
 * EKUs) are accepted and listed as having no effect (import-imported.ts), since an imported certificate keeps
 * what it was made with.
 */
export const IMPORTED_INHERITED = [
  'subjectNameFormat',
  'subjectAlternativeNameType',
  'certificateValidityPeriodValue',
  'certificateValidityPeriodScale',
] as const;
const IMPORTED = ['renewalThresholdPercentage', 'intendedPurpose', ...IMPORTED_INHERITED] as const;

/**
 * SCEP (profiles/model/scep-profile.ts): the properties every `…ScepCertificateProfile` type has — its
 * certificate-profile base (renewal, subject, SAN type, validity) and its own (server URLs, subject string, key
 * usage and size, EKUs, AAD-attribute string, store, custom SANs); each type adds the few in {@link GRAPH_TYPES}.
 * Every one has the `rootCertificate` relationship to the trusted-root type of its platform (GRAPH resource
 * pages of each type, listed there).
 */
const SCEP = [
  ...PKCS_BASE,
  'scepServerUrls',
  'subjectNameFormatString',
  'keyUsage',
  'keySize',
  'extendedKeyUsages',
  'subjectAlternativeNameFormatString',
  'certificateStore',
  'customSubjectAlternativeNames',
] as const;

/**
 * Android device administrator SCEP: a Graph type certfleet recognises but does not model (the model refuses
 * the family: profiles/model/validate-scep.ts), so its import fails with the model's problem (import-scep.ts).
 * Source: GRAPH `intune-deviceconfig-androidscepcertificateprofile.md@d7c041e5`.
 */
export const UNMODELLED_SCEP_TYPE = 'androidScepCertificateProfile';

/** Description of one Graph type. */
export interface GraphTypeInfo {
  readonly kind: ProfileKind;
  readonly family: ProfileFamily;
  /** Which subject-name enum numbers the type uses. */
  readonly subjectEnum?: 'subjectNameFormat' | 'appleSubjectNameFormat';
  /** The type's own (non-inherited-from-deviceConfiguration) properties. */
  readonly properties: readonly string[];
  /** Whether the type has the `rootCertificate` relationship. */
  readonly rootCertificate: boolean;
  readonly source: string;
}

/** Every supported type, keyed by its name without the `#microsoft.graph.` prefix. */
export const GRAPH_TYPES = {
  windows81TrustedRootCertificate: {
    kind: 'trusted-certificate',
    family: 'windows',
    properties: [...TRUSTED, 'destinationStore'],
    rootCertificate: false,
    source: 'GRAPH @007852ac (also used for Windows 10/11, TRUSTDOC)',
  },
  iosTrustedRootCertificate: {
    kind: 'trusted-certificate',
    family: 'ios',
    properties: TRUSTED,
    rootCertificate: false,
    source: 'GRAPH @022b186d',
  },
  macOSTrustedRootCertificate: {
    kind: 'trusted-certificate',
    family: 'macos',
    properties: [...TRUSTED, 'deploymentChannel'],
    rootCertificate: false,
    source: 'GRAPH @022b186d',
  },
  androidWorkProfileTrustedRootCertificate: {
    kind: 'trusted-certificate',
    family: 'android-work-profile',
    properties: TRUSTED,
    rootCertificate: false,
    source: 'GRAPH @022b186d',
  },
  androidDeviceOwnerTrustedRootCertificate: {
    kind: 'trusted-certificate',
    family: 'android-device-owner',
    properties: TRUSTED,
    rootCertificate: false,
    source: 'GRAPH @022b186d',
  },
  androidTrustedRootCertificate: {
    kind: 'trusted-certificate',
    family: 'android-device-admin',
    properties: TRUSTED,
    rootCertificate: false,
    source: 'GRAPH intune-deviceconfig-androidtrustedrootcertificate.md@01784a99',
  },
  windows10PkcsCertificateProfile: {
    kind: 'pkcs-certificate',
    family: 'windows',
    subjectEnum: 'subjectNameFormat',
    properties: [...PKCS_BASE, ...PKCS_OWN, 'keyStorageProvider', 'extendedKeyUsages'],
    rootCertificate: false,
    source: 'GRAPH @00e146a9',
  },
  iosPkcsCertificateProfile: {
    kind: 'pkcs-certificate',
    family: 'ios',
    subjectEnum: 'appleSubjectNameFormat',
    properties: [...PKCS_BASE, ...PKCS_OWN],
    rootCertificate: false,
    source: 'GRAPH @022b186d',
  },
  macOSPkcsCertificateProfile: {
    kind: 'pkcs-certificate',
    family: 'macos',
    subjectEnum: 'appleSubjectNameFormat',
    properties: [...PKCS_BASE, ...PKCS_OWN, 'allowAllAppsAccess', 'deploymentChannel'],
    rootCertificate: false,
    source: 'GRAPH @022b186d',
  },
  androidWorkProfilePkcsCertificateProfile: {
    kind: 'pkcs-certificate',
    family: 'android-work-profile',
    subjectEnum: 'subjectNameFormat',
    properties: [...PKCS_BASE, ...PKCS_OWN, 'extendedKeyUsages'],
    rootCertificate: true,
    source: 'GRAPH @022b186d',
  },
  androidDeviceOwnerPkcsCertificateProfile: {
    kind: 'pkcs-certificate',
    family: 'android-device-owner',
    subjectEnum: 'subjectNameFormat',
    properties: [
      ...PKCS_BASE,
      ...PKCS_OWN,
      'extendedKeyUsages',
      'certificationAuthorityType',
      'certificateAccessType',
      'silentCertificateAccessDetails',
    ],
    rootCertificate: true,
    source: 'GRAPH @022b186d',
  },
  androidPkcsCertificateProfile: {
    kind: 'pkcs-certificate',
    family: 'android-device-admin',
    subjectEnum: 'subjectNameFormat',
    properties: [
      ...PKCS_BASE,
      'extendedKeyUsages',
      'certificationAuthority',
      'certificationAuthorityName',
      'certificateTemplateName',
      'subjectAlternativeNameFormatString',
    ],
    rootCertificate: true,
    source: 'GRAPH intune-deviceconfig-androidpkcscertificateprofile.md@022b186d',
  },
  windows10ImportedPFXCertificateProfile: {
    kind: 'pkcs-imported-certificate',
    family: 'windows',
    properties: [...IMPORTED, 'keyStorageProvider'],
    rootCertificate: false,
    source: 'GRAPH intune-deviceconfig-windows10importedpfxcertificateprofile.md@01784a99',
  },
  macOSImportedPFXCertificateProfile: {
    kind: 'pkcs-imported-certificate',
    family: 'macos',
    // deploymentChannel: the macOS certificate-profile base of the later pages, as on macOSPkcsCertificateProfile [inferred]
    properties: [...IMPORTED, 'deploymentChannel'],
    rootCertificate: false,
    source: 'GRAPH intune-deviceconfig-macosimportedpfxcertificateprofile.md@00e146a9',
  },
  iosImportedPFXCertificateProfile: {
    kind: 'pkcs-imported-certificate',
    family: 'ios',
    properties: IMPORTED,
    rootCertificate: false,
    source: 'GRAPH intune-deviceconfig-iosimportedpfxcertificateprofile.md@022b186d',
  },
  androidForWorkImportedPFXCertificateProfile: {
    kind: 'pkcs-imported-certificate',
    family: 'android-work-profile',
    properties: [...IMPORTED, 'extendedKeyUsages'],
    rootCertificate: true,
    source: 'GRAPH intune-deviceconfig-androidforworkimportedpfxcertificateprofile.md@022b186d',
  },
  androidDeviceOwnerImportedPFXCertificateProfile: {
    kind: 'pkcs-imported-certificate',
    family: 'android-device-owner',
    properties: [...IMPORTED, 'extendedKeyUsages', 'certificateAccessType', 'silentCertificateAccessDetails'],
    rootCertificate: true,
    source: 'GRAPH intune-deviceconfig-androiddeviceownerimportedpfxcertificateprofile.md@022b186d',
  },
  androidImportedPFXCertificateProfile: {
    kind: 'pkcs-imported-certificate',
    family: 'android-device-admin',
    properties: [...IMPORTED, 'extendedKeyUsages'],
    rootCertificate: true,
    source: 'GRAPH intune-deviceconfig-androidimportedpfxcertificateprofile.md@022b186d',
  },
  windows81SCEPCertificateProfile: {
    kind: 'scep-certificate',
    family: 'windows',
    subjectEnum: 'subjectNameFormat',
    properties: [...SCEP, 'keyStorageProvider', 'hashAlgorithm'],
    rootCertificate: true,
    source:
      'GRAPH intune-deviceconfig-windows81scepcertificateprofile.md@022b186d (also used for Windows 10/11)',
  },
  macOSScepCertificateProfile: {
    kind: 'scep-certificate',
    family: 'macos',
    subjectEnum: 'appleSubjectNameFormat',
    properties: [...SCEP, 'hashAlgorithm', 'allowAllAppsAccess'],
    rootCertificate: true,
    source: 'GRAPH intune-deviceconfig-macosscepcertificateprofile.md@0061138f',
  },
  iosScepCertificateProfile: {
    kind: 'scep-certificate',
    family: 'ios',
    subjectEnum: 'appleSubjectNameFormat',
    properties: SCEP,
    rootCertificate: true,
    source: 'GRAPH intune-deviceconfig-iosscepcertificateprofile.md@022b186d',
  },
  androidWorkProfileScepCertificateProfile: {
    kind: 'scep-certificate',
    family: 'android-work-profile',
    subjectEnum: 'subjectNameFormat',
    properties: [...SCEP, 'hashAlgorithm'],
    rootCertificate: true,
    source: 'GRAPH intune-deviceconfig-androidworkprofilescepcertificateprofile.md@022b186d',
  },
  androidDeviceOwnerScepCertificateProfile: {
    kind: 'scep-certificate',
    family: 'android-device-owner',
    subjectEnum: 'subjectNameFormat',
    properties: [...SCEP, 'hashAlgorithm', 'certificateAccessType', 'silentCertificateAccessDetails'],
    rootCertificate: true,
    source: 'GRAPH intune-deviceconfig-androiddeviceownerscepcertificateprofile.md@022b186d',
  },
} as const satisfies Record<string, GraphTypeInfo>;

/** A supported Graph type name (without prefix). */
export type GraphTypeName = keyof typeof GRAPH_TYPES;
/** Every supported Graph type name. */
export const GRAPH_TYPE_NAMES = Object.keys(GRAPH_TYPES) as GraphTypeName[];

/** The Graph type of each profile kind × family (the inverse of {@link GRAPH_TYPES}). */
export const GRAPH_TYPE_OF = {
  'trusted-certificate': {
    windows: 'windows81TrustedRootCertificate',
    macos: 'macOSTrustedRootCertificate',
    ios: 'iosTrustedRootCertificate',
    'android-work-profile': 'androidWorkProfileTrustedRootCertificate',
    'android-device-owner': 'androidDeviceOwnerTrustedRootCertificate',
    'android-device-admin': 'androidTrustedRootCertificate',
  },
  'pkcs-certificate': {
    windows: 'windows10PkcsCertificateProfile',
    macos: 'macOSPkcsCertificateProfile',
    ios: 'iosPkcsCertificateProfile',
    'android-work-profile': 'androidWorkProfilePkcsCertificateProfile',
    'android-device-owner': 'androidDeviceOwnerPkcsCertificateProfile',
    'android-device-admin': 'androidPkcsCertificateProfile',
  },
  'pkcs-imported-certificate': {
    windows: 'windows10ImportedPFXCertificateProfile',
    macos: 'macOSImportedPFXCertificateProfile',
    ios: 'iosImportedPFXCertificateProfile',
    'android-work-profile': 'androidForWorkImportedPFXCertificateProfile',
    'android-device-owner': 'androidDeviceOwnerImportedPFXCertificateProfile',
    'android-device-admin': 'androidImportedPFXCertificateProfile',
  },
  // Android device administrator: UNMODELLED_SCEP_TYPE, refused (no model profile has that family)
  'scep-certificate': {
    windows: 'windows81SCEPCertificateProfile',
    macos: 'macOSScepCertificateProfile',
    ios: 'iosScepCertificateProfile',
    'android-work-profile': 'androidWorkProfileScepCertificateProfile',
    'android-device-owner': 'androidDeviceOwnerScepCertificateProfile',
  },
} as const satisfies {
  [K in ProfileKind]: Record<K extends 'scep-certificate' ? ScepFamily : ProfileFamily, GraphTypeName>;
};

/** The Graph type of `kind` × `family`, or undefined where Graph has one certfleet does not model (SCEP, Android device administrator). */
export function graphTypeFor(kind: ProfileKind, family: ProfileFamily): GraphTypeName | undefined {
  return (GRAPH_TYPE_OF[kind] as Partial<Record<ProfileFamily, GraphTypeName>>)[family];
}

/**
 * Inherited `deviceConfiguration` properties and OData annotations (docs/formats.md §4.1): accepted and, except
 * id/displayName/description, dropped.
 */
export const INHERITED_PROPERTIES: ReadonlySet<string> = new Set([
  '@odata.type',
  '@odata.context',
  '@odata.etag',
  '@odata.id',
  'id',
  'lastModifiedDateTime',
  'createdDateTime',
  'roleScopeTagIds',
  'supportsScopeTags',
  'deviceManagementApplicabilityRuleOsEdition',
  'deviceManagementApplicabilityRuleOsVersion',
  'deviceManagementApplicabilityRuleDeviceMode',
  'description',
  'displayName',
  'version',
  'assignments',
  'groupAssignments',
  'deviceStatuses',
  'userStatuses',
  'deviceStatusOverview',
  'userStatusOverview',
  'deviceSettingStateSummaries',
  'managedDeviceCertificateStates',
]);

/**
 * OData annotations of the `rootCertificate` relationship in a full-metadata export: they name the
 * relationship's URL (…/rootCertificate), not the root profile, so they are accepted on the types that have
 * it and listed as unused (import-graph.ts).
 */
export const ROOT_CERTIFICATE_LINKS = [
  'rootCertificate@odata.navigationLink',
  'rootCertificate@odata.associationLink',
] as const;

/** Every own property of any supported type (to tell "belongs to another type" from "unknown"). */
export const ALL_GRAPH_PROPERTIES: ReadonlySet<string> = new Set([
  ...Object.values(GRAPH_TYPES).flatMap((t) => t.properties),
  'rootCertificate',
  'rootCertificate@odata.bind',
  ...ROOT_CERTIFICATE_LINKS,
]);
