/**
 * node:crypto's X509Certificate of DER bytes, made once per distinct bytes while they stay in a bounded
 * memo: for the checks only OpenSSL makes here (a certificate matches a private key, one certificate issued
 * another), where certfleet's own reader (certificate.ts) does not say the same thing.
 */
import { createHash, X509Certificate } from 'node:crypto';

/**
 * node:crypto's reading of certificates, by the SHA-256 of their DER, least recently used first. A PFX is
 * opened three or four times per device (the device's checks, its install, Android's re-wrap on the service
 * side and the device's read of the result), and the CA certificates are in every PFX of a fleet; an
 * X509Certificate never changes and depends only on its bytes, so one parse serves them all (issue 11
 * point 2). Bounded small (each holds OpenSSL's parse and public key): the CA certificates stay, device
 * certificates come and go. Bytes that do not parse are not remembered (each call throws).
 */
const X509_PARSED = new Map<string, X509Certificate>();
/** How many parses {@link x509Of} keeps. */
export const X509_PARSED_LIMIT = 128;

/** The X509Certificate of `der`, made once per distinct bytes while it stays in {@link X509_PARSED}. */
export function x509Of(der: Buffer): X509Certificate {
  const id = createHash('sha256').update(der).digest('base64');
  const cert = X509_PARSED.get(id) ?? new X509Certificate(der);
  X509_PARSED.delete(id); // most recently used last
  X509_PARSED.set(id, cert);
  if (X509_PARSED.size > X509_PARSED_LIMIT) X509_PARSED.delete(X509_PARSED.keys().next().value as string);
  return cert;
}

/** How many parses {@link x509Of} holds now (tests). */
export function x509MemoSize(): number {
  return X509_PARSED.size;
}
