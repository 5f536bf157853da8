/**
 * Validation of a certificate profile given as plain data (a scenario file, the Graph importer's output,
 * a test): either the fully typed {@link CertificateProfile} with defaults filled in, or every problem with
 * its path and rule — never a half-loaded profile. Settings that do not apply to the profile's family are
 * problems too (e.g. `keyStorageProvider` on iOS). Templates are checked with the variable catalogue.
 */
import { isStrictBase64 } from '../../pki/base64.ts';
import { MAX_BASE64_CHARS } from '../../pki/limits.ts';
import { isCertfleetError } from '../../pki/errors.ts';
import { parseCertificate, type Certificate } from '../../pki/certificate.ts';
import { looksLikePem, pemToDer } from '../../pki/pem.ts';
import { checkTemplate } from '../variables/validate-template.ts';
import {
  APPLE_DEPLOYMENT_CHANNEL,
  APPLE_SUBJECT_NAME_FORMAT,
  CERTIFICATE_ACCESS_TYPE,
  CERTIFICATE_DESTINATION_STORE,
  CERTIFICATION_AUTHORITY_TYPE,
  KEY_STORAGE_PROVIDER,
  SAN_TYPES,
  SUBJECT_NAME_FORMAT,
  VALIDITY_SCALE,
} from './enums.ts';
import type { SanType, SubjectNameFormat } from './enums.ts';
import { PROFILE_FAMILY_INFO, PROFILE_FAMILIES, isProfileFamily } from './platform.ts';
import type { ProfileFamily } from './platform.ts';
import { joinPath } from './problem.ts';
import type { ProfileProblem, ProfileWarning, Validated } from './problem.ts';
import {
  nameTemplatesOf,
  SAN_TARGET_OF_TYPE,
  sanTemplatesOf,
  SUBJECT_FORMAT_TEMPLATES,
  subjectTemplateOf,
} from './profile-names.ts';
import type { NameTemplate } from './profile-names.ts';
import { CERTIFICATE_TYPES, PROFILE_KINDS } from './profile.ts';
import type {
  CertificateAccess,
  CertificateType,
  CertificateProfile,
  CustomSubjectAlternativeName,
  ExtendedKeyUsage,
  PkcsCertificateProfile,
  ProfileKind,
  TrustedCertificateProfile,
} from './profile.ts';
import { ALL_PROFILE_FIELDS, PKCS_LIMITS, PROFILE_FIELDS } from './settings.ts';
import { readImportedPkcs } from './validate-imported.ts';
import { isScepFamily, readScep } from './validate-scep.ts';

/** How problems name each kind ("does not apply to iOS/iPadOS SCEP certificate profiles"). */
const KIND_LABEL: Record<ProfileKind, string> = {
  'trusted-certificate': 'trusted',
  'pkcs-certificate': 'PKCS',
  'scep-certificate': 'SCEP',
  'pkcs-imported-certificate': 'PKCS imported',
};

const FQDN =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const HOST =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const OID = /^[0-2](?:\.(?:0|[1-9][0-9]*))+$/;
const PACKAGE = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$/;

/** True when `value` is a CA FQDN or a `Host\CA-Name` configuration string (PFXDOC; corpus graph-json sample). */
export function isCertificationAuthority(value: string): boolean {
  const slash = value.indexOf('\\');
  if (slash < 0) return FQDN.test(value);
  const host = value.slice(0, slash);
  const name = value.slice(slash + 1);
  return HOST.test(host) && name.trim() !== '' && !name.includes('\\');
}

/**
 * Why `der` cannot be the certificate of a trusted-certificate profile, or undefined when it can. It must
 * parse as X.509 (pki parseCertificate) and be a CA certificate: TRUSTDOC, trusted certificate profiles
 * deliver only root or intermediate certificates (docs/formats.md §5.2 "Trust chain"). A CA certificate is one
 * with basicConstraints cA=TRUE; a self-signed certificate without basicConstraints (an X.509 v1 root) is
 * accepted as a root too — the same rule the simulated Windows device applies to its Root store
 * (agent/platforms/windows/trusted-cert-apply.ts), so a profile that validates is one a device installs.
 */
