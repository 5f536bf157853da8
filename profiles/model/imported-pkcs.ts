/**
 * The imported-PKCS profile kind (issue 14 point 3): an Intune "PKCS imported certificate" profile delivers a
 * certificate the tenant imported for a user (`certfleet pfx import`, docs/formats.md §5.4) to every device of
 * that user — the same certificate and key on each device, chosen by the profile's intended purpose.
 *
 * Graph types (GRAPH, microsoftgraph/microsoft-graph-docs-contrib `api-reference/beta/resources/`):
 * `windows10ImportedPFXCertificateProfile` (`intune-deviceconfig-windows10importedpfxcertificateprofile.md@01784a99`:
 * windowsCertificateProfileBase — `renewalThresholdPercentage`, `keyStorageProvider`, subject/SAN/validity — and
 * its own `intendedPurpose`), `macOSImportedPFXCertificateProfile` (`…macosimportedpfxcertificateprofile.md@00e146a9`),
 * `iosImportedPFXCertificateProfile`, `androidWorkProfileImportedPFXCertificateProfile` (whose successor name is
 * `androidForWorkImportedPFXCertificateProfile`), `androidDeviceOwnerImportedPFXCertificateProfile` and
 * `androidImportedPFXCertificateProfile` (device administrator). The `intendedPurpose` enum:
 * `intune-deviceconfig-intendedpurpose.md@022b186d` (unassigned 1, smimeEncryption 2, smimeSigning 3, vpn 4,
 * wifi 5).
 *
 * What the model keeps: the purpose (which of the user's imported PFXs is delivered), the Windows key storage
 * provider (where the imported key is put), the macOS deployment channel (device or user keychain), the
 * Android fully-managed certificate access (`certificateAccessType`, `silentCertificateAccessDetails` on
 * `androidDeviceOwnerImportedPFXCertificateProfile`, GRAPH @022b186d) and the renewal threshold (kept for the
 * round trip; an imported certificate is not renewed by Intune — a new import replaces it — so a threshold
 * other than the default is reported by unusedSettingsOf). The subject, SAN, validity and EKU properties the
 * Graph types inherit from the certificate-profile bases describe a certificate Intune issues; an imported
 * certificate keeps what it was made with, so the Graph importer accepts them and lists each as having no
 * effect (profiles/graph/import-imported.ts).
 */
import type { AppleDeploymentChannel, KeyStorageProvider } from './enums.ts';
import type { CertificateAccess, ProfileMetadata } from './profile.ts';

/** Graph `intendedPurpose` member = numeric value (GRAPH intendedpurpose.md@022b186d). */
export const INTENDED_PURPOSE = {
  unassigned: 1,
  smimeEncryption: 2,
  smimeSigning: 3,
  vpn: 4,
  wifi: 5,
} as const;
/** One intended purpose of an imported PFX and of the profile that delivers it. */
export type IntendedPurpose = keyof typeof INTENDED_PURPOSE;
/** Every intended purpose, in Graph order. */
export const INTENDED_PURPOSES = Object.keys(INTENDED_PURPOSE) as IntendedPurpose[];

/** Settings every imported-PKCS profile has. */
export interface ImportedPkcsCommon extends ProfileMetadata {
  kind: 'pkcs-imported-certificate';
  /** Which imported PFX of the user the profile delivers (required: Graph has no default). */
  intendedPurpose: IntendedPurpose;
  /** Graph base property, integer 1–99, default 20; not acted on (an imported PFX is re-imported, not renewed). */
  renewalThresholdPercentage: number;
}
/** Windows 10/11 (`windows10ImportedPFXCertificateProfile`). */
export interface WindowsImportedPkcsProfile extends ImportedPkcsCommon {
  family: 'windows';
  /** Where the imported key goes; default `useTpmKspOtherwiseUseSoftwareKsp`. */
  keyStorageProvider: KeyStorageProvider;
}
/** macOS (`macOSImportedPFXCertificateProfile`). */
export interface MacosImportedPkcsProfile extends ImportedPkcsCommon {
  family: 'macos';
  /** Default `deviceChannel`. */
  deploymentChannel: AppleDeploymentChannel;
}
/** Android Enterprise fully managed / dedicated / COPE (`androidDeviceOwnerImportedPFXCertificateProfile`). */
export interface AndroidDeviceOwnerImportedPkcsProfile extends ImportedPkcsCommon {
  family: 'android-device-owner';
  /** Graph `certificateAccessType` + `silentCertificateAccessDetails`; default `userApproval`. */
  certificateAccess: CertificateAccess;
}
/** iOS/iPadOS, Android work profile and device administrator (no family-specific settings). */
export interface PlainImportedPkcsProfile extends ImportedPkcsCommon {
  family: 'ios' | 'android-work-profile' | 'android-device-admin';
}
/** An imported-PKCS profile of any family. */
export type ImportedPkcsProfile =
  | WindowsImportedPkcsProfile
  | MacosImportedPkcsProfile
  | AndroidDeviceOwnerImportedPkcsProfile
  | PlainImportedPkcsProfile;
