/**
 * IssuerAndSerialNumber (RFC 5652 §10.2.4) of a certificate: how a CMS SignerInfo names its signer and a
 * KeyTransRecipientInfo its recipient (RFC 8894 §3.1 uses this form on both).
 */
import type { Certificate } from '../../pki/certificate.ts';
import { encodeIntegerHex, encodeSequence } from '../../pki/der.ts';

export function issuerAndSerialDer(cert: Certificate): Uint8Array {
  return encodeSequence([cert.issuerDer, encodeIntegerHex(cert.serialNumber)]);
}

/** The certificate of `certs` that `issuerAndSerial` (DER) names; undefined when none. */
export function findByIssuerAndSerial<T extends { certificate: Certificate }>(
  items: readonly T[],
  issuerAndSerial: Uint8Array,
): T | undefined {
  const want = Buffer.from(issuerAndSerial);
  return items.find((i) => want.equals(Buffer.from(issuerAndSerialDer(i.certificate))));
}
