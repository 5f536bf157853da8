/**
 * The Microsoft Graph (beta) enumerations that certificate profiles use, member name → numeric value.
 * The profile model stores member names; the Graph codec accepts names or numbers.
 * Source: docs/formats.md §4.4 (GRAPH pages, commits noted there); the numbers of `appleDeploymentChannel`,
 * `deviceManagementCertificationAuthority` and `androidDeviceOwnerCertificateAccessType`, which §4.4 lists
 * without values, come from microsoftgraph/microsoft-graph-docs-contrib
 * `api-reference/beta/resources/intune-deviceconfig-appledeploymentchannel.md@00609221`,
 * `…-devicemanagementcertificationauthority.md@022b186d`, `…-androiddeviceownercertificateaccesstype.md@022b186d`.
 */

/** `subjectNameFormat` (Windows, Android): docs/formats.md §4.4. */
export const SUBJECT_NAME_FORMAT = {
  commonName: 0,
  commonNameIncludingEmail: 1,
  commonNameAsEmail: 2,
  custom: 3,
  commonNameAsIMEI: 5,
  commonNameAsSerialNumber: 6,
  commonNameAsAadDeviceId: 7,
  commonNameAsIntuneDeviceId: 8,
  commonNameAsDurableDeviceId: 9,
} as const;

/**
 * `appleSubjectNameFormat` (iOS, macOS): docs/formats.md §4.4. **The numbers differ from
 * {@link SUBJECT_NAME_FORMAT}** (1 is commonNameAsEmail here, commonNameIncludingEmail there).
 */
export const APPLE_SUBJECT_NAME_FORMAT = {
  commonName: 0,
  commonNameAsEmail: 1,
  custom: 2,
  commonNameIncludingEmail: 3,
  commonNameAsIMEI: 5,
  commonNameAsSerialNumber: 6,
} as const;

/** A named subject name format (the union of both Graph enums). */
export type SubjectNameFormat = keyof typeof SUBJECT_NAME_FORMAT;
/** A subject name format Apple profiles can carry. */
export type AppleSubjectNameFormat = keyof typeof APPLE_SUBJECT_NAME_FORMAT;

/** `subjectAlternativeNameType` flags, also `customSubjectAlternativeName.sanType`: docs/formats.md §4.4. */
export const SUBJECT_ALTERNATIVE_NAME_TYPE = {
  none: 0,
  emailAddress: 1,
  userPrincipalName: 2,
  customAzureADAttribute: 4,
  domainNameService: 8,
  universalResourceIdentifier: 16,
} as const;
/** One `subjectAlternativeNameType` member. */
export type SubjectAlternativeNameType = keyof typeof SUBJECT_ALTERNATIVE_NAME_TYPE;
/** A SAN type that names an actual SAN (every member but `none`). */
export type SanType = Exclude<SubjectAlternativeNameType, 'none'>;
/** The SAN types, in flag order. */
export const SAN_TYPES = [
  'emailAddress',
  'userPrincipalName',
  'customAzureADAttribute',
  'domainNameService',
  'universalResourceIdentifier',
] as const satisfies readonly SanType[];

/** `keyStorageProviderOption` (Windows only): docs/formats.md §4.4. */
export const KEY_STORAGE_PROVIDER = {
  useTpmKspOtherwiseUseSoftwareKsp: 0,
  useTpmKspOtherwiseFail: 1,
  usePassportForWorkKspOtherwiseFail: 2,
  useSoftwareKsp: 3,
} as const;
/** Where Windows stores the private key (TPM else software, TPM else fail, Windows Hello else fail, software). */
export type KeyStorageProvider = keyof typeof KEY_STORAGE_PROVIDER;

/** `certificateValidityPeriodScale`: docs/formats.md §4.4. */
export const VALIDITY_SCALE = { days: 0, months: 1, years: 2 } as const;
/** Unit of a certificate validity period. */
export type ValidityUnit = keyof typeof VALIDITY_SCALE;

/** `certificateStore`: docs/formats.md §4.4. */
export const CERTIFICATE_STORE = { user: 1, machine: 2 } as const;
/** Target certificate store. */
export type CertificateStore = keyof typeof CERTIFICATE_STORE;

/** `certificateDestinationStore` (Windows trusted root): docs/formats.md §4.4. */
export const CERTIFICATE_DESTINATION_STORE = {
  computerCertStoreRoot: 0,
  computerCertStoreIntermediate: 1,
  userCertStoreIntermediate: 2,
} as const;
/** Where Windows puts a trusted certificate: computer Root, computer Intermediate, user Intermediate. */
export type CertificateDestinationStore = keyof typeof CERTIFICATE_DESTINATION_STORE;

/** `appleDeploymentChannel` (macOS): device 0, user 1, sentinel 2. */
export const APPLE_DEPLOYMENT_CHANNEL = { deviceChannel: 0, userChannel: 1, unknownFutureValue: 2 } as const;
/** macOS deployment channel (the sentinel `unknownFutureValue` is refused by the model). */
export type AppleDeploymentChannel = Exclude<keyof typeof APPLE_DEPLOYMENT_CHANNEL, 'unknownFutureValue'>;

/** `deviceManagementCertificationAuthority` (Android device owner PKCS). */
export const CERTIFICATION_AUTHORITY_TYPE = { notConfigured: 0, microsoft: 1, digiCert: 2 } as const;
/** Kind of CA behind an Android device-owner PKCS profile. */
export type CertificationAuthorityType = keyof typeof CERTIFICATION_AUTHORITY_TYPE;

/** `androidDeviceOwnerCertificateAccessType`. */
export const CERTIFICATE_ACCESS_TYPE = { userApproval: 0, specificApps: 1, unknownFutureValue: 2 } as const;
/** How apps get the private key on Android device owner (the sentinel is refused by the model). */
export type CertificateAccessType = Exclude<keyof typeof CERTIFICATE_ACCESS_TYPE, 'unknownFutureValue'>;

/** Keys of an enum table, typed. */
export function enumNames<T extends Record<string, number>>(table: T): (keyof T & string)[] {
  return Object.keys(table) as (keyof T & string)[];
}

/**
 * `keyUsages` (SCEP profiles; flags): GRAPH `intune-shared-keyusages.md@09455a65`. The model keeps the
 * list of members set.
 */
export const KEY_USAGES = { keyEncipherment: 1, digitalSignature: 2 } as const;
/** One SCEP key usage. */
export type KeyUsage = keyof typeof KEY_USAGES;

/** `keySize` (SCEP profiles): GRAPH `intune-shared-keysize.md@028b8e35`. */
export const KEY_SIZE = { size1024: 0, size2048: 1, size4096: 2 } as const;
/** The RSA key size a SCEP profile asks the device to generate. */
export type KeySize = keyof typeof KEY_SIZE;

/** `hashAlgorithms` (SCEP profiles; flags): GRAPH `intune-shared-hashalgorithms.md@19cb63cd`. */
export const HASH_ALGORITHMS = { sha1: 1, sha2: 2 } as const;
/** One SCEP hash algorithm. */
export type HashAlgorithm = keyof typeof HASH_ALGORITHMS;
