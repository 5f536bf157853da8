/**
 * Object identifiers certfleet writes and reads in certificates, with the names it accepts for EKUs.
 *
 * Sources: RFC 5280 §4.2.1 (extensions, id-kp-*), Microsoft "Object IDs associated with Microsoft
 * cryptography" (learn.microsoft.com/troubleshoot/windows-server/identity/object-ids-associated-with-microsoft-cryptography):
 * szOID_ENROLL_CERTTYPE_EXTENSION 1.3.6.1.4.1.311.20.2, szOID_CERTIFICATE_TEMPLATE 1.3.6.1.4.1.311.21.7,
 * szOID_APPLICATION_CERT_POLICIES 1.3.6.1.4.1.311.21.10, szOID_NT_PRINCIPAL_NAME (UPN) 1.3.6.1.4.1.311.20.2.3,
 * szOID_EFS_CRYPTO 1.3.6.1.4.1.311.10.3.4, szOID_KP_SMARTCARD_LOGON 1.3.6.1.4.1.311.20.2.2.
 */

/** Extension OIDs. */
export const EXT = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  crlDistributionPoints: '2.5.29.31',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  msTemplateName: '1.3.6.1.4.1.311.20.2',
  msTemplateInformation: '1.3.6.1.4.1.311.21.7',
  msApplicationPolicies: '1.3.6.1.4.1.311.21.10',
  extensionRequest: '1.2.840.113549.1.9.14',
} as const;

/** The UPN otherName type in a SAN (szOID_NT_PRINCIPAL_NAME). */
export const OID_UPN = '1.3.6.1.4.1.311.20.2.3';

/** Extended key usages by the names certfleet accepts. */
export const EKU_OIDS = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  efs: '1.3.6.1.4.1.311.10.3.4',
  smartcardLogon: '1.3.6.1.4.1.311.20.2.2',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;

/** A named EKU. */
export type EkuName = keyof typeof EKU_OIDS;

/** The OID of an EKU given by name (case-insensitive; `EFS` works) or as a dotted OID; undefined if unknown. */
export function ekuOid(nameOrOid: string): string | undefined {
  if (/^[0-2](\.(0|[1-9][0-9]*))+$/.test(nameOrOid)) return nameOrOid;
  const key = Object.keys(EKU_OIDS).find((k) => k.toLowerCase() === nameOrOid.toLowerCase());
  return key === undefined ? undefined : EKU_OIDS[key as EkuName];
}

/** The name of an EKU OID, or the OID itself when it has no name here. */
export function ekuName(oid: string): string {
  return Object.entries(EKU_OIDS).find(([, v]) => v === oid)?.[0] ?? oid;
}
