/**
 * Graph export of a SCEP profile (profiles/model/scep-profile.ts) into its `…ScepCertificateProfile` type
 * (odata-types.ts): every property of the type, as the GRAPH resource pages list them. Flag enums (`keyUsage`,
 * `hashAlgorithm`, `subjectAlternativeNameType`) are written as OData's comma-separated member names, or as
 * their sum with `byNumber`; the subject-name numbers follow the Apple table for the Apple types. The root
 * link is written as `rootCertificate@odata.bind`, the form a create request carries.
 * `importGraphProfile(exportGraphProfile(p))` gives `p` back.
 */
import {
  APPLE_SUBJECT_NAME_FORMAT,
  CERTIFICATE_ACCESS_TYPE,
  CERTIFICATE_STORE,
  HASH_ALGORITHMS,
  KEY_SIZE,
  KEY_STORAGE_PROVIDER,
  KEY_USAGES,
  SUBJECT_ALTERNATIVE_NAME_TYPE,
  SUBJECT_NAME_FORMAT,
  VALIDITY_SCALE,
} from '../model/enums.ts';
import type { ScepCertificateProfile } from '../model/scep-profile.ts';
import { encodeFlags } from './graph-enums.ts';

/** Writes the settings of `p` into the Graph object `out` (enums by name, or by number with `byNumber`). */
export function exportScepInto(
  out: Record<string, unknown>,
  p: ScepCertificateProfile,
  byNumber: boolean,
  graphBaseUrl: string,
): Record<string, unknown> {
  const en = <T extends Record<string, number>>(table: T, name: keyof T & string): string | number =>
    byNumber ? (table[name] ?? 0) : name;
  const flags = <T extends Record<string, number>>(
    table: T,
    names: readonly (keyof T & string)[],
    zero: string,
  ): string | number =>
    byNumber ? names.reduce((sum, n) => sum + (table[n] ?? 0), 0) : encodeFlags(names, zero);
  const apple = p.family === 'macos' || p.family === 'ios';
  out['renewalThresholdPercentage'] = p.renewalThresholdPercentage;
  out['certificateValidityPeriodValue'] = p.validity.value;
  out['certificateValidityPeriodScale'] = en(VALIDITY_SCALE, p.validity.unit);
  out['subjectNameFormat'] = apple
    ? en(APPLE_SUBJECT_NAME_FORMAT, p.subjectNameFormat as keyof typeof APPLE_SUBJECT_NAME_FORMAT)
    : en(SUBJECT_NAME_FORMAT, p.subjectNameFormat);
  if (p.subjectNameFormatString !== undefined) out['subjectNameFormatString'] = p.subjectNameFormatString;
  out['subjectAlternativeNameType'] = flags(
    SUBJECT_ALTERNATIVE_NAME_TYPE,
    p.subjectAlternativeNameType,
    'none',
  );
  if (p.subjectAlternativeNameFormatString !== undefined) {
    out['subjectAlternativeNameFormatString'] = p.subjectAlternativeNameFormatString;
  }
  out['certificateStore'] = en(CERTIFICATE_STORE, p.certificateType === 'device' ? 'machine' : 'user');
  out['customSubjectAlternativeNames'] = p.customSubjectAlternativeNames.map((s) => ({
    '@odata.type': 'microsoft.graph.customSubjectAlternativeName',
    sanType: en(SUBJECT_ALTERNATIVE_NAME_TYPE, s.sanType),
    name: s.name,
  }));
  out['scepServerUrls'] = [...p.scepServerUrls];
  // keyUsages has no zero member: the model keeps at least one flag
  out['keyUsage'] = flags(KEY_USAGES, p.keyUsage, '');
  out['keySize'] = en(KEY_SIZE, p.keySize);
  if ('hashAlgorithm' in p) out['hashAlgorithm'] = flags(HASH_ALGORITHMS, p.hashAlgorithm, '');
  out['extendedKeyUsages'] = p.extendedKeyUsages.map((e) => ({
    '@odata.type': 'microsoft.graph.extendedKeyUsage',
    name: e.name,
    objectIdentifier: e.objectIdentifier,
  }));
  if (p.family === 'windows') out['keyStorageProvider'] = en(KEY_STORAGE_PROVIDER, p.keyStorageProvider);
  if (p.family === 'macos') out['allowAllAppsAccess'] = p.allowAllAppsAccess;
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
  if (p.rootCertificateId !== undefined) {
    out['rootCertificate@odata.bind'] =
      `${graphBaseUrl}/deviceManagement/deviceConfigurations('${p.rootCertificateId}')`;
  }
  return out;
}
