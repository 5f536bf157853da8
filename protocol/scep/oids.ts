/**
 * SCEP's identifiers and enumerations (RFC 8894 §3.2.1: the authenticated attributes, §3.2.1.2 messageType,
 * §3.2.1.3 pkiStatus, §3.2.1.4 failInfo). The values travel as PrintableString decimal text ("19", "0"),
 * which is why they are strings here. See docs/formats.md §7 (SCEP).
 */

/** id-VeriSign id-pki id-attributes (2.16.840.1.113733.1.9) and its members (RFC 8894 §3.2.1). */
export const SCEP_ATTR = {
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  recipientNonce: '2.16.840.1.113733.1.9.6',
  transactionID: '2.16.840.1.113733.1.9.7',
} as const;

/** CMS (RFC 5652) and PKCS#9 (RFC 2985) identifiers the PKIMessage uses. */
export const CMS_OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  challengePassword: '1.2.840.113549.1.9.7',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

/** messageType values (RFC 8894 §3.2.1.2). */
export const MESSAGE_TYPES = {
  CertRep: '3',
  RenewalReq: '17',
  PKCSReq: '19',
  CertPoll: '20',
  GetCert: '21',
  GetCRL: '22',
} as const;
export type MessageType = keyof typeof MESSAGE_TYPES;

/** pkiStatus values (RFC 8894 §3.2.1.3). */
export const PKI_STATUS = { SUCCESS: '0', FAILURE: '2', PENDING: '3' } as const;
export type PkiStatus = keyof typeof PKI_STATUS;

/** failInfo values (RFC 8894 §3.2.1.4). */
export const FAIL_INFO = {
  badAlg: '0',
  badMessageCheck: '1',
  badRequest: '2',
  badTime: '3',
  badCertId: '4',
} as const;
export type FailInfo = keyof typeof FAIL_INFO;

/** Reverse lookup of a wire value in one of the tables above; undefined when it is not one of them. */
export function nameOf<T extends Record<string, string>>(table: T, value: string): keyof T | undefined {
  return (Object.keys(table) as (keyof T)[]).find((k) => table[k] === value);
}