export function trustedCertificateProblem(der: Uint8Array): string | undefined {
  let cert: Certificate;
  try {
    cert = parseCertificate(der);
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    return `must be a DER-encoded X.509 certificate (or one PEM CERTIFICATE block): ${e.message.replace(/\.$/, '')}`;
  }
  if (cert.basicConstraints?.ca === true) return undefined;
  if (cert.basicConstraints === undefined && cert.isSelfSigned) return undefined;
  // TRUSTDOC: trusted certificate profiles deliver root or intermediate CA certificates only
  return `must be a root or intermediate CA certificate (basicConstraints cA=TRUE): "${cert.subjectText}" is not a CA, and trusted certificate profiles deliver only root or intermediate certificates; deliver a leaf through a PKCS profile`;
}

/**
 * The DER bytes of the certificate a trusted-certificate profile carries, given as a `.cer` file's bytes: DER
 * as they are, or PEM — one `-----BEGIN CERTIFICATE-----` block (RFC 7468), what Windows calls a "Base-64
 * encoded X.509 (.CER)" file — decoded to its DER. TRUSTDOC asks for the root "as a public certificate
 * (.cer)" and the admin center takes that file in either encoding **[inferred]**, so a Graph
 * `trustedRootCertificate` may hold the base64 of either; devices receive the DER (a Windows node named by
 * its SHA-1, Apple `PayloadContent` data, Android ONC `X509`). Anything else — PEM text with another label,
 * several blocks (a chain), or text around the block — is refused with why (`rule`, phrased to follow the
 * path); whether DER bytes are a CA certificate is {@link trustedCertificateProblem}'s question.
 *
 * @example
 * certificateDer(readFileSync('root.pem')) // → { ok: true, der: <the bytes of root.cer> }
 */
export function certificateDer(
  bytes: Uint8Array,
): { ok: true; der: Uint8Array } | { ok: false; rule: string } {
  if (!looksLikePem(bytes)) return { ok: true, der: bytes };
  const text = Buffer.from(bytes).toString('latin1');
  const labels = [...text.matchAll(/-----BEGIN ([^\r\n]*?)-----/g)].map((m) => m[1] ?? '');
  const pemRule = (why: string): { ok: false; rule: string } => ({
    ok: false,
    rule: `holds PEM text ${why}; a trusted certificate profile carries one certificate: give the DER bytes or one "-----BEGIN CERTIFICATE-----" block (a .cer file, DER or Base-64 encoded)`,
  });
  if (labels.length !== 1)
    return pemRule(`with ${labels.length} blocks (${labels.map((l) => `"${l}"`).join(', ')})`);
  if (labels[0] !== 'CERTIFICATE') return pemRule(`labelled "${labels[0] ?? ''}", not "CERTIFICATE"`);
  const end = text.indexOf('-----END CERTIFICATE-----');
  if (end >= 0 && text.slice(end + '-----END CERTIFICATE-----'.length).trim() !== '')
    return pemRule('with text after its "-----END CERTIFICATE-----" line');
  try {
    return { ok: true, der: new Uint8Array(pemToDer(text, ['CERTIFICATE'], 'CERT_PARSE')) };
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    return {
      ok: false,
      rule: `holds a PEM certificate that does not decode: ${e.message.replace(/\.$/, '')}`,
    };
  }
}

/** A plain-data object being read. */
export type Rec = Record<string, unknown>;
/** Omit over each member of a union. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** True for a plain object (not an array nor bytes). */
export function isRecord(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Collects problems while reading fields of one object (also used by validate-scep.ts and validate-imported.ts). */
export class Reader {
  constructor(
    readonly obj: Rec,
    readonly base: string,
    readonly problems: ProfileProblem[],
  ) {}

  path(key: string): string {
    return joinPath(this.base, key);
  }

  bad(key: string, rule: string): undefined {
    this.problems.push({ path: this.path(key), rule, code: 'PROFILE_INVALID' });
    return undefined;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  string(key: string, opts: { required: boolean }): string | undefined {
    const v = this.obj[key];
    if (v === undefined) return opts.required ? this.bad(key, 'is required') : undefined;
    if (typeof v !== 'string' || v.trim() === '') return this.bad(key, 'must be a non-empty string');
    return v;
  }

  integer(key: string, min: number, max: number, dflt: number): number | undefined {
    const v = this.obj[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return this.bad(key, `must be an integer from ${min} to ${max}`);
    }
    return v;
  }

  boolean(key: string, dflt: boolean): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') return this.bad(key, 'must be true or false');
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], dflt: T | undefined): T | undefined {
    const v = this.obj[key];
    if (v === undefined) return dflt === undefined ? this.bad(key, 'is required') : dflt;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      return this.bad(key, `must be one of ${allowed.join(', ')}`);
    }
    return v as T;
  }

  array(key: string, max: number): unknown[] | undefined {
    const v = this.obj[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) return this.bad(key, 'must be a list');
    if (v.length > max) return this.bad(key, `must have at most ${max} entries`);
    return v;
  }
}

