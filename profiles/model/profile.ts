/**
 * The certificate profile model: Intune "trusted certificate" and "PKCS certificate" profiles per profile
 * family. Field names follow the Microsoft Graph (beta) properties where one exists (docs/formats.md §4.2/§4.3),
 * so a problem path such as `renewalThresholdPercentage` reads the same in the model and in Graph JSON.
 * Values are Graph enum member names ({@link ./enums.ts}).
 *
 * Two settings are named after the admin-center wording instead of Graph:
 * - `certificateType` (`user` | `device`, PFXDOC "Certificate type") ↔ Graph `certificateStore`
 *   (`user` | `machine`) — the mapping user↔user, device↔machine is **[inferred]**: Graph has no
 *   certificate-type property and the store is the only user/device switch on the PKCS types.
 * - `validity` {value, unit} ↔ Graph `certificateValidityPeriodValue` / `certificateValidityPeriodScale`.
 */
import type {
  AppleDeploymentChannel,
  AppleSubjectNameFormat,
  CertificateAccessType,
  CertificateDestinationStore,
  CertificationAuthorityType,
  KeyStorageProvider,
  SanType,
  SubjectNameFormat,
  ValidityUnit,
} from './enums.ts';
import type { ImportedPkcsProfile } from './imported-pkcs.ts';
import type { ProfileFamily } from './platform.ts';
import type { ScepCertificateProfile } from './scep-profile.ts';

/** The profile kinds (SCEP: profiles/model/scep-profile.ts; the imported-PKCS kind: imported-pkcs.ts). */
export const PROFILE_KINDS = [
  'trusted-certificate',
  'pkcs-certificate',
  'scep-certificate',
  'pkcs-imported-certificate',
] as const;
/** One of {@link PROFILE_KINDS}. */
export type ProfileKind = (typeof PROFILE_KINDS)[number];

/** Certificate type (PFXDOC settings table): user certificates may carry user and device variables, device ones only device variables. */
export const CERTIFICATE_TYPES = ['user', 'device'] as const;
/** One of {@link CERTIFICATE_TYPES}. */
export type CertificateType = (typeof CERTIFICATE_TYPES)[number];

/** Graph `deviceConfiguration` metadata the model keeps (docs/formats.md §4.1); other inherited properties are dropped. */
export interface ProfileMetadata {
  /** Graph entity id (a GUID in Graph; any non-empty string in scenario files). */
  id?: string;
  displayName: string;
  description?: string;
}

// --- trusted certificate -------------------------------------------------------------------------

/** Settings every trusted-certificate profile has (docs/formats.md §4.2). */
export interface TrustedCertificateCommon extends ProfileMetadata {
  kind: 'trusted-certificate';
  /** DER bytes of the root or intermediate CA certificate (Graph `trustedRootCertificate`, base64 in JSON). */
  certificate: Uint8Array;
  /** "File name to display in UI." (Graph `certFileName`). */
  certFileName: string;
}

/** Windows 10/11 trusted certificate (`windows81TrustedRootCertificate`). */
export interface WindowsTrustedCertificateProfile extends TrustedCertificateCommon {
  family: 'windows';
  /** Computer Root, computer Intermediate or user Intermediate; default `computerCertStoreRoot`. */
  destinationStore: CertificateDestinationStore;
}
/** macOS trusted certificate (`macOSTrustedRootCertificate`). */
export interface MacosTrustedCertificateProfile extends TrustedCertificateCommon {
  family: 'macos';
  /** Device or user channel; default `deviceChannel`. */
  deploymentChannel: AppleDeploymentChannel;
}
/** iOS/iPadOS and Android trusted certificates (no family-specific settings). */
export interface PlainTrustedCertificateProfile extends TrustedCertificateCommon {
  family: 'ios' | 'android-work-profile' | 'android-device-owner' | 'android-device-admin';
}
/** A trusted-certificate profile of any family. */
export type TrustedCertificateProfile =
  WindowsTrustedCertificateProfile | MacosTrustedCertificateProfile | PlainTrustedCertificateProfile;

// --- PKCS certificate ----------------------------------------------------------------------------

/** Validity period (PFXDOC/SCEPDOC: ≥ 5 days recommended, ≤ 24 months supported). */
export interface ValidityPeriod {
  value: number;
  unit: ValidityUnit;
}

/** One custom SAN (Graph `customSubjectAlternativeName`): a SAN attribute and its value template. */
export interface CustomSubjectAlternativeName {
  sanType: SanType;
  /** Static text and `{{variables}}` (for `customAzureADAttribute`: the attribute text as entered). */
  name: string;
}

/** An extended key usage (Graph `extendedKeyUsage`). */
export interface ExtendedKeyUsage {
  name: string;
  /** Dotted-decimal OID, e.g. `1.3.6.1.5.5.7.3.2` (client authentication). */
  objectIdentifier: string;
}

/** Android device-owner certificate access (PFXDOC "Certificate access"; docs/formats.md §3.4). */
export type CertificateAccess =
  | { type: Extract<CertificateAccessType, 'userApproval'> }
  | { type: Extract<CertificateAccessType, 'specificApps'>; packageIds: string[] };

