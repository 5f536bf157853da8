/**
 * Android (Enterprise work profile, device owner, and device administrator): a profile → certfleet's Android
 * policy JSON (profiles/android/policy-model.ts, itself an **[inferred]** shape: docs/formats.md §3.4 and §6 say
 * Intune's Android Enterprise mechanism is not documented).
 *
 * Mappings (docs/formats.md §6 "Android Enterprise" column, [inferred] there):
 * - trusted certificate → ONC `Certificates[]` entry `{Type: 'Authority', X509: DER}` (docs/formats.md §3.2) plus
 *   the DPC command `INSTALL_CA_CERT` (DPM `installCaCert`, §3.3);
 * - PKCS → ONC `{Type: 'Client', PKCS12}` re-wrapped with the **empty passphrase** ONC requires (§3.2; pki
 *   rewrapPkcs12) plus `INSTALL_KEY_PAIR` (DPM `installKeyPair`, §3.3) whose access follows Graph
 *   `certificateAccessType` on device-owner profiles (§3.4, §4.3): `userApproval` → `USER_APPROVAL`,
 *   `specificApps` → `SILENT` for the listed packages. Work-profile and device-administrator profiles have no
 *   such setting (PFXDOC via §6: not offered on the work profile), so they get `USER_APPROVAL` [inferred].
 * - Device administrator profiles do not come here: device administrator is not AMAPI-managed and receives
 *   OMA-DM SyncML through the Company Portal (compile-android-device-admin.ts).
 */
import { rewrapPkcs12 } from '../../pki/pkcs12.ts';
import { rewrapPkcs12On, type Pkcs12Builder } from '../../pki/pkcs12-pool.ts';
import { encodeAndroidPolicy } from '../android/policy-codec.ts';
import type { AndroidPolicy, KeyPairAccess } from '../android/policy-model.ts';
import type { PkcsCertificateProfile, TrustedCertificateProfile } from '../model/profile.ts';
import type { AndroidDeviceOwnerScepProfile, AndroidWorkProfileScepProfile } from '../model/scep-profile.ts';
import type { CompileOptions, IssuedIdentity, NativePayload } from './compile-types.ts';

/** An Android PKCS profile. */
export type AndroidPkcsProfile = Extract<
  PkcsCertificateProfile,
  { family: 'android-work-profile' | 'android-device-owner' }
>;

/** The key-pair access rule of an Android PKCS or SCEP profile (see the module comment). */
export function keyPairAccessOf(
  profile: AndroidPkcsProfile | AndroidWorkProfileScepProfile | AndroidDeviceOwnerScepProfile,
): KeyPairAccess {
  if (profile.family === 'android-device-owner' && profile.certificateAccess.type === 'specificApps') {
    return { type: 'SILENT', packages: [...profile.certificateAccess.packageIds] };
  }
  return { type: 'USER_APPROVAL' };
}

/** The KeyChain alias of an installed key pair: `certfleet-` + the display name's letters and digits. */
export function keyAliasOf(displayName: string): string {
  const slug = displayName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `certfleet-${slug === '' ? 'pkcs' : slug}`;
}

function encode(native: AndroidPolicy): NativePayload {
  return { format: 'android-policy', bytes: encodeAndroidPolicy(native), fileExtension: '.json', native };
}

/** Compiles an Android trusted-certificate profile. */
export function compileAndroidTrusted(
  profile: TrustedCertificateProfile,
  options: CompileOptions,
): NativePayload {
  const guid = options.ids('android-ca-guid');
  return encode({
    openNetworkConfiguration: {
      Type: 'UnencryptedConfiguration',
      Certificates: [{ GUID: guid, Type: 'Authority', X509: Buffer.from(profile.certificate) }],
    },
    certificateCommands: [{ type: 'INSTALL_CA_CERT', certificateGuid: guid }],
  });
}

/**
 * The re-wrap {@link compileAndroidPkcs} makes (the connector's PKCS#12 under the empty ONC passphrase), opened
 * and built on `builder` — the issuance pool, off the calling thread (pki/pkcs12-pool.ts `rewrapPkcs12On`):
 * given `options.random` the same bytes. Pass the result as `rewrappedPkcs12` with the same options.
 *
 * @example
 * const rewrappedPkcs12 = await rewrapForAndroid(issued, options, pool);
 * compileProfile(profile, facts, { ...options, rewrappedPkcs12 });
 */
export function rewrapForAndroid(
  issued: IssuedIdentity,
  options: Pick<CompileOptions, 'random' | 'pkcs12Profile'>,
  builder: Pkcs12Builder,
): Promise<Buffer> {
  return rewrapPkcs12On(builder, issued.pfx, issued.password, '', options.pkcs12Profile ?? 'modern', {
    ...(options.random !== undefined && { random: options.random }),
  });
}

/**
 * Compiles an Android PKCS profile: the connector's PKCS#12 is opened with its password and re-wrapped with
 * the empty passphrase (throws PKCS12_BAD_PASSWORD / PKCS12_PARSE when the issued identity is unusable).
 */
export function compileAndroidPkcs(
  profile: AndroidPkcsProfile,
  issued: IssuedIdentity,
  options: CompileOptions,
): NativePayload {
  const guid = options.ids('android-certificate-guid');
  const pkcs12 =
    options.rewrappedPkcs12 ??
    rewrapPkcs12(issued.pfx, issued.password, '', options.pkcs12Profile ?? 'modern', {
      ...(options.random !== undefined && { random: options.random }),
    });
  return encode({
    openNetworkConfiguration: {
      Type: 'UnencryptedConfiguration',
      Certificates: [{ GUID: guid, Type: 'Client', PKCS12: pkcs12 }],
    },
    certificateCommands: [
      {
        type: 'INSTALL_KEY_PAIR',
        alias: keyAliasOf(profile.displayName),
        pkcs12Guid: guid,
        access: keyPairAccessOf(profile),
      },
    ],
  });
}
