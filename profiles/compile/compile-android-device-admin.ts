/**
 * Android **device administrator** profiles → the OMA-DM SyncML the Company Portal app receives
 * (profiles/android/device-admin-syncml.ts; docs/formats.md §2.5/§3.4). Device administrator is not managed
 * through the Android Management API, so none of the AMAPI policy fields (`openNetworkConfiguration`,
 * `certificateCommands`) appear here.
 *
 * - trusted certificate → `Add ./Vendor/MSFT/CertificateStore/Root/{GUID}/EncodedCertificate` (b64 DER);
 * - PKCS → an `Atomic` with the connector's PKCS#12 and its password under `My/User/{GUID}` **[inferred]**
 *   (see the codec's table). The password travels as the connector made it, as Windows' PFXCertPassword does.
 */
import { buildDaPkcsAtomic, buildDaRootAdd } from '../android/device-admin-syncml.ts';
import type { PkcsCertificateProfile, TrustedCertificateProfile } from '../model/profile.ts';
import type { DeviceFacts } from '../variables/facts.ts';
import type { CompileOptions, IssuedIdentity, NativePayload } from './compile-types.ts';
import { syncmlPayload } from './syncml-message.ts';

/** Compiles a device-administrator trusted-certificate profile. */
export function compileDeviceAdminTrusted(
  profile: TrustedCertificateProfile,
  facts: DeviceFacts,
  options: CompileOptions,
): NativePayload {
  const guid = options.ids('android-ca-guid');
  return syncmlPayload(facts, options, [buildDaRootAdd(guid, profile.certificate, options.firstCmdId ?? 1)]);
}

/** Compiles a device-administrator PKCS profile. */
export function compileDeviceAdminPkcs(
  _profile: Extract<PkcsCertificateProfile, { family: 'android-device-admin' }>,
  issued: IssuedIdentity,
  facts: DeviceFacts,
  options: CompileOptions,
): NativePayload {
  const guid = options.ids('android-certificate-guid');
  return syncmlPayload(facts, options, [
    buildDaPkcsAtomic(guid, issued.pfx, issued.password, options.firstCmdId ?? 1),
  ]);
}