/** The member names of an enum table, without some. */
export function names<T extends Record<string, number>>(
  table: T,
  without: readonly string[] = [],
): (keyof T & string)[] {
  return (Object.keys(table) as (keyof T & string)[]).filter((k) => !without.includes(k));
}

/** Options of {@link validateProfile}. */
export interface ValidateProfileOptions {
  /**
   * The trusted certificate is a placeholder that the caller replaces with a CA root it makes later (a
   * scenario's `certificate: root`, bound to the run's CA): only its presence as bytes is checked, not
   * that it is a CA certificate.
   */
  certificateBoundLater?: boolean;
  /**
   * Accept what the Graph API accepts (a Graph profile being imported, `profile import` and a scenario's
   * `graph:` file): only unknown enum values, wrong JSON types and missing required properties stay refusals.
   * What Graph takes but a tenant later fails on becomes a warning carrying the code the run fails with
   * (issue 12 point 9): a CA string that is no FQDN or `Host\CA-Name` → CA_UNAVAILABLE (the connector's
   * 0x800706BA); a template's variable problems (a user variable in a device certificate, an unknown variable,
   * single braces) → VARIABLE_NOT_ALLOWED / VARIABLE_UNKNOWN / TEMPLATE_MALFORMED, with which the service fails
   * the profile per device; a validity under 5 days → PROFILE_ADVISORY (PFXDOC: risky, not refused), issued
   * as set.
   */
  asGraphService?: boolean;
}

/** The rule a CA string that is neither an FQDN nor a configuration string breaks. */
export const CA_FORMAT_RULE =
  'must be the CA\u2019s FQDN (ca01.corp.contoso.com) or a configuration string Host\\CA-Name';

/** Template problems Graph accepts (any string): the service fails them per device at run time. */
const TEMPLATE_RUN_TIME_CODES: readonly string[] = [
  'VARIABLE_NOT_ALLOWED',
  'VARIABLE_UNKNOWN',
  'TEMPLATE_MALFORMED',
];

/**
 * Validates a profile given as plain data.
 * @example
 * const r = validateProfile({ kind: 'pkcs-certificate', family: 'ios', displayName: 'Wi-Fi', renewalThresholdPercentage: 120, … });
 * // r.ok === false; r.problems[0] = { path: 'renewalThresholdPercentage', rule: 'must be an integer from 1 to 99', code: 'PROFILE_INVALID' }
 */
