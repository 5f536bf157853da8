/**
 * Compiles an imported-PKCS profile (profiles/model/imported-pkcs.ts) for one device: the user's imported PFX,
 * opened by the PFX connector (simulator/service/connector/pfx-connector.ts) and handed in as
 * `options.issued`, goes to the device in exactly the native wrapping a PKCS certificate uses — Windows
 * `ClientCertificateInstall/PFXCertInstall` in the **user** scope (an imported PFX is a user's certificate;
 * docs/formats.md §5.4), Apple `com.apple.security.pkcs12`, Android Enterprise ONC Client + INSTALL_KEY_PAIR,
 * Android device administrator CertificateStore — so the device's PKCS install path installs it unchanged.
 *
 * The PKCS compilers read only the settings below of their profile; this file gives them those from the
 * imported profile, with the values an imported PFX implies (a user certificate; on macOS no all-apps access,
 * which the Graph imported types do not have; on Android fully managed the profile's own certificate access).
 */
import type { ImportedPkcsProfile } from '../model/imported-pkcs.ts';
import type {
  AndroidDeviceOwnerPkcsProfile,
  AndroidWorkProfilePkcsProfile,
  IosPkcsProfile,
  MacosPkcsProfile,
  PkcsCertificateProfile,
  WindowsPkcsProfile,
} from '../model/profile.ts';
import type { DeviceFacts } from '../variables/facts.ts';
import { compileAndroidPkcs } from './compile-android.ts';
import { compileDeviceAdminPkcs } from './compile-android-device-admin.ts';
import { compileApplePkcs } from './compile-apple.ts';
import type { CompileOptions, CompileResult, NativePayload } from './compile-types.ts';
import { compileWindowsPkcs } from './compile-windows.ts';
import { validationError } from './outcomes.ts';
import { familyMismatch } from './resolve-request.ts';

const META = (p: ImportedPkcsProfile) => ({
  displayName: p.displayName,
  ...(p.description !== undefined && { description: p.description }),
  ...(p.id !== undefined && { id: p.id }),
});

/**
 * The settings each PKCS compiler reads, from an imported profile. Typed as `Pick`s of the PKCS profiles so
 * that a compiler reading another setting fails to type-check here rather than reading an absent value.
 */
function windowsView(p: Extract<ImportedPkcsProfile, { family: 'windows' }>): WindowsPkcsProfile {
  const view: Pick<WindowsPkcsProfile, 'family' | 'displayName' | 'keyStorageProvider' | 'certificateType'> =
    {
      ...META(p),
      family: 'windows',
      keyStorageProvider: p.keyStorageProvider,
      certificateType: 'user',
    };
  return view as WindowsPkcsProfile;
}

function appleView(p: ImportedPkcsProfile): MacosPkcsProfile | IosPkcsProfile {
  if (p.family === 'macos') {
    const view: Pick<
      MacosPkcsProfile,
      'family' | 'displayName' | 'description' | 'allowAllAppsAccess' | 'deploymentChannel'
    > = { ...META(p), family: 'macos', allowAllAppsAccess: false, deploymentChannel: p.deploymentChannel };
    return view as MacosPkcsProfile;
  }
  const view: Pick<IosPkcsProfile, 'family' | 'displayName' | 'description'> = { ...META(p), family: 'ios' };
  return view as IosPkcsProfile;
}

function androidView(p: ImportedPkcsProfile): AndroidWorkProfilePkcsProfile | AndroidDeviceOwnerPkcsProfile {
  if (p.family === 'android-device-owner') {
    const view: Pick<AndroidDeviceOwnerPkcsProfile, 'family' | 'displayName' | 'certificateAccess'> = {
      ...META(p),
      family: 'android-device-owner',
      certificateAccess: p.certificateAccess,
    };
    return view as AndroidDeviceOwnerPkcsProfile;
  }
  const view: Pick<AndroidWorkProfilePkcsProfile, 'family' | 'displayName'> = {
    ...META(p),
    family: 'android-work-profile',
  };
  return view as AndroidWorkProfilePkcsProfile;
}

/**
 * Compiles `profile` for the device of `facts` around the imported PFX in `options.issued`.
 *
 * @throws CertfleetError only for inputs the caller got wrong (a PFX that does not open with its password).
 */
export function compileImportedPkcs(
  profile: ImportedPkcsProfile,
  facts: DeviceFacts,
  options: CompileOptions,
): CompileResult {
  const mismatch = familyMismatch(profile, facts);
  if (mismatch !== undefined) return { ok: false, outcome: mismatch };
  const issued = options.issued;
  if (issued === undefined) {
    return {
      ok: false,
      outcome: validationError(
        'USAGE',
        '',
        `The imported-PKCS profile "${profile.displayName}" needs the user's imported PFX that the PFX connector opened for this device; pass options.issued (see deliverImportedPfx).`,
      ),
    };
  }
  let payload: NativePayload;
  switch (profile.family) {
    case 'windows':
      payload = compileWindowsPkcs(windowsView(profile), issued, facts, options);
      break;
    case 'macos':
    case 'ios':
      payload = compileApplePkcs(appleView(profile), issued, options);
      break;
    case 'android-device-admin':
      payload = compileDeviceAdminPkcs(
        { ...META(profile), family: 'android-device-admin' } as Extract<
          PkcsCertificateProfile,
          { family: 'android-device-admin' }
        >,
        issued,
        facts,
        options,
      );
      break;
    default:
      payload = compileAndroidPkcs(androidView(profile), issued, options);
  }
  return { ok: true, payload };
}
