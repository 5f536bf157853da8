/**
 * What the connector must request for one device and one PKCS profile: the resolved subject and SANs, the
 * template, the CA and the validity — docs/architecture.md flow step 3 ("resolves the profile's subject
 * name and SAN templates against the inventory; a variable the device cannot supply fails that profile").
 *
 * SAN attribute → certificate SAN type (docs/formats.md §4.4 `subjectAlternativeNameType`, §5.1 "SAN: attributes
 * Email address, UPN, DNS, URI"; the Windows CSP equivalents 2/11/3/7 are in docs/formats.md §2.3):
 * | Graph SAN type | template target | {@link SanEntry} type |
 * |---|---|---|
 * | emailAddress | `san:email` | `email` (rfc822Name) |
 * | userPrincipalName | `san:upn` | `upn` (otherName 1.3.6.1.4.1.311.20.2.3) |
 * | domainNameService | `san:dns` | `dns` (dNSName) |
 * | universalResourceIdentifier | `san:uri` | `uri` (URI; `{{OnPremisesSecurityIdentifier}}` becomes `tag:microsoft.com,2022-09-14:sid:<SID>`, SCEPDOC) |
 * | customAzureADAttribute | `san:aad-attribute` | **not requested** — no source says which SAN type Intune writes for a custom Entra attribute; it is listed in `notes` instead [inferred] |
 *
 * A SAN the profile gives twice (the same type and value, e.g. the `userPrincipalName` flag and a custom UPN
 * SAN of `{{UserPrincipalName}}`) is requested once (unique-sans.ts).
 *
 * Key size: a PKCS profile has no key-size setting in Graph (docs/formats.md §4.3), so the request names none; the
 * connector makes the template's minimum, at least 2048 bits (PFXDOC sets the size in the template, docs/formats.md
 * §5.2; simulator/service/ca/template.ts connectorKeySizeFor), unless the run asks for a size (a scenario profile's
 * `keySize`, carried by the service's assignment into the request), so that the device's key storage rules see the
 * key the connector really made.
 */
import { CertfleetError, formatDn, parseDn, type SanEntry } from '../../pki/index.ts';
import { PROFILE_FAMILY_INFO } from '../model/platform.ts';
import type { TemplateTarget } from '../model/profile-names.ts';
import type { CertificateType, PkcsCertificateProfile, ValidityPeriod } from '../model/profile.ts';
import type { DeviceFacts } from '../variables/facts.ts';
import { resolveProfileNames } from '../variables/resolve-profile-names.ts';
import { requestSid, type RequestSid } from './request-sid.ts';
import { validationError, type CompileFailure, type ValidationError } from './outcomes.ts';
import { withoutRepeatedSans } from './unique-sans.ts';

/** The smallest RSA key size a connector makes for a PKCS certificate (the template minimum PFXDOC requires). */
export const PKCS_KEY_SIZE = 2048;

/** The RSA key sizes a connector can be asked for (a scenario profile's `keySize`; docs/formats.md §5.2 "Key size"). */
export type PkcsKeySize = 2048 | 3072 | 4096;

/** SanEntry type of each SAN template target (the table in the module comment); `undefined` = not requested. */
export const SAN_ENTRY_TYPE_OF_TARGET = {
  'san:email': 'email',
  'san:upn': 'upn',
  'san:dns': 'dns',
  'san:uri': 'uri',
  'san:aad-attribute': undefined,
} as const satisfies Record<Exclude<TemplateTarget, 'subject'>, SanEntry['type'] | undefined>;

/** What the connector asks the CA for, for one device. */
export interface CertificateRequestSpec {
  /** The resolved subject exactly as the profile's template produced it (what the profile means). */
  subject: string;
  /** The same subject read as RFC 4514 (escapes and quotes resolved) and written canonically. */
  intendedSubject: string;
  /** Characters the subject writes with a backslash escape among `+ , ; =` (docs/formats.md §5.2 known issue). */
  escapedSpecials: string[];
  sans: SanEntry[];
  /**
   * The RSA key size the run asks the connector for (a scenario profile's `keySize`); absent, the connector
   * makes the template's minimum, at least {@link PKCS_KEY_SIZE} (see the module comment).
   */
  keySize?: PkcsKeySize;
  validity: ValidityPeriod;
  /** Certificate template name on the CA (`certificateTemplateName`). */
  template: string;
  /** CA FQDN or `Host\CA-Name` config string (`certificationAuthority`). */
  ca: string;
  /** CA common name (`certificationAuthorityName`). */
  caName: string;
  certificateType: CertificateType;
  /** The on-premises SID for the connector's KB5014754 SID extension, or why there is none (request-sid.ts). */
  sid: RequestSid;
  /** Things left out of the request, with why (e.g. a custom Entra attribute SAN). */
  notes: string[];
}