export function validateProfile(
  input: unknown,
  options: ValidateProfileOptions = {},
): Validated<CertificateProfile> {
  const problems: ProfileProblem[] = [];
  if (!isRecord(input)) {
    return {
      ok: false,
      problems: [{ path: '', rule: 'must be an object', code: 'PROFILE_INVALID' }],
      warnings: [],
    };
  }
  const r = new Reader(input, '', problems);
  const kind = r.oneOf<ProfileKind>('kind', PROFILE_KINDS, undefined);
  const family = r.oneOf<ProfileFamily>('family', PROFILE_FAMILIES, undefined);
  if (kind === undefined || family === undefined || !isProfileFamily(family))
    return { ok: false, problems, warnings: [] };

  if (kind === 'scep-certificate' && !isScepFamily(family)) {
    readScep(r, family, false); // the one problem: the family is not modelled for SCEP
    return { ok: false, problems, warnings: [] };
  }
  const allowed: readonly string[] = PROFILE_FIELDS[kind][family];
  for (const key of Object.keys(input)) {
    if (input[key] === undefined || allowed.includes(key)) continue;
    r.bad(
      key,
      ALL_PROFILE_FIELDS.has(key)
        ? `does not apply to ${PROFILE_FAMILY_INFO[family].label} ${KIND_LABEL[kind]} certificate profiles`
        : 'is not a certificate-profile setting',
    );
  }
  const meta = {
    displayName: r.string('displayName', { required: true }),
    ...optional('id', r.string('id', { required: false })),
    ...optional('description', r.has('description') ? readDescription(r) : undefined),
  };
  const profile =
    kind === 'trusted-certificate'
      ? readTrusted(r, family, options.certificateBoundLater === true)
      : kind === 'scep-certificate'
        ? readScep(r, family, options.asGraphService === true)
        : kind === 'pkcs-imported-certificate'
          ? readImportedPkcs(r, family)
          : readPkcs(r, family, options.asGraphService === true);
  const result = profile === undefined ? undefined : ({ ...profile, ...meta } as CertificateProfile);
  // Templates are checked even when other settings are wrong (an unreadable certificate type included),
  // so one pass lists every problem; advisory warnings are collected beside them.
  const warnings: ProfileWarning[] = [];
  if (kind === 'pkcs-certificate' || (kind === 'scep-certificate' && isScepFamily(family))) {
    const named =
      result?.kind === 'pkcs-certificate' || result?.kind === 'scep-certificate'
        ? { certificateType: result.certificateType, templates: nameTemplatesOf(result) }
        : readableTemplatesOf(input, family);
    for (const t of named.templates) {
      const check = checkTemplate(t.template, {
        certificateType: named.certificateType,
        target: t.target,
        family,
        path: t.path,
      });
      problems.push(...check.problems);
      warnings.push(...check.warnings);
    }
  }
  if (options.asGraphService === true) {
    const kept = problems.filter((p) => {
      const w = graphServiceWarning(p);
      if (w !== undefined) warnings.push(w);
      return w === undefined;
    });
    problems.length = 0;
    problems.push(...kept);
    if (result?.kind === 'pkcs-certificate' || result?.kind === 'scep-certificate') {
      const { value, unit } = result.validity;
      if (value < PKCS_LIMITS.validity[unit].min) {
        warnings.push({
          path: 'validity.value',
          code: 'PROFILE_ADVISORY',
          // PFXDOC: use at least 5 days (docs/formats.md §5.2 "Validity")
          advice: `${value} ${unit} is under the 5 days Intune advises: the Graph API accepts it and the certificate is issued with it, but a certificate this short may be rejected by the device as near-expired; use at least 5 days`,
        });
      }
    }
  }
  return result === undefined || problems.length > 0 || meta.displayName === undefined
    ? { ok: false, problems, warnings }
    : { ok: true, value: result, warnings };
}

/** The warning a problem becomes when a profile is accepted as the Graph API accepts it, if it does. */
function graphServiceWarning(p: ProfileProblem): ProfileWarning | undefined {
  if (p.path === 'certificationAuthority' && p.rule === CA_FORMAT_RULE) {
    return {
      path: p.path,
      code: 'CA_UNAVAILABLE',
      // PKCSTS via docs/formats.md §5.2 "Other connector-side PKCS failures"
      advice:
        'is not a CA FQDN or a Host\\CA-Name configuration string (a placeholder?): the Graph API accepts it, and every request then fails at the Certificate Connector with 0x800706BA (the RPC server is unavailable); name the issuing CA',
    };
  }
  if (TEMPLATE_RUN_TIME_CODES.includes(p.code)) {
    const variable = /\{\{?[^}]*\}?\}/.exec(p.rule)?.[0];
    return {
      path: p.path,
      code: p.code as 'VARIABLE_NOT_ALLOWED' | 'VARIABLE_UNKNOWN' | 'TEMPLATE_MALFORMED',
      ...(variable !== undefined && { variable }),
      advice: `${p.rule}; the Graph API accepts it, and the profile then fails on each device with ${p.code}`,
    };
  }
  return undefined;
}

/**
 * The name templates that can be read from a profile whose other settings are wrong, for the one-pass
 * check. An unreadable certificate type falls back to `user`: it is the more permissive type (every device
 * variable is allowed in user certificates, PFXDOC), and the one rule it adds — `{{OnPremisesSecurityIdentifier}}`
 * in Android user certificates — holds for Android device certificates too, so the fallback reports no
 * problem the profile would not have under either type.
 */
