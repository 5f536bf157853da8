/**
 * The SCEP profile settings nothing acts on yet (profiles/model/unused-settings.ts for the rule: a setting is
 * honoured, or the run says it is not). macOS, iOS (profiles/compile/compile-apple-scep.ts), Windows
 * (compile-windows-scep.ts) and Android Enterprise (compile-android-scep.ts) SCEP profiles compile.
 */
import { valuelessSanFlagsOf } from './profile-names.ts';
import { SCEP_LIMITS, type ScepCertificateProfile } from './scep-profile.ts';
import type { UnusedSetting } from './unused-settings.ts';

function unused(path: string, advice: string): UnusedSetting {
  return { code: 'PROFILE_SETTING_UNUSED', path, advice };
}

/** The settings of a SCEP profile, set to other than their default, that no component acts on. */
export function unusedScepSettingsOf(profile: ScepCertificateProfile): UnusedSetting[] {
  const android = profile.family === 'android-work-profile' || profile.family === 'android-device-owner';
  const apple = profile.family === 'macos' || profile.family === 'ios';
  const out: UnusedSetting[] = [];
  // validity is honoured on every family: the service binds it to the one-time challenge and the run's SCEP
  // server asks the CA for it, cut to the template's (simulator/service/mdm/handlers/scep-delivery.ts)
  if (android && (profile.hashAlgorithm.length !== 1 || profile.hashAlgorithm[0] !== 'sha2'))
    out.push(
      unused(
        'hashAlgorithm',
        'Android Enterprise ignores SHA-1 and uses SHA-2 whatever is set (docs/formats.md §3.4): the device signs its request with SHA-256',
      ),
    );
  const defaultUsage = SCEP_LIMITS.keyUsage;
  if (
    android &&
    (profile.keyUsage.length !== defaultUsage.length ||
      !defaultUsage.every((u) => profile.keyUsage.includes(u)))
  )
    out.push(
      unused(
        'keyUsage',
        'the Android ENROLL_SCEP command carries no key usage (docs/formats.md §3.5): the issued certificate has the key usage of the SCEP server’s certificate template [inferred]',
      ),
    );
  if (android && profile.extendedKeyUsages.length > 0)
    out.push(
      unused(
        'extendedKeyUsages',
        'the Android ENROLL_SCEP command carries no EKUs (docs/formats.md §3.5): the issued certificate carries the EKUs of the SCEP server’s certificate template [inferred]',
      ),
    );
  // renewalThresholdPercentage is honoured: it travels beside the payload (the delivery's topic, as for
  // PKCS) and the device asks to re-enrol by it (agent/renewal/renewal.ts)
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
  // Windows sends them (Install/EKUMapping) and the PC asks for them in its request, but the CA behind the
  // SCEP server writes its template's application policies, as for PKCS (simulator/service/ca/enterprise-ca.ts)
  if (profile.family === 'windows' && profile.extendedKeyUsages.length > 0)
    out.push(
      unused(
        'extendedKeyUsages',
        'the PC requests these EKUs (Install/EKUMapping), but the issued certificate carries the EKUs of the SCEP server’s certificate template (its application policies), not the requested ones [inferred]; set them on the template (ca.templates[].applicationPolicies)',
      ),
    );
  for (const { advice } of valuelessSanFlagsOf(profile))
    out.push(unused('subjectAlternativeNameType', advice));
  if (profile.rootCertificateId !== undefined)
    out.push(
      unused(
        'rootCertificateId',
        'certfleet does not check the trusted-certificate profile this SCEP profile points to; assign the trusted-certificate profile to the same devices',
      ),
    );
  return out;
}
