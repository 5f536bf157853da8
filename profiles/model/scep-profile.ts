/**
 * The SCEP certificate profile model (kind `scep-certificate`): the device makes its own key pair and
 * enrols with a SCEP (NDES) server using a one-time challenge the service issues. Field names follow the
 * Microsoft Graph (beta) types (GRAPH, `microsoftgraph/microsoft-graph-docs-contrib@022b186d`):
 * `windows81SCEPCertificateProfile`, `macOSScepCertificateProfile` (`@0061138f`), `iosScepCertificateProfile`,
 * `androidWorkProfileScepCertificateProfile`, `androidDeviceOwnerScepCertificateProfile`. Android device
 * administrator SCEP (`androidScepCertificateProfile`) is not modelled: the model refuses the family.
 *
 * As in the PKCS model, `certificateType` (user | device) stands for Graph `certificateStore` (user | machine)
 * and `validity` for `certificateValidityPeriodValue` / `certificateValidityPeriodScale`. A SCEP profile names
 * no CA nor template: the SCEP server the device enrols with decides (SCEPDOC).
 */
import type {
  AppleSubjectNameFormat,
  HashAlgorithm,
  KeySize,
  KeyStorageProvider,
  SanType,
  SubjectNameFormat,
} from './enums.ts';
import type {
  CertificateAccess,
  CertificateType,
  CustomSubjectAlternativeName,
  ExtendedKeyUsage,
  ProfileMetadata,
  ValidityPeriod,
} from './profile.ts';
import type { KeyUsage } from './enums.ts';

/** Settings every SCEP profile has. */
export interface ScepCommon<F extends SubjectNameFormat = SubjectNameFormat> extends ProfileMetadata {
  kind: 'scep-certificate';
  /** Renew when this % of the lifetime remains; integer 1–99, default 20 (GRAPH "Valid values 1 to 99"). */
  renewalThresholdPercentage: number;
  /** Default 1 year; ≤ 24 months (SCEPDOC). */
  validity: ValidityPeriod;
  /** User or device certificate (Graph `certificateStore` user | machine). */
  certificateType: CertificateType;
  /** Named subject format; `custom` uses {@link subjectNameFormatString}. Default `commonName`. */
  subjectNameFormat: F;
  subjectNameFormatString?: string;
  /** SAN type flags without `none`. */
  subjectAlternativeNameType: SanType[];
  /** "Custom String that defines the AAD Attribute." */
  subjectAlternativeNameFormatString?: string;
  /** Custom SANs (≤ 500). */
  customSubjectAlternativeNames: CustomSubjectAlternativeName[];
  /** "SCEP Server Url(s)": absolute http(s) URLs, at least one (the device tries them in order). */
  scepServerUrls: string[];
  /** Key usage flags set (at least one); default both. */
  keyUsage: KeyUsage[];
  /** RSA key size the device generates; default `size2048`. */
  keySize: KeySize;
  /** EKUs (≤ 500). */
  extendedKeyUsages: ExtendedKeyUsage[];
  /** Id of the trusted-certificate profile of the same family this profile points to (Graph relationship `rootCertificate`). */
  rootCertificateId?: string;
}

/** Windows 10/11 SCEP (`windows81SCEPCertificateProfile`). */
export interface WindowsScepProfile extends ScepCommon {
  family: 'windows';
  /** Default `useTpmKspOtherwiseUseSoftwareKsp`. */
  keyStorageProvider: KeyStorageProvider;
  /** Hash algorithm flags set (at least one); default `sha2`. */
  hashAlgorithm: HashAlgorithm[];
}
/** macOS SCEP (`macOSScepCertificateProfile`). */
export interface MacosScepProfile extends ScepCommon<AppleSubjectNameFormat> {
  family: 'macos';
  hashAlgorithm: HashAlgorithm[];
  /** Give all apps access to the private key; default false. */
  allowAllAppsAccess: boolean;
}
/** iOS/iPadOS SCEP (`iosScepCertificateProfile`: Graph gives it no `hashAlgorithm`). */
export interface IosScepProfile extends ScepCommon<AppleSubjectNameFormat> {
  family: 'ios';
}
/** Android Enterprise personally-owned work profile SCEP (`androidWorkProfileScepCertificateProfile`). */
export interface AndroidWorkProfileScepProfile extends ScepCommon {
  family: 'android-work-profile';
  hashAlgorithm: HashAlgorithm[];
}
/** Android Enterprise fully managed / dedicated / COPE SCEP (`androidDeviceOwnerScepCertificateProfile`). */
export interface AndroidDeviceOwnerScepProfile extends ScepCommon {
  family: 'android-device-owner';
  hashAlgorithm: HashAlgorithm[];
  /** Default `userApproval`; `specificApps` lists ≤ 50 package ids. */
  certificateAccess: CertificateAccess;
}
/** A SCEP profile of any modelled family. */
export type ScepCertificateProfile =
  | WindowsScepProfile
  | MacosScepProfile
  | IosScepProfile
  | AndroidWorkProfileScepProfile
  | AndroidDeviceOwnerScepProfile;

/** The families a SCEP profile can target (every family but Android device administrator). */
export const SCEP_FAMILIES = [
  'windows',
  'macos',
  'ios',
  'android-work-profile',
  'android-device-owner',
] as const satisfies readonly ScepCertificateProfile['family'][];

/** Ranges and defaults of the SCEP-only settings. */
export const SCEP_LIMITS = {
  /** Default key usage: both flags [inferred: the admin center's usual choice; CCI KeyUsage example 160 = both]. */
  keyUsage: ['keyEncipherment', 'digitalSignature'] as KeyUsage[],
  keySize: 'size2048' as KeySize,
  /** SCEPDOC: Android Enterprise uses SHA-2 whatever is set; default SHA-2. */
  hashAlgorithm: ['sha2'] as HashAlgorithm[],
  /** At most this many SCEP server URLs [inferred: no documented limit; certfleet's bound]. */
  maxScepServerUrls: 20,
} as const;

/** Bits of a {@link KeySize}. */
export const KEY_SIZE_BITS: Record<KeySize, 1024 | 2048 | 4096> = {
  size1024: 1024,
  size2048: 2048,
  size4096: 4096,
};

/**
 * The key sizes certfleet's simulated devices make for SCEP: RSA of 2048 bits or more (pki/keys.ts makes no
 * smaller RSA key). Intune also offers 1024 (Graph `keySize` size1024), which a reader of a profile refuses
 * with {@link unsimulatedKeySizeRule} — a limit of the simulator, said before any device fails on it.
 */
export const SIMULATED_KEY_SIZES: readonly KeySize[] = ['size2048', 'size4096'];

/**
 * Why `keySize` cannot be simulated (phrased to follow the setting's path), or undefined when it can. `spell`
 * writes a size as the reader's input does: `size1024` in Graph JSON, `1024` in a scenario.
 *
 * @example
 * unsimulatedKeySizeRule('size1024', (s) => String(KEY_SIZE_BITS[s]))
 * // → "1024 is an Intune option, but certfleet's simulated devices make RSA keys of 2048 bits or more only; use 2048 or 4096"
 */
export function unsimulatedKeySizeRule(
  keySize: KeySize,
  spell: (size: KeySize) => string,
): string | undefined {
  if (SIMULATED_KEY_SIZES.includes(keySize)) return undefined;
  return `${spell(keySize)} is an Intune option, but certfleet's simulated devices make RSA keys of ${Math.min(...SIMULATED_KEY_SIZES.map((s) => KEY_SIZE_BITS[s]))} bits or more only; use ${SIMULATED_KEY_SIZES.map(spell).join(' or ')}`;
}
