/**
 * The profile settings a run reads but no component acts on, each with why (issue 12 point 1: a setting is
 * honoured, or the run says it is not — never silently ignored). Every other setting of PROFILE_FIELDS
 * reaches the device payload, the connector's request or the CA; test/unit/profiles-model/
 * issue12-settings-consumed.test.ts walks them all and holds this list to account.
 */
import { valuelessSanFlagsOf } from './profile-names.ts';
import type { CertificateProfile } from './profile.ts';
import { unusedScepSettingsOf } from './scep-unused-settings.ts';
import { unusedImportedSettingsOf } from './unused-imported-settings.ts';

/** One setting of a profile that has no effect in a run. */
export interface UnusedSetting {
  code: 'PROFILE_SETTING_UNUSED';
  /** Model path of the setting. */
  path: string;
  /** Why nothing acts on it, and what to do. */
  advice: string;
}

/**
 * The settings of `profile` that are set (to other than their default) and that no component acts on.
 *
 * @example
 * unusedSettingsOf(windowsPkcsWithEkus) // → [{ code: 'PROFILE_SETTING_UNUSED', path: 'extendedKeyUsages', … }]
 */
export function unusedSettingsOf(profile: CertificateProfile): UnusedSetting[] {
  const out: UnusedSetting[] = [];
  if (profile.kind === 'scep-certificate') return unusedScepSettingsOf(profile);
  if (profile.kind === 'pkcs-imported-certificate') return unusedImportedSettingsOf(profile);
  if (profile.kind !== 'pkcs-certificate') return out;
  if ('extendedKeyUsages' in profile && profile.extendedKeyUsages.length > 0) {
    out.push({
      code: 'PROFILE_SETTING_UNUSED',
      path: 'extendedKeyUsages',
      advice:
        'the issued certificate carries the EKUs of its certificate template (the template’s application policies), not the ones a PKCS profile lists [inferred]; set them on the template (ca.templates[].applicationPolicies)',
    });
  }
  for (const { advice } of valuelessSanFlagsOf(profile))
    out.push({ code: 'PROFILE_SETTING_UNUSED', path: 'subjectAlternativeNameType', advice });
  if ('rootCertificateId' in profile && profile.rootCertificateId !== undefined) {
    out.push({
      code: 'PROFILE_SETTING_UNUSED',
      path: 'rootCertificateId',
      advice:
        'certfleet does not check the trusted-certificate profile this PKCS profile points to; the device’s chain checks decide trust — assign the trusted-certificate profile to the same devices',
    });
  }
  if (
    profile.family === 'android-device-owner' &&
    profile.certificationAuthorityType !== 'notConfigured' &&
    profile.certificationAuthorityType !== 'microsoft'
  ) {
    out.push({
      code: 'PROFILE_SETTING_UNUSED',
      path: 'certificationAuthorityType',
      advice: `a '${profile.certificationAuthorityType}' CA is not simulated: the run's connectors serve the request from the AD CS CA the profile names`,
    });
  }
  return out;
}
