/**
 * macOS and iOS/iPadOS: a profile → one `.mobileconfig` with one certificate payload (docs/formats.md §1, §6).
 *
 * Mappings (docs/formats.md §6 "macOS / iOS" column, all **[inferred mapping]** there):
 * - trusted certificate → `com.apple.security.root`, `PayloadContent` = the DER, `PayloadCertificateFileName`
 *   = Graph `certFileName` (§1.3: root is "Alias for com.apple.security.pkcs1", DER without private key);
 * - PKCS → `com.apple.security.pkcs12`, `PayloadContent` = the connector's PKCS#12, `Password` = its password
 *   (§1.3 "Password … The password to the identity");
 * - macOS `deploymentChannel` → top-level `PayloadScope`: `deviceChannel` → `System`, `userChannel` → `User`
 *   (§1.1: PayloadScope is macOS-only and "determines the location of certificate items, such as keychains";
 *   §6 "macOS channel per deploymentChannel");
 * - macOS PKCS `allowAllAppsAccess` → `AllowAllAppsAccess` (§1.3, macOS 10.10+ only), and
 *   `KeyIsExtractable` false (§1.3 macOS 10.15+; PFXDOC via §5.2 "After the certificates install on the device,
 *   the private key is marked as not exportable") [inferred];
 * - iOS gets none of the macOS-only keys (`PayloadScope`, `AllowAllAppsAccess`, `KeyIsExtractable`).
 */
import { encodeMobileconfig } from '../apple/mobileconfig.ts';
import type {
  AppleCertificateProfile,
  CertificatePayload,
  Pkcs12CertificatePayload,
} from '../apple/mobileconfig-types.ts';
import type { AppleDeploymentChannel } from '../model/enums.ts';
import type { IosPkcsProfile, MacosPkcsProfile, TrustedCertificateProfile } from '../model/profile.ts';
import type { CompileOptions, IssuedIdentity, NativePayload } from './compile-types.ts';

/** macOS `deploymentChannel` → `PayloadScope` (docs/formats.md §1.1, §6). */
export const PAYLOAD_SCOPE_OF_CHANNEL = {
  deviceChannel: 'System',
  userChannel: 'User',
} as const satisfies Record<AppleDeploymentChannel, 'System' | 'User'>;

/** A file name safe for `PayloadCertificateFileName`: the display name's letters, digits, `-` and `_`. */
export function fileNameOf(displayName: string, extension: string): string {
  const base = displayName.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${base === '' ? 'certificate' : base}${extension}`;
}

function wrap(
  profile: { displayName: string; description?: string },
  payload: CertificatePayload,
  topUuid: string,
  options: CompileOptions,
  scope: 'System' | 'User' | undefined,
): AppleCertificateProfile {
  return {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: `com.certfleet.profile.${topUuid}`,
    PayloadUUID: topUuid,
    PayloadDisplayName: profile.displayName,
    ...(profile.description !== undefined && { PayloadDescription: profile.description }),
    PayloadOrganization: options.organization ?? 'certfleet',
    ...(scope !== undefined && { PayloadScope: scope }),
    PayloadContent: [payload],
  };
}

function encode(native: AppleCertificateProfile, platform: 'macos' | 'ios'): NativePayload {
  return {
    format: 'mobileconfig',
    bytes: encodeMobileconfig(native, { platform }),
    fileExtension: '.mobileconfig',
    native,
  };
}

/** Compiles a macOS or iOS trusted-certificate profile (`platform` is the profile's family). */
export function compileAppleTrusted(
  profile: TrustedCertificateProfile,
  platform: 'macos' | 'ios',
  options: CompileOptions,
): NativePayload {
  const top = options.ids('apple-profile-uuid');
  const uuid = options.ids('apple-payload-uuid');
  const payload: CertificatePayload = {
    PayloadType: 'com.apple.security.root',
    PayloadVersion: 1,
    PayloadIdentifier: `com.certfleet.profile.${top}.root`,
    PayloadUUID: uuid,
    PayloadDisplayName: profile.displayName,
    PayloadCertificateFileName: profile.certFileName,
    PayloadContent: Buffer.from(profile.certificate),
  };
  const scope = profile.family === 'macos' ? PAYLOAD_SCOPE_OF_CHANNEL[profile.deploymentChannel] : undefined;
  return encode(wrap(profile, payload, top, options, scope), platform);
}

/** Compiles a macOS or iOS PKCS profile around the connector's PKCS#12. */
export function compileApplePkcs(
  profile: MacosPkcsProfile | IosPkcsProfile,
  issued: IssuedIdentity,
  options: CompileOptions,
): NativePayload {
  const top = options.ids('apple-profile-uuid');
  const uuid = options.ids('apple-payload-uuid');
  const payload: Pkcs12CertificatePayload = {
    PayloadType: 'com.apple.security.pkcs12',
    PayloadVersion: 1,
    PayloadIdentifier: `com.certfleet.profile.${top}.pkcs12`,
    PayloadUUID: uuid,
    PayloadDisplayName: profile.displayName,
    PayloadCertificateFileName: fileNameOf(profile.displayName, '.pfx'),
    PayloadContent: Buffer.from(issued.pfx),
    Password: issued.password,
    ...(profile.family === 'macos' && {
      AllowAllAppsAccess: profile.allowAllAppsAccess,
      KeyIsExtractable: false,
    }),
  };
  const scope = profile.family === 'macos' ? PAYLOAD_SCOPE_OF_CHANNEL[profile.deploymentChannel] : undefined;
  return encode(wrap(profile, payload, top, options, scope), profile.family);
}
