/**
 * Graph export of an imported-PKCS profile (profiles/model/imported-pkcs.ts) into its
 * `…ImportedPFXCertificateProfile` type (odata-types.ts): the properties the model keeps. The inherited
 * subject, SAN and validity properties are not written — an imported certificate has none of its own to give
 * them (Graph treats absent properties as unset) — so `importGraphProfile(exportGraphProfile(p))` gives `p` back.
 */
import { APPLE_DEPLOYMENT_CHANNEL, CERTIFICATE_ACCESS_TYPE, KEY_STORAGE_PROVIDER } from '../model/enums.ts';
import { INTENDED_PURPOSE, type ImportedPkcsProfile } from '../model/imported-pkcs.ts';

/** Writes the settings of `p` into the Graph object `out` (enums by name, or by number with `byNumber`). */
export function exportImportedInto(
  out: Record<string, unknown>,
  p: ImportedPkcsProfile,
  byNumber: boolean,
): Record<string, unknown> {
  const en = <T extends Record<string, number>>(table: T, name: keyof T & string): string | number =>
    byNumber ? (table[name] ?? 0) : name;
  out['renewalThresholdPercentage'] = p.renewalThresholdPercentage;
  out['intendedPurpose'] = en(INTENDED_PURPOSE, p.intendedPurpose);
  if (p.family === 'windows') out['keyStorageProvider'] = en(KEY_STORAGE_PROVIDER, p.keyStorageProvider);
  if (p.family === 'macos') out['deploymentChannel'] = en(APPLE_DEPLOYMENT_CHANNEL, p.deploymentChannel);
  if (p.family === 'android-device-owner') {
    out['certificateAccessType'] = en(CERTIFICATE_ACCESS_TYPE, p.certificateAccess.type);
    out['silentCertificateAccessDetails'] =
      p.certificateAccess.type === 'specificApps'
        ? p.certificateAccess.packageIds.map((packageId) => ({
            '@odata.type': 'microsoft.graph.androidDeviceOwnerSilentCertificateAccess',
            packageId,
          }))
        : [];
  }
  return out;
}