/** The request, or the outcome that stops it. */
export type ResolveRequestResult =
  { ok: true; request: CertificateRequestSpec } | { ok: false; outcome: CompileFailure };

/** The special characters whose backslash-escaped form triggers the Intune known issue (docs/formats.md §5.2). */
export const ESCAPE_SENSITIVE = ['+', ',', ';', '='] as const;

/**
 * A {@link ValidationError} when the device's platform or enrollment kind does not receive profiles of this
 * family (PROFILE_FAMILY_INFO; docs/formats.md §4), else undefined.
 */
export function familyMismatch(
  profile: { family: PkcsCertificateProfile['family'] | string; displayName: string },
  facts: DeviceFacts,
): ValidationError | undefined {
  const info = PROFILE_FAMILY_INFO[profile.family as PkcsCertificateProfile['family']];
  const kinds = info.enrollmentKinds as readonly string[];
  if (info.platform === facts.platform && kinds.includes(facts.enrollmentKind)) return undefined;
  return validationError(
    'PROFILE_INVALID',
    'family',
    `The profile "${profile.displayName}" is a ${info.label} profile; a ${facts.platform} device enrolled as ${facts.enrollmentKind} never receives it. Assign a profile of the device's own platform.`,
  );
}

/**
 * Resolves what to request for `profile` on the device described by `facts`.
 *
 * @example
 * const r = resolveRequest(iosPkcs, wifiOnlyIpadFacts);
 * // r.ok === false, r.outcome.kind === 'MissingVariable', r.outcome.variable === '{{IMEI}}'
 */
export function resolveRequest(profile: PkcsCertificateProfile, facts: DeviceFacts): ResolveRequestResult {
  const mismatch = familyMismatch(profile, facts);
  if (mismatch !== undefined) return { ok: false, outcome: mismatch };
  const names = resolveProfileNames(profile, facts);
  if (!names.ok) return { ok: false, outcome: names.first };
  let intendedSubject: string;
  let escapedSpecials: string[];
  try {
    const dn = parseDn(names.subject);
    intendedSubject = formatDn(dn);
    escapedSpecials = [
      ...new Set(
        [...dn.rdns]
          .reverse()
          .flat()
          .flatMap((a) => a.escaped)
          .filter((c) => (ESCAPE_SENSITIVE as readonly string[]).includes(c)),
      ),
    ];
  } catch (e) {
    const why = e instanceof CertfleetError ? e.message : String(e);
    return {
      ok: false,
      outcome: validationError(
        'DN_SYNTAX',
        profile.subjectNameFormat === 'custom' ? 'subjectNameFormatString' : 'subjectNameFormat',
        `The resolved subject "${names.subject}" is not a distinguished name: ${why} Fix the subject name format.`,
      ),
    };
  }
  if (intendedSubject === '') {
    return {
      ok: false,
      outcome: validationError(
        'PROFILE_INVALID',
        'subjectNameFormatString',
        'The resolved subject is empty; a PKCS certificate needs a subject such as CN={{UserName}}.',
      ),
    };
  }
  const sans: SanEntry[] = [];
  const notes: string[] = [];
  for (const san of withoutRepeatedSans(names.sans)) {
    const type = SAN_ENTRY_TYPE_OF_TARGET[san.target];
    if (type === undefined) {
      notes.push(
        `${san.path}: the custom Entra attribute SAN "${san.value}" is not requested (no source documents the SAN type Intune uses for it)`,
      );
      continue;
    }
    sans.push({ type, value: san.value });
  }
  return {
    ok: true,
    request: {
      subject: names.subject,
      intendedSubject,
      escapedSpecials,
      sans,
      validity: { ...profile.validity },
      template: profile.certificateTemplateName,
      ca: profile.certificationAuthority,
      caName: profile.certificationAuthorityName,
      certificateType: profile.certificateType,
      sid: requestSid(profile.certificateType, facts),
      notes,
    },
  };
}
