/**
 * Validation of the SCEP-specific part of a `scep-certificate` profile (profiles/model/scep-profile.ts); the
 * subject/SAN templates, metadata and unknown keys are checked by validateProfile as for PKCS. Sources: GRAPH
 * SCEP resource types (scep-profile.ts), SCEPDOC.
 */
import { HASH_ALGORITHMS, KEY_SIZE, KEY_STORAGE_PROVIDER, KEY_USAGES } from './enums.ts';
import type { ProfileFamily } from './platform.ts';
import { joinPath } from './problem.ts';
import { CERTIFICATE_TYPES } from './profile.ts';
import { SCEP_FAMILIES, SCEP_LIMITS, type ScepCertificateProfile } from './scep-profile.ts';
import { PKCS_LIMITS } from './settings.ts';
import {
  names,
  optional,
  readAccess,
  readEkus,
  readSubjectNames,
  readValidity,
  type DistributiveOmit,
  type Reader,
  type Rec,
} from './validate-profile.ts';

/** True when SCEP profiles are modelled for `family` (all but Android device administrator). */
export function isScepFamily(family: ProfileFamily): family is ScepCertificateProfile['family'] {
  return (SCEP_FAMILIES as readonly string[]).includes(family);
}

/** Reads a list of enum flag names (`keyUsage`, `hashAlgorithm`): at least one, no repeats kept, in table order. */
function readFlagList<T extends string>(
  r: Reader,
  key: string,
  allowed: readonly T[],
  dflt: readonly T[],
): T[] | undefined {
  const v = r.obj[key];
  if (v === undefined) return [...dflt];
  if (!Array.isArray(v) || v.length === 0)
    return r.bad(key, `must be a non-empty list of ${allowed.join(', ')}`);
  let ok = true;
  v.forEach((f, i) => {
    if (typeof f !== 'string' || !(allowed as readonly string[]).includes(f)) {
      ok = false;
      r.problems.push({
        path: joinPath(r.path(key), i),
        rule: `must be one of ${allowed.join(', ')}`,
        code: 'PROFILE_INVALID',
      });
    }
  });
  return ok ? allowed.filter((a) => v.includes(a)) : undefined;
}

/** Reads `scepServerUrls`: 1 to {@link SCEP_LIMITS.maxScepServerUrls} absolute http(s) URLs. */
function readServerUrls(r: Reader): string[] | undefined {
  const v = r.obj['scepServerUrls'];
  if (v === undefined)
    return r.bad('scepServerUrls', 'is required (the SCEP server URLs the device enrols with)');
  if (!Array.isArray(v) || v.length === 0)
    return r.bad('scepServerUrls', 'must be a non-empty list of http(s) URLs');
  if (v.length > SCEP_LIMITS.maxScepServerUrls)
    return r.bad('scepServerUrls', `must have at most ${SCEP_LIMITS.maxScepServerUrls} entries`);
  let ok = true;
  v.forEach((u, i) => {
    let url: URL | undefined;
    try {
      url = typeof u === 'string' ? new URL(u) : undefined;
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      ok = false;
      r.problems.push({
        path: joinPath(r.path('scepServerUrls'), i),
        rule: 'must be an absolute http:// or https:// URL such as https://ndes.contoso.com/certsrv/mscep/mscep.dll',
        code: 'PROFILE_INVALID',
      });
    }
  });
  return ok ? (v as string[]) : undefined;
}

/** Reads a SCEP profile's settings (without displayName/id/description, which validateProfile reads). */
export function readScep(
  r: Reader,
  family: ProfileFamily,
  graphService: boolean,
): DistributiveOmit<ScepCertificateProfile, 'displayName'> | undefined {
  if (!isScepFamily(family)) {
    return r.bad(
      'family',
      'SCEP profiles for Android device administrator (androidScepCertificateProfile) are not modelled by certfleet; use a PKCS profile for device administrators, or target android-work-profile / android-device-owner',
    );
  }
  const lim = PKCS_LIMITS.renewalThresholdPercentage;
  const renewalThresholdPercentage = r.integer('renewalThresholdPercentage', lim.min, lim.max, lim.default);
  const validity = readValidity(r, graphService);
  const certificateType = r.oneOf('certificateType', CERTIFICATE_TYPES, 'user');
  const {
    subjectNameFormat,
    subjectNameFormatString,
    subjectAlternativeNameType,
    subjectAlternativeNameFormatString,
    customSubjectAlternativeNames,
  } = readSubjectNames(r, family);
  const scepServerUrls = readServerUrls(r);
  const keyUsage = readFlagList(r, 'keyUsage', names(KEY_USAGES), SCEP_LIMITS.keyUsage);
  const keySize = r.oneOf('keySize', names(KEY_SIZE), SCEP_LIMITS.keySize);
  const extendedKeyUsages = readEkus(r);
  const rootCertificateId = r.string('rootCertificateId', { required: false });
  const problemsBefore = r.problems.length;
  const extra = readScepFamilyExtras(r, family);
  if (
    r.problems.length > problemsBefore ||
    extra === undefined ||
    renewalThresholdPercentage === undefined ||
    validity === undefined ||
    certificateType === undefined ||
    subjectNameFormat === undefined ||
    subjectAlternativeNameType === undefined ||
    customSubjectAlternativeNames === undefined ||
    scepServerUrls === undefined ||
    keyUsage === undefined ||
    keySize === undefined ||
    extendedKeyUsages === undefined
  ) {
    return undefined;
  }
  return {
    kind: 'scep-certificate',
    renewalThresholdPercentage,
    validity,
    certificateType,
    subjectNameFormat,
    ...optional('subjectNameFormatString', subjectNameFormatString),
    subjectAlternativeNameType,
    ...optional('subjectAlternativeNameFormatString', subjectAlternativeNameFormatString),
    customSubjectAlternativeNames,
    scepServerUrls,
    keyUsage,
    keySize,
    extendedKeyUsages,
    ...optional('rootCertificateId', rootCertificateId),
    ...extra,
    family,
  } as DistributiveOmit<ScepCertificateProfile, 'displayName'>;
}

function readScepFamilyExtras(r: Reader, family: ScepCertificateProfile['family']): Rec | undefined {
  if (family === 'ios') return {};
  const hashAlgorithm = readFlagList(r, 'hashAlgorithm', names(HASH_ALGORITHMS), SCEP_LIMITS.hashAlgorithm);
  if (hashAlgorithm === undefined) return undefined;
  switch (family) {
    case 'windows': {
      const keyStorageProvider = r.oneOf(
        'keyStorageProvider',
        names(KEY_STORAGE_PROVIDER),
        'useTpmKspOtherwiseUseSoftwareKsp',
      );
      return keyStorageProvider === undefined ? undefined : { hashAlgorithm, keyStorageProvider };
    }
    case 'macos': {
      const allowAllAppsAccess = r.boolean('allowAllAppsAccess', false);
      return allowAllAppsAccess === undefined ? undefined : { hashAlgorithm, allowAllAppsAccess };
    }
    case 'android-work-profile':
      return { hashAlgorithm };
    case 'android-device-owner': {
      const certificateAccess = readAccess(r);
      return certificateAccess === undefined ? undefined : { hashAlgorithm, certificateAccess };
    }
  }
}