/** Settings every PKCS profile has (docs/formats.md §4.3 "certificate profile base" + PKCS own properties). */
export interface PkcsCommon<F extends SubjectNameFormat = SubjectNameFormat> extends ProfileMetadata {
  kind: 'pkcs-certificate';
  /** Renew when this % of the lifetime remains; integer 1–99, default 20. */
  renewalThresholdPercentage: number;
  /** Default 1 year (PFXDOC: "this option may be set to one year"). */
  validity: ValidityPeriod;
  /** CA FQDN (`ca01.corp.contoso.com`) or configuration string `Host\CA-Name`. */
  certificationAuthority: string;
  /** CA common name, e.g. "Contoso Certification Authority". */
  certificationAuthorityName: string;
  /** Certificate template name on the CA. */
  certificateTemplateName: string;
  certificateType: CertificateType;
  /** Named subject format; `custom` uses {@link subjectNameFormatString}. Default `commonName`. */
  subjectNameFormat: F;
  /** Custom subject template (required when the format is `custom`; kept as-is otherwise). */
  subjectNameFormatString?: string;
  /** SAN type flags (Graph `subjectAlternativeNameType`), without `none`; default none. */
  subjectAlternativeNameType: SanType[];
  /** "Custom String that defines the AAD Attribute." (used with the `customAzureADAttribute` flag). */
  subjectAlternativeNameFormatString?: string;
  /** Custom SANs (≤ 500). */
  customSubjectAlternativeNames: CustomSubjectAlternativeName[];
}

/** Windows 10/11 PKCS (`windows10PkcsCertificateProfile`). */
export interface WindowsPkcsProfile extends PkcsCommon {
  family: 'windows';
  /** Default `useTpmKspOtherwiseUseSoftwareKsp`. */
  keyStorageProvider: KeyStorageProvider;
  /** ≤ 500. */
  extendedKeyUsages: ExtendedKeyUsage[];
}
/** macOS PKCS (`macOSPkcsCertificateProfile`). */
export interface MacosPkcsProfile extends PkcsCommon<AppleSubjectNameFormat> {
  family: 'macos';
  /** Give all apps access to the private key; default false. */
  allowAllAppsAccess: boolean;
  /** Default `deviceChannel`. */
  deploymentChannel: AppleDeploymentChannel;
}
/** iOS/iPadOS PKCS (`iosPkcsCertificateProfile`). */
export interface IosPkcsProfile extends PkcsCommon<AppleSubjectNameFormat> {
  family: 'ios';
}
/** Android settings shared by every Android PKCS family. */
interface AndroidPkcsCommon extends PkcsCommon {
  /** ≤ 500. */
  extendedKeyUsages: ExtendedKeyUsage[];
  /** Id of the trusted-certificate profile of the same family this profile points to (Graph relationship `rootCertificate`). */
  rootCertificateId?: string;
}
/** Android Enterprise personally-owned work profile PKCS (`androidWorkProfilePkcsCertificateProfile`). */
export interface AndroidWorkProfilePkcsProfile extends AndroidPkcsCommon {
  family: 'android-work-profile';
}
/** Android Enterprise fully managed / dedicated / COPE PKCS (`androidDeviceOwnerPkcsCertificateProfile`). */
export interface AndroidDeviceOwnerPkcsProfile extends AndroidPkcsCommon {
  family: 'android-device-owner';
  /** Default `userApproval`; `specificApps` lists ≤ 50 package ids. */
  certificateAccess: CertificateAccess;
  /** Default `notConfigured`. */
  certificationAuthorityType: CertificationAuthorityType;
}
/**
 * Android device administrator PKCS (`androidPkcsCertificateProfile`). Graph gives this type no
 * `certificateStore`, `subjectNameFormatString` nor `customSubjectAlternativeNames`, and PFXDOC offers no
 * certificate-type choice for it, so it is always a user certificate with a named subject format.
 */
export interface AndroidDeviceAdminPkcsProfile extends Omit<
  AndroidPkcsCommon,
  'certificateType' | 'subjectNameFormat' | 'subjectNameFormatString' | 'customSubjectAlternativeNames'
> {
  family: 'android-device-admin';
  certificateType: 'user';
  subjectNameFormat: Exclude<SubjectNameFormat, 'custom'>;
  subjectNameFormatString?: undefined;
  customSubjectAlternativeNames?: undefined;
}
/** A PKCS profile of any family. */
export type PkcsCertificateProfile =
  | WindowsPkcsProfile
  | MacosPkcsProfile
  | IosPkcsProfile
  | AndroidWorkProfilePkcsProfile
  | AndroidDeviceOwnerPkcsProfile
  | AndroidDeviceAdminPkcsProfile;

/** Any certificate profile. */
export type CertificateProfile =
  TrustedCertificateProfile | PkcsCertificateProfile | ScepCertificateProfile | ImportedPkcsProfile;

/** The family of a profile, as a type. */
export type FamilyOf<P extends CertificateProfile> = P['family'];
/** Compile-time check that every family has both kinds. */
export type _EveryFamilyCovered = [ProfileFamily] extends [PkcsCertificateProfile['family']]
  ? [ProfileFamily] extends [TrustedCertificateProfile['family']]
    ? true
    : never
  : never;