function readableTemplatesOf(
  input: Rec,
  family: ProfileFamily,
): { certificateType: CertificateType; templates: NameTemplate[] } {
  const certificateType: CertificateType =
    input['certificateType'] === 'device' && family !== 'android-device-admin' ? 'device' : 'user';
  const templates: NameTemplate[] = [];
  const format = input['subjectNameFormat'];
  const custom = input['subjectNameFormatString'];
  const isNamed = (f: unknown): f is keyof typeof SUBJECT_FORMAT_TEMPLATES =>
    typeof f === 'string' && Object.hasOwn(SUBJECT_FORMAT_TEMPLATES, f);
  if (typeof custom === 'string' && (format === 'custom' || !isNamed(format ?? 'commonName'))) {
    templates.push({ path: 'subjectNameFormatString', target: 'subject', template: custom });
  } else if (format === undefined || isNamed(format)) {
    templates.push(subjectTemplateOf({ subjectNameFormat: format ?? 'commonName', certificateType }));
  }
  const flags = Array.isArray(input['subjectAlternativeNameType'])
    ? (input['subjectAlternativeNameType'] as unknown[]).filter((f): f is SanType =>
        (SAN_TYPES as readonly unknown[]).includes(f),
      )
    : [];
  const aad = input['subjectAlternativeNameFormatString'];
  templates.push(
    ...sanTemplatesOf({
      subjectAlternativeNameType: flags,
      ...optional('subjectAlternativeNameFormatString', typeof aad === 'string' ? aad : undefined),
      customSubjectAlternativeNames: [],
    }),
  );
  const list = input['customSubjectAlternativeNames'];
  if (Array.isArray(list)) {
    list.forEach((e, i) => {
      if (!isRecord(e) || typeof e['name'] !== 'string') return;
      const sanType = e['sanType'];
      if (!(SAN_TYPES as readonly unknown[]).includes(sanType)) return;
      templates.push({
        path: `customSubjectAlternativeNames[${i}].name`,
        target: SAN_TARGET_OF_TYPE[sanType as SanType],
        template: e['name'],
      });
    });
  }
  return { certificateType, templates };
}

/** `{ key: value }`, or `{}` when the value is undefined. */
export function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function readDescription(r: Reader): string | undefined {
  const v = r.obj['description'];
  if (typeof v !== 'string') return r.bad('description', 'must be a string');
  return v;
}

function readCertificate(r: Reader, boundLater: boolean): Uint8Array | undefined {
  const v = r.obj['certificate'];
  if (v === undefined) return r.bad('certificate', 'is required (the DER bytes of the CA certificate)');
  let bytes: Uint8Array;
  if (v instanceof Uint8Array) {
    bytes = new Uint8Array(v);
  } else if (typeof v === 'string' && v.length > MAX_BASE64_CHARS) {
    return r.bad('certificate', `is longer than the ${MAX_BASE64_CHARS} base64 characters certfleet decodes`);
  } else if (typeof v === 'string' && isStrictBase64(v) && v !== '') {
    bytes = new Uint8Array(Buffer.from(v, 'base64'));
  } else {
    return r.bad(
      'certificate',
      'must be DER bytes or a base64 string (of the DER bytes, or of one PEM CERTIFICATE block)',
    );
  }
  // one place for every reader (Graph trustedRootCertificate, certfleet JSON, a scenario): PEM becomes DER
  const decoded = certificateDer(bytes);
  if (!decoded.ok) return r.bad('certificate', decoded.rule);
  const der = decoded.der;
  const problem = boundLater ? undefined : trustedCertificateProblem(der);
  if (problem !== undefined) return r.bad('certificate', problem);
  return der;
}

function readTrusted(
  r: Reader,
  family: ProfileFamily,
  boundLater: boolean,
): DistributiveOmit<TrustedCertificateProfile, 'displayName'> | undefined {
  const certificate = readCertificate(r, boundLater);
  const certFileName = r.string('certFileName', { required: true });
  if (certificate === undefined || certFileName === undefined) return undefined;
  const common = { kind: 'trusted-certificate' as const, certificate, certFileName };
  if (family === 'windows') {
    const destinationStore = r.oneOf(
      'destinationStore',
      names(CERTIFICATE_DESTINATION_STORE),
      'computerCertStoreRoot',
    );
    return destinationStore === undefined ? undefined : { ...common, family, destinationStore };
  }
  if (family === 'macos') {
    const deploymentChannel = r.oneOf(
      'deploymentChannel',
      names(APPLE_DEPLOYMENT_CHANNEL, ['unknownFutureValue']) as ('deviceChannel' | 'userChannel')[],
      'deviceChannel',
    );
    return deploymentChannel === undefined ? undefined : { ...common, family, deploymentChannel };
  }
  return { ...common, family };
}

