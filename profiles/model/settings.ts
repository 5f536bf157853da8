/**
 * Which settings apply to which profile kind and family, with their defaults and ranges.
 * Sources: PFXDOC settings table (platform column), GRAPH property lists (docs/formats.md §4.2/§4.3),
 * docs/formats.md §5.2 (validity), brief of issue 3.
 */
import type { ProfileFamily } from './platform.ts';
import type { ProfileKind } from './profile.ts';

const METADATA = ['kind', 'family', 'id', 'displayName', 'description'] as const;
const TRUSTED = [...METADATA, 'certificate', 'certFileName'] as const;
const PKCS = [
  ...METADATA,
  'renewalThresholdPercentage',
  'validity',
  'certificationAuthority',
  'certificationAuthorityName',
  'certificateTemplateName',
  'certificateType',
  'subjectNameFormat',
  'subjectNameFormatString',
  'subjectAlternativeNameType',
  'subjectAlternativeNameFormatString',
  'customSubjectAlternativeNames',
] as const;
const ANDROID_PKCS = [...PKCS, 'extendedKeyUsages', 'rootCertificateId'] as const;
/** SCEP (profiles/model/scep-profile.ts): no CA nor template — the SCEP server decides. */
const SCEP = [
  ...METADATA,
  'renewalThresholdPercentage',
  'validity',
  'certificateType',
  'subjectNameFormat',
  'subjectNameFormatString',
  'subjectAlternativeNameType',
  'subjectAlternativeNameFormatString',
  'customSubjectAlternativeNames',
  'scepServerUrls',
  'keyUsage',
  'keySize',
  'extendedKeyUsages',
  'rootCertificateId',
] as const;
/** Imported PKCS (profiles/model/imported-pkcs.ts). */
const IMPORTED = [...METADATA, 'intendedPurpose', 'renewalThresholdPercentage'] as const;

/** The model fields each kind × family accepts. */
export const PROFILE_FIELDS = {
  'trusted-certificate': {
    windows: [...TRUSTED, 'destinationStore'],
    macos: [...TRUSTED, 'deploymentChannel'],
    ios: TRUSTED,
    'android-work-profile': TRUSTED,
    'android-device-owner': TRUSTED,
    'android-device-admin': TRUSTED,
  },
  'pkcs-certificate': {
    windows: [...PKCS, 'keyStorageProvider', 'extendedKeyUsages'],
    macos: [...PKCS, 'allowAllAppsAccess', 'deploymentChannel'],
    ios: PKCS,
    'android-work-profile': ANDROID_PKCS,
    'android-device-owner': [...ANDROID_PKCS, 'certificateAccess', 'certificationAuthorityType'],
    'android-device-admin': ANDROID_PKCS.filter(
      (f) => f !== 'subjectNameFormatString' && f !== 'customSubjectAlternativeNames',
    ),
  },
  'scep-certificate': {
    windows: [...SCEP, 'keyStorageProvider', 'hashAlgorithm'],
    macos: [...SCEP, 'hashAlgorithm', 'allowAllAppsAccess'],
    ios: SCEP,
    'android-work-profile': [...SCEP, 'hashAlgorithm'],
    'android-device-owner': [...SCEP, 'hashAlgorithm', 'certificateAccess'],
    // androidScepCertificateProfile is not modelled: validateProfile refuses the family
    'android-device-admin': [],
  },
  'pkcs-imported-certificate': {
    windows: [...IMPORTED, 'keyStorageProvider'],
    macos: [...IMPORTED, 'deploymentChannel'],
    ios: IMPORTED,
    'android-work-profile': IMPORTED,
    'android-device-owner': [...IMPORTED, 'certificateAccess'],
    'android-device-admin': IMPORTED,
  },
} as const satisfies Record<ProfileKind, Record<ProfileFamily, readonly string[]>>;

/** Every field any profile accepts. */
export const ALL_PROFILE_FIELDS: ReadonlySet<string> = new Set(
  Object.values(PROFILE_FIELDS).flatMap((byFamily) => Object.values(byFamily).flat()),
);

/** Ranges and defaults of the numeric/default settings. */
export const PKCS_LIMITS = {
  /** GRAPH: "Valid values 1 to 99"; default 20 (PFXDOC "Recommended is 20%"). */
  renewalThresholdPercentage: { min: 1, max: 99, default: 20 },
  /**
   * ≥ 5 days (PFXDOC/SCEPDOC: shorter may be rejected by the MDM agent as near-expired) and ≤ 24 months
   * (SCEPDOC: "Intune supports a validity period of up to 24 months"); 24 months taken as 730 days [inferred].
   */
  validity: {
    days: { min: 5, max: 730 },
    months: { min: 1, max: 24 },
    years: { min: 1, max: 2 },
    default: { value: 1, unit: 'years' },
  },
  /** GRAPH: "maximum of 500 elements". */
  maxExtendedKeyUsages: 500,
  maxCustomSubjectAlternativeNames: 500,
  /** GRAPH: silentCertificateAccessDetails "maximum of 50 elements". */
  maxSilentAccessPackages: 50,
} as const;
