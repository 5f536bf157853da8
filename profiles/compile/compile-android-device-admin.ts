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
import { encodeSyncml } from '../windows/syncml-encode.ts';
import type { SyncHdr, SyncmlCommand, SyncmlMessage } from '../windows/syncml-model.ts';
import type { CompileOptions, IssuedIdentity, NativePayload } from './compile-types.ts';

function header(facts: DeviceFacts, options: CompileOptions): SyncHdr {
  const o = options.syncml ?? {};
  return {
    verDtd: '1.2',
    verProto: 'DM/1.2',
    sessionId: o.sessionId ?? '1',
    msgId: o.msgId ?? 1,
    target: o.deviceId ?? facts.attributes.entraDeviceId ?? 'device',
    source: o.serverUrl ?? 'https://mdm.certfleet.test/omadm',
  };
}

function encode(facts: DeviceFacts, options: CompileOptions, body: SyncmlCommand[]): NativePayload {
  const native: SyncmlMessage = { header: header(facts, options), body, final: true };
  return { format: 'syncml', bytes: encodeSyncml(native), fileExtension: '.xml', native };
}

/** Compiles a device-administrator trusted-certificate profile. */
export function compileDeviceAdminTrusted(
  profile: TrustedCertificateProfile,
  facts: DeviceFacts,
  options: CompileOptions,
): NativePayload {
  const guid = options.ids('android-ca-guid');
  return encode(facts, options, [buildDaRootAdd(guid, profile.certificate, options.firstCmdId ?? 1)]);
}

/** Compiles a device-administrator PKCS profile. */
export function compileDeviceAdminPkcs(
  _profile: Extract<PkcsCertificateProfile, { family: 'android-device-admin' }>,
  issued: IssuedIdentity,
  facts: DeviceFacts,
  options: CompileOptions,
): NativePayload {
  const guid = options.ids('android-certificate-guid');
  return encode(facts, options, [
    buildDaPkcsAtomic(guid, issued.pfx, issued.password, options.firstCmdId ?? 1),
  ]);
}
