/**
 * SCEP profiles in the `profile` commands (simulator/tools/profile-commands.ts): the `profile import` rows,
 * and what `profile compile` puts in the payload for the device's enrolment (challenge, URL, CA digests).
 */
import { createHash } from 'node:crypto';
import { CertfleetError } from '../../pki/errors.ts';
import type { ScepEnrolment } from '../../profiles/compile/compile-types.ts';
import { EnterpriseCa } from '../service/ca/enterprise-ca.ts';
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

/**
 * The enrolment `profile compile` gives a SCEP profile: `--challenge` (required), `--scep-url` in place of the
 * profile's URLs, and from `--ca` the root's SHA-1 thumbprint (Windows CAThumbprint) and the issuing CA's
 * SHA-256 (Apple CAFingerprint).
 * @throws CertfleetError USAGE without a challenge.
 */
export function scepEnrolmentOf(
  displayName: string,
  o: { challenge?: string; scepUrl?: string; ca?: string },
): ScepEnrolment {
  if (o.challenge === undefined || o.challenge === '') {
    throw new CertfleetError(
      'USAGE',
      `--challenge is required: "${displayName}" is a SCEP profile, and the device enrols with a one-time challenge (\`certfleet scep serve\` issues them at /certsrv/mscep_admin/).`,
    );
  }
  const ca = o.ca === undefined ? undefined : EnterpriseCa.open(o.ca);
  return {
    challenge: o.challenge,
    ...(o.scepUrl !== undefined && { url: o.scepUrl }),
    ...(ca !== undefined && {
      caThumbprint: ca.root.sha1Thumbprint,
      caFingerprint: createHash('sha256').update(ca.issuing.der).digest(),
    }),
  };
}
