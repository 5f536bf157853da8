/**
 * The PKCS issuance of one profile for one device, end to end on the service side (docs/architecture.md flow steps
 * 3–4): resolve the subject and SANs against the device (resolveRequest; the MDM service does it once per
 * delivery and the connector starts from that request, {@link issueForRequest}) → the connector builds the request
 * subject (buildRequestSubject, Windows CertStrToName semantics) → the request's subject is checked against
 * the subject the profile means, and refused when they differ, BEFORE the CA is asked → the CA issues from
 * the profile's template with a server-side key (issuePfx). Every failure is a typed outcome (docs/architecture.md
 * house rule 4), never an exception.
 *
 * The pre-CA check is where the escaped-special-character known issue (docs/formats.md §5.2: "produces a CSR
 * with an incorrect subject; SCEP challenge validation fails and no certificate is issued; same issue for
 * PKCS") surfaces: it is certfleet's analogue of that challenge validation — the service/connector validates
 * the request against the profile and refuses it, so the CA never sees it and nothing is issued
 * **[inferred]** (no document says which component checks a PKCS request). See request-subject.ts for the
 * inferred model of how the request goes wrong.
 */
import type { KeyPair } from '../../../pki/index.ts';
import type { Pkcs12Builder } from '../../../pki/pkcs12-pool.ts';
import { isCertfleetError, parseDn, type CertfleetError, type ErrorCode } from '../../../pki/index.ts';
import {
  resolveRequest,
  type CertificateRequestSpec,
  type CompileFailure,
  type IssuedIdentity,
} from '../../../profiles/compile/index.ts';
import type { PkcsCertificateProfile } from '../../../profiles/model/profile.ts';
import type { DeviceFacts } from '../../../profiles/variables/facts.ts';
import { denial } from '../ca/denials.ts';
import type { EnterpriseCa, Requester } from '../ca/enterprise-ca.ts';
import { issuePfx, type IssuedPfx, type PfxChain } from '../ca/issue-pfx.ts';
import {
  buildRequestSubject,
  canonicalSubject,
  describeDn,
  escapedSpecialsOf,
  quotedWorkaround,
} from './request-subject.ts';

/** The escaped-special-character known issue (docs/formats.md §5.2) hit this device's request. */
export interface SubjectEscapedChars {
  kind: 'SubjectEscapedChars';
  code: 'SUBJECT_ESCAPED_CHARS';
  /** The resolved subject as the profile wrote it. */
  profileSubject: string;
  /** What the profile means (RFC 4514 reading, canonical text). */
  intendedSubject: string;
  /** What the request would have carried (absent when the connector could not build a request at all). Never sent to the CA. */
  requestSubject?: string;
  /** The escaped characters among `+ , ; =`. */
  escaped: string[];
  /** The documented workaround for this subject: the values quoted. */
  workaround?: string;
  /** CRYPT_E_INVALID_X500_STRING when the request could not be built; a subject mismatch otherwise. */
  native:
    { hresult: '0x80092023'; symbolic: 'CRYPT_E_INVALID_X500_STRING' } | { symbolic: 'SUBJECT_MISMATCH' };
  message: string;
}

/** The CA denied the request, or the request subject was unusable for another reason. */
export interface CaDenied {
  kind: 'CaDenied';
  code: ErrorCode;
  message: string;
  /** The native facts of the denial (HRESULT, symbolic name, CA text) from simulator/service/ca/denials.ts. */
  native: Record<string, unknown>;
}

/** Why issuance for this device failed. */
export type IssueFailure = CompileFailure | SubjectEscapedChars | CaDenied;

/** What the connector sent, beside what the profile resolved to. */
export interface SubmittedRequest extends CertificateRequestSpec {
  /** The subject as the connector built it (RFC 4514). */
  requestSubject: string;
}

/** Issued: the identity for compileProfile plus the CA's certificate and record. */
export type IssueForDeviceResult =
  | { ok: true; issued: IssuedIdentity & IssuedPfx; request: SubmittedRequest }
  | { ok: false; outcome: IssueFailure };

/** {@link issueForRequest}'s result: as {@link IssueForDeviceResult}, without the resolution failures. */
export type IssueForRequestResult =
  | { ok: true; issued: IssuedIdentity & IssuedPfx; request: SubmittedRequest }
  | { ok: false; outcome: SubjectEscapedChars | CaDenied };

/** Options of {@link issueForDevice} and {@link issueForRequest}. */
export interface IssueForDeviceOptions {
  requester: Requester;
  /** The PFX password the connector sets. */
  password: string;
  now: Date;
  /** A key made elsewhere (tests pass pool keys); generated natively otherwise. */
  keyPair?: KeyPair;
  /** Legacy PKCS#12 algorithms (3DES + SHA-1 MAC). */
  legacy?: boolean;
  /** Builds the PKCS#12 off this thread (the issuance pool, pki/pkcs12-pool.ts); default: in this thread. */
  pkcs12?: Pkcs12Builder;
  /**
   * The connector's SID setting (`EnableSidSecurityExtension`, PFXDOC): add the KB5014754 SID extension with
   * the request's SID, and refuse a request that needs one and has none (docs/formats.md §5.3). Default off.
   */
  sidSecurityExtension?: boolean;
  /** What the PKCS#12 carries beside the key (issue-pfx.ts PfxChain); default `issuing`. */
  pfxChain?: PfxChain;
  /** The MDM service's request id, kept in the CA's issued record (policy-module.ts `requestId`). */
  requestId?: string;
}

