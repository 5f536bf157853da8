/** The rows `certfleet profile import` prints for an imported-PKCS profile (profiles/model/imported-pkcs.ts). */
import type { ImportedPkcsProfile } from '../../profiles/model/imported-pkcs.ts';

/** Label/value rows of the summary. */
export function importedSummaryRows(p: ImportedPkcsProfile): [string, string][] {
  const rows: [string, string][] = [
    ['intended purpose', `${p.intendedPurpose} (the user's imported PFX of this purpose is delivered)`],
    [
      'renewal',
      `at ${p.renewalThresholdPercentage} % (not acted on: an imported certificate is re-imported, not renewed)`,
    ],
  ];
  if (p.family === 'windows') rows.push(['key storage', p.keyStorageProvider]);
  if (p.family === 'macos') rows.push(['deployment channel', p.deploymentChannel]);
  if (p.family === 'android-device-owner') {
    const a = p.certificateAccess;
    rows.push([
      'certificate access',
      a.type === 'specificApps' ? `silent for ${a.packageIds.join(', ')}` : a.type,
    ]);
  }
  return rows;
}
