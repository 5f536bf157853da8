/** The `profile show` rows of a SCEP certificate profile (simulator/tools/profile-commands.ts summarizeProfile). */
import { sanTemplatesOf, subjectTemplateOf } from '../../profiles/model/profile-names.ts';
import { KEY_SIZE_BITS, type ScepCertificateProfile } from '../../profiles/model/scep-profile.ts';

/** Label/value rows describing `p`, in the order the admin center shows them. */
export function scepSummaryRows(p: ScepCertificateProfile): [string, string][] {
  const rows: [string, string][] = [];
  rows.push(['SCEP servers', p.scepServerUrls.join(', ')]);
  rows.push(['certificate type', p.certificateType]);
  rows.push(['subject', `${subjectTemplateOf(p).template} (format ${p.subjectNameFormat})`]);
  const sans = sanTemplatesOf(p).map((s) => `${s.target.replace('san:', '')} ${s.template}`);
  rows.push(['SANs', sans.length > 0 ? sans.join(', ') : 'none']);
  rows.push(['validity', `${p.validity.value} ${p.validity.unit}`]);
  rows.push(['renewal', `at ${p.renewalThresholdPercentage} % of the lifetime remaining`]);
  rows.push(['key', `RSA ${KEY_SIZE_BITS[p.keySize]}, usage ${p.keyUsage.join(' + ')}`]);
  if ('hashAlgorithm' in p) rows.push(['hash', p.hashAlgorithm.join(' + ')]);
  if (p.family === 'windows') rows.push(['key storage', p.keyStorageProvider]);
  rows.push(['EKUs', p.extendedKeyUsages.map((e) => `${e.name} ${e.objectIdentifier}`).join(', ') || 'none']);
  if (p.family === 'macos') rows.push(['all apps access', String(p.allowAllAppsAccess)]);
  if (p.family === 'android-device-owner') {
    const a = p.certificateAccess;
    rows.push([
      'certificate access',
      a.type === 'specificApps' ? `silent for ${a.packageIds.join(', ')}` : a.type,
    ]);
  }
  return rows;
}
