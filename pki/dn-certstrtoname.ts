/**
 * A model of how Windows `CertStrToName` with `CERT_X500_NAME_STR` reads a subject string — the reader on the
 * Windows side of Intune's SCEP/PKCS pipeline. It reproduces the documented Intune issue: "a subject with an
 * escaped `\+`, `\,`, `\;` or `\=` produces a CSR with an incorrect subject and issuance fails; quote the value
 * instead" (docs/formats.md §5.2, SCEPDOC "Avoid certificate signing requests with escaped special characters").
 *
 * The model — **inferred** from Microsoft's CertStrToName documentation (learn.microsoft.com/windows/win32/api/
 * wincrypt/nf-wincrypt-certstrtonamew: "quotation marks … must be used to enclose a value containing special
 * characters", `""` stands for a quotation mark inside a quoted value; `,` and `;` separate RDNs, `+` joins
 * multi-valued RDNs, keys are X500 names or OIDs) and from the Intune symptom; not tested against Windows:
 *
 * - A backslash is an ordinary character, NOT an escape. So `CN=Test\, LLC` reads as the RDN `CN=Test\`
 *   followed by the broken RDN ` LLC` (no `=`), which is rejected (Windows: CRYPT_E_INVALID_X500_STRING,
 *   0x80092023) — the DN_SYNTAX error names that part and its offset, and its details carry the RDNs read
 *   before it. `CN=a\=b` reads as CN=`a\=b` (a wrong subject, not an error).
 * - Double quotes enclose a value that may contain `,` `;` `+` `=`; `""` inside is one quote.
 * - Unquoted values are trimmed of surrounding white space; a `"` inside an unquoted value is kept literally.
 * - `#hex` values are not modelled (a `#` is kept literally).
 *
 * RDNs are returned in the same order convention as {@link parseDn} (ASN.1 order, the reverse of the string),
 * so the two results can be compared directly.
 *
 * @example
 * parseDnAsCertStrToName('CN="Test user (TestCompany, LLC)",O=Contoso'); // CN = 'Test user (TestCompany, LLC)'
 * parseDnAsCertStrToName('CN=Test\\, LLC'); // throws DN_SYNTAX naming 'LLC' at offset 10
 */
import { attributeName, attributeTypeByName } from './dn-attributes.ts';
import type { Dn, DnAttribute, Rdn } from './dn.ts';
import { CertfleetError } from './errors.ts';

/** The HRESULT Windows returns for a string CertStrToName cannot read. */
export const CRYPT_E_INVALID_X500_STRING = '0x80092023';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

/**
 * Reads `text` as CertStrToName(CERT_X500_NAME_STR) would (see the module comment for the inferred model).
 * Throws DN_SYNTAX naming the part it cannot read, with `details.offset`, `details.part`, `details.hresult`
 * and `details.rdnsBefore` (the RDNs read before the failure, in ASN.1 order).
 */
export function parseDnAsCertStrToName(text: string): Dn {
  const rdns: Rdn[] = [];
  let pos = 0;
  const fail = (message: string, offset: number, part: string): never => {
    throw new CertfleetError(
      'DN_SYNTAX',
      `CertStrToName would reject "${part}" at offset ${String(offset)} of "${text}": ${message} (CRYPT_E_INVALID_X500_STRING ${CRYPT_E_INVALID_X500_STRING}).`,
      { details: { offset, part, hresult: CRYPT_E_INVALID_X500_STRING, rdnsBefore: [...rdns].reverse() } },
    );
  };
  while (isSpace(text[pos])) pos++;
  if (pos >= text.length) return { rdns };
  let rdn: Rdn = [];
  for (;;) {
    // key
    const partStart = pos;
    let eq = pos;
    while (eq < text.length && text[eq] !== '=' && text[eq] !== ',' && text[eq] !== ';' && text[eq] !== '+')
      eq++;
    if (text[eq] !== '=') {
      const part = text.slice(partStart, eq);
      fail('an RDN must be KEY=value', partStart, part);
    }
    const key = text.slice(partStart, eq).trim();
    const type = resolveKey(key);
    if (type === undefined) fail(`"${key}" is not an X500 key or OID`, partStart, text.slice(partStart, eq));
    pos = eq + 1;
    while (isSpace(text[pos])) pos++;
    // value
    let value = '';
    let form: DnAttribute['form'] = 'plain';
    const valueStart = pos;
    if (text[pos] === '"') {
      form = 'quoted';
      pos++;
      for (;;) {
        const c = text[pos];
        if (c === undefined) fail('the quoted value is not closed', valueStart, text.slice(valueStart));
        if (c === '"') {
          if (text[pos + 1] === '"') {
            value += '"';
            pos += 2;
            continue;
          }
          pos++;
          break;
        }
        value += c;
        pos++;
      }
      while (isSpace(text[pos])) pos++;
      const next = text[pos];
      if (next !== undefined && next !== ',' && next !== ';' && next !== '+') {
        fail('text follows the closing quote', pos, text.slice(valueStart));
      }
    } else {
      while (pos < text.length && text[pos] !== ',' && text[pos] !== ';' && text[pos] !== '+')
        value += text[pos++];
      value = value.trim();
    }
    rdn.push({
      type: type as string,
      shortName: attributeName(type as string),
      typeText: key,
      value,
      form,
      escaped: [],
      raw: text.slice(valueStart, pos).trimEnd(),
    });
    const sep = text[pos];
    if (sep === undefined) break;
    pos++;
    if (sep !== '+') {
      rdns.push(rdn);
      rdn = [];
    }
    while (isSpace(text[pos])) pos++;
    if (pos >= text.length) fail('the name ends after a separator', pos - 1, sep);
  }
  rdns.push(rdn);
  return { rdns: rdns.reverse() };
}

function resolveKey(key: string): string | undefined {
  const oid = /^oid\./i.test(key) ? key.slice(4) : key;
  if (/^[0-9]+(\.[0-9]+)+$/.test(oid)) return oid;
  return attributeTypeByName(key)?.oid;
}