/** Reads `validity` {value, unit} (PKCS and SCEP). */
export function readValidity(
  r: Reader,
  graphService: boolean,
): PkcsCertificateProfile['validity'] | undefined {
  const v = r.obj['validity'];
  if (v === undefined) return { ...PKCS_LIMITS.validity.default };
  if (!isRecord(v)) return r.bad('validity', 'must be an object {value, unit}');
  const vr = new Reader(v, r.path('validity'), r.problems);
  const unit = vr.oneOf('unit', names(VALIDITY_SCALE), undefined);
  const value = v['value'];
  if (unit === undefined) return undefined;
  const { min, max } = PKCS_LIMITS.validity[unit];
  // Graph takes any positive count: under 5 days is a warning (validateProfile asGraphService), not a refusal.
  if (graphService && typeof value === 'number' && Number.isInteger(value) && value >= 1 && value < min) {
    return { value, unit };
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    // PFXDOC, SCEPDOC: validity from 5 days to 24 months
    return vr.bad(
      'value',
      `must be an integer from ${min} to ${max} ${unit}: use at least 5 days (shorter certificates may be rejected as near-expired) and at most 24 months`,
    );
  }
  return { value, unit };
}

/** Reads `extendedKeyUsages`. */
export function readEkus(r: Reader): ExtendedKeyUsage[] | undefined {
  const list = r.array('extendedKeyUsages', PKCS_LIMITS.maxExtendedKeyUsages);
  if (list === undefined) return undefined;
  const out: ExtendedKeyUsage[] = [];
  list.forEach((e, i) => {
    const path = joinPath(r.path('extendedKeyUsages'), i);
    if (!isRecord(e))
      return void r.problems.push({
        path,
        rule: 'must be an object {name, objectIdentifier}',
        code: 'PROFILE_INVALID',
      });
    const er = new Reader(e, path, r.problems);
    const name = er.string('name', { required: true });
    const oid = er.string('objectIdentifier', { required: true });
    if (oid !== undefined && !OID.test(oid))
      er.bad('objectIdentifier', 'must be a dotted-decimal OID such as 1.3.6.1.5.5.7.3.2');
    else if (name !== undefined && oid !== undefined) out.push({ name, objectIdentifier: oid });
  });
  return out.length === list.length ? out : undefined;
}

/** Reads `customSubjectAlternativeNames`. */
export function readSans(r: Reader): CustomSubjectAlternativeName[] | undefined {
  const list = r.array('customSubjectAlternativeNames', PKCS_LIMITS.maxCustomSubjectAlternativeNames);
  if (list === undefined) return undefined;
  const out: CustomSubjectAlternativeName[] = [];
  list.forEach((e, i) => {
    const path = joinPath(r.path('customSubjectAlternativeNames'), i);
    if (!isRecord(e))
      return void r.problems.push({
        path,
        rule: 'must be an object {sanType, name}',
        code: 'PROFILE_INVALID',
      });
    const er = new Reader(e, path, r.problems);
    const sanType = er.oneOf<SanType>('sanType', SAN_TYPES, undefined);
    const name = er.string('name', { required: true });
    if (sanType !== undefined && name !== undefined) out.push({ sanType, name });
  });
  return out.length === list.length ? out : undefined;
}

/** Reads `subjectAlternativeNameType`. */
export function readSanFlags(r: Reader): SanType[] | undefined {
  const v = r.obj['subjectAlternativeNameType'];
  if (v === undefined) return [];
  if (!Array.isArray(v))
    return r.bad('subjectAlternativeNameType', `must be a list of ${SAN_TYPES.join(', ')}`);
  const out = new Set<SanType>();
  let ok = true;
  v.forEach((f, i) => {
    if (f === 'none') return;
    if (typeof f !== 'string' || !(SAN_TYPES as readonly string[]).includes(f)) {
      ok = false;
      r.problems.push({
        path: joinPath(r.path('subjectAlternativeNameType'), i),
        rule: `must be one of ${SAN_TYPES.join(', ')}`,
        code: 'PROFILE_INVALID',
      });
    } else out.add(f as SanType);
  });
  return ok ? SAN_TYPES.filter((t) => out.has(t)) : undefined;
}

