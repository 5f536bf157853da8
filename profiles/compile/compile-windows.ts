/**
 * Windows 10/11: a profile → one OMA-DM SyncML 1.2 server message (docs/formats.md §2, §6).
 *
 * Mappings:
 * - trusted certificate `destinationStore` → RootCATrustedCertificates node (docs/formats.md §2.4 **[inferred]**
 *   Graph → CSP mapping; §6): `computerCertStoreRoot` → `./Device/…/Root`, `computerCertStoreIntermediate` →
 *   `./Device/…/CA`, `userCertStoreIntermediate` → `./User/…/CA`; the node name is the certificate's SHA-1
 *   thumbprint in upper-case hex and the DER goes to `EncodedCertificate` as one-line base64 (§2.4 observed
 *   Intune LocURIs).
 * - PKCS `keyStorageProvider` → `KeyLocation` (docs/formats.md §2.3 KeyLocation values; the Graph → CSP mapping is
 *   **[inferred]**): `useTpmKspOtherwiseFail` → 1, `useTpmKspOtherwiseUseSoftwareKsp` → 2, `useSoftwareKsp`
 *   → 3, `usePassportForWorkKspOtherwiseFail` → 4 (with a ContainerName, which CCI requires for 4; its value
 *   is not documented, certfleet uses `certfleet-<UniqueID>` [inferred], windowsHelloContainerName).
 * - PKCS certificate type (Graph `certificateStore` user/machine) → `./User` or `./Device`
 *   ClientCertificateInstall tree (docs/formats.md §6 "./User or ./Device per certificateStore").
 * - `PFXKeyExportable` false: PFXDOC "the private key is marked as not exportable" (docs/formats.md §5.2), and
 *   CCI allows true only with KeyLocation 3.
 * - `PFXCertPassword` + `PFXCertPasswordEncryptionType`: 1 with the base64 CMS blob when the caller passes
 *   `encryptPassword` (Intune re-encrypts the password to the device management certificate, docs/formats.md §2.6
 *   DIRKJAN/PKCSTS), else 0 with the password in clear (docs/formats.md §2.3).
 * - `{UniqueID}`: an upper-case GUID from the injected id source (docs/formats.md §2.6 IMITUNE).
 */
import { sha1Thumbprint } from '../../pki/thumbprint.ts';
import type { CertificateDestinationStore, KeyStorageProvider } from '../model/enums.ts';
import type { WindowsPkcsProfile, WindowsTrustedCertificateProfile } from '../model/profile.ts';
import type { DeviceFacts } from '../variables/facts.ts';
import type { LocUriScope } from '../windows/loc-uri.ts';
import { buildPfxInstallAtomic, pfxLocUri, type PfxKeyLocation } from '../windows/pfx-cert-install.ts';
import { buildTrustedCertAdd, type RootCaStore } from '../windows/root-ca-trusted-certificates.ts';
import type { SyncmlItemCommand } from '../windows/syncml-model.ts';
import type { CompileOptions, IssuedIdentity, NativePayload } from './compile-types.ts';
import { syncmlPayload } from './syncml-message.ts';

/** `destinationStore` → RootCATrustedCertificates scope and store (docs/formats.md §2.4 [inferred], §6). */
export const TRUSTED_STORE_OF_DESTINATION = {
  computerCertStoreRoot: { scope: 'Device', store: 'Root' },
  computerCertStoreIntermediate: { scope: 'Device', store: 'CA' },
  userCertStoreIntermediate: { scope: 'User', store: 'CA' },
} as const satisfies Record<CertificateDestinationStore, { scope: LocUriScope; store: RootCaStore }>;

/** `keyStorageProvider` → CCI `KeyLocation` (docs/formats.md §2.3 values; mapping [inferred]). */
export const KEY_LOCATION_OF_PROVIDER = {
  useTpmKspOtherwiseFail: 1,
  useTpmKspOtherwiseUseSoftwareKsp: 2,
  useSoftwareKsp: 3,
  usePassportForWorkKspOtherwiseFail: 4,
} as const satisfies Record<KeyStorageProvider, PfxKeyLocation>;

/**
 * The Windows Hello for Business container of the key installed under `{UniqueID}` (PFX `ContainerName`, SCEP
 * `Install/ContainerName`): CCI requires one when the key goes to Windows Hello (KeyLocation / KeyProtection 4,
 * docs/formats.md §2.3) but documents no value, so certfleet names it after the node [inferred].
 */
export function windowsHelloContainerName(uniqueId: string): string {
  return `certfleet-${uniqueId}`;
}

/** Certificate type → ClientCertificateInstall scope (docs/formats.md §6). */
export const PFX_SCOPE_OF_CERTIFICATE_TYPE = {
  user: 'User',
  device: 'Device',
} as const satisfies Record<WindowsPkcsProfile['certificateType'], LocUriScope>;

/** Compiles a Windows trusted-certificate profile into one RootCATrustedCertificates Add. */
export function compileWindowsTrusted(
  profile: WindowsTrustedCertificateProfile,
  facts: DeviceFacts,
  options: CompileOptions,
): NativePayload {
  const { scope, store } = TRUSTED_STORE_OF_DESTINATION[profile.destinationStore];
  const der = Buffer.from(profile.certificate);
  const add = buildTrustedCertAdd(
    { scope, store, thumbprint: sha1Thumbprint(der), certificateDer: der },
    options.firstCmdId ?? 1,
  );
  return syncmlPayload(facts, options, [add]);
}

/** Compiles a Windows PKCS profile into the PFXCertInstall Atomic around the connector's PKCS#12. */
export function compileWindowsPkcs(
  profile: WindowsPkcsProfile,
  issued: IssuedIdentity,
  facts: DeviceFacts,
  options: CompileOptions,
): NativePayload {
  const uniqueId = options.ids('windows-unique-id');
  const keyLocation = KEY_LOCATION_OF_PROVIDER[profile.keyStorageProvider];
  const encrypted = options.encryptPassword !== undefined;
  const scope = PFX_SCOPE_OF_CERTIFICATE_TYPE[profile.certificateType];
  const firstCmdId = options.firstCmdId ?? 1;
  const remove: SyncmlItemCommand[] = options.replacesInstalled
    ? [{ kind: 'Delete', cmdId: firstCmdId, items: [{ target: pfxLocUri(scope, uniqueId) }] }]
    : [];
  const atomic = buildPfxInstallAtomic(
    {
      scope,
      uniqueId,
      keyLocation,
      ...(keyLocation === 4 && { containerName: windowsHelloContainerName(uniqueId) }),
      password: options.encryptPassword ? options.encryptPassword(issued.password) : issued.password,
      passwordEncryptionType: encrypted ? 1 : 0,
      keyExportable: false,
      pfxBlob: Buffer.from(issued.pfx),
    },
    firstCmdId + remove.length,
  );
  return syncmlPayload(facts, options, [...remove, atomic]);
}