/**
 * Issues the PKCS certificate `profile` asks for on the device described by `facts`.
 *
 * @example
 * const r = await issueForDevice(ca, profile, facts, { requester, password: 'pw', now });
 * if (r.ok) compileProfile(profile, facts, { ids, issued: r.issued });
 * else console.log(r.outcome.code, r.outcome.message);
 */
export async function issueForDevice(
  ca: EnterpriseCa,
  profile: PkcsCertificateProfile,
  facts: DeviceFacts,
  options: IssueForDeviceOptions,
): Promise<IssueForDeviceResult> {
  const resolved = resolveRequest(profile, facts);
  if (!resolved.ok) return resolved;
  return issueForRequest(ca, resolved.request, options);
}

/**
 * Issues the certificate of a request already resolved for one device (`resolveRequest`): what a
 * certificate connector does with the request the MDM service carries in its work item
 * (../connector/protocol.ts `CertificateWork`), so the request is resolved once per delivery. The steps
 * after resolution are those of {@link issueForDevice}.
 *
 * @example
 * const resolved = resolveRequest(profile, facts);
 * if (resolved.ok) {
 *   const r = await issueForRequest(ca, resolved.request, { requester, password: 'pw', now });
 *   if (r.ok) compileProfile(profile, facts, { ids, issued: r.issued, request: resolved.request });
 * }
 */
/** The result of a request the connector or the CA refused with `e` (its details, and `native` beside them). */
function refused(e: CertfleetError, native: Record<string, unknown> = {}): { ok: false; outcome: CaDenied } {
  return {
    ok: false,
    outcome: { kind: 'CaDenied', code: e.code, message: e.message, native: { ...e.details, ...native } },
  };
}

/** SAN types that are IA5Strings (RFC 5280 §4.2.1.6); a UPN is a UTF8String in an otherName. */
const IA5_SAN_TYPES: ReadonlySet<string> = new Set(['dns', 'email', 'uri']);
const SAN_TYPE_LABEL: Readonly<Record<string, string>> = { dns: 'DNS', email: 'e-mail', uri: 'URI' };