/** Reads the Android device-owner `certificateAccess`. */
export function readAccess(r: Reader): CertificateAccess | undefined {
  const v = r.obj['certificateAccess'];
  if (v === undefined) return { type: 'userApproval' };
  if (!isRecord(v)) return r.bad('certificateAccess', 'must be an object {type, packageIds?}');
  const ar = new Reader(v, r.path('certificateAccess'), r.problems);
  const type = ar.oneOf(
    'type',
    names(CERTIFICATE_ACCESS_TYPE, ['unknownFutureValue']) as CertificateAccess['type'][],
    undefined,
  );
  if (type === undefined) return undefined;
  if (type === 'userApproval') {
    if (v['packageIds'] !== undefined && !(Array.isArray(v['packageIds']) && v['packageIds'].length === 0)) {
      return ar.bad('packageIds', 'only applies when type is specificApps');
    }
    return { type };
  }
  const list = ar.array('packageIds', PKCS_LIMITS.maxSilentAccessPackages);
  if (list === undefined) return undefined;
  if (list.length === 0)
    return ar.bad('packageIds', 'must list at least one app package id when type is specificApps');
  const bad = list.findIndex((p) => typeof p !== 'string' || !PACKAGE.test(p));
  if (bad >= 0) {
    return void r.problems.push({
      path: joinPath(joinPath(r.path('certificateAccess'), 'packageIds'), bad),
      rule: 'must be an Android package name such as com.contoso.vpn',
      code: 'PROFILE_INVALID',
    });
  }
  return { type, packageIds: list as string[] };
}

/** The subject and SAN settings of a PKCS or SCEP profile (each `undefined` when it has a problem). */
export interface SubjectNameSettings {
  subjectNameFormat: SubjectNameFormat | undefined;
  subjectNameFormatString: string | undefined;
  subjectAlternativeNameType: SanType[] | undefined;
  subjectAlternativeNameFormatString: string | undefined;
  customSubjectAlternativeNames: CustomSubjectAlternativeName[] | undefined;
}

/**
 * Reads the subject name format (Apple families take the Apple table; Android device administrator has no
 * `custom`), its string, the SAN flags, the custom Entra attribute string and the custom SANs (none on
 * Android device administrator) — shared by PKCS and SCEP profiles (validate-scep.ts).
 */
export function readSubjectNames(r: Reader, family: ProfileFamily): SubjectNameSettings {
  const apple = family === 'macos' || family === 'ios';
  const formats: SubjectNameFormat[] = apple
    ? names(APPLE_SUBJECT_NAME_FORMAT)
    : names(SUBJECT_NAME_FORMAT, family === 'android-device-admin' ? ['custom'] : []);
  const subjectNameFormat = r.oneOf('subjectNameFormat', formats, 'commonName');
  const subjectNameFormatString = r.string('subjectNameFormatString', {
    required: subjectNameFormat === 'custom',
  });
  const subjectAlternativeNameType = readSanFlags(r);
  // GRAPH: subjectAlternativeNameFormatString is the "Custom String that defines the AAD Attribute"; the
  // customAzureADAttribute flag without it names no attribute, so no SAN value could be produced.
  const subjectAlternativeNameFormatString =
    r.obj['subjectAlternativeNameFormatString'] === undefined &&
    subjectAlternativeNameType?.includes('customAzureADAttribute') === true
      ? r.bad(
          'subjectAlternativeNameFormatString',
          'is required when subjectAlternativeNameType includes customAzureADAttribute (the custom Entra attribute the SAN is made from)',
        )
      : r.string('subjectAlternativeNameFormatString', { required: false });
  const customSubjectAlternativeNames = family === 'android-device-admin' ? [] : readSans(r);
  return {
    subjectNameFormat,
    subjectNameFormatString,
    subjectAlternativeNameType,
    subjectAlternativeNameFormatString,
    customSubjectAlternativeNames,
  };
}

