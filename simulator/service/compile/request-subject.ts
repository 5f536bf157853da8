/**
 * The connector's side of the subject: how the Intune certificate connector turns the profile's resolved
 * subject text into the subject of its certificate request, and the known issue that follows from it.
 *
 * docs/formats.md §5.2 "Escaped special characters": a subject CN containing an escaped `\+`, `\,`, `\;`, `\=`
 * "produces a CSR with an incorrect subject; … no certificate is issued; same issue for PKCS. Workaround:
 * quote the whole CN value or remove the character" (SCEPDOC, PFXDOC).
 *
 * certfleet's model of why — **[inferred]**, no Microsoft document explains the mechanism: the connector
 * hands the subject text to Windows `CertStrToName` (pki parseDnAsCertStrToName, whose module comment gives
 * the basis), where a backslash is NOT an escape and only double quotes protect `, ; + =`. So:
 * - `CN=a\=b` → read as CN = `a\=b`, a subject other than the profile's `a=b`: a request with an
 *   incorrect subject;
 * - `\, \+ \;` are separators there, so the backslash stays in the value before them and what follows is
 *   read as a new RDN / attribute. When that reads as KEY=value (`CN=Test user\,O=Contoso` → CN = `Test
 *   user\`, O = `Contoso`; `CN=a\+E=b@c.d` → CN = `a\` + E = `b@c.d`) the result is again a request with an
 *   incorrect subject — the doc's wording, which covers all four characters. When it does not
 *   (`CN=Test user\, LLC` → ` LLC` has no `=`) the request cannot be built at all
 *   (CRYPT_E_INVALID_X500_STRING 0x80092023). Decision: the CertStrToName model is kept for all four
 *   rather than forcing "incorrect subject" where CertStrToName itself would refuse the text; both paths
 *   end the same documented way — no certificate is issued, because issue-for-device checks the request
 *   subject against the profile's before the CA is asked;
 * - `CN="Test user (TestCompany, LLC)"` → read as intended.
 */
import {
  CRYPT_E_INVALID_X500_STRING,
  formatDn,
  isCertfleetError,
  parseDn,
  parseDnAsCertStrToName,
  type CertfleetError,
  type Dn,
} from '../../../pki/index.ts';
import { ESCAPE_SENSITIVE } from '../../../profiles/compile/index.ts';

/** The subject a request carries, or why the connector could not build one. */
export type RequestSubjectResult =
  | {
      ok: true;
      /** RFC 4514 text of what CertStrToName read: the subject the CA is asked for. */
      subject: string;
      dn: Dn;
    }
  | {
      ok: false;
      /** The DN_SYNTAX error of the CertStrToName model (names the part and offset it cannot read). */
      error: CertfleetError;
      /** `0x80092023`. */
      hresult: typeof CRYPT_E_INVALID_X500_STRING;
    };

/**
 * Builds the request subject from the profile's resolved subject text the way the connector does (Windows
 * CertStrToName semantics, see the module comment).
 *
 * @example
 * buildRequestSubject('CN="Test user (TestCompany, LLC)"'); // { ok: true, subject: 'CN=Test user (TestCompany\\, LLC)' }
 * buildRequestSubject('CN=Test user\\, LLC'); // { ok: false, hresult: '0x80092023', error: DN_SYNTAX naming ' LLC' }
 */
export function buildRequestSubject(text: string): RequestSubjectResult {
  try {
    const dn = parseDnAsCertStrToName(text);
    return { ok: true, subject: formatDn(dn), dn };
  } catch (e) {
    if (isCertfleetError(e, 'DN_SYNTAX'))
      return { ok: false, error: e, hresult: CRYPT_E_INVALID_X500_STRING };
    throw e;
  }
}

/**
 * A comparable form of a DN: `OID=value` per attribute, attributes of one RDN sorted (DER sorts a SET OF, so
 * the issued order may differ), RDNs in order.
 */
export function canonicalSubject(dn: Dn): string {
  return dn.rdns
    .map((rdn) =>
      rdn
        .map((a) => `${a.type}=${JSON.stringify(a.value)}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/**
 * A DN as a person reads it, most specific first, values quoted when they hold a special character
 * (the OpenSSL `-nameopt oneline` look): `CN = "Test user, LLC", O = Contoso`.
 */
export function describeDn(dn: Dn): string {
  return [...dn.rdns]
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) => {
          const v = /[,+;=\\"<>#]|^\s|\s$/.test(a.value) ? `"${a.value.replace(/"/g, '\\"')}"` : a.value;
          return `${a.shortName} = ${v}`;
        })
        .join(' + '),
    )
    .join(', ');
}

/** The characters among `+ , ; =` that `subject` writes with a backslash escape (RFC 4514 reading). */
export function escapedSpecialsOf(subject: string): string[] {
  try {
    const found = [...parseDn(subject).rdns]
      .reverse()
      .flat()
      .flatMap((a) => a.escaped)
      .filter((c) => (ESCAPE_SENSITIVE as readonly string[]).includes(c));
    return [...new Set(found)];
  } catch {
    return [];
  }
}

/**
 * The workaround docs/formats.md §5.2 documents: the same subject with every value that had an escaped special
 * character written in double quotes instead (`CN=Test user\, LLC` → `CN="Test user, LLC"`). Returns
 * undefined when the subject does not parse.
 */
export function quotedWorkaround(subject: string): string | undefined {
  let dn: Dn;
  try {
    dn = parseDn(subject);
  } catch {
    return undefined;
  }
  return [...dn.rdns]
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) => {
          const key = a.typeText ?? a.shortName;
          if (a.escaped.length === 0) return `${key}=${a.raw ?? a.value}`;
          return `${key}="${a.value.replace(/"/g, '""')}"`;
        })
        .join('+'),
    )
    .join(',');
}
