/**
 * Certificate thumbprints (hashes of the whole DER certificate).
 *
 * Windows shows and addresses certificates by the SHA-1 thumbprint as upper-case hex without separators
 * (e.g. the `<SHA1-hex>` node of the RootCATrustedCertificates CSP, docs/formats.md §2.4 / §6).
 *
 * @example
 * sha1Thumbprint(cert.der); // 'A1B2…' (40 upper-case hex digits)
 */
import { createHash } from 'node:crypto';

/** SHA-1 of `der` as 40 upper-case hex digits, no separators (Windows' "Thumbprint"). */
export function sha1Thumbprint(der: Uint8Array): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

/** SHA-256 of `der` as 64 upper-case hex digits, no separators. */
export function sha256Thumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase();
}
