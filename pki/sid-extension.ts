/**
 * The SID security extension of KB5014754 (szOID_NTDS_CA_SECURITY_EXT, 1.3.6.1.4.1.311.25.2): the on-premises
 * security identifier of the account a certificate is for, which a domain controller in enforcement mode
 * needs to map the certificate strongly (docs/formats.md §5.3).
 *
 * Format (MS-WCCE 2.2.2.7.7.4): the extension value is a GeneralNames-shaped SEQUENCE holding one
 * `OtherName ::= SEQUENCE { type-id szOID_NTDS_OBJECTSID (1.3.6.1.4.1.311.25.2.1), value OCTET STRING }`,
 * written as the GeneralName `[0]` (otherName) whose value is `[0] EXPLICIT OCTET STRING`; the octets are the
 * SID in its string form (`S-1-5-21-…`), ASCII. Not critical (MS-WCCE: "SHOULD be set to FALSE"). The same
 * layout is what the open-source encoders write (PKISolutions ADCS-SID-Extension-Policy-Module; KB5014754).
 *
 * @example
 * const value = encodeSidExtension('S-1-5-21-1004336348-1177238915-682003330-1108');
 * decodeSidExtension(value); // 'S-1-5-21-1004336348-1177238915-682003330-1108'
 */
import {
  contentOf,
  decodeOidContent,
  DerError,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeTlv,
  readChildren,
  readTlv,
} from './der.ts';
import { CertfleetError } from './errors.ts';

/** szOID_NTDS_CA_SECURITY_EXT: the extension (MS-WCCE 2.2.2.7.7.4). */
export const OID_NTDS_CA_SECURITY_EXT = '1.3.6.1.4.1.311.25.2';
/** szOID_NTDS_OBJECTSID: the otherName type inside it. */
export const OID_NTDS_OBJECTSID = '1.3.6.1.4.1.311.25.2.1';

/**
 * A SID in its string form (MS-DTYP 2.4.2.1): `S-1-` then the identifier authority and at most 15
 * sub-authorities, each a decimal number.
 */
const SID_SYNTAX = /^S-1-\d{1,13}(-\d{1,10}){1,15}$/;

/** True when `sid` is a SID string such as `S-1-5-21-…-1108`. */
export function isSidString(sid: string): boolean {
  return SID_SYNTAX.test(sid);
}

/** The extension value (DER) carrying `sid`; throws CERT_BAD_INPUT when `sid` is not a SID string. */
export function encodeSidExtension(sid: string): Uint8Array {
  if (!isSidString(sid)) {
    throw new CertfleetError(
      'CERT_BAD_INPUT',
      `"${sid}" is not a security identifier: the SID extension needs the string form S-1-<authority>-<sub-authority>… (such as S-1-5-21-1004336348-1177238915-682003330-1108).`,
      { details: { sid } },
    );
  }
  const value = encodeTlv(0xa0, encodeOctetString(Buffer.from(sid, 'ascii')));
  return encodeSequence([encodeTlv(0xa0, Buffer.concat([encodeOid(OID_NTDS_OBJECTSID), value]))]);
}

/** The SID in an extension value written by {@link encodeSidExtension} (or AD CS); throws DerError otherwise. */
export function decodeSidExtension(value: Uint8Array): string {
  const top = readTlv(value, 0);
  const [name] = readChildren(value, top);
  if (name?.tag !== 0xa0)
    throw new DerError('SID extension: no otherName [0] inside the SEQUENCE', top.start);
  const [typeId, wrapped] = readChildren(value, name);
  if (typeId?.tag !== 0x06 || decodeOidContent(contentOf(value, typeId)) !== OID_NTDS_OBJECTSID) {
    throw new DerError(`SID extension: the otherName type is not ${OID_NTDS_OBJECTSID}`, name.start);
  }
  if (wrapped?.tag !== 0xa0) throw new DerError('SID extension: no [0] value in the otherName', name.start);
  const [octets] = readChildren(value, wrapped);
  if (octets?.tag !== 0x04)
    throw new DerError('SID extension: the value is not an OCTET STRING', wrapped.start);
  return Buffer.from(contentOf(value, octets)).toString('ascii');
}