function readPkcs(
  r: Reader,
  family: ProfileFamily,
  graphService: boolean,
): DistributiveOmit<PkcsCertificateProfile, 'displayName'> | undefined {
  const lim = PKCS_LIMITS.renewalThresholdPercentage;
  const renewalThresholdPercentage = r.integer('renewalThresholdPercentage', lim.min, lim.max, lim.default);
  const validity = readValidity(r, graphService);
  const certificationAuthority = r.string('certificationAuthority', { required: true });
  if (certificationAuthority !== undefined && !isCertificationAuthority(certificationAuthority)) {
    r.bad('certificationAuthority', CA_FORMAT_RULE);
  }
  const certificationAuthorityName = r.string('certificationAuthorityName', { required: true });
  const certificateTemplateName = r.string('certificateTemplateName', { required: true });
  const certificateType =
    family === 'android-device-admin'
      ? r.oneOf('certificateType', ['user'] as const, 'user')
      : r.oneOf('certificateType', CERTIFICATE_TYPES, 'user');
  const {
    subjectNameFormat,
    subjectNameFormatString,
    subjectAlternativeNameType,
    subjectAlternativeNameFormatString,
    customSubjectAlternativeNames,
  } = readSubjectNames(r, family);
  const problemsBefore = r.problems.length;
  const extra = readFamilyExtras(r, family);
  if (
    r.problems.length > problemsBefore ||
    extra === undefined ||
    renewalThresholdPercentage === undefined ||
    validity === undefined ||
    certificationAuthority === undefined ||
    certificationAuthorityName === undefined ||
    certificateTemplateName === undefined ||
    certificateType === undefined ||
    subjectNameFormat === undefined ||
    subjectAlternativeNameType === undefined ||
    customSubjectAlternativeNames === undefined
  ) {
    return undefined;
  }
  const common = {
    kind: 'pkcs-certificate' as const,
    renewalThresholdPercentage,
    validity,
    certificationAuthority,
    certificationAuthorityName,
    certificateTemplateName,
    certificateType,
    subjectNameFormat,
    ...optional('subjectNameFormatString', subjectNameFormatString),
    subjectAlternativeNameType,
    ...optional('subjectAlternativeNameFormatString', subjectAlternativeNameFormatString),
    ...(family === 'android-device-admin' ? {} : { customSubjectAlternativeNames }),
  };
  return { ...common, ...extra, family } as DistributiveOmit<PkcsCertificateProfile, 'displayName'>;
}

function readFamilyExtras(r: Reader, family: ProfileFamily): Rec | undefined {
  switch (family) {
    case 'windows': {
      const keyStorageProvider = r.oneOf(
        'keyStorageProvider',
        names(KEY_STORAGE_PROVIDER),
        'useTpmKspOtherwiseUseSoftwareKsp',
      );
      const extendedKeyUsages = readEkus(r);
      return keyStorageProvider && extendedKeyUsages ? { keyStorageProvider, extendedKeyUsages } : undefined;
    }
    case 'macos': {
      const allowAllAppsAccess = r.boolean('allowAllAppsAccess', false);
      const deploymentChannel = r.oneOf(
        'deploymentChannel',
        names(APPLE_DEPLOYMENT_CHANNEL, ['unknownFutureValue']),
        'deviceChannel',
      );
      return allowAllAppsAccess !== undefined && deploymentChannel
        ? { allowAllAppsAccess, deploymentChannel }
        : undefined;
    }
    case 'ios':
      return {};
    case 'android-work-profile':
    case 'android-device-admin':
    case 'android-device-owner': {
      const extendedKeyUsages = readEkus(r);
      const rootCertificateId = r.string('rootCertificateId', { required: false });
      const base = extendedKeyUsages && {
        extendedKeyUsages,
        ...optional('rootCertificateId', rootCertificateId),
      };
      if (family !== 'android-device-owner') return base;
      const certificateAccess = readAccess(r);
      const certificationAuthorityType = r.oneOf(
        'certificationAuthorityType',
        names(CERTIFICATION_AUTHORITY_TYPE),
        'notConfigured',
      );
      return base && certificateAccess && certificationAuthorityType
        ? { ...base, certificateAccess, certificationAuthorityType }
        : undefined;
    }
  }
}
