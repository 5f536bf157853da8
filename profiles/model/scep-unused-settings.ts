/**
 * The SCEP profile settings nothing acts on yet (profiles/model/unused-settings.ts for the rule: a setting is
 * honoured, or the run says it is not). An Apple profile's validity and renewal threshold are honoured in runs
 * (issue 14: the validity through the challenge, the threshold by the device). macOS, iOS (profiles/compile/compile-apple-scep.ts) and Windows
 * (compile-windows-scep.ts) SCEP profiles compile; Android SCEP profiles are refused whole at compilation
 * (USAGE), so none of their settings is delivered and ignored.
 */
import { PKCS_LIMITS } from './settings.ts';
import type { ScepCertificateProfile } from './scep-profile.ts';
import type { UnusedSetting } from './unused-settings.ts';

function unused(path: string, advice: string): UnusedSetting {
  return { code: 'PROFILE_SETTING_UNUSED', path, advice };
}

/** The settings of an Apple or Windows SCEP profile, set to other than their default, that no component acts on. */
export function unusedScepSettingsOf(profile: ScepCertificateProfile): UnusedSetting[] {
  if (profile.family !== 'macos' && profile.family !== 'ios' && profile.family !== 'windows') return [];
  const apple = profile.family !== 'windows';
  const out: UnusedSetting[] = [];
  // Apple: `validity` reaches the CA through the service's one-time challenge (the run's SCEP server asks the
  // CA for it, cut to the template's), and `renewalThresholdPercentage` travels with the payload to the
  // device, which renews by it (simulator/service/mdm/handlers/scep-delivery.ts). Windows SCEP profiles are
  // not delivered in runs yet.
  if (!apple && profile.renewalThresholdPercentage !== PKCS_LIMITS.renewalThresholdPercentage.default)
    out.push(
      unused(
        'renewalThresholdPercentage',
        'Windows SCEP profiles are not delivered in runs yet, so no device renews by this threshold',
      ),
    );
  if (apple && profile.scepServerUrls.length > 1)
    out.push(
      unused(
        'scepServerUrls',
        'the Apple SCEP payload takes one URL: the device enrols with the first, and the others are not tried',
      ),
    );
  if (
    profile.family === 'macos' &&
    (profile.hashAlgorithm.length !== 1 || profile.hashAlgorithm[0] !== 'sha2')
  )
    out.push(
      unused(
        'hashAlgorithm',
        'the com.apple.security.scep payload has no hash-algorithm key: the device signs its request with the algorithm the server’s GetCACaps offers [inferred]',
      ),
    );
  if (
    profile.subjectAlternativeNameType.includes('customAzureADAttribute') &&
    profile.subjectAlternativeNameFormatString !== undefined
  )
    out.push(
      unused(
        'subjectAlternativeNameFormatString',
        'the custom Entra attribute SAN is not requested: no source documents the SAN type Intune uses for it (as for PKCS); use a custom SAN of a named type instead',
      ),
    );
  if (apple && profile.extendedKeyUsages.length > 0)
    out.push(
      unused(
        'extendedKeyUsages',
        'the com.apple.security.scep payload has no EKU key: the issued certificate carries the EKUs of the SCEP server’s certificate template [inferred]',
      ),
    );
  if (profile.rootCertificateId !== undefined)
    out.push(
      unused(
        'rootCertificateId',
        'certfleet does not check the trusted-certificate profile this SCEP profile points to; assign the trusted-certificate profile to the same devices',
      ),
    );
  return out;
}
