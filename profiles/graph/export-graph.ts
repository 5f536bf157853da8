/**
 * Export of a profile model to Microsoft Graph (beta) JSON (docs/formats.md §4): the object a
 * `POST /deviceManagement/deviceConfigurations` would carry. Enums are written by member name (Graph's own
 * JSON form) or, on request, by number (the subject-name numbers then follow the Apple table for Apple
 * types). SCEP profiles are written by export-scep.ts. `importGraphProfile(exportGraphProfile(p))` gives `p` back.
 */
import {
  APPLE_DEPLOYMENT_CHANNEL,
  APPLE_SUBJECT_NAME_FORMAT,
  CERTIFICATE_ACCESS_TYPE,
  CERTIFICATE_DESTINATION_STORE,
  CERTIFICATE_STORE,
  CERTIFICATION_AUTHORITY_TYPE,
  KEY_STORAGE_PROVIDER,
  SUBJECT_ALTERNATIVE_NAME_TYPE,
  SUBJECT_NAME_FORMAT,
  VALIDITY_SCALE,
} from '../model/enums.ts';
import type { CertificateProfile, PkcsCertificateProfile } from '../model/profile.ts';
import { encodeFlags } from './graph-enums.ts';
import { exportImportedInto } from './export-imported.ts';
import { exportScepInto } from './export-scep.ts';
import { GRAPH_TYPE_OF, GRAPH_TYPE_PREFIX, GRAPH_TYPES } from './odata-types.ts';
import type { GraphTypeInfo, GraphTypeName } from './odata-types.ts';

/** Export options. */
export interface GraphExportOptions {
  /** Write enums as member names (default, as Graph does) or numbers. */
  enums?: 'name' | 'number';
  /** Base URL for the `rootCertificate@odata.bind` link; default `https://graph.microsoft.com/beta`. */
  graphBaseUrl?: string;
}

/** A Graph JSON object. */
export type GraphObject = Record<string, unknown>;

/** The Graph JSON object for a profile. */
export function exportGraphProfile(
  profile: CertificateProfile,
  options: GraphExportOptions = {},
): GraphObject {
  const byNumber = options.enums === 'number';
  const en = <T extends Record<string, number>>(table: T, name: keyof T & string): string | number =>
    byNumber ? (table[name] ?? 0) : name;
  const graphType: GraphTypeName =
    profile.kind === 'scep-certificate'
      ? GRAPH_TYPE_OF['scep-certificate'][profile.family] // no Android device administrator SCEP
      : GRAPH_TYPE_OF[profile.kind][profile.family];
  const out: GraphObject = { '@odata.type': GRAPH_TYPE_PREFIX + graphType };
  if (profile.id !== undefined) out['id'] = profile.id;
  out['displayName'] = profile.displayName;
  if (profile.description !== undefined) out['description'] = profile.description;
  const base = options.graphBaseUrl ?? 'https://graph.microsoft.com/beta';
  if (profile.kind === 'scep-certificate') return exportScepInto(out, profile, byNumber, base);

  if (profile.kind === 'trusted-certificate') {
    out['trustedRootCertificate'] = Buffer.from(profile.certificate).toString('base64');
    out['certFileName'] = profile.certFileName;
    if (profile.family === 'windows')
      out['destinationStore'] = en(CERTIFICATE_DESTINATION_STORE, profile.destinationStore);
    if (profile.family === 'macos')
      out['deploymentChannel'] = en(APPLE_DEPLOYMENT_CHANNEL, profile.deploymentChannel);
    return out;
  }

  if (profile.kind === 'pkcs-imported-certificate') return exportImportedInto(out, profile, byNumber);
  const p: PkcsCertificateProfile = profile;
  const info: GraphTypeInfo = GRAPH_TYPES[graphType];
  const apple = info.subjectEnum === 'appleSubjectNameFormat';
  out['renewalThresholdPercentage'] = p.renewalThresholdPercentage;
  out['certificateValidityPeriodValue'] = p.validity.value;
  out['certificateValidityPeriodScale'] = en(VALIDITY_SCALE, p.validity.unit);
  out['subjectNameFormat'] = apple
    ? en(APPLE_SUBJECT_NAME_FORMAT, p.subjectNameFormat as keyof typeof APPLE_SUBJECT_NAME_FORMAT)
    : en(SUBJECT_NAME_FORMAT, p.subjectNameFormat);
  out['subjectAlternativeNameType'] = byNumber
    ? p.subjectAlternativeNameType.reduce((sum, t) => sum + SUBJECT_ALTERNATIVE_NAME_TYPE[t], 0)
    : encodeFlags(p.subjectAlternativeNameType, 'none');
  out['certificationAuthority'] = p.certificationAuthority;
  out['certificationAuthorityName'] = p.certificationAuthorityName;
  out['certificateTemplateName'] = p.certificateTemplateName;
  if (p.subjectAlternativeNameFormatString !== undefined) {
    out['subjectAlternativeNameFormatString'] = p.subjectAlternativeNameFormatString;
  }
  if (p.family !== 'android-device-admin') {
    if (p.subjectNameFormatString !== undefined) out['subjectNameFormatString'] = p.subjectNameFormatString;
    out['certificateStore'] = en(CERTIFICATE_STORE, p.certificateType === 'device' ? 'machine' : 'user');
    out['customSubjectAlternativeNames'] = p.customSubjectAlternativeNames.map((s) => ({
      '@odata.type': 'microsoft.graph.customSubjectAlternativeName',
      sanType: en(SUBJECT_ALTERNATIVE_NAME_TYPE, s.sanType),
      name: s.name,
    }));
  }
  switch (p.family) {
    case 'windows':
      out['keyStorageProvider'] = en(KEY_STORAGE_PROVIDER, p.keyStorageProvider);
      break;
    case 'macos':
      out['allowAllAppsAccess'] = p.allowAllAppsAccess;
      out['deploymentChannel'] = en(APPLE_DEPLOYMENT_CHANNEL, p.deploymentChannel);
      break;
    case 'android-device-owner':
      out['certificationAuthorityType'] = en(CERTIFICATION_AUTHORITY_TYPE, p.certificationAuthorityType);
      out['certificateAccessType'] = en(CERTIFICATE_ACCESS_TYPE, p.certificateAccess.type);
      out['silentCertificateAccessDetails'] =
        p.certificateAccess.type === 'specificApps'
          ? p.certificateAccess.packageIds.map((packageId) => ({
              '@odata.type': 'microsoft.graph.androidDeviceOwnerSilentCertificateAccess',
              packageId,
            }))
          : [];
      break;
    default:
      break;
  }
  if (p.family === 'windows' || p.family.startsWith('android')) {
    const ekus = 'extendedKeyUsages' in p ? p.extendedKeyUsages : [];
    out['extendedKeyUsages'] = ekus.map((e) => ({
      '@odata.type': 'microsoft.graph.extendedKeyUsage',
      name: e.name,
      objectIdentifier: e.objectIdentifier,
    }));
  }
  if ('rootCertificateId' in p && p.rootCertificateId !== undefined) {
    out['rootCertificate@odata.bind'] =
      `${base}/deviceManagement/deviceConfigurations('${p.rootCertificateId}')`;
  }
  return out;
}

/** The Graph JSON text for a profile (2-space indented, trailing newline). */
export function exportGraphJson(profile: CertificateProfile, options: GraphExportOptions = {}): string {
  return `${JSON.stringify(exportGraphProfile(profile, options), null, 2)}\n`;
}
