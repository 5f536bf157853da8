/**
 * `compileProfile`: one validated profile + one device → the native payload that device's OS receives
 * (docs/architecture.md flow step 5; docs/formats.md §6 cheat-sheet), or the typed outcome that stops it. Pure: no I/O, no
 * clock, no randomness of its own (ids and PKCS#12 salts are injected).
 *
 * | family | trusted certificate | PKCS certificate |
 * |---|---|---|
 * | windows | SyncML Add RootCATrustedCertificates (compile-windows.ts) | SyncML Atomic PFXCertInstall |
 * | macos, ios | `.mobileconfig` com.apple.security.root (compile-apple.ts) | `.mobileconfig` com.apple.security.pkcs12 |
 * | android-work-profile, android-device-owner | policy JSON ONC Authority + INSTALL_CA_CERT (compile-android.ts) | ONC Client + INSTALL_KEY_PAIR |
 * | android-device-admin | SyncML Add CertificateStore Root (compile-android-device-admin.ts) | SyncML Atomic CertificateStore My/User |
 *
 * SCEP certificate profiles: macOS/iOS `.mobileconfig` com.apple.security.scep (compile-apple-scep.ts), with
 * the run's SCEP URL and the device's one-time challenge in `options.scep`; Windows SyncML Atomic
 * ClientCertificateInstall/SCEP + Enroll Exec (compile-windows-scep.ts); Android Enterprise policy JSON
 * with an `ENROLL_SCEP` command (compile-android-scep.ts). Android device administrator SCEP is not modelled
 * (the model refuses the family).
 * An imported-PKCS profile goes out in its family's PKCS wrapping around the user's imported PFX (compile-imported.ts).
 *
 * For a PKCS profile the subject and SANs are resolved first ({@link resolveRequest}): a variable the device
 * cannot supply ends in its `MissingVariable` outcome and nothing is compiled, exactly as Intune fails the
 * profile on that device (docs/formats.md §5.2) — unless the caller passes the request it already resolved
 * (`options.request`; the MDM service resolves once per delivery). The identity itself is issued beforehand by the connector
 * (simulator/service/compile issueForDevice) and passed in `options.issued`.
 */
import type { CertificateProfile } from '../model/profile.ts';
import type { DeviceFacts } from '../variables/facts.ts';
import { compileAndroidPkcs, compileAndroidTrusted } from './compile-android.ts';
import { compileAndroidScep } from './compile-android-scep.ts';
import { compileDeviceAdminPkcs, compileDeviceAdminTrusted } from './compile-android-device-admin.ts';
import { compileApplePkcs, compileAppleTrusted } from './compile-apple.ts';
import { compileAppleScep } from './compile-apple-scep.ts';
import { compileImportedPkcs } from './compile-imported.ts';
import type { CompileOptions, CompileResult, NativePayload } from './compile-types.ts';
import { compileWindowsPkcs, compileWindowsTrusted } from './compile-windows.ts';
import { compileWindowsScep } from './compile-windows-scep.ts';
import { validationError } from './outcomes.ts';
import { familyMismatch, resolveRequest, type CertificateRequestSpec } from './resolve-request.ts';

/**
 * Compiles `profile` for the device described by `facts`.
 *
 * @throws CertfleetError only for inputs the caller got wrong (an issued PKCS#12 that does not open with its
 *   password → PKCS12_BAD_PASSWORD / PKCS12_PARSE; a codec refusing its input → SYNCML_INVALID /
 *   MOBILECONFIG_INVALID); every device-dependent failure is a returned outcome.
 * @example
 * const r = compileProfile(iosPkcs, ipadFacts, { ids: seededIds(1), issued: { pfx, password } });
 * if (r.ok) writeFileSync('out.mobileconfig', r.payload.bytes);
 * else console.log(r.outcome.message); // e.g. "The profile uses {{IMEI}} in the subject name, but …"
 */
export function compileProfile(
  profile: CertificateProfile,
  facts: DeviceFacts,
  options: CompileOptions,
): CompileResult {
  if (profile.kind === 'pkcs-imported-certificate') return compileImportedPkcs(profile, facts, options);
  if (profile.kind === 'trusted-certificate') {
    const mismatch = familyMismatch(profile, facts);
    if (mismatch !== undefined) return { ok: false, outcome: mismatch };
    let payload: NativePayload;
    switch (profile.family) {
      case 'windows':
        payload = compileWindowsTrusted(profile, facts, options);
        break;
      case 'macos':
      case 'ios':
        payload = compileAppleTrusted(profile, profile.family, options);
        break;
      case 'android-device-admin':
        payload = compileDeviceAdminTrusted(profile, facts, options);
        break;
      default:
        payload = compileAndroidTrusted(profile, options);
    }
    return { ok: true, payload };
  }

  if (profile.kind === 'scep-certificate') {
    if (profile.family === 'macos' || profile.family === 'ios')
      return compileAppleScep(profile, facts, options);
    if (profile.family === 'windows') return compileWindowsScep(profile, facts, options);
    return compileAndroidScep(profile, facts, options);
  }
  let request: CertificateRequestSpec;
  if (options.request !== undefined) {
    request = options.request; // resolved once by the caller (the MDM service), carried here
  } else {
    const resolved = resolveRequest(profile, facts);
    if (!resolved.ok) return resolved;
    request = resolved.request;
  }
  const issued = options.issued;
  if (issued === undefined) {
    return {
      ok: false,
      outcome: validationError(
        'USAGE',
        '',
        `The PKCS profile "${profile.displayName}" needs the certificate the connector issued for this device; pass options.issued (see issueForDevice).`,
      ),
    };
  }
  let payload: NativePayload;
  switch (profile.family) {
    case 'windows':
      payload = compileWindowsPkcs(profile, issued, facts, options);
      break;
    case 'macos':
    case 'ios':
      payload = compileApplePkcs(profile, issued, options);
      break;
    case 'android-device-admin':
      payload = compileDeviceAdminPkcs(profile, issued, facts, options);
      break;
    default:
      payload = compileAndroidPkcs(profile, issued, options);
  }
  return { ok: true, payload, request };
}