export async function issueForRequest(
  ca: EnterpriseCa,
  request: CertificateRequestSpec,
  options: IssueForDeviceOptions,
): Promise<IssueForRequestResult> {
  // A null SAN (an e-mail SAN for a user without e-mail) fails at the connector, before the CA is asked
  // (docs/formats.md §5.2 "Missing/empty SAN value").
  const empty = request.sans.filter((s) => s.value === '');
  if (empty.length > 0) {
    const e = denial(
      'CONNECTOR_EMPTY_SAN',
      `The request carries an empty ${empty.map((s) => s.type).join(', ')} SAN (the user has no e-mail address, so {{EmailAddress}} resolved to nothing); give the user an e-mail address in Entra ID or use another SAN such as the UPN`,
      `subject ${request.subject}`,
    );
    return refused(e);
  }
  // A DNS, e-mail or URI SAN is an IA5String: one with a character outside 7-bit ASCII (a device name such as
  // "Tim’s iPhone" in a DNS SAN) cannot be encoded, and the request fails at the connector, before the CA
  const notIa5 = request.sans.flatMap((s) => {
    const at = IA5_SAN_TYPES.has(s.type) ? [...s.value].findIndex((c) => c.charCodeAt(0) > 0x7f) : -1;
    return at < 0 ? [] : [{ san: s, character: [...s.value][at] as string }];
  });
  const firstBad = notIa5[0];
  if (firstBad !== undefined) {
    const { san, character } = firstBad;
    const code = (character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    const e = denial(
      'CONNECTOR_SAN_NOT_IA5',
      `The connector cannot encode the request's ${SAN_TYPE_LABEL[san.type] ?? san.type} SAN: it takes 7-bit ASCII only (IA5String). ` +
        `"${san.value}" holds "${character}" (U+${code}); use a variable whose value is ASCII (such as {{AAD_Device_ID}} or {{DeviceId}}) or rename the device`,
      `subject ${request.subject}`,
    );
    return refused(e, { san: san.type });
  }
  // KB5014754 strong mapping: with the connector's SID setting on, a user certificate (every platform) or a
  // Windows device certificate needs the principal's on-premises SID (docs/formats.md §5.3).
  let securityIdentifier: string | undefined;
  if (options.sidSecurityExtension === true) {
    const sid = request.sid;
    if (sid.kind === 'none') {
      const e = denial(
        'CONNECTOR_SID_UNAVAILABLE',
        `The connector adds the SID security extension (strong certificate mapping) to every PKCS certificate, but ${sid.why}. ` +
          (sid.principal === 'user'
            ? 'Synchronise the user from on-premises Active Directory with Entra Connect, or exclude cloud-only users from this profile'
            : 'Hybrid join the device to the on-premises domain, or issue a user certificate instead'),
        `subject ${request.subject}`,
      );
      return refused(e, { principal: sid.principal, absence: sid.reason });
    }
    if (sid.kind === 'sid') securityIdentifier = sid.value;
  }
  const escaped = escapedSpecialsOf(request.subject);

  const built = buildRequestSubject(request.subject);
  if (!built.ok) {
    if (escaped.length > 0) {
      return {
        ok: false,
        outcome: escapedOutcome(request, escaped, {
          native: { hresult: '0x80092023', symbolic: 'CRYPT_E_INVALID_X500_STRING' },
          what: `the connector cannot build the request at all: ${built.error.message.replace(/\.$/, '')}`,
        }),
      };
    }
    return {
      ok: false,
      outcome: {
        kind: 'CaDenied',
        code: 'CA_BAD_SUBJECT',
        message: `The connector cannot build a request subject from "${request.subject}": ${built.error.message} Quote values that contain , ; + or =.`,
        native: { hresult: built.hresult, symbolic: 'CRYPT_E_INVALID_X500_STRING' },
      },
    };
  }

  // The request is checked against the profile before the CA is asked (see the module comment).
  if (canonicalSubject(built.dn) !== canonicalSubject(parseDn(request.intendedSubject))) {
    if (escaped.length > 0) {
      return {
        ok: false,
        outcome: escapedOutcome(request, escaped, {
          native: { symbolic: 'SUBJECT_MISMATCH' },
          requestSubject: built.subject,
          what: `the request would go out as ${describeDn(built.dn)}, not the subject the profile means; the service refuses that request before the CA sees it`,
        }),
      };
    }
    return {
      ok: false,
      outcome: {
        kind: 'CaDenied',
        code: 'CA_BAD_SUBJECT',
        message: `The connector would request "${built.subject}" but the profile means "${request.intendedSubject}"; the service refuses that request before the CA sees it.`,
        native: { symbolic: 'SUBJECT_MISMATCH' },
      },
    };
  }

  let issued: IssuedPfx;
  try {
    issued = await issuePfx(ca, {
      template: request.template,
      subject: built.subject,
      san: request.sans,
      keySize: request.keySize,
      ...(options.keyPair !== undefined && { keyPair: options.keyPair }),
      ...(options.legacy !== undefined && { legacy: options.legacy }),
      ...(options.pkcs12 !== undefined && { pkcs12: options.pkcs12 }),
      ...(securityIdentifier !== undefined && { securityIdentifier }),
      ...(options.pfxChain !== undefined && { chain: options.pfxChain }),
      ...(options.requestId !== undefined && { requestId: options.requestId }),
      password: options.password,
      requester: options.requester,
      validity: request.validity,
      now: options.now,
    });
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    return refused(e);
  }

  // Defence in depth: a CA that alters the requested subject is caught too (not expected of the simulated CA).
  const issuedSubject = issued.certificate.subjectText;
  if (canonicalSubject(issued.certificate.subject) !== canonicalSubject(built.dn)) {
    return {
      ok: false,
      outcome: {
        kind: 'CaDenied',
        code: 'CA_BAD_SUBJECT',
        message: `The CA issued "${issuedSubject}" but the request asked for "${built.subject}"; the service discards that certificate.`,
        native: { symbolic: 'SUBJECT_MISMATCH' },
      },
    };
  }
  return {
    ok: true,
    issued: { ...issued, password: options.password, certificateDer: issued.certificate.der },
    request: { ...request, requestSubject: built.subject },
  };
}

function escapedOutcome(
  request: CertificateRequestSpec,
  escaped: string[],
  o: {
    native: SubjectEscapedChars['native'];
    what: string;
    requestSubject?: string;
  },
): SubjectEscapedChars {
  const workaround = quotedWorkaround(request.subject);
  const chars = escaped.map((c) => `\\${c}`).join(' ');
  return {
    kind: 'SubjectEscapedChars',
    code: 'SUBJECT_ESCAPED_CHARS',
    profileSubject: request.subject,
    intendedSubject: request.intendedSubject,
    ...(o.requestSubject !== undefined && { requestSubject: o.requestSubject }),
    escaped,
    ...(workaround !== undefined && { workaround }),
    native: o.native,
    message:
      `The subject "${request.subject}" escapes ${chars} with a backslash, a known Intune issue: the connector reads the subject with Windows CertStrToName, where a backslash is not an escape, so ${o.what}. ` +
      `The profile meant ${describeDn(parseDn(request.intendedSubject))}. No certificate is issued. ` +
      `Quote the value instead${workaround !== undefined ? ` (${workaround})` : ''} or remove the character.`,
  };
}
